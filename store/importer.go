package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/reports"
	"gorm.io/gorm"
)

// ImportCounts says what one batch of report rows did.
type ImportCounts struct {
	Inserted, Updated, Unchanged int64
}

func (c *ImportCounts) Add(o ImportCounts) {
	c.Inserted += o.Inserted
	c.Updated += o.Updated
	c.Unchanged += o.Unchanged
}

// reportColumns are the return fields a report sets; what the bench
// records (arrival, inspections) is never overwritten by a report.
var reportColumns = []string{"marketplace", "channel", "order_id", "rma_id", "merchant_rma_id", "tracking_id", "carrier", "lpn", "fnsku",
	"asin", "sku", "product_name", "quantity", "reason_raw", "reason", "buyer_comment", "currency", "order_amount",
	"refund_amount", "requested_at", "request_status", "atoz_claim", "fc_disposition", "fulfillment_center",
	"fc_returned_at", "resolution", "safet_claim_id", "safet_claim_state", "source", "source_hash", "version", "updated_at"}

// ImportReturns upserts one batch of report rows in one transaction: a row
// whose natural key is known and whose content is unchanged is left alone;
// a changed one is updated; a new one is inserted, or adopts a return a
// lead entered by hand for the same RMA id or licence plate.
func (s *Store) ImportReturns(ctx context.Context, siteID string, rows []reports.ReturnRow) (ImportCounts, error) {
	var counts ImportCounts
	if len(rows) == 0 {
		return counts, nil
	}
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		source := rows[0].Return.Source
		keys := make([]string, len(rows))
		for i, r := range rows {
			keys[i] = r.Key
		}
		var found []inspection.Return
		// "source_key <> ''" lets the planner use the partial unique index
		// on (source, source_key) instead of walking the site's returns.
		if err := tx.Where("source = ? AND source_key IN ? AND source_key <> '' AND site_id = ?", source, keys, siteID).Find(&found).Error; err != nil {
			return err
		}
		byKey := map[string]*inspection.Return{}
		for i := range found {
			byKey[found[i].SourceKey] = &found[i]
		}
		manual, err := s.manualReturns(tx, siteID, rows)
		if err != nil {
			return err
		}
		refundRets, err := s.refundReturnsFor(tx, siteID, rows)
		if err != nil {
			return err
		}
		// Reports carry no marketplace; the site's decides which policy applies.
		var site inspection.Site
		if err := tx.Where("id = ?", siteID).Take(&site).Error; err != nil {
			return translate(err, "Site")
		}
		var fresh []*inspection.Return // inserted together at the end
		isFresh := map[*inspection.Return]bool{}
		now := s.now()
		for _, row := range rows {
			in := row.Return
			in.SiteID, in.SourceKey, in.SourceHash = siteID, row.Key, row.Hash
			if in.Marketplace == "" {
				in.Marketplace = site.Marketplace
			}
			cur := byKey[row.Key]
			if cur == nil {
				cur = manual[adoptKey(in)]
				delete(manual, adoptKey(in))
			}
			cur = refundRets.take(in, cur)
			switch {
			case cur != nil && cur.SourceHash == row.Hash:
				counts.Unchanged++
				continue
			case isFresh[cur]:
				// The file lists a new return twice, changed: the later row is what gets inserted.
				in.ID, in.Version, in.CreatedAt, in.UpdatedAt = cur.ID, cur.Version, cur.CreatedAt, cur.UpdatedAt
				*cur = *in
				counts.Updated++
			case cur != nil:
				if err := s.updateFromReport(tx, cur, in); err != nil {
					return err
				}
				byKey[row.Key] = in
				counts.Updated++
			default:
				in.ID, in.Version, in.CreatedAt, in.UpdatedAt = uuid.NewString(), 1, now, now
				fresh = append(fresh, in)
				isFresh[in] = true
				byKey[row.Key] = in
				counts.Inserted++
			}
			if err := s.appendChange(tx, EntityReturn, in.ID, OpUpsert, siteID, in); err != nil {
				return err
			}
		}
		if len(fresh) > 0 {
			// Under both databases' limits on bound values per statement.
			return translate(tx.CreateInBatches(fresh, 500).Error, "Return")
		}
		return nil
	})
	return counts, err
}

// updateFromReport writes a report's facts over a known return.
func (s *Store) updateFromReport(tx *gorm.DB, cur, in *inspection.Return) error {
	in.ID, in.CreatedAt, in.Version, in.UpdatedAt = cur.ID, cur.CreatedAt, cur.Version+1, s.now()
	cols := reportColumns
	if cur.SourceKey == "" {
		cols = append(cols, "source_key") // a hand-entered return joins its report row
	}
	if cur.ArrivedAt == nil && in.ArrivedAt != nil {
		cols = append(cols, "arrived_at") // the first arrival stands
	} else {
		in.ArrivedAt = cur.ArrivedAt
	}
	in.RefundedAt, in.ReimbursedAmount, in.ReimbursedAt = cur.RefundedAt, cur.ReimbursedAmount, cur.ReimbursedAt
	keepRefundFacts(cur, in)
	return translate(tx.Model(&inspection.Return{}).Where("id = ?", cur.ID).Select(cols).Updates(in).Error, "Return")
}

// adoptKey is how a report row recognises a return entered by hand.
func adoptKey(r *inspection.Return) string {
	switch {
	case r.Channel == inspection.ChannelMFN && r.RMAID != "":
		return "rma:" + r.RMAID
	case r.Channel == inspection.ChannelFBA && r.LPN != "":
		return "lpn:" + r.LPN
	}
	return ""
}

func (s *Store) manualReturns(tx *gorm.DB, siteID string, rows []reports.ReturnRow) (map[string]*inspection.Return, error) {
	var rmas, lpns []string
	for _, r := range rows {
		switch k := adoptKey(r.Return); {
		case k == "":
		case r.Return.Channel == inspection.ChannelMFN:
			rmas = append(rmas, r.Return.RMAID)
		default:
			lpns = append(lpns, r.Return.LPN)
		}
	}
	out := map[string]*inspection.Return{}
	// One query per identifier, led by its own index: the site is checked
	// here, since a plan led by site_id walks every return of the site for
	// every batch, and an import slows down as it goes.
	var found []inspection.Return
	for column, values := range map[string][]string{"rma_id": rmas, "lpn": lpns} {
		if len(values) == 0 {
			continue
		}
		var some []inspection.Return
		if err := tx.Where(column+" IN ? AND source_key = ''", values).Find(&some).Error; err != nil {
			return nil, err
		}
		found = append(found, some...)
	}
	for i := range found {
		f := &found[i]
		if f.SiteID != siteID {
			continue
		}
		if f.RMAID != "" {
			out["rma:"+f.RMAID] = f
		}
		if f.LPN != "" {
			out["lpn:"+f.LPN] = f
		}
	}
	return out, nil
}

// ImportReimbursements upserts reimbursement rows and marks the returns
// they pay for as reimbursed (the refunded-but-not-returned claim closes).
func (s *Store) ImportReimbursements(ctx context.Context, siteID string, rows []*inspection.Reimbursement) (ImportCounts, error) {
	var counts ImportCounts
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		orders := map[string]bool{}
		for _, m := range rows {
			m.SiteID = siteID
			var cur inspection.Reimbursement
			err := tx.Where("site_id = ? AND reimbursement_id = ? AND sku = ?", siteID, m.ReimbursementID, m.SKU).Take(&cur).Error
			switch {
			case err == nil && cur.SourceHash == m.SourceHash:
				counts.Unchanged++
				continue
			case err == nil:
				m.ID, m.CreatedAt = cur.ID, cur.CreatedAt
				if err := tx.Save(m).Error; err != nil {
					return translate(err, "Reimbursement")
				}
				counts.Updated++
			case err == gorm.ErrRecordNotFound:
				m.ID = uuid.NewString()
				if err := tx.Create(m).Error; err != nil {
					return translate(err, "Reimbursement")
				}
				counts.Inserted++
			default:
				return err
			}
			if m.OrderID != "" {
				orders[m.OrderID] = true
			}
		}
		return s.markReimbursed(tx, siteID, orders)
	})
	return counts, err
}

// markReimbursed totals each affected FBA return's reimbursements (by
// order and SKU or FNSKU) and records the change in the feed.
func (s *Store) markReimbursed(tx *gorm.DB, siteID string, orders map[string]bool) error {
	if len(orders) == 0 {
		return nil
	}
	var ids []string
	for o := range orders {
		ids = append(ids, o)
	}
	var rets []inspection.Return
	if err := tx.Where("site_id = ? AND channel = ? AND order_id IN ?", siteID, inspection.ChannelFBA, ids).Find(&rets).Error; err != nil {
		return err
	}
	for i := range rets {
		r := &rets[i]
		match := tx.Model(&inspection.Reimbursement{}).
			Where("site_id = ? AND order_id = ? AND ((sku <> '' AND sku = ?) OR (fnsku <> '' AND fnsku = ?))", siteID, r.OrderID, r.SKU, r.FNSKU)
		var total inspection.Cents
		if err := match.Session(&gorm.Session{}).Select("COALESCE(SUM(amount_total), 0)").Scan(&total).Error; err != nil {
			return err
		}
		if total == r.ReimbursedAmount {
			continue
		}
		// The latest approval date, read as a column (an aggregate would
		// lose the column's type on SQLite).
		var latest struct{ ApprovalDate *time.Time }
		if err := match.Session(&gorm.Session{}).Select("approval_date").Order("approval_date DESC").Limit(1).Scan(&latest).Error; err != nil {
			return err
		}
		r.ReimbursedAmount, r.ReimbursedAt, r.Version, r.UpdatedAt = total, latest.ApprovalDate, r.Version+1, s.now()
		if err := tx.Model(r).Select("reimbursed_amount", "reimbursed_at", "version", "updated_at").Updates(r).Error; err != nil {
			return err
		}
		if err := s.appendChange(tx, EntityReturn, r.ID, OpUpsert, r.SiteID, r); err != nil {
			return err
		}
	}
	return nil
}

// ImportRecord is one import as the log and the office see it.
type ImportRecord struct {
	ID        string    `json:"id" gorm:"primaryKey"`
	SiteID    string    `json:"site_id"`
	UserID    string    `json:"user_id"`
	Format    string    `json:"format"`
	Filename  string    `json:"filename"`
	SHA256    string    `json:"sha256" gorm:"column:sha256"`
	RowsTotal int64     `json:"rows_total"`
	Inserted  int64     `json:"inserted"`
	Updated   int64     `json:"updated"`
	Unchanged int64     `json:"unchanged"`
	Rejected  int64     `json:"rejected"`
	CreatedAt time.Time `json:"created_at"`
}

func (ImportRecord) TableName() string { return "imports" }

// RecordImport logs a finished import with an audit event.
func (s *Store) RecordImport(ctx context.Context, rec *ImportRecord) error {
	rec.ID = uuid.NewString()
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(rec).Error; err != nil {
			return err
		}
		return s.appendAudit(tx, rec.UserID, "import."+rec.Format, "import", rec.ID, rec)
	})
}

// AnalyzeReturns refreshes the planner's statistics of the returns table,
// after an import changed its size a lot. On SQLite it samples (the
// analysis limit), so it takes well under a second even at a million rows.
func (s *Store) AnalyzeReturns(ctx context.Context) error {
	if s.dialect == Postgres {
		return s.write.WithContext(ctx).Exec("ANALYZE returns").Error
	}
	return s.write.WithContext(ctx).Connection(func(db *gorm.DB) error {
		if err := db.Exec("PRAGMA analysis_limit = 1000").Error; err != nil {
			return err
		}
		return db.Exec("ANALYZE returns").Error
	})
}
