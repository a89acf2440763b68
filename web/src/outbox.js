// The outbox in IndexedDB: every change made on this device waits here, as
// a mutation with its own UUID, until the server has answered it. The rules
// of what goes next and what an answer does live in outbox-core.js.

import { S, tx, req, getAll } from './db.js';
import { emit } from './bus.js';
import { coalesceTarget, groupOf, VERSIONED } from './outbox-core.js';

export function uuid() {
  return crypto.randomUUID();
}

/**
 * enqueueIn adds a mutation made by actor (a user id) inside a transaction
 * that holds the outbox store, so that a record and its mutation are written
 * together. A save merges into the inspection's queued save when that has
 * not been sent yet.
 */
export async function enqueueIn(s, type, payload, actor) {
  const group = groupOf(type, payload);
  const list = await req(s.outbox.getAll());
  if (type === 'inspection.save') {
    const target = coalesceTarget(list, group);
    if (target && target.actor_id === actor) {
      target.payload = { ...target.payload, ...payload };
      await req(s.outbox.put(target));
      return;
    }
  }
  await req(s.outbox.add({
    id: uuid(), type, payload, actor_id: actor, group, state: 'pending', sent: false,
    created_at: new Date().toISOString(),
  }));
}

/** enqueue adds a mutation in a transaction of its own. */
export async function enqueue(type, payload, actor) {
  await tx([S.outbox], 'readwrite', (s) => enqueueIn(s, type, payload, actor));
  emit('outbox');
}

/** entries lists the outbox in seq order. */
export async function entries() {
  return getAll(S.outbox);
}

/** dismiss removes a rejected mutation the user has seen. */
export async function dismiss(seq) {
  await tx([S.outbox], 'readwrite', async (s) => {
    const e = await req(s.outbox.get(seq));
    if (e && e.state === 'rejected') await req(s.outbox.delete(seq));
  });
  emit('outbox');
}

/** summary counts what waits, for the header badge and the queue screen. */
export function summarize(list) {
  const groups = new Set();
  let pending = 0;
  let rejected = 0;
  let blocked = 0;
  for (const e of list) {
    if (e.state === 'rejected') rejected++;
    else if (e.state === 'blocked') blocked++;
    else pending++;
    if (e.state !== 'rejected' && VERSIONED.has(e.type)) groups.add(e.group);
  }
  return { pending, rejected, blocked, inspections: groups.size };
}
