package labels

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/returnbench/returnbench/inspection"
)

// zplSizes are the label stocks ZPL prints: unit labels and carton labels.
var zplSizes = map[string]labelSpec{
	"2x1": thermal2x1,
	"4x6": thermal4x6,
}

const (
	// zplQROffset is how far below its ^FO a Zebra printer starts a QR code:
	// the firmware adds 10 dots, so ^FO is placed 10 dots higher.
	zplQROffset = 10
	// zplCharWidth and zplCharHeight give ^A0's character width as a share
	// of its height: 4/5 is font 0's own default shape (^A0N,15,12). No
	// character of the font is wider than that, which bounds a line at
	// runes * width dots.
	zplCharWidth, zplCharHeight = 4, 5
	// zplEllipsis ends text cut to fit: plain ASCII, which font 0 always has.
	zplEllipsis = "..."
)

// qrByteCapacityM is how many bytes a QR code of each version (1-40) holds
// in byte mode at error correction M (ISO/IEC 18004 table 7). The printer
// picks the encoding itself, and byte mode is the largest any URL needs, so
// the symbol is never bigger than this predicts.
var qrByteCapacityM = [40]int{
	14, 26, 42, 62, 84, 106, 122, 152, 180, 213,
	251, 287, 331, 362, 412, 450, 504, 560, 624, 666,
	711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370,
	1452, 1538, 1628, 1722, 1809, 1911, 1989, 2099, 2213, 2331,
}

// ZPL renders a unit label for a Zebra printer: size "2x1" (unit labels) or
// "4x6" (cartons), dpi 203 or 300. User text is hex-escaped (^FH), so a SKU
// can never end its field or start a command.
func ZPL(publicURL string, u Unit, size string, dpi int) (string, error) {
	spec, ok := zplSizes[size]
	if !ok {
		return "", inspection.Errorf(inspection.EINVALID, "Unknown ZPL label size %q: use 2x1 or 4x6.", size)
	}
	if dpi != 203 && dpi != 300 {
		return "", inspection.Errorf(inspection.EINVALID, "Unsupported printer resolution %d dpi: use 203 or 300.", dpi)
	}
	if !IsUnitID(u.ID) {
		return "", errNotUnitID(u.ID)
	}
	link := UnitURL(publicURL, u)
	if !zplPlain(link) {
		return "", inspection.Errorf(inspection.EINVALID, "The public URL must be printable ASCII without ^ or ~ to go in ZPL.")
	}
	modules, ok := qrModulesM(len(link))
	if !ok {
		return "", errTooLong(spec)
	}
	l, err := spec.layout(dpi, modules, code128BModules(len(u.ID)))
	if err != nil {
		return "", err
	}
	if l.qr.y < zplQROffset {
		return "", errTooLong(spec)
	}
	return writeZPL(l, link, u), nil
}

// writeZPL writes the label format: QR code, text, then Code 128 with the
// unit id as its interpretation line.
func writeZPL(l layout, link string, u Unit) string {
	var b strings.Builder
	// ^CI28: field data is UTF-8 (user text arrives hex-escaped, see zplHex).
	fmt.Fprintf(&b, "^XA\n^CI28\n^PW%d\n^LL%d\n^LH0,0\n", l.width, l.height)
	// ^FD's "MA," is error correction M (what qrModulesM assumes; "QA,"
	// would be the larger Q) with automatic encoding.
	fmt.Fprintf(&b, "^FO%d,%d^BQN,2,%d^FDMA,%s^FS\n", l.qr.x, l.qr.y-zplQROffset, l.qr.module, link)
	for _, line := range labelLines(l, u, zplWrap) {
		if line.box == l.id {
			continue // printed by ^BC as its interpretation line
		}
		fmt.Fprintf(&b, "^FO%d,%d^A0N,%d,%d^FH^FD%s^FS\n",
			line.box.x, line.y, line.box.size, zplWidth(line.box.size), zplHex(line.text))
	}
	// ^A0 before ^BC sets the interpretation line's font, so its size is
	// known and stays inside the label.
	fmt.Fprintf(&b, "^BY%d\n^FO%d,%d^A0N,%d,%d^BCN,%d,Y,N,N^FD%s^FS\n",
		l.bar.module, l.bar.x, l.bar.y, l.id.size, zplWidth(l.id.size), l.bar.height, u.ID)
	b.WriteString("^XZ\n")
	return b.String()
}

// zplWrap breaks text into lines of at most as many characters as fit the
// box at ^A0's widest character.
func zplWrap(b textBox, text string) []string {
	w := zplWidth(b.size)
	fits := func(s string) bool { return utf8.RuneCountInString(s)*w <= b.width }
	return wrapText(text, b.lines, zplEllipsis, fits)
}

// zplWidth is ^A0's character width for a character height.
func zplWidth(height int) int { return height * zplCharWidth / zplCharHeight }

// zplHex escapes text for a ^FH^FD field: every byte outside printable
// ASCII, and ^ ~ _ \ themselves, becomes _XX in hex. ^ and ~ start ZPL
// commands and _ starts a hex escape, so nothing a user types can end the
// field, start a command or forge an escape.
func zplHex(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || strings.IndexByte(`^~_\`, c) >= 0 {
			fmt.Fprintf(&b, "_%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// zplPlain reports whether s can go in a ZPL field as it is: printable
// ASCII without the command prefixes ^ and ~.
func zplPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '^' || c == '~' {
			return false
		}
	}
	return true
}

// qrModulesM is the side, in modules, of the QR code a printer makes for n
// bytes at error correction M, and false when no QR code holds them.
func qrModulesM(n int) (int, bool) {
	for i, capacity := range qrByteCapacityM {
		if n <= capacity {
			version := i + 1
			return 17 + 4*version, true
		}
	}
	return 0, false
}

// code128BModules is the width, in modules, of a Code 128 symbol of n
// characters in code set B, which ZPL's ^BC uses unless told otherwise:
// start (11), 11 per character, check character (11), stop (13).
func code128BModules(n int) int { return 11 + 11*n + 11 + 13 }
