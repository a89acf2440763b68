package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/media"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// SQLiteFile is where the SQLite database of a data dir lives.
func SQLiteFile(dataDir string) string { return filepath.Join(dataDir, "returnbench.db") }

// LatestSchemaVersion is the newest migration this build knows: a database
// (or a backup of one) at a higher version was written by a newer build.
func LatestSchemaVersion() (int64, error) {
	ms, err := loadMigrations()
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	return ms[len(ms)-1].version, nil
}

// Snapshot describes a database copy made by BackupSQLite: what it holds
// as of the moment it was taken.
type Snapshot struct {
	SchemaVersion int64
	Epoch         string
	ChangeSeq     int64 // the feed's last position in the copy
	AuditSeq      int64 // the audit chain's length in the copy
	// Media are the verified evidence files the copy's records vouch for;
	// only these must come with the copy for it to verify.
	Media []inspection.Media
}

// BackupSQLite writes a consistent copy of the SQLite database of dataDir
// to dest while servers keep reading and writing it. It opens the file
// itself rather than through Open: a backup must neither migrate the live
// database nor wait for a server's write connection. VACUUM INTO reads
// inside one transaction, so the copy is the database as of one commit,
// and it takes no write lock: writers go on during the copy.
func BackupSQLite(ctx context.Context, dataDir, dest string) (*Snapshot, error) {
	src := SQLiteFile(dataDir)
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil, inspection.Errorf(inspection.ENOTFOUND, "There is no database at %s: check --data-dir (RETURNBENCH_DATA_DIR).", src)
	} else if err != nil {
		return nil, fmt.Errorf("database file: %w", err)
	}
	if _, err := os.Lstat(dest); err == nil {
		return nil, inspection.Errorf(inspection.ECONFLICT, "%s already exists: a backup never overwrites a file.", dest)
	}
	live, err := openFile(sqliteDSN(src, true))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", src, err)
	}
	defer closeDB(live)
	// The file name is a bound value: VACUUM INTO takes an expression.
	if err := live.WithContext(ctx).Exec("VACUUM INTO ?", dest).Error; err != nil {
		return nil, fmt.Errorf("copy the database: %w", err)
	}
	// VACUUM INTO does not sync its output; a backup that a power cut can
	// leave half-written is not one.
	if err := syncFile(dest); err != nil {
		return nil, fmt.Errorf("sync the copy: %w", err)
	}
	return describeSnapshot(ctx, dest)
}

// describeSnapshot reads a fresh copy without changing a byte of it:
// immutable=1 opens it with no locks and no journal or WAL files, so the
// hashes taken afterwards are of exactly what was checked here.
func describeSnapshot(ctx context.Context, path string) (*Snapshot, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("immutable", "1")
	db, err := openFile("file:" + path + "?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open the copy: %w", err)
	}
	defer closeDB(db)
	db = db.WithContext(ctx)
	var check string
	if err := db.Raw("PRAGMA quick_check").Scan(&check).Error; err != nil {
		return nil, fmt.Errorf("check the copy: %w", err)
	}
	if check != "ok" {
		return nil, fmt.Errorf("the copy fails SQLite's quick_check: %s", check)
	}
	snap := &Snapshot{}
	if err := db.Table("schema_migrations").Select("COALESCE(MAX(version), 0)").Scan(&snap.SchemaVersion).Error; err != nil {
		return nil, fmt.Errorf("read the copy's schema version: %w", err)
	}
	var meta SyncMeta
	if err := db.Where("id = 1").Take(&meta).Error; err != nil {
		return nil, fmt.Errorf("read the copy's sync epoch: %w", err)
	}
	snap.Epoch = meta.Epoch
	var head struct{ Seq, ChangeSeq int64 }
	if err := db.Table("audit_head").Select("seq", "change_seq").Where("id = 1").Take(&head).Error; err != nil {
		return nil, fmt.Errorf("read the copy's log head: %w", err)
	}
	snap.AuditSeq, snap.ChangeSeq = head.Seq, head.ChangeSeq
	if err := db.Where("status = ?", inspection.MediaVerified).Order("id").Find(&snap.Media).Error; err != nil {
		return nil, fmt.Errorf("read the copy's media: %w", err)
	}
	return snap, nil
}

func openFile(dsn string) (*gorm.DB, error) {
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, err
	}
	if err := setPool(db, 1); err != nil {
		closeDB(db)
		return nil, err
	}
	return db, nil
}

func closeDB(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.Close()
	}
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// RestoreNote is what the audit log keeps about a restore.
type RestoreNote struct {
	BackupCreatedAt time.Time `json:"backup_created_at,omitzero"`
	ManifestSHA256  string    `json:"manifest_sha256,omitempty"`
	Source          string    `json:"source,omitempty"` // "backup" or "pg_restore"
}

// Restored is what MarkRestored changed.
type Restored struct {
	PreviousEpoch  string
	Epoch          string
	ExpiredUploads int64
}

// MarkRestored makes a restored database safe to serve, in one transaction
// recorded in the audit log:
//
//   - A new sync epoch. Devices' cursors are feed positions of the database
//     they last pulled from, which ran on past the backup; the restored feed
//     will hand those same positions to other changes, so an old cursor would
//     silently skip them. With a new epoch every old cursor gets 410 and the
//     device pulls from the start.
//   - Uploads that were in flight expire now. Their parts and hash state were
//     taken at different moments from the database, so they cannot resume;
//     the server's cleanup ends them at its next start and the devices, which
//     keep a file until it is verified, send it again.
func (s *Store) MarkRestored(ctx context.Context, actorID string, note RestoreNote) (Restored, error) {
	var r Restored
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		var meta SyncMeta
		if err := tx.Where("id = 1").Take(&meta).Error; err != nil {
			return fmt.Errorf("read sync epoch: %w", err)
		}
		r.PreviousEpoch, r.Epoch = meta.Epoch, newEpoch()
		if err := tx.Model(&SyncMeta{}).Where("id = 1").Update("epoch", r.Epoch).Error; err != nil {
			return fmt.Errorf("new sync epoch: %w", err)
		}
		now := s.now()
		res := tx.Model(&media.Upload{}).Where("status = ? AND expires_at > ?", media.UploadOpen, now).
			Update("expires_at", now)
		if res.Error != nil {
			return fmt.Errorf("expire uploads in flight: %w", res.Error)
		}
		r.ExpiredUploads = res.RowsAffected
		return s.appendAudit(tx, actorID, "system.restored", "sync", r.Epoch, struct {
			PreviousEpoch  string `json:"previous_epoch"`
			ExpiredUploads int64  `json:"expired_uploads"`
			RestoreNote
		}{r.PreviousEpoch, r.ExpiredUploads, note})
	})
	return r, err
}
