package store

import (
	"context"

	"github.com/returnbench/returnbench/inspection"
)

// UnitByID finds a unit label by its id.
func (s *Store) UnitByID(ctx context.Context, id string) (*inspection.UnitLabel, error) {
	var u inspection.UnitLabel
	err := s.readDB(ctx).Where("id = ?", id).Take(&u).Error
	return &u, translate(err, "Unit")
}

// UnitOfInspection finds the unit label a completed resellable inspection got.
func (s *Store) UnitOfInspection(ctx context.Context, inspectionID string) (*inspection.UnitLabel, error) {
	var u inspection.UnitLabel
	err := s.readDB(ctx).Where("inspection_id = ?", inspectionID).Take(&u).Error
	return &u, translate(err, "Unit")
}

// FindUnits returns the units of a site ("" = every site) with these ids.
func (s *Store) FindUnits(ctx context.Context, siteID string, ids []string) ([]inspection.UnitLabel, error) {
	out := []inspection.UnitLabel{}
	ids = nonEmpty(ids)
	if len(ids) == 0 {
		return out, nil
	}
	q := s.readDB(ctx).Where("id IN ?", ids)
	if siteID != "" {
		q = q.Where("site_id = ?", siteID)
	}
	err := q.Limit(3000).Find(&out).Error
	return out, translate(err, "Units")
}

// RecordPrint notes in the audit log that a unit's label went to a printer.
func (s *Store) RecordPrint(ctx context.Context, u *inspection.UnitLabel, actorID, printer, format string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		return tx.s.appendAudit(tx.db, actorID, "unit.print", EntityUnit, u.ID, map[string]any{"printer": printer, "format": format})
	})
}
