// Resolving what the server refused. A lost conflict ("changed on another
// device") is settled by the user: keep their change on top of the
// server's version, or take the server's version. Other refusals are
// acknowledged once read. Nothing refused ever disappears unseen.
import { S, tx, req } from './db.js';
import { emit } from './bus.js';
import { keepMine, takeTheirs } from './outbox-core.js';
import { uuid } from './outbox.js';

async function resolve(inspectionId, fn) {
  await tx([S.outbox, S.meta, S.inspections], 'readwrite', async (s) => {
    const entries = await req(s.outbox.getAll());
    const bases = (await req(s.meta.get('bases')))?.value || {};
    const insp = await req(s.inspections.get(inspectionId));
    const before = entries.map((e) => e.seq);
    fn(entries, bases, insp);
    const after = new Set(entries.map((e) => e.seq));
    for (const seq of before) if (!after.has(seq)) await req(s.outbox.delete(seq));
    for (const e of entries) await req(s.outbox.put(e));
    await req(s.meta.put({ key: 'bases', value: bases }));
    if (insp) await req(s.inspections.put(insp));
  });
  emit('outbox', 'inspections');
}

/** keepMyChanges re-sends this device's change on top of the server's version. */
export function keepMyChanges(insp) {
  const version = insp.conflict?.current_version || insp.server?.version || insp.version;
  return resolve(insp.id, (entries, bases, cur) => {
    keepMine(entries, bases, insp.id, version, uuid);
    if (cur) Object.assign(cur, { conflict: null, rejection: null, version });
  });
}

/** takeServerVersion drops this device's refused changes and shows the server's copy. */
export function takeServerVersion(insp) {
  const version = insp.conflict?.current_version || insp.server?.version || insp.version;
  return resolve(insp.id, (entries, bases, cur) => {
    takeTheirs(entries, bases, insp.id, version);
    if (cur) {
      if (cur.server) Object.assign(cur, cur.server, { checklist: cur.server.checklist || {} });
      Object.assign(cur, { conflict: null, rejection: null, server: null, complete_pending: false });
    }
  });
}

/** acknowledge removes a refused mutation the user has read, and its notice. */
export function acknowledge(insp) {
  const seq = insp.rejection?.seq;
  return resolve(insp.id, (entries, bases, cur) => {
    const i = entries.findIndex((e) => e.seq === seq && e.state === 'rejected');
    if (i >= 0) entries.splice(i, 1);
    if (cur) cur.rejection = null;
  });
}
