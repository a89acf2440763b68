package server_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	stdjpeg "image/jpeg"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
)

// labelPhoto is a photo of a return label: a Code 128 of code on white.
func labelPhoto(t *testing.T, code string) []byte {
	t.Helper()
	raw, err := code128.Encode(code)
	if err != nil {
		t.Fatal(err)
	}
	bc, err := barcode.Scale(raw, 900, 220)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 1200, 800))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.White}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(150, 250, 1050, 470), bc, image.Point{}, draw.Over)
	var buf bytes.Buffer
	if err := stdjpeg.Encode(&buf, img, &stdjpeg.Options{Quality: 92}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// uploadFile sends a whole file in one tus creation-with-upload request
// and returns its media id.
func (ts *testServer) uploadFile(t *testing.T, tok, inspectionID, kind, contentType string, data []byte) string {
	t.Helper()
	mediaID := uuid.NewString()
	sum := sha256.Sum256(data)
	md := func(k, v string) string { return k + " " + base64.StdEncoding.EncodeToString([]byte(v)) }
	res := ts.do(t, request{method: "POST", path: "/api/v1/uploads", token: tok, body: string(data), header: map[string]string{
		"Tus-Resumable": "1.0.0", "Upload-Length": strconv.Itoa(len(data)), "Content-Type": "application/offset+octet-stream",
		"Upload-Metadata": strings.Join([]string{md("media_id", mediaID), md("inspection_id", inspectionID), md("kind", kind),
			md("content_type", contentType), md("sha256", hex.EncodeToString(sum[:])), md("filename", kind+".jpg")}, ","),
	}})
	if res.status != 201 || res.header.Get("Upload-Offset") != strconv.Itoa(len(data)) {
		t.Fatalf("upload %s: %d %s", kind, res.status, res.body)
	}
	return mediaID
}

func TestEvidencePack(t *testing.T) {
	ts := mustStart(t, store.SQLite, nil)
	lead := ts.mustUser(t, "lee", inspection.RoleLead)
	insp := ts.mustUser(t, "ana", inspection.RoleInspector)
	var ret struct{ ID string }
	ts.do(t, request{method: "POST", path: "/api/v1/returns", token: lead, body: map[string]any{
		"order_id": "113-5550001-2223334", "tracking_id": "1Z5R89390357567127", "reason": "CR-DEFECTIVE",
		"buyer_comment": "stopped working after a day", "order_amount": 59.90}}).json(t, &ret)

	d, id := newDevice(), uuid.NewString()
	ts.mustPush(t, insp, d.id, []string{applied}, save(d, id, 0, map[string]any{"return_id": ret.ID, "scanned_code": "1Z5R89390357567127"}))
	sums := map[string]string{}
	for kind, data := range map[string][]byte{"label_closeup": labelPhoto(t, "1Z5R89390357567127"), "contents": labelPhoto(t, "ITEM-SERIAL-0001")} {
		mid := ts.uploadFile(t, insp, id, kind, "image/jpeg", data)
		s := sha256.Sum256(data)
		sums[mid] = hex.EncodeToString(s[:])
	}
	ts.mustPush(t, insp, d.id, []string{applied, applied},
		save(d, id, 1, map[string]any{"grade": "resellable", "disposition": "relabel_restock", "verdict": "claim_disputed",
			"checklist": map[string]bool{"factory_seal_intact": true, "functional_test": true, "same_item": true}}),
		d.mut("inspection.complete", map[string]any{"id": id, "base_version": 2}))
	base := "/api/v1/inspections/" + id

	t.Run("LabelCardMatches", func(t *testing.T) {
		res := ts.do(t, request{method: "GET", path: base + "/label-card.jpg", token: insp})
		if res.status != 200 || !strings.Contains(res.header.Get("X-Label-Check"), "match") {
			t.Fatalf("card: %d, check %q", res.status, res.header.Get("X-Label-Check"))
		}
		if _, err := stdjpeg.Decode(bytes.NewReader(res.body)); err != nil {
			t.Fatalf("card is not a JPEG: %v", err)
		}
	})
	t.Run("Summary", func(t *testing.T) {
		var out struct {
			Case       string
			LabelCheck struct{ Match, Checked bool } `json:"label_check"`
			Message    struct{ EN, ZH string }
			AuditOK    bool `json:"audit_ok"`
		}
		res := ts.do(t, request{method: "GET", path: base + "/evidence", token: lead})
		res.json(t, &out)
		if res.status != 200 || out.Case != "false_defective" || !out.LabelCheck.Match || !out.AuditOK ||
			!strings.Contains(out.Message.EN, "113-5550001-2223334") || !strings.Contains(out.Message.ZH, "113-5550001-2223334") {
			t.Fatalf("evidence summary: %d %s", res.status, res.body)
		}
		if got := ts.do(t, request{method: "GET", path: base + "/evidence", token: insp}).status; got != 403 {
			t.Fatalf("inspector reads the evidence pack: %d, want 403 (leads only)", got)
		}
	})
	t.Run("PDFReadsBack", func(t *testing.T) {
		res := ts.do(t, request{method: "GET", path: base + "/evidence.pdf", token: lead})
		if res.status != 200 || len(res.body) > 10<<20 {
			t.Fatalf("pdf: %d, %d bytes", res.status, len(res.body))
		}
		path := filepath.Join(t.TempDir(), "evidence.pdf")
		os.WriteFile(path, res.body, 0o600)
		text, err := exec.Command("pdftotext", "-layout", path, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext (apt-get install poppler-utils; make test does): %v", err)
		}
		flat := strings.Join(strings.Fields(string(text)), "")
		for _, want := range append([]string{"113-5550001-2223334"}, values(sums)...) {
			if !strings.Contains(flat, want) {
				t.Errorf("the PDF's text lacks %s", want)
			}
		}
	})
	t.Run("ZipManifestVerifies", func(t *testing.T) {
		res := ts.do(t, request{method: "GET", path: base + "/evidence.zip", token: lead})
		zr, err := zip.NewReader(bytes.NewReader(res.body), int64(len(res.body)))
		if res.status != 200 || err != nil {
			t.Fatalf("zip: %d, %v", res.status, err)
		}
		var manifest struct {
			Files []struct {
				Path    string
				MediaID string `json:"media_id"`
				SHA256  string
			}
		}
		files := map[string]*zip.File{}
		for _, f := range zr.File {
			files[f.Name] = f
		}
		mf, ok := files["manifest.json"]
		if !ok {
			t.Fatal("no manifest.json")
		}
		r, _ := mf.Open()
		json.NewDecoder(r).Decode(&manifest)
		r.Close()
		if len(manifest.Files) != len(sums) {
			t.Fatalf("manifest lists %d files, want %d", len(manifest.Files), len(sums))
		}
		for _, m := range manifest.Files {
			f := files[m.Path]
			if f == nil {
				t.Fatalf("manifest names %s, which is not in the zip", m.Path)
			}
			r, _ := f.Open()
			h := sha256.New()
			io.Copy(h, r)
			r.Close()
			if got := hex.EncodeToString(h.Sum(nil)); got != m.SHA256 || got != sums[m.MediaID] {
				t.Errorf("%s hashes to %s; manifest says %s, upload %s", m.Path, got, m.SHA256, sums[m.MediaID])
			}
		}
		for _, want := range []string{"evidence.pdf", "dispute-en.txt", "dispute-zh.txt", "audit-events.json"} {
			if files[want] == nil {
				t.Errorf("the zip lacks %s", want)
			}
		}
	})
	t.Run("MismatchFlagged", func(t *testing.T) {
		d2, id2 := newDevice(), uuid.NewString()
		ts.mustPush(t, insp, d2.id, []string{applied}, save(d2, id2, 0, map[string]any{"return_id": ret.ID, "scanned_code": "1Z5R89390357567127"}))
		ts.uploadFile(t, insp, id2, "label_closeup", "image/jpeg", labelPhoto(t, "1Z879E930346834440"))
		res := ts.do(t, request{method: "GET", path: "/api/v1/inspections/" + id2 + "/label-card.jpg", token: insp})
		if check := res.header.Get("X-Label-Check"); res.status != 200 || !strings.Contains(strings.ToUpper(check), "WARNING") {
			t.Fatalf("card of another label: %d, check %q, want a mismatch warning", res.status, check)
		}
	})
}

func values(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
