package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
)

// The account the bench signs in with. The server and its database are the
// bench's own, on loopback, and gone at the end: the password is no secret.
const (
	benchUser     = "bench"
	benchPassword = "uploadbench-password"
	benchBucket   = "returnbench"
)

// rbServer is one returnbench process on a loopback port, an inspection to
// upload into and a signed-in client.
type rbServer struct {
	benchkit.Client
	proc         *benchkit.Child
	dir          string
	inspectionID string
}

// startServer runs `returnbench serve` on a fresh data dir under the temp
// dir; with s3 its media go to the bench's MinIO, else to local disk.
func (b *bench) startServer(ctx context.Context, name string, s3 bool) (*rbServer, error) {
	dir := filepath.Join(b.tmp, name)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	env := benchkit.CleanEnv()
	if s3 {
		env = append(env, b.minio.ServerEnv(benchBucket)...)
	}
	if err := benchkit.AddUser(ctx, b.bin, env, benchUser, "lead", benchPassword, "--data-dir", dir); err != nil {
		return nil, err
	}
	proc, base, err := benchkit.StartServer(ctx, b.bin, []string{"--data-dir", dir}, env, filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	b.children = append(b.children, proc)
	s := &rbServer{proc: proc, dir: dir, Client: benchkit.Client{Base: base, HTTP: &http.Client{
		Transport: &http.Transport{
			Proxy:               nil, // loopback only, whatever the environment says
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     time.Minute,
			// Large writes, so the client's syscalls are not what is measured.
			WriteBufferSize: 256 << 10,
		},
	}}}
	// The database is SQLite in WAL mode: the bench writes its inspection
	// while the server runs, as the sync protocol will through the API.
	if s.inspectionID, err = createInspection(ctx, dir); err != nil {
		return nil, err
	}
	if err := s.Login(ctx, benchUser, benchPassword); err != nil {
		return nil, proc.Explain(err)
	}
	return s, nil
}

// createInspection adds a draft inspection at the default site, which every
// upload of this server goes into (its quota is far above the bench's bytes).
func createInspection(ctx context.Context, dir string) (string, error) {
	st, err := store.Open(ctx, store.Config{DataDir: dir, Log: benchkit.QuietLog()})
	if err != nil {
		return "", fmt.Errorf("open the server's database: %w", err)
	}
	defer st.Close()
	u, err := st.UserByUsername(ctx, benchUser)
	if err != nil {
		return "", fmt.Errorf("find the bench's user: %w", err)
	}
	in := &inspection.Inspection{ScannedCode: "uploadbench", InspectorID: u.ID}
	if err := st.CreateInspection(ctx, in, u.ID); err != nil {
		return "", fmt.Errorf("create inspection while the server runs: %w", err)
	}
	return in.ID, nil
}

// upload sends p into the server's inspection as one new unboxing video,
// and returns its media id and the time the upload took.
func (s *rbServer) upload(ctx context.Context, p payload, chunk int64) (string, time.Duration, error) {
	id, d, err := s.Upload(ctx, benchkit.Media{Path: p.path, Size: p.size, SHA256: p.sha256, InspectionID: s.inspectionID,
		Kind: "unboxing_video", ContentType: "video/webm", Filename: "unboxing.webm"}, chunk)
	return id, d, s.proc.Explain(err)
}

// stop ends the server process and its client's connections.
func (s *rbServer) stop() {
	s.HTTP.CloseIdleConnections()
	s.proc.Kill()
}
