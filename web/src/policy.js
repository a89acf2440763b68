// Policies: Amazon's deadlines and fee rules, as the server sends them in
// the first pull page (entity "policies"). The defaults here only cover a
// device that has never pulled; the server's figures always win.

export const DEFAULT_POLICY = Object.freeze({
  timezone: 'America/Los_Angeles',
  holidays: [],
  fba_return_window_days: 60,
  claim_window_opens_days: 60,
  claim_window_closes_days: 120,
  refund_due_business_days: 2,
  atoz_response_hours: 48,
  atoz_info_response_hours: 72,
  atoz_appeal_days: 30,
  safet_window_days: 60,
  safet_photo_days: 7,
  fee_bands: {
    resellable: { max_percent: 0, suggested_percent: 0 },
    refurbished_used: { max_percent: 50, suggested_percent: 20 },
    destroy: { max_percent: 50, suggested_percent: 50 },
  },
  fee_photo_threshold_percent: 20,
});

// inherit lays o over base the way the server does: a zero or missing field
// inherits, a null holiday list inherits, fee bands merge per grade.
function inherit(base, o) {
  const out = { ...base };
  for (const [k, v] of Object.entries(o || {})) {
    if (k === 'fee_bands' || k === 'holidays') continue;
    if (v !== 0 && v !== '' && v != null) out[k] = v;
  }
  out.holidays = Array.isArray(o?.holidays) ? [...o.holidays] : [...(base.holidays || [])];
  out.fee_bands = { ...(base.fee_bands || {}), ...(o?.fee_bands || {}) };
  return out;
}

/** policyFor returns the complete policy of a marketplace from the pulled policies document. */
export function policyFor(policies, marketplace) {
  const def = inherit(DEFAULT_POLICY, policies?.default);
  const key = String(marketplace || '').trim().toUpperCase();
  const o = key && policies?.marketplaces ? policies.marketplaces[key] : null;
  return o ? { ...inherit(def, o), marketplace: key } : def;
}
