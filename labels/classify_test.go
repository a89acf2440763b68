package labels

import (
	"slices"
	"strings"
	"testing"
)

// Test numbers. Unless marked otherwise, carrier numbers are the published
// test numbers of the MIT-licensed tracking_number_data project
// (couriers/*.json), and GS1 codes are the worked examples of GS1 and of the
// EAN/UPC literature. Every one was checked by computing its check digit
// independently before it went into a table: numbers offered as valid whose
// check digit fails are in invalidCodes, marked as such.

// validCode is a code that must classify as kind with the given Value.
type validCode struct {
	kind  Kind
	code  string
	value string // the wanted Match.Value; empty means Normalize(code)
}

var validCodes = []validCode{
	{kind: KindUPS, code: "1Z5R89390357567127"},
	{kind: KindUPS, code: "1Z879E930346834440"},
	{kind: KindUPS, code: "1Z410E7W0392751591"},
	{kind: KindUPS, code: "1Z8V92A70367203024"},
	{kind: KindUPS, code: "1ZXX3150YW44070023"},
	{kind: KindUPS, code: "1Z999AA10123456784"},
	{kind: KindUPS, code: " 1z 5r89 3903 5756 7127\n", value: "1Z5R89390357567127"},

	{kind: KindUSPS, code: "0307 1790 0005 2348 3741", value: "03071790000523483741"},
	{kind: KindUSPS, code: "7112 3456 7891 2345 6787", value: "71123456789123456787"},
	{kind: KindUSPS, code: "70160910000108310009"},
	{kind: KindUSPS, code: "7196 9010 7560 0307 7385", value: "71969010756003077385"},
	{kind: KindUSPS, code: "9505 5110 6960 5048 6006 24", value: "9505511069605048600624"},
	{kind: KindUSPS, code: "9101 1234 5678 9000 0000 13", value: "9101123456789000000013"},
	{kind: KindUSPS, code: "9400 1112 0108 0805 4830 16", value: "9400111201080805483016"},
	{kind: KindUSPS, code: "9361 2898 7870 0317 6337 95", value: "9361289878700317633795"},
	{kind: KindUSPS, code: "9405803699300124287899"},
	{kind: KindUSPS, code: "9205590164917312751089"},
	{kind: KindUSPS, code: "92748931507708513018050063"},
	{kind: KindUSPS, code: "420 22153 9101026837331000039521", value: "9101026837331000039521"},
	{kind: KindUSPS, code: "4201002334249200190132607600833457", value: "9200190132607600833457"},
	{kind: KindUSPS, code: "4201028200009261290113185417468510", value: "9261290113185417468510"},

	{kind: KindFedEx, code: "986578788855"},
	{kind: KindFedEx, code: "477179081230"},
	{kind: KindFedEx, code: "799531274483"},
	{kind: KindFedEx, code: "790535312317"},
	{kind: KindFedEx, code: " 7 9 0 5 3 5 3 1 2 3 1 7 ", value: "790535312317"},
	{kind: KindFedEx, code: "974367662710"},
	{kind: KindFedEx, code: "0414 4176 0228 964", value: "041441760228964"},
	{kind: KindFedEx, code: "5682 8361 0012 000", value: "568283610012000"},
	{kind: KindFedEx, code: "5682 8361 0012 734", value: "568283610012734"},
	{kind: KindFedEx, code: "9611020987654312345672"},

	{kind: KindDHL, code: "3318810025"},
	{kind: KindDHL, code: "73891051146"},
	{kind: KindDHL, code: "8487135506"},
	{kind: KindDHL, code: "1099255990"},
	{kind: KindDHL, code: "3821724944"},
	{kind: KindDHL, code: "3318810036"},
	{kind: KindDHL, code: "3318810014"},

	{kind: KindS10, code: "RB123456785GB"},
	{kind: KindS10, code: "RB123456785US"},
	{kind: KindS10, code: "EE123456785US"},
	{kind: KindS10, code: " r b 1 2 3 4 5 6 7 8 5 c f ", value: "RB123456785CF"},

	{kind: KindAmazonLogistics, code: "TBA000000000000"},
	{kind: KindAmazonLogistics, code: "TBA010000000000"},
	{kind: KindAmazonLogistics, code: " T B A 0 0 0 0 0 0 0 0 0 0 0 0 ", value: "TBA000000000000"},
	{kind: KindAmazonLogistics, code: "TBA502887274000"},
	{kind: KindAmazonLogistics, code: "tba123456789012", value: "TBA123456789012"},

	{kind: KindAmazonOrder, code: "112-4567890-1234567"},
	{kind: KindAmazonOrder, code: "111- 2222222-3333333", value: "111-2222222-3333333"},

	{kind: KindAmazonRMA, code: "DfqRyqfBRRMA"},
	{kind: KindAmazonRMA, code: " DfqR yqfB RRMA\t", value: "DfqRyqfBRRMA"},
	{kind: KindAmazonRMA, code: "D123456RRMA"},

	{kind: KindFBALPN, code: "LPNNC5N165ZVR"},
	{kind: KindFBALPN, code: "lpn nc5n165zvr", value: "LPNNC5N165ZVR"},
	{kind: KindFBALPN, code: "LPN123456"},
	{kind: KindFBALPN, code: "LPN12345678901234"},

	{kind: KindFNSKU, code: "X001ABCDEF"},
	{kind: KindFNSKU, code: "x00zz9yy8w", value: "X00ZZ9YY8W"},
	{kind: KindFNSKU, code: "B07XJ8C8F5"},
	{kind: KindASIN, code: "B07XJ8C8F5"},
	{kind: KindASIN, code: "b0 7xj8c8f5", value: "B07XJ8C8F5"},

	{kind: KindGTIN, code: "036000291452", value: "00036000291452"},
	{kind: KindGTIN, code: "012345678905", value: "00012345678905"},
	{kind: KindGTIN, code: "4006381333931", value: "04006381333931"},
	{kind: KindGTIN, code: "5901234123457", value: "05901234123457"},
	{kind: KindGTIN, code: "96385074", value: "00000096385074"},
	{kind: KindGTIN, code: "00012345678905"},
	{kind: KindGTIN, code: "10614141000415"},
	{kind: KindGTIN, code: "0100012345678905", value: "00012345678905"},
	{kind: KindGTIN, code: "(01)10614141000415", value: "10614141000415"},
	{kind: KindGTIN, code: "\x1d0100012345678905", value: "00012345678905"},

	{kind: KindSSCC, code: "106141411234567897"},
	{kind: KindSSCC, code: "376104250021234569"},
	{kind: KindSSCC, code: "00 0123 4500 0000 0027", value: "000123450000000027"},
	{kind: KindSSCC, code: "(00)106141411234567897", value: "106141411234567897"},
	{kind: KindSSCC, code: "00106141411234567897", value: "106141411234567897"},

	{kind: KindUnit, code: "U0123456789"},
	{kind: KindUnit, code: "UABCDEFGHJK"},
	{kind: KindUnit, code: "u0123456789", value: "U0123456789"},
	{kind: KindUnit, code: "https://rb.example/u/U0123456789", value: "U0123456789"},
	{kind: KindUnit, code: "https://rb.example/u/u0123456789/", value: "U0123456789"},
	{kind: KindUnit, code: "HTTP://RB.EXAMPLE/U/U0123456789?src=qr", value: "U0123456789"},
	{kind: KindUnit, code: "https://rb.example/01/00012345678905/21/U0123456789", value: "U0123456789"},
	{kind: KindGTIN, code: "https://rb.example/01/00012345678905/21/U0123456789", value: "00012345678905"},
}

// invalidCode is a code that must not classify as kind.
type invalidCode struct {
	kind Kind
	code string
}

var badCheckDigit = []invalidCode{
	{kind: KindUPS, code: "1Z5R89390357567128"},
	{kind: KindUPS, code: "1Z1111111111111111"},

	{kind: KindUSPS, code: "03071790000523483742"},
	{kind: KindUSPS, code: "4201028200009261290113185417468511"},
	{kind: KindUSPS, code: "9200000000000000000000"},
	{kind: KindUSPS, code: "420000000000000000000000000000"},
	{kind: KindUSPS, code: "420000009200000000000000000000"},
	{kind: KindUSPS, code: "61299998820821171811"}, // a FedEx SmartPost number
	// Offered as valid in the task brief; the check digit fails.
	{kind: KindUSPS, code: "9400100000000000000000"},
	{kind: KindUSPS, code: "9400111899223197428490"},

	{kind: KindFedEx, code: "986578788856"},
	{kind: KindFedEx, code: "996578788855"},
	{kind: KindFedEx, code: "568283610012732"},
	{kind: KindFedEx, code: "9600000000000000000001"},

	{kind: KindDHL, code: "3318810010"},
	{kind: KindDHL, code: "3318810034"},
	{kind: KindDHL, code: "3318810011"},

	{kind: KindS10, code: "RB123456786US"},
	// Offered as valid in the task brief; the check digit fails.
	{kind: KindS10, code: "LK053052485US"},

	{kind: KindGTIN, code: "036000291453"},
	{kind: KindGTIN, code: "4006381333932"},
	{kind: KindGTIN, code: "96385075"},
	{kind: KindGTIN, code: "0100012345678906"},
	{kind: KindGTIN, code: "986578788855"}, // FedEx Express, not a UPC-A

	{kind: KindSSCC, code: "106141411234567898"},
	{kind: KindSSCC, code: "000000000000000001"},
}

var wrongShape = []invalidCode{
	{kind: KindUPS, code: "1Z5R8939035756712"},
	{kind: KindUPS, code: "2Z5R89390357567127"},
	{kind: KindUPS, code: "1A5R89390357567127"},
	{kind: KindUPS, code: "1Z5R8939035756712A"},

	{kind: KindUSPS, code: "9405803699300124287"},
	{kind: KindUSPS, code: "8405803699300124287899"}, // 22 digits must start 91-95

	{kind: KindFedEx, code: "98657878885"},
	{kind: KindFedEx, code: "9711020987654312345672"},

	{kind: KindDHL, code: "331881002"},
	{kind: KindDHL, code: "A318810025"},

	{kind: KindS10, code: "RB12345678GB"},
	{kind: KindS10, code: "R8123456785GB"},

	{kind: KindAmazonLogistics, code: "TBA50288727400A"},
	{kind: KindAmazonLogistics, code: "TBB000000000000"},
	{kind: KindAmazonLogistics, code: "TBA00000000000"},
	{kind: KindAmazonLogistics, code: "000000000000000"},

	{kind: KindAmazonOrder, code: "11245678901234567"},
	{kind: KindAmazonOrder, code: "112-456789-1234567"},
	{kind: KindAmazonOrder, code: "112_4567890_1234567"},

	{kind: KindAmazonRMA, code: "ABRRMA"},
	{kind: KindAmazonRMA, code: "DfqRyqf-BRRMA"},
	{kind: KindAmazonRMA, code: "DfqRyqfBRRMAX"},
	{kind: KindAmazonRMA, code: "ABCDEFGHIJKLMNOPQRRMA"},

	{kind: KindFBALPN, code: "LPN12345"},
	{kind: KindFBALPN, code: "LPN123456789012345"},
	{kind: KindFBALPN, code: "LPN-12345678"},

	{kind: KindFNSKU, code: "X01ABCDEFG"},
	{kind: KindFNSKU, code: "X001ABCDE"},
	{kind: KindASIN, code: "B1ABCDEFGH"},
	{kind: KindASIN, code: "B0ABCDEFG"},

	{kind: KindGTIN, code: "1234567"},
	{kind: KindGTIN, code: "0A12345678905"},

	{kind: KindUnit, code: "U012345678"},
	{kind: KindUnit, code: "UI2345678O0"},
	{kind: KindUnit, code: "V0123456789"},
	{kind: KindUnit, code: "https://rb.example/u/U01234"},
	{kind: KindUnit, code: "https://rb.example/x/U0123456789"},
	{kind: KindUnit, code: "https://rb.example/01/12345/21/U0123456789"},
	{kind: KindUnit, code: "ftp://rb.example/u/U0123456789"},
	{kind: KindUnit, code: "https://"},
}

func TestClassify(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for _, tt := range validCodes {
			t.Run(string(tt.kind)+"/"+tt.code, func(t *testing.T) {
				want := tt.value
				if want == "" {
					want = Normalize(tt.code)
				}
				got := Classify(tt.code)
				if m, ok := findKind(got, tt.kind); !ok {
					t.Fatalf("Classify(%q)=%v, want a %s match", tt.code, got, tt.kind)
				} else if m.Value != want {
					t.Fatalf("Classify(%q) %s Value=%q, want %q", tt.code, tt.kind, m.Value, want)
				}
			})
		}
	})

	t.Run("ErrCheckDigit", func(t *testing.T) {
		for _, tt := range badCheckDigit {
			t.Run(string(tt.kind)+"/"+tt.code, func(t *testing.T) {
				if got := Classify(tt.code); hasKind(got, tt.kind) {
					t.Fatalf("Classify(%q)=%v, want no %s match", tt.code, got, tt.kind)
				}
			})
		}
	})

	t.Run("ErrShape", func(t *testing.T) {
		for _, tt := range wrongShape {
			t.Run(string(tt.kind)+"/"+tt.code, func(t *testing.T) {
				if got := Classify(tt.code); hasKind(got, tt.kind) {
					t.Fatalf("Classify(%q)=%v, want no %s match", tt.code, got, tt.kind)
				}
			})
		}
	})
}

// TestClassify_Exact pins complete results: every kind, in rank order, with
// Service and Carrier.
func TestClassify_Exact(t *testing.T) {
	for _, tt := range []struct {
		name string
		code string
		want []Match
	}{
		{
			name: "UPS",
			code: "1Z5R89390357567127",
			want: []Match{{Kind: KindUPS, Value: "1Z5R89390357567127", Carrier: true}},
		},
		{
			name: "USPSWithoutRoutingPrefix",
			code: "420 22153 9101026837331000039521",
			want: []Match{{Kind: KindUSPS, Value: "9101026837331000039521", Service: "impb", Carrier: true}},
		},
		{
			name: "USPSLegacy20",
			code: "03071790000523483741",
			want: []Match{{Kind: KindUSPS, Value: "03071790000523483741", Service: "legacy", Carrier: true}},
		},
		{
			name: "FedExExpressNotUPC",
			code: "986578788855",
			want: []Match{{Kind: KindFedEx, Value: "986578788855", Service: "express", Carrier: true}},
		},
		{
			// Generated: the first number from 123456789010 up whose FedEx
			// and UPC-A check digits both hold.
			name: "FedExExpressAndUPC",
			code: "123456789012",
			want: []Match{
				{Kind: KindFedEx, Value: "123456789012", Service: "express", Carrier: true},
				{Kind: KindGTIN, Value: "00123456789012", Service: "upc_a"},
			},
		},
		{
			name: "FedExGround",
			code: "041441760228964",
			want: []Match{{Kind: KindFedEx, Value: "041441760228964", Service: "ground", Carrier: true}},
		},
		{
			name: "FedExGround96",
			code: "9611020987654312345672",
			want: []Match{{Kind: KindFedEx, Value: "9611020987654312345672", Service: "ground_96", Carrier: true}},
		},
		{
			name: "S10CountryAsService",
			code: "RB123456785GB",
			want: []Match{{Kind: KindS10, Value: "RB123456785GB", Service: "GB", Carrier: true}},
		},
		{
			name: "DHL",
			code: "3318810025",
			want: []Match{{Kind: KindDHL, Value: "3318810025", Service: "express", Carrier: true}},
		},
		{
			// "00" + SSCC is also a 20-digit USPS number with a valid check:
			// both are returned, the carrier first.
			name: "USPSAndSSCC",
			code: "00000123450000000027",
			want: []Match{
				{Kind: KindUSPS, Value: "00000123450000000027", Service: "legacy", Carrier: true},
				{Kind: KindSSCC, Value: "000123450000000027"},
			},
		},
		{
			name: "GTIN14FromElementString",
			code: "(01)10614141000415",
			want: []Match{{Kind: KindGTIN, Value: "10614141000415", Service: "gtin_14"}},
		},
		{
			name: "ASINThenFNSKU",
			code: "B07XJ8C8F5",
			want: []Match{{Kind: KindASIN, Value: "B07XJ8C8F5"}, {Kind: KindFNSKU, Value: "B07XJ8C8F5"}},
		},
		{
			name: "RMAThenLPN",
			code: "LPN123456RRMA",
			want: []Match{{Kind: KindAmazonRMA, Value: "LPN123456RRMA"}, {Kind: KindFBALPN, Value: "LPN123456RRMA"}},
		},
		{
			name: "RMAKeepsCase",
			code: "DfqRyqfBRRMA",
			want: []Match{{Kind: KindAmazonRMA, Value: "DfqRyqfBRRMA"}},
		},
		{
			name: "AmazonLogisticsIsCarrier",
			code: "TBA123456789012",
			want: []Match{{Kind: KindAmazonLogistics, Value: "TBA123456789012", Carrier: true}},
		},
		{
			name: "AmazonOrder",
			code: "112-4567890-1234567",
			want: []Match{{Kind: KindAmazonOrder, Value: "112-4567890-1234567"}},
		},
		{
			name: "DigitalLinkUnitThenGTIN",
			code: "https://rb.example/01/00012345678905/21/U0123456789",
			want: []Match{
				{Kind: KindUnit, Value: "U0123456789"},
				{Kind: KindGTIN, Value: "00012345678905", Service: "gtin_14"},
			},
		},
		{
			name: "DigitalLinkBadGTINStillUnit",
			code: "https://rb.example/01/00012345678906/21/U0123456789",
			want: []Match{{Kind: KindUnit, Value: "U0123456789"}},
		},
		{
			name: "Unknown",
			code: "hello world",
			want: []Match{},
		},
		{
			name: "Empty",
			code: " \t\x1d ",
			want: []Match{},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify(tt.code)
			if got == nil {
				t.Fatalf("Classify(%q)=nil, want a non-nil slice", tt.code)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Classify(%q)=%+v, want %+v", tt.code, got, tt.want)
			}
		})
	}
}

func TestClassify_MaxLen(t *testing.T) {
	t.Run("OKCodeAtLimit", func(t *testing.T) {
		code := "LPN" + strings.Repeat("A", 14)
		code = code + strings.Repeat("B", MaxCodeLen-len(code)) // not an LPN any more, but looked at
		if got := Classify(code); got == nil {
			t.Fatalf("Classify(%q)=nil, want a non-nil slice", code)
		}
	})
	t.Run("ErrCodeTooLong", func(t *testing.T) {
		long := strings.Repeat("1", MaxCodeLen+1)
		if got := Classify(long); got == nil || len(got) != 0 {
			t.Fatalf("Classify(%q)=%#v, want an empty non-nil slice", long, got)
		}
	})

	// Our own unit URLs carry a public host name, so they get a longer limit.
	const tail = "/u/U0123456789"
	host := strings.Repeat("x", MaxURLLen-len("https://")-len(tail))
	t.Run("OKURLAtLimit", func(t *testing.T) {
		code := "https://" + host + tail
		if got := Classify(code); !hasKind(got, KindUnit) {
			t.Fatalf("Classify(%d-byte URL)=%v, want a unit match", len(code), got)
		}
	})
	t.Run("ErrURLTooLong", func(t *testing.T) {
		long := "https://x" + host + tail
		if got := Classify(long); got == nil || len(got) != 0 {
			t.Fatalf("Classify(%d-byte URL)=%#v, want an empty non-nil slice", len(long), got)
		}
	})
}

func TestNormalize(t *testing.T) {
	for _, tt := range []struct {
		name string
		code string
		want string
	}{
		{name: "TrimsAndUpperCases", code: "  1z5r 8939\t0357 5671 27\r\n", want: "1Z5R89390357567127"},
		{name: "DropsGroupSeparator", code: "\x1d0100012345678905\x1d", want: "0100012345678905"},
		{name: "DropsControlAndFormatChars", code: "\x00TBA\u200b1234\ufeff5678\x7f9012", want: "TBA123456789012"},
		{name: "DropsUnicodeSpaces", code: "X00\u00a01ABC\u2003DEF", want: "X001ABCDEF"},
		{name: "KeepsRMACase", code: " DfqR yqfB RRMA ", want: "DfqRyqfBRRMA"},
		{name: "KeepsRMACaseLowerSuffix", code: "DfqRyqfBrrma", want: "DfqRyqfBrrma"},
		{name: "KeepsURLCase", code: "HTTPS://rb.example/u/ U0123456789", want: "HTTPS://rb.example/u/U0123456789"},
		{name: "LeavesNonASCII", code: "straße", want: "STRAßE"},
		{name: "Empty", code: " \n\t", want: ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.code); got != tt.want {
				t.Fatalf("Normalize(%q)=%q, want %q", tt.code, got, tt.want)
			}
			if got := Normalize(tt.want); got != tt.want {
				t.Fatalf("Normalize(%q)=%q, want it unchanged", tt.want, got)
			}
		})
	}
}

// BenchmarkClassify runs a bench's worth of typical scans, mixed.
func BenchmarkClassify(b *testing.B) {
	codes := []string{
		"1Z5R89390357567127",
		"9400 1112 0108 0805 4830 16",
		"420 22153 9101026837331000039521",
		"986578788855",
		"3318810025",
		"RB123456785GB",
		"TBA502887274000",
		"DfqRyqfBRRMA",
		"LPNNC5N165ZVR",
		"X001ABCDEF",
		"036000291452",
		"https://rb.example/01/00012345678905/21/U0123456789",
		"not a code at all",
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Classify(codes[i%len(codes)])
		i++
	}
}

func findKind(matches []Match, kind Kind) (Match, bool) {
	for _, m := range matches {
		if m.Kind == kind {
			return m, true
		}
	}
	return Match{}, false
}

func hasKind(matches []Match, kind Kind) bool {
	_, ok := findKind(matches, kind)
	return ok
}
