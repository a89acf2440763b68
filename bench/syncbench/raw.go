package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/labels"
	"github.com/returnbench/returnbench/store"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// seqSource hands out the feed and audit seqs of the direct writes.
type seqSource interface {
	// take returns the seqs for one mutation's change and audit event, and
	// the previous audit hash, inside tx.
	take(tx *gorm.DB) (change, audit int64, prevHash string, err error)
	// advance records the seqs used once every write is in, inside tx.
	advance(tx *gorm.DB, change, audit int64, hash string) error
}

// ownSeqs numbers the rows from counters in this process: no row is
// locked, so on PostgreSQL the transactions of the devices run side by
// side. The audit chain it writes does not verify (the events of parallel
// batches interleave); the database is thrown away at the end.
type ownSeqs struct{ change, audit atomic.Int64 }

func (s *ownSeqs) take(*gorm.DB) (int64, int64, string, error) {
	return s.change.Add(1), s.audit.Add(1), "", nil
}

func (s *ownSeqs) advance(*gorm.DB, int64, int64, string) error { return nil }

// headLock takes the seqs under audit_head's row lock, as the store does:
// one locked read and one update of the head per mutation (the store takes
// the lock twice, once for the feed and once for the audit chain), held to
// the end of the batch's transaction.
type headLock struct{}

func (headLock) take(tx *gorm.DB) (int64, int64, string, error) {
	var head struct {
		Seq       int64
		Hash      string
		ChangeSeq int64
	}
	err := tx.Table("audit_head").Clauses(clause.Locking{Strength: "UPDATE"}).
		Select("seq", "hash", "change_seq").Where("id = 1").Take(&head).Error
	return head.ChangeSeq + 1, head.Seq + 1, head.Hash, err
}

func (headLock) advance(tx *gorm.DB, change, audit int64, hash string) error {
	return tx.Table("audit_head").Where("id = 1").
		Updates(map[string]any{"change_seq": change, "seq": audit, "hash": hash}).Error
}

// measureRaw writes the same inspections as the push phase straight into
// the database through GORM, opened the way the store opens it: per
// mutation one Create each of the inspection (or one versioned Update),
// its feed row and its audit event, one transaction per batch. Once with
// seqs of its own, once under the head row lock.
func measureRaw(ctx context.Context, opts options, db *database, userID string) ([]timing, error) {
	g, err := db.openGORM()
	if err != nil {
		return nil, err
	}
	defer func() {
		if sdb, err := g.DB(); err == nil {
			sdb.Close()
		}
	}()
	var head struct {
		Seq       int64
		ChangeSeq int64
	}
	if err := g.WithContext(ctx).Table("audit_head").Select("seq", "change_seq").Where("id = 1").Take(&head).Error; err != nil {
		return nil, fmt.Errorf("read the feed head: %w", err)
	}
	own := &ownSeqs{}
	own.change.Store(head.ChangeSeq)
	own.audit.Store(head.Seq)

	var out []timing
	for _, m := range []struct {
		name, profile string
		seqs          seqSource
	}{
		{"GORM, 3 writes, own seqs", "raw-own", own},
		{"GORM, 3 writes + head lock", "raw-lock", headLock{}},
	} {
		devices := make([]*device, opts.Clients)
		for i := range devices {
			devices[i] = newDevice(m.profile, i, opts.Seed)
		}
		if err := db.settle(ctx); err != nil {
			return nil, err
		}
		write := func(ctx context.Context, d *device, batch []mutation) error {
			return g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				for _, mu := range batch {
					if err := writeDirect(tx, m.seqs, userID, mu); err != nil {
						return err
					}
				}
				return nil
			})
		}
		t, err := warmAndRun(ctx, opts, m.name, db.dialect+"-"+m.profile+".pprof", devices, write)
		if err != nil {
			return nil, err
		}
		if m.seqs == own {
			// Later writers (the store's, the next method) go on after these.
			if err := g.WithContext(ctx).Table("audit_head").Where("id = 1").
				Updates(map[string]any{"change_seq": own.change.Load(), "seq": own.audit.Load()}).Error; err != nil {
				return nil, fmt.Errorf("move the feed head: %w", err)
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// writeDirect is one mutation's writes: what the store writes for an
// inspection.save, without the protocol around it (no mutation record, no
// savepoint, no read of the inspection first).
func writeDirect(tx *gorm.DB, seqs seqSource, userID string, m mutation) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	in := inspection.Inspection{ID: m.inspID, SiteID: inspection.DefaultSiteID, InspectorID: userID,
		ScannedCode: labels.Normalize(m.scanned), Status: inspection.StatusDraft, Checklist: m.checklist,
		Notes: m.notes, Version: m.base + 1}
	action := "inspection.create"
	if m.base == 0 {
		if err := tx.Create(&in).Error; err != nil {
			return fmt.Errorf("create inspection: %w", err)
		}
	} else {
		action = "inspection.save"
		res := tx.Model(&inspection.Inspection{}).Where("id = ? AND version = ?", in.ID, m.base).
			Select("scanned_code", "checklist", "notes", "version", "updated_at").Updates(&in)
		if res.Error != nil {
			return fmt.Errorf("update inspection: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("update inspection %s at version %d: %d rows changed", in.ID, m.base, res.RowsAffected)
		}
	}
	changeSeq, auditSeq, prevHash, err := seqs.take(tx)
	if err != nil {
		return fmt.Errorf("take seqs: %w", err)
	}
	data, err := json.Marshal(&in)
	if err != nil {
		return err
	}
	c := store.Change{Seq: changeSeq, Entity: store.EntityInspection, EntityID: in.ID, Op: store.OpUpsert,
		SiteID: in.SiteID, Data: string(data), At: now}
	if err := tx.Create(&c).Error; err != nil {
		return fmt.Errorf("append change: %w", err)
	}
	ev := inspection.AuditEvent{At: now, ActorID: userID, Action: action, Entity: store.EntityInspection,
		EntityID: in.ID, Data: string(data)}
	ev.Seal(auditSeq-1, prevHash)
	if err := tx.Create(&ev).Error; err != nil {
		return fmt.Errorf("append audit event: %w", err)
	}
	return seqs.advance(tx, c.Seq, ev.Seq, ev.Hash)
}
