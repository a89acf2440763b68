package inspection

import "testing"

func TestNormalizeReason(t *testing.T) {
	for raw, want := range map[string]string{
		"DEFECTIVE":          "DEFECTIVE",
		"CR-DEFECTIVE":       "DEFECTIVE",
		"AMZ-PG-BAD-DESC":    "BAD-DESC",
		"CR-AMZ-PG-MISSING":  "MISSING",
		" cr-unwanted item ": "UNWANTED_ITEM",
	} {
		if got := NormalizeReason(raw); got != want {
			t.Errorf("NormalizeReason(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestCents(t *testing.T) {
	for in, want := range map[string]Cents{"19.99": 1999, "5": 500, "0.5": 50, "-2.05": -205, "1,234.50": 123450, "": 0} {
		got, err := ParseCents(in)
		if err != nil || got != want {
			t.Errorf("ParseCents(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"1.234", "abc", "1e3", "12345678901234567"} {
		if _, err := ParseCents(bad); err == nil {
			t.Errorf("ParseCents(%q) gave no error", bad)
		}
	}
	if got := Cents(-205).String(); got != "-2.05" {
		t.Errorf("String = %q, want -2.05", got)
	}
}
