package evidence

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"

	"github.com/returnbench/returnbench/inspection"
)

func TestLabelCard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("Match", func(t *testing.T) {
		fs := newFiles()
		label := fs.add("m-label", inspection.MediaLabelCloseup, "image/jpeg", "label.jpg",
			mustLabelPhoto(t, testTracking, testRMA, 2400, 1800), t0)
		f := testFacts(label)
		var buf bytes.Buffer
		res, err := LabelCard(ctx, f, fs.open, &buf)
		if err != nil {
			t.Fatal(err)
		}
		keep(t, "card-match.jpg", buf.Bytes())
		if !res.Match || !res.Checked || res.Warning != "" {
			t.Errorf("got %+v, want a checked match", res)
		}
		// Both codes on the label, and nothing read by chance out of the bars.
		if got := slices.Sorted(slices.Values(res.Decoded)); !slices.Equal(got, []string{testTracking, testRMA}) {
			t.Errorf("decoded %q, want exactly %s and %s", res.Decoded, testTracking, testRMA)
		}
		img, err := jpeg.Decode(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("card is not a JPEG: %v", err)
		}
		if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != cardMaxWidth || h <= 1500 {
			t.Errorf("card is %dx%d, want %d wide and taller than the scaled photo (1500)", w, h, cardMaxWidth)
		}
	})

	t.Run("Mismatch", func(t *testing.T) {
		// A photo of a different parcel's label must not pass as evidence.
		fs := newFiles()
		label := fs.add("m-label", inspection.MediaLabelCloseup, "image/jpeg", "label.jpg",
			mustLabelPhoto(t, otherTrack, "XyzAbcdRRMA", 2000, 1500), t0)
		f := testFacts(label)
		var buf bytes.Buffer
		res, err := LabelCard(ctx, f, fs.open, &buf)
		if err != nil {
			t.Fatal(err)
		}
		keep(t, "card-mismatch.jpg", buf.Bytes())
		if res.Match || !res.Checked {
			t.Errorf("got %+v, want a checked mismatch", res)
		}
		if !strings.HasPrefix(res.Warning, "WARNING: photographed label reads") ||
			!strings.Contains(res.Warning, otherTrack) || !strings.Contains(res.Warning, testTracking) {
			t.Errorf("warning %q, want it to name %s and the scanned %s", res.Warning, otherTrack, testTracking)
		}
	})
}

func TestLabelCard_Photos(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	photo := mustLabelPhoto(t, testTracking, testRMA, 1200, 900)

	// card makes a card from one label photo and checks the result.
	card := func(t *testing.T, m inspection.Media, fs *files, f *Facts) (CardResult, image.Image) {
		t.Helper()
		if f == nil {
			f = testFacts(m)
		}
		var buf bytes.Buffer
		res, err := LabelCard(ctx, f, fs.open, &buf)
		if err != nil {
			t.Fatal(err)
		}
		keep(t, strings.ReplaceAll(t.Name(), "/", "-")+".jpg", buf.Bytes())
		img, err := jpeg.Decode(&buf)
		if err != nil {
			t.Fatalf("card is not a JPEG: %v", err)
		}
		return res, img
	}

	t.Run("EXIFOrientation", func(t *testing.T) {
		// Phones store the sensor's pixels and an orientation tag; the card
		// shows the photo upright.
		src, _ := jpeg.Decode(bytes.NewReader(mustLabelPhoto(t, testTracking, testRMA, 1600, 1200)))
		sideways := rotateCCW(src)
		fs := newFiles()
		m := fs.add("m-label", inspection.MediaLabelCloseup, "image/jpeg", "IMG.jpg", withEXIFOrientation(mustJPEG(t, sideways, 90), 6), t0)
		res, img := card(t, m, fs, nil)
		if !res.Match {
			t.Errorf("got %+v, want a match", res)
		}
		if w := img.Bounds().Dx(); w != 1600 {
			t.Errorf("card is %d wide, want 1600: the 1200x1600 stored photo turned upright", w)
		}
	})

	t.Run("Sideways", func(t *testing.T) {
		// No orientation tag, the label photographed at 90°: the reader turns it.
		src, _ := jpeg.Decode(bytes.NewReader(photo))
		fs := newFiles()
		m := fs.add("m-label", inspection.MediaLabelCloseup, "image/jpeg", "IMG.jpg", mustJPEG(t, rotateCCW(src), 90), t0)
		if res, _ := card(t, m, fs, nil); !res.Match || !slices.Contains(res.Decoded, testTracking) {
			t.Errorf("got %+v, want the tracking number read and matched", res)
		}
	})

	t.Run("Tilted", func(t *testing.T) {
		src, _ := jpeg.Decode(bytes.NewReader(photo))
		fs := newFiles()
		m := fs.add("m-label", inspection.MediaLabelCloseup, "image/jpeg", "IMG.jpg", mustJPEG(t, tilt(src, 4), 88), t0)
		if res, _ := card(t, m, fs, nil); !res.Match || !slices.Contains(res.Decoded, testTracking) {
			t.Errorf("got %+v, want the tracking number read from a label tilted by 4°", res)
		}
	})

	t.Run("PNG", func(t *testing.T) {
		src, _ := jpeg.Decode(bytes.NewReader(photo))
		var buf bytes.Buffer
		if err := png.Encode(&buf, src); err != nil {
			t.Fatal(err)
		}
		fs := newFiles()
		m := fs.add("m-label", inspection.MediaLabelCloseup, "image/png", "label.png", buf.Bytes(), t0)
		if res, _ := card(t, m, fs, nil); !res.Match {
			t.Errorf("got %+v, want a match", res)
		}
	})

	t.Run("WebP", func(t *testing.T) {
		mustTool(t, "ffmpeg", "ffmpeg")
		dir := t.TempDir()
		in, out := filepath.Join(dir, "label.jpg"), filepath.Join(dir, "label.webp")
		if err := os.WriteFile(in, photo, 0o644); err != nil {
			t.Fatal(err)
		}
		mustRun(t, "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i", in, "-c:v", "libwebp", "-quality", "90", out)
		fs := newFiles()
		m := fs.addFile(t, "m-label", inspection.MediaLabelCloseup, "image/webp", out, t0)
		if res, _ := card(t, m, fs, nil); !res.Match {
			t.Errorf("got %+v, want a match", res)
		}
	})

	t.Run("NoBarcode", func(t *testing.T) {
		fs := newFiles()
		m := fs.add("m-label", inspection.MediaLabelCloseup, "image/jpeg", "blurry.jpg", mustPhoto(t, 3, 1200, 900, "too blurry"), t0)
		res, _ := card(t, m, fs, nil)
		if res.Match || res.Checked || len(res.Decoded) != 0 || res.Warning != "No barcode could be read from the photo" {
			t.Errorf("got %+v, want nothing read", res)
		}
	})

	t.Run("NothingToCompare", func(t *testing.T) {
		// An unexpected parcel whose scan was typed in empty: the codes are
		// reported but not judged.
		fs := newFiles()
		m := fs.add("m-label", inspection.MediaLabelCloseup, "image/jpeg", "label.jpg", photo, t0)
		f := testFacts(m)
		f.Return, f.Inspection.ScannedCode = nil, ""
		res, _ := card(t, m, fs, f)
		if res.Checked || res.Match || !strings.Contains(res.Warning, testTracking) {
			t.Errorf("got %+v, want the codes read and nothing to compare", res)
		}
	})

	t.Run("MatchesReturnNotScan", func(t *testing.T) {
		// The bench scanned the LPN sticker; the label's tracking number is the return's.
		fs := newFiles()
		m := fs.add("m-label", inspection.MediaLabelCloseup, "image/jpeg", "label.jpg", photo, t0)
		f := testFacts(m)
		f.Inspection.ScannedCode = "LPNNC5N165ZVR"
		res, _ := card(t, m, fs, f)
		if !res.Match || res.Matched != "tracking id "+testTracking {
			t.Errorf("got %+v, want a match on the return's tracking id", res)
		}
	})

	t.Run("ErrHEIC", func(t *testing.T) {
		fs := newFiles()
		heic := append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 64)...)
		m := fs.add("m-label", inspection.MediaLabelCloseup, "application/octet-stream", "IMG_0001.HEIC", heic, t0)
		_, err := LabelCard(ctx, testFacts(m), fs.open, io.Discard)
		if inspection.ErrorCode(err) != inspection.EUNSUPPORTED || !strings.Contains(inspection.ErrorMessage(err), "HEIC") ||
			!strings.Contains(inspection.ErrorMessage(err), "zip") {
			t.Errorf("got %v, want %s saying the HEIC original is in the zip", err, inspection.EUNSUPPORTED)
		}
	})

	t.Run("ErrNoLabelPhoto", func(t *testing.T) {
		fs := newFiles()
		m := fs.add("m-1", inspection.MediaContents, "image/jpeg", "c.jpg", photo, t0)
		_, err := LabelCard(ctx, testFacts(m), fs.open, io.Discard)
		if inspection.ErrorCode(err) != inspection.ENOTFOUND {
			t.Errorf("got %v, want %s", err, inspection.ENOTFOUND)
		}
	})

	t.Run("ErrLabelPhotoUploading", func(t *testing.T) {
		fs := newFiles()
		m := fs.add("m-label", inspection.MediaLabelCloseup, "image/jpeg", "label.jpg", photo, t0)
		m.Status = inspection.MediaUploading
		_, err := LabelCard(ctx, testFacts(m), fs.open, io.Discard)
		if inspection.ErrorCode(err) != inspection.ENOTFOUND || !strings.Contains(inspection.ErrorMessage(err), "uploading") {
			t.Errorf("got %v, want %s saying the photo is uploading", err, inspection.ENOTFOUND)
		}
	})

	t.Run("NewestLabelPhoto", func(t *testing.T) {
		// A re-shot label photo replaces the first on the card.
		fs := newFiles()
		old := fs.add("m-old", inspection.MediaLabelCloseup, "image/jpeg", "old.jpg", mustLabelPhoto(t, otherTrack, testRMA, 1200, 900), t0)
		cur := fs.add("m-new", inspection.MediaLabelCloseup, "image/jpeg", "new.jpg", mustLabelPhoto(t, testTracking, testRMA, 1200, 900), t0.Add(time.Minute))
		if res, _ := card(t, cur, fs, testFacts(cur, old)); !res.Match {
			t.Errorf("got %+v, want the newer photo (which matches) on the card", res)
		}
	})
}

// rotateCCW turns an image 90° counter-clockwise, as a phone held sideways stores it.
func rotateCCW(src image.Image) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dst.Set(y-b.Min.Y, b.Max.X-1-x, src.At(x, y))
		}
	}
	return dst
}

// tilt turns an image by deg degrees about its centre, as a hand-held shot is.
func tilt(src image.Image, deg float64) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(b)
	draw.Draw(dst, b, image.NewUniform(color.RGBA{180, 142, 100, 255}), image.Point{}, draw.Src)
	s, c := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	// dst <- src: the matrix maps source to destination coordinates.
	m := f64.Aff3{c, -s, cx - c*cx + s*cy, s, c, cy - s*cx - c*cy}
	draw.BiLinear.Transform(dst, m, src, b, draw.Over, nil)
	return dst
}

// withEXIFOrientation inserts an EXIF segment carrying orientation o after
// a JPEG's start-of-image marker.
func withEXIFOrientation(j []byte, o uint16) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, // big-endian header, IFD0 at 8
		0, 1, // one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, byte(o >> 8), byte(o), 0, 0, // orientation, SHORT, 1 value
		0, 0, 0, 0} // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := append([]byte{0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}, seg...)
	return append(append(append([]byte{}, j[:2]...), app1...), j[2:]...)
}

func TestExifOrientation(t *testing.T) {
	t.Parallel()
	j := mustJPEG(t, image.NewGray(image.Rect(0, 0, 8, 8)), 80)
	for _, o := range []uint16{1, 3, 6, 8} {
		if got := exifOrientation(withEXIFOrientation(j, o)); got != int(o) {
			t.Errorf("orientation %d read as %d", o, got)
		}
	}
	if got := exifOrientation(j); got != 1 {
		t.Errorf("no EXIF read as %d, want 1", got)
	}
	if got := exifOrientation([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00}); got != 1 {
		t.Errorf("truncated EXIF read as %d, want 1", got)
	}
}

func TestOrient(t *testing.T) {
	t.Parallel()
	// A 2x1 image, left pixel red: where the red pixel goes per orientation.
	src := image.NewRGBA(image.Rect(0, 0, 2, 1))
	src.Set(0, 0, color.RGBA{255, 0, 0, 255})
	for o, want := range map[int]image.Point{1: {0, 0}, 2: {1, 0}, 3: {1, 0}, 4: {0, 0}, 5: {0, 0}, 6: {0, 0}, 7: {0, 1}, 8: {0, 1}} {
		dst := orient(src, o)
		if r, _, _, _ := dst.At(want.X, want.Y).RGBA(); r != 0xFFFF {
			t.Errorf("orientation %d: red pixel not at %v", o, want)
		}
	}
}
