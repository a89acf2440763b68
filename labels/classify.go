package labels

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// Kind names an identifier family a scanned code can be.
type Kind string

// The identifier families a scan can resolve to; the values are stored and
// sent to clients, so they never change.
const (
	KindUPS             Kind = "ups"
	KindUSPS            Kind = "usps"
	KindFedEx           Kind = "fedex"
	KindDHL             Kind = "dhl"
	KindS10             Kind = "s10"
	KindAmazonLogistics Kind = "amazon_logistics"
	KindAmazonOrder     Kind = "amazon_order"
	KindAmazonRMA       Kind = "amazon_rma"
	KindFBALPN          Kind = "fba_lpn"
	KindFNSKU           Kind = "fnsku"
	KindASIN            Kind = "asin"
	KindGTIN            Kind = "gtin"
	KindSSCC            Kind = "sscc"
	KindUnit            Kind = "unit"
)

// MaxCodeLen is the longest normalised code, in bytes, that Classify looks
// at; every identifier it knows is ASCII, so bytes and characters agree.
// Anything longer is not a code we know, and refusing it early bounds the work.
const MaxCodeLen = 64

// MaxURLLen is the longest scanned URL (our own unit labels) looked at: a
// public host name plus a GS1 Digital Link path fits with room to spare.
const MaxURLLen = 512

// Match is one way to read a scanned code.
type Match struct {
	Kind Kind `json:"kind"`
	// Value is the identifier as stored and looked up: USPS without its
	// 420+ZIP routing prefix, a GTIN zero-padded to 14 digits, an SSCC or
	// GTIN without its GS1 application identifier, the unit id of a unit URL.
	Value string `json:"value"`
	// Service refines the kind, e.g. "express", "ground", "impb", "upc_a",
	// "ean_13", "gtin_14", or the country of an S10 item.
	Service string `json:"service,omitempty"`
	// Carrier is true for carrier tracking numbers, so the bench knows the
	// scan names a parcel rather than an order or a unit.
	Carrier bool `json:"carrier"`
}

// checkers is every kind Classify knows, in rank order: Classify returns
// matches in this order, best first. The ranking:
//
//  1. Carrier numbers with a real check digit (UPS, USPS, FedEx, S10): a scan
//     at the bench is most often the return label, and a passing check digit
//     makes a chance match unlikely.
//  2. GS1 product and carton codes (GTIN, SSCC): also check-digit protected,
//     but rarer on a return parcel than its tracking number.
//  3. Kinds without a check but with a distinctive prefix or shape (our unit
//     ids, Amazon RMA ids, LPNs, TBA numbers, order ids, ASINs, FNSKUs):
//     the shape itself is strong evidence. ASIN precedes FNSKU because an
//     ASIN only doubles as an FNSKU on some listings.
//  4. DHL Express last: it is any 10 or 11 digits whose mod-7 check holds,
//     which one number in seven passes by chance.
//
// Overlaps that really occur: a 12-digit number can be FedEx Express and
// UPC-A; "00" + an SSCC is also a 20-digit USPS number; an ASIN is also an
// FNSKU; an LPN ending in RRMA is also an Amazon RMA shape.
var checkers = []func(code string) (Match, bool){
	matchUPS,
	matchUSPS,
	matchFedEx,
	matchS10,
	matchGTIN,
	matchSSCC,
	matchUnit,
	matchAmazonRMA,
	matchFBALPN,
	matchAmazonLogistics,
	matchAmazonOrder,
	matchASIN,
	matchFNSKU,
	matchDHL,
}

// Normalize turns what a scanner or a person typed into the form Classify
// reads: whitespace (anywhere), ASCII control characters such as the GS
// (0x1D) FNC1 separator, and invisible format characters (zero-width space,
// byte order mark) are removed, and ASCII letters are upper-cased, because
// every identifier we know is case-insensitive except two, which keep their
// case: an Amazon RMA id (it ends "RRMA", in any case) and an http(s) URL,
// whose path may carry case-sensitive parts.
func Normalize(code string) string {
	var b strings.Builder
	b.Grow(len(code))
	for _, r := range code {
		if unicode.IsSpace(r) || r < 0x20 || r == 0x7f || unicode.Is(unicode.Cf, r) {
			continue
		}
		b.WriteRune(r)
	}
	s := b.String()
	if isURL(s) || hasSuffixFold(s, "RRMA") {
		return s
	}
	return upperASCII(s)
}

// Classify returns every kind the code validly is, best first (see
// checkers for the order), so the caller can look each up in turn. It
// normalises the code first. It returns an empty, non-nil slice when the
// code is nothing it knows, including codes longer than MaxCodeLen.
func Classify(code string) []Match {
	s := Normalize(code)
	matches := []Match{}
	if isURL(s) {
		if len(s) > MaxURLLen {
			return matches
		}
		return append(matches, matchUnitURL(s)...)
	}
	if s == "" || len(s) > MaxCodeLen {
		return matches
	}
	for _, check := range checkers {
		if m, ok := check(s); ok {
			matches = append(matches, m)
		}
	}
	return matches
}

// matchUnitURL reads the URL printed in our unit QR codes: a path ending in
// /u/<unit-id>, or a GS1 Digital Link ending in /01/<gtin-14>/21/<unit-id>.
// The unit comes first (it is the label's purpose); the GTIN follows when
// its check digit holds.
func matchUnitURL(s string) []Match {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil
	}
	seg := strings.Split(strings.TrimSuffix(u.Path, "/"), "/")
	n := len(seg)
	if n < 2 {
		return nil
	}
	id := upperASCII(seg[n-1])
	if !IsUnitID(id) {
		return nil
	}
	unit := Match{Kind: KindUnit, Value: id}
	if strings.EqualFold(seg[n-2], "u") {
		return []Match{unit}
	}
	if n < 4 || seg[n-4] != "01" || seg[n-2] != "21" || len(seg[n-3]) != 14 || !isDigits(seg[n-3]) {
		return nil
	}
	matches := []Match{unit}
	if gtin, ok := matchGTIN(seg[n-3]); ok {
		matches = append(matches, gtin)
	}
	return matches
}

// matchUPS accepts 1Z + 16 letters or digits. The last is a check digit over
// the 15 before it (after 1Z): a letter counts as (ASCII code - 3) mod 10,
// characters at even positions (1-based) are doubled, and the check digit
// brings the sum to a multiple of 10.
func matchUPS(s string) (Match, bool) {
	if len(s) != 18 || !strings.HasPrefix(s, "1Z") || !isAlnum(s[2:]) || !isDigit(s[17]) {
		return Match{}, false
	}
	sum := 0
	for i := 2; i < 17; i++ {
		v := int(s[i] - '0')
		if !isDigit(s[i]) {
			v = (int(s[i]) - 3) % 10
		}
		if (i-2)%2 == 1 {
			v *= 2
		}
		sum += v
	}
	if (10-sum%10)%10 != int(s[17]-'0') {
		return Match{}, false
	}
	return Match{Kind: KindUPS, Value: s, Carrier: true}, true
}

// matchUSPS accepts a USPS number, bare or behind the GS1-128 routing prefix
// "420" + ZIP5 or "420" + ZIP5+4 that the label barcode carries; Value is
// the bare number either way.
func matchUSPS(s string) (Match, bool) {
	if !isDigits(s) {
		return Match{}, false
	}
	if service, ok := uspsService(s); ok {
		return Match{Kind: KindUSPS, Value: s, Service: service, Carrier: true}, true
	}
	if !strings.HasPrefix(s, "420") {
		return Match{}, false
	}
	for _, prefix := range []int{len("420") + 5, len("420") + 9} {
		if len(s) <= prefix {
			break
		}
		if service, ok := uspsService(s[prefix:]); ok {
			return Match{Kind: KindUSPS, Value: s[prefix:], Service: service, Carrier: true}, true
		}
	}
	return Match{}, false
}

// uspsService validates a bare USPS number of digits and names its format.
// IMpb numbers (22 or 26 digits, starting 91-95) carry a GS1 mod 10 check.
// A 20-digit number is either an IMpb number printed without its leading
// 91-95 (the check is then computed as if "91" were prepended) or an older
// 20-digit USPS number whose plain mod 10 check covers the digits as they
// are; both occur on real labels and the two checks never agree.
func uspsService(s string) (string, bool) {
	switch len(s) {
	case 20:
		if hasIMpbPrefix(s) {
			return "impb", mod10Valid(s)
		}
		if mod10Valid("91" + s) {
			return "impb", true
		}
		return "legacy", mod10Valid(s)
	case 22, 26:
		return "impb", hasIMpbPrefix(s) && mod10Valid(s)
	}
	return "", false
}

func hasIMpbPrefix(s string) bool {
	return len(s) >= 2 && s[0] == '9' && s[1] >= '1' && s[1] <= '5'
}

// matchFedEx accepts FedEx Express (12 digits), Ground (15 digits) and
// Ground "96" (22 digits) numbers.
func matchFedEx(s string) (Match, bool) {
	if !isDigits(s) {
		return Match{}, false
	}
	service := ""
	switch {
	case len(s) == 12 && fedExExpressValid(s):
		service = "express"
	case len(s) == 15 && mod10Valid(s):
		// Weights 1,3 from the left over the 14-digit serial are the GS1
		// weights 3,1 read from the right.
		service = "ground"
	case len(s) == 22 && strings.HasPrefix(s, "96") && mod10Valid(s[7:]):
		// 96, 2-digit SCNC, 3-digit service, 14-digit serial, check digit:
		// the check covers the serial only.
		service = "ground_96"
	default:
		return Match{}, false
	}
	return Match{Kind: KindFedEx, Value: s, Service: service, Carrier: true}, true
}

// fedExExpressValid checks a 12-digit FedEx Express number: the first 11
// digits weighted 3,1,7,3,1,7,... from the left, summed, mod 11, mod 10,
// give the 12th.
func fedExExpressValid(s string) bool {
	weights := [3]int{3, 1, 7}
	sum := 0
	for i := 0; i < 11; i++ {
		sum += int(s[i]-'0') * weights[i%3]
	}
	return sum%11%10 == int(s[11]-'0')
}

// matchS10 accepts a UPU S10 item id (international post): 2 letters,
// 8 digits, a check digit, a 2-letter country code. Service is the country.
func matchS10(s string) (Match, bool) {
	if len(s) != 13 || !isUpper(s[0:2]) || !isDigits(s[2:11]) || !isUpper(s[11:13]) {
		return Match{}, false
	}
	weights := [8]int{8, 6, 4, 2, 3, 5, 9, 7}
	sum := 0
	for i, w := range weights {
		sum += int(s[2+i]-'0') * w
	}
	check := 11 - sum%11
	switch check {
	case 10:
		check = 0
	case 11:
		check = 5
	}
	if check != int(s[10]-'0') {
		return Match{}, false
	}
	return Match{Kind: KindS10, Value: s, Service: s[11:13], Carrier: true}, true
}

// matchGTIN accepts an EAN-8, UPC-A, EAN-13 or GTIN-14, or a GS1 element
// string "01" / "(01)" + GTIN-14. Value is always the GTIN zero-padded to 14
// digits, the form GS1 uses to compare GTINs of different lengths.
func matchGTIN(s string) (Match, bool) {
	gtin := s
	switch {
	case len(s) == 18 && strings.HasPrefix(s, "(01)"):
		gtin = s[4:]
	case len(s) == 16 && strings.HasPrefix(s, "01"):
		gtin = s[2:]
	}
	service := ""
	switch len(gtin) {
	case 8:
		service = "ean_8"
	case 12:
		service = "upc_a"
	case 13:
		service = "ean_13"
	case 14:
		service = "gtin_14"
	default:
		return Match{}, false
	}
	if !isDigits(gtin) || !mod10Valid(gtin) {
		return Match{}, false
	}
	return Match{Kind: KindGTIN, Value: strings.Repeat("0", 14-len(gtin)) + gtin, Service: service}, true
}

// matchSSCC accepts an 18-digit SSCC (a carton or pallet id), bare or as the
// GS1 element string "00" / "(00)" + SSCC. Value is the 18 digits.
func matchSSCC(s string) (Match, bool) {
	sscc := s
	switch {
	case len(s) == 22 && strings.HasPrefix(s, "(00)"):
		sscc = s[4:]
	case len(s) == 20 && strings.HasPrefix(s, "00"):
		sscc = s[2:]
	}
	if len(sscc) != 18 || !isDigits(sscc) || !mod10Valid(sscc) {
		return Match{}, false
	}
	return Match{Kind: KindSSCC, Value: sscc}, true
}

// matchUnit accepts one of our own unit ids, as printed under the QR code.
func matchUnit(s string) (Match, bool) {
	if !IsUnitID(s) {
		return Match{}, false
	}
	return Match{Kind: KindUnit, Value: s}, true
}

// matchAmazonRMA accepts an Amazon RMA id: 10 to 20 letters and digits
// ending "RRMA". The id is case-sensitive, so Value keeps its case.
func matchAmazonRMA(s string) (Match, bool) {
	if len(s) < 10 || len(s) > 20 || !strings.HasSuffix(s, "RRMA") || !isAlnumAnyCase(s) {
		return Match{}, false
	}
	return Match{Kind: KindAmazonRMA, Value: s}, true
}

// matchFBALPN accepts an FBA license plate number: LPN + 6 to 14 letters or
// digits, the sticker Amazon puts on a returned unit.
func matchFBALPN(s string) (Match, bool) {
	rest, ok := strings.CutPrefix(s, "LPN")
	if !ok || len(rest) < 6 || len(rest) > 14 || !isAlnum(rest) {
		return Match{}, false
	}
	return Match{Kind: KindFBALPN, Value: s}, true
}

// matchAmazonLogistics accepts an Amazon Logistics tracking number: TBA + 12
// digits. It has no check digit.
func matchAmazonLogistics(s string) (Match, bool) {
	rest, ok := strings.CutPrefix(s, "TBA")
	if !ok || len(rest) != 12 || !isDigits(rest) {
		return Match{}, false
	}
	return Match{Kind: KindAmazonLogistics, Value: s, Carrier: true}, true
}

// matchAmazonOrder accepts an Amazon order id, ddd-ddddddd-ddddddd. Only the
// dashed form: 17 bare digits would be indistinguishable from other numbers.
func matchAmazonOrder(s string) (Match, bool) {
	if len(s) != 19 || s[3] != '-' || s[11] != '-' ||
		!isDigits(s[0:3]) || !isDigits(s[4:11]) || !isDigits(s[12:19]) {
		return Match{}, false
	}
	return Match{Kind: KindAmazonOrder, Value: s}, true
}

// matchASIN accepts an Amazon product id of the B0 + 8 letters or digits form.
func matchASIN(s string) (Match, bool) {
	if !isASIN(s) {
		return Match{}, false
	}
	return Match{Kind: KindASIN, Value: s}, true
}

// matchFNSKU accepts an Amazon fulfilment SKU: X00 + 7 letters or digits, or
// an ASIN, which some listings use as their FNSKU.
func matchFNSKU(s string) (Match, bool) {
	if !isASIN(s) && (len(s) != 10 || !strings.HasPrefix(s, "X00") || !isAlnum(s)) {
		return Match{}, false
	}
	return Match{Kind: KindFNSKU, Value: s}, true
}

func isASIN(s string) bool {
	return len(s) == 10 && strings.HasPrefix(s, "B0") && isAlnum(s)
}

// matchDHL accepts a DHL Express waybill: 10 or 11 digits, where the number
// formed by all but the last digit, mod 7, is the last digit.
func matchDHL(s string) (Match, bool) {
	if (len(s) != 10 && len(s) != 11) || !isDigits(s) {
		return Match{}, false
	}
	n, err := strconv.ParseUint(s[:len(s)-1], 10, 64)
	if err != nil || n%7 != uint64(s[len(s)-1]-'0') {
		return Match{}, false
	}
	return Match{Kind: KindDHL, Value: s, Service: "express", Carrier: true}, true
}

// mod10Valid checks the GS1 mod 10 check digit that ends s (GTIN, SSCC,
// USPS IMpb, FedEx Ground): digits weighted 3,1,3,... from the right,
// excluding the check digit; the check digit brings the sum to a multiple
// of 10. s must be all digits.
func mod10Valid(s string) bool {
	if len(s) < 2 {
		return false
	}
	sum := 0
	for i := len(s) - 2; i >= 0; i-- {
		v := int(s[i] - '0')
		if (len(s)-2-i)%2 == 0 {
			v *= 3
		}
		sum += v
	}
	return (10-sum%10)%10 == int(s[len(s)-1]-'0')
}

// isURL reports whether s starts with http:// or https://, in any case.
func isURL(s string) bool {
	return hasPrefixFold(s, "http://") || hasPrefixFold(s, "https://")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// upperASCII upper-cases ASCII letters only: identifiers are ASCII, and
// leaving other runes alone keeps Normalize simple and idempotent.
func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func isUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return s != ""
}

// isAlnum reports whether s is non-empty upper-case letters and digits.
func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && (s[i] < 'A' || s[i] > 'Z') {
			return false
		}
	}
	return s != ""
}

// isAlnumAnyCase reports whether s is non-empty ASCII letters and digits.
func isAlnumAnyCase(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return s != ""
}
