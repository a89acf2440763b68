package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/returnbench/returnbench/inspection"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

type auditHead struct {
	ID   int64
	Seq  int64
	Hash string
}

func (auditHead) TableName() string { return "audit_head" }

// appendAudit adds an event to the chain inside tx. Locking the head row
// serialises appends: on PostgreSQL a second writer waits here and then
// reads the head the first one committed; SQLite has one writer anyway.
func (s *Store) appendAudit(tx *gorm.DB, actorID, action, entity, entityID string, data any) error {
	var head auditHead
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = 1").Take(&head).Error; err != nil {
		return fmt.Errorf("lock audit head: %w", err)
	}
	ev := inspection.AuditEvent{At: s.now(), ActorID: actorID, Action: action, Entity: entity, EntityID: entityID}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return fmt.Errorf("audit data: %w", err)
		}
		ev.Data = string(b)
	}
	ev.Seal(head.Seq, head.Hash)
	if err := tx.Create(&ev).Error; err != nil {
		return fmt.Errorf("append audit event: %w", err)
	}
	if err := tx.Model(&head).Updates(map[string]any{"seq": ev.Seq, "hash": ev.Hash}).Error; err != nil {
		return fmt.Errorf("advance audit head: %w", err)
	}
	return nil
}

// AuditVerification is the result of re-hashing the whole audit log.
type AuditVerification struct {
	OK            bool                   `json:"ok"`
	Events        int64                  `json:"events"`
	FirstBadEvent *inspection.AuditEvent `json:"first_bad_event,omitempty"`
}

// VerifyAudit re-hashes every event in order, in batches, and checks that the
// head agrees with the last event.
func (s *Store) VerifyAudit(ctx context.Context) (AuditVerification, error) {
	v := inspection.NewChainVerifier()
	var batch []inspection.AuditEvent
	err := s.readDB(ctx).Order("seq").FindInBatches(&batch, 1000, func(tx *gorm.DB, _ int) error {
		for i := range batch {
			if !v.Check(&batch[i]) {
				return errStopVerify
			}
		}
		return nil
	}).Error
	if err != nil && err != errStopVerify {
		return AuditVerification{}, fmt.Errorf("read audit log: %w", err)
	}
	if v.FirstBad != nil {
		return AuditVerification{OK: false, Events: v.Count, FirstBadEvent: v.FirstBad}, nil
	}
	var head auditHead
	if err := s.readDB(ctx).Where("id = 1").Take(&head).Error; err != nil {
		return AuditVerification{}, fmt.Errorf("read audit head: %w", err)
	}
	if head.Seq != v.Count {
		// Events were removed from the end: the head remembers more than the log holds.
		return AuditVerification{OK: false, Events: v.Count}, nil
	}
	return AuditVerification{OK: true, Events: v.Count}, nil
}

var errStopVerify = fmt.Errorf("stop")

// AuditEvents returns the events about one entity, oldest first.
func (s *Store) AuditEvents(ctx context.Context, entity, entityID string) ([]inspection.AuditEvent, error) {
	var evs []inspection.AuditEvent
	err := s.readDB(ctx).Where("entity = ? AND entity_id = ?", entity, entityID).Order("seq").Find(&evs).Error
	return evs, err
}
