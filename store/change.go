package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Entities in the feed.
const (
	EntityReturn     = "return"
	EntityInspection = "inspection"
	EntityMedia      = "media"
	EntityUnit       = "unit"
)

// Change operations.
const (
	OpUpsert = "upsert"
	OpDelete = "delete" // a tombstone: the record is gone
)

// Change is one entry of the feed devices pull: the record's state after a
// write, or a tombstone.
type Change struct {
	Seq      int64 `gorm:"primaryKey;autoIncrement:false"`
	Entity   string
	EntityID string
	Op       string
	SiteID   string
	Data     string // the record as JSON; "null" for a tombstone
	At       time.Time
}

// appendChange adds a record's new state to the transaction's log; it gets
// its feed position when the transaction commits (see flushLog).
func (s *Store) appendChange(tx *gorm.DB, entity, entityID, op, siteID string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("change data: %w", err)
	}
	l := logOf(tx)
	l.changes = append(l.changes, Change{Entity: entity, EntityID: entityID, Op: op, SiteID: siteID, Data: string(raw), At: s.now()})
	return nil
}

// Changes returns up to limit changes after seq, in order, for one site
// ("" = every site), and whether more follow.
func (s *Store) Changes(ctx context.Context, siteID string, after int64, limit int) ([]Change, bool, error) {
	q := s.readDB(ctx).Where("seq > ?", after)
	if siteID != "" {
		q = q.Where("site_id = ?", siteID)
	}
	out := []Change{}
	if err := q.Order("seq").Limit(limit + 1).Find(&out).Error; err != nil {
		return nil, false, fmt.Errorf("read changes: %w", err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// LastChangeSeq is the newest seq in the feed.
func (s *Store) LastChangeSeq(ctx context.Context) (int64, error) {
	var head struct{ ChangeSeq int64 }
	err := s.readDB(ctx).Table("audit_head").Select("change_seq").Where("id = 1").Take(&head).Error
	return head.ChangeSeq, err
}

// SyncMeta is the feed's identity and horizon.
type SyncMeta struct {
	ID         int64 `gorm:"primaryKey;autoIncrement:false"`
	Epoch      string
	HorizonSeq int64
}

func (SyncMeta) TableName() string { return "sync_meta" }

// ensureEpoch gives a new database its feed epoch.
func (s *Store) ensureEpoch(ctx context.Context) error {
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&SyncMeta{ID: 1, Epoch: newEpoch()}).Error
	})
}

func newEpoch() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// SyncState returns the epoch and the horizon below which cursors are stale.
func (s *Store) SyncState(ctx context.Context) (SyncMeta, error) {
	var m SyncMeta
	err := s.readDB(ctx).Where("id = 1").Take(&m).Error
	return m, err
}

// NewEpoch starts a new feed identity, as after a restore: every device's
// cursor becomes stale and it resyncs from the start.
func (s *Store) NewEpoch(ctx context.Context) error {
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		return tx.Model(&SyncMeta{}).Where("id = 1").Update("epoch", newEpoch()).Error
	})
}

// CompactChanges drops feed rows older than before that a newer row of the
// same record supersedes, and tombstones older than before. Devices whose
// cursor is below the highest dropped tombstone must resync (410), since
// they could no longer learn of that delete.
func (s *Store) CompactChanges(ctx context.Context, before time.Time) (int64, error) {
	var dropped int64
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		res := tx.Exec(`DELETE FROM changes WHERE at < ? AND EXISTS (
			SELECT 1 FROM changes newer WHERE newer.entity = changes.entity
			AND newer.entity_id = changes.entity_id AND newer.seq > changes.seq)`, before)
		if res.Error != nil {
			return res.Error
		}
		dropped = res.RowsAffected
		var horizon int64
		if err := tx.Table("changes").Where("op = ? AND at < ?", OpDelete, before).
			Select("COALESCE(MAX(seq), 0)").Scan(&horizon).Error; err != nil {
			return err
		}
		if horizon == 0 {
			return nil
		}
		res = tx.Where("op = ? AND seq <= ?", OpDelete, horizon).Delete(&Change{})
		if res.Error != nil {
			return res.Error
		}
		dropped += res.RowsAffected
		return tx.Model(&SyncMeta{}).Where("id = 1 AND horizon_seq < ?", horizon).Update("horizon_seq", horizon).Error
	})
	return dropped, err
}
