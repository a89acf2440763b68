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
// opened with one of the scanned codes or for one of the returns.
func (s *Store) FindInspections(ctx context.Context, siteID string, codes, returnIDs []string) ([]inspection.Inspection, error) {
	codes, returnIDs = nonEmpty(codes), nonEmpty(returnIDs)
	out := []inspection.Inspection{}
	if len(codes) == 0 && len(returnIDs) == 0 {
		return out, nil
	}
	cond := s.readDB(ctx)
	if len(codes) > 0 {
		cond = cond.Or("scanned_code IN ?", codes)
	}
	if len(returnIDs) > 0 {
		cond = cond.Or("return_id IN ?", returnIDs)
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
