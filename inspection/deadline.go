package inspection

import (
	"slices"
	"time"
)

// Deadline names: what the back office must act on, and by when.
const (
	DeadlineRefundDue           = "refund_due"             // MFN: refund the buyer, or Amazon may refund in full
	DeadlineFBAUnitExpected     = "fba_unit_expected"      // FBA: the refunded unit should be back by now
	DeadlineClaimWindowOpens    = "claim_window_opens"     // FBA: a refunded-but-not-returned claim may be filed from here
	DeadlineClaimWindowCloses   = "claim_window_closes"    // FBA: ...and no later than here
	DeadlineAtoZResponseDue     = "atoz_response_due"      // answer the A-to-z claim
	DeadlineAtoZInfoResponseDue = "atoz_info_response_due" // answer Amazon's request for information
	DeadlineAtoZAppealCloses    = "atoz_appeal_closes"     // last moment to appeal the claim's decision
	DeadlineSafeTWindowCloses   = "safet_window_closes"    // MFN: last moment to file a SAFE-T claim
	DeadlineSafeTPhotosDue      = "safet_photos_due"       // MFN: SAFE-T photos must be taken by here
)

// Deadline statuses. A deadline is one of two kinds, and each has its own
// set:
//
// Something we must do by Due (refund_due, fba_unit_expected,
// atoz_response_due, atoz_info_response_due, safet_photos_due):
//   - "upcoming": more than 24 h left (for atoz_info_response_due: Amazon's
//     48 h short edge has not passed yet)
//   - "due_soon": 24 h or less left, Due itself included (atoz_info_response_due:
//     between the 48 h and the 72 h edge)
//   - "overdue": Due has passed
//
// A window in which a claim or appeal may be filed (claim_window_opens,
// claim_window_closes, atoz_appeal_closes, safet_window_closes):
//   - "upcoming": the window has not opened yet (for claim_window_opens:
//     with more than 7 days to go). Only the FBA claim window opens later
//     than the fact that starts it; the others are open from the start.
//   - "due_soon": claim_window_opens: opens within 7 days; a *_closes
//     deadline: the window is open and closes within 7 days
//   - "open": the window is open with more than 7 days left
//   - "closed": the window has closed (the closing instant itself is still open)
const (
	DeadlineUpcoming = "upcoming"
	DeadlineDueSoon  = "due_soon"
	DeadlineOverdue  = "overdue"
	DeadlineOpen     = "open"
	DeadlineClosed   = "closed"
)

// Claim window states, as ClaimWindow returns them.
const (
	ClaimWindowNotYet = "not_yet"
	ClaimWindowOpen   = "open"
	ClaimWindowClosed = "closed"
)

// How early a deadline turns due_soon. These are the bench's own warning
// times, not Amazon's figures: a day is enough to issue a refund or answer
// a message, while a claim needs evidence gathered, so windows warn a week
// ahead.
const (
	dueSoonAction = 24 * time.Hour
	dueSoonWindow = 7 * 24 * time.Hour
)

// Deadline is one date the back office watches for a return.
type Deadline struct {
	Name   string    `json:"name"`
	Due    time.Time `json:"due"`
	Status string    `json:"status"`
}

// isBusinessDay reports whether the calendar day of t (already in the
// policy's zone) is a working day: not a weekend, not a listed holiday.
func (p Policy) isBusinessDay(t time.Time) bool {
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !slices.Contains(p.Holidays, t.Format(time.DateOnly))
}

// businessStart moves a time on a non-business day to the start of the next
// business day: a parcel that arrives on Saturday starts its clock on Monday
// morning, not Saturday afternoon.
func (p Policy) businessStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	if p.isBusinessDay(t) {
		return t
	}
	y, m, d := t.Date()
	t = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	for !p.isBusinessDay(t) {
		y, m, d = t.Date()
		t = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	}
	return t
}

// nextBusinessDay is the same wall-clock time on the next business day;
// time.Date keeps the wall clock across a DST change, where adding 24 h
// would not.
func (p Policy) nextBusinessDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	for {
		d++
		next := time.Date(y, m, d, h, mi, s, t.Nanosecond(), loc)
		if p.isBusinessDay(next) {
			return next
		}
	}
}

// AddBusinessDays counts n business days from t in the policy's zone,
// keeping the time of day. A t on a weekend or holiday counts from 00:00 of
// the next business day, so Fri 15:00 + 2 is Tue 15:00 and Sat 10:00 + 2 is
// Wed 00:00 (the end of Tuesday). A negative n counts as 0. The result is
// in the policy's zone.
func (p Policy) AddBusinessDays(t time.Time, n int) time.Time {
	loc := p.location()
	t = p.businessStart(t, loc)
	for range n {
		t = p.nextBusinessDay(t, loc)
	}
	return t
}

// BusinessDaysBetween returns the whole business days from from to to: the
// largest n with AddBusinessDays(from, n) not after to. It says "refund due
// in 1 business day"; 0 means less than one is left. When to is before from
// the result is negative: how many business days a deadline is overdue.
func (p Policy) BusinessDaysBetween(from, to time.Time) int {
	if to.Before(from) {
		return -p.BusinessDaysBetween(to, from)
	}
	loc := p.location()
	t := p.businessStart(from, loc)
	n := 0
	for {
		t = p.nextBusinessDay(t, loc)
		if t.After(to) {
			return n
		}
		n++
	}
}

// addDays adds calendar days in the policy's zone, so that "60 days after a
// 10:00 refund" is 10:00 whether or not the clocks changed in between.
func (p Policy) addDays(t time.Time, days int) time.Time {
	return t.In(p.location()).AddDate(0, 0, days)
}

// actionStatus is the status of something we must do by due.
func actionStatus(due, now time.Time) string {
	switch {
	case now.After(due):
		return DeadlineOverdue
	case due.Sub(now) <= dueSoonAction:
		return DeadlineDueSoon
	default:
		return DeadlineUpcoming
	}
}

// closingStatus is the status of a window that is open now or already
// closed; the closing instant still belongs to the window.
func closingStatus(closes, now time.Time) string {
	switch {
	case now.After(closes):
		return DeadlineClosed
	case closes.Sub(now) <= dueSoonWindow:
		return DeadlineDueSoon
	default:
		return DeadlineOpen
	}
}

// ClaimWindow reports whether a reimbursement claim for a refunded FBA unit
// that never came back may be filed at now. Both edges belong to the window:
// at opens the claim may be filed, at closes it still may, a second later it
// may not. Days are calendar days in the policy's zone.
func (p Policy) ClaimWindow(refundedAt, now time.Time) (opens, closes time.Time, state string) {
	opens = p.addDays(refundedAt, p.ClaimWindowOpensDays)
	closes = p.addDays(refundedAt, p.ClaimWindowClosesDays)
	switch {
	case now.Before(opens):
		state = ClaimWindowNotYet
	case now.After(closes):
		state = ClaimWindowClosed
	default:
		state = ClaimWindowOpen
	}
	return opens, closes, state
}

// AtoZInfoResponse is the deadline to answer Amazon's request for
// information on an A-to-z claim. Amazon asks for an answer within 48-72 h,
// so the outer edge is the deadline and the inner edge starts due_soon. The
// Return has no field for when Amazon asked, so the caller supplies it.
func (p Policy) AtoZInfoResponse(askedAt, now time.Time) Deadline {
	due := askedAt.Add(time.Duration(p.AtoZInfoResponseHours) * time.Hour)
	soon := askedAt.Add(time.Duration(p.AtoZResponseHours) * time.Hour)
	status := DeadlineUpcoming
	switch {
	case now.After(due):
		status = DeadlineOverdue
	case !now.Before(soon):
		status = DeadlineDueSoon
	}
	return Deadline{Name: DeadlineAtoZInfoResponseDue, Due: due.In(p.location()), Status: status}
}

// Deadlines returns every deadline that applies to a return at now,
// earliest first:
//   - MFN, arrived, not refunded: refund_due, business days after arrival.
//   - MFN, refunded: safet_window_closes; MFN, arrived: safet_photos_due.
//   - FBA, refunded, not arrived: fba_unit_expected, claim_window_opens and
//     claim_window_closes, counted from the refund.
//   - An A-to-z claim: atoz_response_due and atoz_appeal_closes.
//
// A deadline disappears when the fact that ends it is recorded (a refund
// ends refund_due, an arrival ends the FBA claim).
func (p Policy) Deadlines(r *Return, now time.Time) []Deadline {
	ds := []Deadline{}
	if r == nil {
		return ds
	}
	loc := p.location()
	add := func(name string, due time.Time, status string) {
		ds = append(ds, Deadline{Name: name, Due: due.In(loc), Status: status})
	}

	switch r.Channel {
	case ChannelMFN:
		if r.ArrivedAt != nil && r.RefundedAt == nil && !r.RequestClosed() {
			due := p.AddBusinessDays(*r.ArrivedAt, p.RefundDueBusinessDays)
			add(DeadlineRefundDue, due, actionStatus(due, now))
		}
		// SAFE-T is one claim per order and not alongside an A-to-z claim.
		if r.RefundedAt != nil && !r.AtoZClaim && r.SafeTClaimID == "" {
			closes := p.addDays(*r.RefundedAt, p.SafeTWindowDays)
			add(DeadlineSafeTWindowCloses, closes, closingStatus(closes, now))
		}
		if r.ArrivedAt != nil {
			due := p.addDays(*r.ArrivedAt, p.SafeTPhotoDays)
			add(DeadlineSafeTPhotosDue, due, actionStatus(due, now))
		}
	case ChannelFBA:
		// The clock stops once the unit is back (at Amazon or with us) or
		// Amazon has paid for it.
		if r.RefundedAt != nil && r.ArrivedAt == nil && r.FCReturnedAt == nil && r.ReimbursedAmount == 0 {
			expected := p.addDays(*r.RefundedAt, p.FBAReturnWindowDays)
			add(DeadlineFBAUnitExpected, expected, actionStatus(expected, now))

			opens, closes, state := p.ClaimWindow(*r.RefundedAt, now)
			switch state {
			case ClaimWindowNotYet:
				status := DeadlineUpcoming
				if opens.Sub(now) <= dueSoonWindow {
					status = DeadlineDueSoon
				}
				add(DeadlineClaimWindowOpens, opens, status)
				add(DeadlineClaimWindowCloses, closes, DeadlineUpcoming)
			case ClaimWindowOpen:
				add(DeadlineClaimWindowOpens, opens, DeadlineOpen)
				add(DeadlineClaimWindowCloses, closes, closingStatus(closes, now))
			default:
				add(DeadlineClaimWindowOpens, opens, DeadlineClosed)
				add(DeadlineClaimWindowCloses, closes, DeadlineClosed)
			}
		}
	}

	if r.AtoZClaim {
		// The claim's own date is not recorded; the earliest fact we have
		// makes both deadlines early rather than late.
		var start time.Time
		switch {
		case r.RequestedAt != nil:
			start = *r.RequestedAt
		case r.RefundedAt != nil:
			start = *r.RefundedAt
		default:
			start = r.CreatedAt
		}
		if !start.IsZero() {
			due := start.Add(time.Duration(p.AtoZResponseHours) * time.Hour)
			add(DeadlineAtoZResponseDue, due, actionStatus(due, now))
			closes := p.addDays(start, p.AtoZAppealDays)
			add(DeadlineAtoZAppealCloses, closes, closingStatus(closes, now))
		}
	}

	slices.SortStableFunc(ds, func(a, b Deadline) int { return a.Due.Compare(b.Due) })
	return ds
}
