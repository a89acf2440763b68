package evidence

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/returnbench/returnbench/inspection"
)

func TestMissing(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	media := func(kind, status string, at time.Time) inspection.Media {
		return inspection.Media{ID: kind + "-" + status + at.Format("150405.000"), Kind: kind, Status: status, CapturedAt: ptr(at)}
	}
	v := func(kind string) inspection.Media { return media(kind, inspection.MediaVerified, t0) }
	n := 0
	vn := func(kind string) inspection.Media { // distinct verified files of one kind
		n++
		return media(kind, inspection.MediaVerified, t0.Add(time.Duration(n)*time.Millisecond))
	}
	label, video, contents := v(inspection.MediaLabelCloseup), v(inspection.MediaUnboxingVideo), v(inspection.MediaContents)
	fourSides := []inspection.Media{vn(inspection.MediaContents), vn(inspection.MediaContents), vn(inspection.MediaDamage), vn(inspection.MediaContents)}
	pkg := v(inspection.MediaPackage)
	safeT := func(f *Facts) {
		f.Inspection.Verdict = inspection.VerdictNotApplicable
		f.Media = append(slices.Clone(fourSides), pkg, label)
	}

	for _, tt := range []struct {
		name     string
		c        Case
		media    []inspection.Media
		edit     func(f *Facts)
		want     []string // blocking requirement codes, in order
		warnings []string
		message  string // a requirement's message must contain this
	}{
		// false_defective
		{name: "FalseDefective/OK", c: CaseFalseDefective, media: []inspection.Media{label, video}},
		{name: "FalseDefective/OKWithContentsPhotos", c: CaseFalseDefective, media: []inspection.Media{label, contents}},
		{name: "FalseDefective/ErrLabelPhoto", c: CaseFalseDefective, media: []inspection.Media{video}, want: []string{ReqLabelPhoto}},
		{name: "FalseDefective/ErrLabelPhotoUploading", c: CaseFalseDefective,
			media: []inspection.Media{media(inspection.MediaLabelCloseup, inspection.MediaUploading, t0), video},
			want:  []string{ReqLabelPhoto}, message: "waiting for upload"},
		{name: "FalseDefective/ErrLabelPhotoRejected", c: CaseFalseDefective,
			media: []inspection.Media{media(inspection.MediaLabelCloseup, inspection.MediaRejected, t0), video},
			want:  []string{ReqLabelPhoto}},
		{name: "FalseDefective/ErrUnboxingEvidence", c: CaseFalseDefective, media: []inspection.Media{label, pkg}, want: []string{ReqUnboxingEvidence}},
		{name: "FalseDefective/ErrVerdict", c: CaseFalseDefective, media: []inspection.Media{label, video},
			edit: func(f *Facts) { f.Inspection.Verdict = inspection.VerdictClaimSupported }, want: []string{ReqVerdict}},
		{name: "FalseDefective/ErrReasonNotSellerFault", c: CaseFalseDefective, media: []inspection.Media{label, video},
			edit: func(f *Facts) { f.Return.Reason, f.Return.ReasonRaw = "", "CR-UNWANTED_ITEM" },
			want: []string{ReqReasonBlames}, message: "UNWANTED_ITEM"},
		{name: "FalseDefective/ErrNoReturn", c: CaseFalseDefective, media: []inspection.Media{label, video},
			edit: func(f *Facts) { f.Return = nil }, want: []string{ReqReturnRequired}},

		// item_swapped
		{name: "ItemSwapped/OK", c: CaseItemSwapped, media: []inspection.Media{label, v(inspection.MediaSerial)},
			edit: func(f *Facts) {
				f.Inspection.Verdict = inspection.VerdictItemSwapped
				f.Inspection.Checklist.SameItem = ptr(false)
			}},
		{name: "ItemSwapped/ErrAll", c: CaseItemSwapped, media: []inspection.Media{pkg},
			want: []string{ReqLabelPhoto, ReqItemPhoto, ReqSameItem, ReqVerdict}},
		{name: "ItemSwapped/ErrSameItemNotChecked", c: CaseItemSwapped, media: []inspection.Media{label, contents},
			edit: func(f *Facts) {
				f.Inspection.Verdict = inspection.VerdictItemSwapped
				f.Inspection.Checklist.SameItem = nil
			},
			want: []string{ReqSameItem}},

		// safet_claim: refunded two days before t0, arrived two hours before.
		{name: "SafeT/OK", c: CaseSafeTClaim, edit: safeT, warnings: []string{ReqInvoice}},
		{name: "SafeT/ErrThreeSides", c: CaseSafeTClaim,
			edit: func(f *Facts) { safeT(f); f.Media = append(slices.Clone(fourSides[:3]), pkg) },
			want: []string{ReqFourSides}, warnings: []string{ReqInvoice}, message: "(3 of 4)"},
		{name: "SafeT/ErrPackagePhoto", c: CaseSafeTClaim,
			edit: func(f *Facts) { safeT(f); f.Media = slices.Clone(fourSides) },
			want: []string{ReqPackagePhoto}, warnings: []string{ReqInvoice}},
		{name: "SafeT/ErrFBA", c: CaseSafeTClaim,
			edit: func(f *Facts) { safeT(f); f.Return.Channel = inspection.ChannelFBA },
			want: []string{ReqSellerFulfilled}, warnings: []string{ReqInvoice}},
		{name: "SafeT/ErrNotRefunded", c: CaseSafeTClaim,
			edit: func(f *Facts) { safeT(f); f.Return.RefundedAt = nil },
			want: []string{ReqRefundDate}, warnings: []string{ReqInvoice}},
		{name: "SafeT/ErrWindowClosed", c: CaseSafeTClaim,
			edit: func(f *Facts) {
				safeT(f)
				f.Return.RefundedAt = ptr(t0.Add(-61 * day))
			},
			want: []string{ReqSafeTWindowClosed}, warnings: []string{ReqInvoice}, message: "60 days after the refund"},
		{name: "SafeT/OKLastDayOfWindow", c: CaseSafeTClaim,
			edit: func(f *Facts) {
				safeT(f)
				f.Return.RefundedAt = ptr(t0.Add(-59 * day))
			},
			warnings: []string{ReqInvoice}},
		{name: "SafeT/ErrPhotosLate", c: CaseSafeTClaim,
			edit: func(f *Facts) {
				safeT(f)
				late := media(inspection.MediaDamage, inspection.MediaVerified, f.Return.ArrivedAt.Add(8*day))
				f.Media = append(f.Media, late)
				f.Now = late.CapturedAt.Add(time.Hour)
			},
			want: []string{ReqPhotosLate}, warnings: []string{ReqInvoice}, message: "1 photo(s)"},
		{name: "SafeT/ErrNoArrival", c: CaseSafeTClaim,
			edit: func(f *Facts) { safeT(f); f.Return.ArrivedAt = nil },
			want: []string{ReqArrivalDate}, warnings: []string{ReqInvoice}},

		// restocking_fee (threshold 20%)
		{name: "RestockingFee/OKBelowPhotoThreshold", c: CaseRestockingFee, media: []inspection.Media{label},
			edit: func(f *Facts) { f.Inspection.RestockingFeePercent = 15 }},
		{name: "RestockingFee/OKWithPhoto", c: CaseRestockingFee, media: []inspection.Media{v(inspection.MediaDamage)},
			edit: func(f *Facts) { f.Inspection.RestockingFeePercent = 20 }},
		{name: "RestockingFee/ErrNoFee", c: CaseRestockingFee, media: []inspection.Media{label}, want: []string{ReqFee}},
		{name: "RestockingFee/ErrFeePhoto", c: CaseRestockingFee, media: []inspection.Media{label, pkg},
			edit: func(f *Facts) { f.Inspection.RestockingFeePercent = 20 }, want: []string{ReqFeePhoto}, message: "20%"},
		{name: "RestockingFee/ErrFBA", c: CaseRestockingFee, media: []inspection.Media{contents},
			edit: func(f *Facts) {
				f.Inspection.RestockingFeePercent = 20
				f.Return.Channel = inspection.ChannelFBA
			},
			want: []string{ReqSellerFulfilled}},

		// atoz_response
		{name: "AtoZ/OK", c: CaseAtoZResponse, media: []inspection.Media{label, pkg},
			edit:     func(f *Facts) { f.Return.AtoZClaim = true },
			warnings: []string{ReqAtoZAttachments}, message: "Buyer-Seller Messages"},
		{name: "AtoZ/ErrPhoto", c: CaseAtoZResponse, media: []inspection.Media{label, video},
			edit: func(f *Facts) { f.Return.AtoZClaim = true },
			want: []string{ReqAnyPhoto}, warnings: []string{ReqAtoZAttachments}},
		{name: "AtoZ/WarnNoClaim", c: CaseAtoZResponse, media: []inspection.Media{label, contents},
			warnings: []string{ReqAtoZClaim, ReqAtoZAttachments}},

		{name: "ErrUnknownCase", c: Case("chargeback"), want: []string{ReqUnknownCase}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := testFacts(tt.media...)
			if tt.edit != nil {
				tt.edit(f)
			}
			reqs := Missing(f, tt.c)
			var got, warnings []string
			for _, r := range reqs {
				if r.Warning {
					warnings = append(warnings, r.Code)
				} else {
					got = append(got, r.Code)
				}
				if r.Message == "" {
					t.Errorf("requirement %s has no message", r.Code)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v (%+v)", got, tt.want, reqs)
			}
			if !slices.Equal(warnings, tt.warnings) {
				t.Errorf("warnings %v, want %v", warnings, tt.warnings)
			}
			if tt.message != "" && !slices.ContainsFunc(reqs, func(r Requirement) bool { return strings.Contains(r.Message, tt.message) }) {
				t.Errorf("no message contains %q: %+v", tt.message, reqs)
			}
		})
	}
}

func TestDefaultCase(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		edit func(f *Facts)
		want Case
	}{
		{"ClaimDisputed", func(f *Facts) {}, CaseFalseDefective},
		{"ItemSwapped", func(f *Facts) { f.Inspection.Verdict = inspection.VerdictItemSwapped }, CaseItemSwapped},
		{"Fee", func(f *Facts) {
			f.Inspection.Verdict = inspection.VerdictNotApplicable
			f.Inspection.RestockingFeePercent = 20
		}, CaseRestockingFee},
		{"AtoZ", func(f *Facts) {
			f.Inspection.Verdict = inspection.VerdictClaimSupported
			f.Return.AtoZClaim = true
		}, CaseAtoZResponse},
		{"DamagedRefundedMFN", func(f *Facts) {
			f.Inspection.Verdict = inspection.VerdictNotApplicable
			f.Inspection.Grade = inspection.GradeDestroy
		}, CaseSafeTClaim},
		{"UnexpectedReturn", func(f *Facts) {
			f.Inspection.Verdict = inspection.VerdictNotApplicable
			f.Return = nil
		}, CaseFalseDefective},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := testFacts()
			tt.edit(f)
			if got := DefaultCase(f); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseCase(t *testing.T) {
	t.Parallel()
	for _, c := range Cases {
		if got, err := ParseCase(string(c)); err != nil || got != c {
			t.Errorf("ParseCase(%q) = %q, %v", c, got, err)
		}
	}
	if _, err := ParseCase("chargeback"); inspection.ErrorCode(err) != inspection.EINVALID {
		t.Errorf("ParseCase(chargeback) error %v, want %s", err, inspection.EINVALID)
	}
}
