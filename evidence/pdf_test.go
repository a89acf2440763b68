package evidence

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/returnbench/returnbench/inspection"
)

// mustPDFText writes pdf to a file and returns pdftotext's reading of it
// and pdfinfo's page count: a real reader must open it.
func mustPDFText(t *testing.T, pdf []byte) (text string, pages int, path string) {
	t.Helper()
	mustTool(t, "pdftotext", "poppler-utils")
	mustTool(t, "pdfinfo", "poppler-utils")
	path = filepath.Join(t.TempDir(), "evidence.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	info := string(mustRun(t, "pdfinfo", path))
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindStringSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo gives no page count:\n%s", info)
	}
	pages, _ = strconv.Atoi(m[1])
	return string(mustRun(t, "pdftotext", "-layout", path, "-")), pages, path
}

// imageCount counts the images in a PDF with pdfimages.
func imageCount(t *testing.T, path string) int {
	t.Helper()
	mustTool(t, "pdfimages", "poppler-utils")
	lines := strings.Split(strings.TrimSpace(string(mustRun(t, "pdfimages", "-list", path))), "\n")
	return len(lines) - 2 // two header lines
}

func TestPDF(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		f, fs := mustPack(t)
		var buf bytes.Buffer
		if err := PDF(ctx, f, CaseFalseDefective, fs.open, &buf); err != nil {
			t.Fatal(err)
		}
		keep(t, "evidence.pdf", buf.Bytes())
		if got, limit := buf.Len(), 10<<20; got >= limit {
			t.Errorf("PDF is %d bytes with 12 photos, want under %d (Seller Central's limit)", got, limit)
		}
		t.Logf("PDF: %d bytes", buf.Len())
		text, pages, path := mustPDFText(t, buf.Bytes())
		for _, want := range []string{
			testOrder, testRMA, testTracking, "False \"defective\" claim", "DEFECTIVE", "Stopped working after two days",
			"Factory seal intact", "claim_disputed", "Label barcode matches scanned code " + testTracking,
			"Video stills", "Audit chain: 3 events verified OK", "inspection.complete", "alice",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF text lacks %q", want)
			}
		}
		for _, m := range f.Media {
			if m.Status == inspection.MediaVerified && !strings.Contains(text, m.SHA256) {
				t.Errorf("PDF text lacks the SHA-256 of %s (%s)", m.Filename, m.SHA256)
			}
		}
		if strings.Contains(text, "ffmpeg is not installed") || strings.Contains(text, "could not read frames") {
			t.Error("PDF says the video stills are missing, want them included")
		}
		// The label card, twelve photos and four stills of the video.
		if got, want := imageCount(t, path), 1+12+stillsPerVideo; got != want {
			t.Errorf("PDF holds %d images, want %d (card, 12 photos, %d stills)", got, want, stillsPerVideo)
		}
		if pages < 8 {
			t.Errorf("PDF has %d pages, want at least 8 (facts, card, photos two a page, stills, tables)", pages)
		}
		if dir := os.Getenv("EVIDENCE_KEEP"); dir != "" {
			mustRun(t, "pdftoppm", "-png", "-r", "70", path, filepath.Join(dir, "page"))
		}
	})

	t.Run("UnicodeText", func(t *testing.T) {
		// Text the PDF's font cannot draw (a Chinese comment, an emoji) is
		// replaced, never a failure.
		fs := newFiles()
		f := testFacts(fs.add("m-label", inspection.MediaLabelCloseup, "image/jpeg", "标签.jpg",
			mustLabelPhoto(t, testTracking, testRMA, 1200, 900), t0))
		f.Return.BuyerComment = "坏了，不能用 😡 doesn't work\tat all"
		f.Return.ProductName = "Café keyboard – Größe M"
		var buf bytes.Buffer
		if err := PDF(ctx, f, CaseFalseDefective, fs.open, &buf); err != nil {
			t.Fatal(err)
		}
		text, _, _ := mustPDFText(t, buf.Bytes())
		for _, want := range []string{"doesn't work at all", "Café keyboard – Größe M", f.Media[0].SHA256} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF text lacks %q", want)
			}
		}
	})

	t.Run("NoLabelPhoto", func(t *testing.T) {
		// A pack without a label photo still has a PDF, which says what is missing.
		fs := newFiles()
		f := testFacts(fs.add("m-1", inspection.MediaContents, "image/jpeg", "c.jpg", mustPhoto(t, 1, 800, 600, "contents"), t0))
		f.Return = nil
		f.AuditOK = false
		var buf bytes.Buffer
		if err := PDF(ctx, f, CaseFalseDefective, fs.open, &buf); err != nil {
			t.Fatal(err)
		}
		text, _, _ := mustPDFText(t, buf.Bytes())
		for _, want := range []string{"Add a close-up photo of the return label", "Unexpected return", "Audit chain: FAILED", f.Media[0].SHA256} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF text lacks %q", want)
			}
		}
	})
}

// TestPDF_NoFFmpeg changes PATH, so it cannot run in parallel.
func TestPDF_NoFFmpeg(t *testing.T) {
	// Without ffmpeg the PDF is still made, and says why there are no stills.
	f, fs := mustPack(t)
	f.Media = slices.DeleteFunc(slices.Clone(f.Media), func(m inspection.Media) bool {
		return m.Kind != inspection.MediaUnboxingVideo && m.Kind != inspection.MediaLabelCloseup
	})
	var buf bytes.Buffer
	path := os.Getenv("PATH")
	t.Setenv("PATH", t.TempDir())
	err := PDF(context.Background(), f, CaseFalseDefective, fs.open, &buf)
	os.Setenv("PATH", path) // pdftotext must be found again
	if err != nil {
		t.Fatal(err)
	}
	text, _, _ := mustPDFText(t, buf.Bytes())
	if !strings.Contains(text, "ffmpeg is not installed") {
		t.Error("PDF does not say that the stills are missing because ffmpeg is not installed")
	}
}
