package evidence

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // Seller Central accepts GIF, so a bench may upload one
	"image/jpeg"
	_ "image/png"
	"io"
	"strings"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"github.com/returnbench/returnbench/inspection"
)

// sniffLen is how much of a file is looked at before decoding: enough for a
// JPEG's EXIF segment (at most 64 KiB) with room for the markers before it.
const sniffLen = 128 << 10

// isHEIC reports whether an original is HEIC/HEIF (what iPhones shoot by
// default), which no Go decoder reads.
func isHEIC(m inspection.Media, head []byte) bool {
	ct := strings.ToLower(m.ContentType)
	if strings.HasPrefix(ct, "image/heic") || strings.HasPrefix(ct, "image/heif") {
		return true
	}
	if len(head) >= 12 && string(head[4:8]) == "ftyp" {
		switch string(head[8:12]) {
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
			return true
		}
	}
	return false
}

// decodeOriginal reads a photo original and returns it with the EXIF
// orientation phones record, so that a label shot sideways reads upright.
// A HEIC photo (or any other format Go cannot decode) is an EUNSUPPORTED
// error naming the file; its original still goes into the zip.
func decodeOriginal(m inspection.Media, r io.Reader) (image.Image, int, error) {
	br := bufio.NewReaderSize(r, sniffLen)
	head, _ := br.Peek(sniffLen)
	if isHEIC(m, head) {
		return nil, 0, inspection.Errorf(inspection.EUNSUPPORTED,
			"The photo %s is HEIC, which the server cannot render; the original is in the evidence zip.", orDash(m.Filename))
	}
	orientation := exifOrientation(head)
	rr := &readErrors{r: br}
	img, _, err := image.Decode(rr)
	switch {
	case err == nil:
		return img, orientation, nil
	case rr.err != nil:
		// The store failed while reading: that is ours to report, not the photo's fault.
		return nil, 0, fmt.Errorf("read %s: %w", m.ID, rr.err)
	}
	// The bytes were all read and are not an image we can draw (an unknown
	// format, or a photo whose header is right and whose body is broken):
	// the documents go on without its picture.
	return nil, 0, inspection.Errorf(inspection.EUNSUPPORTED,
		"The photo %s (%s) is not a JPEG, PNG, WebP or GIF image the server can render; the original is in the evidence zip.",
		orDash(m.Filename), orDash(m.ContentType))
}

// readErrors remembers the first read error other than the end of the data,
// so a decoding failure can be told apart from a failing store.
type readErrors struct {
	r   io.Reader
	err error
}

func (r *readErrors) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// exifOrientation returns the EXIF orientation (1-8) of a JPEG from its
// first bytes, 1 when there is none.
func exifOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	i := 2
	for i+4 <= len(b) && b[i] == 0xFF {
		marker := b[i+1]
		size := int(binary.BigEndian.Uint16(b[i+2:]))
		if marker == 0xDA || size < 2 { // start of scan: no more metadata
			return 1
		}
		seg := b[i+4 : min(i+2+size, len(b))]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + size
	}
	return 1
}

// tiffOrientation reads tag 0x0112 from IFD0 of an EXIF TIFF block.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[ifd:]))
	for k := range n {
		e := ifd + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
	}
	return 1
}

// swapsAxes reports whether an EXIF orientation turns the image by 90°.
func swapsAxes(orientation int) bool { return orientation >= 5 && orientation <= 8 }

// fitScale returns an RGBA copy of img no larger than maxW x maxH once
// orientation is applied, never enlarged. Scaling happens before the
// orientation so that turning a phone photo touches the small copy only.
// The photo is only scaled and turned upright: never cropped or recoloured.
func fitScale(img image.Image, orientation, maxW, maxH int, q draw.Interpolator) *image.RGBA {
	if swapsAxes(orientation) {
		maxW, maxH = maxH, maxW
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > maxW {
		h, w = max(1, h*maxW/w), maxW
	}
	if h > maxH {
		w, h = max(1, w*maxH/h), maxH
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	switch {
	case w == b.Dx() && h == b.Dy():
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	case b.Dx() >= 2*w && b.Dy() >= 2*h:
		// A phone photo shrunk several times: the kernel scalers would hold
		// a working buffer of width x full height x 32 bytes (150-190 MB
		// for a 12-megapixel photo). Sampling to twice the size and then
		// averaging 2x2 blocks looks the same and costs one small image.
		twice := image.NewRGBA(image.Rect(0, 0, 2*w, 2*h))
		draw.ApproxBiLinear.Scale(twice, twice.Bounds(), img, b, draw.Src, nil)
		halve(dst, twice)
	default:
		q.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	}
	return orient(dst, orientation)
}

// halve writes the average of each 2x2 block of src (twice dst's size) to dst.
func halve(dst, src *image.RGBA) {
	b := dst.Bounds()
	for y := 0; y < b.Dy(); y++ {
		r0 := src.Pix[(2*y)*src.Stride:]
		r1 := src.Pix[(2*y+1)*src.Stride:]
		out := dst.Pix[y*dst.Stride:]
		for x := 0; x < b.Dx(); x++ {
			i := 8 * x
			for c := 0; c < 4; c++ {
				sum := uint32(r0[i+c]) + uint32(r0[i+4+c]) + uint32(r1[i+c]) + uint32(r1[i+4+c])
				out[4*x+c] = uint8((sum + 2) / 4)
			}
		}
	}
}

// orient applies an EXIF orientation to src.
func orient(src *image.RGBA, orientation int) *image.RGBA {
	if orientation <= 1 || orientation > 8 {
		return src
	}
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := w, h
	if swapsAxes(orientation) {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		row := src.Pix[y*src.Stride:]
		for x := range w {
			var dx, dy int
			switch orientation {
			case 2: // mirrored
				dx, dy = w-1-x, y
			case 3: // upside down
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6: // turned 90° clockwise to read
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8: // turned 90° counter-clockwise to read
				dx, dy = y, w-1-x
			}
			copy(dst.Pix[dy*dst.Stride+4*dx:dy*dst.Stride+4*dx+4], row[4*x:4*x+4])
		}
	}
	return dst
}

// encodeJPEG writes img at quality q, onto white where it is transparent.
func encodeJPEG(w io.Writer, img image.Image, q int) error {
	if hasAlpha(img) {
		flat := image.NewRGBA(img.Bounds())
		draw.Draw(flat, flat.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		draw.Draw(flat, flat.Bounds(), img, img.Bounds().Min, draw.Over)
		img = flat
	}
	return jpeg.Encode(w, img, &jpeg.Options{Quality: q})
}

// hasAlpha reports whether an RGBA image has any pixel that is not opaque.
func hasAlpha(img image.Image) bool {
	rgba, ok := img.(*image.RGBA)
	if !ok {
		return false
	}
	for i := 3; i < len(rgba.Pix); i += 4 {
		if rgba.Pix[i] != 0xFF {
			return true
		}
	}
	return false
}

// Scalers: Catmull-Rom where people read text off the result (the card),
// bilinear where speed matters more (photos in the PDF, barcode reading).
var (
	catmullRom draw.Interpolator = draw.CatmullRom
	bilinear   draw.Interpolator = draw.BiLinear
)
