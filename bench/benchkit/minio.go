package benchkit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// MinIO is a private MinIO on a loopback port: the S3 a bench's server
// keeps its media in, on the same disk as everything else it measures.
type MinIO struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Proc      *Child
}

// minioBinary is where `make test` builds MinIO, or RETURNBENCH_MINIO (as
// in media/s3test).
func minioBinary() string {
	if p := os.Getenv("RETURNBENCH_MINIO"); p != "" {
		return p
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "returnbench", "bin", "minio")
}

// StartMinIO runs MinIO on dir (its data and its minio.log) and waits
// until it is live. The caller kills m.Proc at the end.
func StartMinIO(ctx context.Context, dir string) (*MinIO, error) {
	bin := minioBinary()
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("MinIO is not built at %s: run `make test-deps` (it builds it once) or set RETURNBENCH_MINIO", bin)
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o750); err != nil {
		return nil, err
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	m := &MinIO{Endpoint: addr, AccessKey: "benchkit", SecretKey: "benchkit-secret"}
	m.Proc, err = startChild("minio", bin, []string{"server", filepath.Join(dir, "data"), "--address", addr, "--quiet"},
		CleanEnv("MINIO_ROOT_USER="+m.AccessKey, "MINIO_ROOT_PASSWORD="+m.SecretKey, "MINIO_BROWSER=off", "MINIO_UPDATE=off"),
		filepath.Join(dir, "minio.log"))
	if err != nil {
		return nil, err
	}
	if err := m.Proc.waitLive(ctx, "http://"+addr+"/minio/health/live", 60*time.Second); err != nil {
		m.Proc.Kill()
		return nil, err
	}
	return m, nil
}

// ServerEnv is the settings that make a returnbench server keep its media
// in bucket on this MinIO.
func (m *MinIO) ServerEnv(bucket string) []string {
	return []string{"RETURNBENCH_S3_ENDPOINT=" + m.Endpoint, "RETURNBENCH_S3_ACCESS_KEY=" + m.AccessKey,
		"RETURNBENCH_S3_SECRET_KEY=" + m.SecretKey, "RETURNBENCH_S3_BUCKET=" + bucket}
}
