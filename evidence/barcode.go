package evidence

import (
	"context"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/datamatrix"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	"github.com/makiuchi-d/gozxing/oned"

	"golang.org/x/image/draw"

	"github.com/returnbench/returnbench/labels"
)

// CardResult says what the server read from the label photo and whether it
// agrees with what the bench scanned, so a photo of the wrong parcel's label
// cannot pass as evidence unnoticed.
type CardResult struct {
	Decoded []string `json:"decoded"` // every barcode read from the photo, normalised
	Match   bool     `json:"match"`   // some decoded code is the scanned code or one of the return's identifiers
	Checked bool     `json:"checked"` // codes were read and there was something to compare them with
	Warning string   `json:"warning,omitempty"`
	// Matched names what the photo agreed with, e.g. "scanned code 1Z...".
	Matched string `json:"matched,omitempty"`
}

// Summary is the one line the card prints about the barcode check.
func (r CardResult) Summary() string {
	switch {
	case r.Match:
		return "Label barcode matches " + r.Matched
	case r.Warning != "":
		return r.Warning
	default:
		return "No barcode could be read from the photo"
	}
}

// Recursion limits for reading several 1D codes from one photo, as in
// ZXing's GenericMultipleBarcodeReader.
const (
	multiMaxDepth   = 4
	multiMinSidePix = 100
	maxDecodeSide   = 4096 // larger photos are scaled down to this before reading codes
)

// decodeBarcodes returns the distinct texts of every barcode found in img
// (QR, Code 128, Data Matrix, EAN-13/UPC-A), trying harder and then the photo
// turned by 90° when nothing is found.
func decodeBarcodes(ctx context.Context, img image.Image) []string {
	gray := toGray(img, maxDecodeSide)
	var found []string
	add := func(rs ...*gozxing.Result) {
		for _, r := range rs {
			if r == nil {
				continue
			}
			if t := labels.Normalize(r.GetText()); t != "" && !slices.Contains(found, t) {
				found = append(found, t)
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(gray)
	if err != nil {
		return nil
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	for turn := 0; turn < 2 && len(found) == 0; turn++ {
		if turn == 1 {
			if bmp, err = bmp.RotateCounterClockwise(); err != nil {
				break
			}
		}
		if ctx.Err() != nil {
			break
		}
		if rs, err := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, hints); err == nil {
			add(rs...)
		}
		// EAN-13 (which reads UPC-A too) but not EAN-8 or UPC-E: those short
		// codes are read by chance out of other barcodes' bars, and a
		// return label never carries one.
		readers := []gozxing.Reader{
			oned.NewCode128Reader(),
			datamatrix.NewDataMatrixReader(),
			oned.NewEAN13Reader(),
		}
		for _, rd := range readers {
			if ctx.Err() != nil {
				break
			}
			decodeAll(bmp, rd, hints, 0, add)
		}
	}
	return found
}

// decodeAll finds every code a single-result reader can see by reading the
// whole image, then each part of it left, right, above and below the code
// found, recursively.
func decodeAll(bmp *gozxing.BinaryBitmap, rd gozxing.Reader, hints map[gozxing.DecodeHintType]any,
	depth int, add func(...*gozxing.Result)) {
	res, err := rd.Decode(bmp, hints)
	rd.Reset()
	if err != nil {
		return
	}
	add(res)
	if depth >= multiMaxDepth {
		return
	}
	w, h := bmp.GetWidth(), bmp.GetHeight()
	minX, minY, maxX, maxY := float64(w), float64(h), 0.0, 0.0
	for _, p := range res.GetResultPoints() {
		if p == nil {
			continue
		}
		minX, maxX = math.Min(minX, p.GetX()), math.Max(maxX, p.GetX())
		minY, maxY = math.Min(minY, p.GetY()), math.Max(maxY, p.GetY())
	}
	if minX > maxX {
		return
	}
	try := func(left, top, cw, ch int) {
		if cw < multiMinSidePix || ch < multiMinSidePix {
			return
		}
		if sub, err := bmp.Crop(left, top, cw, ch); err == nil {
			decodeAll(sub, rd, hints, depth+1, add)
		}
	}
	try(0, 0, int(minX), h)
	try(0, 0, w, int(minY))
	try(int(maxX), 0, w-int(maxX), h)
	try(0, int(maxY), w, h-int(maxY))
}

// toGray returns the luminance of img, scaled so that its longer side is at
// most maxSide. A JPEG's own luma plane is used as it is.
func toGray(img image.Image, maxSide int) image.Image {
	b := img.Bounds()
	if max(b.Dx(), b.Dy()) > maxSide {
		img = fitScale(img, 1, maxSide, maxSide, bilinear)
		b = img.Bounds()
	}
	if yc, ok := img.(*image.YCbCr); ok {
		return &image.Gray{Pix: yc.Y, Stride: yc.YStride, Rect: yc.Rect}
	}
	g := image.NewGray(b)
	if rgba, ok := img.(*image.RGBA); ok {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				i := rgba.PixOffset(x, y)
				r, gg, bb := int(rgba.Pix[i]), int(rgba.Pix[i+1]), int(rgba.Pix[i+2])
				g.Pix[g.PixOffset(x, y)] = uint8((299*r + 587*gg + 114*bb) / 1000)
			}
		}
		return g
	}
	draw.Draw(g, b, img, b.Min, draw.Src)
	return g
}

// checkLabel compares the codes read from the photo with what the bench
// scanned and the return's identifiers.
func checkLabel(f *Facts, decoded []string) CardResult {
	res := CardResult{Decoded: decoded}
	type want struct{ name, value string }
	var wants []want
	if s := labels.Normalize(f.Inspection.ScannedCode); s != "" {
		wants = append(wants, want{"scanned code", s})
	}
	if r := f.Return; r != nil {
		for _, w := range []want{{"tracking id", r.TrackingID}, {"RMA id", r.RMAID}, {"LPN", r.LPN}, {"order id", r.OrderID}} {
			if s := labels.Normalize(w.value); s != "" {
				wants = append(wants, want{w.name, s})
			}
		}
	}
	switch {
	case len(decoded) == 0:
		res.Warning = "No barcode could be read from the photo"
		return res
	case len(wants) == 0:
		res.Warning = fmt.Sprintf("Label reads %s; there is no scanned code or return to compare it with", strings.Join(decoded, ", "))
		return res
	}
	res.Checked = true
	for _, w := range wants {
		wantVals := codeValues(w.value)
		for _, d := range decoded {
			for _, v := range codeValues(d) {
				if slices.Contains(wantVals, v) {
					res.Match, res.Matched = true, w.name+" "+w.value
					return res
				}
			}
		}
	}
	res.Warning = fmt.Sprintf("WARNING: photographed label reads %s, scanned code was %s",
		strings.Join(decoded, ", "), wants[0].value)
	if wants[0].name != "scanned code" {
		res.Warning = fmt.Sprintf("WARNING: photographed label reads %s, the return's %s is %s",
			strings.Join(decoded, ", "), wants[0].name, wants[0].value)
	}
	return res
}

// codeValues is a code as printed plus every identifier labels.Classify
// reads in it, so that a USPS label's 420+ZIP routing prefix or a GS1
// application identifier does not hide a match.
func codeValues(code string) []string {
	vals := []string{labels.Normalize(code)}
	for _, m := range labels.Classify(code) {
		if !slices.Contains(vals, m.Value) {
			vals = append(vals, m.Value)
		}
	}
	return vals
}
