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

// appendAudit adds an event to the transaction's log; it joins the chain
// when the transaction commits (see flushLog).
func (s *Store) appendAudit(tx *gorm.DB, actorID, action, entity, entityID string, data any) error {
	ev := inspection.AuditEvent{At: s.now(), ActorID: actorID, Action: action, Entity: entity, EntityID: entityID}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return fmt.Errorf("audit data: %w", err)
		}
		ev.Data = string(b)
	}
	l := logOf(tx)
	l.audits = append(l.audits, ev)
	return nil
}

// txLog holds the audit events and feed rows a write transaction makes,
// until it commits, and the inspections it creates (see Tx.InsertInspection).
type txLog struct {
	changes []Change
	audits  []inspection.AuditEvent

	created []inspection.Inspection // inspections made in the transaction
	written int                     // created[:written] are in the database
	absent  map[string]bool         // inspection ids known not to be stored (Tx.LookAhead)

	savepoints int // savepoints taken, for their names (Tx.Savepoint)
}

// pending is the created inspection id that is not written yet, or nil.
func (l *txLog) pending(id string) *inspection.Inspection {
	for i := len(l.created) - 1; i >= l.written; i-- {
		if l.created[i].ID == id {
			return &l.created[i]
		}
	}
	return nil
}

// writeCreated writes the inspections created since the last write, in one
// multi-row insert.
func (l *txLog) writeCreated(tx *gorm.DB) error {
	fresh := l.created[l.written:]
	if len(fresh) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(fresh, 200).Error; err != nil {
		return translate(err, "Inspection")
	}
	for _, in := range fresh {
		delete(l.absent, in.ID)
	}
	l.written = len(l.created)
	return nil
}

type txLogKey struct{}

// logOf is the log of the transaction tx belongs to.
func logOf(tx *gorm.DB) *txLog {
	l, ok := tx.Statement.Context.Value(txLogKey{}).(*txLog)
	if !ok {
		panic("store: audit or feed write outside writeTx") // a programming error, caught by any test
	}
	return l
}

// flushLog writes a transaction's log just before it commits. It locks the
// head row once, numbers the feed rows and chains the audit events in
// memory, writes both with multi-row inserts and moves the head. The lock is
// held to commit, so feed rows still become visible strictly in seq order
// and the chain never forks, on SQLite and on PostgreSQL with any number of
// instances; but a batch of 50 mutations takes it once, not 100 times, and
// holds it only for the end of its transaction.
func (s *Store) flushLog(tx *gorm.DB, l *txLog) error {
	if err := l.writeCreated(tx); err != nil {
		return err
	}
	if len(l.changes)+len(l.audits) == 0 {
		return nil
	}
	var head struct {
		Seq       int64
		Hash      string
		ChangeSeq int64
	}
	if err := tx.Table("audit_head").Clauses(clause.Locking{Strength: "UPDATE"}).
		Select("seq", "hash", "change_seq").Where("id = 1").Take(&head).Error; err != nil {
		return fmt.Errorf("lock log head: %w", err)
	}
	for i := range l.changes {
		l.changes[i].Seq = head.ChangeSeq + int64(i) + 1
	}
	seq, hash := head.Seq, head.Hash
	for i := range l.audits {
		l.audits[i].Seal(seq, hash)
		seq, hash = l.audits[i].Seq, l.audits[i].Hash
	}
	if len(l.changes) > 0 {
		if err := tx.CreateInBatches(&l.changes, 200).Error; err != nil {
			return fmt.Errorf("append changes: %w", err)
		}
	}
	if len(l.audits) > 0 {
		if err := tx.CreateInBatches(&l.audits, 200).Error; err != nil {
			return fmt.Errorf("append audit events: %w", err)
		}
	}
	err := tx.Table("audit_head").Where("id = 1").Updates(map[string]any{
		"seq": seq, "hash": hash, "change_seq": head.ChangeSeq + int64(len(l.changes))}).Error
	if err != nil {
		return fmt.Errorf("advance log head: %w", err)
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
