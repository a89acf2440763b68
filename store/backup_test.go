package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/media"
	"github.com/returnbench/returnbench/store"
	"github.com/returnbench/returnbench/store/storetest"
)

func backupInspection(tb testing.TB, s *store.Store, u *inspection.User) *inspection.Inspection {
	tb.Helper()
	in := &inspection.Inspection{ID: uuid.NewString(), InspectorID: u.ID, ScannedCode: "1Z999AA10123456784"}
	if err := s.CreateInspection(context.Background(), in, u.ID); err != nil {
		tb.Fatalf("create inspection: %v", err)
	}
	return in
}

// backupUpload stores a small photo for an inspection: verified when whole,
// left open (in flight) otherwise.
func backupUpload(tb testing.TB, ups *media.Uploads, u *inspection.User, in *inspection.Inspection, whole bool) (*media.Upload, []byte) {
	tb.Helper()
	ctx := context.Background()
	data := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte(in.ID), 40)...)
	sum := sha256.Sum256(data)
	up, err := ups.Create(ctx, u, media.NewUpload{MediaID: uuid.NewString(), InspectionID: in.ID, Kind: inspection.MediaPackage,
		Filename: "p.jpg", ContentType: "image/jpeg", SHA256: hex.EncodeToString(sum[:]), Length: int64(len(data))})
	if err != nil {
		tb.Fatalf("create upload: %v", err)
	}
	chunk := data[:len(data)/2]
	if whole {
		chunk = data
	}
	if up, err = ups.Write(ctx, u, up.ID, 0, bytes.NewReader(chunk), nil); err != nil {
		tb.Fatalf("write upload: %v", err)
	}
	return up, data
}

func TestBackupSQLiteWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := mustCreateUser(t, s, "ana", inspection.RoleInspector)
	disk, err := media.NewDisk(filepath.Join(dir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	ups := media.NewUploads(disk, s, media.DefaultLimits, time.Now, nil)
	in := backupInspection(t, s, u)
	verified, _ := backupUpload(t, ups, u, in, true)
	backupUpload(t, ups, u, in, false)

	// A writer keeps committing while the copy is taken.
	stop := make(chan struct{})
	var written atomic.Int64
	done := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			in := &inspection.Inspection{ID: uuid.NewString(), InspectorID: u.ID}
			if err := s.CreateInspection(ctx, in, u.ID); err != nil {
				done <- err
				return
			}
			written.Add(1)
		}
	}()
	for written.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	dest := filepath.Join(t.TempDir(), "copy.db")
	snap, err := store.BackupSQLite(ctx, dir, dest)
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("writer: %v", err)
	}
	if err != nil {
		t.Fatalf("backup while writing: %v", err)
	}

	t.Run("Described", func(t *testing.T) {
		latest, _ := store.LatestSchemaVersion()
		meta, _ := s.SyncState(ctx)
		if snap.SchemaVersion != latest || snap.Epoch != meta.Epoch || snap.ChangeSeq < 3 || snap.AuditSeq < 3 {
			t.Fatalf("got %+v; want schema %d, epoch %s and a feed", snap, latest, meta.Epoch)
		}
		if len(snap.Media) != 1 || snap.Media[0].ID != verified.MediaID || snap.Media[0].StorageKey == "" {
			t.Fatalf("media = %+v; want only the verified file %s", snap.Media, verified.MediaID)
		}
	})
	t.Run("CopyUnchangedByReading", func(t *testing.T) {
		entries, _ := os.ReadDir(filepath.Dir(dest))
		if len(entries) != 1 {
			t.Fatalf("files next to the copy: %v; want the copy alone (no journal, WAL or shm)", entries)
		}
	})
	t.Run("Consistent", func(t *testing.T) {
		// The copy, opened as a data dir, is one commit's state: the audit
		// chain verifies and the feed has every position up to its head.
		restored := t.TempDir()
		b, _ := os.ReadFile(dest)
		os.WriteFile(store.SQLiteFile(restored), b, 0o640)
		rs, err := store.Open(ctx, store.Config{DataDir: restored})
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		v, err := rs.VerifyAudit(ctx)
		if err != nil || !v.OK || v.Events != snap.AuditSeq {
			t.Fatalf("audit = %+v, %v; want ok with %d events", v, err, snap.AuditSeq)
		}
		changes, _, err := rs.Changes(ctx, "", 0, 100000)
		if err != nil || int64(len(changes)) != snap.ChangeSeq {
			t.Fatalf("%d changes, %v; want %d", len(changes), err, snap.ChangeSeq)
		}
	})
	t.Run("ErrDestExists", func(t *testing.T) {
		_, err := store.BackupSQLite(ctx, dir, dest)
		if got, want := inspection.ErrorCode(err), inspection.ECONFLICT; got != want {
			t.Fatalf("got %q (%v), want %q", got, err, want)
		}
	})
	t.Run("ErrNoDatabase", func(t *testing.T) {
		_, err := store.BackupSQLite(ctx, t.TempDir(), filepath.Join(t.TempDir(), "x.db"))
		if got, want := inspection.ErrorCode(err), inspection.ENOTFOUND; got != want || !strings.Contains(err.Error(), "--data-dir") {
			t.Fatalf("got %q (%v), want %q naming --data-dir", got, err, want)
		}
	})
}

func TestBackupMarkRestored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustCreateUser(t, s, "ana", inspection.RoleInspector)
		ups := media.NewUploads(backupDisk(t), s, media.DefaultLimits, time.Now, nil)
		in := backupInspection(t, s, u)
		done, _ := backupUpload(t, ups, u, in, true)
		open, _ := backupUpload(t, ups, u, in, false)
		before, _ := s.SyncState(ctx)

		r, err := s.MarkRestored(ctx, "cli", store.RestoreNote{Source: "backup", BackupCreatedAt: time.Now().UTC()})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("NewEpoch", func(t *testing.T) {
			after, _ := s.SyncState(ctx)
			if after.Epoch == before.Epoch || r.Epoch != after.Epoch || r.PreviousEpoch != before.Epoch {
				t.Fatalf("epoch %s -> %s (result %+v); want a new one", before.Epoch, after.Epoch, r)
			}
		})
		t.Run("UploadsInFlightExpired", func(t *testing.T) {
			if r.ExpiredUploads != 1 {
				t.Fatalf("expired %d uploads, want 1", r.ExpiredUploads)
			}
			expired, err := s.ExpiredUploads(ctx, time.Now().Add(time.Millisecond), 10)
			if err != nil || len(expired) != 1 || expired[0].ID != open.ID {
				t.Fatalf("expired uploads = %+v, %v; want only %s", expired, err, open.ID)
			}
			got, _ := s.UploadByID(ctx, done.ID)
			if got.Status != media.UploadComplete {
				t.Fatalf("finished upload is %s, want it untouched", got.Status)
			}
		})
		t.Run("Audited", func(t *testing.T) {
			evs, err := s.AuditEvents(ctx, "sync", r.Epoch)
			if err != nil || len(evs) != 1 || evs[0].Action != "system.restored" || !strings.Contains(evs[0].Data, before.Epoch) {
				t.Fatalf("events = %+v, %v; want one system.restored naming the previous epoch", evs, err)
			}
			if v, err := s.VerifyAudit(ctx); err != nil || !v.OK {
				t.Fatalf("audit = %+v, %v; want ok", v, err)
			}
		})
	})
}

func backupDisk(tb testing.TB) *media.Disk {
	tb.Helper()
	d, err := media.NewDisk(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return d
}
