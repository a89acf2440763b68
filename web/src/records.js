// Inspections and returns as the bench changes them: each change is written
// to the device's copy at once (so a reload or crash keeps it) and queued as
// a mutation for the server. Every change carries the user who made it.

import { S, tx, req, get, getMeta, withCodes, byIndex } from './db.js';
import { emit } from './bus.js';
import { enqueue, enqueueIn, uuid } from './outbox.js';
import { hasQueued } from './outbox-core.js';

/** Fields of an inspection the server stores (inspection.save payload). */
export const SAVE_FIELDS = ['return_id', 'scanned_code', 'checklist', 'grade', 'used_condition', 'disposition',
  'verdict', 'restocking_fee_percent', 'notes', 'captured_at'];

export const getInspection = (id) => get(S.inspections, id);
export const getReturn = (id) => get(S.returns, id);

/** inspectionsOfReturn lists the device's inspections of a return. */
export const inspectionsOfReturn = (returnId) => byIndex(S.inspections, 'return_id', returnId);

/** returnsByCode finds pulled returns stored under any of the values (see codes.candidateValues). */
export async function returnsByCode(values) {
  return tx(S.returns, 'readonly', async (s) => {
    const seen = new Map();
    for (const v of values) {
      for (const r of await req(s.returns.index('codes').getAll(v))) seen.set(r.id, r);
    }
    return [...seen.values()];
  });
}

/** policies is the pulled policies document (undefined before the first pull). */
export const policies = () => getMeta('policies');

/**
 * receiveReturn records that a scanned parcel is here, which starts its
 * refund clock. The device's copy shows the arrival at once; the server
 * keeps the first arrival it hears of.
 */
export async function receiveReturn(ret, user) {
  if (ret.arrived_at) return ret;
  const at = new Date().toISOString();
  const updated = await tx([S.returns, S.outbox], 'readwrite', async (s) => {
    const cur = await req(s.returns.get(ret.id));
    if (!cur || cur.arrived_at) return cur || ret;
    cur.arrived_at = at;
    cur.arrived_here = true;
    await req(s.returns.put(cur));
    await enqueueIn(s, 'return.receive', { return_id: ret.id, received_at: at }, user.id);
    return cur;
  });
  emit('returns', 'outbox');
  return updated;
}

/** createInspection starts a draft for a scanned parcel (ret null: an unexpected return). */
export async function createInspection({ ret, scannedCode, user }) {
  const now = new Date().toISOString();
  const insp = {
    id: uuid(), return_id: ret ? ret.id : null, scanned_code: scannedCode || '', checklist: {}, grade: '',
    used_condition: '', disposition: '', verdict: '', restocking_fee_percent: 0, notes: '', status: 'draft',
    version: 0, captured_at: now, created_at: now, updated_at: now, inspector_id: user.id,
    inspector_name: user.username, site_id: user.site_id, origin: 'local', step: 'label',
  };
  const payload = { id: insp.id, scanned_code: insp.scanned_code, captured_at: now };
  if (ret) payload.return_id = ret.id;
  await tx([S.inspections, S.outbox], 'readwrite', async (s) => {
    await req(s.inspections.put(insp));
    await enqueueIn(s, 'inspection.save', payload, user.id);
  });
  emit('inspections', 'outbox');
  return insp;
}

/**
 * updateInspection writes fields of a draft and queues them for the server.
 * Only server fields travel; the wizard's own state uses setLocal. patch may
 * be a function of the stored draft, for changes built on the current value
 * (a checklist item): quick taps then never overwrite each other's answers.
 */
export async function updateInspection(id, patch, user) {
  await tx([S.inspections, S.outbox], 'readwrite', async (s) => {
    const cur = await req(s.inspections.get(id));
    if (!cur) throw new Error('inspection not found');
    const p = typeof patch === 'function' ? patch(cur) : patch;
    const payload = {};
    for (const k of SAVE_FIELDS) if (k in p) payload[k] = p[k];
    Object.assign(cur, p, { updated_at: new Date().toISOString(), last_editor: user.username });
    await req(s.inspections.put(cur));
    if (Object.keys(payload).length) await enqueueIn(s, 'inspection.save', { id, ...payload }, user.id);
  });
  emit('inspections', 'outbox');
}

/** setLocal changes fields only this device keeps (the wizard's step, notices). */
export async function setLocal(id, patch) {
  await tx(S.inspections, 'readwrite', async (s) => {
    const cur = await req(s.inspections.get(id));
    if (cur) await req(s.inspections.put(Object.assign(cur, patch)));
  });
  emit('inspections');
}

/**
 * completeInspection queues the completion. The device shows it completed at
 * once; a rejection from the server turns it back into a draft with the
 * server's problems listed.
 */
export async function completeInspection(id, user) {
  await tx([S.inspections, S.outbox], 'readwrite', async (s) => {
    const cur = await req(s.inspections.get(id));
    Object.assign(cur, { status: 'completed', complete_pending: true, problems: null, completed_by: user.username,
      completed_at: new Date().toISOString() });
    await req(s.inspections.put(cur));
    await enqueueIn(s, 'inspection.complete', { id }, user.id);
  });
  emit('inspections', 'outbox');
}

/**
 * discardInspection throws away a draft opened by mistake. One the server
 * never received goes without a trace; otherwise inspection.discard is queued.
 */
export async function discardInspection(id, reason, user) {
  const local = await tx([S.inspections, S.outbox], 'readwrite', async (s) => {
    const entries = await req(s.outbox.getAll());
    const mine = entries.filter((e) => e.group === id);
    const reached = mine.some((e) => e.sent) || (await req(s.inspections.get(id)))?.version > 0;
    if (!reached) {
      for (const e of mine) await req(s.outbox.delete(e.seq));
    }
    await req(s.inspections.delete(id));
    return !reached;
  });
  if (!local) await enqueue('inspection.discard', { id, reason }, user.id);
  emit('inspections', 'outbox');
}

/**
 * applyChanges stores one page of the pull feed. The device's drafts win
 * over the server's copy while they have changes queued: those reach the
 * server first and lose there if someone else changed the record meanwhile.
 */
export async function applyChanges(changes) {
  const stores = [S.meta, S.returns, S.inspections, S.media, S.units, S.outbox];
  const verified = [];
  await tx(stores, 'readwrite', async (s) => {
    const entries = await req(s.outbox.getAll());
    const basesRow = await req(s.meta.get('bases'));
    const bases = basesRow ? basesRow.value : {};
    for (const c of changes) {
      const d = c.data || {};
      switch (c.entity) {
        case 'policies':
          await req(s.meta.put({ key: 'policies', value: d }));
          break;
        case 'return':
          if (c.op === 'delete') await req(s.returns.delete(c.id));
          else await req(s.returns.put(withCodes(d)));
          break;
        case 'unit':
          if (c.op === 'delete') await req(s.units.delete(c.id));
          else await req(s.units.put(d));
          break;
        case 'inspection': {
          const cur = await req(s.inspections.get(c.id));
          const queued = hasQueued(entries, c.id);
          if (c.op === 'delete') {
            if (!queued) await req(s.inspections.delete(c.id));
            break;
          }
          if (queued && cur) {
            cur.server = d; // kept to show "changed on another device"
            await req(s.inspections.put(cur));
            break;
          }
          const keep = cur ? { step: cur.step, inspector_name: cur.inspector_name, origin: cur.origin } : { origin: 'server' };
          await req(s.inspections.put({ ...keep, ...d, checklist: d.checklist || {}, server: null, conflict: null,
            complete_pending: false, problems: d.status === 'completed' ? null : cur?.problems || null }));
          bases[c.id] = d.version;
          break;
        }
        case 'media': {
          const cur = await req(s.media.get(c.id));
          if (c.op === 'delete') {
            if (!cur || !cur.local) await req(s.media.delete(c.id));
            break;
          }
          if (cur && cur.local) {
            cur.server_status = d.status;
            if (d.status === 'verified') verified.push(c.id);
            await req(s.media.put(cur));
          } else {
            await req(s.media.put({ ...d, local: false, state: d.status }));
          }
          break;
        }
        default:
          break; // an entity this app version does not know yet
      }
    }
    await req(s.meta.put({ key: 'bases', value: bases }));
  });
  return verified;
}

/**
 * resetServerCopies drops every server copy after a 410 (the server was
 * restored or this device was away too long). The outbox, drafts with
 * changes queued and local media stay.
 */
export async function resetServerCopies() {
  const stores = [S.meta, S.returns, S.inspections, S.media, S.units, S.outbox];
  await tx(stores, 'readwrite', async (s) => {
    const entries = await req(s.outbox.getAll());
    await req(s.returns.clear());
    await req(s.units.clear());
    for (const insp of await req(s.inspections.getAll())) {
      if (insp.origin !== 'local' && !hasQueued(entries, insp.id)) await req(s.inspections.delete(insp.id));
    }
    for (const m of await req(s.media.getAll())) {
      if (!m.local) await req(s.media.delete(m.id));
    }
    await req(s.meta.put({ key: 'cursor', value: '' }));
  });
  emit('returns', 'inspections', 'media');
}
