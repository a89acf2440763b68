package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRun runs every step with two small photos and a short video: it
// proves the bench works (uploads, pack, checks, report), in seconds; its
// figures mean nothing and are not looked at.
func TestRun(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	opts := options{Photos: 2, PhotoW: 1600, PhotoH: 1200, VideoSize: 2 << 20, Chunk: 1 << 20,
		Timeout: 2 * time.Minute} // CacheDir "": the files are made in the run's temp dir
	var out bytes.Buffer
	if err := run(context.Background(), opts, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"originals, 3 GET /media/{id}", "evidence.zip", "evidence.pdf", "label-card.jpg",
		"manifest.json and the bytes in the zip match", "pdfinfo: ", "X-Label-Check: Label barcode matches scanned code " + trackingNumber,
		"pack for 2 photos + ", "peak RSS ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temp dir left behind: %v", left)
	}
}
