package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"gorm.io/gorm"
)

// Tx is one write transaction, for callers that compose several writes
// (a sync batch). Each write it offers records the change-feed row and the
// audit event that go with it.
type Tx struct {
	s  *Store
	db *gorm.DB
}

// InTx runs fn in one write transaction.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	return s.writeTx(ctx, func(db *gorm.DB) error { return fn(&Tx{s: s, db: db}) })
}

// Savepoint runs fn in a nested transaction: if fn fails, only its own
// writes are undone and the outer transaction goes on. A panic in fn is
// not caught here: it fails the whole transaction.
func (t *Tx) Savepoint(fn func(tx *Tx) error) error {
	l := logOf(t.db)
	changes, audits, created, written := len(l.changes), len(l.audits), len(l.created), l.written
	// Named and released here rather than through GORM's nested
	// transactions, which never release theirs: a batch of 50 mutations
	// would leave 50 open savepoints for every later statement to carry.
	l.savepoints++
	name := fmt.Sprintf("sp%d", l.savepoints)
	if err := t.db.Exec("SAVEPOINT " + name).Error; err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	err := fn(t)
	if err == nil {
		if rerr := t.db.Exec("RELEASE SAVEPOINT " + name).Error; rerr != nil {
			return fmt.Errorf("release savepoint: %w", rerr)
		}
		return nil
	}
	// The savepoint's writes are undone; so are the log entries and the
	// created inspections they made, and any of the earlier ones written
	// inside it are unwritten again.
	l.changes, l.audits, l.created, l.written = l.changes[:changes], l.audits[:audits], l.created[:created], written
	if rerr := t.db.Exec("ROLLBACK TO SAVEPOINT " + name).Error; rerr != nil {
		return errors.Join(err, fmt.Errorf("roll back to savepoint: %w", rerr))
	}
	if rerr := t.db.Exec("RELEASE SAVEPOINT " + name).Error; rerr != nil {
		return errors.Join(err, fmt.Errorf("release savepoint: %w", rerr))
	}
	return err
}

// Now is the store's clock.
func (t *Tx) Now() time.Time { return t.s.now() }

// MutationRecord is a pushed mutation and the answer it got.
type MutationRecord struct {
	ID        string `gorm:"primaryKey"`
	ClientID  string
	Seq       int64
	UserID    string
	Type      string
	Status    string
	ErrorCode string
	Error     string
	CreatedAt time.Time
}

func (MutationRecord) TableName() string { return "mutations" }

// RecordMutations remembers the answers of a batch, so a repeat of any of
// them gets the same answer again.
func (t *Tx) RecordMutations(ms []*MutationRecord) error {
	if len(ms) == 0 {
		return nil
	}
	db, err := t.write()
	if err != nil {
		return err
	}
	err = db.CreateInBatches(ms, 200).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		// Another request applied some of them first (the same changes sent
		// by two devices' outboxes at once): this one is undone whole, and
		// sent again it gets their answers as duplicates.
		return inspection.Errorf(inspection.EUNAVAILABLE, "Some of these changes were being applied by another request at the same moment; send them again.")
	}
	return translate(err, "Mutation")
}

// pushLockSpace keeps the per-device push locks apart from the other
// advisory locks (the migration lock).
const pushLockSpace = 0x52425059

// LockDevice makes pushes from one device wait for each other, so a batch
// sent again while the first attempt is still being applied (its answer
// was slow or lost) gets that attempt's answers as duplicates, instead of
// both being applied side by side. SQLite has a single writer, so only
// PostgreSQL takes a lock, held until the transaction ends.
func (t *Tx) LockDevice(clientID string) error {
	if t.s.dialect != Postgres {
		return nil
	}
	return t.db.Exec("SELECT pg_advisory_xact_lock(CAST(? AS integer), hashtext(?))", pushLockSpace, clientID).Error
}

// Mutations returns the records of the mutations seen before among ids.
func (t *Tx) Mutations(ids []string) (map[string]*MutationRecord, error) {
	out := map[string]*MutationRecord{}
	if len(ids) == 0 {
		return out, nil
	}
	var found []*MutationRecord
	if err := t.db.Where("id IN ?", ids).Find(&found).Error; err != nil {
		return nil, err
	}
	for _, m := range found {
		out[m.ID] = m
	}
	return out, nil
}

// LookAhead finds which of ids (inspections a batch is about to touch)
// are not stored yet, in one query, so that creating each of them needs
// no query of its own.
func (t *Tx) LookAhead(ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	var found []string
	if err := t.db.Model(&inspection.Inspection{}).Where("id IN ?", ids).Pluck("id", &found).Error; err != nil {
		return err
	}
	l := logOf(t.db)
	if l.absent == nil {
		l.absent = map[string]bool{}
	}
	for _, id := range ids {
		l.absent[id] = true
	}
	for _, id := range found {
		delete(l.absent, id)
	}
	return nil
}

// Inspection reads an inspection inside the transaction, including one the
// transaction created and has not written yet.
func (t *Tx) Inspection(id string) (*inspection.Inspection, error) {
	l := logOf(t.db)
	if in := l.pending(id); in != nil {
		c := *in
		return &c, nil
	}
	if l.absent[id] {
		return &inspection.Inspection{}, translate(gorm.ErrRecordNotFound, "Inspection")
	}
	var in inspection.Inspection
	err := t.db.Where("id = ?", id).Take(&in).Error
	return &in, translate(err, "Inspection")
}

// InsertInspection creates an inspection with its feed row and audit event.
// The row itself waits, with the others the transaction creates, for one
// multi-row insert: before the next write that could depend on it, or at
// commit. Reads through Tx.Inspection see it at once.
func (t *Tx) InsertInspection(in *inspection.Inspection, actorID string) error {
	l := logOf(t.db)
	if l.pending(in.ID) != nil {
		return inspection.Errorf(inspection.ECONFLICT, "Inspection already exists.")
	}
	now := t.s.now()
	if in.CreatedAt.IsZero() {
		in.CreatedAt = now
	}
	in.UpdatedAt = now
	l.created = append(l.created, *in)
	return t.changed(EntityInspection, in.ID, in.SiteID, in, actorID, "inspection.create", nil)
}

// write is the transaction for a write other than creating an inspection:
// the inspections created so far are written first, since it may refer to
// them.
func (t *Tx) write() (*gorm.DB, error) {
	return t.db, logOf(t.db).writeCreated(t.db)
}

// UpdateInspection writes in over version fromVersion. If another writer
// got there first (on any instance) nothing is written and the answer is
// a conflict.
func (t *Tx) UpdateInspection(in *inspection.Inspection, fromVersion int64, actorID, action string, detail any) error {
	db, err := t.write()
	if err != nil {
		return err
	}
	res := db.Model(&inspection.Inspection{}).Where("id = ? AND version = ?", in.ID, fromVersion).
		Select("return_id", "scanned_code", "status", "checklist", "grade", "used_condition", "disposition", "verdict",
			"restocking_fee_percent", "restocking_fee_amount", "notes", "version", "captured_at", "completed_at", "updated_at").
		Updates(in)
	if res.Error != nil {
		return translate(res.Error, "Inspection")
	}
	if res.RowsAffected == 0 {
		return inspection.Errorf(inspection.ECONFLICT, "Inspection %s changed on another device first.", in.ID)
	}
	return t.changed(EntityInspection, in.ID, in.SiteID, in, actorID, action, detail)
}

// DeleteDraft removes a draft inspection opened by mistake, with its
// rejected media records (the caller refuses drafts with any other), and
// leaves a tombstone in the feed so devices drop it too.
func (t *Tx) DeleteDraft(in *inspection.Inspection, actorID, reason string) error {
	db, err := t.write()
	if err != nil {
		return err
	}
	if err := db.Exec("DELETE FROM uploads WHERE inspection_id = ?", in.ID).Error; err != nil {
		return translate(err, "Upload")
	}
	if err := db.Where("inspection_id = ?", in.ID).Delete(&inspection.Media{}).Error; err != nil {
		return translate(err, "Media")
	}
	res := db.Where("id = ? AND version = ?", in.ID, in.Version).Delete(&inspection.Inspection{})
	if res.Error != nil {
		return translate(res.Error, "Inspection")
	}
	if res.RowsAffected == 0 {
		return inspection.Errorf(inspection.ECONFLICT, "Inspection %s changed on another device first.", in.ID)
	}
	if err := t.s.appendChange(t.db, EntityInspection, in.ID, OpDelete, in.SiteID, nil); err != nil {
		return err
	}
	return t.s.appendAudit(t.db, actorID, "inspection.discard", EntityInspection, in.ID, map[string]any{"reason": reason})
}

// Return reads a return inside the transaction.
func (t *Tx) Return(id string) (*inspection.Return, error) {
	var r inspection.Return
	err := t.db.Where("id = ?", id).Take(&r).Error
	return &r, translate(err, "Return")
}

// MarkArrived records when a return's parcel reached the bench; the first
// arrival recorded stands.
func (t *Tx) MarkArrived(r *inspection.Return, at time.Time, actorID string) error {
	db, err := t.write()
	if err != nil {
		return err
	}
	res := db.Model(r).Where("arrived_at IS NULL").Updates(map[string]any{
		"arrived_at": at, "version": gorm.Expr("version + 1"), "updated_at": t.s.now()})
	if res.Error != nil || res.RowsAffected == 0 {
		return translate(res.Error, "Return")
	}
	if err := t.db.Where("id = ?", r.ID).Take(r).Error; err != nil {
		return err
	}
	return t.changed(EntityReturn, r.ID, r.SiteID, r, actorID, "return.receive", map[string]any{"arrived_at": at})
}

// MediaOf lists an inspection's media inside the transaction.
func (t *Tx) MediaOf(inspectionID string) ([]inspection.Media, error) {
	out := []inspection.Media{}
	err := t.db.Where("inspection_id = ?", inspectionID).Find(&out).Error
	return out, translate(err, "Media")
}

// Media reads one media record inside the transaction.
func (t *Tx) Media(id string) (*inspection.Media, error) {
	var m inspection.Media
	err := t.db.Where("id = ?", id).Take(&m).Error
	return &m, translate(err, "Media")
}

// DeclareMedia records a file before its bytes arrive, or updates a
// declaration whose bytes have not been verified.
func (t *Tx) DeclareMedia(m *inspection.Media, actorID string) error {
	db, err := t.write()
	if err != nil {
		return err
	}
	var existing inspection.Media
	err = db.Where("id = ?", m.ID).Take(&existing).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		if err := db.Create(m).Error; err != nil {
			return translate(err, "Media")
		}
	case err != nil:
		return err
	default:
		m.CreatedAt = existing.CreatedAt
		if err := db.Model(&existing).Select("kind", "content_type", "filename", "size", "sha256", "captured_at", "updated_at").
			Updates(m).Error; err != nil {
			return translate(err, "Media")
		}
	}
	return t.changed(EntityMedia, m.ID, m.SiteID, m, actorID, "media.declare",
		map[string]any{"inspection_id": m.InspectionID, "kind": m.Kind, "size": m.Size, "sha256": m.SHA256})
}

// UnitFor returns the unit label of an inspection.
func (t *Tx) UnitFor(inspectionID string) (*inspection.UnitLabel, error) {
	var u inspection.UnitLabel
	err := t.db.Where("inspection_id = ?", inspectionID).Take(&u).Error
	return &u, translate(err, "Unit label")
}

// InsertUnit gives a resellable unit its new label identity.
func (t *Tx) InsertUnit(u *inspection.UnitLabel, actorID string) error {
	db, err := t.write()
	if err != nil {
		return err
	}
	if err := db.Create(u).Error; err != nil {
		return translate(err, "Unit label")
	}
	if err := t.Emit(EventUnitRelabelled, u.SiteID, map[string]any{"unit": u}); err != nil {
		return err
	}
	return t.changed(EntityUnit, u.ID, u.SiteID, u, actorID, "unit.assign", map[string]any{"inspection_id": u.InspectionID})
}

// User reads an account inside the transaction.
func (t *Tx) User(id string) (*inspection.User, error) {
	var u inspection.User
	err := t.db.Where("id = ?", id).Take(&u).Error
	return &u, translate(err, "User")
}

// changed appends the feed row and the audit event of one write.
func (t *Tx) changed(entity, id, siteID string, data any, actorID, action string, detail any) error {
	if err := t.s.appendChange(t.db, entity, id, OpUpsert, siteID, data); err != nil {
		return err
	}
	if detail == nil {
		detail = data
	}
	return t.s.appendAudit(t.db, actorID, action, entity, id, detail)
}
