package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/evidence"
	"github.com/returnbench/returnbench/inspection"
)

// Watch lists: what the back office must act on, and by when. Each is
// computed at request time from the records, the policies in force and the
// server's clock, for the user's site (every site for an admin), and comes
// as JSON ({"list", "generated_at", "rows", "total", "truncated", "limit"})
// or, with ?format=csv, as a spreadsheet.

// Watch list names, as the routes and the "list" field spell them.
const (
	listRefundedNotReturned = "refunded-not-returned"
	listRefundDue           = "refund-due"
	listAtoZ                = "atoz"
	listSafeT               = "safet"
	listDisputes            = "disputes"
)

const (
	// maxWatchRows bounds a list: past this a list is no longer read by a
	// person, and the answer says it was cut.
	maxWatchRows = 5000
	// watchScanRows bounds the candidate rows a list reads from the database
	// before computing deadlines and sorting: enough that the cut falls on
	// the least urgent rows, small enough to hold in memory.
	watchScanRows = 4 * maxWatchRows
	// A window that closed stays on its list this many days by default, so
	// the office sees what it has just missed; ?closed_within_days changes it.
	defaultClosedWithinDays = 30
	maxClosedWithinDays     = 3650
	// cutoffMargin widens the database cutoffs, which are plain instants,
	// so that calendar days counted in a policy's zone (across a DST
	// change) never drop a row the domain would list. The exact test is
	// always the domain's.
	cutoffMargin = 3 * 24 * time.Hour
)

// disputeVerdicts are the verdicts that lead to a filing.
var disputeVerdicts = []inspection.Verdict{inspection.VerdictClaimDisputed, inspection.VerdictItemSwapped}

// unreturnedRow is a refunded FBA unit that never came back: everything a
// reimbursement case asks for, and where its claim window stands.
type unreturnedRow struct {
	ReturnID           string           `json:"return_id"`
	SiteID             string           `json:"site_id"`
	Marketplace        string           `json:"marketplace"`
	OrderID            string           `json:"order_id"`
	SKU                string           `json:"sku"`
	FNSKU              string           `json:"fnsku"`
	ASIN               string           `json:"asin"`
	ProductName        string           `json:"product_name"`
	Quantity           int              `json:"quantity"`
	LPN                string           `json:"lpn"`
	Reason             string           `json:"reason"`
	Currency           string           `json:"currency"`
	RefundAmount       inspection.Cents `json:"refund_amount"`
	RefundedAt         time.Time        `json:"refunded_at"`
	DaysSinceRefund    int              `json:"days_since_refund"`
	UnitExpectedBy     time.Time        `json:"unit_expected_by"`
	UnitExpectedStatus string           `json:"unit_expected_status"`
	ClaimWindowOpens   time.Time        `json:"claim_window_opens"`
	ClaimWindowCloses  time.Time        `json:"claim_window_closes"`
	ClaimState         string           `json:"claim_state"`  // not_yet | open | closed
	ClaimStatus        string           `json:"claim_status"` // the next edge's deadline status: upcoming | due_soon | open | closed
}

var unreturnedColumns = []column[unreturnedRow]{
	{"return_id", func(r *unreturnedRow) string { return r.ReturnID }},
	{"site_id", func(r *unreturnedRow) string { return r.SiteID }},
	{"marketplace", func(r *unreturnedRow) string { return r.Marketplace }},
	{"order_id", func(r *unreturnedRow) string { return r.OrderID }},
	{"sku", func(r *unreturnedRow) string { return r.SKU }},
	{"fnsku", func(r *unreturnedRow) string { return r.FNSKU }},
	{"asin", func(r *unreturnedRow) string { return r.ASIN }},
	{"product_name", func(r *unreturnedRow) string { return r.ProductName }},
	{"quantity", func(r *unreturnedRow) string { return strconv.Itoa(r.Quantity) }},
	{"lpn", func(r *unreturnedRow) string { return r.LPN }},
	{"reason", func(r *unreturnedRow) string { return r.Reason }},
	{"currency", func(r *unreturnedRow) string { return r.Currency }},
	{"refund_amount", func(r *unreturnedRow) string { return r.RefundAmount.String() }},
	{"refunded_at", func(r *unreturnedRow) string { return csvTime(r.RefundedAt) }},
	{"days_since_refund", func(r *unreturnedRow) string { return strconv.Itoa(r.DaysSinceRefund) }},
	{"unit_expected_by", func(r *unreturnedRow) string { return csvTime(r.UnitExpectedBy) }},
	{"unit_expected_status", func(r *unreturnedRow) string { return r.UnitExpectedStatus }},
	{"claim_window_opens", func(r *unreturnedRow) string { return csvTime(r.ClaimWindowOpens) }},
	{"claim_window_closes", func(r *unreturnedRow) string { return csvTime(r.ClaimWindowCloses) }},
	{"claim_state", func(r *unreturnedRow) string { return r.ClaimState }},
	{"claim_status", func(r *unreturnedRow) string { return r.ClaimStatus }},
}

func (s *Server) handleWatchUnreturned(c *fiber.Ctx) error {
	within, err := closedWithinDays(c)
	if err != nil {
		return err
	}
	return serveWatch(c, s, listRefundedNotReturned, unreturnedColumns, func(ctx context.Context, siteID string, now time.Time) ([]unreturnedRow, bool, error) {
		return s.unreturnedRows(ctx, siteID, now, within)
	})
}

// unreturnedRows lists the refunded-but-not-returned FBA units of a site
// ("" = every site): open claims closing soonest first, then claims not
// open yet by opening date, then windows closed in the last closedWithin
// days, most recently closed first. cut says the database held more
// candidates than were read.
func (s *Server) unreturnedRows(ctx context.Context, siteID string, now time.Time, closedWithin int) ([]unreturnedRow, bool, error) {
	span := s.policyMaxDays(func(p inspection.Policy) int { return p.ClaimWindowClosesDays }) + closedWithin
	rs, err := s.store.RefundedNotReturned(ctx, siteID, now.AddDate(0, 0, -span).Add(-cutoffMargin), watchScanRows)
	if err != nil {
		return nil, false, err
	}
	rs, cut := cutScan(rs)
	book := s.policyBook()
	closedSince := now.AddDate(0, 0, -closedWithin)
	rows := make([]unreturnedRow, 0, len(rs))
	for i := range rs {
		r := &rs[i]
		p := book.For(r.Marketplace)
		opens, closes, state := p.ClaimWindow(*r.RefundedAt, now)
		if state == inspection.ClaimWindowClosed && closes.Before(closedSince) {
			continue
		}
		row := unreturnedRow{ReturnID: r.ID, SiteID: r.SiteID, Marketplace: r.Marketplace, OrderID: r.OrderID, SKU: r.SKU,
			FNSKU: r.FNSKU, ASIN: r.ASIN, ProductName: r.ProductName, Quantity: r.Quantity, LPN: r.LPN, Reason: r.Reason,
			Currency: r.Currency, RefundAmount: r.RefundAmount, RefundedAt: r.RefundedAt.UTC(),
			DaysSinceRefund:  int(now.Sub(*r.RefundedAt) / (24 * time.Hour)),
			ClaimWindowOpens: opens.UTC(), ClaimWindowCloses: closes.UTC(), ClaimState: state}
		for _, d := range p.Deadlines(r, now) {
			switch d.Name {
			case inspection.DeadlineFBAUnitExpected:
				row.UnitExpectedBy, row.UnitExpectedStatus = d.Due.UTC(), d.Status
			case inspection.DeadlineClaimWindowOpens:
				if state == inspection.ClaimWindowNotYet {
					row.ClaimStatus = d.Status
				}
			case inspection.DeadlineClaimWindowCloses:
				if state != inspection.ClaimWindowNotYet {
					row.ClaimStatus = d.Status
				}
			}
		}
		rows = append(rows, row)
	}
	rank := map[string]int{inspection.ClaimWindowOpen: 0, inspection.ClaimWindowNotYet: 1, inspection.ClaimWindowClosed: 2}
	slices.SortFunc(rows, func(a, b unreturnedRow) int {
		if c := cmp.Compare(rank[a.ClaimState], rank[b.ClaimState]); c != 0 {
			return c
		}
		var c int
		switch a.ClaimState {
		case inspection.ClaimWindowOpen:
			c = a.ClaimWindowCloses.Compare(b.ClaimWindowCloses)
		case inspection.ClaimWindowNotYet:
			c = a.ClaimWindowOpens.Compare(b.ClaimWindowOpens)
		default:
			c = b.ClaimWindowCloses.Compare(a.ClaimWindowCloses)
		}
		return cmp.Or(c, cmp.Compare(a.ReturnID, b.ReturnID))
	})
	return rows, cut, nil
}

// refundDueRow is a seller-fulfilled parcel that arrived and is not
// refunded: the 2-business-day clock.
type refundDueRow struct {
	ReturnID         string           `json:"return_id"`
	SiteID           string           `json:"site_id"`
	Marketplace      string           `json:"marketplace"`
	OrderID          string           `json:"order_id"`
	RMAID            string           `json:"rma_id"`
	TrackingID       string           `json:"tracking_id"`
	SKU              string           `json:"sku"`
	ProductName      string           `json:"product_name"`
	Quantity         int              `json:"quantity"`
	Reason           string           `json:"reason"`
	RequestStatus    string           `json:"request_status"`
	Currency         string           `json:"currency"`
	OrderAmount      inspection.Cents `json:"order_amount"`
	ArrivedAt        time.Time        `json:"arrived_at"`
	RefundDue        time.Time        `json:"refund_due"`
	BusinessDaysLeft int              `json:"business_days_left"` // whole business days; negative: overdue by that many
	Status           string           `json:"status"`             // upcoming | due_soon | overdue
}

var refundDueColumns = []column[refundDueRow]{
	{"return_id", func(r *refundDueRow) string { return r.ReturnID }},
	{"site_id", func(r *refundDueRow) string { return r.SiteID }},
	{"marketplace", func(r *refundDueRow) string { return r.Marketplace }},
	{"order_id", func(r *refundDueRow) string { return r.OrderID }},
	{"rma_id", func(r *refundDueRow) string { return r.RMAID }},
	{"tracking_id", func(r *refundDueRow) string { return r.TrackingID }},
	{"sku", func(r *refundDueRow) string { return r.SKU }},
	{"product_name", func(r *refundDueRow) string { return r.ProductName }},
	{"quantity", func(r *refundDueRow) string { return strconv.Itoa(r.Quantity) }},
	{"reason", func(r *refundDueRow) string { return r.Reason }},
	{"request_status", func(r *refundDueRow) string { return r.RequestStatus }},
	{"currency", func(r *refundDueRow) string { return r.Currency }},
	{"order_amount", func(r *refundDueRow) string { return r.OrderAmount.String() }},
	{"arrived_at", func(r *refundDueRow) string { return csvTime(r.ArrivedAt) }},
	{"refund_due", func(r *refundDueRow) string { return csvTime(r.RefundDue) }},
	{"business_days_left", func(r *refundDueRow) string { return strconv.Itoa(r.BusinessDaysLeft) }},
	{"status", func(r *refundDueRow) string { return r.Status }},
}

func (s *Server) handleWatchRefundDue(c *fiber.Ctx) error {
	return serveWatch(c, s, listRefundDue, refundDueColumns, s.refundDueRows)
}

// refundDueRows lists the refunds a site ("" = every site) owes, most
// urgent first: overdue ones (longest overdue first), then by due time.
func (s *Server) refundDueRows(ctx context.Context, siteID string, now time.Time) ([]refundDueRow, bool, error) {
	rs, err := s.store.RefundsPending(ctx, siteID, watchScanRows)
	if err != nil {
		return nil, false, err
	}
	rs, cut := cutScan(rs)
	book := s.policyBook()
	rows := make([]refundDueRow, 0, len(rs))
	for i := range rs {
		r := &rs[i]
		p := book.For(r.Marketplace)
		for _, d := range p.Deadlines(r, now) {
			if d.Name != inspection.DeadlineRefundDue {
				continue
			}
			rows = append(rows, refundDueRow{ReturnID: r.ID, SiteID: r.SiteID, Marketplace: r.Marketplace, OrderID: r.OrderID,
				RMAID: r.RMAID, TrackingID: r.TrackingID, SKU: r.SKU, ProductName: r.ProductName, Quantity: r.Quantity,
				Reason: r.Reason, RequestStatus: r.RequestStatus, Currency: r.Currency, OrderAmount: r.OrderAmount,
				ArrivedAt: r.ArrivedAt.UTC(), RefundDue: d.Due.UTC(), BusinessDaysLeft: p.BusinessDaysBetween(now, d.Due),
				Status: d.Status})
		}
	}
	slices.SortFunc(rows, func(a, b refundDueRow) int {
		overdue := func(r refundDueRow) int {
			if r.Status == inspection.DeadlineOverdue {
				return 0
			}
			return 1
		}
		return cmp.Or(cmp.Compare(overdue(a), overdue(b)), a.RefundDue.Compare(b.RefundDue), cmp.Compare(a.ReturnID, b.ReturnID))
	})
	return rows, cut, nil
}

// atozRow is a return with an A-to-z Guarantee claim and its two clocks.
type atozRow struct {
	ReturnID       string           `json:"return_id"`
	SiteID         string           `json:"site_id"`
	Marketplace    string           `json:"marketplace"`
	Channel        string           `json:"channel"`
	OrderID        string           `json:"order_id"`
	RMAID          string           `json:"rma_id"`
	TrackingID     string           `json:"tracking_id"`
	SKU            string           `json:"sku"`
	ProductName    string           `json:"product_name"`
	Reason         string           `json:"reason"`
	RequestStatus  string           `json:"request_status"`
	Currency       string           `json:"currency"`
	RefundAmount   inspection.Cents `json:"refund_amount"`
	RequestedAt    *time.Time       `json:"requested_at"`
	RefundedAt     *time.Time       `json:"refunded_at"`
	ArrivedAt      *time.Time       `json:"arrived_at"`
	ResponseDue    time.Time        `json:"response_due"`
	ResponseStatus string           `json:"response_status"` // upcoming | due_soon | overdue
	AppealCloses   time.Time        `json:"appeal_closes"`
	AppealStatus   string           `json:"appeal_status"` // open | due_soon | closed
}

var atozColumns = []column[atozRow]{
	{"return_id", func(r *atozRow) string { return r.ReturnID }},
	{"site_id", func(r *atozRow) string { return r.SiteID }},
	{"marketplace", func(r *atozRow) string { return r.Marketplace }},
	{"channel", func(r *atozRow) string { return r.Channel }},
	{"order_id", func(r *atozRow) string { return r.OrderID }},
	{"rma_id", func(r *atozRow) string { return r.RMAID }},
	{"tracking_id", func(r *atozRow) string { return r.TrackingID }},
	{"sku", func(r *atozRow) string { return r.SKU }},
	{"product_name", func(r *atozRow) string { return r.ProductName }},
	{"reason", func(r *atozRow) string { return r.Reason }},
	{"request_status", func(r *atozRow) string { return r.RequestStatus }},
	{"currency", func(r *atozRow) string { return r.Currency }},
	{"refund_amount", func(r *atozRow) string { return r.RefundAmount.String() }},
	{"requested_at", func(r *atozRow) string { return csvTimeP(r.RequestedAt) }},
	{"refunded_at", func(r *atozRow) string { return csvTimeP(r.RefundedAt) }},
	{"arrived_at", func(r *atozRow) string { return csvTimeP(r.ArrivedAt) }},
	{"response_due", func(r *atozRow) string { return csvTime(r.ResponseDue) }},
	{"response_status", func(r *atozRow) string { return r.ResponseStatus }},
	{"appeal_closes", func(r *atozRow) string { return csvTime(r.AppealCloses) }},
	{"appeal_status", func(r *atozRow) string { return r.AppealStatus }},
}

func (s *Server) handleWatchAtoZ(c *fiber.Ctx) error {
	within, err := closedWithinDays(c)
	if err != nil {
		return err
	}
	return serveWatch(c, s, listAtoZ, atozColumns, func(ctx context.Context, siteID string, now time.Time) ([]atozRow, bool, error) {
		return s.atozRows(ctx, siteID, now, within)
	})
}

// atozRows lists the A-to-z claims of a site ("" = every site) whose appeal
// window is open or closed within the last closedWithin days: response due
// soonest first, closed appeal windows last.
func (s *Server) atozRows(ctx context.Context, siteID string, now time.Time, closedWithin int) ([]atozRow, bool, error) {
	span := s.policyMaxDays(func(p inspection.Policy) int { return p.AtoZAppealDays }) + closedWithin
	rs, err := s.store.AtoZClaims(ctx, siteID, now.AddDate(0, 0, -span).Add(-cutoffMargin), watchScanRows)
	if err != nil {
		return nil, false, err
	}
	rs, cut := cutScan(rs)
	book := s.policyBook()
	closedSince := now.AddDate(0, 0, -closedWithin)
	rows := make([]atozRow, 0, len(rs))
	for i := range rs {
		r := &rs[i]
		row := atozRow{ReturnID: r.ID, SiteID: r.SiteID, Marketplace: r.Marketplace, Channel: r.Channel, OrderID: r.OrderID,
			RMAID: r.RMAID, TrackingID: r.TrackingID, SKU: r.SKU, ProductName: r.ProductName, Reason: r.Reason,
			RequestStatus: r.RequestStatus, Currency: r.Currency, RefundAmount: r.RefundAmount,
			RequestedAt: utc(r.RequestedAt), RefundedAt: utc(r.RefundedAt), ArrivedAt: utc(r.ArrivedAt)}
		for _, d := range book.For(r.Marketplace).Deadlines(r, now) {
			switch d.Name {
			case inspection.DeadlineAtoZResponseDue:
				row.ResponseDue, row.ResponseStatus = d.Due.UTC(), d.Status
			case inspection.DeadlineAtoZAppealCloses:
				row.AppealCloses, row.AppealStatus = d.Due.UTC(), d.Status
			}
		}
		if row.AppealStatus == "" || (row.AppealStatus == inspection.DeadlineClosed && row.AppealCloses.Before(closedSince)) {
			continue
		}
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b atozRow) int {
		closed := func(r atozRow) bool { return r.AppealStatus == inspection.DeadlineClosed }
		switch {
		case closed(a) && !closed(b):
			return 1
		case !closed(a) && closed(b):
			return -1
		case closed(a):
			return cmp.Or(b.AppealCloses.Compare(a.AppealCloses), cmp.Compare(a.ReturnID, b.ReturnID))
		}
		return cmp.Or(a.ResponseDue.Compare(b.ResponseDue), cmp.Compare(a.ReturnID, b.ReturnID))
	})
	return rows, cut, nil
}

// SAFE-T signs that an item came back damaged by the customer, which caps
// the claim at the policy's customer-damaged share.
const (
	damageGradedDestroy  = "graded_destroy"
	damageSignsOfUse     = "signs_of_use"
	damageDisputedPhotos = "disputed_with_damage_photos"
)

// safetRow is one order a SAFE-T claim may still be filed for (SAFE-T
// allows one claim per order, so several returns of an order are one row).
type safetRow struct {
	OrderID         string           `json:"order_id"`
	ReturnIDs       []string         `json:"return_ids"`
	SiteID          string           `json:"site_id"`
	Marketplace     string           `json:"marketplace"`
	SKUs            []string         `json:"skus"`
	ProductName     string           `json:"product_name"`
	Reason          string           `json:"reason"`
	Currency        string           `json:"currency"`
	RefundAmount    inspection.Cents `json:"refund_amount"` // all the order's refunds listed here
	RefundedAt      time.Time        `json:"refunded_at"`   // the earliest refund: the window counts from it
	WindowCloses    time.Time        `json:"window_closes"`
	WindowStatus    string           `json:"window_status"` // open | due_soon
	ArrivedAt       *time.Time       `json:"arrived_at"`
	PhotosDue       *time.Time       `json:"photos_due"`
	PhotosStatus    string           `json:"photos_status"` // upcoming | due_soon | overdue; "" before arrival
	CustomerDamaged bool             `json:"customer_damaged"`
	DamageSigns     []string         `json:"damage_signs"` // graded_destroy, signs_of_use, disputed_with_damage_photos
	CapPercent      int              `json:"cap_percent"`  // 100, or the policy's customer-damaged share
	ClaimCap        inspection.Cents `json:"claim_cap"`    // the most this claim can recover
}

var safetColumns = []column[safetRow]{
	{"order_id", func(r *safetRow) string { return r.OrderID }},
	{"return_ids", func(r *safetRow) string { return strings.Join(r.ReturnIDs, ";") }},
	{"site_id", func(r *safetRow) string { return r.SiteID }},
	{"marketplace", func(r *safetRow) string { return r.Marketplace }},
	{"skus", func(r *safetRow) string { return strings.Join(r.SKUs, ";") }},
	{"product_name", func(r *safetRow) string { return r.ProductName }},
	{"reason", func(r *safetRow) string { return r.Reason }},
	{"currency", func(r *safetRow) string { return r.Currency }},
	{"refund_amount", func(r *safetRow) string { return r.RefundAmount.String() }},
	{"refunded_at", func(r *safetRow) string { return csvTime(r.RefundedAt) }},
	{"window_closes", func(r *safetRow) string { return csvTime(r.WindowCloses) }},
	{"window_status", func(r *safetRow) string { return r.WindowStatus }},
	{"arrived_at", func(r *safetRow) string { return csvTimeP(r.ArrivedAt) }},
	{"photos_due", func(r *safetRow) string { return csvTimeP(r.PhotosDue) }},
	{"photos_status", func(r *safetRow) string { return r.PhotosStatus }},
	{"customer_damaged", func(r *safetRow) string { return strconv.FormatBool(r.CustomerDamaged) }},
	{"damage_signs", func(r *safetRow) string { return strings.Join(r.DamageSigns, ";") }},
	{"cap_percent", func(r *safetRow) string { return strconv.Itoa(r.CapPercent) }},
	{"claim_cap", func(r *safetRow) string { return r.ClaimCap.String() }},
}

func (s *Server) handleWatchSafeT(c *fiber.Ctx) error {
	return serveWatch(c, s, listSafeT, safetColumns, s.safetRows)
}

// safetRows lists the orders of a site ("" = every site) a SAFE-T claim may
// still be filed for, window closing soonest first.
func (s *Server) safetRows(ctx context.Context, siteID string, now time.Time) ([]safetRow, bool, error) {
	span := s.policyMaxDays(func(p inspection.Policy) int { return p.SafeTWindowDays })
	rs, err := s.store.SafeTCandidates(ctx, siteID, now.AddDate(0, 0, -span).Add(-cutoffMargin), watchScanRows)
	if err != nil {
		return nil, false, err
	}
	rs, cut := cutScan(rs)
	orders, ids := make([]string, 0, len(rs)), make([]string, 0, len(rs))
	for _, r := range rs {
		orders, ids = append(orders, r.OrderID), append(ids, r.ID)
	}
	blocked, err := s.store.SafeTBlockedOrders(ctx, siteID, orders)
	if err != nil {
		return nil, false, err
	}
	signs, err := s.damageSigns(ctx, ids)
	if err != nil {
		return nil, false, err
	}

	book := s.policyBook()
	byKey := map[string]*safetRow{}
	var keys []string
	for i := range rs {
		r := &rs[i]
		if blocked[r.OrderID] {
			continue
		}
		p := book.For(r.Marketplace)
		var window, photos *inspection.Deadline
		for _, d := range p.Deadlines(r, now) {
			switch d.Name {
			case inspection.DeadlineSafeTWindowCloses:
				window = &d
			case inspection.DeadlineSafeTPhotosDue:
				photos = &d
			}
		}
		if window == nil || window.Status == inspection.DeadlineClosed {
			continue
		}
		key := r.SiteID + "|order:" + r.OrderID
		if r.OrderID == "" {
			key = "return:" + r.ID
		}
		row := byKey[key]
		if row == nil {
			row = &safetRow{OrderID: r.OrderID, SiteID: r.SiteID, Marketplace: r.Marketplace, ProductName: r.ProductName,
				Reason: r.Reason, Currency: r.Currency, RefundedAt: r.RefundedAt.UTC(),
				WindowCloses: window.Due.UTC(), WindowStatus: window.Status, ReturnIDs: []string{}, SKUs: []string{}, DamageSigns: []string{}}
			byKey[key] = row
			keys = append(keys, key)
		}
		row.ReturnIDs = append(row.ReturnIDs, r.ID)
		if r.SKU != "" && !slices.Contains(row.SKUs, r.SKU) {
			row.SKUs = append(row.SKUs, r.SKU)
		}
		row.RefundAmount += r.RefundAmount
		if r.RefundedAt.Before(row.RefundedAt) {
			row.RefundedAt = r.RefundedAt.UTC()
		}
		if window.Due.Before(row.WindowCloses) {
			row.WindowCloses, row.WindowStatus = window.Due.UTC(), window.Status
		}
		if photos != nil && (row.PhotosDue == nil || photos.Due.Before(*row.PhotosDue)) {
			due := photos.Due.UTC()
			row.PhotosDue, row.PhotosStatus, row.ArrivedAt = &due, photos.Status, utc(r.ArrivedAt)
		}
		for _, sign := range signs[r.ID] {
			if !slices.Contains(row.DamageSigns, sign) {
				row.DamageSigns = append(row.DamageSigns, sign)
			}
		}
	}

	rows := make([]safetRow, 0, len(keys))
	for _, k := range keys {
		row := byKey[k]
		p := book.For(row.Marketplace)
		row.CustomerDamaged = len(row.DamageSigns) > 0
		row.CapPercent = 100
		if row.CustomerDamaged {
			row.CapPercent = p.SafeTCustomerDamagedMaxPercent
		}
		// Rounded down: a claim never asks for more than the policy allows.
		row.ClaimCap = min(p.SafeTMaxAmount, inspection.Cents(int64(row.RefundAmount)*int64(row.CapPercent)/100))
		rows = append(rows, *row)
	}
	slices.SortFunc(rows, func(a, b safetRow) int {
		return cmp.Or(a.WindowCloses.Compare(b.WindowCloses), cmp.Compare(a.OrderID, b.OrderID), cmp.Compare(a.ReturnIDs[0], b.ReturnIDs[0]))
	})
	return rows, cut, nil
}

// damageSigns finds, per return, what its completed inspections say about
// damage done by the customer: graded destroy, signs of use, or a disputed
// claim with photos of damage.
func (s *Server) damageSigns(ctx context.Context, returnIDs []string) (map[string][]string, error) {
	ins, err := s.store.CompletedInspectionsOf(ctx, returnIDs)
	if err != nil {
		return nil, err
	}
	var disputed []string
	for _, in := range ins {
		if in.Verdict == inspection.VerdictClaimDisputed {
			disputed = append(disputed, in.ID)
		}
	}
	media, err := s.store.MediaOfInspections(ctx, disputed)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, in := range ins {
		if in.ReturnID == nil {
			continue
		}
		id := *in.ReturnID
		if in.Grade == inspection.GradeDestroy {
			out[id] = append(out[id], damageGradedDestroy)
		}
		if u := in.Checklist.SignsOfUse; u != nil && *u {
			out[id] = append(out[id], damageSignsOfUse)
		}
		if in.Verdict == inspection.VerdictClaimDisputed && slices.ContainsFunc(media[in.ID], func(m inspection.Media) bool {
			return m.Kind == inspection.MediaDamage && m.Status != inspection.MediaRejected
		}) {
			out[id] = append(out[id], damageDisputedPhotos)
		}
	}
	return out, nil
}

// disputeRow is a completed inspection whose verdict leads to a filing,
// with what its evidence pack still lacks.
type disputeRow struct {
	InspectionID string                 `json:"inspection_id"`
	SiteID       string                 `json:"site_id"`
	ReturnID     string                 `json:"return_id"` // "" for an unexpected parcel
	Channel      string                 `json:"channel"`
	Marketplace  string                 `json:"marketplace"`
	OrderID      string                 `json:"order_id"`
	RMAID        string                 `json:"rma_id"`
	TrackingID   string                 `json:"tracking_id"`
	LPN          string                 `json:"lpn"`
	SKU          string                 `json:"sku"`
	ProductName  string                 `json:"product_name"`
	Reason       string                 `json:"reason"`
	BuyerComment string                 `json:"buyer_comment"`
	Currency     string                 `json:"currency"`
	RefundAmount inspection.Cents       `json:"refund_amount"`
	ScannedCode  string                 `json:"scanned_code"`
	Grade        inspection.Grade       `json:"grade"`
	Verdict      inspection.Verdict     `json:"verdict"`
	Inspector    string                 `json:"inspector"`
	CompletedAt  time.Time              `json:"completed_at"`
	Case         evidence.Case          `json:"case"`          // the filing the pack is for (evidence.DefaultCase)
	Ready        bool                   `json:"ready"`         // nothing missing: the pack can be filed
	MissingCount int                    `json:"missing_count"` // len(missing)
	Missing      []evidence.Requirement `json:"missing"`       // what stops the filing
	Warnings     []evidence.Requirement `json:"warnings"`      // advice that does not stop it
}

var disputeColumns = []column[disputeRow]{
	{"inspection_id", func(r *disputeRow) string { return r.InspectionID }},
	{"site_id", func(r *disputeRow) string { return r.SiteID }},
	{"return_id", func(r *disputeRow) string { return r.ReturnID }},
	{"channel", func(r *disputeRow) string { return r.Channel }},
	{"marketplace", func(r *disputeRow) string { return r.Marketplace }},
	{"order_id", func(r *disputeRow) string { return r.OrderID }},
	{"rma_id", func(r *disputeRow) string { return r.RMAID }},
	{"tracking_id", func(r *disputeRow) string { return r.TrackingID }},
	{"lpn", func(r *disputeRow) string { return r.LPN }},
	{"sku", func(r *disputeRow) string { return r.SKU }},
	{"product_name", func(r *disputeRow) string { return r.ProductName }},
	{"reason", func(r *disputeRow) string { return r.Reason }},
	{"buyer_comment", func(r *disputeRow) string { return r.BuyerComment }},
	{"currency", func(r *disputeRow) string { return r.Currency }},
	{"refund_amount", func(r *disputeRow) string { return r.RefundAmount.String() }},
	{"scanned_code", func(r *disputeRow) string { return r.ScannedCode }},
	{"grade", func(r *disputeRow) string { return string(r.Grade) }},
	{"verdict", func(r *disputeRow) string { return string(r.Verdict) }},
	{"inspector", func(r *disputeRow) string { return r.Inspector }},
	{"completed_at", func(r *disputeRow) string { return csvTime(r.CompletedAt) }},
	{"case", func(r *disputeRow) string { return string(r.Case) }},
	{"ready", func(r *disputeRow) string { return strconv.FormatBool(r.Ready) }},
	{"missing_count", func(r *disputeRow) string { return strconv.Itoa(r.MissingCount) }},
	{"missing", func(r *disputeRow) string { return requirementCodes(r.Missing) }},
	{"missing_messages", func(r *disputeRow) string { return requirementMessages(r.Missing) }},
	{"warnings", func(r *disputeRow) string { return requirementCodes(r.Warnings) }},
}

func (s *Server) handleWatchDisputes(c *fiber.Ctx) error {
	return serveWatch(c, s, listDisputes, disputeColumns, s.disputeRows)
}

// disputeRows lists a site's ("" = every site) disputed and swapped-item
// inspections, most recently completed first, each with the state of its
// evidence pack.
func (s *Server) disputeRows(ctx context.Context, siteID string, now time.Time) ([]disputeRow, bool, error) {
	ins, err := s.store.DisputedInspections(ctx, siteID, disputeVerdicts, maxWatchRows)
	if err != nil {
		return nil, false, err
	}
	ins, cut := cutAt(ins, maxWatchRows)
	var returnIDs, inspectionIDs, userIDs []string
	for _, in := range ins {
		if in.ReturnID != nil {
			returnIDs = append(returnIDs, *in.ReturnID)
		}
		inspectionIDs, userIDs = append(inspectionIDs, in.ID), append(userIDs, in.InspectorID)
	}
	returns, err := s.store.ReturnsByIDs(ctx, returnIDs)
	if err != nil {
		return nil, false, err
	}
	media, err := s.store.MediaOfInspections(ctx, inspectionIDs)
	if err != nil {
		return nil, false, err
	}
	names, err := s.store.Usernames(ctx, userIDs)
	if err != nil {
		return nil, false, err
	}
	book := s.policyBook()
	rows := make([]disputeRow, 0, len(ins))
	for i := range ins {
		in := &ins[i]
		var ret *inspection.Return
		if in.ReturnID != nil {
			ret = returns[*in.ReturnID]
		}
		f := s.listFacts(in, ret, media[in.ID], book, now)
		f.Inspector = names[in.InspectorID]
		cs := evidence.DefaultCase(f)
		row := disputeRow{InspectionID: in.ID, SiteID: in.SiteID, ScannedCode: in.ScannedCode, Grade: in.Grade, Verdict: in.Verdict,
			Inspector: f.Inspector, Case: cs, Missing: []evidence.Requirement{}, Warnings: []evidence.Requirement{}}
		if in.CompletedAt != nil {
			row.CompletedAt = in.CompletedAt.UTC()
		}
		if ret != nil {
			row.ReturnID, row.Channel, row.Marketplace, row.OrderID, row.RMAID = ret.ID, ret.Channel, ret.Marketplace, ret.OrderID, ret.RMAID
			row.TrackingID, row.LPN, row.SKU, row.ProductName = ret.TrackingID, ret.LPN, ret.SKU, ret.ProductName
			row.Reason, row.BuyerComment, row.Currency, row.RefundAmount = ret.Reason, ret.BuyerComment, ret.Currency, ret.RefundAmount
		}
		for _, req := range evidence.Missing(f, cs) {
			if req.Warning {
				row.Warnings = append(row.Warnings, req)
			} else {
				row.Missing = append(row.Missing, req)
			}
		}
		row.MissingCount, row.Ready = len(row.Missing), len(row.Missing) == 0
		rows = append(rows, row)
	}
	return rows, cut, nil
}

// listFacts is what evidence.Missing needs to judge a pack in a list: the
// record, its return, its files and the policy. It leaves out the audit
// trail and the verification of the whole audit chain that s.facts does
// on every call (Missing reads neither), so a list of thousands stays
// quick; a pack opened from the list still goes through s.facts.
func (s *Server) listFacts(in *inspection.Inspection, ret *inspection.Return, media []inspection.Media, book *policyBook, now time.Time) *evidence.Facts {
	return &evidence.Facts{Inspection: *in, Return: ret, Media: media, Policy: book.For(marketplace(ret)),
		PublicURL: s.cfg.PublicURL, Now: now}
}

// policyBook remembers Policies.For for one request: a list computes
// deadlines for thousands of rows from a handful of marketplaces.
type policyBook struct {
	ps   *inspection.Policies
	seen map[string]inspection.Policy
}

func (s *Server) policyBook() *policyBook {
	return &policyBook{ps: s.policies, seen: map[string]inspection.Policy{}}
}

// For is Policies.For, computed once per marketplace key.
func (b *policyBook) For(marketplace string) inspection.Policy {
	key := inspection.MarketplaceKey(marketplace)
	p, ok := b.seen[key]
	if !ok {
		p = b.ps.For(key)
		b.seen[key] = p
	}
	return p
}

// policyMaxDays is the largest value of a figure over the default policy and
// every marketplace's, so that one database cutoff serves them all.
func (s *Server) policyMaxDays(figure func(inspection.Policy) int) int {
	n := figure(s.policies.For(""))
	if s.policies != nil {
		for key := range s.policies.ByMarketplace {
			n = max(n, figure(s.policies.For(key)))
		}
	}
	return n
}

// cutScan drops the extra candidate a list query returns to tell that
// there were more than watchScanRows.
func cutScan[T any](rows []T) ([]T, bool) { return cutAt(rows, watchScanRows) }

func cutAt[T any](rows []T, n int) ([]T, bool) {
	if len(rows) > n {
		return rows[:n], true
	}
	return rows, false
}

// watchFormat reads ?format=: json (the default) or csv.
func watchFormat(c *fiber.Ctx) (csvOut bool, err error) {
	switch c.Query("format") {
	case "", "json":
		return false, nil
	case "csv":
		return true, nil
	}
	return false, inspection.Errorf(inspection.EINVALID, "format must be json or csv.")
}

// closedWithinDays reads ?closed_within_days=: how long a closed window
// stays on a list.
func closedWithinDays(c *fiber.Ctx) (int, error) {
	q := c.Query("closed_within_days")
	if q == "" {
		return defaultClosedWithinDays, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 0 || n > maxClosedWithinDays {
		return 0, inspection.Errorf(inspection.EINVALID, "closed_within_days must be a whole number from 0 to %d.", maxClosedWithinDays)
	}
	return n, nil
}

// watchResponse is the JSON of every watch list. Total counts the rows
// that matched; when Truncated, only the first Limit are in Rows (and Total
// is at least what it says).
type watchResponse[T any] struct {
	List        string    `json:"list"`
	GeneratedAt time.Time `json:"generated_at"`
	Rows        []T       `json:"rows"`
	Total       int       `json:"total"`
	Truncated   bool      `json:"truncated"`
	Limit       int       `json:"limit"`
}

// column is one column of a list's CSV: its header and how a row spells it.
type column[T any] struct {
	name  string
	value func(*T) string
}

// sendWatch answers a list as JSON or CSV, cut at maxWatchRows. The CSV
// says in X-Total-Count and X-Truncated what the JSON says in its body.
// serveWatch answers a watch list: rows computes it for the user's site
// (every site for an admin) at the server's clock.
func serveWatch[T any](c *fiber.Ctx, s *Server, list string, cols []column[T],
	rows func(ctx context.Context, siteID string, now time.Time) ([]T, bool, error)) error {
	csvOut, err := watchFormat(c)
	if err != nil {
		return err
	}
	now := s.cfg.Now().UTC()
	rs, cut, err := rows(c.UserContext(), siteScope(currentUser(c)), now)
	if err != nil {
		return err
	}
	return sendWatch(c, csvOut, list, now, rs, cut, cols)
}

func sendWatch[T any](c *fiber.Ctx, csvOut bool, list string, now time.Time, rows []T, scanCut bool, cols []column[T]) error {
	total := len(rows)
	shown, cut := cutAt(rows, maxWatchRows)
	truncated := scanCut || cut
	if !csvOut {
		return c.JSON(watchResponse[T]{List: list, GeneratedAt: now.UTC().Truncate(time.Second), Rows: shown,
			Total: total, Truncated: truncated, Limit: maxWatchRows})
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	record := make([]string, len(cols))
	for i, col := range cols {
		record[i] = col.name
	}
	w.Write(record)
	for i := range shown {
		for j, col := range cols {
			record[j] = csvCell(col.value(&shown[i]))
		}
		w.Write(record)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write %s csv: %w", list, err)
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-%s.csv"`, list, now.UTC().Format("20060102")))
	c.Set("X-Total-Count", strconv.Itoa(total))
	c.Set("X-Truncated", strconv.FormatBool(truncated))
	return c.Send(buf.Bytes())
}

// csvCell keeps a spreadsheet from running a buyer's text as a formula
// (a product name or comment starting with = + - @): such a cell gets a
// leading apostrophe. Numbers, negative ones included, stay as they are.
func csvCell(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '@', '\t', '\r':
		return "'" + v
	case '-':
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "'" + v
		}
	}
	return v
}

// csvTime writes an instant as RFC 3339 in UTC; a zero time is empty.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func csvTimeP(t *time.Time) string {
	if t == nil {
		return ""
	}
	return csvTime(*t)
}

func requirementCodes(rs []evidence.Requirement) string {
	codes := make([]string, len(rs))
	for i, r := range rs {
		codes[i] = r.Code
	}
	return strings.Join(codes, ";")
}

func requirementMessages(rs []evidence.Requirement) string {
	msgs := make([]string, len(rs))
	for i, r := range rs {
		msgs[i] = r.Message
	}
	return strings.Join(msgs, " ")
}
