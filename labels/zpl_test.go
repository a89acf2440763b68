package labels

import (
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// zplCases are the label sizes and resolutions ZPL supports.
var zplCases = []struct {
	size string
	dpi  int
}{{"2x1", 203}, {"2x1", 300}, {"4x6", 203}, {"4x6", 300}}

func TestZPLGolden(t *testing.T) {
	for _, c := range zplCases {
		name := fmt.Sprintf("%s_%d", c.size, c.dpi)
		t.Run(name, func(t *testing.T) {
			got, err := ZPL(testPublicURL, testUnit(), c.size, c.dpi)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "zpl", name+".zpl")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./labels -run TestZPLGolden -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("ZPL differs from %s (review, then -update):\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// TestZPLBounds parses every field of the generated ZPL and checks that
// each element, with the quiet zones its symbology needs, lies inside
// ^PW x ^LL and overlaps no other element, for short and long URLs and
// long text.
func TestZPLBounds(t *testing.T) {
	long := testUnit()
	long.SKU = strings.Repeat("WIDE-SKU-", 20)
	long.Condition = strings.Repeat("Used - Acceptable ", 10)
	noGTIN := testUnit()
	noGTIN.GTIN = ""
	for _, publicURL := range []string{"https://rb.io", testPublicURL, longDomainURL} {
		for _, u := range []Unit{testUnit(), noGTIN, long} {
			for _, c := range zplCases {
				name := fmt.Sprintf("%s_%d_%d-byte_URL", c.size, c.dpi, len(UnitURL(publicURL, u)))
				t.Run(name, func(t *testing.T) {
					zpl, err := ZPL(publicURL, u, c.size, c.dpi)
					if err != nil {
						t.Fatal(err)
					}
					checkZPLBounds(t, zpl, c.dpi)
				})
			}
		}
	}
}

// zplElement is the area one ZPL field covers, quiet zones included.
type zplElement struct {
	field string
	area  image.Rectangle
}

var (
	zplFieldRE = regexp.MustCompile(`^\^FO(\d+),(\d+)(.*)\^FD(.*)$`)
	zplQRRE    = regexp.MustCompile(`^\^BQN,2,(\d+)$`)
	zplTextRE  = regexp.MustCompile(`^\^A0N,(\d+),(\d+)\^FH$`)
	zplBarRE   = regexp.MustCompile(`^\^A0N,(\d+),(\d+)\^BCN,(\d+),Y,N,N$`)
	zplPWRE    = regexp.MustCompile(`\^PW(\d+)`)
	zplLLRE    = regexp.MustCompile(`\^LL(\d+)`)
	zplBYRE    = regexp.MustCompile(`\^BY(\d+)`)
)

func checkZPLBounds(tb testing.TB, zpl string, dpi int) {
	tb.Helper()
	label := image.Rect(0, 0, zplNumber(tb, zplPWRE, zpl), zplNumber(tb, zplLLRE, zpl))
	elements := zplElements(tb, zpl, dpi)
	if len(elements) < 4 {
		tb.Fatalf("found %d fields, want QR code, text and Code 128:\n%s", len(elements), zpl)
	}
	for i, e := range elements {
		if !e.area.In(label) {
			tb.Errorf("%s covers %v, outside the %v label", e.field, e.area, label.Max)
		}
		for _, f := range elements[i+1:] {
			if e.area.Overlaps(f.area) {
				tb.Errorf("%s (%v) overlaps %s (%v)", e.field, e.area, f.field, f.area)
			}
		}
	}
}

// zplElements computes the area of every ^FO field in zpl.
func zplElements(tb testing.TB, zpl string, dpi int) []zplElement {
	tb.Helper()
	var elements []zplElement
	barModule := 0
	for _, line := range strings.Split(zpl, "\n") {
		if m := zplBYRE.FindStringSubmatch(line); m != nil {
			barModule = atoi(tb, m[1])
		}
		if !strings.HasPrefix(line, "^FO") {
			continue
		}
		m := zplFieldRE.FindStringSubmatch(strings.TrimSuffix(line, "^FS"))
		if m == nil {
			tb.Fatalf("cannot parse field %q", line)
		}
		x, y, cmd, data := atoi(tb, m[1]), atoi(tb, m[2]), m[3], m[4]
		var area image.Rectangle
		switch {
		case zplQRRE.MatchString(cmd):
			// The printer starts the symbol 10 dots below ^FO and needs 4
			// blank modules around it.
			mag := atoi(tb, zplQRRE.FindStringSubmatch(cmd)[1])
			n := qrModulesGozxing(tb, strings.TrimPrefix(data, "MA,"))
			top := y + 10
			area = image.Rect(x-4*mag, top-4*mag, x+(n+4)*mag, top+(n+4)*mag)
		case zplBarRE.MatchString(cmd):
			// Code set B: start, 11 modules a character, check, stop; 10
			// blank modules each side; the interpretation line underneath.
			b := zplBarRE.FindStringSubmatch(cmd)
			fontH, fontW, h := atoi(tb, b[1]), atoi(tb, b[2]), atoi(tb, b[3])
			width := (11 + 11*len(data) + 11 + 13) * barModule
			if barModule == 0 || utf8.RuneCountInString(data)*fontW > width {
				tb.Fatalf("Code 128 %q: module %d, interpretation line wider than the bars", data, barModule)
			}
			gap := dots(dpi)(interpGapIn)
			area = image.Rect(x-10*barModule, y, x+width+10*barModule, y+h+gap+fontH)
		case zplTextRE.MatchString(cmd):
			b := zplTextRE.FindStringSubmatch(cmd)
			fontH, fontW := atoi(tb, b[1]), atoi(tb, b[2])
			text := zplUnhex(tb, data)
			area = image.Rect(x, y, x+utf8.RuneCountInString(text)*fontW, y+fontH)
		default:
			tb.Fatalf("unknown field %q", line)
		}
		elements = append(elements, zplElement{field: line, area: area})
	}
	return elements
}

// qrModulesGozxing is the side of the QR code for data at error correction
// M, as an independent encoder (zxing's) builds it.
func qrModulesGozxing(tb testing.TB, data string) int {
	tb.Helper()
	code, err := encoder.Encoder_encodeWithoutHint(data, decoder.ErrorCorrectionLevel_M)
	if err != nil {
		tb.Fatalf("encode %q: %v", data, err)
	}
	return code.GetVersion().GetDimensionForVersion()
}

// zplUnhex undoes ^FH's _XX escapes.
func zplUnhex(tb testing.TB, s string) string {
	tb.Helper()
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '_' {
			b = append(b, s[i])
			continue
		}
		if i+3 > len(s) {
			tb.Fatalf("truncated escape in %q", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			tb.Fatalf("bad escape in %q: %v", s, err)
		}
		b = append(b, byte(v))
		i += 2
	}
	return string(b)
}

func zplNumber(tb testing.TB, re *regexp.Regexp, zpl string) int {
	tb.Helper()
	m := re.FindStringSubmatch(zpl)
	if m == nil {
		tb.Fatalf("no %s in:\n%s", re, zpl)
	}
	return atoi(tb, m[1])
}

func atoi(tb testing.TB, s string) int {
	tb.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestQRCapacityTable checks the printer-side module count against zxing's
// encoder for byte-mode data at each end of every version's capacity.
func TestQRCapacityTable(t *testing.T) {
	lengths := []int{1}
	for _, c := range qrByteCapacityM[:len(qrByteCapacityM)-1] {
		lengths = append(lengths, c, c+1)
	}
	for _, n := range lengths {
		got, ok := qrModulesM(n)
		if !ok {
			t.Fatalf("qrModulesM(%d) found no version", n)
		}
		// Lower-case letters are outside QR's alphanumeric set: byte mode.
		if want := qrModulesGozxing(t, strings.Repeat("a", n)); got != want {
			t.Fatalf("qrModulesM(%d)=%d, want %d", n, got, want)
		}
	}
}

// TestZPLEscape checks that ^ and ~ in user text cannot end a field or
// start a command, and that the text survives the escaping intact.
func TestZPLEscape(t *testing.T) {
	u := testUnit()
	u.SKU = "^XZ~JR_5E\\&"
	u.Condition = "~DGR:X^FS^XA Café"
	zpl, err := ZPL(testPublicURL, u, "4x6", 203)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(zpl, "~") {
		t.Errorf("ZPL contains ~:\n%s", zpl)
	}
	if got := strings.Count(zpl, "^XA") + strings.Count(zpl, "^XZ"); got != 2 {
		t.Errorf("found %d ^XA/^XZ, want one of each:\n%s", got, zpl)
	}
	known := map[string]bool{"XA": true, "CI": true, "PW": true, "LL": true, "LH": true, "FO": true,
		"BQ": true, "FD": true, "FS": true, "A0": true, "FH": true, "BY": true, "BC": true, "XZ": true}
	for _, cmd := range strings.Split(zpl, "^")[1:] {
		if len(cmd) < 2 || !known[cmd[:2]] {
			t.Errorf("unexpected command ^%.10s", cmd)
		}
	}
	var texts []string
	for _, line := range strings.Split(zpl, "\n") {
		if m := zplFieldRE.FindStringSubmatch(strings.TrimSuffix(line, "^FS")); m != nil && zplTextRE.MatchString(m[3]) {
			texts = append(texts, zplUnhex(t, m[4]))
		}
	}
	if len(texts) < 2 || texts[0] != u.SKU || texts[1] != u.Condition {
		t.Errorf("text fields read back as %q, want %q and %q first", texts, u.SKU, u.Condition)
	}
}

func TestZPLErrors(t *testing.T) {
	badID := testUnit()
	badID.ID = "U7K3M9Q2XA^"
	for _, tt := range []struct {
		name      string
		publicURL string
		u         Unit
		size      string
		dpi       int
	}{
		{"ErrUnknownSize", testPublicURL, testUnit(), "3x2", 203},
		{"ErrUnknownDPI", testPublicURL, testUnit(), "2x1", 600},
		{"ErrNotUnitID", testPublicURL, badID, "2x1", 203},
		{"ErrCaretInURL", "https://example.com/^XZ", testUnit(), "2x1", 203},
		{"ErrTildeInURL", "https://example.com/~JR", testUnit(), "2x1", 203},
		{"ErrURLTooLong", "https://" + strings.Repeat("a", 2400) + ".com", testUnit(), "2x1", 203},
		{"ErrURLTooLongFor2x1", "https://" + strings.Repeat("a", 500) + ".com", testUnit(), "2x1", 203},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if zpl, err := ZPL(tt.publicURL, tt.u, tt.size, tt.dpi); err == nil {
				t.Errorf("ZPL succeeded, want an error:\n%s", zpl)
			}
		})
	}
}

func BenchmarkZPL(b *testing.B) {
	u := testUnit()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ZPL(testPublicURL, u, "2x1", 203); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "labels/s")
}
