// The outbox's bookkeeping, kept free of IndexedDB and fetch so the node
// tests can drive it: which mutations to send next, with which base_version,
// and what each answer from POST /api/v1/sync/push does to the queue.
//
// An entry is {seq, id, type, payload, actor_id, group, state, sent, error}:
//   seq      the device's order (IndexedDB's key generator, never reused)
//   id       the mutation's UUID (a resend of the same id is a "duplicate")
//   group    what the mutation is about (an inspection id); a group's
//            mutations go in seq order
//   state    pending | rejected (refused for good; shown until the user
//            acknowledges it) | blocked (held behind a lost conflict)
//   sent     it has been in a push; its payload must not change any more
//
// base_version is not stored in entries: it is worked out when a push is
// planned, from `bases` (inspection id -> the server version this device's
// queued changes build on). Only our own applied mutations move a base while
// changes are queued, so a change made on an old version still loses to
// another device's newer one (the server answers "conflict").

/** Mutations that carry a base_version and bump the inspection's version. */
export const VERSIONED = new Set(['inspection.save', 'inspection.complete', 'inspection.discard', 'inspection.reopen']);

/** groupOf names what a mutation is about, so that a group's mutations keep their order. */
export function groupOf(type, payload) {
  if (type === 'media.declare') return payload.inspection_id;
  if (type === 'return.receive') return `return:${payload.return_id}`;
  return payload.id;
}

/**
 * coalesceTarget finds the queued save a new save of the same inspection can
 * be merged into: the group's last save, if it has never been sent and no
 * completion or other versioned change follows it. Merging keeps the outbox
 * short when every keystroke of a draft is saved.
 */
export function coalesceTarget(entries, group) {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e.group !== group) continue;
    if (!VERSIONED.has(e.type)) continue; // a media.declare may sit in between
    if (e.type === 'inspection.save' && e.state === 'pending' && !e.sent) return e;
    return null;
  }
  return null;
}

/**
 * planBatch picks the mutations of the next push, in seq order. Per group it
 * sends at most one versioned mutation (with what follows it up to the next
 * one): if that one loses a conflict, the next must not reach the server,
 * where its base_version could match the other device's version by chance.
 * A group stops at a blocked entry and at a change another user made, unless
 * the signed-in user may push others' work (a lead on a shared phone).
 */
export function planBatch(entries, bases, { userId, mayPushOthers = false, max = 200 } = {}) {
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  const groups = new Map();
  const plan = [];
  for (const e of sorted) {
    let g = groups.get(e.group);
    if (!g) groups.set(e.group, (g = { stopped: false, versioned: 0 }));
    if (g.stopped || e.state === 'rejected') continue;
    if (e.state === 'blocked' || (e.actor_id && e.actor_id !== userId && !mayPushOthers)) {
      g.stopped = true;
      continue;
    }
    let base = 0;
    if (VERSIONED.has(e.type)) {
      if (g.versioned > 0) {
        g.stopped = true;
        continue;
      }
      g.versioned++;
      base = bases[e.group] || 0;
    }
    plan.push({ entry: e, base });
    if (plan.length >= max) break;
  }
  return plan;
}

/** bodyOf is a planned entry as POST /api/v1/sync/push wants it. */
export function bodyOf({ entry, base }) {
  const payload = VERSIONED.has(entry.type) && base > 0 ? { ...entry.payload, base_version: base } : entry.payload;
  const body = { id: entry.id, seq: entry.seq, type: entry.type, payload };
  if (entry.actor_id) body.actor_id = entry.actor_id;
  return body;
}

/**
 * applyResults updates entries and bases (both mutated in place) from the
 * answers to a push of plan, and returns what happened for the screens:
 * [{kind: 'applied'|'rejected'|'retry', entry, result}].
 *   applied / duplicate of applied: the entry leaves the queue; a versioned
 *     one moves the group's base to the server's new version.
 *   rejected / duplicate of rejected: the entry stays, marked, until the user
 *     has seen it; a lost conflict blocks the rest of its group.
 *   retry, or no answer: the entry waits for the next push.
 */
export function applyResults(entries, bases, plan, results) {
  const byId = new Map((results || []).map((r) => [String(r.id).toLowerCase(), r]));
  const events = [];
  for (const p of plan) {
    const e = p.entry;
    const r = byId.get(e.id.toLowerCase());
    const status = r && (r.status === 'duplicate' ? r.first_status || 'applied' : r.status);
    if (status === 'applied') {
      const i = entries.indexOf(e);
      if (i >= 0) entries.splice(i, 1);
      if (e.type === 'inspection.discard') delete bases[e.group];
      else if (VERSIONED.has(e.type)) bases[e.group] = r.version || p.base + 1;
      events.push({ kind: 'applied', entry: e, result: r });
    } else if (status === 'rejected') {
      e.state = 'rejected';
      e.error = (r && r.error) || { code: 'rejected', message: '' };
      if (VERSIONED.has(e.type) && e.error.code === 'conflict') {
        for (const later of entries) {
          if (later.group === e.group && later.seq > e.seq && later.state === 'pending') {
            later.state = 'blocked';
            later.blocked_by = e.seq;
          }
        }
      }
      events.push({ kind: 'rejected', entry: e, result: r });
    } else {
      e.error = r && r.error ? r.error : null;
      events.push({ kind: 'retry', entry: e, result: r || null });
    }
  }
  return events;
}

/**
 * keepMine resolves a lost conflict in favour of this device: the rejected
 * save goes again under a new id on top of the server's version, and the
 * changes held behind it are released.
 */
export function keepMine(entries, bases, group, serverVersion, newId) {
  bases[group] = serverVersion;
  for (const e of entries) {
    if (e.group !== group) continue;
    if (e.state === 'rejected' && e.error?.code === 'conflict') {
      Object.assign(e, { id: newId(), state: 'pending', sent: false, error: null });
    } else if (e.state === 'blocked') {
      Object.assign(e, { state: 'pending', blocked_by: undefined });
    }
  }
}

/**
 * takeTheirs resolves a lost conflict in favour of the server: this device's
 * rejected and held changes of the group are dropped (the user chose so) and
 * the returned entries are what was dropped.
 */
export function takeTheirs(entries, bases, group, serverVersion) {
  bases[group] = serverVersion;
  const dropped = entries.filter((e) => e.group === group && VERSIONED.has(e.type) &&
    (e.state === 'blocked' || (e.state === 'rejected' && e.error?.code === 'conflict')));
  for (const d of dropped) entries.splice(entries.indexOf(d), 1);
  for (const e of entries) {
    if (e.group === group && e.state === 'blocked') Object.assign(e, { state: 'pending', blocked_by: undefined });
  }
  return dropped;
}

/**
 * hasQueued tells whether a group still has changes the server has not
 * taken, counting a lost conflict the user has not settled yet: until then
 * the device keeps showing its own values beside the server's.
 */
export function hasQueued(entries, group) {
  return entries.some((e) => e.group === group && (e.state !== 'rejected' || e.error?.code === 'conflict'));
}
