package store

import (
	"context"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"gorm.io/gorm"
)

// The queries behind the back office's watch lists and dashboard. They
// select candidates with plain, indexed conditions that read the same on
// SQLite and PostgreSQL; the deadlines themselves are the domain's to
// compute (inspection.Policy), per marketplace, from the rows returned.
//
// Every list query returns at most limit rows plus one, so the caller can
// tell that the list was cut.

// inChunk bounds the values of one IN (...) so that no query comes near
// either database's limit on bound parameters.
const inChunk = 500

// RefundedNotReturned lists FBA returns refunded at or after since whose
// unit came back neither to an Amazon warehouse nor to the bench, and that
// no reimbursement has paid for yet: the refunded-but-not-returned claims.
// Oldest refund first.
func (s *Store) RefundedNotReturned(ctx context.Context, siteID string, since time.Time, limit int) ([]inspection.Return, error) {
	q := s.readDB(ctx).Where("channel = ? AND refunded_at IS NOT NULL AND refunded_at >= ?", inspection.ChannelFBA, since.UTC()).
		Where("fc_returned_at IS NULL AND arrived_at IS NULL AND reimbursed_amount = 0")
	return findReturns(q, siteID, "refunded_at, id", limit)
}

// RefundsPending lists seller-fulfilled returns that arrived and are not
// refunded, leaving out requests closed by the seller or the buyer.
// Earliest arrival first.
func (s *Store) RefundsPending(ctx context.Context, siteID string, limit int) ([]inspection.Return, error) {
	q := s.readDB(ctx).Where("channel = ? AND arrived_at IS NOT NULL AND refunded_at IS NULL", inspection.ChannelMFN).
		Where("LOWER(request_status) NOT LIKE ?", "closed%")
	return findReturns(q, siteID, "arrived_at, id", limit)
}

// atozStart is the fact an A-to-z claim's deadlines count from, as
// inspection.Policy.Deadlines picks it: the request, else the refund, else
// when the return was recorded.
const atozStart = "COALESCE(requested_at, refunded_at, created_at)"

// AtoZClaims lists returns with an A-to-z Guarantee claim whose claim
// started at or after since, earliest first.
func (s *Store) AtoZClaims(ctx context.Context, siteID string, since time.Time, limit int) ([]inspection.Return, error) {
	q := s.readDB(ctx).Where("atoz_claim = ?", true).Where(atozStart+" >= ?", since.UTC())
	return findReturns(q, siteID, atozStart+", id", limit)
}

// SafeTCandidates lists seller-fulfilled returns refunded at or after
// since, with no A-to-z claim and no SAFE-T claim of their own, oldest
// refund first. Whether another return of the same order blocks the claim
// is SafeTBlockedOrders' question.
func (s *Store) SafeTCandidates(ctx context.Context, siteID string, since time.Time, limit int) ([]inspection.Return, error) {
	q := s.readDB(ctx).Where("channel = ? AND refunded_at IS NOT NULL AND refunded_at >= ?", inspection.ChannelMFN, since.UTC()).
		Where("atoz_claim = ? AND safet_claim_id = ''", false)
	return findReturns(q, siteID, "refunded_at, id", limit)
}

// SafeTBlockedOrders returns which of the orders (within the site, every
// site for "") already have a SAFE-T claim or an A-to-z claim on any of
// their returns: SAFE-T allows one claim per order, and none beside A-to-z.
func (s *Store) SafeTBlockedOrders(ctx context.Context, siteID string, orderIDs []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := eachChunk(nonEmpty(orderIDs), func(ids []string) error {
		q := s.readDB(ctx).Model(&inspection.Return{}).Where("order_id IN ?", ids).
			Where("safet_claim_id <> '' OR atoz_claim = ?", true)
		if siteID != "" {
			q = q.Where("site_id = ?", siteID)
		}
		var found []string
		if err := q.Distinct("order_id").Pluck("order_id", &found).Error; err != nil {
			return translate(err, "Returns")
		}
		for _, o := range found {
			out[o] = true
		}
		return nil
	})
	return out, err
}

// ReturnsByIDs finds returns by id; ids that name nothing are left out.
func (s *Store) ReturnsByIDs(ctx context.Context, ids []string) (map[string]*inspection.Return, error) {
	out := map[string]*inspection.Return{}
	err := eachChunk(nonEmpty(ids), func(ids []string) error {
		var rs []inspection.Return
		if err := s.readDB(ctx).Where("id IN ?", ids).Find(&rs).Error; err != nil {
			return translate(err, "Returns")
		}
		for i := range rs {
			out[rs[i].ID] = &rs[i]
		}
		return nil
	})
	return out, err
}

// CompletedInspectionsOf lists the completed inspections of the returns.
func (s *Store) CompletedInspectionsOf(ctx context.Context, returnIDs []string) ([]inspection.Inspection, error) {
	out := []inspection.Inspection{}
	err := eachChunk(nonEmpty(returnIDs), func(ids []string) error {
		var ins []inspection.Inspection
		if err := s.readDB(ctx).Where("return_id IN ? AND status = ?", ids, inspection.StatusCompleted).
			Order("completed_at, id").Find(&ins).Error; err != nil {
			return translate(err, "Inspections")
		}
		out = append(out, ins...)
		return nil
	})
	return out, err
}

// MediaOfInspections lists the evidence files of many inspections, by
// inspection id, oldest first.
func (s *Store) MediaOfInspections(ctx context.Context, inspectionIDs []string) (map[string][]inspection.Media, error) {
	out := map[string][]inspection.Media{}
	err := eachChunk(nonEmpty(inspectionIDs), func(ids []string) error {
		var ms []inspection.Media
		if err := s.readDB(ctx).Where("inspection_id IN ?", ids).Order("created_at, id").Find(&ms).Error; err != nil {
			return translate(err, "Media")
		}
		for _, m := range ms {
			out[m.InspectionID] = append(out[m.InspectionID], m)
		}
		return nil
	})
	return out, err
}

// DisputedInspections lists the completed inspections of a site (every
// site for "") whose verdict is one of verdicts, most recently completed
// first.
func (s *Store) DisputedInspections(ctx context.Context, siteID string, verdicts []inspection.Verdict, limit int) ([]inspection.Inspection, error) {
	q := s.readDB(ctx).Where("status = ? AND verdict IN ?", inspection.StatusCompleted, verdicts)
	if siteID != "" {
		q = q.Where("site_id = ?", siteID)
	}
	out := []inspection.Inspection{}
	err := q.Order("completed_at DESC, id DESC").Limit(limit + 1).Find(&out).Error
	return out, translate(err, "Inspections")
}

// Usernames maps user ids to user names, for lists that name who did what.
func (s *Store) Usernames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	err := eachChunk(nonEmpty(ids), func(ids []string) error {
		var us []struct{ ID, Username string }
		if err := s.readDB(ctx).Model(&inspection.User{}).Select("id, username").Where("id IN ?", ids).Scan(&us).Error; err != nil {
			return translate(err, "Users")
		}
		for _, u := range us {
			out[u.ID] = u.Username
		}
		return nil
	})
	return out, err
}

// ReasonVerdictCount is how many inspections completed in a period found
// verdict for returns given reason. Reason is nil for inspections matched
// to no return.
type ReasonVerdictCount struct {
	Reason  *string
	Verdict string
	Count   int64 `gorm:"column:n"`
}

// ReasonVerdictCounts counts the inspections of a site (every site for "")
// completed in [from, to) by the return's normalised reason and the verdict.
func (s *Store) ReasonVerdictCounts(ctx context.Context, siteID string, from, to time.Time) ([]ReasonVerdictCount, error) {
	q := s.readDB(ctx).Table("inspections AS i").
		Select("r.reason AS reason, i.verdict AS verdict, COUNT(*) AS n").
		Joins("LEFT JOIN returns r ON r.id = i.return_id").
		Where("i.status = ? AND i.completed_at >= ? AND i.completed_at < ?", inspection.StatusCompleted, from.UTC(), to.UTC())
	if siteID != "" {
		q = q.Where("i.site_id = ?", siteID)
	}
	out := []ReasonVerdictCount{}
	err := q.Group("r.reason, i.verdict").Scan(&out).Error
	return out, translate(err, "Inspections")
}

// CompletedInspection is what the weekly charts need of one inspection.
type CompletedInspection struct {
	CompletedAt time.Time
	Grade       inspection.Grade
	Disposition inspection.Disposition
}

// EachCompletedInspection calls fn for every inspection of a site (every
// site for "") completed in [from, to), streaming rows rather than holding
// them: the charts bucket them by week in the site's time zone, which
// neither database can do the same way as the other.
func (s *Store) EachCompletedInspection(ctx context.Context, siteID string, from, to time.Time, fn func(CompletedInspection) error) error {
	q := s.readDB(ctx).Model(&inspection.Inspection{}).Select("completed_at, grade, disposition").
		Where("status = ? AND completed_at >= ? AND completed_at < ?", inspection.StatusCompleted, from.UTC(), to.UTC())
	if siteID != "" {
		q = q.Where("site_id = ?", siteID)
	}
	rows, err := q.Rows()
	if err != nil {
		return translate(err, "Inspections")
	}
	defer rows.Close()
	for rows.Next() {
		var c CompletedInspection
		if err := rows.Scan(&c.CompletedAt, &c.Grade, &c.Disposition); err != nil {
			return translate(err, "Inspections")
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return translate(rows.Err(), "Inspections")
}

// Recovered is the money the bench and the claims brought back in a period.
type Recovered struct {
	RestockingFees inspection.Cents
	Reimbursed     inspection.Cents
	ResoldUnits    int64
}

// MoneyRecovered sums, for a site (every site for "") and [from, to): the
// restocking fees of inspections completed, the reimbursements approved
// for returns, and the units relabelled for resale.
func (s *Store) MoneyRecovered(ctx context.Context, siteID string, from, to time.Time) (Recovered, error) {
	var out Recovered
	from, to = from.UTC(), to.UTC()
	scoped := func(q *gorm.DB) *gorm.DB {
		if siteID != "" {
			q = q.Where("site_id = ?", siteID)
		}
		return q
	}
	fees := scoped(s.readDB(ctx).Model(&inspection.Inspection{}).
		Where("status = ? AND completed_at >= ? AND completed_at < ?", inspection.StatusCompleted, from, to))
	if err := fees.Select("COALESCE(SUM(restocking_fee_amount), 0)").Scan(&out.RestockingFees).Error; err != nil {
		return out, translate(err, "Inspections")
	}
	paid := scoped(s.readDB(ctx).Model(&inspection.Return{}).
		Where("reimbursed_at >= ? AND reimbursed_at < ?", from, to))
	if err := paid.Select("COALESCE(SUM(reimbursed_amount), 0)").Scan(&out.Reimbursed).Error; err != nil {
		return out, translate(err, "Returns")
	}
	units := scoped(s.readDB(ctx).Model(&inspection.UnitLabel{}).Where("created_at >= ? AND created_at < ?", from, to))
	if err := units.Count(&out.ResoldUnits).Error; err != nil {
		return out, translate(err, "Units")
	}
	return out, nil
}

// findReturns runs a candidate query for a list: scoped to a site (every
// site for ""), in a fixed order, at most limit+1 rows. order is always a
// constant of this file, never a caller's text.
func findReturns(q *gorm.DB, siteID, order string, limit int) ([]inspection.Return, error) {
	if siteID != "" {
		q = q.Where("site_id = ?", siteID)
	}
	out := []inspection.Return{}
	err := q.Order(order).Limit(limit + 1).Find(&out).Error
	return out, translate(err, "Returns")
}

// eachChunk calls fn with successive slices of at most inChunk values.
func eachChunk(values []string, fn func([]string) error) error {
	for len(values) > 0 {
		n := min(len(values), inChunk)
		if err := fn(values[:n]); err != nil {
			return err
		}
		values = values[n:]
	}
	return nil
}
