package inspection

import (
	"testing"
	"time"
)

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

func TestDeadlinesStop(t *testing.T) {
	p := DefaultPolicy()
	refunded := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	now := refunded.Add(70 * 24 * time.Hour)
	names := func(r *Return) []string {
		var out []string
		for _, d := range p.Deadlines(r, now) {
			out = append(out, d.Name)
		}
		return out
	}
	fba := func(edit func(r *Return)) *Return {
		r := &Return{Channel: ChannelFBA, RefundedAt: &refunded}
		edit(r)
		return r
	}
	for name, r := range map[string]*Return{
		"BackAtAmazon": fba(func(r *Return) { r.FCReturnedAt = &now }),
		"Reimbursed":   fba(func(r *Return) { r.ReimbursedAmount = 1 }),
		"ClosedMFN":    {Channel: ChannelMFN, ArrivedAt: &refunded, RequestStatus: "Closed by seller"},
	} {
		t.Run(name, func(t *testing.T) {
			for _, n := range names(r) {
				if n == DeadlineClaimWindowOpens || n == DeadlineRefundDue || n == DeadlineFBAUnitExpected {
					t.Fatalf("deadlines %v, want no %s", names(r), n)
				}
			}
		})
	}
	t.Run("NoSafeTWithAtoZ", func(t *testing.T) {
		r := &Return{Channel: ChannelMFN, RefundedAt: &refunded, AtoZClaim: true}
		for _, n := range names(r) {
			if n == DeadlineSafeTWindowCloses {
				t.Fatalf("deadlines %v, want no SAFE-T window beside an A-to-z claim", names(r))
			}
		}
	})
}
