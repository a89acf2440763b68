import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addBusinessDays, businessDaysBetween, deadlinesFor, countdown, instantOf, wallClock } from '../src/deadlines.js';
import { policyFor, DEFAULT_POLICY } from '../src/policy.js';

// Calendar (2026, America/Los_Angeles), as in inspection/deadline_test.go:
// Fri 2 Jan, Sat 3, Sun 4, Mon 5, Tue 6, Wed 7. DST starts Sun 8 Mar, ends
// Sun 1 Nov. Thanksgiving Thu 26 Nov, Christmas Fri 25 Dec.
const TZ = 'America/Los_Angeles';
const policy = { ...DEFAULT_POLICY, holidays: ['2026-11-26', '2026-12-25'] };

function la(s) {
  const [d, tm] = s.split(' ');
  const [y, m, day] = d.split('-').map(Number);
  const [h, mi, sec] = tm.split(':').map(Number);
  return instantOf({ y, m, d: day, h, mi, s: sec }, TZ);
}

test('instantOf and wallClock agree', () => {
  const t = la('2026-03-08 03:30:00'); // just after the spring-forward gap
  const w = wallClock(t, TZ);
  assert.deepEqual([w.y, w.m, w.d, w.h, w.mi], [2026, 3, 8, 3, 30]);
  assert.equal(new Date(la('2026-01-02 15:00:00')).toISOString(), '2026-01-02T23:00:00.000Z');
  assert.equal(new Date(la('2026-07-01 15:00:00')).toISOString(), '2026-07-01T22:00:00.000Z');
});

test('addBusinessDays matches the server', async (t) => {
  const cases = [
    ['FridayOverWeekend', '2026-01-02 15:00:00', 2, '2026-01-06 15:00:00'],
    ['SaturdayCountsFromMonday', '2026-01-03 10:00:00', 2, '2026-01-07 00:00:00'],
    ['SundayCountsFromMonday', '2026-01-04 23:59:00', 2, '2026-01-07 00:00:00'],
    ['ThursdayOverWeekend', '2026-01-08 09:00:00', 2, '2026-01-12 09:00:00'],
    ['MidWeek', '2026-01-06 08:30:00', 2, '2026-01-08 08:30:00'],
    ['ZeroOnWeekdayIsUnchanged', '2026-01-06 08:30:00', 0, '2026-01-06 08:30:00'],
    ['ZeroOnSaturdayIsMondayMorning', '2026-01-03 10:00:00', 0, '2026-01-05 00:00:00'],
    ['SkipsHoliday', '2026-11-25 12:00:00', 2, '2026-11-30 12:00:00'],
    ['ArrivalOnHoliday', '2026-11-26 12:00:00', 2, '2026-12-01 00:00:00'],
    ['HolidayFridayThenWeekend', '2026-12-24 16:00:00', 1, '2026-12-28 16:00:00'],
    ['ArrivalOnHolidayBeforeWeekend', '2026-12-25 09:00:00', 1, '2026-12-29 00:00:00'],
    ['DSTStartKeepsWallClock', '2026-03-06 15:00:00', 2, '2026-03-10 15:00:00'],
    ['DSTEndKeepsWallClock', '2026-10-30 15:00:00', 1, '2026-11-02 15:00:00'],
  ];
  for (const [name, from, n, want] of cases) {
    await t.test(name, () => {
      assert.equal(new Date(addBusinessDays(la(from), n, policy)).toISOString(), new Date(la(want)).toISOString());
    });
  }
  await t.test('PolicyZoneDecidesTheDay', () => {
    // Fri 23:30 in Los Angeles is Saturday in UTC: still Friday for the policy.
    assert.equal(addBusinessDays(la('2026-01-02 23:30:00'), 1, policy), la('2026-01-05 23:30:00'));
  });
});

test('businessDaysBetween matches the server', async (t) => {
  const cases = [
    ['TwoLeft', '2026-01-02 15:00:00', '2026-01-06 15:00:00', 2],
    ['OneSecondShortOfTwo', '2026-01-02 15:00:01', '2026-01-06 15:00:00', 1],
    ['OneLeft', '2026-01-05 10:00:00', '2026-01-06 15:00:00', 1],
    ['LessThanOneLeft', '2026-01-06 10:00:00', '2026-01-06 15:00:00', 0],
    ['SameInstant', '2026-01-06 10:00:00', '2026-01-06 10:00:00', 0],
    ['FromSaturday', '2026-01-03 10:00:00', '2026-01-07 00:00:00', 2],
    ['OverHoliday', '2026-11-25 12:00:00', '2026-11-30 12:00:00', 2],
    ['OverdueIsNegative', '2026-01-08 15:00:00', '2026-01-06 15:00:00', -2],
  ];
  for (const [name, from, to, want] of cases) {
    await t.test(name, () => assert.equal(businessDaysBetween(la(from), la(to), policy), want));
  }
});

test('a seller-fulfilled parcel shows "refund due in N business days"', () => {
  const ret = { channel: 'mfn', arrived_at: new Date(la('2026-01-02 15:00:00')).toISOString() };
  const [due, photos] = deadlinesFor(ret, policy, la('2026-01-05 10:00:00'));
  assert.equal(due.name, 'refund_due');
  assert.equal(due.due, la('2026-01-06 15:00:00'));
  assert.equal(due.status, 'upcoming');
  assert.deepEqual(countdown(due, policy, la('2026-01-05 10:00:00')), { unit: 'business_days', n: 1, overdue: false });
  assert.equal(photos.name, 'safet_photos_due');
  // Under a business day left: hours.
  assert.deepEqual(countdown(due, policy, la('2026-01-06 10:00:00')), { unit: 'hours', n: 5, overdue: false });
  const late = deadlinesFor(ret, policy, la('2026-01-08 16:00:00'))[0];
  assert.equal(late.status, 'overdue');
  assert.deepEqual(countdown(late, policy, la('2026-01-08 16:00:00')), { unit: 'business_days', n: 2, overdue: true });
});

test('a refunded parcel has no refund clock; FBA gets its claim window', () => {
  const refunded = new Date(la('2026-05-01 10:00:00')).toISOString();
  const mfn = deadlinesFor({ channel: 'mfn', arrived_at: refunded, refunded_at: refunded }, policy, la('2026-05-02 10:00:00'));
  assert.deepEqual(mfn.map((d) => d.name), ['safet_photos_due', 'safet_window_closes']);
  const fba = deadlinesFor({ channel: 'fba', refunded_at: refunded }, policy, la('2026-05-02 10:00:00'));
  assert.deepEqual(fba.map((d) => [d.name, d.status]), [
    ['fba_unit_expected', 'upcoming'], ['claim_window_opens', 'upcoming'], ['claim_window_closes', 'upcoming'],
  ]);
  assert.equal(fba[1].due, la('2026-06-30 10:00:00'));
  assert.deepEqual(deadlinesFor({ channel: 'fba', refunded_at: refunded, arrived_at: refunded }, policy, la('2026-05-02 10:00:00')), []);
});

test('policyFor lays a marketplace over the default like the server', () => {
  const doc = {
    default: { ...DEFAULT_POLICY, timezone: 'America/New_York', holidays: ['2026-12-25'] },
    marketplaces: { UK: { timezone: 'Europe/London', refund_due_business_days: 3, fee_bands: { refurbished_used: { max_percent: 40, suggested_percent: 15 } } } },
  };
  const uk = policyFor(doc, ' uk ');
  assert.equal(uk.timezone, 'Europe/London');
  assert.equal(uk.refund_due_business_days, 3);
  assert.deepEqual(uk.holidays, ['2026-12-25'], 'a marketplace without holidays inherits the default’s');
  assert.equal(uk.fee_bands.refurbished_used.max_percent, 40);
  assert.equal(uk.fee_bands.destroy.max_percent, 50);
  assert.equal(policyFor(doc, 'US').timezone, 'America/New_York');
  assert.equal(policyFor(undefined, '').refund_due_business_days, 2, 'defaults before the first pull');
});
