package labels

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"
)

const testPublicURL = "https://returns.example.com"

// longDomainURL is a public URL with a 60-character host name.
var longDomainURL = "https://" + strings.Repeat("a", 43) + ".example-returns.com"

// testUnit is a unit whose GTIN (UPC-A 012345678905, zero-padded) is valid.
func testUnit() Unit {
	return Unit{
		ID:        "U7K3M9Q2XAB",
		GTIN:      "00012345678905",
		SKU:       "ACME-WIDGET-BLUE-XL-2026",
		Condition: "Used - Like New",
		Date:      time.Date(2026, 3, 14, 15, 4, 5, 0, time.UTC),
	}
}

func TestUnitURL(t *testing.T) {
	u := testUnit()
	for _, tt := range []struct {
		name      string
		publicURL string
		gtin      string
		want      string
	}{
		{"GS1DigitalLink", testPublicURL, "00012345678905", testPublicURL + "/01/00012345678905/21/U7K3M9Q2XAB"},
		{"GTIN12Padded", testPublicURL, "012345678905", testPublicURL + "/01/00012345678905/21/U7K3M9Q2XAB"},
		{"NoGTIN", testPublicURL, "", testPublicURL + "/u/U7K3M9Q2XAB"},
		{"BadCheckDigit", testPublicURL, "00012345678904", testPublicURL + "/u/U7K3M9Q2XAB"},
		{"NotDigits", testPublicURL, "0001234567890X", testPublicURL + "/u/U7K3M9Q2XAB"},
		{"TrailingSlashes", testPublicURL + "//", "", testPublicURL + "/u/U7K3M9Q2XAB"},
		{"PathPrefix", "https://example.com/returns/", "", "https://example.com/returns/u/U7K3M9Q2XAB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u.GTIN = tt.gtin
			if got := UnitURL(tt.publicURL, u); got != tt.want {
				t.Errorf("UnitURL(%q, GTIN %q)=%q, want %q", tt.publicURL, tt.gtin, got, tt.want)
			}
		})
	}
}

func TestQRPNG(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		link := UnitURL(testPublicURL, testUnit())
		b, err := QRPNG(link, 256)
		if err != nil {
			t.Fatal(err)
		}
		img := MustDecodePNG(t, b)
		if got := img.Bounds().Size(); got != image.Pt(256, 256) {
			t.Errorf("size=%v, want 256x256", got)
		}
		if got := MustDecodeQR(t, img); got != link {
			t.Errorf("decoded %q, want %q", got, link)
		}
	})
	t.Run("ErrSize", func(t *testing.T) {
		for _, size := range []int{0, -1, maxQRPNGSize + 1} {
			if _, err := QRPNG("x", size); err == nil {
				t.Errorf("QRPNG(size %d) succeeded, want an error", size)
			}
		}
	})
}

func TestLabelPNG(t *testing.T) {
	for _, tt := range []struct {
		name      string
		publicURL string
		gtin      string
	}{
		{"GS1DigitalLink", testPublicURL, "00012345678905"},
		{"UnitPath", testPublicURL, ""},
		{"LongDomainGS1", longDomainURL, "00012345678905"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := testUnit()
			u.GTIN = tt.gtin
			b, err := LabelPNG(tt.publicURL, u)
			if err != nil {
				t.Fatal(err)
			}
			img := MustDecodePNG(t, b)
			if got := img.Bounds().Size(); got != image.Pt(406, 203) {
				t.Errorf("size=%v, want 406x203 (2x1 in at 203 dpi)", got)
			}
			link := MustDecodeQR(t, img)
			if want := UnitURL(tt.publicURL, u); link != want {
				t.Errorf("QR decoded %q, want %q", link, want)
			}
			if got := MustDecodeCode128(t, img); got != u.ID {
				t.Errorf("Code 128 decoded %q, want %q", got, u.ID)
			}
			checkClassifiesAsUnit(t, link, u)
			checkBlankEdge(t, img, dots(pngDPI)(thermal2x1.edgeIn))
		})
	}
}

// TestLabelPNGText checks that text which is long, wide, accented or
// hostile stays inside the label and leaves both codes readable.
func TestLabelPNGText(t *testing.T) {
	for _, tt := range []struct{ name, sku, condition string }{
		{"Wide", strings.Repeat("W", 80), strings.Repeat("M", 80)},
		{"Accented", "ÅÉÎÕÜ ÇÑ ÀÈÌÒÙ ÂÊÎÔÛ ÄËÏÖÜ gjpqy", "Gebraucht – wie neu, Ähnlich"},
		{"ControlAndInvalid", "SKU\n\t\x00\u200bone\xff", "New\r\n"},
		{"Empty", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := testUnit()
			u.SKU, u.Condition = tt.sku, tt.condition
			b, err := LabelPNG(testPublicURL, u)
			if err != nil {
				t.Fatal(err)
			}
			img := MustDecodePNG(t, b)
			checkBlankEdge(t, img, dots(pngDPI)(thermal2x1.edgeIn))
			if got, want := MustDecodeQR(t, img), UnitURL(testPublicURL, u); got != want {
				t.Errorf("QR decoded %q, want %q", got, want)
			}
			if got := MustDecodeCode128(t, img); got != u.ID {
				t.Errorf("Code 128 decoded %q, want %q", got, u.ID)
			}
		})
	}
}

func TestLabelPNGErrNotUnitID(t *testing.T) {
	for _, id := range []string{"", "u7k3m9q2xab", "U7K3M9Q2XA^", "../etc/passwd"} {
		u := testUnit()
		u.ID = id
		if _, err := LabelPNG(testPublicURL, u); err == nil {
			t.Errorf("LabelPNG(id %q) succeeded, want an error", id)
		}
	}
}

func TestWrapText(t *testing.T) {
	fits := func(s string) bool { return len([]rune(s)) <= 5 }
	for _, tt := range []struct {
		text  string
		lines int
		want  []string
	}{
		{"abc", 2, []string{"abc"}},
		{"abcdefgh", 2, []string{"abcde", "fgh"}},
		{"a-bcdefgh", 2, []string{"a-bcd", "efgh"}},     // hyphen too early: cut at 5
		{"abc-defgh", 2, []string{"abc-", "defgh"}},     // break after the hyphen
		{"abc defgh", 2, []string{"abc", "defgh"}},      // break at the space
		{"abcdefghijkl", 2, []string{"abcde", "fg..."}}, // too long: ellipsis
		{"", 2, nil},
	} {
		got := wrapText(tt.text, tt.lines, "...", fits)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrapText(%q, %d)=%q, want %q", tt.text, tt.lines, got, tt.want)
		}
	}
}

// checkClassifiesAsUnit checks that a scan of the decoded QR code resolves
// to the unit, and to its GTIN when the link carries one.
func checkClassifiesAsUnit(tb testing.TB, link string, u Unit) {
	tb.Helper()
	matches := Classify(link)
	if len(matches) == 0 || matches[0].Kind != KindUnit || matches[0].Value != u.ID {
		tb.Fatalf("Classify(%q)=%+v, want a unit match %q first", link, matches, u.ID)
	}
	if u.GTIN == "" {
		return
	}
	if len(matches) < 2 || matches[1].Kind != KindGTIN || matches[1].Value != u.GTIN {
		tb.Errorf("Classify(%q)=%+v, want a GTIN match %q second", link, matches, u.GTIN)
	}
}

// checkBlankEdge checks that no ink falls within edge px of the image's
// border: everything drawn stays inside the label.
func checkBlankEdge(tb testing.TB, img image.Image, edge int) {
	tb.Helper()
	r := img.Bounds()
	inner := image.Rect(r.Min.X+edge, r.Min.Y+edge, r.Max.X-edge, r.Max.Y-edge)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if image.Pt(x, y).In(inner) {
				x = inner.Max.X - 1 // skip the inside of the row
				continue
			}
			if g := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y; g < 250 {
				tb.Fatalf("ink (gray %d) at (%d,%d), within %d px of the edge", g, x, y, edge)
			}
		}
	}
}

func MustDecodePNG(tb testing.TB, b []byte) image.Image {
	tb.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("decode PNG: %v", err)
	}
	return img
}

// decodeHints asks the readers to look hard: the codes share the image
// with each other and with text.
var decodeHints = map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}

// decodeQR reads the QR code in img.
func decodeQR(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, decodeHints)
	if err != nil {
		// As scanning apps do, look again with the other binarizer before
		// giving up: one handles uneven light, the other fine anti-aliasing.
		src := gozxing.NewLuminanceSourceFromImage(img)
		bmp2, _ := gozxing.NewBinaryBitmap(gozxing.NewGlobalHistgramBinarizer(src))
		if res2, err2 := qrcode.NewQRCodeReader().Decode(bmp2, decodeHints); err2 == nil {
			return res2.GetText(), nil
		}
		return "", err
	}
	return res.GetText(), nil
}

// decodeCode128 reads the Code 128 symbol in img.
func decodeCode128(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := oned.NewCode128Reader().Decode(bmp, decodeHints)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func MustDecodeQR(tb testing.TB, img image.Image) string {
	tb.Helper()
	s, err := decodeQR(img)
	if err != nil {
		tb.Fatalf("decode QR code: %v", err)
	}
	return s
}

func MustDecodeCode128(tb testing.TB, img image.Image) string {
	tb.Helper()
	s, err := decodeCode128(img)
	if err != nil {
		tb.Fatalf("decode Code 128: %v", err)
	}
	return s
}

func BenchmarkLabelPNG(b *testing.B) {
	u := testUnit()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LabelPNG(testPublicURL, u); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "labels/s")
}
