package labels

import (
	"fmt"
	"image"
	"image/draw"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
)

// rasterDPI is the resolution the sheet tests render PDF pages at.
const rasterDPI = 300

// avery is the label grid a sheet must match, in points, written out here
// rather than taken from sheet.go so that the test checks it.
type avery struct{ left, top float64 }

var (
	// averyLetter is Avery 5160: 3/16 in left, 1/2 in top margin.
	averyLetter = avery{left: 13.5, top: 36}
	// averyA4 centres the same 8-1/8 x 10 in block on A4.
	averyA4 = avery{left: (595.28 - 585) / 2, top: (841.89 - 720) / 2}
)

const (
	averyCols, averyRows     = 3, 10
	averyLabelW, averyLabelH = 189, 72 // 2-5/8 x 1 in
	averyPitchX, averyPitchY = 198, 72 // 2-3/4 in, 1 in
	averyPerPage             = averyCols * averyRows
)

func TestSheetPDFLetter(t *testing.T) {
	units := testUnits(31)
	pdf, err := SheetPDF(testPublicURL, units, "letter")
	if err != nil {
		t.Fatal(err)
	}
	path := MustWriteTemp(t, pdf)
	w, h, pages := MustPDFInfo(t, path)
	if w != 612 || h != 792 {
		t.Errorf("page size %g x %g pts, want 612 x 792 (US Letter)", w, h)
	}
	if pages != 2 {
		t.Errorf("%d pages for 31 units, want 2", pages)
	}
	page := MustRasterize(t, path, 1)
	checkSheetPage(t, page, averyLetter, testPublicURL, units[:averyPerPage])
	page2 := MustRasterize(t, path, 2)
	checkSheetPage(t, page2, averyLetter, testPublicURL, units[averyPerPage:])
}

func TestSheetPDFA4(t *testing.T) {
	units := testUnits(averyPerPage)
	units[0].SKU = "Ωμέγα-Кирилица-Ünïcødé-½"
	pdf, err := SheetPDF(longDomainURL, units, "a4")
	if err != nil {
		t.Fatal(err)
	}
	path := MustWriteTemp(t, pdf)
	w, h, pages := MustPDFInfo(t, path)
	if fmt.Sprintf("%.2f x %.2f", w, h) != "595.28 x 841.89" {
		t.Errorf("page size %g x %g pts, want 595.28 x 841.89 (A4)", w, h)
	}
	if pages != 1 {
		t.Errorf("%d pages for 30 units, want 1", pages)
	}
	checkSheetPage(t, MustRasterize(t, path, 1), averyA4, longDomainURL, units)
}

// TestRenderConcurrent renders PNGs and PDFs from several goroutines at
// once: they share the parsed Go fonts, and -race checks nothing else is
// shared.
func TestRenderConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			_, err := LabelPNG(testPublicURL, testUnit())
			errs <- err
		})
		wg.Go(func() {
			_, err := SheetPDF(testPublicURL, testUnits(3), "letter")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestSheetPDFErrors(t *testing.T) {
	badID := testUnits(1)
	badID[0].ID = "nope"
	for _, tt := range []struct {
		name  string
		units []Unit
		paper string
	}{
		{"ErrEmpty", nil, "letter"},
		{"ErrTooMany", testUnits(maxSheetUnits + 1), "letter"},
		{"ErrUnknownPaper", testUnits(1), "legal"},
		{"ErrNotUnitID", badID, "a4"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := SheetPDF(testPublicURL, tt.units, tt.paper); err == nil {
				t.Error("SheetPDF succeeded, want an error")
			}
		})
	}
}

// checkSheetPage decodes the QR code and Code 128 of every label cell of a
// rendered page, at the cell where the sheet geometry says the label is,
// and checks they are the units', in order, and that the cells after the
// last unit are empty.
func checkSheetPage(tb testing.TB, page *image.Gray, grid avery, publicURL string, units []Unit) {
	tb.Helper()
	px := func(pt float64) int { return int(pt * rasterDPI / 72) }
	found := 0
	for cell := range averyPerPage {
		x := grid.left + float64(cell%averyCols)*averyPitchX
		y := grid.top + float64(cell/averyCols)*averyPitchY
		r := image.Rect(px(x), px(y), px(x+averyLabelW), px(y+averyLabelH))
		label := page.SubImage(r).(*image.Gray)
		if cell >= len(units) {
			if !blank(label) {
				tb.Errorf("cell %d: found ink, want an empty cell", cell)
			}
			continue
		}
		// The decoders look where the codes belong, which also keeps them
		// quick: the QR code in the square at the left, the bars in the
		// bottom 40%.
		qrArea := image.Rect(r.Min.X, r.Min.Y, r.Min.X+r.Dy(), r.Max.Y)
		barArea := image.Rect(r.Min.X, r.Max.Y-r.Dy()*2/5, r.Max.X, r.Max.Y)
		link, err := decodeQR(page.SubImage(qrArea))
		if err != nil {
			tb.Errorf("cell %d: decode QR code: %v", cell, err)
			continue
		}
		found++
		u := units[cell]
		if want := UnitURL(publicURL, u); link != want {
			tb.Errorf("cell %d: QR decoded %q, want %q", cell, link, want)
		}
		checkClassifiesAsUnit(tb, link, u)
		if id, err := decodeCode128(page.SubImage(barArea)); err != nil || id != u.ID {
			tb.Errorf("cell %d: Code 128 decoded %q (%v), want %q", cell, id, err, u.ID)
		}
		// One pixel less than the edge: anti-aliasing may grey it.
		checkBlankEdge(tb, label, px(sheetLabel.edgeIn*72)-1)
	}
	if found != len(units) {
		tb.Errorf("decoded %d QR codes on the page, want %d", found, len(units))
	}
}

// blank reports whether img has no ink at all.
func blank(img *image.Gray) bool {
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.GrayAt(x, y).Y < 250 {
				return false
			}
		}
	}
	return true
}

// fixedUnitID is a unit id that is the same on every run, so a code that
// fails to decode fails every time and can be looked at.
func fixedUnitID(i int) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	r := rand.New(rand.NewPCG(uint64(i), 7))
	b := []byte{'U'}
	for range 10 {
		b = append(b, alphabet[r.IntN(len(alphabet))])
	}
	return string(b)
}

func testUnits(n int) []Unit {
	units := make([]Unit, n)
	for i := range units {
		units[i] = testUnit()
		units[i].ID = fixedUnitID(i)
		units[i].SKU = fmt.Sprintf("SKU-%04d", i)
		if i%2 == 1 {
			units[i].GTIN = ""
		}
	}
	return units
}

func MustWriteTemp(tb testing.TB, b []byte) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "labels.pdf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// mustTool finds a poppler tool; the sheet tests need it and never skip.
func mustTool(tb testing.TB, name string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		tb.Fatalf("%s not found: install the poppler-utils package (apt-get install -y poppler-utils)", name)
	}
	return path
}

var (
	pdfPageSizeRE = regexp.MustCompile(`(?m)^Page size:\s+([\d.]+) x ([\d.]+) pts`)
	pdfPagesRE    = regexp.MustCompile(`(?m)^Pages:\s+(\d+)`)
)

// MustPDFInfo returns the first page's size in points and the page count.
func MustPDFInfo(tb testing.TB, path string) (w, h float64, pages int) {
	tb.Helper()
	out, err := exec.Command(mustTool(tb, "pdfinfo"), path).CombinedOutput()
	if err != nil {
		tb.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	size := pdfPageSizeRE.FindSubmatch(out)
	count := pdfPagesRE.FindSubmatch(out)
	if size == nil || count == nil {
		tb.Fatalf("cannot read pdfinfo output:\n%s", out)
	}
	w, _ = strconv.ParseFloat(string(size[1]), 64)
	h, _ = strconv.ParseFloat(string(size[2]), 64)
	pages, _ = strconv.Atoi(string(count[1]))
	return w, h, pages
}

// MustRasterize renders one page of a PDF to a grey image at rasterDPI.
func MustRasterize(tb testing.TB, path string, page int) *image.Gray {
	tb.Helper()
	prefix := filepath.Join(tb.TempDir(), "page")
	n := strconv.Itoa(page)
	cmd := exec.Command(mustTool(tb, "pdftoppm"), "-r", strconv.Itoa(rasterDPI), "-png",
		"-f", n, "-l", n, "-singlefile", path, prefix)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	b, err := os.ReadFile(prefix + ".png")
	if err != nil {
		tb.Fatal(err)
	}
	src := MustDecodePNG(tb, b)
	img := image.NewGray(src.Bounds())
	draw.Draw(img, img.Bounds(), src, src.Bounds().Min, draw.Src)
	return img
}

func BenchmarkSheetPDF30(b *testing.B) {
	units := testUnits(averyPerPage)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SheetPDF(testPublicURL, units, "letter"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*averyPerPage)/b.Elapsed().Seconds(), "labels/s")
}
