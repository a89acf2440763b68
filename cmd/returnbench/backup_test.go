package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/media"
	"github.com/returnbench/returnbench/store"
	"github.com/returnbench/returnbench/store/storetest"
	rbsync "github.com/returnbench/returnbench/sync"
)

// backupServer is the program serving in-process on a data dir, which a
// test can stop half-way.
type backupServer struct {
	base string
	stop func()
}

func startBackupServer(t *testing.T, dataDir string) *backupServer {
	t.Helper()
	logs := &syncBuffer{}
	ready := make(chan string, 1)
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: logs, Ready: func(a string) { ready <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir}) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve ended with %v", err)
			}
		})
	}
	t.Cleanup(stop)
	select {
	case addr := <-ready:
		return &backupServer{base: "http://" + addr, stop: stop}
	case err := <-done:
		t.Fatalf("serve: %v\n%s", err, logs)
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start")
	}
	return nil
}

// backupClient is one signed-in device talking to a server.
type backupClient struct {
	base, token, device string
	seq                 int64
}

func mustSignIn(t *testing.T, base, username, password string) *backupClient {
	t.Helper()
	res, err := http.Post(base+"/api/v1/auth/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, username, password)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var login struct{ Token string }
	json.NewDecoder(res.Body).Decode(&login)
	if res.StatusCode != 200 || login.Token == "" {
		t.Fatalf("login as %s: %d", username, res.StatusCode)
	}
	return &backupClient{base: base, token: login.Token, device: "dev-" + uuid.NewString()[:8]}
}

func (c *backupClient) do(method, path string, body io.Reader, header map[string]string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res, b, err
}

// save pushes inspection.save mutations, one per id, and fails unless each
// is applied.
func (c *backupClient) save(ids []string, fields map[string]any) error {
	req := rbsync.PushRequest{ClientID: c.device}
	for _, id := range ids {
		p := map[string]any{"id": id}
		for k, v := range fields {
			p[k] = v
		}
		b, _ := json.Marshal(p)
		c.seq++
		req.Mutations = append(req.Mutations, rbsync.Mutation{ID: uuid.NewString(), Seq: c.seq, Type: "inspection.save", Payload: b})
	}
	body, _ := json.Marshal(req)
	res, b, err := c.do("POST", "/api/v1/sync/push", bytes.NewReader(body), map[string]string{"Content-Type": "application/json"})
	if err != nil {
		return err
	}
	var out rbsync.PushResponse
	if res.StatusCode != 200 || json.Unmarshal(b, &out) != nil || len(out.Results) != len(ids) {
		return fmt.Errorf("push: %d %s", res.StatusCode, b)
	}
	for _, r := range out.Results {
		if r.Status != rbsync.StatusApplied {
			return fmt.Errorf("push: %+v, want applied", r)
		}
	}
	return nil
}

// pull pages through the feed from a cursor: the status of the first
// page that is not 200, or the changes (without the policies) and the
// final cursor.
func (c *backupClient) pull(t *testing.T, cursor string) (int, []rbsync.Change, string) {
	t.Helper()
	var all []rbsync.Change
	for range 1000 {
		res, b, err := c.do("GET", "/api/v1/sync/pull?limit=100&cursor="+cursor, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 200 {
			return res.StatusCode, nil, ""
		}
		var page rbsync.PullResponse
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		for _, ch := range page.Changes {
			if ch.Entity != "policies" {
				all = append(all, ch)
			}
		}
		cursor = page.Cursor
		if !page.More {
			return 200, all, cursor
		}
	}
	t.Fatal("pull never ended")
	return 0, nil, ""
}

// tusCreate starts the upload of data as mediaID, sending body (all or
// the start of data) with the creation request.
func (c *backupClient) tusCreate(mediaID, inspectionID string, data, body []byte) (*http.Response, []byte, error) {
	sum := sha256.Sum256(data)
	md := func(k, v string) string { return k + " " + base64.StdEncoding.EncodeToString([]byte(v)) }
	return c.do("POST", "/api/v1/uploads", bytes.NewReader(body), map[string]string{
		"Tus-Resumable": "1.0.0", "Upload-Length": strconv.Itoa(len(data)), "Content-Type": "application/offset+octet-stream",
		"Upload-Metadata": strings.Join([]string{md("media_id", mediaID), md("inspection_id", inspectionID), md("kind", "package"),
			md("content_type", "image/jpeg"), md("sha256", hex.EncodeToString(sum[:])), md("filename", "package.jpg")}, ","),
	})
}

// upload sends a photo in one request and returns its media id, verified.
func (c *backupClient) upload(t *testing.T, inspectionID string, data []byte) string {
	t.Helper()
	mediaID := uuid.NewString()
	res, b, err := c.tusCreate(mediaID, inspectionID, data, data)
	if err != nil || res.StatusCode != 201 || res.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) {
		t.Fatalf("upload: %v %v %s", res, err, b)
	}
	return mediaID
}

func backupPhoto(t *testing.T, shade uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = shade + uint8(i%7)
	}
	img.Set(1, 1, color.Black)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// feedEntry is a change as devices see it, with its data decoded so that
// two encodings of the same JSON compare equal.
type feedEntry struct {
	Entity, ID, Op string
	Data           any
}

func feedOf(t *testing.T, changes []rbsync.Change) []feedEntry {
	t.Helper()
	out := []feedEntry{}
	for _, c := range changes {
		e := feedEntry{Entity: c.Entity, ID: c.ID, Op: c.Op}
		if err := json.Unmarshal(c.Data, &e.Data); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// backedUpFeed reads the feed straight out of a backup's database file,
// opened immutable so that not a byte of it changes.
func backedUpFeed(t *testing.T, backup string) []feedEntry {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(backup, "returnbench.db")+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT entity, entity_id, op, data FROM changes ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []rbsync.Change
	for rows.Next() {
		var c rbsync.Change
		var data string
		if err := rows.Scan(&c.Entity, &c.ID, &c.Op, &data); err != nil {
			t.Fatal(err)
		}
		c.Data = json.RawMessage(data)
		out = append(out, c)
	}
	return feedOf(t, out)
}

func feedHas(feed []feedEntry, entity, id string) bool {
	for _, e := range feed {
		if e.Entity == entity && e.ID == id {
			return true
		}
	}
	return false
}

func fileSHA256(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// copyTree copies a backup so that a test may damage the copy.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o750)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o640)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func flipByte(t *testing.T, p string, at int64) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	f.ReadAt(b, at)
	b[0] ^= 0x01
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

// TestBackupRestore is the whole story on SQLite: a backup taken while the
// server serves and devices push, more work after it, a restore, and what
// devices and verification see afterwards.
func TestBackupRestore(t *testing.T) {
	dataDir := t.TempDir()
	backup := filepath.Join(t.TempDir(), "backup-1")
	if out, err := runMain(t, "backup-test-pw\n", "user", "add", "ana", "--role", "admin", "--data-dir", dataDir); err != nil {
		t.Fatalf("user add: %v %s", err, out)
	}
	srv := startBackupServer(t, dataDir)
	dev := mustSignIn(t, srv.base, "ana", "backup-test-pw")

	before := []string{uuid.NewString(), uuid.NewString(), uuid.NewString()}
	if err := dev.save(before, map[string]any{"scanned_code": "1Z999AA10123456784", "notes": "before the backup"}); err != nil {
		t.Fatal(err)
	}
	photo := backupPhoto(t, 40)
	photoID := dev.upload(t, before[0], photo)
	status, beforeFeed, oldCursor := dev.pull(t, "")
	if status != 200 || !feedHas(feedOf(t, beforeFeed), store.EntityMedia, photoID) {
		t.Fatalf("pull before the backup: %d, %d changes; want the photo among them", status, len(beforeFeed))
	}

	// A second device keeps pushing while the backup runs.
	busy := mustSignIn(t, srv.base, "ana", "backup-test-pw")
	stopPushing := make(chan struct{})
	pushed := make(chan error, 1)
	var pushes atomic.Int64
	go func() {
		for {
			select {
			case <-stopPushing:
				pushed <- nil
				return
			default:
			}
			if err := busy.save([]string{uuid.NewString()}, map[string]any{"notes": "during the backup"}); err != nil {
				pushed <- err
				return
			}
			pushes.Add(1)
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); pushes.Load() < 5 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	out, err := runMain(t, "", "backup", "--data-dir", dataDir, "--out", backup)
	close(stopPushing)
	if perr := <-pushed; perr != nil {
		t.Fatalf("pushing during the backup: %v", perr)
	}
	if err != nil || !strings.Contains(out, "evidence: 1 files") {
		t.Fatalf("backup while serving: %v\n%s", err, out)
	}

	// Work after the backup, which a restore loses.
	after := uuid.NewString()
	if err := dev.save([]string{after}, map[string]any{"scanned_code": "1Z999AA10123456785"}); err != nil {
		t.Fatal(err)
	}
	if err := dev.save(before[1:2], map[string]any{"base_version": 1, "notes": "changed after the backup"}); err != nil {
		t.Fatal(err)
	}
	lateID := dev.upload(t, after, backupPhoto(t, 90))

	t.Run("ErrBackupExists", func(t *testing.T) {
		manifest := fileSHA256(t, filepath.Join(backup, "manifest.json"))
		_, err := runMain(t, "", "backup", "--data-dir", dataDir, "--out", backup)
		if err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("got %v, want a refusal naming the existing backup", err)
		}
		if got := fileSHA256(t, filepath.Join(backup, "manifest.json")); got != manifest {
			t.Fatal("the existing backup was changed")
		}
	})
	t.Run("ErrRestoreWhileServing", func(t *testing.T) {
		_, err := runMain(t, "", "restore", "--from", backup, "--data-dir", dataDir)
		if err == nil || !strings.Contains(err.Error(), "server is using") {
			t.Fatalf("got %v, want a refusal while the server runs", err)
		}
	})
	srv.stop()

	liveDB := fileSHA256(t, store.SQLiteFile(dataDir))
	for _, tt := range []struct {
		name, want string
		damage     func(t *testing.T, dir string)
	}{
		{"ErrTamperedEvidence", "does not match the manifest", func(t *testing.T, dir string) {
			matches, _ := filepath.Glob(filepath.Join(dir, "media", "sites", "*", "inspections", "*", "*"))
			if len(matches) != 1 {
				t.Fatalf("evidence in the backup: %v, want one file", matches)
			}
			flipByte(t, matches[0], 200)
		}},
		{"ErrTamperedDatabase", "returnbench.db does not match the manifest", func(t *testing.T, dir string) {
			flipByte(t, filepath.Join(dir, "returnbench.db"), 5000)
		}},
		{"ErrTrimmedManifest", "does not hold", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "manifest.json")
			var man map[string]any
			b, _ := os.ReadFile(p)
			json.Unmarshal(b, &man)
			man["files"] = man["files"].([]any)[:1]
			b, _ = json.Marshal(man)
			os.WriteFile(p, b, 0o640)
		}},
		{"ErrUnfinished", "did not finish", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "manifest.json"))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			damaged := filepath.Join(t.TempDir(), "damaged")
			copyTree(t, backup, damaged)
			tt.damage(t, damaged)
			_, err := runMain(t, "", "restore", "--from", damaged, "--data-dir", dataDir)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "nothing was restored") {
				t.Fatalf("got %v, want a refusal containing %q", err, tt.want)
			}
			if got := fileSHA256(t, store.SQLiteFile(dataDir)); got != liveDB {
				t.Fatal("a refused restore changed the database")
			}
			if left, _ := filepath.Glob(filepath.Join(dataDir, "*restore*")); len(left) > 0 {
				t.Fatalf("a refused restore left %v behind", left)
			}
		})
	}

	out, err = runMain(t, "", "restore", "--from", backup, "--data-dir", dataDir)
	if err != nil || !strings.Contains(out, "new sync epoch") {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	t.Run("ReplacedKeptAside", func(t *testing.T) {
		aside, _ := filepath.Glob(filepath.Join(dataDir, "replaced-*"))
		if len(aside) != 1 || !strings.Contains(out, aside[0]) {
			t.Fatalf("replaced dirs %v; want one, named in the output:\n%s", aside, out)
		}
		if got := fileSHA256(t, filepath.Join(aside[0], "returnbench.db")); got != liveDB {
			t.Fatal("the replaced database is not the one that was live")
		}
		late, _ := filepath.Glob(filepath.Join(aside[0], "media", "objects", "sites", "*", "inspections", after, "*"))
		if len(late) != 1 {
			t.Fatalf("the replaced media dir lacks the file uploaded after the backup: %v", late)
		}
	})

	srv = startBackupServer(t, dataDir)
	dev = mustSignIn(t, srv.base, "ana", "backup-test-pw")
	t.Run("OldCursorGone", func(t *testing.T) {
		if status, _, _ := dev.pull(t, oldCursor); status != http.StatusGone {
			t.Fatalf("pull with the cursor from before the restore: %d, want 410", status)
		}
	})
	t.Run("PullFromZeroIsTheBackup", func(t *testing.T) {
		status, changes, _ := dev.pull(t, "")
		got, want := feedOf(t, changes), backedUpFeed(t, backup)
		if status != 200 || !reflect.DeepEqual(got, want) {
			t.Fatalf("pull from zero: %d, %d changes; want the backup's %d changes exactly", status, len(got), len(want))
		}
		if !reflect.DeepEqual(got[:len(beforeFeed)], feedOf(t, beforeFeed)) {
			t.Fatal("the restored feed does not start with everything pulled before the backup")
		}
		if feedHas(got, store.EntityInspection, after) || feedHas(got, store.EntityMedia, lateID) {
			t.Fatal("work done after the backup came back")
		}
	})
	t.Run("EvidenceServed", func(t *testing.T) {
		res, b, err := dev.do("GET", "/api/v1/media/"+photoID, nil, nil)
		if err != nil || res.StatusCode != 200 || !bytes.Equal(b, photo) {
			t.Fatalf("photo after the restore: %v %v, %d bytes; want the original %d", res, err, len(b), len(photo))
		}
	})
	t.Run("AuditChainVerifies", func(t *testing.T) {
		res, b, err := dev.do("GET", "/api/v1/audit/verify", nil, nil)
		if err != nil || res.StatusCode != 200 || !strings.Contains(string(b), `"ok":true`) {
			t.Fatalf("audit verify: %v %v %s", res, err, b)
		}
	})
	t.Run("VerifyCommand", func(t *testing.T) {
		out, err := runMain(t, "", "verify", "--data-dir", dataDir)
		if err != nil || !strings.Contains(out, "checked 1 files") || !strings.Contains(out, "0 mismatches") {
			t.Fatalf("verify after the restore: %v\n%s", err, out)
		}
	})
}

// TestRestoreEndsUploadsInFlight: a file half-uploaded when the backup was
// taken has no bytes in it; after the restore the upload is gone and the
// device sends the file again under the same media id.
func TestRestoreEndsUploadsInFlight(t *testing.T) {
	dataDir := t.TempDir()
	backup := filepath.Join(t.TempDir(), "b")
	if out, err := runMain(t, "backup-test-pw\n", "user", "add", "ana", "--role", "inspector", "--data-dir", dataDir); err != nil {
		t.Fatalf("user add: %v %s", err, out)
	}
	srv := startBackupServer(t, dataDir)
	dev := mustSignIn(t, srv.base, "ana", "backup-test-pw")
	inspectionID, mediaID := uuid.NewString(), uuid.NewString()
	if err := dev.save([]string{inspectionID}, map[string]any{"scanned_code": "1Z999AA10123456784"}); err != nil {
		t.Fatal(err)
	}
	photo := backupPhoto(t, 70)
	res, b, err := dev.tusCreate(mediaID, inspectionID, photo, photo[:len(photo)/2])
	if err != nil || res.StatusCode != 201 || res.Header.Get("Upload-Offset") != strconv.Itoa(len(photo)/2) {
		t.Fatalf("half an upload: %v %v %s", res, err, b)
	}
	uploadPath := res.Header.Get("Location")
	if out, err := runMain(t, "", "backup", "--data-dir", dataDir, "--out", backup); err != nil || !strings.Contains(out, "evidence: 0 files") {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	srv.stop()
	out, err := runMain(t, "", "restore", "--from", backup, "--data-dir", dataDir)
	if err != nil || !strings.Contains(out, "1 uploads in flight were ended") {
		t.Fatalf("restore: %v\n%s", err, out)
	}

	srv = startBackupServer(t, dataDir)
	dev = mustSignIn(t, srv.base, "ana", "backup-test-pw")
	t.Run("UploadGone", func(t *testing.T) {
		// The server's cleanup ends it as the server starts.
		var status int
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			res, _, err := dev.do("HEAD", uploadPath, nil, map[string]string{"Tus-Resumable": "1.0.0"})
			if err != nil {
				t.Fatal(err)
			}
			if status = res.StatusCode; status == http.StatusGone {
				return
			}
		}
		t.Fatalf("HEAD of the upload in flight: %d, want 410", status)
	})
	t.Run("SentAgain", func(t *testing.T) {
		res, b, err := dev.tusCreate(mediaID, inspectionID, photo, photo)
		if err != nil || res.StatusCode != 201 || res.Header.Get("Upload-Offset") != strconv.Itoa(len(photo)) {
			t.Fatalf("upload again: %v %v %s", res, err, b)
		}
		res, b, err = dev.do("GET", "/api/v1/media/"+mediaID, nil, nil)
		if err != nil || res.StatusCode != 200 || !bytes.Equal(b, photo) {
			t.Fatalf("the file sent again: %v %v, %d bytes", res, err, len(b))
		}
		if out, err := runMain(t, "", "verify", "--data-dir", dataDir); err != nil || !strings.Contains(out, "checked 1 files") {
			t.Fatalf("verify: %v\n%s", err, out)
		}
	})
}

// TestRestoreRefusedWhileServing runs the real binary: its lock is what a
// restore in another process sees, and a kill -9 must not leave it behind.
func TestRestoreRefusedWhileServing(t *testing.T) {
	bin := buildBinary(t)
	dataDir, addr := t.TempDir(), freeAddr(t)
	backup := filepath.Join(t.TempDir(), "b")
	p := startProcess(t, bin, dataDir, addr)
	if out, err := runMain(t, "", "backup", "--data-dir", dataDir, "--out", backup); err != nil {
		t.Fatalf("backup of a running server: %v\n%s", err, out)
	}
	t.Run("ErrServerRunning", func(t *testing.T) {
		_, err := runMain(t, "", "restore", "--from", backup, "--data-dir", dataDir)
		if err == nil || !strings.Contains(err.Error(), "server is using") || !strings.Contains(err.Error(), "returnbench.lock") {
			t.Fatalf("got %v, want a refusal naming the lock", err)
		}
	})
	t.Run("OKAfterKill9", func(t *testing.T) {
		p.kill()
		out, err := runMain(t, "", "restore", "--from", backup, "--data-dir", dataDir)
		if err != nil || !strings.Contains(out, "new sync epoch") {
			t.Fatalf("restore after the server died: %v\n%s", err, out)
		}
	})
	t.Run("ErrServerStartsDuringRestore", func(t *testing.T) {
		lock, err := lockDataDir(dataDir, true) // as a restore holds it
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Release()
		out, err := exec.Command(bin, "serve", "--addr", freeAddr(t), "--data-dir", dataDir).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "being restored") {
			t.Fatalf("serve during a restore: %v\n%s", err, out)
		}
	})
}

func TestBackupRestoreErrors(t *testing.T) {
	for _, tt := range []struct {
		name, want string
		args       []string
	}{
		{"ErrNoOut", "usage: returnbench backup", []string{"backup", "--data-dir", t.TempDir()}},
		{"ErrNoDatabase", "no database at", []string{"backup", "--data-dir", t.TempDir(), "--out", filepath.Join(t.TempDir(), "b")}},
		{"ErrRestoreNoFrom", "usage: returnbench restore", []string{"restore", "--data-dir", t.TempDir()}},
		{"ErrRestoreNotABackup", "not a backup directory", []string{"restore", "--data-dir", t.TempDir(), "--from", filepath.Join(t.TempDir(), "none")}},
		{"ErrNewEpochNoDatabase", "no database at", []string{"restore", "--new-epoch", "--data-dir", t.TempDir()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runMain(t, "", tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	t.Run("ErrDamagedEvidence", func(t *testing.T) {
		dataDir := t.TempDir()
		key := mustStoreEvidence(t, dataDir)
		p := filepath.Join(dataDir, "media", "objects", filepath.FromSlash(key))
		os.Chmod(p, 0o640)
		flipByte(t, p, 100)
		backup := filepath.Join(t.TempDir(), "b")
		_, err := runMain(t, "", "backup", "--data-dir", dataDir, "--out", backup)
		if err == nil || !strings.Contains(err.Error(), "no longer matches its record") || !strings.Contains(err.Error(), "returnbench verify") {
			t.Fatalf("got %v, want a refusal naming the damaged file", err)
		}
		if _, err := os.Stat(backup); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("the failed backup left %s behind: %v", backup, err)
		}
	})
	t.Run("S3EvidenceNotCopied", func(t *testing.T) {
		dataDir := t.TempDir()
		if out, err := runMain(t, "pw-for-s3-test\n", "user", "add", "ana", "--role", "admin", "--data-dir", dataDir); err != nil {
			t.Fatalf("user add: %v %s", err, out)
		}
		s3 := []string{"--data-dir", dataDir, "--s3-endpoint", "127.0.0.1:1", "--s3-bucket", "ev"}
		backup := filepath.Join(t.TempDir(), "b")
		out, err := runMain(t, "", append([]string{"backup", "--out", backup}, s3...)...)
		if err != nil || !strings.Contains(out, "not included") || !strings.Contains(out, "bucket ev") {
			t.Fatalf("backup with S3 evidence: %v\n%s", err, out)
		}
		out, err = runMain(t, "", append([]string{"restore", "--from", backup}, s3...)...)
		if err != nil || !strings.Contains(out, "evidence: not in the backup") {
			t.Fatalf("restore with S3 evidence: %v\n%s", err, out)
		}
		t.Run("ErrLocalBackupOntoS3", func(t *testing.T) {
			local := filepath.Join(t.TempDir(), "b")
			if out, err := runMain(t, "", "backup", "--data-dir", dataDir, "--out", local); err != nil {
				t.Fatalf("backup: %v\n%s", err, out)
			}
			_, err := runMain(t, "", append([]string{"restore", "--from", local}, s3...)...)
			if err == nil || !strings.Contains(err.Error(), "keeps evidence in S3") {
				t.Fatalf("got %v, want a refusal", err)
			}
		})
	})
}

// mustStoreEvidence stores one verified photo in a data dir, as the server
// does, and returns its storage key.
func mustStoreEvidence(t *testing.T, dataDir string) string {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u := &inspection.User{Username: "ana", PasswordHash: "x", Role: inspection.RoleInspector, SiteID: inspection.DefaultSiteID}
	if err := st.CreateUser(ctx, u, ""); err != nil {
		t.Fatal(err)
	}
	in := &inspection.Inspection{ID: uuid.NewString(), InspectorID: u.ID}
	if err := st.CreateInspection(ctx, in, u.ID); err != nil {
		t.Fatal(err)
	}
	disk, err := media.NewDisk(filepath.Join(dataDir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	photo := backupPhoto(t, 10)
	sum := sha256.Sum256(photo)
	ups := media.NewUploads(disk, st, media.DefaultLimits, time.Now, nil)
	up, err := ups.Create(ctx, u, media.NewUpload{MediaID: uuid.NewString(), InspectionID: in.ID, Kind: inspection.MediaPackage,
		ContentType: "image/jpeg", SHA256: hex.EncodeToString(sum[:]), Length: int64(len(photo))})
	if err != nil {
		t.Fatal(err)
	}
	if up, err = ups.Write(ctx, u, up.ID, 0, bytes.NewReader(photo), nil); err != nil || up.Status != media.UploadComplete {
		t.Fatalf("upload: %+v, %v", up, err)
	}
	return up.StorageKey
}

// TestBackupPostgres: the command does not pretend; the commands it prints
// work on the PostgreSQL server here, and restore --new-epoch makes old
// cursors stale.
func TestBackupPostgres(t *testing.T) {
	ctx := context.Background()
	liveURL := storetest.NewPostgresDB(t)

	t.Run("ErrBackupExplains", func(t *testing.T) {
		dest := filepath.Join(t.TempDir(), "b")
		out, err := runMain(t, "", "backup", "--database-url", liveURL, "--data-dir", t.TempDir(), "--out", dest)
		if err == nil || !strings.Contains(err.Error(), "nothing was backed up") {
			t.Fatalf("got %v, want a refusal", err)
		}
		for _, want := range []string{"pg_dump --format=custom", "pg_restore --exit-on-error", "restore --new-epoch", "not in the dump"} {
			if !strings.Contains(out, want) {
				t.Errorf("the explanation lacks %q:\n%s", want, out)
			}
		}
		if _, err := os.Stat(dest); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s was created: %v", dest, err)
		}
	})
	t.Run("ErrRestoreExplains", func(t *testing.T) {
		out, err := runMain(t, "", "restore", "--database-url", liveURL, "--from", t.TempDir())
		if err == nil || !strings.Contains(out, "pg_restore") {
			t.Fatalf("got %v\n%s; want the pg_restore steps", err, out)
		}
	})

	st, err := store.Open(ctx, store.Config{DatabaseURL: liveURL})
	if err != nil {
		t.Fatal(err)
	}
	admin := &inspection.User{Username: "ana", PasswordHash: "x", Role: inspection.RoleAdmin, SiteID: inspection.DefaultSiteID}
	if err := st.CreateUser(ctx, admin, ""); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := st.CreateInspection(ctx, &inspection.Inspection{ID: uuid.NewString(), InspectorID: admin.ID}, admin.ID); err != nil {
			t.Fatal(err)
		}
	}
	svc := &rbsync.Service{Store: st, Policies: inspection.DefaultPolicies()}
	liveFeed, err := svc.Pull(ctx, admin, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	// The very command lines the help prints.
	dump := filepath.Join(t.TempDir(), "rb.dump")
	cmds, err := newPostgresCommands(liveURL, dump)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropDatabase(t, cmds.RestoredURL) })
	for _, c := range [][]string{cmds.Dump, cmds.CreateDB, cmds.Restore} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", shellJoin(c), err, out)
		}
	}
	if got, want := cmds.NewEpoch[:3], []string{"returnbench", "restore", "--new-epoch"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("printed %v, want %v", got, want)
	}
	out, err := runMain(t, "", cmds.NewEpoch[1:]...)
	if err != nil || !strings.Contains(out, "new sync epoch") || !strings.Contains(out, "intact") {
		t.Fatalf("restore --new-epoch: %v\n%s", err, out)
	}

	rs, err := store.Open(ctx, store.Config{DatabaseURL: cmds.RestoredURL})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	svc = &rbsync.Service{Store: rs, Policies: inspection.DefaultPolicies()}
	t.Run("OldCursorGone", func(t *testing.T) {
		_, err := svc.Pull(ctx, admin, liveFeed.Cursor, 1000)
		if got, want := inspection.ErrorCode(err), inspection.EGONE; got != want {
			t.Fatalf("got %q (%v), want %q", got, err, want)
		}
	})
	t.Run("PullFromZeroIsTheDump", func(t *testing.T) {
		got, err := svc.Pull(ctx, admin, "", 1000)
		if err != nil || !reflect.DeepEqual(feedOf(t, got.Changes), feedOf(t, liveFeed.Changes)) {
			t.Fatalf("pull from zero: %v, %d changes; want the dumped %d", err, len(got.Changes), len(liveFeed.Changes))
		}
	})
	t.Run("AuditChainVerifies", func(t *testing.T) {
		v, err := rs.VerifyAudit(ctx)
		if err != nil || !v.OK {
			t.Fatalf("audit = %+v, %v", v, err)
		}
	})
}

func dropDatabase(t *testing.T, dbURL string) {
	admin, err := sql.Open("pgx", storetest.AdminURL())
	if err != nil {
		t.Error(err)
		return
	}
	defer admin.Close()
	name := dbURL[strings.LastIndex(dbURL, "/")+1:]
	if i := strings.IndexByte(name, '?'); i >= 0 {
		name = name[:i]
	}
	if _, err := admin.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`); err != nil {
		t.Error(err)
	}
}
