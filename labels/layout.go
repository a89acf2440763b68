package labels

import (
	"math"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/returnbench/returnbench/inspection"
)

// A unit label is laid out once, in printer dots, and drawn by three
// renderers (PNG, ZPL, PDF sheet), so every medium shows the same label.
// All sizes below are in inches and turned into dots for the printer's dpi.
const (
	// barQuietModules is the blank margin Code 128 needs on each side of its
	// bars, in modules (ISO/IEC 15417).
	barQuietModules = 10
	// qrQuietModules is the blank margin a QR code needs on each side, in
	// modules (ISO/IEC 18004).
	qrQuietModules = 4
	// maxQRModule is the largest QR module, in dots: ZPL's ^BQ magnification
	// stops at 10, and the PNG and PDF keep to it so all three look alike.
	maxQRModule = 10
	// minQRModuleIn is the smallest QR module worth printing, about 0.24 mm
	// (2 dots at 203 dpi, 3 at 300): finer modules blur on thermal printers
	// and phones fail to read them. A URL that needs smaller is refused.
	minQRModuleIn = 0.0095
	// interpGapIn is the space between the Code 128 bars and the unit id
	// printed under them. Zebra printers leave a few dots there; 0.03 in
	// covers it at 203 and 300 dpi.
	interpGapIn = 0.03
	// gapIn separates one block of text from the next.
	gapIn = 0.03
	// maxTextRunes bounds the user text looked at: no label shows more, and
	// it bounds the work of fitting text.
	maxTextRunes = 256
)

// labelSpec is a label stock and how a unit label is drawn on it. Sizes
// are in inches.
type labelSpec struct {
	widthIn, heightIn float64
	// edgeIn keeps ink off the label's edge, where the printer's
	// registration wanders.
	edgeIn float64
	// portrait puts the QR code above the text (4x6 cartons) rather than
	// beside it (2x1 and sheet labels).
	portrait bool
	// qrBoxIn is the side of the square the portrait QR code is centred in.
	qrBoxIn float64
	// barModuleIn is the Code 128 narrow bar; barHeightIn its height.
	barModuleIn, barHeightIn float64
	// idIn, skuIn and textIn are the heights of a line of the unit id (under
	// the bars), of the SKU, and of the condition and date.
	idIn, skuIn, textIn float64
}

var (
	// thermal2x1 is the unit label on a 203 or 300 dpi thermal printer.
	thermal2x1 = labelSpec{
		widthIn: 2, heightIn: 1,
		edgeIn: 0.04, // a thermal printer registers within about 1 mm
		// 10 mil bars, what handheld scanners read reliably: 2 dots at 203
		// dpi, 1.56 in for a unit id, so the bars take the label's width.
		barModuleIn: 0.01,
		// Tall enough to aim a scanner's line at, short enough to leave the
		// QR code most of the label's height.
		barHeightIn: 0.15,
		// About 6.5, 8.5 and 7 pt: small, as labels are, but legible.
		idIn: 0.09, skuIn: 0.12, textIn: 0.1,
	}
	// thermal4x6 is the carton label: everything larger, to be read from
	// further away.
	thermal4x6 = labelSpec{
		widthIn: 4, heightIn: 6, portrait: true,
		edgeIn: 0.15,
		// Room for the largest QR code ZPL prints (10 dots a module) of a
		// typical unit URL, with its quiet zone.
		qrBoxIn:     2.6,
		barModuleIn: 0.015, barHeightIn: 1,
		idIn: 0.15, skuIn: 0.3, textIn: 0.22,
	}
	// sheetLabel is one 1 x 2-5/8 in label of an Avery 5160 style sheet,
	// drawn like the 2x1 label. An office printer can be 1.5 mm off, so
	// its edge is wider.
	sheetLabel = func() labelSpec {
		s := thermal2x1
		s.widthIn, s.edgeIn = 2.625, 0.06
		return s
	}()
)

// layout is where each part of one label goes, in dots from the label's
// top-left corner.
type layout struct {
	width, height int
	qr            qrBox
	bar           barBox
	// text holds the SKU, condition and date boxes, in labelTexts order,
	// each reserving room for its most lines.
	text []textBox
	// gap is the space between one text box's lines and the next box's.
	gap int
	// id is the unit id printed under the bars.
	id textBox
}

// qrBox places a QR symbol: its top-left module (quiet zone not included)
// and the module size.
type qrBox struct{ x, y, module int }

// barBox places Code 128 bars: the first bar's top-left, the narrow bar
// width and the bar height.
type barBox struct{ x, y, module, height int }

// textBox is a block of text lines, each size dots tall.
type textBox struct {
	x, y, width, size, lines int
	bold, centre             bool
}

// layout places a label whose QR code has qrModules modules a side and whose
// Code 128 has barModules modules, at dpi dots per inch. It fails when the
// QR code (a long public URL) does not fit.
func (s labelSpec) layout(dpi, qrModules, barModules int) (layout, error) {
	if s.portrait {
		return s.portraitLayout(dpi, qrModules, barModules)
	}
	return s.landscapeLayout(dpi, qrModules, barModules)
}

// landscapeLayout: QR code top left, text to its right, Code 128 with the
// unit id under it along the bottom.
func (s labelSpec) landscapeLayout(dpi, qrModules, barModules int) (layout, error) {
	d := dots(dpi)
	l := layout{width: d(s.widthIn), height: d(s.heightIn)}
	edge := d(s.edgeIn)
	l.bar, l.id = s.barcodeRow(dpi, barModules)

	// The QR code's box is the square above the bars; its quiet zone may
	// run into the edge margin, which is blank label too.
	box := l.bar.y
	module := min(box/(qrModules+2*qrQuietModules), maxQRModule)
	if module < max(1, d(minQRModuleIn)) {
		return layout{}, errTooLong(s)
	}
	offset := (box - qrModules*module) / 2
	l.qr = qrBox{x: offset, y: offset, module: module}

	// The text starts where the QR code's quiet zone ends.
	x := offset + (qrModules+qrQuietModules)*module
	l.gap = d(gapIn)
	l.text = s.textColumn(dpi, x, edge, l.width-edge-x)
	return l, l.check(edge)
}

// portraitLayout: QR code centred at the top, text under it, Code 128 with
// the unit id at the bottom.
func (s labelSpec) portraitLayout(dpi, qrModules, barModules int) (layout, error) {
	d := dots(dpi)
	l := layout{width: d(s.widthIn), height: d(s.heightIn)}
	edge := d(s.edgeIn)
	l.bar, l.id = s.barcodeRow(dpi, barModules)

	box := min(l.width-2*edge, d(s.qrBoxIn))
	module := min(box/(qrModules+2*qrQuietModules), maxQRModule)
	if module < max(1, d(minQRModuleIn)) {
		return layout{}, errTooLong(s)
	}
	side := qrModules * module
	l.qr = qrBox{x: (l.width - side) / 2, y: edge + (box-side)/2, module: module}

	l.gap = d(gapIn)
	l.text = s.textColumn(dpi, edge, edge+box+l.gap, l.width-2*edge)
	return l, l.check(edge)
}

// barcodeRow centres the Code 128 bars at the bottom of the label, with
// the unit id under them.
func (s labelSpec) barcodeRow(dpi, modules int) (barBox, textBox) {
	d := dots(dpi)
	module := max(1, d(s.barModuleIn))
	width := modules * module
	idSize := d(s.idIn)
	idY := d(s.heightIn) - d(s.edgeIn) - idSize
	bar := barBox{
		x:      (d(s.widthIn) - width) / 2,
		y:      idY - d(interpGapIn) - d(s.barHeightIn),
		module: module,
		height: d(s.barHeightIn),
	}
	id := textBox{x: bar.x, y: idY, width: width, size: idSize, lines: 1, centre: true}
	return bar, id
}

// textColumn stacks the SKU (bold) and condition boxes, two lines each,
// and the date box, from (x, y) down.
func (s labelSpec) textColumn(dpi, x, y, width int) []textBox {
	d := dots(dpi)
	skuSize, size, gap := d(s.skuIn), d(s.textIn), d(gapIn)
	sku := textBox{x: x, y: y, width: width, size: skuSize, lines: 2, bold: true}
	y += 2*skuSize + gap
	condition := textBox{x: x, y: y, width: width, size: size, lines: 2}
	y += 2*size + gap
	date := textBox{x: x, y: y, width: width, size: size, lines: 1}
	return []textBox{sku, condition, date}
}

// check makes sure every part fits the label: the QR code inside the
// edge, the bars with their quiet zones, and the text above the bars.
func (l layout) check(edge int) error {
	last := l.text[len(l.text)-1]
	if l.qr.x < edge || l.qr.y < edge || last.width <= 0 ||
		l.bar.x < barQuietModules*l.bar.module || last.y+last.size > l.bar.y ||
		l.id.y+l.id.size > l.height-edge {
		return inspection.Errorf(inspection.EINVALID, "The unit label does not fit its label stock.")
	}
	return nil
}

func errTooLong(s labelSpec) error {
	return inspection.Errorf(inspection.EINVALID,
		"The unit URL is too long to fit a QR code on a %gx%g in label; use a shorter public URL.", s.widthIn, s.heightIn)
}

// dots converts inches to whole dots at dpi.
func dots(dpi int) func(in float64) int {
	return func(in float64) int { return int(math.Round(in * float64(dpi))) }
}

// textLine is one line of text placed on a label.
type textLine struct {
	box  textBox // the box it belongs to: its x, width, size and style
	y    int
	text string
}

// labelLines places a unit's text: SKU, condition and date wrapped into
// their boxes and stacked, each box starting under the lines the one
// before it used (so a one-line SKU leaves no hole), then the unit id
// under the bars. wrap breaks a text into lines that fit a box.
func labelLines(l layout, u Unit, wrap func(textBox, string) []string) []textLine {
	var lines []textLine
	y := l.text[0].y
	for i, text := range labelTexts(u) {
		b := l.text[i]
		wrapped := wrap(b, text)
		for j, s := range wrapped {
			lines = append(lines, textLine{box: b, y: y + j*b.size, text: s})
		}
		if len(wrapped) > 0 {
			y += len(wrapped)*b.size + l.gap
		}
	}
	for _, s := range wrap(l.id, u.ID) {
		lines = append(lines, textLine{box: l.id, y: l.id.y, text: s})
	}
	return lines
}

// labelTexts is what the text boxes show, in layout.text order. It comes
// from users and reports, so it is cleaned first.
func labelTexts(u Unit) []string {
	date := ""
	if !u.Date.IsZero() {
		date = u.Date.Format(time.DateOnly)
	}
	return []string{cleanText(u.SKU), cleanText(u.Condition), date}
}

// cleanText makes user text printable: invalid UTF-8 is replaced, control
// and invisible format characters become spaces, runs of spaces collapse,
// and only the first maxTextRunes runes are kept.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxTextRunes {
		s = string(r[:maxTextRunes])
	}
	return s
}

// wrapText breaks s into at most n lines that each pass fits. A line
// breaks after a space, hyphen or slash when one is in its second half,
// else anywhere: SKUs are often one long word. Text that does not fit ends
// its last line with ellipsis.
func wrapText(s string, n int, ellipsis string, fits func(string) bool) []string {
	r := []rune(s)
	var lines []string
	for len(r) > 0 && len(lines) < n {
		k := longestFit(r, "", fits)
		if k == 0 {
			break
		}
		if k < len(r) && len(lines) == n-1 {
			k = longestFit(r, ellipsis, fits)
			return append(lines, string(r[:k])+ellipsis)
		}
		if k < len(r) {
			k = breakAt(r[:k])
		}
		lines = append(lines, strings.TrimRight(string(r[:k]), " "))
		r = r[k:]
	}
	return lines
}

// breakAt returns where to end a line that must stop within r: after its
// last space, hyphen or slash if that keeps at least half of r, else at
// the end of r.
func breakAt(r []rune) int {
	for i := len(r) - 1; i >= len(r)/2; i-- {
		if r[i] == ' ' || r[i] == '-' || r[i] == '/' {
			return i + 1
		}
	}
	return len(r)
}

// longestFit returns how many leading runes of r, followed by suffix, pass
// fits. Text only grows wider as runes are added, so a binary search works.
func longestFit(r []rune, suffix string, fits func(string) bool) int {
	return sort.Search(len(r), func(i int) bool { return !fits(string(r[:i+1]) + suffix) })
}
