package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/reports"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Sources of returns that a refund created because no known return
// matched it: the refund still starts the clock, and a later report row for
// the same order and item adopts the return (see refundReturns.take).
const (
	SourceRefundEmail  = "refund_email"
	SourceRefundManual = "refund_manual"
)

// RefundOutcome says what recording one refund did.
type RefundOutcome struct {
	Refund *inspection.Refund
	// New is false when the refund was recorded before: nothing changed.
	New bool
	// Updated lists the returns whose refund date, amount or currency it set.
	Updated []string
	// Created is the return made for it when no known return matched.
	Created string
}

// RecordRefunds records refunds of one site in one transaction and applies
// each new one to the returns of its order: a refund already recorded (the
// same order, item and time) changes nothing, so importing an email again
// is harmless.
func (s *Store) RecordRefunds(ctx context.Context, siteID, actorID string, refunds []inspection.Refund) ([]RefundOutcome, error) {
	out := make([]RefundOutcome, len(refunds))
	for i := range refunds {
		r := refunds[i]
		r.SiteID, r.ItemKey = siteID, r.Key()
		r.RefundedAt = r.RefundedAt.UTC().Truncate(time.Second)
		if err := r.Validate(); err != nil {
			return nil, err
		}
		out[i].Refund = &r
	}
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		for i := range out {
			o := &out[i]
			o.New, o.Updated, o.Created = false, nil, ""
			o.Refund.ID, o.Refund.CreatedAt = uuid.NewString(), s.now()
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(o.Refund)
			if res.Error != nil {
				return translate(res.Error, "Refund")
			}
			if res.RowsAffected == 0 {
				continue
			}
			o.New = true
			if err := s.appendAudit(tx, actorID, "refund.record", "refund", o.Refund.ID, o.Refund); err != nil {
				return err
			}
			if err := s.applyRefund(tx, actorID, o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyRefund sets the refund's facts on the returns it is for (what is
// already set stands), or creates a return when none is known.
func (s *Store) applyRefund(tx *gorm.DB, actorID string, o *RefundOutcome) error {
	r := o.Refund
	var cands []inspection.Return
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("site_id = ? AND order_id = ?", r.SiteID, r.OrderID).
		Order("created_at, id").Find(&cands).Error; err != nil {
		return translate(err, "Returns")
	}
	matched := matchRefund(r, cands)
	if len(matched) == 0 {
		return s.createRefundReturn(tx, actorID, o)
	}
	for _, ret := range matched {
		var cols []string
		if ret.RefundedAt == nil {
			at := r.RefundedAt
			ret.RefundedAt, cols = &at, append(cols, "refunded_at")
		}
		if ret.RefundAmount == 0 && r.Amount > 0 {
			ret.RefundAmount, cols = r.Amount, append(cols, "refund_amount")
		}
		if ret.Currency == "" && r.Currency != "" {
			ret.Currency, cols = r.Currency, append(cols, "currency")
		}
		if len(cols) == 0 {
			continue
		}
		ret.Version, ret.UpdatedAt = ret.Version+1, s.now()
		cols = append(cols, "version", "updated_at")
		if err := tx.Model(&inspection.Return{}).Where("id = ?", ret.ID).Select(cols).Updates(ret).Error; err != nil {
			return translate(err, "Return")
		}
		if err := s.appendChange(tx, EntityReturn, ret.ID, OpUpsert, ret.SiteID, ret); err != nil {
			return err
		}
		if err := s.appendAudit(tx, actorID, "return.refund", EntityReturn, ret.ID, map[string]any{
			"refund_id": r.ID, "order_id": r.OrderID, "amount": r.Amount, "currency": r.Currency,
			"refunded_at": r.RefundedAt, "source": r.Source, "set": cols[:len(cols)-2]}); err != nil {
			return err
		}
		o.Updated = append(o.Updated, ret.ID)
	}
	return nil
}

// matchRefund picks the returns of the refund's order that it is for: by
// SKU or ASIN when the refund names them (else the order's returns that
// name no item), by product name when it names only that (else the
// order's only return), and every return of the order when it names no
// item at all.
func matchRefund(r *inspection.Refund, cands []inspection.Return) []*inspection.Return {
	var out []*inspection.Return
	pick := func(ok func(*inspection.Return) bool) {
		for i := range cands {
			if ok(&cands[i]) {
				out = append(out, &cands[i])
			}
		}
	}
	anonymous := func(c *inspection.Return) bool { return c.SKU == "" && c.ASIN == "" }
	switch {
	case r.SKU != "" || r.ASIN != "":
		pick(func(c *inspection.Return) bool {
			return (r.SKU != "" && c.SKU == r.SKU) || (r.ASIN != "" && c.ASIN == r.ASIN)
		})
		if len(out) == 0 {
			pick(anonymous)
		}
	case r.ItemName != "":
		pick(func(c *inspection.Return) bool {
			return strings.EqualFold(strings.TrimSpace(c.ProductName), r.ItemName)
		})
		if len(out) == 0 && len(cands) == 1 {
			out = append(out, &cands[0])
		}
	default:
		pick(func(*inspection.Return) bool { return true })
	}
	return out
}

// createRefundReturn makes the return a refund is for when none is known,
// so that the refund's clock runs. The channel is what the notice says, or
// FBA when it does not: Amazon refunds before anything comes back only for
// FBA orders, and a seller-fulfilled refund usually follows a return the
// reports already list.
func (s *Store) createRefundReturn(tx *gorm.DB, actorID string, o *RefundOutcome) error {
	r := o.Refund
	at := r.RefundedAt
	source := SourceRefundEmail
	if r.Source == inspection.RefundSourceManual {
		source = SourceRefundManual
	}
	// A notice names no marketplace; the site's decides which policy applies.
	var site inspection.Site
	if err := tx.Where("id = ?", r.SiteID).Take(&site).Error; err != nil {
		return translate(err, "Site")
	}
	ret := &inspection.Return{ID: uuid.NewString(), SiteID: r.SiteID, Marketplace: site.Marketplace, Channel: cmp.Or(r.Channel, inspection.ChannelFBA),
		OrderID: r.OrderID, SKU: r.SKU, ASIN: r.ASIN, ProductName: r.ItemName, Quantity: 1, Currency: r.Currency,
		RefundAmount: r.Amount, RefundedAt: &at, Source: source, Version: 1}
	if err := ret.Validate(); err != nil {
		return err
	}
	if err := tx.Create(ret).Error; err != nil {
		return translate(err, "Return")
	}
	if err := s.appendChange(tx, EntityReturn, ret.ID, OpUpsert, ret.SiteID, ret); err != nil {
		return err
	}
	o.Created = ret.ID
	return s.appendAudit(tx, actorID, "return.create", EntityReturn, ret.ID,
		map[string]any{"order_id": ret.OrderID, "source": ret.Source, "refund_id": r.ID, "channel": ret.Channel})
}

// refundReturns are returns that refunds created before any report listed
// them, by order id, for a batch of report rows to adopt.
type refundReturns map[string][]*inspection.Return

// refundReturnsFor finds the refund-created returns of the rows' orders
// that no report row has adopted yet.
func (s *Store) refundReturnsFor(tx *gorm.DB, siteID string, rows []reports.ReturnRow) (refundReturns, error) {
	out := refundReturns{}
	var orders []string
	for _, r := range rows {
		orders = append(orders, r.Return.OrderID)
	}
	if orders = nonEmpty(orders); len(orders) == 0 {
		return out, nil
	}
	// Led by the order index; the site is checked here (see manualReturns).
	var found []inspection.Return
	if err := tx.Where("order_id IN ? AND source IN ? AND source_key = ''", orders,
		[]string{SourceRefundEmail, SourceRefundManual}).Find(&found).Error; err != nil {
		return nil, translate(err, "Returns")
	}
	// The oldest refund is taken first.
	slices.SortFunc(found, func(a, b inspection.Return) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	for i := range found {
		if found[i].SiteID == siteID {
			out[found[i].OrderID] = append(out[found[i].OrderID], &found[i])
		}
	}
	return out, nil
}

// take lets a report row take over a return that a refund created before
// the report listed it (the usual order for FBA: Amazon refunds first, the
// unit shows up in the returns report later), so the order does not end
// up with two returns: one of the same order for the same SKU or ASIN, or
// one that names no item. Each is taken once. cur, when set, is kept.
func (rr refundReturns) take(in, cur *inspection.Return) *inspection.Return {
	if cur != nil {
		return cur
	}
	list := rr[in.OrderID]
	for i, r := range list {
		if (r.SKU != "" && r.SKU == in.SKU) || (r.ASIN != "" && r.ASIN == in.ASIN) || (r.SKU == "" && r.ASIN == "") {
			rr[in.OrderID] = slices.Delete(list, i, i+1)
			return r
		}
	}
	return nil
}

// keepRefundFacts keeps what a refund notice said when a report row that
// updates the return says nothing of it (an FBA returns report has no
// amount or currency).
func keepRefundFacts(cur, in *inspection.Return) {
	if in.RefundAmount == 0 {
		in.RefundAmount = cur.RefundAmount
	}
	if in.Currency == "" {
		in.Currency = cur.Currency
	}
}
