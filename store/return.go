package store

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"gorm.io/gorm"
)

// CreateReturn records an expected return entered by hand or imported.
func (s *Store) CreateReturn(ctx context.Context, r *inspection.Return, actorID string) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if r.ID == "" {
		r.ID = uuid.NewString()
	}
	if r.SiteID == "" {
		r.SiteID = inspection.DefaultSiteID
	}
	r.Version = 1
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(r).Error; err != nil {
			return translate(err, "Return")
		}
		if err := s.appendChange(tx, EntityReturn, r.ID, OpUpsert, r.SiteID, r); err != nil {
			return err
		}
		return s.appendAudit(tx, actorID, "return.create", "return", r.ID,
			map[string]any{"order_id": r.OrderID, "rma_id": r.RMAID, "tracking_id": r.TrackingID, "source": r.Source})
	})
}

// ReturnByID finds one return.
func (s *Store) ReturnByID(ctx context.Context, id string) (*inspection.Return, error) {
	var r inspection.Return
	err := s.readDB(ctx).Where("id = ?", id).Take(&r).Error
	return &r, translate(err, "Return")
}

// scanColumns are the identifier columns a scanned code is compared with.
// Each has its own index, so a lookup is a handful of index probes.
var scanColumns = []string{"tracking_id", "rma_id", "lpn", "order_id", "fnsku"}

// FindReturns returns the returns of a site (every site when siteID is "")
// whose identifiers equal one of the values.
func (s *Store) FindReturns(ctx context.Context, siteID string, values []string) ([]inspection.Return, error) {
	values = nonEmpty(values)
	if len(values) == 0 {
		return []inspection.Return{}, nil
	}
	q := s.readDB(ctx).Model(&inspection.Return{})
	cond := s.readDB(ctx)
	for _, col := range scanColumns {
		cond = cond.Or(col+" IN ?", values)
	}
	q = q.Where(cond)
	if siteID != "" {
		// Written so that no index serves it. With site_id = ? SQLite
		// walks the site's returns in created_at order, reading every one
		// of them for a code that matches none (50 ms a scan at 100,000
		// returns): when most returns have no RMA id or tracking number,
		// as FBA reports' have not, its statistics make those two indexes
		// look worse than reading the site in order.
		q = q.Where("site_id || '' = ?", siteID)
	}
	rs := []inspection.Return{}
	err := q.Order("created_at DESC").Limit(50).Find(&rs).Error
	return rs, translate(err, "Returns")
}

// ReturnFilter narrows a listing of returns.
type ReturnFilter struct {
	SiteID string // "" = every site
	Q      string // identifier, SKU or product name
	Status string // "", "expected" (not arrived) or "arrived"
	Limit  int
	Cursor string
}

// ListReturns pages through returns, newest first. The cursor is opaque to
// clients: it carries the last row's creation time and id.
func (s *Store) ListReturns(ctx context.Context, f ReturnFilter) ([]inspection.Return, string, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	q := s.readDB(ctx).Model(&inspection.Return{})
	if f.SiteID != "" {
		q = q.Where("site_id = ?", f.SiteID)
	}
	switch f.Status {
	case "":
	case "expected":
		q = q.Where("arrived_at IS NULL")
	case "arrived":
		q = q.Where("arrived_at IS NOT NULL")
	default:
		return nil, "", inspection.Errorf(inspection.EINVALID, "status must be expected or arrived.")
	}
	if q2 := strings.TrimSpace(f.Q); q2 != "" {
		if len(q2) > 100 {
			return nil, "", inspection.Errorf(inspection.EINVALID, "The search text is longer than 100 characters.")
		}
		like := "%" + escapeLike(q2) + "%"
		cond := s.readDB(ctx)
		for _, col := range scanColumns {
			cond = cond.Or(col+" = ?", q2)
		}
		cond = cond.Or("sku = ?", q2).Or("product_name LIKE ? ESCAPE '\\'", like)
		q = q.Where(cond)
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		q = q.Where("created_at < ? OR (created_at = ? AND id < ?)", at, at, id)
	}
	rs := []inspection.Return{}
	if err := q.Order("created_at DESC, id DESC").Limit(f.Limit + 1).Find(&rs).Error; err != nil {
		return nil, "", translate(err, "Returns")
	}
	next := ""
	if len(rs) > f.Limit {
		rs = rs[:f.Limit]
		last := rs[len(rs)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	return rs, next, nil
}

func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursor(c string) (time.Time, string, error) {
	bad := inspection.Errorf(inspection.EINVALID, "The cursor is not valid: start again without one.")
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", bad
	}
	ts, id, ok := strings.Cut(string(b), "|")
	at, err := time.Parse(time.RFC3339Nano, ts)
	if !ok || err != nil {
		return time.Time{}, "", bad
	}
	return at, id, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func nonEmpty(values []string) []string {
	out := values[:0:0]
	seen := map[string]bool{}
	for _, v := range values {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
