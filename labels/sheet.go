package labels

import (
	"bytes"
	"fmt"

	"github.com/go-pdf/fpdf"
	"github.com/returnbench/returnbench/inspection"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Sheet geometry, in PDF points (1/72 in). The labels are 1 x 2-5/8 in,
// 3 across and 10 down, as on Avery 5160 / 8160 US Letter sheets.
const (
	sheetCols, sheetRows = 3, 10
	sheetPerPage         = sheetCols * sheetRows
	sheetLabelW          = 2.625 * 72
	sheetLabelH          = 1 * 72
	// sheetPitchX and sheetPitchY are from one label's corner to the next:
	// a 1/8 in gap between columns, none between rows.
	sheetPitchX = 2.75 * 72
	sheetPitchY = 1 * 72
	// sheetBlockW and sheetBlockH are the size of all 30 labels together.
	sheetBlockW = (sheetCols-1)*sheetPitchX + sheetLabelW
	sheetBlockH = (sheetRows-1)*sheetPitchY + sheetLabelH
	// sheetDPI is the grid the label is laid out on: 4 dots a point, fine
	// enough for 10 mil bars and whole-point-quarter QR modules.
	sheetDPI = 288
	// maxSheetUnits bounds one PDF (100 Letter pages), so one request cannot
	// tie up the server for minutes.
	maxSheetUnits = 3000
)

// sheetPaper is a paper size and where its first label's top-left corner is.
type sheetPaper struct {
	size      string // fpdf's page size name
	left, top float64
}

var sheetPapers = map[string]sheetPaper{
	// US Letter, Avery 5160: 3/16 in left margin, 1/2 in top margin.
	"letter": {size: "Letter", left: 3.0 / 16 * 72, top: 0.5 * 72},
	// A4 (595.28 x 841.89 pt) with the same labels, the block centred.
	"a4": {size: "A4", left: (595.28 - sheetBlockW) / 2, top: (841.89 - sheetBlockH) / 2},
}

// SheetPDF lays out unit labels on office label sheets, "letter" (30-up,
// Avery 5160) or "a4" (the same labels, centred), as many pages as needed,
// for benches without a thermal printer.
func SheetPDF(publicURL string, units []Unit, paper string) ([]byte, error) {
	p, ok := sheetPapers[paper]
	if !ok {
		return nil, inspection.Errorf(inspection.EINVALID, "Unknown paper %q: use letter or a4.", paper)
	}
	switch {
	case len(units) == 0:
		return nil, inspection.Errorf(inspection.EINVALID, "There are no units to print.")
	case len(units) > maxSheetUnits:
		return nil, inspection.Errorf(inspection.ETOOLARGE, "At most %d unit labels fit one PDF; print them in batches.", maxSheetUnits)
	}
	for i, u := range units {
		if !IsUnitID(u.ID) {
			return nil, inspection.Errorf(inspection.EINVALID, "Unit %d: %q is not a unit id.", i+1, u.ID)
		}
	}
	fonts, err := goFonts()
	if err != nil {
		return nil, err
	}
	pdf := newSheetPDF(p)
	for i, u := range units {
		if i%sheetPerPage == 0 {
			pdf.AddPage()
		}
		cell := i % sheetPerPage
		x := p.left + float64(cell%sheetCols)*sheetPitchX
		y := p.top + float64(cell/sheetCols)*sheetPitchY
		if err := drawSheetLabel(pdf, x, y, publicURL, u, fonts); err != nil {
			return nil, fmt.Errorf("unit %d: %w", i+1, err)
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("write label PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// newSheetPDF starts a PDF in points with the Go fonts, which cover any
// Latin, Greek or Cyrillic SKU, embedded.
func newSheetPDF(p sheetPaper) *fpdf.Fpdf {
	pdf := fpdf.New("P", "pt", p.size, "")
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.SetFillColor(0, 0, 0)
	pdf.SetTextColor(0, 0, 0)
	return pdf
}

// drawSheetLabel draws one label with its top-left corner at (x, y) pt.
func drawSheetLabel(pdf *fpdf.Fpdf, x, y float64, publicURL string, u Unit, fonts goFontSet) error {
	qr, bars, err := unitCodes(publicURL, u)
	if err != nil {
		return err
	}
	l, err := sheetLabel.layout(sheetDPI, len(qr), len(bars))
	if err != nil {
		return err
	}
	at := func(d int) float64 { return float64(d) * 72 / sheetDPI }
	m := at(l.qr.module)
	for row, modules := range qr {
		fillRuns(pdf, modules, x+at(l.qr.x), y+at(l.qr.y)+float64(row)*m, m, m)
	}
	fillRuns(pdf, bars, x+at(l.bar.x), y+at(l.bar.y), at(l.bar.module), at(l.bar.height))
	text := pdfText{pdf: pdf, fonts: fonts, at: at}
	for _, line := range labelLines(l, u, text.wrap) {
		text.draw(x, y, line)
	}
	return pdf.Error()
}

// fillRuns draws a row of modules starting at (x, y) pt, each module
// module pt wide and height pt tall, a run of dark ones as one rectangle.
func fillRuns(pdf *fpdf.Fpdf, modules []bool, x, y, module, height float64) {
	for _, run := range darkRuns(modules) {
		pdf.Rect(x+float64(run[0])*module, y, float64(run[1]-run[0])*module, height, "F")
	}
}

// darkRuns returns the [start, end) index ranges of consecutive dark
// modules, so a run is one rectangle in the PDF rather than many.
func darkRuns(modules []bool) [][2]int {
	var runs [][2]int
	for i := 0; i < len(modules); i++ {
		if !modules[i] {
			continue
		}
		start := i
		for i < len(modules) && modules[i] {
			i++
		}
		runs = append(runs, [2]int{start, i})
	}
	return runs
}

// pdfText sets label text in the Go fonts, sized in layout dots.
type pdfText struct {
	pdf   *fpdf.Fpdf
	fonts goFontSet
	at    func(dots int) float64 // layout dots to points
}

// use selects the box's font and returns its em size and ascent, in points.
func (t pdfText) use(b textBox) (em, ascent float64) {
	style, m := "", t.fonts.regularMetrics
	if b.bold {
		style, m = "B", t.fonts.boldMetrics
	}
	em = m.emFor(t.at(b.size))
	t.pdf.SetFont("go", style, em)
	return em, m.ascent * em
}

// wrap breaks text into lines that fit the box.
func (t pdfText) wrap(b textBox, text string) []string {
	t.use(b)
	width := t.at(b.width)
	fits := func(s string) bool { return t.pdf.GetStringWidth(s) <= width }
	return wrapText(text, b.lines, ellipsis, fits)
}

// draw writes one line on the label whose corner is at (x, y) pt.
func (t pdfText) draw(x, y float64, line textLine) {
	_, ascent := t.use(line.box)
	left := x + t.at(line.box.x)
	if line.box.centre {
		left += (t.at(line.box.width) - t.pdf.GetStringWidth(line.text)) / 2
	}
	t.pdf.Text(left, y+t.at(line.y)+ascent, line.text)
}
