package evidence

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/skip2/go-qrcode"
	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/returnbench/returnbench/inspection"
)

// Card geometry. The photo is never wider than cardMaxWidth (phones shoot
// 4000 px; 2000 keeps the label sharp at a fraction of the bytes); a narrow
// photo sits centred on a card at least cardMinWidth wide so the caption
// stays readable.
const (
	cardMaxWidth  = 2000
	cardMaxHeight = 2400
	cardMinWidth  = 1200
	cardQuality   = 90
)

// Card colours.
var (
	inkColor     = color.RGBA{0x11, 0x11, 0x11, 0xFF}
	captionColor = color.RGBA{0x5F, 0x63, 0x68, 0xFF}
	ruleColor    = color.RGBA{0xDA, 0xDC, 0xE0, 0xFF}
	okInk        = color.RGBA{0x13, 0x73, 0x33, 0xFF}
	okFill       = color.RGBA{0xE6, 0xF4, 0xEA, 0xFF}
	badInk       = color.RGBA{0xB3, 0x26, 0x1E, 0xFF}
	badFill      = color.RGBA{0xFC, 0xE8, 0xE6, 0xFF}
	unsureInk    = color.RGBA{0x8A, 0x53, 0x00, 0xFF}
	unsureFill   = color.RGBA{0xFE, 0xF3, 0xE0, 0xFF}
)

// LabelCard renders the label close-up card: the newest verified label
// photo, untouched apart from scaling and turning it upright, above a
// caption band with the return's identifiers, the verdict, the times, the
// inspector, the photo's hash, a QR link to the record and the result of
// reading the label's barcodes on the server. It writes a JPEG to w.
//
// It fails with ENOTFOUND when there is no verified label photo and with
// EUNSUPPORTED when the photo cannot be decoded (HEIC); the CardResult is
// returned whenever the barcodes were read, even if writing failed.
func LabelCard(ctx context.Context, f *Facts, open Source, w io.Writer) (CardResult, error) {
	card, res, err := renderCard(ctx, f, open)
	if err != nil {
		return res, err
	}
	if err := encodeJPEG(w, card, cardQuality); err != nil {
		return res, fmt.Errorf("write label card: %w", err)
	}
	return res, nil
}

// renderCard builds the card image; the PDF and the zip share it.
func renderCard(ctx context.Context, f *Facts, open Source) (*image.RGBA, CardResult, error) {
	m, ok := newest(f.Media, inspection.MediaLabelCloseup)
	if !ok {
		if pendingMedia(f.Media, inspection.MediaLabelCloseup) > 0 {
			return nil, CardResult{}, inspection.Errorf(inspection.ENOTFOUND,
				"The label close-up photo is still uploading from the bench; the card can be made once the server has verified it.")
		}
		return nil, CardResult{}, inspection.Errorf(inspection.ENOTFOUND, "This inspection has no verified label close-up photo.")
	}
	rc, err := open(ctx, m)
	if err != nil {
		return nil, CardResult{}, fmt.Errorf("open label photo %s: %w", m.ID, err)
	}
	img, orientation, err := decodeOriginal(m, rc)
	rc.Close()
	if err != nil {
		return nil, CardResult{}, err
	}
	res := checkLabel(f, decodeBarcodes(ctx, img))
	if err := ctx.Err(); err != nil {
		return nil, res, err
	}
	photo := fitScale(img, orientation, cardMaxWidth, cardMaxHeight, catmullRom)
	return composeCard(f, m, photo, res), res, nil
}

// fonts holds the parsed Go fonts: no system fonts, so every server renders
// the same card.
var fonts = sync.OnceValues(func() (*opentype.Font, *opentype.Font) {
	reg, err := opentype.Parse(goregular.TTF)
	if err != nil {
		panic(err)
	}
	bold, err := opentype.Parse(gobold.TTF)
	if err != nil {
		panic(err)
	}
	return reg, bold
})

func face(f *opentype.Font, px float64) font.Face {
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic(err) // only for a size of 0 or less, which the layout never asks for
	}
	return fc
}

// cardField is one captioned value in the band.
type cardField struct{ caption, value string }

// composeCard lays out the card: photo on top, caption band beneath.
func composeCard(f *Facts, m inspection.Media, photo *image.RGBA, res CardResult) *image.RGBA {
	pw, ph := photo.Bounds().Dx(), photo.Bounds().Dy()
	W := max(pw, cardMinWidth)
	em := float64(W) / 58 // ~34 px on a 2000 px card
	l := &cardLayout{
		W:       W,
		pad:     int(em * 1.2),
		em:      em,
		caption: face(fontsRegular(), em*0.72),
		value:   face(fontsBold(), em),
		quote:   face(fontsRegular(), em),
		title:   face(fontsBold(), em*1.3),
		small:   face(fontsRegular(), em*0.62),
	}
	l.qr = int(em * 8.5)
	l.textW = W - 3*l.pad - l.qr

	// Measure the band, then draw it.
	bandH := l.band(nil, 0, f, m, res)
	card := image.NewRGBA(image.Rect(0, 0, W, ph+bandH))
	draw.Draw(card, card.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(card, image.Rect((W-pw)/2, 0, (W-pw)/2+pw, ph), photo, image.Point{}, draw.Src)
	fill(card, image.Rect(0, ph, W, ph+max(2, int(em/12))), ruleColor)
	l.band(card, ph, f, m, res)
	return card
}

func fontsRegular() *opentype.Font { r, _ := fonts(); return r }
func fontsBold() *opentype.Font    { _, b := fonts(); return b }

type cardLayout struct {
	W, pad, qr, textW                   int
	em                                  float64
	caption, value, quote, title, small font.Face
}

// band draws the caption band with its top at y0 onto dst, or only measures
// it when dst is nil, and returns its height.
func (l *cardLayout) band(dst *image.RGBA, y0 int, f *Facts, m inspection.Media, res CardResult) int {
	r := f.ret()
	in := &f.Inspection
	x := l.pad
	y := y0 + l.pad

	y = l.text(dst, l.title, inkColor, x, y, "Return label close-up")
	y += int(l.em * 0.5)

	// The barcode check, in a coloured box.
	ink, bg := unsureInk, unsureFill
	switch {
	case res.Match:
		ink, bg = okInk, okFill
	case res.Checked:
		ink, bg = badInk, badFill
	}
	lines := wrap(l.value, res.Summary(), l.textW-l.pad, 3)
	boxH := len(lines)*lineHeight(l.value) + int(l.em*0.8)
	if dst != nil {
		fill(dst, image.Rect(x, y, x+l.textW, y+boxH), bg)
		fill(dst, image.Rect(x, y, x+int(l.em/4), y+boxH), ink)
	}
	ty := y + int(l.em*0.4)
	for _, s := range lines {
		ty = l.text(dst, l.value, ink, x+l.pad/2+int(l.em/4), ty, s)
	}
	y += boxH + int(l.em*0.7)

	verdict := string(in.Verdict)
	if in.Grade != "" {
		verdict += " · grade " + string(in.Grade)
	}
	captured := m.CapturedAt
	if captured == nil {
		captured = in.CapturedAt
	}
	grid := [][2]cardField{
		{{"Order", r.OrderID}, {"RMA", r.RMAID}},
		{{"Tracking", r.TrackingID}, {"Scanned at the bench", in.ScannedCode}},
		{{"Verdict", verdict}, {"Inspector", f.Inspector}},
		{{"Photo taken", utcp(captured)}, {"Parcel received", utcp(r.ArrivedAt)}},
	}
	colW := (l.textW - l.pad) / 2
	for _, row := range grid {
		y = max(l.field(dst, x, y, colW, row[0]), l.field(dst, x+colW+l.pad, y, colW, row[1]))
	}

	reason := f.reason()
	if r.ReasonRaw != "" && r.ReasonRaw != reason {
		reason += " (" + r.ReasonRaw + ")"
	}
	y = l.field(dst, x, y, l.textW, cardField{"Return reason", reason})
	y = l.text(dst, l.caption, captionColor, x, y, "Buyer comment")
	comment := orDash(strings.Join(strings.Fields(r.BuyerComment), " "))
	if r.BuyerComment != "" {
		comment = "\u201c" + comment + "\u201d"
	}
	for _, s := range wrap(l.quote, comment, l.textW, 3) {
		y = l.text(dst, l.quote, inkColor, x, y, s)
	}
	y += int(l.em * 0.5)
	y = l.text(dst, l.small, captionColor, x, y, truncate(l.small,
		fmt.Sprintf("Photo SHA-256 %s…  ·  file %s  ·  inspection %s", shortHash(m.SHA256), orDash(m.Filename), in.ID), l.textW))

	// QR code to the full record, top right of the band.
	qx, qy := l.W-l.pad-l.qr, y0+l.pad
	qEnd := qy + l.qr
	if dst != nil {
		drawQR(dst, image.Rect(qx, qy, qx+l.qr, qy+l.qr), f.inspectionURL())
	}
	qEnd = l.centred(dst, l.small, captionColor, qx, qEnd+int(l.em*0.3), l.qr, "Scan for the full record")
	return max(y, qEnd) + l.pad - y0
}

// field draws a caption with its value beneath and returns the y below it.
func (l *cardLayout) field(dst *image.RGBA, x, y, w int, fd cardField) int {
	y = l.text(dst, l.caption, captionColor, x, y, fd.caption)
	y = l.text(dst, l.value, inkColor, x, y, truncate(l.value, orDash(fd.value), w))
	return y + int(l.em*0.35)
}

// text draws one line with its top at y and returns the top of the next
// line. Characters the Go fonts lack (CJK, emoji) are drawn as "?".
func (l *cardLayout) text(dst *image.RGBA, fc font.Face, c color.Color, x, y int, s string) int {
	if dst != nil {
		s = clean(s)
		d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: fc,
			Dot: fixed.P(x, y+fc.Metrics().Ascent.Ceil())}
		d.DrawString(s)
	}
	return y + lineHeight(fc)
}

// centred draws s centred in the w pixels from x.
func (l *cardLayout) centred(dst *image.RGBA, fc font.Face, c color.Color, x, y, w int, s string) int {
	dx := (w - font.MeasureString(fc, s).Ceil()) / 2
	return l.text(dst, fc, c, x+max(dx, 0), y, s)
}

func lineHeight(fc font.Face) int {
	m := fc.Metrics()
	return (m.Ascent + m.Descent).Ceil() * 115 / 100
}

func fill(dst *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// truncate shortens s with an ellipsis until it fits w pixels.
func truncate(fc font.Face, s string, w int) string {
	if font.MeasureString(fc, s).Ceil() <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && font.MeasureString(fc, string(rs)+"…").Ceil() > w {
		rs = rs[:len(rs)-1]
	}
	return strings.TrimRight(string(rs), " ") + "…"
}

// wrap breaks s into at most maxLines lines of w pixels, the last one
// ending in an ellipsis when text was left out.
func wrap(fc font.Face, s string, w, maxLines int) []string {
	fits := func(s string) bool { return font.MeasureString(fc, s).Ceil() <= w }
	var pieces []string
	for _, word := range strings.Fields(s) {
		for !fits(word) { // a word wider than the line (a URL, a long code) is broken
			cut := len(word)
			for cut > 1 && !fits(word[:cut]) {
				_, size := utf8.DecodeLastRuneInString(word[:cut])
				cut -= size
			}
			pieces = append(pieces, word[:cut])
			word = word[cut:]
		}
		pieces = append(pieces, word)
	}
	var lines []string
	line := ""
	for i, p := range pieces {
		if line == "" {
			line = p
			continue
		}
		if fits(line + " " + p) {
			line += " " + p
			continue
		}
		lines = append(lines, line)
		line = p
		if len(lines) == maxLines {
			lines[maxLines-1] = truncate(fc, lines[maxLines-1]+" "+strings.Join(pieces[i:], " "), w)
			return lines
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// drawQR draws a QR code of url filling r, with crisp whole-pixel modules.
func drawQR(dst *image.RGBA, r image.Rectangle, url string) {
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return // only for data too long for a QR code; the URL is short
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	n := len(bits)
	quiet := 2 // modules of white around the code
	mod := r.Dx() / (n + 2*quiet)
	if mod < 1 {
		return
	}
	off := (r.Dx() - mod*n) / 2
	fill(dst, r, color.White)
	for y, row := range bits {
		for x, black := range row {
			if black {
				fill(dst, image.Rect(r.Min.X+off+x*mod, r.Min.Y+off+y*mod, r.Min.X+off+(x+1)*mod, r.Min.Y+off+(y+1)*mod), color.Black)
			}
		}
	}
}
