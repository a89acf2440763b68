// Package s3test runs a real S3 server (MinIO, built by `make test`) on a
// loopback port for tests. A missing binary fails the test with the command
// that builds it: S3 tests are never skipped.
package s3test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/returnbench/returnbench/media"
)

// Binary is the MinIO executable: RETURNBENCH_MINIO, or where `make test`
// builds it.
func Binary() string {
	if p := os.Getenv("RETURNBENCH_MINIO"); p != "" {
		return p
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "returnbench", "bin", "minio")
}

// Server is one running MinIO.
type Server struct {
	Endpoint  string
	AccessKey string
	SecretKey string
	dir       string
	mu        sync.Mutex
	cmd       *exec.Cmd
}

// Start runs a private MinIO until the test ends; tests that stop and
// restart the server use their own.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := start(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}

var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
)

// Shared returns one MinIO for the whole test binary; each caller should
// use its own bucket (see Config). It stops when the process exits.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rb-minio-*")
		if err != nil {
			sharedErr = err
			return
		}
		shared, sharedErr = start(dir)
	})
	if sharedErr != nil {
		tb.Fatal(sharedErr)
	}
	return shared
}

// Config is an S3 configuration for a new, unique bucket on this server.
func (s *Server) Config(lockMode string) media.S3Config {
	b := make([]byte, 4)
	rand.Read(b)
	return media.S3Config{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey,
		Bucket: "rb-test-" + hex.EncodeToString(b), LockMode: lockMode}
}

func start(dir string) (*Server, error) {
	bin := Binary()
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("the MinIO test server is not built at %s: run `make test` (it builds it once) or set RETURNBENCH_MINIO", bin)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Server{Endpoint: addr, AccessKey: "rbtestaccess", SecretKey: "rbtestsecret-" + hex.EncodeToString([]byte(addr)), dir: dir}
	return s, s.Start()
}

// Start (re)starts the server on its port and data directory and waits
// until it answers.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(Binary(), "server", filepath.Join(s.dir, "data"), "--address", s.Endpoint, "--quiet")
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+s.AccessKey, "MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off")
	logf, err := os.OpenFile(filepath.Join(s.dir, "minio.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// The kernel kills MinIO if the test binary dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start minio: %w", err)
	}
	s.cmd = cmd
	// "live" answers as soon as the process listens; "cluster" only once
	// it can take writes, which is what a test needs.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get("http://" + s.Endpoint + "/minio/health/cluster")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Kill()
	log, _ := os.ReadFile(filepath.Join(s.dir, "minio.log"))
	return fmt.Errorf("minio did not become ready on %s:\n%s", s.Endpoint, log)
}

// Stop kills the server at once, as a crash or an outage would.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}
