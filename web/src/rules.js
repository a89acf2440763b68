// The bench's rules, mirrored from the server's inspection/rules.go so the
// wizard can say what is missing before the inspector taps "Complete" with
// no network. The server checks again and has the last word: its problems
// (same codes) are shown when it rejects a completion.

export const GRADES = ['resellable', 'refurbished_used', 'destroy'];

export const USED_CONDITIONS = ['like_new', 'very_good', 'good', 'acceptable'];

export const VERDICTS = ['not_applicable', 'claim_disputed', 'item_swapped', 'claim_supported'];

export const CHECKLIST = [
  'outer_package_intact', 'factory_seal_intact', 'accessories_complete',
  'signs_of_use', 'same_item', 'functional_test',
];

/** Photo kinds offered after the label close-up and the video, in bench order. */
export const PHOTO_KINDS = ['package', 'contents', 'accessories', 'serial', 'damage', 'other'];

const DISPOSITIONS = {
  resellable: ['relabel_restock'],
  refurbished_used: ['list_used', 'refurbish'],
  destroy: ['dispose', 'removal', 'donate'],
};

/** dispositionsFor lists what may happen to a unit of grade g (none for no grade). */
export function dispositionsFor(grade) {
  return DISPOSITIONS[grade] || [];
}

/** normalizeReason strips marketplace prefixes (CR-, AMZ-PG-) like the server. */
export function normalizeReason(raw) {
  let r = String(raw || '').trim().toUpperCase();
  for (let trimmed = true; trimmed;) {
    trimmed = false;
    for (const p of ['AMZ-PG-', 'CR-']) {
      if (r.startsWith(p)) {
        r = r.slice(p.length);
        trimmed = true;
      }
    }
  }
  return r.replaceAll(' ', '_');
}

const SELLER_FAULT = new Set(['DEFECTIVE', 'NOT_AS_DESCRIBED', 'QUALITY_UNACCEPTABLE', 'MISSING_PARTS', 'SWITCHEROO']);

/** reasonOf is a return's normalised reason ("" without a return). */
export function reasonOf(ret) {
  if (!ret) return '';
  return ret.reason || normalizeReason(ret.reason_raw);
}

/** blamesSeller: the buyer's reason puts the fault on the seller, so the claim can be disputed. */
export function blamesSeller(reason) {
  return SELLER_FAULT.has(reason);
}

function hasMedia(media, kinds) {
  return media.some((m) => m.status !== 'rejected' && kinds.includes(m.kind));
}

export const hasLabelPhoto = (media) => hasMedia(media, ['label_closeup']);
export const hasItemPhoto = (media) => hasMedia(media, ['contents', 'damage', 'serial', 'accessories']);

/**
 * suggestedFee is the fee the bench proposes: the band's suggestion, lowered
 * to just under the photo threshold when there is no photo of the item, so
 * that accepting the suggestion never blocks completion.
 */
export function suggestedFee(policy, grade, itemPhoto, ret) {
  if (ret && ret.channel === 'fba') return 0; // Amazon refunds FBA returns itself
  const band = policy.fee_bands?.[grade];
  if (!band) return 0;
  let pct = Math.min(band.suggested_percent, band.max_percent);
  if (!itemPhoto && pct >= policy.fee_photo_threshold_percent) pct = policy.fee_photo_threshold_percent - 1;
  return Math.max(pct, 0);
}

/** maxFee is the largest fee the grade's band allows (0 for FBA or no grade). */
export function maxFee(policy, grade, ret) {
  if (ret && ret.channel === 'fba') return 0;
  return policy.fee_bands?.[grade]?.max_percent ?? 0;
}

/**
 * completionProblems lists every reason the inspection cannot be completed
 * yet, as [{code, field}] with the server's codes; the screen words them.
 * media are the inspection's files (kind, status); ret the matched return.
 */
export function completionProblems(insp, ret, media, policy) {
  const ps = [];
  const add = (code, field, extra) => ps.push({ code, field, ...extra });
  const allowed = dispositionsFor(insp.grade);
  if (insp.disposition && insp.grade && !allowed.includes(insp.disposition)) add('disposition_not_allowed', 'disposition');
  if (insp.used_condition && (insp.grade !== 'refurbished_used' || (insp.disposition && insp.disposition !== 'list_used'))) {
    add('used_condition_not_allowed', 'used_condition');
  }
  if (!insp.grade) add('grade_required', 'grade');
  if (!insp.disposition) add('disposition_required', 'disposition');
  if (!insp.verdict) add('verdict_required', 'verdict');
  if (insp.disposition === 'list_used' && !insp.used_condition) add('used_condition_required', 'used_condition');
  if ((insp.verdict === 'claim_disputed' || insp.verdict === 'item_swapped') && !hasLabelPhoto(media)) {
    add('label_photo_required', 'photos');
  }
  if ((insp.verdict === 'claim_supported' || insp.verdict === 'claim_disputed') && !blamesSeller(reasonOf(ret))) {
    add('verdict_needs_reason', 'verdict');
  }
  const fee = insp.restocking_fee_percent || 0;
  if (fee > 0) {
    if (ret && ret.channel === 'fba') add('fee_not_allowed', 'fee');
    if (fee >= policy.fee_photo_threshold_percent && !hasItemPhoto(media)) {
      add('fee_photo_required', 'fee', { threshold: policy.fee_photo_threshold_percent });
    }
    const band = policy.fee_bands?.[insp.grade];
    if (GRADES.includes(insp.grade) && fee > (band?.max_percent ?? 0)) {
      add('fee_above_band', 'fee', { max: band?.max_percent ?? 0 });
    }
  }
  if (insp.grade === 'resellable') {
    const c = insp.checklist || {};
    if (c.signs_of_use === true || c.same_item === false) add('resellable_not_intact', 'grade');
  }
  return ps;
}

/**
 * verdictHint says which verdict fits the buyer's reason, so the screen can
 * put it first: a reason that blames the seller can be disputed; any other
 * reason (or none) is not_applicable.
 */
export function verdictHint(ret) {
  return blamesSeller(reasonOf(ret)) ? 'claim_disputed' : 'not_applicable';
}
