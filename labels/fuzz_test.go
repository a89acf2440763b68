package labels

import (
	"slices"
	"testing"
)

// carrierKinds is the set of kinds whose matches must have Carrier set.
var carrierKinds = map[Kind]bool{
	KindUPS: true, KindUSPS: true, KindFedEx: true, KindDHL: true, KindS10: true, KindAmazonLogistics: true,
	KindAmazonOrder: false, KindAmazonRMA: false, KindFBALPN: false, KindFNSKU: false,
	KindASIN: false, KindGTIN: false, KindSSCC: false, KindUnit: false,
}

func FuzzClassify(f *testing.F) {
	for _, tt := range validCodes {
		f.Add(tt.code)
	}
	for _, tt := range badCheckDigit {
		f.Add(tt.code)
	}
	for _, tt := range wrongShape {
		f.Add(tt.code)
	}
	for _, s := range []string{"", " ", "\x1d", "\xff\xfe", "https://\x00/u/", "ǅǆrrma", "ſtraße", "1z\u200b5r89390357567127"} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, code string) {
		got := Classify(code)
		if got == nil {
			t.Fatalf("Classify(%q)=nil, want a non-nil slice", code)
		}
		if again := Classify(code); !slices.Equal(got, again) {
			t.Fatalf("Classify(%q)=%v then %v, want the same", code, got, again)
		}
		norm := Normalize(code)
		if again := Normalize(norm); again != norm {
			t.Fatalf("Normalize(%q)=%q, want %q (idempotent)", norm, again, norm)
		}
		if viaNorm := Classify(norm); !slices.Equal(got, viaNorm) {
			t.Fatalf("Classify(Normalize(%q))=%v, want %v", code, viaNorm, got)
		}
		limit := MaxCodeLen
		if isURL(norm) {
			limit = MaxURLLen
		}
		if len(norm) > limit && len(got) != 0 {
			t.Fatalf("Classify(%q)=%v, want no matches over %d bytes", code, got, limit)
		}
		for _, m := range got {
			carrier, known := carrierKinds[m.Kind]
			if !known {
				t.Fatalf("Classify(%q) kind=%q, want a known kind", code, m.Kind)
			}
			if m.Value == "" {
				t.Fatalf("Classify(%q) %s Value empty, want non-empty", code, m.Kind)
			}
			if m.Carrier != carrier {
				t.Fatalf("Classify(%q) %s Carrier=%v, want %v", code, m.Kind, m.Carrier, carrier)
			}
		}
	})
}
