package labels

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/boombuler/barcode/code128"
	"github.com/returnbench/returnbench/inspection"
	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Unit is what a unit label shows.
type Unit struct {
	ID        string // unit id, e.g. "U7K3M9Q2XAB" (see NewUnitID)
	GTIN      string // 14-digit GTIN when known, else ""
	SKU       string
	Condition string    // e.g. "New", "Used - Like New"
	Date      time.Time // relabel date
}

const (
	// pngDPI is the resolution of LabelPNG: a 2x1 in label is 406x203 px,
	// dot for dot what a 203 dpi thermal printer prints.
	pngDPI = 203
	// maxQRPNGSize bounds QRPNG's image side, so a request cannot ask for
	// gigabytes of pixels.
	maxQRPNGSize = 4096
	// ellipsis ends text cut to fit; the Go fonts have the glyph.
	ellipsis = "…"
)

// UnitURL is the QR content: PUBLIC_URL/u/<unit-id>, or the GS1 Digital
// Link PUBLIC_URL/01/<GTIN-14>/21/<unit-id> when the GTIN's check digit
// holds, so any phone opens the unit's history and GS1 readers see the
// product too. It carries nothing secret: the unit id is random and public.
// A GTIN-8, -12 or -13 is zero-padded to 14 digits, as GS1 compares them.
func UnitURL(publicURL string, u Unit) string {
	base := strings.TrimRight(strings.TrimSpace(publicURL), "/")
	id := url.PathEscape(u.ID)
	if g, ok := matchGTIN(strings.TrimSpace(u.GTIN)); ok {
		return base + "/01/" + g.Value + "/21/" + id
	}
	return base + "/u/" + id
}

// QRPNG renders content as a QR code alone, size px square, with medium
// error correction (15%: survives a scuff without growing the code much).
func QRPNG(content string, size int) ([]byte, error) {
	if size < 1 || size > maxQRPNGSize {
		return nil, inspection.Errorf(inspection.EINVALID, "The QR code size must be between 1 and %d px.", maxQRPNGSize)
	}
	b, err := qrcode.Encode(content, qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("encode QR code: %w", err)
	}
	return b, nil
}

// LabelPNG renders a 2x1 in unit label at 203 dpi (406x203 px): QR code,
// Code 128 of the unit id, SKU, condition, date and unit id in black on
// white, for printers that take images and for on-screen previews.
func LabelPNG(publicURL string, u Unit) ([]byte, error) {
	img, err := labelImage(publicURL, u)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode label PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// labelImage draws the 2x1 label.
func labelImage(publicURL string, u Unit) (*image.Gray, error) {
	qr, bars, err := unitCodes(publicURL, u)
	if err != nil {
		return nil, err
	}
	l, err := thermal2x1.layout(pngDPI, len(qr), len(bars))
	if err != nil {
		return nil, err
	}
	fonts, err := goFonts()
	if err != nil {
		return nil, err
	}
	img := image.NewGray(image.Rect(0, 0, l.width, l.height))
	for i := range img.Pix {
		img.Pix[i] = 0xff // white
	}
	drawQR(img, l.qr, qr)
	drawBars(img, l.bar, bars)
	faces := newFaceCache(fonts)
	defer faces.close()
	for _, line := range labelLines(l, u, faces.wrap) {
		faces.draw(img, line)
	}
	return img, faces.err
}

// unitCodes encodes a unit's QR code (modules, quiet zone not included)
// and Code 128 bars (true is a dark module), shared by the PNG and PDF.
func unitCodes(publicURL string, u Unit) (qr [][]bool, bars []bool, err error) {
	if !IsUnitID(u.ID) {
		return nil, nil, errNotUnitID(u.ID)
	}
	q, err := qrcode.New(UnitURL(publicURL, u), qrcode.Medium)
	if err != nil {
		return nil, nil, fmt.Errorf("encode QR code: %w", err)
	}
	q.DisableBorder = true
	c, err := code128.Encode(u.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("encode Code 128: %w", err)
	}
	bars = make([]bool, c.Bounds().Dx())
	for x := range bars {
		bars[x] = color.GrayModel.Convert(c.At(x, 0)).(color.Gray).Y < 128
	}
	return q.Bitmap(), bars, nil
}

func errNotUnitID(id string) error {
	return inspection.Errorf(inspection.EINVALID, "%q is not a unit id.", id)
}

// drawQR paints the dark modules of a QR code.
func drawQR(img *image.Gray, b qrBox, modules [][]bool) {
	for y, row := range modules {
		for x, dark := range row {
			if dark {
				fillBlack(img, b.x+x*b.module, b.y+y*b.module, b.module, b.module)
			}
		}
	}
}

// drawBars paints Code 128 bars.
func drawBars(img *image.Gray, b barBox, bars []bool) {
	for x, dark := range bars {
		if dark {
			fillBlack(img, b.x+x*b.module, b.y, b.module, b.height)
		}
	}
}

// fillBlack paints a rectangle black, clipped to the image.
func fillBlack(img *image.Gray, x, y, w, h int) {
	r := image.Rect(x, y, x+w, y+h).Intersect(img.Rect)
	for py := r.Min.Y; py < r.Max.Y; py++ {
		clear(img.Pix[img.PixOffset(r.Min.X, py):img.PixOffset(r.Max.X, py)]) // 0 is black
	}
}

// faceCache opens one font face per text box, at the box's size, and
// keeps the first error so drawing code stays linear.
type faceCache struct {
	fonts goFontSet
	faces map[textBox]font.Face
	err   error
}

func newFaceCache(fonts goFontSet) *faceCache {
	return &faceCache{fonts: fonts, faces: map[textBox]font.Face{}}
}

// face returns the face for a box: Go Bold or Go Regular, sized so a line
// is the box's size tall. It returns nil after an error.
func (c *faceCache) face(b textBox) font.Face {
	if f, ok := c.faces[b]; ok || c.err != nil {
		return f
	}
	f, m := c.fonts.regular, c.fonts.regularMetrics
	if b.bold {
		f, m = c.fonts.bold, c.fonts.boldMetrics
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{
		Size:    m.emFor(float64(b.size)),
		DPI:     72, // Size is then in pixels
		Hinting: font.HintingFull,
	})
	if err != nil {
		c.err = fmt.Errorf("open font face: %w", err)
		return nil
	}
	c.faces[b] = face
	return face
}

// wrap breaks text into lines that fit the box at its font.
func (c *faceCache) wrap(b textBox, text string) []string {
	face := c.face(b)
	if face == nil {
		return nil
	}
	fits := func(s string) bool { return font.MeasureString(face, s).Ceil() <= b.width }
	return wrapText(text, b.lines, ellipsis, fits)
}

// draw writes one line, black on the image.
func (c *faceCache) draw(img *image.Gray, line textLine) {
	face := c.face(line.box)
	if face == nil {
		return
	}
	x := fixed.I(line.box.x)
	if line.box.centre {
		x += (fixed.I(line.box.width) - font.MeasureString(face, line.text)) / 2
	}
	y := fixed.I(line.y) + face.Metrics().Ascent
	d := font.Drawer{Dst: img, Src: image.Black, Face: face, Dot: fixed.Point26_6{X: x, Y: y}}
	d.DrawString(line.text)
}

func (c *faceCache) close() {
	for _, f := range c.faces {
		f.Close()
	}
}

// goFontSet is the Go fonts, parsed once: they are embedded, so the label
// looks the same on every server and needs no system fonts.
type goFontSet struct {
	regular, bold               *opentype.Font
	regularMetrics, boldMetrics fontMetrics
}

// fontMetrics is a font's ascent and descent as fractions of its em.
type fontMetrics struct{ ascent, descent float64 }

// emFor is the em size at which a line of the font, ascent plus descent,
// is lineSize tall: so text never spills out of its box.
func (m fontMetrics) emFor(lineSize float64) float64 {
	return lineSize / (m.ascent + m.descent)
}

var goFonts = sync.OnceValues(func() (goFontSet, error) {
	var s goFontSet
	var err error
	if s.regular, s.regularMetrics, err = parseFont(goregular.TTF); err != nil {
		return s, err
	}
	s.bold, s.boldMetrics, err = parseFont(gobold.TTF)
	return s, err
})

func parseFont(ttf []byte) (*opentype.Font, fontMetrics, error) {
	f, err := opentype.Parse(ttf)
	if err != nil {
		return nil, fontMetrics{}, fmt.Errorf("parse Go font: %w", err)
	}
	const em = 1024
	m, err := f.Metrics(nil, fixed.I(em), font.HintingNone)
	if err != nil {
		return nil, fontMetrics{}, fmt.Errorf("read Go font metrics: %w", err)
	}
	return f, fontMetrics{
		ascent:  float64(m.Ascent) / 64 / em,
		descent: float64(m.Descent) / 64 / em,
	}, nil
}
