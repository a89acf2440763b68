package server

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
)

const (
	// dashboardDefaultDays is the period a dashboard covers when it is not
	// given one: the last 90 days, today included.
	dashboardDefaultDays = 90
	// dashboardMaxDays bounds the period, and with it the rows read.
	dashboardMaxDays = 731
	// atRiskWithinDays is how close a claim window's end must be for its
	// refund to count as money at risk: two weeks to gather a case.
	atRiskWithinDays = 14
)

// Labels for inspections that reasons_vs_verdicts cannot file under a reason.
const (
	reasonUnmatched = "UNMATCHED" // no return matched: an unexpected parcel
	reasonUnknown   = "UNKNOWN"   // the return gives no reason
)

var (
	dashboardVerdicts = []inspection.Verdict{inspection.VerdictClaimSupported, inspection.VerdictClaimDisputed,
		inspection.VerdictItemSwapped, inspection.VerdictNotApplicable}
	dashboardGrades       = []inspection.Grade{inspection.GradeResellable, inspection.GradeRefurbishedUsed, inspection.GradeDestroy}
	dashboardDispositions = []inspection.Disposition{inspection.DispositionRelabelRestock, inspection.DispositionListUsed,
		inspection.DispositionRefurbish, inspection.DispositionDispose, inspection.DispositionRemoval, inspection.DispositionDonate}
)

// dashboardResponse is GET /api/v1/dashboard. The series are complete
// (every week of the period, every grade, disposition and verdict, zeros
// included) so a chart needs no gap-filling; the name lists give the order.
type dashboardResponse struct {
	From               string                   `json:"from"` // first day, in Timezone
	To                 string                   `json:"to"`   // last day, included
	Timezone           string                   `json:"timezone"`
	GeneratedAt        time.Time                `json:"generated_at"`
	Verdicts           []inspection.Verdict     `json:"verdicts"`
	ReasonsVsVerdicts  []reasonVerdicts         `json:"reasons_vs_verdicts"`
	Grades             []inspection.Grade       `json:"grades"`
	GradesByWeek       []weekCounts             `json:"grades_by_week"`
	Dispositions       []inspection.Disposition `json:"dispositions"`
	DispositionsByWeek []weekCounts             `json:"dispositions_by_week"`
	MoneyRecovered     moneyRecovered           `json:"money_recovered"`
	MoneyAtRisk        moneyAtRisk              `json:"money_at_risk"`
}

// reasonVerdicts answers "how often was 'defective' not defective": the
// verdicts of the inspections completed in the period for one reason.
type reasonVerdicts struct {
	Reason       string           `json:"reason"` // normalised; UNMATCHED or UNKNOWN when there is none
	BlamesSeller bool             `json:"blames_seller"`
	Total        int64            `json:"total"`
	Verdicts     map[string]int64 `json:"verdicts"`
	// NotConfirmed counts claim_disputed and item_swapped: the bench found
	// the buyer's claim untrue.
	NotConfirmed int64 `json:"not_confirmed"`
	// NotConfirmedPercent is NotConfirmed out of the verdicts on the claim
	// (supported, disputed, swapped), one decimal; null when there were none.
	NotConfirmedPercent *float64 `json:"not_confirmed_percent"`
}

// weekCounts is one ISO week of a series.
type weekCounts struct {
	Week   string           `json:"week"`   // ISO 8601 week, 2025-W36
	Starts string           `json:"starts"` // its Monday, 2025-09-01
	Total  int64            `json:"total"`
	Counts map[string]int64 `json:"counts"`
}

// moneyRecovered is what the period brought back.
type moneyRecovered struct {
	RestockingFees inspection.Cents `json:"restocking_fees"` // fees of inspections completed in the period
	Reimbursed     inspection.Cents `json:"reimbursed"`      // reimbursements approved in the period for returns
	ResoldUnits    int64            `json:"resold_units"`    // units relabelled for resale in the period
}

// moneyAtRisk is what stands to be lost now, whatever the period.
type moneyAtRisk struct {
	AsOf                      time.Time        `json:"as_of"`
	ClaimsClosingWithinDays   int              `json:"claims_closing_within_days"`
	ClaimsClosingCount        int              `json:"claims_closing_count"`         // open refunded-not-returned claims closing within that many days
	ClaimsClosingRefundAmount inspection.Cents `json:"claims_closing_refund_amount"` // their refunds
	RefundsOverdueCount       int              `json:"refunds_overdue_count"`        // seller-fulfilled refunds past due
	Truncated                 bool             `json:"truncated"`                    // more candidates than a list reads: the figures are at least these
}

// handleDashboard answers GET /api/v1/dashboard?from=YYYY-MM-DD&to=YYYY-MM-DD,
// days counted in the site's time zone.
func (s *Server) handleDashboard(c *fiber.Ctx) error {
	ctx, user := c.UserContext(), currentUser(c)
	scope, now := siteScope(user), s.cfg.Now().UTC()
	loc, err := s.dashboardZone(ctx, user)
	if err != nil {
		return err
	}
	from, to, err := dashboardPeriod(c.Query("from"), c.Query("to"), now, loc)
	if err != nil {
		return err
	}
	end := to.AddDate(0, 0, 1) // the period is [from, end)

	out := dashboardResponse{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Timezone: loc.String(),
		GeneratedAt: now.Truncate(time.Second), Verdicts: dashboardVerdicts, Grades: dashboardGrades, Dispositions: dashboardDispositions}
	if out.ReasonsVsVerdicts, err = s.reasonsVsVerdicts(ctx, scope, from, end); err != nil {
		return err
	}
	grades, dispositions := newWeekSeries(from, to, loc, dashboardGrades), newWeekSeries(from, to, loc, dashboardDispositions)
	err = s.store.EachCompletedInspection(ctx, scope, from, end, func(ci store.CompletedInspection) error {
		grades.add(ci.CompletedAt, string(ci.Grade))
		dispositions.add(ci.CompletedAt, string(ci.Disposition))
		return nil
	})
	if err != nil {
		return err
	}
	out.GradesByWeek, out.DispositionsByWeek = grades.weeks, dispositions.weeks
	rec, err := s.store.MoneyRecovered(ctx, scope, from, end)
	if err != nil {
		return err
	}
	out.MoneyRecovered = moneyRecovered{RestockingFees: rec.RestockingFees, Reimbursed: rec.Reimbursed, ResoldUnits: rec.ResoldUnits}
	if out.MoneyAtRisk, err = s.moneyAtRisk(ctx, scope, now); err != nil {
		return err
	}
	return c.JSON(out)
}

// dashboardZone is where the dashboard's days and weeks begin: the user's
// site's time zone, else its marketplace policy's; for an admin, who sees
// every site, the default policy's.
func (s *Server) dashboardZone(ctx context.Context, user *inspection.User) (*time.Location, error) {
	name := s.policies.For("").Timezone
	if user.Role != inspection.RoleAdmin {
		sites, err := s.store.ListSites(ctx)
		if err != nil {
			return nil, err
		}
		for _, site := range sites {
			if site.ID == user.SiteID {
				name = cmp.Or(site.Timezone, s.policies.For(site.Marketplace).Timezone)
			}
		}
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return time.UTC, nil
	}
	return loc, nil
}

// dashboardPeriod reads from and to (dates, to included) in loc; either may
// be left out: to defaults to today, from to dashboardDefaultDays before to.
func dashboardPeriod(fromQ, toQ string, now time.Time, loc *time.Location) (from, to time.Time, err error) {
	y, m, d := now.In(loc).Date()
	to = time.Date(y, m, d, 0, 0, 0, 0, loc)
	if toQ != "" {
		if to, err = time.ParseInLocation(time.DateOnly, toQ, loc); err != nil {
			return from, to, inspection.Errorf(inspection.EINVALID, "to must be a date like 2025-09-01.")
		}
	}
	from = to.AddDate(0, 0, -(dashboardDefaultDays - 1))
	if fromQ != "" {
		if from, err = time.ParseInLocation(time.DateOnly, fromQ, loc); err != nil {
			return from, to, inspection.Errorf(inspection.EINVALID, "from must be a date like 2025-06-01.")
		}
	}
	switch {
	case from.After(to):
		return from, to, inspection.Errorf(inspection.EINVALID, "from must not be after to.")
	case to.Sub(from) > dashboardMaxDays*24*time.Hour:
		return from, to, inspection.Errorf(inspection.EINVALID, "The period may be at most %d days long.", dashboardMaxDays)
	}
	return from, to, nil
}

// reasonsVsVerdicts turns the database's counts into one entry per reason,
// most inspected reason first.
func (s *Server) reasonsVsVerdicts(ctx context.Context, siteID string, from, end time.Time) ([]reasonVerdicts, error) {
	counts, err := s.store.ReasonVerdictCounts(ctx, siteID, from, end)
	if err != nil {
		return nil, err
	}
	byReason := map[string]*reasonVerdicts{}
	for _, rc := range counts {
		reason := reasonUnmatched
		if rc.Reason != nil {
			reason = cmp.Or(*rc.Reason, reasonUnknown)
		}
		e := byReason[reason]
		if e == nil {
			e = &reasonVerdicts{Reason: reason, BlamesSeller: inspection.BlamesSeller(reason), Verdicts: map[string]int64{}}
			for _, v := range dashboardVerdicts {
				e.Verdicts[string(v)] = 0
			}
			byReason[reason] = e
		}
		e.Verdicts[rc.Verdict] += rc.Count
		e.Total += rc.Count
	}
	out := make([]reasonVerdicts, 0, len(byReason))
	for _, e := range byReason {
		e.NotConfirmed = e.Verdicts[string(inspection.VerdictClaimDisputed)] + e.Verdicts[string(inspection.VerdictItemSwapped)]
		if judged := e.NotConfirmed + e.Verdicts[string(inspection.VerdictClaimSupported)]; judged > 0 {
			pct := math.Round(1000*float64(e.NotConfirmed)/float64(judged)) / 10
			e.NotConfirmedPercent = &pct
		}
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b reasonVerdicts) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), cmp.Compare(a.Reason, b.Reason))
	})
	return out, nil
}

// moneyAtRisk reads the same lists the office watches, as of now.
func (s *Server) moneyAtRisk(ctx context.Context, siteID string, now time.Time) (moneyAtRisk, error) {
	out := moneyAtRisk{AsOf: now.Truncate(time.Second), ClaimsClosingWithinDays: atRiskWithinDays}
	claims, cut1, err := s.unreturnedRows(ctx, siteID, now, 0)
	if err != nil {
		return out, err
	}
	horizon := now.AddDate(0, 0, atRiskWithinDays)
	for _, r := range claims {
		if r.ClaimState == inspection.ClaimWindowOpen && !r.ClaimWindowCloses.After(horizon) {
			out.ClaimsClosingCount++
			out.ClaimsClosingRefundAmount += r.RefundAmount
		}
	}
	refunds, cut2, err := s.refundDueRows(ctx, siteID, now)
	if err != nil {
		return out, err
	}
	for _, r := range refunds {
		if r.Status == inspection.DeadlineOverdue {
			out.RefundsOverdueCount++
		}
	}
	out.Truncated = cut1 || cut2
	return out, nil
}

// weekSeries counts values per ISO week over a period, every week present.
type weekSeries struct {
	loc     *time.Location
	weeks   []weekCounts
	byStart map[string]int // Monday's date -> index in weeks
}

func newWeekSeries[T ~string](from, to time.Time, loc *time.Location, names []T) *weekSeries {
	ws := &weekSeries{loc: loc, byStart: map[string]int{}}
	for monday := mondayOf(from, loc); !monday.After(to); monday = monday.AddDate(0, 0, 7) {
		y, w := monday.ISOWeek()
		wc := weekCounts{Week: isoWeek(y, w), Starts: monday.Format(time.DateOnly), Counts: make(map[string]int64, len(names))}
		for _, n := range names {
			wc.Counts[string(n)] = 0
		}
		ws.byStart[wc.Starts] = len(ws.weeks)
		ws.weeks = append(ws.weeks, wc)
	}
	return ws
}

// add counts value in the week of at; a time outside the period is ignored.
func (ws *weekSeries) add(at time.Time, value string) {
	i, ok := ws.byStart[mondayOf(at, ws.loc).Format(time.DateOnly)]
	if !ok {
		return
	}
	ws.weeks[i].Counts[value]++
	ws.weeks[i].Total++
}

// mondayOf is 00:00 on the Monday of t's ISO week, in loc.
func mondayOf(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	y, m, d := t.Date()
	back := (int(t.Weekday()) + 6) % 7 // days since Monday
	return time.Date(y, m, d-back, 0, 0, 0, 0, loc)
}

func isoWeek(year, week int) string { return fmt.Sprintf("%04d-W%02d", year, week) }
