package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/returnbench/returnbench/inspection"
)

func TestZip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		// The pack's label, video, three photos and the two files that are
		// not verified (TestPDF covers all twelve photos).
		f, fs := mustPack(t)
		f.Media = slices.DeleteFunc(slices.Clone(f.Media), func(m inspection.Media) bool {
			return m.ID > "m-03" && m.ID < "m-99" // m-04 ... m-11
		})
		if len(f.Media) != 7 {
			t.Fatalf("test pack has %d files, want 7", len(f.Media))
		}
		var buf bytes.Buffer
		if err := Zip(ctx, f, CaseFalseDefective, fs.open, &buf); err != nil {
			t.Fatal(err)
		}
		keep(t, "evidence.zip", buf.Bytes())
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatalf("read the zip back: %v", err)
		}
		entries := map[string]*zip.File{}
		for _, e := range zr.File {
			entries[e.Name] = e
		}
		read := func(name string) []byte {
			t.Helper()
			e, ok := entries[name]
			if !ok {
				t.Fatalf("zip has no %s; it has %v", name, names(zr))
			}
			rc, err := e.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc) // the zip reader checks each entry's CRC-32 at EOF
			if err != nil {
				t.Fatalf("read %s: %v", name, err)
			}
			return b
		}

		var man Manifest
		if err := json.Unmarshal(read("manifest.json"), &man); err != nil {
			t.Fatalf("manifest.json: %v", err)
		}
		if man.InspectionID != "insp-1" || man.Case != CaseFalseDefective || !man.GeneratedAt.Equal(f.Now) || man.OrderID != testOrder {
			t.Errorf("manifest header %+v, want inspection insp-1, case false_defective, generated at %s", man, f.Now)
		}
		verified := verifiedMedia(f.Media)
		if len(man.Files) != len(verified) {
			t.Errorf("manifest lists %d originals, want the %d verified ones", len(man.Files), len(verified))
		}
		byID := map[string]inspection.Media{}
		for _, m := range f.Media {
			byID[m.ID] = m
		}
		for _, mf := range man.Files {
			m := byID[mf.MediaID]
			if m.Status != inspection.MediaVerified {
				t.Errorf("%s is %s, want only verified media in the zip", mf.Path, m.Status)
			}
			if !strings.HasPrefix(mf.Path, "originals/"+m.Kind+"-") || !strings.HasSuffix(mf.Path, "-"+m.ID+"."+extension(m)) {
				t.Errorf("path %s, want originals/%s-<n>-%s.%s", mf.Path, m.Kind, m.ID, extension(m))
			}
			b := read(mf.Path)
			sum := sha256.Sum256(b)
			got := hex.EncodeToString(sum[:])
			if got != mf.SHA256 || int64(len(b)) != mf.Size {
				t.Errorf("%s: hash %s size %d, manifest says %s size %d", mf.Path, got, len(b), mf.SHA256, mf.Size)
			}
			if src := fs.data[m.ID]; !bytes.Equal(b, src) || got != m.SHA256 {
				t.Errorf("%s differs from the source bytes (or the record's SHA-256 %s)", mf.Path, m.SHA256)
			}
			if mf.Kind != m.Kind || mf.ContentType != m.ContentType || mf.CapturedAt == nil || mf.VerifiedAt == nil {
				t.Errorf("manifest entry %+v lacks the record's kind, content type or times", mf)
			}
			if e := entries[mf.Path]; e.Method != zip.Store {
				t.Errorf("%s is compressed with method %d, want stored (already compressed media)", mf.Path, e.Method)
			}
		}
		for _, name := range []string{"evidence.pdf", "label-card.jpg", "audit-events.json", "dispute-en.txt", "dispute-zh.txt"} {
			if len(read(name)) == 0 {
				t.Errorf("%s is empty", name)
			}
		}
		if e := entries["dispute-en.txt"]; e.Method != zip.Deflate {
			t.Errorf("dispute-en.txt method %d, want deflate", e.Method)
		}
		if pdf := read("evidence.pdf"); !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Error("evidence.pdf is not a PDF")
		} else {
			text, _, _ := mustPDFText(t, pdf)
			if !strings.Contains(text, testOrder) {
				t.Error("evidence.pdf in the zip lacks the order id")
			}
		}
		if en := string(read("dispute-en.txt")); !strings.Contains(en, testOrder) {
			t.Errorf("dispute-en.txt lacks the order id:\n%s", en)
		}
		var events struct {
			AuditOK bool                    `json:"audit_chain_ok"`
			Events  []inspection.AuditEvent `json:"events"`
		}
		if err := json.Unmarshal(read("audit-events.json"), &events); err != nil || !events.AuditOK || len(events.Events) != len(f.Events) {
			t.Errorf("audit-events.json: %v, ok %v, %d events, want %d", err, events.AuditOK, len(events.Events), len(f.Events))
		}
	})

	t.Run("ErrTampered", func(t *testing.T) {
		// A stored file that no longer matches its recorded hash stops the pack.
		fs := newFiles()
		label := fs.add("m-label", inspection.MediaLabelCloseup, "image/jpeg", "label.jpg",
			mustLabelPhoto(t, testTracking, testRMA, 1200, 900), t0)
		fs.data["m-label"] = append(bytes.Clone(fs.data["m-label"][:len(fs.data["m-label"])-1]), 0x00)
		err := Zip(ctx, testFacts(label), CaseFalseDefective, fs.open, io.Discard)
		if got := inspection.ErrorCode(err); got != inspection.ECONFLICT {
			t.Errorf("got %v (%s), want %s", err, got, inspection.ECONFLICT)
		}
	})

	t.Run("HEICLabel", func(t *testing.T) {
		// A HEIC label photo cannot make a card, but the pack is still made
		// and carries the original.
		fs := newFiles()
		heic := append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 64)...)
		label := fs.add("m-label", inspection.MediaLabelCloseup, "image/heic", "IMG_0001.HEIC", heic, t0)
		var buf bytes.Buffer
		if err := Zip(ctx, testFacts(label), CaseFalseDefective, fs.open, &buf); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		got := names(zr)
		if !strings.Contains(got, "originals/label_closeup-1-m-label.heic") || strings.Contains(got, "label-card.jpg") {
			t.Errorf("zip holds %s, want the HEIC original and no card", got)
		}
	})
}

func names(zr *zip.Reader) string {
	var ns []string
	for _, e := range zr.File {
		ns = append(ns, e.Name)
	}
	return strings.Join(ns, " ")
}
