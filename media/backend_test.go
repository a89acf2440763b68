package media_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/media"
	"github.com/returnbench/returnbench/media/s3test"
	"github.com/returnbench/returnbench/store"
)

// TestS3Outage stops MinIO in the middle of an upload: the client gets an
// "unavailable" error it can retry, and the upload resumes once S3 is back.
func TestS3Outage(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	b, err := media.NewS3(ctx, srv.Config(""))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, store.SQLite, b)
	data := webm(16<<20, 7)
	up := e.create(t, data, sha(data))
	up = e.sendChunks(t, e.uploads, up.ID, data[:7<<20], 7<<20)
	srv.Stop()
	_, err = e.uploads.Write(ctx, e.user, up.ID, up.Offset, bytes.NewReader(data[up.Offset:]), nil)
	if got := inspection.ErrorCode(err); got != inspection.EUNAVAILABLE {
		t.Fatalf("write while S3 is down: %v (%s), want unavailable", err, got)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	e.mustStored(t, e.sendChunks(t, e.uploads, up.ID, data, 5<<20), data)
}

// TestWORM checks that verified evidence cannot be removed: S3 Object Lock
// in compliance mode, read-only files on disk.
func TestWORM(t *testing.T) {
	ctx := context.Background()
	t.Run("S3Compliance", func(t *testing.T) {
		srv := s3test.Shared(t)
		cfg := srv.Config("compliance")
		b, err := media.NewS3(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, store.SQLite, b)
		l := media.DefaultLimits
		l.PartSize, l.RetainDays = partSize, 1
		e.uploads = media.NewUploads(b, e.store, l, e.clock.Now, nil)
		data := webm(6<<20, 8)
		up := e.sendChunks(t, e.uploads, e.create(t, data, sha(data)).ID, data, 6<<20)
		e.mustStored(t, up, data)
		client, _ := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")})
		info, err := client.StatObject(ctx, cfg.Bucket, up.StorageKey, minio.StatObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if info.VersionID == "" {
			t.Fatal("no version id: the bucket is not versioned, so it has no Object Lock")
		}
		err = client.RemoveObject(ctx, cfg.Bucket, up.StorageKey, minio.RemoveObjectOptions{VersionID: info.VersionID})
		if err == nil || !strings.Contains(err.Error(), "WORM") {
			t.Fatalf("deleting retained evidence: %v, want a WORM refusal", err)
		}
		if err := b.Delete(ctx, up.StorageKey); err == nil {
			t.Fatal("the backend deleted retained evidence")
		}
	})
	t.Run("DiskReadOnly", func(t *testing.T) {
		dir := t.TempDir()
		b, _ := media.NewDisk(dir)
		e := newEnv(t, store.SQLite, b)
		l := media.DefaultLimits
		l.PartSize, l.RetainDays = partSize, 1
		e.uploads = media.NewUploads(b, e.store, l, e.clock.Now, nil)
		data := webm(1<<20, 9)
		up := e.sendChunks(t, e.uploads, e.create(t, data, sha(data)).ID, data, 1<<20)
		st, err := os.Stat(filepath.Join(dir, "objects", up.StorageKey))
		if err != nil || st.Mode().Perm()&0o222 != 0 {
			t.Fatalf("stored file mode %v, %v; want read-only", st.Mode(), err)
		}
	})
}

// TestVerifyStored re-hashes stored evidence and names a file changed on disk.
func TestVerifyStored(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, _ := media.NewDisk(dir)
	e := newEnv(t, store.SQLite, b)
	var ups []*media.Upload
	for i := range 3 {
		data := webm(1<<20+i, uint64(10+i))
		ups = append(ups, e.sendChunks(t, e.uploads, e.create(t, data, sha(data)).ID, data, 1<<20))
	}
	report, err := media.VerifyStored(ctx, b, func(fn func(*inspection.Media) error) error { return e.store.VerifiedMedia(ctx, fn) })
	if err != nil || report.Checked != 3 || len(report.Mismatches) != 0 {
		t.Fatalf("clean store: %+v, %v; want 3 checked, no mismatch", report, err)
	}
	// Someone with shell access flips bytes in one file.
	path := filepath.Join(dir, "objects", ups[1].StorageKey)
	os.Chmod(path, 0o640)
	f, _ := os.OpenFile(path, os.O_WRONLY, 0)
	f.WriteAt([]byte("tampered"), 5000)
	f.Close()
	report, err = media.VerifyStored(ctx, b, func(fn func(*inspection.Media) error) error { return e.store.VerifiedMedia(ctx, fn) })
	if err != nil || len(report.Mismatches) != 1 || report.Mismatches[0].MediaID != ups[1].MediaID || report.Mismatches[0].Problem != "content changed" {
		t.Fatalf("tampered store: %+v, %v; want one mismatch for %s", report, err, ups[1].MediaID)
	}
}

// TestS3LostPart: an S3 server that lost a part it had acknowledged (a
// crash before its disk sync) cannot finish the multipart upload; that is
// reported as not found, so the upload ends and the device sends the file
// again, instead of every retry failing as an internal error.
func TestS3LostPart(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Shared(t)
	b, err := media.NewS3(ctx, srv.Config(""))
	if err != nil {
		t.Fatal(err)
	}
	key := "lost-part/" + t.Name()
	id, err := b.StartMultipart(ctx, key, "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	part, err := b.PutPart(ctx, key, id, 1, 0, bytes.Repeat([]byte("x"), 1024))
	if err != nil {
		t.Fatal(err)
	}
	part.ETag = strings.Repeat("0", 32) // the part the store has is not the one it acknowledged
	err = b.CompleteMultipart(ctx, key, id, []media.Part{part})
	if got := inspection.ErrorCode(err); got != inspection.ENOTFOUND {
		t.Fatalf("complete with a lost part: %v (%s), want not found", err, got)
	}
}
