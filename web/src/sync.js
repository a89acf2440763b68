// Sync with the server: push the outbox, pull the change feed, then let the
// uploads run. It runs on launch, when the phone comes back online, when the
// app becomes visible again, every minute while visible and shortly after a
// change (iOS has no Background Sync, so nothing relies on it). Tabs of the
// app take turns through a Web Lock.

import { S, tx, req, getMeta, setMeta } from './db.js';
import { api, isOffline } from './api.js';
import { emit, on } from './bus.js';
import { applyResults, bodyOf, planBatch } from './outbox-core.js';
import { applyChanges, resetServerCopies } from './records.js';
import { markVerified } from './media.js';
import { pump } from './uploads.js';
import { auth, finishPendingLogout } from './auth.js';
import { notify } from './toast.js';

/** status: what the header and the queue screen show. */
export const status = { state: 'idle', lastSyncAt: null, error: null };

const MAX_ROUNDS = 20;
const PULL_LIMIT = 500;

function setStatus(patch) {
  Object.assign(status, patch);
  emit('sync');
}

async function clientID() {
  let id = await getMeta('client_id');
  if (!id) {
    id = crypto.randomUUID();
    await setMeta('client_id', id);
  }
  return id;
}

// sideEffect brings the device's records in line with one answer.
async function sideEffect(s, ev) {
  const { entry: e, result: r, kind } = ev;
  const err = e.error;
  if (e.type.startsWith('inspection.')) {
    const insp = await req(s.inspections.get(e.payload.id));
    if (!insp) return;
    if (kind === 'applied') {
      if (r && r.version) insp.version = r.version;
      insp.rejection = null;
      if (e.type === 'inspection.complete') {
        insp.complete_pending = false;
        insp.waiting_files = r?.waiting_files ?? 0;
      }
    } else if (kind === 'rejected') {
      insp.rejection = { type: e.type, seq: e.seq, ...err };
      if (err.code === 'conflict' && err.current_version) insp.conflict = { current_version: err.current_version };
      if (e.type === 'inspection.complete') {
        insp.status = 'draft';
        insp.complete_pending = false;
        insp.problems = err.problems || [];
        insp.step = 'review';
      }
    } else {
      return;
    }
    await req(s.inspections.put(insp));
  } else if (e.type === 'media.declare') {
    const m = await req(s.media.get(e.payload.id));
    if (!m) return;
    if (kind === 'applied') m.declared = true;
    else if (kind === 'rejected') Object.assign(m, { state: 'failed', error: err });
    else return;
    await req(s.media.put(m));
  }
}

// pushRound sends one batch and applies the answers. It returns whether
// the queue moved (something applied or rejected) and whether more waits.
async function pushRound(user, clientId) {
  const plan = await tx([S.outbox, S.meta], 'readwrite', async (s) => {
    const entries = await req(s.outbox.getAll());
    const bases = (await req(s.meta.get('bases')))?.value || {};
    const p = planBatch(entries, bases, { userId: user.id, mayPushOthers: user.role !== 'inspector' });
    // Once sent, an entry's payload is frozen: a resend must be the same mutation.
    for (const x of p) {
      if (!x.entry.sent) {
        x.entry.sent = true;
        await req(s.outbox.put(x.entry));
      }
    }
    return p;
  });
  if (plan.length === 0) return { moved: false };
  const res = await api('POST', '/api/v1/sync/push', { body: { client_id: clientId, mutations: plan.map(bodyOf) }, timeout: 60000 });
  const events = await tx([S.outbox, S.meta, S.inspections, S.media], 'readwrite', async (s) => {
    const entries = await req(s.outbox.getAll());
    const bases = (await req(s.meta.get('bases')))?.value || {};
    const fresh = plan.map((p) => ({ ...p, entry: entries.find((e) => e.seq === p.entry.seq) })).filter((p) => p.entry);
    const before = entries.map((e) => e.seq);
    const evs = applyResults(entries, bases, fresh, res.results);
    const after = new Set(entries.map((e) => e.seq));
    for (const seq of before) if (!after.has(seq)) await req(s.outbox.delete(seq));
    for (const e of entries) await req(s.outbox.put(e));
    await req(s.meta.put({ key: 'bases', value: bases }));
    for (const ev of evs) await sideEffect(s, ev);
    return evs;
  });
  const rejected = events.filter((e) => e.kind === 'rejected').length;
  if (rejected) notify('toast.rejected', { n: rejected }, 'error');
  emit('synced', 'inspections', 'media');
  return { moved: events.some((e) => e.kind !== 'retry') };
}

async function pull() {
  let cursor = (await getMeta('cursor')) || '';
  for (let page = 0; page < 200; page++) {
    let res;
    try {
      res = await api('GET', `/api/v1/sync/pull?cursor=${encodeURIComponent(cursor)}&limit=${PULL_LIMIT}`, { timeout: 60000 });
    } catch (err) {
      if (err.status === 410) {
        await resetServerCopies(); // the server was restored: start over, keep our own work
        cursor = '';
        continue;
      }
      throw err;
    }
    const verified = await applyChanges(res.changes || []);
    for (const id of verified) await markVerified(id);
    cursor = res.cursor || cursor;
    await setMeta('cursor', cursor);
    if ((res.changes || []).length) emit('returns', 'inspections', 'media', 'units', 'policies');
    if (!res.more) return;
  }
}

async function run() {
  const user = auth.user;
  if (!user || auth.expired) {
    setStatus({ state: 'signed_out' });
    return;
  }
  setStatus({ state: 'syncing', error: null });
  try {
    const clientId = await clientID();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const { moved } = await pushRound(user, clientId);
      if (!moved) break;
    }
    await pull();
    const now = new Date().toISOString();
    await setMeta('last_sync', now);
    setStatus({ state: 'idle', lastSyncAt: now });
    pump();
  } catch (err) {
    if (isOffline(err)) setStatus({ state: 'offline' });
    else if (err.status === 401) setStatus({ state: 'signed_out' });
    else setStatus({ state: 'error', error: err.message || String(err) });
  }
}

let running = null;
let again = false;

/** syncNow runs a sync (or one more after the running one) and resolves when done. */
export function syncNow() {
  if (running) {
    again = true;
    return running;
  }
  const locked = navigator.locks
    ? navigator.locks.request('returnbench-sync', () => run())
    : run();
  running = locked.finally(() => {
    running = null;
    if (again) {
      again = false;
      syncNow();
    }
  });
  return running;
}

let soonTimer = 0;
let firstAsk = 0;
const MAX_WAIT = 5000;

/**
 * syncSoon runs a sync after delay ms, folding bursts of changes into one;
 * a steady stream of changes still syncs at least every MAX_WAIT ms.
 */
export function syncSoon(delay = 1500) {
  const now = Date.now();
  if (!firstAsk) firstAsk = now;
  clearTimeout(soonTimer);
  soonTimer = setTimeout(() => {
    firstAsk = 0;
    syncNow();
  }, Math.max(0, Math.min(delay, firstAsk + MAX_WAIT - now)));
}

/** startSync wires the triggers; called once at launch. */
export async function startSync() {
  status.lastSyncAt = (await getMeta('last_sync')) || null;
  addEventListener('online', () => {
    finishPendingLogout();
    syncSoon(500);
  });
  addEventListener('offline', () => setStatus({ state: 'offline' }));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') syncSoon(200);
  });
  setInterval(() => {
    if (document.visibilityState === 'visible') syncNow();
  }, 60000);
  on('outbox', () => syncSoon());
  on('auth', () => {
    if (auth.user && !auth.expired) syncSoon(200);
  });
  finishPendingLogout();
  syncNow();
}
