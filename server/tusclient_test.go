package server_test

// The official tus client (tus-js-client, run by node) against the real
// server: an upload cut off midway and resumed, on the same instance and on
// a second one sharing the database and the media directory.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/server"
	"github.com/returnbench/returnbench/store"
)

// tusClientDir holds upload.mjs and its pinned tus-js-client.
var tusClientDir = filepath.Join("testdata", "tusclient")

// mustTusClient checks that node and the client's packages are installed:
// `make test` installs them, so their absence fails rather than skips.
func mustTusClient(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		tb.Fatalf("node is not installed: the tus client test needs Node.js 18 or later (apt-get install nodejs npm)")
	}
	if _, err := os.Stat(filepath.Join(tusClientDir, "node_modules", "tus-js-client", "package.json")); err != nil {
		tb.Fatalf("tus-js-client is not installed in server/%s: `make test` installs it, or run `npm ci` there (%v)", filepath.ToSlash(tusClientDir), err)
	}
}

// clientEvent is one line upload.mjs prints.
type clientEvent struct {
	Event   string `json:"event"`
	URL     string `json:"url"`
	Method  string `json:"method"`
	Status  int    `json:"status"`
	Offset  int64  `json:"offset"`
	Sent    int64  `json:"sent"`
	Total   int64  `json:"total"`
	Message string `json:"message"`
}

// clientRun is what one run of upload.mjs printed.
type clientRun struct {
	events []clientEvent
	stderr string
}

// last is the final event of a kind, or the zero event.
func (r clientRun) last(kind string) clientEvent {
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].Event == kind {
			return r.events[i]
		}
	}
	return clientEvent{}
}

// first is the first event of a kind, or the zero event.
func (r clientRun) first(kind string) clientEvent {
	for _, e := range r.events {
		if e.Event == kind {
			return e
		}
	}
	return clientEvent{}
}

// calls lists the requests the client made, as "METHOD status".
func (r clientRun) calls() []string {
	var out []string
	for _, e := range r.events {
		if e.Event == "response" {
			out = append(out, e.Method+" "+strconv.Itoa(e.Status))
		}
	}
	return out
}

// runTusClient runs upload.mjs to completion and wants it to exit 0.
func runTusClient(tb testing.TB, b *bench, file string, e *evidence, chunkSize int, mode string) clientRun {
	tb.Helper()
	md, err := json.Marshal(e.metadata())
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "upload.mjs", "--endpoint", b.URL+"/api/v1/uploads", "--file", file,
		"--metadata", string(md), "--chunk-size", strconv.Itoa(chunkSize), "--mode", mode)
	cmd.Dir = tusClientDir
	cmd.Env = append(os.Environ(), "RB_TOKEN="+b.token)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	run := clientRun{stderr: stderr.String()}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var ev clientEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			tb.Fatalf("upload.mjs printed a line that is not JSON: %q", sc.Text())
		}
		run.events = append(run.events, ev)
	}
	if runErr != nil {
		tb.Fatalf("node upload.mjs --mode %s: %v\nstdout:\n%s\nstderr:\n%s", mode, runErr, stdout.String(), run.stderr)
	}
	return run
}

// uploadPath is the path of an upload URL the client printed, checked to
// be on server ts.
func uploadPath(tb testing.TB, ts *testServer, raw string) string {
	tb.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host != ts.Addr() || !strings.HasPrefix(u.Path, "/api/v1/uploads/") {
		tb.Fatalf("upload URL %q, want http://%s/api/v1/uploads/...", raw, ts.Addr())
	}
	return u.Path
}

func TestTusJSClient(t *testing.T) {
	mustTusClient(t)
	const chunk = 5 * mib
	data := webm(20*mib+4321, 20)
	file := filepath.Join(t.TempDir(), "unboxing.webm")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}

	// interrupt cuts an upload off once ~7 MiB are sent and returns the
	// upload path and the offset the server kept.
	interrupt := func(t *testing.T, b *bench, e *evidence) (string, int) {
		t.Helper()
		run := runTusClient(t, b, file, e, chunk, "interrupt-at="+strconv.Itoa(7*mib))
		cut := run.last("interrupted")
		if cut.URL == "" || cut.Sent < 7*mib {
			t.Fatalf("interrupted run: got events %+v, want an interruption after 7 MiB with the upload URL", run.events)
		}
		if calls := run.calls(); len(calls) == 0 || calls[0] != "POST 201" || run.first("url").URL != cut.URL {
			t.Fatalf("interrupted run: calls %v, upload URL %q then %q, want it to start with POST 201 and keep one URL",
				calls, run.first("url").URL, cut.URL)
		}
		path := uploadPath(t, b.testServer, cut.URL)
		offset := b.mustOffset(t, path)
		if offset <= 0 || offset >= len(data) {
			t.Fatalf("HEAD after the interruption: Upload-Offset %d, want some but not all of %d bytes", offset, len(data))
		}
		t.Logf("interrupted after %d bytes sent (%v); the server kept %d", cut.Sent, run.calls(), offset)
		return path, offset
	}
	// resume finishes an upload from its URL on server b and checks that
	// the client started where the server had stopped, not from zero.
	resume := func(t *testing.T, b *bench, e *evidence, path string, kept int) {
		t.Helper()
		run := runTusClient(t, b, file, e, chunk, "resume="+b.URL+path)
		done := run.last("success")
		if done.URL == "" {
			t.Fatalf("resumed run: got events %+v, want success", run.events)
		}
		if got := uploadPath(t, b.testServer, done.URL); got != path {
			t.Fatalf("resumed run finished %s, want the interrupted upload %s", got, path)
		}
		// It asks where to go on (HEAD), never starts over (POST).
		calls := run.calls()
		if head := run.first("response"); len(calls) < 2 || calls[0] != "HEAD 200" || head.Offset < int64(kept) || slices.Contains(calls, "POST 201") {
			t.Fatalf("resumed run: calls %v (first offset %d), want HEAD 200 at %d or more, then PATCHes only", calls, head.Offset, kept)
		}
		if start := run.first("progress"); start.Sent < int64(kept) {
			t.Fatalf("resumed run: first progress at byte %d, want at least %d (the offset the server kept)", start.Sent, kept)
		}
		t.Logf("resumed from byte %d with %v", run.first("response").Offset, calls)
		b.mustVerified(t, e)
	}

	for _, where := range mediaStores {
		t.Run(where+"/OK/ResumeAfterInterruption", func(t *testing.T) {
			ts := mustStartMedia(t, store.SQLite, where, nil)
			b := mustBench(t, ts, "insp", inspection.RoleInspector)
			e := b.newEvidence(inspection.MediaUnboxingVideo, "video/webm", "unboxing.webm", data)
			path, kept := interrupt(t, b, e)
			resume(t, b, e, path, kept)
		})
	}

	t.Run("Disk/OK/ResumeOnSecondInstance", func(t *testing.T) {
		// Two instances behind one load balancer: one database (SQLite in
		// WAL mode), one media directory.
		dir := t.TempDir()
		shared := func(cfg *server.Config) { cfg.DataDir, cfg.DatabaseURL = dir, "" }
		first := mustStartMedia(t, store.SQLite, onDisk, shared)
		second := mustStartMedia(t, store.SQLite, onDisk, shared)
		b1 := mustBench(t, first, "insp", inspection.RoleInspector)
		b2 := &bench{testServer: second, token: b1.token, userID: b1.userID, inspectionID: b1.inspectionID}
		e := b1.newEvidence(inspection.MediaUnboxingVideo, "video/webm", "unboxing.webm", data)

		path, kept := interrupt(t, b1, e)
		if got := b2.mustOffset(t, path); got < kept {
			t.Fatalf("HEAD on the second instance: Upload-Offset %d, want at least %d", got, kept)
		}
		resume(t, b2, e, path, kept)
		b1.mustVerified(t, e)
	})
}
