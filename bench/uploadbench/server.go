package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

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
	proc         *child
	dir          string
	base         string
	token        string
	inspectionID string
	http         *http.Client
}

// startServer runs `returnbench serve` on a fresh data dir under the temp
// dir; with s3 its media go to the bench's MinIO, else to local disk.
func (b *bench) startServer(ctx context.Context, name string, s3 bool) (*rbServer, error) {
	dir := filepath.Join(b.tmp, name)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	env := cleanEnv()
	if s3 {
		env = append(env, "RETURNBENCH_S3_ENDPOINT="+b.minio.endpoint, "RETURNBENCH_S3_ACCESS_KEY="+b.minio.accessKey,
			"RETURNBENCH_S3_SECRET_KEY="+b.minio.secretKey, "RETURNBENCH_S3_BUCKET="+benchBucket)
	}
	// The user exists before the server starts, so it prints no setup link.
	add := exec.CommandContext(ctx, b.bin, "user", "add", benchUser, "--role", "lead", "--data-dir", dir)
	add.Env = env
	add.Stdin = strings.NewReader(benchPassword + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("returnbench user add: %w\n%s", err, out)
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	proc, err := startChild("returnbench ("+name+")", b.bin, []string{"serve", "--addr", addr, "--data-dir", dir}, env,
		filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	b.children = append(b.children, proc)
	s := &rbServer{proc: proc, dir: dir, base: "http://" + addr, http: &http.Client{
		Transport: &http.Transport{
			Proxy:               nil, // loopback only, whatever the environment says
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     time.Minute,
			// Large writes, so the client's syscalls are not what is measured.
			WriteBufferSize: 256 << 10,
		},
	}}
	if err := proc.waitLive(ctx, s.base+"/readyz", 30*time.Second); err != nil {
		return nil, err
	}
	// The database is SQLite in WAL mode: the bench writes its inspection
	// while the server runs, as the sync protocol will through the API.
	if s.inspectionID, err = createInspection(ctx, dir); err != nil {
		return nil, err
	}
	if err := s.login(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// createInspection adds a draft inspection at the default site, which every
// upload of this server goes into (its quota is far above the bench's bytes).
func createInspection(ctx context.Context, dir string) (string, error) {
	st, err := store.Open(ctx, store.Config{DataDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
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

func (s *rbServer) login(ctx context.Context) error {
	body, _ := json.Marshal(map[string]string{"username": benchUser, "password": benchPassword})
	req, err := http.NewRequestWithContext(ctx, "POST", s.base+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		Token string `json:"token"`
	}
	if err := s.getJSON(req, &out); err != nil {
		return fmt.Errorf("log in: %w", err)
	}
	s.token = out.Token
	return nil
}

// mediaStatus asks the server what it knows of a media file.
func (s *rbServer) mediaMeta(ctx context.Context, id string) (status, sha256 string, size int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", s.base+"/api/v1/media/"+id+"/meta", nil)
	if err != nil {
		return "", "", 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	var out struct {
		Status string `json:"status"`
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	if err := s.getJSON(req, &out); err != nil {
		return "", "", 0, err
	}
	return out.Status, out.SHA256, out.Size, nil
}

// getJSON sends req and decodes a 200 answer into out.
func (s *rbServer) getJSON(req *http.Request, out any) error {
	res, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d: %.300s", req.Method, req.URL.Path, res.StatusCode, body)
	}
	return json.Unmarshal(body, out)
}

// stop ends the server process and its client's connections.
func (s *rbServer) stop() {
	s.http.CloseIdleConnections()
	s.proc.stop()
}
