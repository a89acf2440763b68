package crash

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"
	"github.com/returnbench/returnbench/media/s3test"
)

// The crash harness's findings, each made deterministic.

// TestRepeatedCreationWithUpload: a phone sends a file's first bytes on
// the creating POST (tus creation-with-upload); the connection dies after
// the server stored a part, so the phone never learns the upload's address
// and sends the same POST again, with the same bytes from 0. The server
// must not put those bytes anywhere but at 0: the file must still arrive
// whole and be verified.
func TestRepeatedCreationWithUpload(t *testing.T) {
	ctx := context.Background()
	_, api, inspectionID := startOne(t, KillServer)
	data := make([]byte, 8<<20)
	rand.NewChaCha8([32]byte{8}).Read(data)
	copy(data, []byte{0xFF, 0xD8, 0xFF, 0xE0})
	sum := sha256.Sum256(data)
	mediaID := uuid.NewString()
	md := tusMetadata("media_id", mediaID, "inspection_id", inspectionID, "kind", "contents",
		"content_type", "image/jpeg", "sha256", hex.EncodeToString(sum[:]))

	// The first POST carries the whole file; its connection breaks after
	// 6 MiB, once a 5 MiB part has been stored.
	pr, pw := io.Pipe()
	go func() {
		pw.Write(data[:6<<20])
		time.Sleep(300 * time.Millisecond)
		pw.CloseWithError(errors.New("the phone lost its network"))
	}()
	if _, _, err := api.tusCreate(ctx, int64(len(data)), md, pr, int64(len(data))); err == nil {
		t.Fatal("the cut POST was answered as if complete")
	}

	// What the server holds now, once it has settled: a POST without a
	// body says.
	var stored, last int64 = 0, -1
	for deadline := time.Now().Add(10 * time.Second); stored < 5<<20 || stored != last; {
		if time.Now().After(deadline) {
			t.Fatalf("the server never reported the first part stored (offset %d)", stored)
		}
		time.Sleep(100 * time.Millisecond)
		_, off, err := api.tusCreate(ctx, int64(len(data)), md, nil, 0)
		if err != nil {
			t.Fatalf("repeat the creation without a body: %v", err)
		}
		stored, last = off, stored
	}

	// The phone repeats its creation-with-upload, bytes from 0 as before.
	path, off, err := api.tusCreate(ctx, int64(len(data)), md, bytes.NewReader(data), int64(len(data)))
	switch {
	case err != nil:
		t.Errorf("repeated creation-with-upload, with the server already at %d: %v", stored, err)
		// The phone asks where the upload stands, as after any failure.
		if path, off, err = api.tusCreate(ctx, int64(len(data)), md, nil, 0); err != nil {
			t.Fatalf("find the upload again: %v", err)
		}
	case off > stored:
		t.Errorf("repeated creation-with-upload answered offset %d: the server held %d and took the body, bytes from 0, as the bytes after it", off, stored)
	}
	if off < int64(len(data)) {
		if _, err := api.tusPatch(ctx, path, off, data[off:], bytes.NewReader(data[off:]), false); err != nil {
			t.Errorf("finish the upload from offset %d: %v", off, err)
		}
	} else if _, err := api.tusHead(ctx, path); err != nil {
		t.Errorf("HEAD of the upload the server says is whole: %v", err)
	}
	m, err := api.mediaMeta(ctx, mediaID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != "verified" || m.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("media after the repeated creation: %s with sha256 %s; want verified with %x", m.Status, m.SHA256, sum)
	}
}

// TestStoreLosesUpload: the S3 store loses an upload in progress. MinIO
// does when it is killed at the wrong moment (the upload's xl.meta is left
// empty and it answers NoSuchUpload). Acknowledged bytes are then gone
// with it, which returnbench cannot help; but it must say the upload is
// gone (tus: 404 or 410), and a new creation for the same file must start
// a new upload, so that the phone can send the file again.
func TestStoreLosesUpload(t *testing.T) {
	ctx := context.Background()
	h, api, inspectionID := startOne(t, KillS3)
	data := make([]byte, 8<<20)
	rand.NewChaCha8([32]byte{9}).Read(data)
	copy(data, []byte{0xFF, 0xD8, 0xFF, 0xE0})
	sum := sha256.Sum256(data)
	mediaID := uuid.NewString()
	md := tusMetadata("media_id", mediaID, "inspection_id", inspectionID, "kind", "contents",
		"content_type", "image/jpeg", "sha256", hex.EncodeToString(sum[:]))
	path, _, err := api.tusCreate(ctx, int64(len(data)), md, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.tusPatch(ctx, path, 0, data[:5<<20], bytes.NewReader(data[:5<<20]), false); err != nil {
		t.Fatal(err)
	}

	// The store forgets the multipart upload.
	client, err := h.newS3Client()
	if err != nil {
		t.Fatal(err)
	}
	core := minio.Core{Client: client}
	key := "sites/main/inspections/" + inspectionID + "/" + mediaID
	res, err := core.ListMultipartUploads(ctx, h.s3.bucket, key, "", "", "", 10)
	if err != nil || len(res.Uploads) != 1 {
		t.Fatalf("find the multipart upload of %s: %v, %d found", key, err, len(res.Uploads))
	}
	if err := core.AbortMultipartUpload(ctx, h.s3.bucket, key, res.Uploads[0].UploadID); err != nil {
		t.Fatal(err)
	}

	// The phone goes on as tus says: resume from the offset; when the
	// upload is gone, create it again and send what the new one lacks.
	var answers []string
	offset := int64(5 << 20)
	for round := 0; round < 4; round++ {
		off, err := api.tusPatch(ctx, path, offset, data[offset:], bytes.NewReader(data[offset:]), false)
		if err == nil && off == int64(len(data)) {
			break
		}
		answers = append(answers, fmt.Sprintf("PATCH from %d: %v", offset, err))
		if s := statusOf(err); s != 404 && s != 410 {
			t.Fatalf("after the store lost the upload: %s", strings.Join(answers, "; "))
		}
		path, offset, err = api.tusCreate(ctx, int64(len(data)), md, nil, 0)
		if err != nil {
			t.Fatalf("create again: %v", err)
		}
		answers = append(answers, fmt.Sprintf("POST gave %s at offset %d", path, offset))
	}
	m, err := api.mediaMeta(ctx, mediaID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != "verified" || m.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("media after the store lost its upload: %s; want verified with %x. The phone got: %s",
			m.Status, sum, strings.Join(answers, "; "))
	}
}

// startOne starts returnbench (on MinIO for KillS3) with one inspector
// signed in and one inspection of theirs on the server.
func startOne(t *testing.T, mode Mode) (*harness, *apiClient, string) {
	t.Helper()
	ctx := context.Background()
	h := &harness{cfg: Config{Mode: mode, Bin: mustBinary(t), MinIO: s3test.Binary(), Dir: t.TempDir(), Devices: 1, Logf: t.Logf}}
	h.dataDir = filepath.Join(h.cfg.Dir, "data")
	t.Cleanup(h.cleanup)
	if err := h.startProcesses(ctx); err != nil {
		t.Fatal(err)
	}
	api := newAPIClient(h.base)
	if err := api.login(ctx, deviceName(0), password); err != nil {
		t.Fatal(err)
	}
	inspectionID := uuid.NewString()
	payload, _ := json.Marshal(map[string]any{"id": inspectionID, "notes": t.Name()})
	res, err := api.push(ctx, "phone-"+t.Name(), []pushMutation{{ID: uuid.NewString(), Seq: 1, Type: "inspection.save", Payload: payload}})
	if err != nil || res[0].Status != "applied" {
		t.Fatalf("create the inspection: %v %+v", err, res)
	}
	return h, api, inspectionID
}

// TestCreationOfUnfinishedUpload: all of a file's bytes are stored but the
// check that makes it verified did not run (the store failed at the
// finishing step, or a kill came just before it). A phone that repeats the
// creation must not hear that the upload is complete (Upload-Offset equal
// to Upload-Length) while the file is not verified: it would drop its copy
// of evidence the server never accepted.
func TestCreationOfUnfinishedUpload(t *testing.T) {
	ctx := context.Background()
	h, api, inspectionID := startOne(t, KillServer)
	data := make([]byte, 7<<20)
	rand.NewChaCha8([32]byte{10}).Read(data)
	copy(data, []byte{0xFF, 0xD8, 0xFF, 0xE0})
	sum := sha256.Sum256(data)
	mediaID := uuid.NewString()
	md := tusMetadata("media_id", mediaID, "inspection_id", inspectionID, "kind", "contents",
		"content_type", "image/jpeg", "sha256", hex.EncodeToString(sum[:]))
	path, _, err := api.tusCreate(ctx, int64(len(data)), md, nil, 0)
	if err != nil {
		t.Fatal(err)
	}

	// The store fails at the finishing step: a directory stands where the
	// finished file is to be moved, so the move fails once.
	obstacle := filepath.Join(h.dataDir, "media", "objects", "sites", "main", "inspections", inspectionID, mediaID)
	if err := os.MkdirAll(filepath.Join(obstacle, "in-the-way"), 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := api.tusPatch(ctx, path, 0, data, bytes.NewReader(data), false); err == nil {
		t.Fatal("the PATCH succeeded although the file could not be stored; the test set-up failed")
	}
	if err := os.RemoveAll(obstacle); err != nil {
		t.Fatal(err)
	}

	// The phone did not get its answer; it repeats the creation.
	_, off, err := api.tusCreate(ctx, int64(len(data)), md, nil, 0)
	if err != nil {
		t.Fatalf("repeat the creation: %v", err)
	}
	m, err := api.mediaMeta(ctx, mediaID)
	if err != nil {
		t.Fatal(err)
	}
	if off == int64(len(data)) && m.Status != "verified" {
		t.Errorf("the repeated creation answered Upload-Offset %d = Upload-Length, but the media is %s, not verified", off, m.Status)
	}
}
