import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyResults, bodyOf, coalesceTarget, groupOf, hasQueued, keepMine, planBatch, takeTheirs,
} from '../src/outbox-core.js';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
let n = 0;
function entry(type, payload, extra = {}) {
  n++;
  return {
    seq: n, id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, type, payload,
    group: groupOf(type, payload), actor_id: 'ana', state: 'pending', sent: false, ...extra,
  };
}
const save = (id, fields = {}, extra) => entry('inspection.save', { id, ...fields }, extra);
const complete = (id, extra) => entry('inspection.complete', { id }, extra);
const declare = (inspection, id = `m${n}`) => entry('media.declare', { id, inspection_id: inspection, kind: 'package' });
const user = { userId: 'ana' };

test('groupOf names what a mutation is about', () => {
  assert.equal(groupOf('inspection.save', { id: A }), A);
  assert.equal(groupOf('media.declare', { id: 'm', inspection_id: A }), A);
  assert.equal(groupOf('return.receive', { return_id: 'r1' }), 'return:r1');
});

test('a new inspection: its first save creates it (no base_version), the rest wait a round', () => {
  const entries = [save(A, { grade: 'destroy' }), declare(A), declare(A), complete(A)];
  const bases = {};
  let plan = planBatch(entries, bases, user);
  assert.deepEqual(plan.map((p) => p.entry.type), ['inspection.save', 'media.declare', 'media.declare']);
  assert.equal(bodyOf(plan[0]).payload.base_version, undefined, 'a creating save names no base version');
  applyResults(entries, bases, plan, plan.map((p, i) => ({ id: p.entry.id, status: 'applied', version: i === 0 ? 1 : undefined })));
  assert.equal(bases[A], 1);
  plan = planBatch(entries, bases, user);
  assert.deepEqual(plan.map((p) => p.entry.type), ['inspection.complete']);
  assert.equal(bodyOf(plan[0]).payload.base_version, 1, 'the completion builds on the applied save');
  applyResults(entries, bases, plan, [{ id: plan[0].entry.id, status: 'applied', version: 2, waiting_files: 2 }]);
  assert.equal(entries.length, 0);
  assert.equal(bases[A], 2);
});

test('mutations go in seq order, and one versioned mutation per inspection per push', () => {
  const entries = [save(B, {}), save(A, {}), complete(B), save(A, { notes: 'x' }), entry('return.receive', { return_id: 'r9' })];
  const plan = planBatch([...entries].reverse(), { [A]: 4, [B]: 7 }, user);
  assert.deepEqual(plan.map((p) => [p.entry.seq, p.base]), [[entries[0].seq, 7], [entries[1].seq, 4], [entries[4].seq, 0]]);
  assert.equal(bodyOf(plan[1]).payload.base_version, 4);
  assert.equal(bodyOf(plan[2]).payload.base_version, undefined, 'return.receive has no version');
  assert.equal(bodyOf(plan[0]).actor_id, 'ana', 'every mutation says who made it');
});

test('an answer lost in the network: the duplicate moves the base as if applied', () => {
  const entries = [save(A, { grade: 'destroy' })];
  const bases = { [A]: 3 };
  const plan = planBatch(entries, bases, user);
  applyResults(entries, bases, plan, [{ id: plan[0].entry.id, status: 'duplicate', first_status: 'applied' }]);
  assert.equal(bases[A], 4);
  assert.equal(entries.length, 0);
});

test('retry keeps the mutation for the next push; no answer is a retry', () => {
  const entries = [save(A, {}), save(B, {})];
  const bases = { [A]: 2 };
  const plan = planBatch(entries, bases, user);
  const events = applyResults(entries, bases, plan, [
    { id: plan[0].entry.id, status: 'retry', error: { code: 'conflict', message: 'an earlier change has not arrived' } },
  ]);
  assert.deepEqual(events.map((e) => e.kind), ['retry', 'retry']);
  assert.equal(entries.length, 2);
  assert.equal(entries[0].state, 'pending');
  assert.equal(bases[A], 2);
});

test('a lost conflict holds the later changes of that inspection only', () => {
  const entries = [save(A, { grade: 'destroy' }), complete(A), save(B, {}), complete(B)];
  const bases = { [A]: 3, [B]: 5 };
  let plan = planBatch(entries, bases, user);
  assert.deepEqual(plan.map((p) => p.entry.seq), [entries[0].seq, entries[2].seq]);
  const events = applyResults(entries, bases, plan, [
    { id: entries[0].id, status: 'rejected', error: { code: 'conflict', message: 'changed elsewhere', current_version: 4 } },
    { id: entries[2].id, status: 'applied', version: 6 },
  ]);
  assert.deepEqual(events.map((e) => e.kind), ['rejected', 'applied']);
  assert.equal(entries[0].state, 'rejected', 'kept, to be shown');
  assert.equal(entries[1].state, 'blocked', 'the completion waits for the user');
  assert.equal(bases[A], 3, 'a lost conflict does not move the base');
  assert.ok(hasQueued(entries, A), 'the device keeps its values beside the server’s');
  plan = planBatch(entries, bases, user);
  assert.deepEqual(plan.map((p) => [p.entry.type, p.base]), [['inspection.complete', 6]], 'B goes on; A is held');
});

test('keepMine re-sends the change under a new id on top of the server version', () => {
  const entries = [save(A, { grade: 'destroy' }), complete(A)];
  const bases = { [A]: 3 };
  const plan = planBatch(entries, bases, user);
  applyResults(entries, bases, plan, [{ id: entries[0].id, status: 'rejected', error: { code: 'conflict', current_version: 4 } }]);
  const oldId = entries[0].id;
  keepMine(entries, bases, A, 4, () => 'new-id');
  assert.equal(entries[0].id, 'new-id');
  assert.notEqual(entries[0].id, oldId);
  assert.deepEqual(entries.map((e) => e.state), ['pending', 'pending']);
  const next = planBatch(entries, bases, user);
  assert.deepEqual(next.map((p) => [p.entry.type, bodyOf(p).payload.base_version]), [['inspection.save', 4]]);
});

test('takeTheirs drops the refused and held changes the user gave up', () => {
  const entries = [save(A, { grade: 'destroy' }), declare(A), complete(A)];
  const bases = { [A]: 3 };
  const plan = planBatch(entries, bases, user);
  applyResults(entries, bases, plan, [
    { id: entries[0].id, status: 'rejected', error: { code: 'conflict', current_version: 4 } },
    { id: entries[1].id, status: 'applied' },
  ]);
  const dropped = takeTheirs(entries, bases, A, 4);
  assert.equal(dropped.length, 2);
  assert.equal(entries.length, 0);
  assert.equal(bases[A], 4);
});

test('a refused save (not a conflict) does not stop the next ones', () => {
  const entries = [save(A, { grade: 'nonsense' }), save(A, { notes: 'ok' }, { sent: true })];
  const bases = { [A]: 2 };
  let plan = planBatch(entries, bases, user);
  applyResults(entries, bases, plan, [{ id: entries[0].id, status: 'rejected', error: { code: 'invalid', message: 'bad grade' } }]);
  assert.equal(entries[0].state, 'rejected');
  assert.equal(entries[1].state, 'pending');
  plan = planBatch(entries, bases, user);
  assert.deepEqual(plan.map((p) => [p.entry.seq, p.base]), [[entries[1].seq, 2]], 'same base: nothing was applied');
  assert.equal(hasQueued([entries[0]], A), false, 'a plain refusal does not hold the server copy back');
});

test('a duplicate of a refused mutation stays refused', () => {
  const entries = [complete(A)];
  const bases = { [A]: 2 };
  const plan = planBatch(entries, bases, user);
  applyResults(entries, bases, plan, [{ id: entries[0].id, status: 'duplicate', first_status: 'rejected', error: { code: 'invalid', message: 'label photo' } }]);
  assert.equal(entries[0].state, 'rejected');
  assert.equal(entries[0].error.message, 'label photo');
});

test('another user’s changes wait for them, unless a lead pushes', () => {
  const entries = [save(A, {}, { actor_id: 'bo' }), save(A, { notes: 'mine' }), save(B, {})];
  assert.deepEqual(planBatch(entries, {}, { userId: 'ana' }).map((p) => p.entry.payload.id), [B],
    'an inspection stops at the first change another user made');
  assert.deepEqual(planBatch(entries, {}, { userId: 'ana', mayPushOthers: true }).map((p) => p.entry.payload.id), [A, B]);
});

test('coalesceTarget merges into an unsent save only', () => {
  const s1 = save(A, { grade: 'destroy' });
  const d = declare(A);
  assert.equal(coalesceTarget([s1, d], A), s1, 'a declaration in between does not matter');
  assert.equal(coalesceTarget([{ ...s1, sent: true }], A), null, 'a sent save is frozen');
  assert.equal(coalesceTarget([s1, complete(A)], A), null, 'never past a completion');
  assert.equal(coalesceTarget([s1], B), null);
  assert.equal(coalesceTarget([{ ...s1, state: 'rejected' }], A), null);
});

test('a batch is capped', () => {
  const entries = Array.from({ length: 10 }, (_, i) => save(`insp-${i}`, {}));
  assert.equal(planBatch(entries, {}, { ...user, max: 4 }).length, 4);
});
