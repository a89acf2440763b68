package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/mattn/go-sqlite3"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
)

// process is the real returnbench binary running on a data dir.
type process struct {
	cmd  *exec.Cmd
	base string
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "returnbench")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func startProcess(t *testing.T, bin, dataDir, addr string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", dataDir, "--upload-part-size", strconv.Itoa(5<<20))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, base: "http://" + addr}
	t.Cleanup(p.kill)
	for range 200 {
		if res, err := http.Get(p.base + "/healthz"); err == nil {
			res.Body.Close()
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server did not start")
	return nil
}

// kill is kill -9: no shutdown, no flush.
func (p *process) kill() {
	if p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func tusRequest(t *testing.T, method, url, token string, body io.Reader, headers map[string]string) (*http.Response, error) {
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return http.DefaultClient.Do(req)
}

func TestKill9MidUpload(t *testing.T) {
	ctx := context.Background()
	bin := buildBinary(t)
	dataDir, addr := t.TempDir(), freeAddr(t)
	if out, err := runMain(t, "crash-test-pw\n", "user", "add", "ana", "--role", "inspector", "--data-dir", dataDir); err != nil {
		t.Fatalf("user add: %v %s", err, out)
	}
	st, err := store.Open(ctx, store.Config{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := st.UserByUsername(ctx, "ana")
	in := &inspection.Inspection{ID: uuid.NewString(), InspectorID: u.ID}
	if err := st.CreateInspection(ctx, in, u.ID); err != nil {
		t.Fatal(err)
	}
	st.Close()

	p := startProcess(t, bin, dataDir, addr)
	res, err := http.Post(p.base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"ana","password":"crash-test-pw"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct{ Token string }
	json.NewDecoder(res.Body).Decode(&login)
	res.Body.Close()

	data := make([]byte, 40<<20)
	rand.NewChaCha8([32]byte{42}).Read(data)
	copy(data, append([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x82, 0x84}, "webm"...))
	sum := sha256.Sum256(data)
	mediaID := uuid.NewString()
	md := func(k, v string) string { return k + " " + base64.StdEncoding.EncodeToString([]byte(v)) }
	res, err = tusRequest(t, "POST", p.base+"/api/v1/uploads", login.Token, nil, map[string]string{
		"Upload-Length": strconv.Itoa(len(data)),
		"Upload-Metadata": strings.Join([]string{md("media_id", mediaID), md("inspection_id", in.ID), md("kind", "unboxing_video"),
			md("content_type", "video/webm"), md("sha256", hex.EncodeToString(sum[:]))}, ","),
	})
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("create: %v %v", res, err)
	}
	uploadURL := p.base + res.Header.Get("Location")

	// One long PATCH, fed slowly; the server is killed while it runs.
	pr, pw := io.Pipe()
	go func() {
		for off := 0; off < len(data); off += 1 << 20 {
			if _, err := pw.Write(data[off : off+1<<20]); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		pw.Close()
	}()
	patchDone := make(chan struct{})
	go func() {
		defer close(patchDone)
		tusRequest(t, "PATCH", uploadURL, login.Token, pr, map[string]string{
			"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"})
	}()
	offsetNow := func(base string) int64 {
		res, err := tusRequest(t, "HEAD", base+strings.TrimPrefix(uploadURL, p.base), login.Token, nil, nil)
		if err != nil {
			return -1
		}
		res.Body.Close()
		n, _ := strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64)
		return n
	}
	deadline := time.Now().Add(30 * time.Second)
	for offsetNow(p.base) < 10<<20 {
		if time.Now().After(deadline) {
			t.Fatal("the upload never passed 10 MiB")
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.kill()
	pr.CloseWithError(fmt.Errorf("server gone"))
	<-patchDone

	p2 := startProcess(t, bin, dataDir, addr)
	offset := offsetNow(p2.base)
	if offset < 10<<20 || offset > int64(len(data)) {
		t.Fatalf("offset after restart %d, want at least the 10 MiB acknowledged before the kill", offset)
	}
	res, err = tusRequest(t, "PATCH", uploadURL, login.Token, bytes.NewReader(data[offset:]), map[string]string{
		"Content-Type": "application/offset+octet-stream", "Upload-Offset": strconv.FormatInt(offset, 10)})
	if err != nil || res.StatusCode != 204 {
		t.Fatalf("resume PATCH: %v %v", res, err)
	}
	res, err = tusRequest(t, "GET", p2.base+"/api/v1/media/"+mediaID, login.Token, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if gotSum := sha256.Sum256(got); res.StatusCode != 200 || gotSum != sum {
		t.Fatalf("after the crash: %d, %d bytes with sha256 %x; want %x", res.StatusCode, len(got), gotSum, sum)
	}
	p2.kill()
	db, err := sql.Open("sqlite3", filepath.Join(dataDir, "returnbench.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v; want ok", check, err)
	}
}

func TestVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	out, err := runMain(t, "", "verify", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "checked 0 files") || !strings.Contains(out, "intact: true") {
		t.Fatalf("verify on an empty store: %q, %v", out, err)
	}
	// An audit event changed behind the server's back breaks the chain.
	if _, err := runMain(t, "ana-password-long\n", "user", "add", "ana", "--role", "inspector", "--data-dir", dir); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", filepath.Join(dir, "returnbench.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE audit_events SET action = 'user.delete'"); err != nil {
		t.Fatal(err)
	}
	out, err = runMain(t, "", "verify", "--data-dir", dir)
	if err == nil || !strings.Contains(out, "intact: false") {
		t.Fatalf("verify after tampering: %q, %v; want the chain reported broken", out, err)
	}
}
