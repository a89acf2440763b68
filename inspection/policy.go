package inspection

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultTimezone is where business days are counted when a policy names
// none: the US marketplace, the one returnbench serves first, dates its
// reports in Pacific time.
const DefaultTimezone = "America/Los_Angeles"

// Policy holds the deadlines and fee rules of one marketplace. Amazon changes
// these figures over time (the FBA return window was 45 days before June
// 2021), so they live in configuration and the code only reads them.
//
// A zero field means "not set": Policies.For fills it from the default.
type Policy struct {
	Marketplace string   `json:"marketplace"` // "" = the default
	Timezone    string   `json:"timezone"`    // IANA name; business days and calendar days are counted here
	Holidays    []string `json:"holidays"`    // dates like "2026-12-25" that are not business days; an override's list replaces the default's

	FBAReturnWindowDays   int `json:"fba_return_window_days"`   // an FBA unit refunded is expected back within this many days
	ClaimWindowOpensDays  int `json:"claim_window_opens_days"`  // a refunded-but-not-returned claim may be filed from this day after the refund...
	ClaimWindowClosesDays int `json:"claim_window_closes_days"` // ...until this day
	RefundDueBusinessDays int `json:"refund_due_business_days"` // MFN: refund within this many business days of arrival

	AtoZResponseHours     int `json:"atoz_response_hours"`      // answer an A-to-z claim within this many hours
	AtoZInfoResponseHours int `json:"atoz_info_response_hours"` // Amazon asks for information: the outer edge of its 48-72 h range
	AtoZAppealDays        int `json:"atoz_appeal_days"`         // appeal a decision within this many days

	SafeTWindowDays                int   `json:"safet_window_days"`                  // file a SAFE-T claim within this many days of the refund
	SafeTMaxAmount                 Cents `json:"safet_max_amount"`                   // the most one SAFE-T claim can recover
	SafeTCustomerDamagedMaxPercent int   `json:"safet_customer_damaged_max_percent"` // customer-damaged items are reimbursed at most this share
	SafeTPhotoDays                 int   `json:"safet_photo_days"`                   // photos are due this many days after arrival

	FeeBands                 map[Grade]FeeBand `json:"fee_bands"`                   // per grade; an override's band replaces that grade's band whole
	FeePhotoThresholdPercent int               `json:"fee_photo_threshold_percent"` // a fee of this percent or more needs a photo of the item
}

// FeeBand bounds the restocking fee a grade may carry, so a bench cannot
// charge a buyer more than the seller's published policy allows.
type FeeBand struct {
	MaxPercent       int `json:"max_percent"`
	SuggestedPercent int `json:"suggested_percent"`
}

// DefaultPolicy returns the figures DOMAIN.md gives for Amazon today. Each
// call returns fresh maps and slices, so a caller may change its copy.
func DefaultPolicy() Policy {
	return Policy{
		Timezone:                       DefaultTimezone,
		FBAReturnWindowDays:            60,
		ClaimWindowOpensDays:           60,
		ClaimWindowClosesDays:          120,
		RefundDueBusinessDays:          2,
		AtoZResponseHours:              48,
		AtoZInfoResponseHours:          72,
		AtoZAppealDays:                 30,
		SafeTWindowDays:                60,
		SafeTMaxAmount:                 5000_00,
		SafeTCustomerDamagedMaxPercent: 50,
		SafeTPhotoDays:                 7,
		FeeBands: map[Grade]FeeBand{
			// Items back in original condition carry no fee.
			GradeResellable:      {MaxPercent: 0, SuggestedPercent: 0},
			GradeRefurbishedUsed: {MaxPercent: 50, SuggestedPercent: 20},
			GradeDestroy:         {MaxPercent: 50, SuggestedPercent: 50},
		},
		FeePhotoThresholdPercent: 20,
	}
}

// clone copies p deeply enough that decoding into or editing the copy never
// reaches p's holidays or fee bands (json reuses a slice's backing array and
// adds to an existing map).
func (p Policy) clone() Policy {
	p.Holidays = slices.Clone(p.Holidays)
	p.FeeBands = maps.Clone(p.FeeBands)
	return p
}

// inherit returns o with every field it leaves zero taken from base. Zero
// is never a meaningful setting (Validate rejects it), so it can mean
// "not set". A nil holiday list inherits; an empty one means "no holidays".
func inherit(base, o Policy) Policy {
	out := Policy{
		Marketplace:                    o.Marketplace,
		Timezone:                       cmp.Or(o.Timezone, base.Timezone),
		Holidays:                       slices.Clone(o.Holidays),
		FBAReturnWindowDays:            cmp.Or(o.FBAReturnWindowDays, base.FBAReturnWindowDays),
		ClaimWindowOpensDays:           cmp.Or(o.ClaimWindowOpensDays, base.ClaimWindowOpensDays),
		ClaimWindowClosesDays:          cmp.Or(o.ClaimWindowClosesDays, base.ClaimWindowClosesDays),
		RefundDueBusinessDays:          cmp.Or(o.RefundDueBusinessDays, base.RefundDueBusinessDays),
		AtoZResponseHours:              cmp.Or(o.AtoZResponseHours, base.AtoZResponseHours),
		AtoZInfoResponseHours:          cmp.Or(o.AtoZInfoResponseHours, base.AtoZInfoResponseHours),
		AtoZAppealDays:                 cmp.Or(o.AtoZAppealDays, base.AtoZAppealDays),
		SafeTWindowDays:                cmp.Or(o.SafeTWindowDays, base.SafeTWindowDays),
		SafeTMaxAmount:                 cmp.Or(o.SafeTMaxAmount, base.SafeTMaxAmount),
		SafeTCustomerDamagedMaxPercent: cmp.Or(o.SafeTCustomerDamagedMaxPercent, base.SafeTCustomerDamagedMaxPercent),
		SafeTPhotoDays:                 cmp.Or(o.SafeTPhotoDays, base.SafeTPhotoDays),
		FeePhotoThresholdPercent:       cmp.Or(o.FeePhotoThresholdPercent, base.FeePhotoThresholdPercent),
	}
	if o.Holidays == nil {
		out.Holidays = slices.Clone(base.Holidays)
	}
	out.FeeBands = make(map[Grade]FeeBand, len(base.FeeBands))
	maps.Copy(out.FeeBands, base.FeeBands)
	maps.Copy(out.FeeBands, o.FeeBands)
	return out
}

// Validate reports the first setting that would make deadlines or fees
// wrong, naming it as it is spelled in the policy file.
func (p Policy) Validate() error {
	if p.Timezone == "" || p.Timezone == "Local" {
		// "Local" would make deadlines depend on the server's clock setting.
		return Errorf(EINVALID, "timezone must be an IANA name such as %q.", DefaultTimezone)
	}
	if _, err := time.LoadLocation(p.Timezone); err != nil {
		return Errorf(EINVALID, "timezone %q is not a known IANA time zone.", p.Timezone)
	}
	for _, h := range p.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			return Errorf(EINVALID, "holidays: %q is not a date like 2026-12-25.", h)
		}
	}
	// The upper bounds catch typos (1200 for 120) before they hide a deadline for years.
	for _, f := range []struct {
		name     string
		value    int
		max      int
		unitName string
	}{
		{"fba_return_window_days", p.FBAReturnWindowDays, 3650, "days"},
		{"claim_window_opens_days", p.ClaimWindowOpensDays, 3650, "days"},
		{"claim_window_closes_days", p.ClaimWindowClosesDays, 3650, "days"},
		{"refund_due_business_days", p.RefundDueBusinessDays, 365, "business days"},
		{"atoz_response_hours", p.AtoZResponseHours, 8760, "hours"},
		{"atoz_info_response_hours", p.AtoZInfoResponseHours, 8760, "hours"},
		{"atoz_appeal_days", p.AtoZAppealDays, 3650, "days"},
		{"safet_window_days", p.SafeTWindowDays, 3650, "days"},
		{"safet_photo_days", p.SafeTPhotoDays, 3650, "days"},
	} {
		if f.value < 1 || f.value > f.max {
			return Errorf(EINVALID, "%s must be between 1 and %d %s, not %d.", f.name, f.max, f.unitName, f.value)
		}
	}
	if p.ClaimWindowOpensDays > p.ClaimWindowClosesDays {
		return Errorf(EINVALID, "claim_window_opens_days (%d) must not be after claim_window_closes_days (%d).",
			p.ClaimWindowOpensDays, p.ClaimWindowClosesDays)
	}
	if p.SafeTMaxAmount <= 0 {
		return Errorf(EINVALID, "safet_max_amount must be positive, not %s.", p.SafeTMaxAmount)
	}
	// Zero would mean "inherit" in an override, so it cannot be a setting;
	// 1 already means "any fee needs a photo".
	for _, f := range []struct {
		name  string
		value int
	}{
		{"safet_customer_damaged_max_percent", p.SafeTCustomerDamagedMaxPercent},
		{"fee_photo_threshold_percent", p.FeePhotoThresholdPercent},
	} {
		if f.value < 1 || f.value > 100 {
			return Errorf(EINVALID, "%s must be between 1 and 100, not %d.", f.name, f.value)
		}
	}
	for _, g := range slices.Sorted(maps.Keys(p.FeeBands)) {
		if !ValidGrade(g) {
			return Errorf(EINVALID, "fee_bands: %q is not a grade (use resellable, refurbished_used or destroy).", g)
		}
	}
	for _, g := range grades {
		b, ok := p.FeeBands[g]
		switch {
		case !ok:
			return Errorf(EINVALID, "fee_bands.%s is missing.", g)
		case b.MaxPercent < 0 || b.MaxPercent > 100:
			return Errorf(EINVALID, "fee_bands.%s.max_percent must be between 0 and 100, not %d.", g, b.MaxPercent)
		case b.SuggestedPercent < 0 || b.SuggestedPercent > b.MaxPercent:
			return Errorf(EINVALID, "fee_bands.%s.suggested_percent must be between 0 and max_percent (%d), not %d.",
				g, b.MaxPercent, b.SuggestedPercent)
		}
	}
	return nil
}

// Policies is the default plus per-marketplace overrides. Fields an
// override leaves zero or absent inherit the default, so a marketplace's
// entry only says how it differs.
type Policies struct {
	Default       Policy            `json:"default"`
	ByMarketplace map[string]Policy `json:"marketplaces"`
}

// DefaultPolicies is what a server runs with when no policy file is given.
func DefaultPolicies() *Policies {
	return &Policies{Default: DefaultPolicy(), ByMarketplace: map[string]Policy{}}
}

// For returns the complete policy of a marketplace: its override over the
// default, or the default for a marketplace without one. The result is the
// caller's own copy.
func (p *Policies) For(marketplace string) Policy {
	if p == nil {
		return DefaultPolicy()
	}
	def := inherit(DefaultPolicy(), p.Default)
	key := MarketplaceKey(marketplace)
	o, ok := p.ByMarketplace[key]
	if !ok {
		return def
	}
	merged := inherit(def, o)
	merged.Marketplace = key
	return merged
}

// LoadPolicies reads a policy file:
//
//	{"default": {...}, "marketplaces": {"UK": {...}}}
//
// Each section names only what differs: "default" is laid over
// DefaultPolicy and each marketplace over the resulting default. Unknown
// fields are rejected, because a misspelt field would otherwise be silently
// ignored and a deadline silently left at its default. Every error is
// EINVALID with a message naming the section and the field.
func LoadPolicies(r io.Reader) (*Policies, error) {
	var file struct {
		Default      json.RawMessage            `json:"default"`
		Marketplaces map[string]json.RawMessage `json:"marketplaces"`
	}
	if err := decodeStrict(r, &file); err != nil {
		return nil, Errorf(EINVALID, "Policy file: %s", err)
	}

	def := DefaultPolicy()
	if file.Default != nil {
		if err := decodeStrict(bytes.NewReader(file.Default), &def); err != nil {
			return nil, Errorf(EINVALID, "Policy default: %s", err)
		}
	}
	if def.Marketplace != "" {
		return nil, Errorf(EINVALID, "Policy default: marketplace must be empty, not %q; put overrides under \"marketplaces\".", def.Marketplace)
	}
	if err := def.Validate(); err != nil {
		return nil, Errorf(EINVALID, "Policy default: %s", ErrorMessage(err))
	}

	ps := &Policies{Default: def, ByMarketplace: make(map[string]Policy, len(file.Marketplaces))}
	// Sorted so that a file with several mistakes always reports the same one first.
	for _, name := range slices.Sorted(maps.Keys(file.Marketplaces)) {
		if name == "" {
			return nil, Errorf(EINVALID, "Policy marketplaces: a marketplace name cannot be empty.")
		}
		p := def.clone()
		if err := decodeStrict(bytes.NewReader(file.Marketplaces[name]), &p); err != nil {
			return nil, Errorf(EINVALID, "Policy marketplaces.%s: %s", name, err)
		}
		if p.Marketplace != "" && p.Marketplace != name {
			return nil, Errorf(EINVALID, "Policy marketplaces.%s: marketplace is %q; leave it out or use %q.", name, p.Marketplace, name)
		}
		p.Marketplace = name
		if err := p.Validate(); err != nil {
			return nil, Errorf(EINVALID, "Policy marketplaces.%s: %s", name, ErrorMessage(err))
		}
		key := MarketplaceKey(name)
		if _, dup := ps.ByMarketplace[key]; dup {
			return nil, Errorf(EINVALID, "Policy marketplaces.%s: named twice (marketplace names ignore case).", name)
		}
		p.Marketplace = key
		ps.ByMarketplace[key] = p
	}
	return ps, nil
}

// decodeStrict decodes exactly one JSON value with no unknown fields, and
// words its errors for the person editing the file.
func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var appErr *Error
		switch {
		case errors.Is(err, io.EOF):
			return errors.New("it is empty; write {} for all defaults")
		case errors.As(err, &appErr):
			return errors.New(appErr.Message)
		}
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

// locations caches loaded time zones: loading one parses a tzdata file,
// and deadlines are computed for every row of a list.
var locations sync.Map // name -> *time.Location

// location is the policy's time zone. An unknown name (possible only in a
// policy that skipped Validate) falls back to UTC rather than failing a
// deadline computation.
// Location is the policy's time zone, in which business days and calendar
// days are counted.
func (p Policy) Location() *time.Location { return p.location() }

func (p Policy) location() *time.Location {
	name := cmp.Or(p.Timezone, DefaultTimezone)
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return time.UTC
	}
	locations.Store(name, loc)
	return loc
}

// MarketplaceKey is the form marketplace names are compared in: "uk", "UK"
// and " UK " are one marketplace.
func MarketplaceKey(name string) string { return strings.ToUpper(strings.TrimSpace(name)) }
