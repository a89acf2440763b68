package inspection_test

import (
	"reflect"
	"strings"
	"testing"

	_ "time/tzdata"

	"github.com/returnbench/returnbench/inspection"
)

// MustLoadPolicies loads a policy file from a string or fails the test.
func MustLoadPolicies(tb testing.TB, s string) *inspection.Policies {
	tb.Helper()
	ps, err := inspection.LoadPolicies(strings.NewReader(s))
	if err != nil {
		tb.Fatalf("LoadPolicies: %v", err)
	}
	return ps
}

func TestDefaultPolicy(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		p := inspection.DefaultPolicy()
		if err := p.Validate(); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		for _, c := range []struct {
			name      string
			got, want int
		}{
			{"fba_return_window_days", p.FBAReturnWindowDays, 60},
			{"claim_window_opens_days", p.ClaimWindowOpensDays, 60},
			{"claim_window_closes_days", p.ClaimWindowClosesDays, 120},
			{"refund_due_business_days", p.RefundDueBusinessDays, 2},
			{"atoz_response_hours", p.AtoZResponseHours, 48},
			{"atoz_info_response_hours", p.AtoZInfoResponseHours, 72},
			{"atoz_appeal_days", p.AtoZAppealDays, 30},
			{"safet_window_days", p.SafeTWindowDays, 60},
			{"safet_max_amount", int(p.SafeTMaxAmount), 500000},
			{"safet_customer_damaged_max_percent", p.SafeTCustomerDamagedMaxPercent, 50},
			{"safet_photo_days", p.SafeTPhotoDays, 7},
			{"fee_photo_threshold_percent", p.FeePhotoThresholdPercent, 20},
		} {
			if c.got != c.want {
				t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
			}
		}
		if got, want := p.Timezone, "America/Los_Angeles"; got != want {
			t.Errorf("timezone: got %q, want %q", got, want)
		}
		wantBands := map[inspection.Grade]inspection.FeeBand{
			inspection.GradeResellable:      {MaxPercent: 0, SuggestedPercent: 0},
			inspection.GradeRefurbishedUsed: {MaxPercent: 50, SuggestedPercent: 20},
			inspection.GradeDestroy:         {MaxPercent: 50, SuggestedPercent: 50},
		}
		if got := p.FeeBands; !reflect.DeepEqual(got, wantBands) {
			t.Errorf("fee_bands: got %v, want %v", got, wantBands)
		}
	})

	t.Run("FreshCopies", func(t *testing.T) {
		p := inspection.DefaultPolicy()
		p.FeeBands[inspection.GradeResellable] = inspection.FeeBand{MaxPercent: 99}
		if got := inspection.DefaultPolicy().FeeBands[inspection.GradeResellable].MaxPercent; got != 0 {
			t.Errorf("got %d after changing a copy, want 0", got)
		}
	})
}

func TestLoadPolicies(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		ps := MustLoadPolicies(t, `{
			"default": {
				"holidays": ["2026-11-26", "2026-12-25"],
				"fee_bands": {"destroy": {"max_percent": 40, "suggested_percent": 30}}
			},
			"marketplaces": {
				"UK": {
					"timezone": "Europe/London",
					"holidays": ["2026-12-25", "2026-12-28"],
					"atoz_appeal_days": 14,
					"fee_photo_threshold_percent": 10,
					"fee_bands": {"refurbished_used": {"max_percent": 30}}
				},
				"DE": {"marketplace": "DE", "holidays": []}
			}
		}`)

		us := ps.For("US") // no override: the loaded default
		if got, want := us.Marketplace, ""; got != want {
			t.Errorf("US marketplace: got %q, want %q", got, want)
		}
		if got, want := us.Holidays, []string{"2026-11-26", "2026-12-25"}; !reflect.DeepEqual(got, want) {
			t.Errorf("US holidays: got %v, want %v", got, want)
		}
		if got, want := us.FeeBands[inspection.GradeDestroy], (inspection.FeeBand{MaxPercent: 40, SuggestedPercent: 30}); got != want {
			t.Errorf("US destroy band: got %v, want %v", got, want)
		}
		if got, want := us.FeeBands[inspection.GradeRefurbishedUsed], (inspection.FeeBand{MaxPercent: 50, SuggestedPercent: 20}); got != want {
			t.Errorf("US refurbished band: got %v, want %v (built-in default)", got, want)
		}
		if got, want := us.AtoZAppealDays, 30; got != want {
			t.Errorf("US atoz_appeal_days: got %d, want %d", got, want)
		}

		uk := ps.For("UK")
		if got, want := uk.Marketplace, "UK"; got != want {
			t.Errorf("UK marketplace: got %q, want %q", got, want)
		}
		if got, want := uk.Timezone, "Europe/London"; got != want {
			t.Errorf("UK timezone: got %q, want %q", got, want)
		}
		if got, want := uk.Holidays, []string{"2026-12-25", "2026-12-28"}; !reflect.DeepEqual(got, want) {
			t.Errorf("UK holidays: got %v, want %v (an override's list replaces the default's)", got, want)
		}
		if got, want := uk.AtoZAppealDays, 14; got != want {
			t.Errorf("UK atoz_appeal_days: got %d, want %d", got, want)
		}
		if got, want := uk.FeePhotoThresholdPercent, 10; got != want {
			t.Errorf("UK fee_photo_threshold_percent: got %d, want %d", got, want)
		}
		if got, want := uk.ClaimWindowClosesDays, 120; got != want {
			t.Errorf("UK claim_window_closes_days: got %d, want %d (inherited)", got, want)
		}
		// A band given in an override replaces that grade's band whole; other grades inherit.
		if got, want := uk.FeeBands[inspection.GradeRefurbishedUsed], (inspection.FeeBand{MaxPercent: 30}); got != want {
			t.Errorf("UK refurbished band: got %v, want %v", got, want)
		}
		if got, want := uk.FeeBands[inspection.GradeDestroy], (inspection.FeeBand{MaxPercent: 40, SuggestedPercent: 30}); got != want {
			t.Errorf("UK destroy band: got %v, want %v (from the loaded default)", got, want)
		}

		de := ps.For("DE")
		if got := de.Holidays; got == nil || len(got) != 0 {
			t.Errorf("DE holidays: got %#v, want an empty list (explicitly none)", got)
		}
	})

	t.Run("OK/Empty", func(t *testing.T) {
		ps := MustLoadPolicies(t, `{}`)
		if got, want := ps.For("UK"), inspection.DefaultPolicy(); !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})

	t.Run("OK/DoesNotChangeDefaults", func(t *testing.T) {
		MustLoadPolicies(t, `{"default": {"holidays": ["2026-01-01"], "fee_bands": {"resellable": {"max_percent": 5}}}}`)
		if got := inspection.DefaultPolicy(); got.Holidays != nil || got.FeeBands[inspection.GradeResellable].MaxPercent != 0 {
			t.Errorf("DefaultPolicy changed by a load: %+v", got)
		}
	})

	for _, tt := range []struct {
		name string
		file string
		want string // in the message
	}{
		{"ErrEmptyFile", ``, "empty"},
		{"ErrSyntax", `{"default": {`, "Policy file"},
		{"ErrTrailingData", `{} {}`, "unexpected data"},
		{"ErrUnknownTopLevelField", `{"defaults": {}}`, `unknown field "defaults"`},
		{"ErrUnknownField", `{"default": {"atoz_apeal_days": 14}}`, `Policy default: json: unknown field "atoz_apeal_days"`},
		{"ErrUnknownFieldInMarketplace", `{"marketplaces": {"UK": {"claim_window_days": 1}}}`, `marketplaces.UK: json: unknown field "claim_window_days"`},
		{"ErrUnknownFieldInFeeBand", `{"default": {"fee_bands": {"destroy": {"max": 10}}}}`, `unknown field "max"`},
		{"ErrWrongType", `{"default": {"atoz_appeal_days": "30"}}`, "atoz_appeal_days"},
		{"ErrBadAmount", `{"default": {"safet_max_amount": "lots"}}`, "Amount"},
		{"ErrBadTimezone", `{"marketplaces": {"UK": {"timezone": "Europe/Londn"}}}`, `marketplaces.UK: timezone "Europe/Londn"`},
		{"ErrLocalTimezone", `{"default": {"timezone": "Local"}}`, "timezone must be an IANA name"},
		{"ErrBadHoliday", `{"default": {"holidays": ["2026-12-25", "25/12/2026"]}}`, `holidays: "25/12/2026"`},
		{"ErrZeroWindow", `{"default": {"claim_window_opens_days": 0}}`, "claim_window_opens_days must be between 1 and"},
		{"ErrNegativeWindow", `{"marketplaces": {"UK": {"safet_window_days": -1}}}`, "marketplaces.UK: safet_window_days must be between 1 and"},
		{"ErrTypoSizedWindow", `{"default": {"atoz_appeal_days": 30000}}`, "atoz_appeal_days must be between 1 and 3650"},
		{"ErrOpensAfterCloses", `{"marketplaces": {"UK": {"claim_window_opens_days": 130}}}`, "claim_window_opens_days (130) must not be after claim_window_closes_days (120)"},
		{"ErrMaxAmount", `{"default": {"safet_max_amount": -1}}`, "safet_max_amount must be positive"},
		{"ErrPercent", `{"default": {"fee_photo_threshold_percent": 120}}`, "fee_photo_threshold_percent must be between 1 and 100"},
		{"ErrDamagedPercent", `{"default": {"safet_customer_damaged_max_percent": 0}}`, "safet_customer_damaged_max_percent must be between 1 and 100"},
		{"ErrBandPercent", `{"default": {"fee_bands": {"destroy": {"max_percent": 101}}}}`, "fee_bands.destroy.max_percent must be between 0 and 100"},
		{"ErrSuggestedAboveMax", `{"default": {"fee_bands": {"refurbished_used": {"max_percent": 10, "suggested_percent": 20}}}}`, "fee_bands.refurbished_used.suggested_percent"},
		{"ErrUnknownGrade", `{"default": {"fee_bands": {"refurbished": {"max_percent": 10}}}}`, `fee_bands: "refurbished" is not a grade`},
		{"ErrDefaultMarketplace", `{"default": {"marketplace": "US"}}`, "marketplace must be empty"},
		{"ErrMarketplaceMismatch", `{"marketplaces": {"UK": {"marketplace": "DE"}}}`, `marketplace is "DE"`},
		{"ErrEmptyMarketplaceName", `{"marketplaces": {"": {}}}`, "cannot be empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := inspection.LoadPolicies(strings.NewReader(tt.file))
			if err == nil {
				t.Fatalf("got %+v, nil error; want an error", ps)
			}
			if got, want := inspection.ErrorCode(err), inspection.EINVALID; got != want {
				t.Errorf("code: got %q, want %q (%v)", got, want, err)
			}
			if got := inspection.ErrorMessage(err); !strings.Contains(got, tt.want) {
				t.Errorf("message: got %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func TestPoliciesFor(t *testing.T) {
	t.Run("OK/PartialOverrideInherits", func(t *testing.T) {
		ps := inspection.DefaultPolicies()
		ps.ByMarketplace["UK"] = inspection.Policy{AtoZAppealDays: 14, Timezone: "Europe/London"}
		got := ps.For("UK")
		want := inspection.DefaultPolicy()
		want.Marketplace, want.AtoZAppealDays, want.Timezone = "UK", 14, "Europe/London"
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})

	t.Run("OK/ZeroPoliciesAreDefaults", func(t *testing.T) {
		var zero inspection.Policies
		if got, want := zero.For("UK"), inspection.DefaultPolicy(); !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
		var nilPolicies *inspection.Policies
		if got, want := nilPolicies.For("UK"), inspection.DefaultPolicy(); !reflect.DeepEqual(got, want) {
			t.Errorf("nil: got %+v, want %+v", got, want)
		}
	})

	t.Run("OK/CallerOwnsTheCopy", func(t *testing.T) {
		ps := MustLoadPolicies(t, `{"default": {"holidays": ["2026-12-25"]}, "marketplaces": {"UK": {}}}`)
		for _, m := range []string{"UK", "US"} {
			p := ps.For(m)
			p.Holidays[0] = "2000-01-01"
			p.FeeBands[inspection.GradeDestroy] = inspection.FeeBand{}
		}
		for _, m := range []string{"UK", "US"} {
			p := ps.For(m)
			if got, want := p.Holidays[0], "2026-12-25"; got != want {
				t.Errorf("%s holiday: got %q, want %q", m, got, want)
			}
			if got, want := p.FeeBands[inspection.GradeDestroy].MaxPercent, 50; got != want {
				t.Errorf("%s destroy band: got %d, want %d", m, got, want)
			}
		}
	})

	// Every field of a complete override must survive the merge: this fails
	// when a field is added to Policy but not to the merge.
	t.Run("OK/EveryFieldOverrides", func(t *testing.T) {
		o := inspection.Policy{
			Marketplace:                    "JP",
			Timezone:                       "Asia/Tokyo",
			Holidays:                       []string{"2026-01-01"},
			FBAReturnWindowDays:            1,
			ClaimWindowOpensDays:           2,
			ClaimWindowClosesDays:          3,
			RefundDueBusinessDays:          4,
			AtoZResponseHours:              5,
			AtoZInfoResponseHours:          6,
			AtoZAppealDays:                 7,
			SafeTWindowDays:                8,
			SafeTMaxAmount:                 9,
			SafeTCustomerDamagedMaxPercent: 10,
			SafeTPhotoDays:                 11,
			FeeBands: map[inspection.Grade]inspection.FeeBand{
				inspection.GradeResellable: {MaxPercent: 1}, inspection.GradeRefurbishedUsed: {MaxPercent: 2}, inspection.GradeDestroy: {MaxPercent: 3},
			},
			FeePhotoThresholdPercent: 12,
		}
		v := reflect.ValueOf(o)
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				t.Fatalf("test override leaves %s zero: give it a value", v.Type().Field(i).Name)
			}
		}
		ps := &inspection.Policies{Default: inspection.DefaultPolicy(), ByMarketplace: map[string]inspection.Policy{"JP": o}}
		if got := ps.For("JP"); !reflect.DeepEqual(got, o) {
			t.Errorf("got %+v, want %+v", got, o)
		}
	})
}
