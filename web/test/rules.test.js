import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completionProblems, dispositionsFor, suggestedFee, maxFee, normalizeReason, verdictHint } from '../src/rules.js';
import { DEFAULT_POLICY } from '../src/policy.js';

const policy = DEFAULT_POLICY;
const codes = (insp, ret, media = []) => completionProblems(insp, ret, media, policy).map((p) => p.code).sort();
const done = { grade: 'refurbished_used', disposition: 'list_used', used_condition: 'good', verdict: 'not_applicable', checklist: {} };
const mfn = { channel: 'mfn', reason: 'UNWANTED_ITEM' };

test('an empty draft lists everything missing at once', () => {
  assert.deepEqual(codes({ checklist: {} }, null), ['disposition_required', 'grade_required', 'verdict_required']);
});

test('a complete draft has no problems', () => {
  assert.deepEqual(codes(done, mfn), []);
});

test('dispositions and used conditions follow the grade', () => {
  assert.deepEqual(dispositionsFor('resellable'), ['relabel_restock']);
  assert.deepEqual(dispositionsFor(''), []);
  assert.deepEqual(codes({ ...done, disposition: 'dispose' }, mfn), ['disposition_not_allowed', 'used_condition_not_allowed']);
  assert.deepEqual(codes({ ...done, used_condition: '' }, mfn), ['used_condition_required']);
});

test('a dispute needs a seller-blaming reason and the label photo', () => {
  const disputed = { ...done, verdict: 'claim_disputed' };
  assert.deepEqual(codes(disputed, mfn), ['label_photo_required', 'verdict_needs_reason']);
  const defective = { channel: 'mfn', reason_raw: 'CR-DEFECTIVE' };
  assert.deepEqual(codes(disputed, defective, [{ kind: 'label_closeup', status: 'uploading' }]), []);
  assert.deepEqual(codes(disputed, defective, [{ kind: 'label_closeup', status: 'rejected' }]), ['label_photo_required'],
    'a file the server rejected does not count');
  assert.equal(verdictHint(defective), 'claim_disputed');
  assert.equal(verdictHint(mfn), 'not_applicable');
});

test('the fee rules: photo of the item, band, FBA', () => {
  assert.deepEqual(codes({ ...done, restocking_fee_percent: 20 }, mfn), ['fee_photo_required']);
  assert.deepEqual(codes({ ...done, restocking_fee_percent: 20 }, mfn, [{ kind: 'contents', status: 'verified' }]), []);
  assert.deepEqual(codes({ ...done, restocking_fee_percent: 60 }, mfn, [{ kind: 'damage' }]), ['fee_above_band']);
  assert.deepEqual(codes({ ...done, restocking_fee_percent: 10 }, { ...mfn, channel: 'fba' }), ['fee_not_allowed']);
  assert.deepEqual(codes({ grade: 'resellable', disposition: 'relabel_restock', verdict: 'not_applicable', restocking_fee_percent: 5, checklist: {} }, mfn),
    ['fee_above_band']);
});

test('the suggestion never blocks completion', () => {
  assert.equal(suggestedFee(policy, 'refurbished_used', true, mfn), 20);
  assert.equal(suggestedFee(policy, 'refurbished_used', false, mfn), 19, 'just under the photo threshold');
  assert.equal(suggestedFee(policy, 'destroy', false, mfn), 19);
  assert.equal(suggestedFee(policy, 'resellable', true, mfn), 0);
  assert.equal(suggestedFee(policy, 'destroy', true, { channel: 'fba' }), 0);
  assert.equal(maxFee(policy, 'destroy', mfn), 50);
});

test('a resellable unit must be intact', () => {
  const r = { grade: 'resellable', disposition: 'relabel_restock', verdict: 'not_applicable' };
  assert.deepEqual(codes({ ...r, checklist: { signs_of_use: true } }, mfn), ['resellable_not_intact']);
  assert.deepEqual(codes({ ...r, checklist: { same_item: false } }, mfn), ['resellable_not_intact']);
  assert.deepEqual(codes({ ...r, checklist: { signs_of_use: false, same_item: true } }, mfn), []);
});

test('normalizeReason strips marketplace prefixes', () => {
  assert.equal(normalizeReason(' cr-amz-pg-defective '), 'DEFECTIVE');
  assert.equal(normalizeReason('Not as described'), 'NOT_AS_DESCRIBED');
});
