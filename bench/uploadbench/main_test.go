package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRun runs every step with small files: it proves the bench works, in
// seconds; its figures mean nothing and are not looked at.
func TestRun(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	opts := options{Size: 12 << 20, ConcurrentSize: 6 << 20, Concurrent: 4, Chunk: 8 << 20, Timeout: 2 * time.Minute}
	var out bytes.Buffer
	if err := run(context.Background(), opts, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"minio-go PutObject", "returnbench tus -> S3", "file copy", "returnbench tus -> disk",
		"4 x 6 MiB at once", "server RSS: before ", "vs PutObject, same MinIO", "(goal < 150.0 MiB)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temp dir left behind: %v", left)
	}
}
