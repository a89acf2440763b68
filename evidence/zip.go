package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/returnbench/returnbench/inspection"
)

// ManifestFile describes one original in the zip.
type ManifestFile struct {
	Path        string     `json:"path"`
	MediaID     string     `json:"media_id"`
	Kind        string     `json:"kind"`
	ContentType string     `json:"content_type"`
	Filename    string     `json:"filename"`
	Size        int64      `json:"size"`
	SHA256      string     `json:"sha256"`
	CapturedAt  *time.Time `json:"captured_at"`
	VerifiedAt  *time.Time `json:"verified_at"`
}

// Manifest is manifest.json: what the zip holds, so that anyone can check
// each original against its hash without trusting the server.
type Manifest struct {
	InspectionID string         `json:"inspection_id"`
	OrderID      string         `json:"order_id,omitempty"`
	Case         Case           `json:"case"`
	GeneratedAt  time.Time      `json:"generated_at"`
	AuditOK      bool           `json:"audit_chain_ok"`
	AuditCount   int64          `json:"audit_chain_events"`
	Files        []ManifestFile `json:"files"`
	Documents    []string       `json:"documents"`
}

// Zip writes the evidence pack for case c to w as a zip, streamed: every
// verified original under originals/ (copied from open straight into the
// archive and hashed on the way, so a file whose bytes no longer match its
// recorded SHA-256 fails the pack), manifest.json, evidence.pdf,
// label-card.jpg (when a card can be made), audit-events.json and the
// dispute message in English and Chinese.
func Zip(ctx context.Context, f *Facts, c Case, open Source, w io.Writer) error {
	zw := zip.NewWriter(w)
	now := f.now()
	man := Manifest{InspectionID: f.Inspection.ID, OrderID: f.ret().OrderID, Case: c, GeneratedAt: now,
		AuditOK: f.AuditOK, AuditCount: f.AuditCount, Files: []ManifestFile{}}

	counts := map[string]int{}
	for _, m := range verifiedMedia(f.Media) {
		if err := ctx.Err(); err != nil {
			return err
		}
		counts[m.Kind]++
		name := fmt.Sprintf("originals/%s-%d-%s.%s", safeName(m.Kind), counts[m.Kind], safeName(m.ID), extension(m))
		size, sum, err := copyOriginal(ctx, zw, open, m, name)
		if err != nil {
			return err
		}
		man.Files = append(man.Files, ManifestFile{Path: name, MediaID: m.ID, Kind: m.Kind, ContentType: m.ContentType,
			Filename: m.Filename, Size: size, SHA256: sum, CapturedAt: m.CapturedAt, VerifiedAt: m.VerifiedAt})
	}

	// The card is made once and used twice: on its own and in the PDF.
	card := makeCard(ctx, f, open)
	if code := inspection.ErrorCode(card.Err); code != "" && code != inspection.ENOTFOUND && code != inspection.EUNSUPPORTED {
		return card.Err
	}
	if card.JPEG != nil {
		if err := writeEntry(zw, "label-card.jpg", zip.Store, now, bytes.NewReader(card.JPEG)); err != nil {
			return err
		}
		man.Documents = append(man.Documents, "label-card.jpg")
	}

	pw, err := create(zw, "evidence.pdf", zip.Store, now) // its streams are compressed already
	if err != nil {
		return err
	}
	if err := writePDF(ctx, f, c, open, card, pw); err != nil {
		return err
	}
	man.Documents = append(man.Documents, "evidence.pdf")

	msg := Messages(f, c)
	events := struct {
		AuditOK    bool                    `json:"audit_chain_ok"`
		AuditCount int64                   `json:"audit_chain_events"`
		Events     []inspection.AuditEvent `json:"events"`
	}{f.AuditOK, f.AuditCount, f.Events}
	if events.Events == nil {
		events.Events = []inspection.AuditEvent{}
	}
	for _, doc := range []struct {
		name string
		body any
	}{
		{"audit-events.json", events},
		{"dispute-en.txt", msg.EN},
		{"dispute-zh.txt", msg.ZH},
	} {
		var b []byte
		switch v := doc.body.(type) {
		case string:
			b = []byte(v)
		default:
			if b, err = json.MarshalIndent(v, "", "  "); err != nil {
				return fmt.Errorf("encode %s: %w", doc.name, err)
			}
		}
		if err := writeEntry(zw, doc.name, zip.Deflate, now, bytes.NewReader(b)); err != nil {
			return err
		}
		man.Documents = append(man.Documents, doc.name)
	}

	man.Documents = append(man.Documents, "manifest.json")
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	if err := writeEntry(zw, "manifest.json", zip.Deflate, now, bytes.NewReader(b)); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finish evidence zip: %w", err)
	}
	return nil
}

// copyOriginal streams one original into the zip and returns its size and
// SHA-256 as written, failing when they differ from the record: a pack must
// never carry a file that is not the one the server verified.
func copyOriginal(ctx context.Context, zw *zip.Writer, open Source, m inspection.Media, name string) (int64, string, error) {
	method := zip.Deflate
	if compressed(m) {
		method = zip.Store // deflating a JPEG or a video costs CPU and saves nothing
	}
	at := takenAt(m)
	ew, err := create(zw, name, method, at)
	if err != nil {
		return 0, "", err
	}
	rc, err := open(ctx, m)
	if err != nil {
		return 0, "", fmt.Errorf("open original %s: %w", m.ID, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(ew, h), rc)
	if err != nil {
		return 0, "", fmt.Errorf("copy original %s: %w", m.ID, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if (m.SHA256 != "" && !strings.EqualFold(sum, m.SHA256)) || (m.Size > 0 && n != m.Size) {
		return 0, "", inspection.Errorf(inspection.ECONFLICT,
			"The stored file %s no longer matches its recorded SHA-256 or size; the evidence pack was not made.", orDash(m.Filename))
	}
	return n, sum, nil
}

// compressed reports whether an original is already compressed media.
func compressed(m inspection.Media) bool {
	ct := strings.ToLower(m.ContentType)
	if strings.HasPrefix(ct, "image/") && ct != "image/bmp" && ct != "image/tiff" && ct != "image/svg+xml" {
		return true
	}
	if strings.HasPrefix(ct, "video/") || strings.HasPrefix(ct, "audio/") {
		return true
	}
	switch extension(m) {
	case "jpg", "png", "webp", "gif", "heic", "heif", "mp4", "webm", "mov", "m4v", "zip":
		return true
	}
	return false
}

func create(zw *zip.Writer, name string, method uint16, modified time.Time) (io.Writer, error) {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: modified.UTC()})
	if err != nil {
		return nil, fmt.Errorf("add %s to evidence zip: %w", name, err)
	}
	return w, nil
}

func writeEntry(zw *zip.Writer, name string, method uint16, modified time.Time, r io.Reader) error {
	w, err := create(zw, name, method, modified)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// safeName keeps a path segment to letters, digits, '-' and '_', so that no
// id can climb out of originals/ when the zip is unpacked.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
	if s == "" {
		return "_"
	}
	return s
}
