package store

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/media"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"time"
)

// MediaByID finds one media record.
func (s *Store) MediaByID(ctx context.Context, id string) (*inspection.Media, error) {
	var m inspection.Media
	err := s.readDB(ctx).Where("id = ?", id).Take(&m).Error
	return &m, translate(err, "Media")
}

// InspectionMediaBytes is the size of an inspection's files that count
// against its quota: all but rejected ones, and but one media id.
func (s *Store) InspectionMediaBytes(ctx context.Context, inspectionID, exceptMediaID string) (int64, error) {
	var n int64
	err := s.readDB(ctx).Model(&inspection.Media{}).
		Where("inspection_id = ? AND status <> ? AND id <> ?", inspectionID, inspection.MediaRejected, exceptMediaID).
		Select("COALESCE(SUM(size), 0)").Scan(&n).Error
	return n, err
}

// UploadByID finds an upload.
func (s *Store) UploadByID(ctx context.Context, id string) (*media.Upload, error) {
	var up media.Upload
	err := s.readDB(ctx).Where("id = ?", id).Take(&up).Error
	return &up, translate(err, "Upload")
}

// UploadByMedia finds the newest upload of a media file.
func (s *Store) UploadByMedia(ctx context.Context, mediaID string) (*media.Upload, error) {
	var up media.Upload
	err := s.readDB(ctx).Where("media_id = ?", mediaID).Order("created_at DESC").Take(&up).Error
	return &up, translate(err, "Upload")
}

// CreateUpload records the media file (or refreshes a declared one) and its
// upload in one transaction.
func (s *Store) CreateUpload(ctx context.Context, up *media.Upload, m *inspection.Media, actorID string) error {
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "id"}},
			DoUpdates: clause.AssignmentColumns([]string{"kind", "content_type", "filename", "size", "sha256",
				"status", "storage_key", "captured_at", "updated_at"}),
			Where: clause.Where{Exprs: []clause.Expression{clause.Neq{Column: "media.status", Value: inspection.MediaVerified}}},
		}).Create(m).Error
		if err != nil {
			return translate(err, "Media")
		}
		if err := tx.Create(up).Error; err != nil {
			return translate(err, "Upload")
		}
		if err := s.mediaChanged(tx, m.ID); err != nil {
			return err
		}
		return s.appendAudit(tx, actorID, "media.upload_started", "media", m.ID,
			map[string]any{"inspection_id": m.InspectionID, "kind": m.Kind, "size": m.Size, "sha256": m.SHA256})
	})
}

// TakeUpload makes the caller the upload's only writer: it stores a new
// lock token, which fences off any older request still running (on this
// instance or another, perhaps a phone's dead connection), and returns the
// upload's state as of that moment.
func (s *Store) TakeUpload(ctx context.Context, id, lockToken string) (*media.Upload, error) {
	var up media.Upload
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&media.Upload{}).Where("id = ?", id).Update("lock_token", lockToken)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return tx.Where("id = ?", id).Take(&up).Error
	})
	return &up, translate(err, "Upload")
}

// SaveUploadProgress stores offset, parts, tail and hash state, only while
// the caller still holds the lock.
func (s *Store) SaveUploadProgress(ctx context.Context, up *media.Upload) error {
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		return saveFenced(tx, up)
	})
}

func saveFenced(tx *gorm.DB, up *media.Upload) error {
	res := tx.Model(&media.Upload{}).Where("id = ? AND lock_token = ?", up.ID, up.LockToken).
		Select("offset", "parts", "tail_key", "tail_size", "hash_state", "sniffed", "status", "expires_at", "updated_at").
		Updates(up)
	if res.Error != nil {
		return translate(res.Error, "Upload")
	}
	if res.RowsAffected == 0 {
		return media.ErrLockLost
	}
	return nil
}

// FinishUpload ends an upload and sets its media's status in one
// transaction, with an audit event naming the outcome.
func (s *Store) FinishUpload(ctx context.Context, up *media.Upload, mediaStatus, sha256Hex, actorID, reason string) error {
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		if err := saveFenced(tx, up); err != nil {
			return err
		}
		changes := map[string]any{"status": mediaStatus, "updated_at": s.now()}
		if mediaStatus == inspection.MediaVerified {
			changes["verified_at"] = s.now()
			changes["sha256"] = sha256Hex
		}
		res := tx.Model(&inspection.Media{}).Where("id = ? AND status <> ?", up.MediaID, inspection.MediaVerified).Updates(changes)
		if res.Error != nil {
			return translate(res.Error, "Media")
		}
		if err := s.mediaChanged(tx, up.MediaID); err != nil {
			return err
		}
		action := map[string]string{
			inspection.MediaVerified: "media.verified", inspection.MediaRejected: "media.rejected",
		}[mediaStatus]
		if action == "" {
			action = "media.upload_" + up.Status
		}
		return s.appendAudit(tx, actorID, action, "media", up.MediaID,
			map[string]any{"upload_id": up.ID, "sha256": sha256Hex, "size": up.Length, "reason": reason})
	})
}

// mediaChanged puts a media record's current state in the feed, so devices
// learn when their files are verified (and may free local copies).
func (s *Store) mediaChanged(tx *gorm.DB, id string) error {
	var m inspection.Media
	if err := tx.Where("id = ?", id).Take(&m).Error; err != nil {
		return translate(err, "Media")
	}
	return s.appendChange(tx, EntityMedia, m.ID, OpUpsert, m.SiteID, &m)
}

// ExpiredUploads lists open uploads idle past their expiry.
func (s *Store) ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]media.Upload, error) {
	var ups []media.Upload
	err := s.readDB(ctx).Where("status = ? AND expires_at < ?", media.UploadOpen, now).Limit(limit).Find(&ups).Error
	return ups, err
}

// CreateInspection records a new draft inspection (the sync protocol's
// inspection.save will come through here too).
func (s *Store) CreateInspection(ctx context.Context, in *inspection.Inspection, actorID string) error {
	if in.ID == "" {
		in.ID = uuid.NewString()
	}
	if in.SiteID == "" {
		in.SiteID = inspection.DefaultSiteID
	}
	if in.Status == "" {
		in.Status = inspection.StatusDraft
	}
	in.Version = 1
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(in).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return inspection.Errorf(inspection.ECONFLICT, "Inspection %s already exists.", in.ID)
			}
			return translate(err, "Inspection")
		}
		if err := s.appendChange(tx, EntityInspection, in.ID, OpUpsert, in.SiteID, in); err != nil {
			return err
		}
		return s.appendAudit(tx, actorID, "inspection.create", "inspection", in.ID,
			map[string]any{"return_id": in.ReturnID, "scanned_code": in.ScannedCode})
	})
}

// VerifiedMedia calls fn for every verified media record, in batches, for
// the re-hashing check of stored evidence.
func (s *Store) VerifiedMedia(ctx context.Context, fn func(m *inspection.Media) error) error {
	var batch []inspection.Media
	return s.readDB(ctx).Where("status = ?", inspection.MediaVerified).Order("id").
		FindInBatches(&batch, 500, func(tx *gorm.DB, _ int) error {
			for i := range batch {
				if err := fn(&batch[i]); err != nil {
					return err
				}
			}
			return nil
		}).Error
}
