package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/qr"
	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/returnbench/returnbench/inspection"
)

// Identifiers of the test return: published UPS test numbers and the RMA
// shape from DOMAIN.md.
const (
	testOrder    = "113-4567890-1234567"
	testTracking = "1Z5R89390357567127"
	testRMA      = "DfqRyqfBRRMA"
	otherTrack   = "1Z879E930346834440" // a different, also valid, UPS number
)

var t0 = time.Date(2026, 3, 2, 15, 4, 5, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// files is a Source over bytes in memory (or files on disk for large
// originals), keyed by media id, counting the opens.
type files struct {
	data  map[string][]byte
	paths map[string]string
}

func newFiles() *files { return &files{data: map[string][]byte{}, paths: map[string]string{}} }

func (fs *files) open(_ context.Context, m inspection.Media) (io.ReadCloser, error) {
	if p, ok := fs.paths[m.ID]; ok {
		return os.Open(p)
	}
	b, ok := fs.data[m.ID]
	if !ok {
		return nil, inspection.Errorf(inspection.ENOTFOUND, "no file %s", m.ID)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// add stores b as a verified media of kind and returns its record.
func (fs *files) add(id, kind, contentType, filename string, b []byte, at time.Time) inspection.Media {
	fs.data[id] = b
	sum := sha256.Sum256(b)
	return inspection.Media{
		ID: id, InspectionID: "insp-1", SiteID: "main", Kind: kind, ContentType: contentType,
		Filename: filename, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:]),
		Status: inspection.MediaVerified, CapturedAt: ptr(at), VerifiedAt: ptr(at.Add(time.Minute)), CreatedAt: at,
	}
}

// addFile is add for an original on disk.
func (fs *files) addFile(tb testing.TB, id, kind, contentType, path string, at time.Time) inspection.Media {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	m := fs.add(id, kind, contentType, filepath.Base(path), nil, at)
	delete(fs.data, id)
	fs.paths[id] = path
	sum := sha256.Sum256(b)
	m.Size, m.SHA256 = int64(len(b)), hex.EncodeToString(sum[:])
	return m
}

// testFacts is a disputed DEFECTIVE claim on a seller-fulfilled order.
func testFacts(media ...inspection.Media) *Facts {
	yes, no := ptr(true), ptr(false)
	arrived := t0.Add(-2 * time.Hour)
	refunded := t0.Add(-48 * time.Hour)
	return &Facts{
		Inspection: inspection.Inspection{
			ID: "insp-1", SiteID: "main", ScannedCode: testTracking, InspectorID: "u-alice",
			Status: inspection.StatusCompleted,
			Checklist: inspection.Checklist{OuterPackageIntact: yes, FactorySealIntact: yes, AccessoriesComplete: yes,
				SignsOfUse: no, SameItem: yes, FunctionalTest: yes},
			Grade: inspection.GradeResellable, Disposition: inspection.DispositionRelabelRestock,
			Verdict: inspection.VerdictClaimDisputed, CapturedAt: ptr(t0), CompletedAt: ptr(t0.Add(10 * time.Minute)),
			CreatedAt: t0,
		},
		Return: &inspection.Return{
			ID: "ret-1", Marketplace: "US", Channel: inspection.ChannelMFN, OrderID: testOrder, RMAID: testRMA,
			TrackingID: testTracking, Carrier: "UPS", ASIN: "B0C1234567", SKU: "KB-MECH-87",
			ProductName: "Mechanical keyboard, 87 keys, brown switches", Quantity: 1,
			ReasonRaw: "CR-DEFECTIVE", Reason: "DEFECTIVE",
			BuyerComment: "Stopped working after two days, several keys do not register. Very disappointed, want my money back.",
			Currency:     "USD", OrderAmount: 8999, RefundAmount: 8999, RefundedAt: &refunded, ArrivedAt: &arrived,
		},
		Inspector: "alice",
		Media:     media,
		Events: []inspection.AuditEvent{
			{Seq: 1, At: t0, ActorID: "u-alice", Action: "inspection.create", Entity: "inspection", EntityID: "insp-1"},
			{Seq: 2, At: t0.Add(time.Minute), ActorID: "u-alice", Action: "media.verified", Entity: "media", EntityID: "m-label"},
			{Seq: 3, At: t0.Add(10 * time.Minute), ActorID: "u-alice", Action: "inspection.complete", Entity: "inspection", EntityID: "insp-1"},
		},
		AuditOK:    true,
		AuditCount: 3,
		Policy:     inspection.DefaultPolicy(),
		PublicURL:  "https://bench.example.com",
		Now:        t0.Add(time.Hour),
	}
}

func mustFace(tb testing.TB, ttf []byte, px float64) font.Face {
	tb.Helper()
	f, err := opentype.Parse(ttf)
	if err != nil {
		tb.Fatal(err)
	}
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		tb.Fatal(err)
	}
	return fc
}

func drawText(dst draw.Image, fc font.Face, x, y int, s string) {
	d := font.Drawer{Dst: dst, Src: image.Black, Face: fc, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// mustLabelPhoto renders what a phone sees of a return label on a parcel: a
// brown, slightly noisy carton with a white label carrying a Code 128 of
// tracking, a QR code of the RMA id and printed text, as a w x h JPEG.
func mustLabelPhoto(tb testing.TB, tracking, rma string, w, h int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	x := uint32(len(tracking)*7919 + 1)
	for y := range h {
		row := img.Pix[y*img.Stride:]
		for px := range w {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			n := uint8(x % 14)
			row[4*px], row[4*px+1], row[4*px+2], row[4*px+3] = 176+n, 138+n, 96+n, 255
		}
	}
	// The label: 60% of the width, 4x6 proportions turned landscape.
	lw := w * 6 / 10
	lh := lw * 2 / 3
	lx, ly := (w-lw)/2, (h-lh)/2
	draw.Draw(img, image.Rect(lx, ly, lx+lw, ly+lh), image.White, image.Point{}, draw.Src)
	big := mustFace(tb, gobold.TTF, float64(lw)/22)
	small := mustFace(tb, goregular.TTF, float64(lw)/40)
	drawText(img, big, lx+lw/20, ly+lh/9, "UPS GROUND   RETURN")
	drawText(img, small, lx+lw/20, ly+lh/9+lw/28, "SHIP TO: RETURNS DEPT, 100 WAREHOUSE WAY, RENO NV 89502")

	c, err := code128.Encode(tracking)
	if err != nil {
		tb.Fatal(err)
	}
	bw := lw * 7 / 10
	sc, err := barcode.Scale(c, bw-bw%c.Bounds().Dx(), lh/4)
	if err != nil {
		tb.Fatal(err)
	}
	bx, by := lx+lw/20, ly+lh/4
	draw.Draw(img, sc.Bounds().Add(image.Pt(bx, by)), sc, image.Point{}, draw.Src)
	drawText(img, small, bx, by+lh/4+lw/28, "TRACKING #: "+tracking)

	q, err := qr.Encode(rma, qr.M, qr.Auto)
	if err != nil {
		tb.Fatal(err)
	}
	qs := lw / 5
	qsc, err := barcode.Scale(q, qs-qs%q.Bounds().Dx(), qs-qs%q.Bounds().Dx())
	if err != nil {
		tb.Fatal(err)
	}
	qx, qy := lx+lw-qs-lw/20, ly+lh-qs-lh/12
	draw.Draw(img, qsc.Bounds().Add(image.Pt(qx, qy)), qsc, image.Point{}, draw.Src)
	drawText(img, big, lx+lw/20, ly+lh-lh/8, "RMA "+rma)
	return mustJPEG(tb, img, 90)
}

// mustPhoto renders a phone-like photo of the item: gradients, shapes and
// sensor noise, so that JPEG sizes are realistic.
func mustPhoto(tb testing.TB, seed uint64, w, h int, caption string) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 11))
	base := [3]int{rng.IntN(120) + 80, rng.IntN(120) + 80, rng.IntN(120) + 80}
	x := uint32(seed*2654435761 + 1)
	for y := range h {
		row := img.Pix[y*img.Stride:]
		for px := range w {
			x ^= x << 13 // xorshift: cheap noise, the race detector makes rand slow
			x ^= x >> 17
			x ^= x << 5
			n := int(x % 18)
			row[4*px] = uint8((base[0] + px*60/w + n) % 256)
			row[4*px+1] = uint8((base[1] + y*60/h + n) % 256)
			row[4*px+2] = uint8((base[2] + n) % 256)
			row[4*px+3] = 255
		}
	}
	for range 6 {
		x0, y0 := rng.IntN(w*3/4), rng.IntN(h*3/4)
		c := color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
		draw.Draw(img, image.Rect(x0, y0, x0+w/6+rng.IntN(w/4), y0+h/6+rng.IntN(h/4)), image.NewUniform(c), image.Point{}, draw.Src)
	}
	drawText(img, mustFace(tb, gobold.TTF, float64(w)/25), w/20, h/8, caption)
	return mustJPEG(tb, img, 90)
}

func mustJPEG(tb testing.TB, img image.Image, q int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// mustTool finds a command-line tool the tests need, failing (never
// skipping) with the Debian package that provides it.
func mustTool(tb testing.TB, name, pkg string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		tb.Fatalf("%s not found on PATH: install it with `apt-get install -y %s`", name, pkg)
	}
	return p
}

// mustRun runs a command and returns its standard output.
func mustRun(tb testing.TB, name string, args ...string) []byte {
	tb.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return out
}

// keep copies a produced file to $EVIDENCE_KEEP, for looking at it.
func keep(tb testing.TB, name string, b []byte) {
	if dir := os.Getenv("EVIDENCE_KEEP"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			tb.Log(err)
		}
	}
}
