package store

import (
	"context"

	"github.com/returnbench/returnbench/inspection"
)

// InspectionByID finds one inspection.
func (s *Store) InspectionByID(ctx context.Context, id string) (*inspection.Inspection, error) {
	var in inspection.Inspection
	err := s.readDB(ctx).Where("id = ?", id).Take(&in).Error
	return &in, translate(err, "Inspection")
}

// FindInspections returns a site's inspections (every site when siteID is "")
// opened with one of the scanned codes, for one of the returns, or with one
// of the ids.
func (s *Store) FindInspections(ctx context.Context, siteID string, codes, returnIDs, ids []string) ([]inspection.Inspection, error) {
	codes, returnIDs, ids = nonEmpty(codes), nonEmpty(returnIDs), nonEmpty(ids)
	out := []inspection.Inspection{}
	if len(codes) == 0 && len(returnIDs) == 0 && len(ids) == 0 {
		return out, nil
	}
	cond := s.readDB(ctx)
	if len(codes) > 0 {
		cond = cond.Or("scanned_code IN ?", codes)
	}
	if len(returnIDs) > 0 {
		cond = cond.Or("return_id IN ?", returnIDs)
	}
	if len(ids) > 0 {
		cond = cond.Or("id IN ?", ids)
	}
	q := s.readDB(ctx).Where(cond)
	if siteID != "" {
		q = q.Where("site_id = ?", siteID)
	}
	err := q.Order("created_at DESC").Limit(50).Find(&out).Error
	return out, translate(err, "Inspections")
}

// MediaOf lists the evidence files of an inspection.
func (s *Store) MediaOf(ctx context.Context, inspectionID string) ([]inspection.Media, error) {
	out := []inspection.Media{}
	err := s.readDB(ctx).Where("inspection_id = ?", inspectionID).Order("created_at").Find(&out).Error
	return out, translate(err, "Media")
}
