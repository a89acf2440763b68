// Deadlines a parcel carries, computed on the device so that the bench sees
// "refund due in 1 business day" with no network. This mirrors the server's
// inspection/deadline.go closely enough for the bench; the back office reads
// the server's own figures. Business days are counted in the policy's time
// zone, skipping weekends and the policy's holidays.

const DAY = 86400000;

const formatters = new Map();

function formatter(tz) {
  let f = formatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch {
      f = formatter('UTC'); // an unknown zone must not break the scan screen
    }
    formatters.set(tz, f);
  }
  return f;
}

/** wallClock returns the calendar date and time of instant ms in zone tz. */
export function wallClock(ms, tz) {
  const p = {};
  for (const { type, value } of formatter(tz).formatToParts(new Date(ms))) p[type] = Number(value);
  return { y: p.year, m: p.month, d: p.day, h: p.hour % 24, mi: p.minute, s: p.second, ms: ((ms % 1000) + 1000) % 1000 };
}

function offsetAt(ms, tz) {
  const w = wallClock(ms, tz);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s, w.ms) - ms;
}

/**
 * instantOf is the instant of a wall-clock time in zone tz. Date.UTC
 * normalises overflowing days and months, so d + 1 at the end of a month is
 * the first of the next.
 */
export function instantOf({ y, m, d, h = 0, mi = 0, s = 0, ms = 0 }, tz) {
  const guess = Date.UTC(y, m - 1, d, h, mi, s, ms);
  const first = guess - offsetAt(guess, tz);
  const second = guess - offsetAt(first, tz);
  return second;
}

function civilDate(w) {
  const t = new Date(Date.UTC(w.y, w.m - 1, w.d));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate(), dow: t.getUTCDay() };
}

function isoDate({ y, m, d }) {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function isBusinessDay(w, policy) {
  const c = civilDate(w);
  if (c.dow === 0 || c.dow === 6) return false;
  return !(policy.holidays || []).includes(isoDate(c));
}

// businessStart moves a time on a non-business day to 00:00 of the next
// business day: a parcel that arrives on Saturday starts its clock on Monday.
function businessStart(ms, policy) {
  const tz = policy.timezone;
  let w = wallClock(ms, tz);
  if (isBusinessDay(w, policy)) return w;
  w = { ...civilDate({ ...w, d: w.d + 1 }), h: 0, mi: 0, s: 0, ms: 0 };
  while (!isBusinessDay(w, policy)) w = { ...w, ...civilDate({ ...w, d: w.d + 1 }) };
  return w;
}

// nextBusinessDay keeps the wall-clock time, as the server does across DST.
function nextBusinessDay(w, policy) {
  let next = { ...w, ...civilDate({ ...w, d: w.d + 1 }) };
  while (!isBusinessDay(next, policy)) next = { ...next, ...civilDate({ ...next, d: next.d + 1 }) };
  return next;
}

/** addBusinessDays counts n business days from instant ms in the policy's zone, keeping the time of day. */
export function addBusinessDays(ms, n, policy) {
  let w = businessStart(ms, policy);
  for (let i = 0; i < n; i++) w = nextBusinessDay(w, policy);
  return instantOf(w, policy.timezone);
}

/**
 * businessDaysBetween is the number of whole business days from `from` to
 * `to`: 1 means "due in 1 business day", 0 means less than one is left, and a
 * negative number says how many business days a deadline is overdue.
 */
export function businessDaysBetween(from, to, policy) {
  if (to < from) return -businessDaysBetween(to, from, policy);
  let w = businessStart(from, policy);
  let n = 0;
  for (;;) {
    w = nextBusinessDay(w, policy);
    if (instantOf(w, policy.timezone) > to) return n;
    n++;
    if (n > 3660) return n; // a policy mistake must not hang the page
  }
}

function addDays(ms, days, policy) {
  const w = wallClock(ms, policy.timezone);
  return instantOf({ ...w, ...civilDate({ ...w, d: w.d + days }) }, policy.timezone);
}

const DUE_SOON_ACTION = DAY;
const DUE_SOON_WINDOW = 7 * DAY;

function actionStatus(due, now) {
  if (now > due) return 'overdue';
  return due - now <= DUE_SOON_ACTION ? 'due_soon' : 'upcoming';
}

function closingStatus(closes, now) {
  if (now > closes) return 'closed';
  return closes - now <= DUE_SOON_WINDOW ? 'due_soon' : 'open';
}

function time(v) {
  if (!v) return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

/**
 * deadlinesFor lists the deadlines of a return at now, earliest first, each
 * {name, due (ms), status}; the same rules as the server's Policy.Deadlines.
 */
export function deadlinesFor(ret, policy, now = Date.now()) {
  const out = [];
  if (!ret) return out;
  const arrived = time(ret.arrived_at);
  const refunded = time(ret.refunded_at);
  const add = (name, due, status) => out.push({ name, due, status });
  if (ret.channel === 'mfn') {
    if (arrived != null && refunded == null) {
      const due = addBusinessDays(arrived, policy.refund_due_business_days, policy);
      add('refund_due', due, actionStatus(due, now));
    }
    if (refunded != null) {
      const closes = addDays(refunded, policy.safet_window_days, policy);
      add('safet_window_closes', closes, closingStatus(closes, now));
    }
    if (arrived != null) {
      const due = addDays(arrived, policy.safet_photo_days, policy);
      add('safet_photos_due', due, actionStatus(due, now));
    }
  } else if (ret.channel === 'fba' && refunded != null && arrived == null) {
    const expected = addDays(refunded, policy.fba_return_window_days, policy);
    add('fba_unit_expected', expected, actionStatus(expected, now));
    const opens = addDays(refunded, policy.claim_window_opens_days, policy);
    const closes = addDays(refunded, policy.claim_window_closes_days, policy);
    if (now < opens) {
      add('claim_window_opens', opens, opens - now <= DUE_SOON_WINDOW ? 'due_soon' : 'upcoming');
      add('claim_window_closes', closes, 'upcoming');
    } else if (now <= closes) {
      add('claim_window_opens', opens, 'open');
      add('claim_window_closes', closes, closingStatus(closes, now));
    } else {
      add('claim_window_opens', opens, 'closed');
      add('claim_window_closes', closes, 'closed');
    }
  }
  if (ret.atoz_claim) {
    const start = time(ret.requested_at) ?? refunded ?? time(ret.created_at);
    if (start != null) {
      const due = start + policy.atoz_response_hours * 3600000;
      add('atoz_response_due', due, actionStatus(due, now));
      const closes = addDays(start, policy.atoz_appeal_days, policy);
      add('atoz_appeal_closes', closes, closingStatus(closes, now));
    }
  }
  out.sort((a, b) => a.due - b.due);
  return out;
}

/**
 * countdown describes how far a deadline is in the unit people speak of:
 * business days for the refund clock, hours under a day, days otherwise.
 * It returns {unit: 'business_days'|'days'|'hours', n, overdue}.
 */
export function countdown(deadline, policy, now = Date.now()) {
  const overdue = now > deadline.due;
  if (deadline.name === 'refund_due') {
    const n = businessDaysBetween(now, deadline.due, policy);
    if (n !== 0) return { unit: 'business_days', n: Math.abs(n), overdue };
  }
  const diff = Math.abs(deadline.due - now);
  if (diff < DAY) return { unit: 'hours', n: Math.max(1, Math.round(diff / 3600000)), overdue };
  return { unit: 'days', n: Math.floor(diff / DAY), overdue };
}
