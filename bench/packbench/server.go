package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/returnbench/returnbench/bench/benchkit"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/labels"
	"github.com/returnbench/returnbench/store"
	rbsync "github.com/returnbench/returnbench/sync"
)

// The account the bench signs in with: a lead, as the evidence endpoints
// ask. The server and its database are the bench's own, on loopback, and
// gone at the end: the password is no secret.
const (
	benchUser     = "bench"
	benchPassword = "packbench-password"
	benchBucket   = "returnbench"
)

// rbServer is one returnbench process on a loopback port with a signed-in
// client. Every process of a run serves the same data dir and bucket, so
// what one uploaded the next one packs.
type rbServer struct {
	benchkit.Client
	proc *benchkit.Child
}

// serverDir is the data dir all the run's server processes share.
func (b *bench) serverDir() string { return filepath.Join(b.tmp, "server") }

// serverEnv points the server at the bench's MinIO, and its temporary
// files (the video it copies for ffmpeg) into the bench's temp dir, so that
// a server killed halfway leaves nothing behind.
func (b *bench) serverEnv() []string {
	env := benchkit.CleanEnv(b.minio.ServerEnv(benchBucket)...)
	return append(append(env, "TMPDIR="+filepath.Join(b.tmp, "server-tmp")), b.opts.ServerEnv...)
}

// setUp creates the lead, the inspection and its files: it starts a server,
// uploads every file with tus, completes the inspection through the sync
// protocol, and stops the server again.
func (b *bench) setUp(ctx context.Context, files []upload) error {
	dir := b.serverDir()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(b.tmp, "server-tmp"), 0o750); err != nil {
		return err
	}
	if err := benchkit.AddUser(ctx, b.bin, b.serverEnv(), benchUser, "lead", benchPassword, "--data-dir", dir); err != nil {
		return err
	}
	srv, err := b.startServer(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	// The database is SQLite in WAL mode: the bench writes its inspection
	// while the server runs, as the sync protocol would through the API.
	if b.insp, err = createInspection(ctx, dir, b.tracking); err != nil {
		return err
	}

	start := time.Now()
	var total int64
	for i := range files {
		f := &files[i]
		var d time.Duration
		f.mediaID, d, err = srv.Upload(ctx, f.media(b.insp), b.opts.Chunk)
		if err != nil {
			return fmt.Errorf("upload %s: %w", f.filename, srv.proc.Explain(err))
		}
		total += f.size
		if f.kind == inspection.MediaUnboxingVideo {
			b.logf("uploaded the %s video in %.1f s (%.0f MiB/s)\n", benchkit.Human(f.size), d.Seconds(), float64(f.size)/(1<<20)/d.Seconds())
		}
	}
	b.files = files
	b.logf("uploaded %d files, %s, with tus in %.1f s; each verified (status, SHA-256, size)\n",
		len(files), benchkit.Human(total), time.Since(start).Seconds())

	if err := srv.complete(ctx, b.insp); err != nil {
		return err
	}
	b.logf("inspection %s completed (sync push: inspection.save + inspection.complete)\n", b.insp)
	return nil
}

// startServer runs `returnbench serve` on the run's data dir, waits until
// it answers and signs in.
func (b *bench) startServer(ctx context.Context) (*rbServer, error) {
	dir := b.serverDir()
	proc, base, err := benchkit.StartServer(ctx, b.bin, []string{"--data-dir", dir}, b.serverEnv(), filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	b.children = append(b.children, proc)
	s := &rbServer{proc: proc, Client: benchkit.Client{Base: base, HTTP: &http.Client{
		Transport: &http.Transport{
			Proxy:               nil, // loopback only, whatever the environment says
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true, // the bench counts the bytes the server sends
			// Large writes, so the client's syscalls are not what is measured.
			WriteBufferSize: 256 << 10,
			ReadBufferSize:  256 << 10,
		},
	}}}
	if err := s.Login(ctx, benchUser, benchPassword); err != nil {
		err = proc.Explain(err)
		s.stop()
		return nil, err
	}
	return s, nil
}

// createInspection adds a draft inspection at the default site whose
// scanned code is the one on the label photo, so the card has a code to
// match.
func createInspection(ctx context.Context, dir, scanned string) (string, error) {
	st, err := store.Open(ctx, store.Config{DataDir: dir, Log: benchkit.QuietLog()})
	if err != nil {
		return "", fmt.Errorf("open the server's database: %w", err)
	}
	defer st.Close()
	u, err := st.UserByUsername(ctx, benchUser)
	if err != nil {
		return "", fmt.Errorf("find the bench's user: %w", err)
	}
	in := &inspection.Inspection{ScannedCode: labels.Normalize(scanned), InspectorID: u.ID}
	if err := st.CreateInspection(ctx, in, u.ID); err != nil {
		return "", fmt.Errorf("create inspection while the server runs: %w", err)
	}
	return in.ID, nil
}

// complete grades the inspection and closes it, as the PWA does: an
// inspection.save with the verdict, then inspection.complete. The verdict
// is item_swapped, the case a seller files a pack for, which needs the
// label photo the bench uploaded.
func (s *rbServer) complete(ctx context.Context, id string) error {
	clientID := "packbench-" + uuid.NewString()[:8]
	mut := func(seq int64, typ string, payload map[string]any) rbsync.Mutation {
		b, _ := json.Marshal(payload)
		return rbsync.Mutation{ID: uuid.NewString(), Seq: seq, Type: typ, Payload: b}
	}
	muts := []rbsync.Mutation{
		mut(1, "inspection.save", map[string]any{"id": id, "base_version": 1, "grade": "destroy", "disposition": "dispose",
			"verdict": "item_swapped", "notes": "packbench: a brick in the box instead of the item shipped."}),
		mut(2, "inspection.complete", map[string]any{"id": id, "base_version": 2}),
	}
	body, _ := json.Marshal(rbsync.PushRequest{ClientID: clientID, Mutations: muts})
	req, err := http.NewRequestWithContext(ctx, "POST", s.Base+"/api/v1/sync/push", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	var out rbsync.PushResponse
	if err := s.Do(req, &out); err != nil {
		return fmt.Errorf("sync push: %w", s.proc.Explain(err))
	}
	if len(out.Results) != len(muts) {
		return fmt.Errorf("sync push: %d results for %d mutations", len(out.Results), len(muts))
	}
	for i, r := range out.Results {
		if r.Status != rbsync.StatusApplied {
			msg := ""
			if r.Error != nil {
				msg = fmt.Sprintf(": %s %s %+v", r.Error.Code, r.Error.Message, r.Error.Problems)
			}
			return fmt.Errorf("sync push: %s is %s%s", muts[i].Type, r.Status, msg)
		}
	}
	return nil
}

// stop ends the server process and its client's connections.
func (s *rbServer) stop() {
	s.HTTP.CloseIdleConnections()
	s.proc.Kill()
}
