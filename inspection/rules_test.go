package inspection_test

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/returnbench/returnbench/inspection"
)

func TestDispositionsFor(t *testing.T) {
	for _, tt := range []struct {
		grade inspection.Grade
		want  []inspection.Disposition
	}{
		{inspection.GradeResellable, []inspection.Disposition{inspection.DispositionRelabelRestock}},
		{inspection.GradeRefurbishedUsed, []inspection.Disposition{inspection.DispositionListUsed, inspection.DispositionRefurbish}},
		{inspection.GradeDestroy, []inspection.Disposition{inspection.DispositionDispose, inspection.DispositionRemoval, inspection.DispositionDonate}},
		{"new", nil},
		{"", nil},
	} {
		t.Run(cmp.Or(string(tt.grade), "empty"), func(t *testing.T) {
			if got := inspection.DispositionsFor(tt.grade); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidEnums(t *testing.T) {
	for _, tt := range []struct {
		name string
		got  bool
		want bool
	}{
		{"Grade/resellable", inspection.ValidGrade(inspection.GradeResellable), true},
		{"Grade/refurbished_used", inspection.ValidGrade(inspection.GradeRefurbishedUsed), true},
		{"Grade/destroy", inspection.ValidGrade(inspection.GradeDestroy), true},
		{"Grade/empty", inspection.ValidGrade(""), false},
		{"Grade/Resellable", inspection.ValidGrade("Resellable"), false},
		{"Verdict/claim_supported", inspection.ValidVerdict(inspection.VerdictClaimSupported), true},
		{"Verdict/claim_disputed", inspection.ValidVerdict(inspection.VerdictClaimDisputed), true},
		{"Verdict/item_swapped", inspection.ValidVerdict(inspection.VerdictItemSwapped), true},
		{"Verdict/not_applicable", inspection.ValidVerdict(inspection.VerdictNotApplicable), true},
		{"Verdict/empty", inspection.ValidVerdict(""), false},
		{"UsedCondition/like_new", inspection.ValidUsedCondition(inspection.UsedLikeNew), true},
		{"UsedCondition/very_good", inspection.ValidUsedCondition(inspection.UsedVeryGood), true},
		{"UsedCondition/good", inspection.ValidUsedCondition(inspection.UsedGood), true},
		{"UsedCondition/acceptable", inspection.ValidUsedCondition(inspection.UsedAcceptable), true},
		{"UsedCondition/mint", inspection.ValidUsedCondition("mint"), false},
		{"Disposition/donate", inspection.ValidDisposition(inspection.DispositionDonate), true},
		{"Disposition/burn", inspection.ValidDisposition("burn"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestValidateDraft(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   inspection.Inspection
		want string // in the message; "" = valid
	}{
		{"OK/Empty", inspection.Inspection{}, ""},
		{"OK/Complete", completeInspection(), ""},
		{"OK/DispositionBeforeGrade", inspection.Inspection{Disposition: inspection.DispositionDonate}, ""},
		{"OK/UsedConditionBeforeDisposition", inspection.Inspection{Grade: inspection.GradeRefurbishedUsed, UsedCondition: inspection.UsedGood}, ""},
		{"OK/NotesAtLimitInCharacters", inspection.Inspection{Notes: strings.Repeat("é", 8000)}, ""},
		{"OK/ScannedCodeAtLimit", inspection.Inspection{ScannedCode: strings.Repeat("1", 128)}, ""},
		{"ErrInvalidField/Status", inspection.Inspection{Status: "done"}, `Status "done"`},
		{"ErrInvalidField/Grade", inspection.Inspection{Grade: "new"}, `Grade "new"`},
		{"ErrInvalidField/Verdict", inspection.Inspection{Verdict: "yes"}, `Verdict "yes"`},
		{"ErrInvalidField/UsedCondition", inspection.Inspection{Grade: inspection.GradeRefurbishedUsed, UsedCondition: "mint"}, `Used condition "mint"`},
		{"ErrInvalidField/Disposition", inspection.Inspection{Disposition: "burn"}, `Disposition "burn"`},
		{"ErrInvalidField/FeeAbove100", inspection.Inspection{RestockingFeePercent: 101}, "between 0 and 100%"},
		{"ErrInvalidField/NegativeFee", inspection.Inspection{RestockingFeePercent: -1}, "between 0 and 100%"},
		{"ErrInvalidField/NegativeAmount", inspection.Inspection{RestockingFeeAmount: -1}, "amount cannot be negative"},
		{"ErrInvalidField/Notes", inspection.Inspection{Notes: strings.Repeat("a", 8001)}, "Notes are 8001 characters"},
		{"ErrInvalidField/ScannedCode", inspection.Inspection{ScannedCode: strings.Repeat("1", 129)}, "scanned code is 129 characters"},
		{"ErrDispositionNotAllowed", inspection.Inspection{Grade: inspection.GradeResellable, Disposition: inspection.DispositionDispose},
			"Disposition dispose does not fit grade resellable: choose relabel_restock."},
		{"ErrUsedConditionNotAllowed/Grade", inspection.Inspection{Grade: inspection.GradeDestroy, UsedCondition: inspection.UsedGood},
			"only to grade refurbished_used"},
		{"ErrUsedConditionNotAllowed/NoGrade", inspection.Inspection{UsedCondition: inspection.UsedGood}, "only to grade refurbished_used"},
		{"ErrUsedConditionNotAllowed/Disposition", inspection.Inspection{Grade: inspection.GradeRefurbishedUsed,
			Disposition: inspection.DispositionRefurbish, UsedCondition: inspection.UsedGood}, "only to items listed as used"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := inspection.ValidateDraft(&tt.in)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if got, want := inspection.ErrorCode(err), inspection.EINVALID; got != want {
				t.Fatalf("code: got %q, want %q (%v)", got, want, err)
			}
			if got := inspection.ErrorMessage(err); !strings.Contains(got, tt.want) {
				t.Errorf("message: got %q, want it to contain %q", got, tt.want)
			}
		})
	}

	t.Run("ErrInvalidField/Nil", func(t *testing.T) {
		if got, want := inspection.ErrorCode(inspection.ValidateDraft(nil)), inspection.EINVALID; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})

	t.Run("ErrInvalidField/ListsEveryProblem", func(t *testing.T) {
		err := inspection.ValidateDraft(&inspection.Inspection{Grade: "new", Verdict: "yes"})
		if msg := inspection.ErrorMessage(err); !strings.Contains(msg, `Grade "new"`) || !strings.Contains(msg, `Verdict "yes"`) {
			t.Errorf("got %q, want both problems", msg)
		}
	})
}

// completeInspection is a disputed DEFECTIVE claim that can be completed:
// the item works and is listed as used, with a 20% fee.
func completeInspection() inspection.Inspection {
	return inspection.Inspection{
		Grade:                inspection.GradeRefurbishedUsed,
		Disposition:          inspection.DispositionListUsed,
		UsedCondition:        inspection.UsedGood,
		Verdict:              inspection.VerdictClaimDisputed,
		RestockingFeePercent: 20,
		Checklist:            inspection.Checklist{SignsOfUse: ptr(true), SameItem: ptr(true)},
	}
}

func defectiveReturn() *inspection.Return {
	return &inspection.Return{Channel: inspection.ChannelMFN, ReasonRaw: "CR-DEFECTIVE", Reason: "DEFECTIVE", OrderAmount: 4999}
}

func media(kindStatus ...string) []inspection.Media {
	var ms []inspection.Media
	for _, ks := range kindStatus {
		kind, status, _ := strings.Cut(ks, ":")
		ms = append(ms, inspection.Media{Kind: kind, Status: status})
	}
	return ms
}

func TestCompletionCheck(t *testing.T) {
	p := inspection.DefaultPolicy()
	evidence := media("label_closeup:declared", "contents:uploading")

	for _, tt := range []struct {
		name  string
		edit  func(in *inspection.Inspection, ret *inspection.Return)
		ret   *inspection.Return // nil: defectiveReturn()
		noRet bool               // an unexpected parcel
		media []inspection.Media // nil: evidence
		want  []string
	}{
		{name: "OK"},
		{name: "OK/VerifiedMedia", media: media("label_closeup:verified", "damage:verified")},
		{name: "OK/ReasonOnlyRaw", edit: func(_ *inspection.Inspection, r *inspection.Return) { r.Reason = "" }},
		{name: "OK/FeeBelowPhotoThreshold", media: media("label_closeup:declared"),
			edit: func(in *inspection.Inspection, _ *inspection.Return) { in.RestockingFeePercent = 19 }},
		{name: "OK/ResellableUnexpectedParcel", noRet: true, media: []inspection.Media{},
			edit: func(in *inspection.Inspection, _ *inspection.Return) {
				*in = inspection.Inspection{Grade: inspection.GradeResellable, Disposition: inspection.DispositionRelabelRestock,
					Verdict: inspection.VerdictNotApplicable, Checklist: inspection.Checklist{SignsOfUse: ptr(false), SameItem: ptr(true)}}
			}},
		{name: "OK/ItemSwappedWithoutSellerFault", media: media("label_closeup:declared"),
			edit: func(in *inspection.Inspection, r *inspection.Return) {
				in.Verdict, in.Grade, in.Disposition, in.UsedCondition, in.RestockingFeePercent =
					inspection.VerdictItemSwapped, inspection.GradeDestroy, inspection.DispositionRemoval, "", 0
				r.Reason = "UNWANTED_ITEM"
			}},
		{name: "OK/DestroyAtBandMax", edit: func(in *inspection.Inspection, _ *inspection.Return) {
			in.Grade, in.Disposition, in.UsedCondition, in.RestockingFeePercent = inspection.GradeDestroy, inspection.DispositionDonate, "", 50
		}},
		{name: "ErrGradeRequired+ErrDispositionRequired+ErrVerdictRequired",
			edit: func(in *inspection.Inspection, _ *inspection.Return) { *in = inspection.Inspection{} },
			want: []string{inspection.ErrGradeRequired, inspection.ErrDispositionRequired, inspection.ErrVerdictRequired}},
		{name: "ErrUsedConditionRequired",
			edit: func(in *inspection.Inspection, _ *inspection.Return) { in.UsedCondition = "" },
			want: []string{inspection.ErrUsedConditionRequired}},
		{name: "ErrLabelPhotoRequired/Disputed", media: media("contents:verified"),
			want: []string{inspection.ErrLabelPhotoRequired}},
		{name: "ErrLabelPhotoRequired/Rejected", media: media("label_closeup:rejected", "contents:verified"),
			want: []string{inspection.ErrLabelPhotoRequired}},
		{name: "ErrLabelPhotoRequired/ItemSwapped", media: media("package:verified", "contents:verified"),
			edit: func(in *inspection.Inspection, _ *inspection.Return) { in.Verdict = inspection.VerdictItemSwapped },
			want: []string{inspection.ErrLabelPhotoRequired}},
		{name: "ErrFeePhotoRequired/NoItemPhoto", media: media("label_closeup:verified", "package:verified", "unboxing_video:verified"),
			want: []string{inspection.ErrFeePhotoRequired}},
		{name: "ErrFeePhotoRequired/ItemPhotoRejected", media: media("label_closeup:verified", "serial:rejected"),
			want: []string{inspection.ErrFeePhotoRequired}},
		{name: "ErrFeeAboveBand/Refurbished",
			edit: func(in *inspection.Inspection, _ *inspection.Return) { in.RestockingFeePercent = 51 },
			want: []string{inspection.ErrFeeAboveBand}},
		{name: "ErrFeeAboveBand/Resellable",
			edit: func(in *inspection.Inspection, _ *inspection.Return) {
				in.Grade, in.Disposition, in.UsedCondition, in.RestockingFeePercent = inspection.GradeResellable, inspection.DispositionRelabelRestock, "", 5
				in.Checklist = inspection.Checklist{}
			},
			want: []string{inspection.ErrFeeAboveBand}},
		{name: "ErrFeeNotAllowed",
			edit: func(_ *inspection.Inspection, r *inspection.Return) { r.Channel = inspection.ChannelFBA },
			want: []string{inspection.ErrFeeNotAllowed}},
		{name: "ErrVerdictNeedsReason/BuyerChangedMind",
			edit: func(in *inspection.Inspection, r *inspection.Return) {
				in.Verdict, r.Reason, r.ReasonRaw = inspection.VerdictClaimSupported, "UNWANTED_ITEM", "UNWANTED_ITEM"
			},
			want: []string{inspection.ErrVerdictNeedsReason}},
		{name: "ErrVerdictNeedsReason/NoReturn", noRet: true,
			want: []string{inspection.ErrVerdictNeedsReason}},
		{name: "ErrResellableNotIntact/SignsOfUse",
			edit: func(in *inspection.Inspection, _ *inspection.Return) {
				in.Grade, in.Disposition, in.UsedCondition, in.RestockingFeePercent = inspection.GradeResellable, inspection.DispositionRelabelRestock, "", 0
			},
			want: []string{inspection.ErrResellableNotIntact}},
		{name: "ErrResellableNotIntact/NotSameItem",
			edit: func(in *inspection.Inspection, _ *inspection.Return) {
				in.Grade, in.Disposition, in.UsedCondition, in.RestockingFeePercent = inspection.GradeResellable, inspection.DispositionRelabelRestock, "", 0
				in.Checklist = inspection.Checklist{SignsOfUse: ptr(false), SameItem: ptr(false)}
			},
			want: []string{inspection.ErrResellableNotIntact}},
		{name: "ErrDispositionNotAllowed",
			edit: func(in *inspection.Inspection, _ *inspection.Return) {
				in.Disposition, in.UsedCondition = inspection.DispositionDispose, ""
			},
			want: []string{inspection.ErrDispositionNotAllowed}},
		{name: "AllAtOnce", media: media("label_closeup:rejected", "contents:rejected"),
			edit: func(in *inspection.Inspection, r *inspection.Return) {
				in.UsedCondition, in.RestockingFeePercent = "", 60
				r.Channel, r.Reason = inspection.ChannelFBA, "NO_REASON_GIVEN"
			},
			want: []string{inspection.ErrUsedConditionRequired, inspection.ErrLabelPhotoRequired, inspection.ErrVerdictNeedsReason,
				inspection.ErrFeeNotAllowed, inspection.ErrFeePhotoRequired, inspection.ErrFeeAboveBand}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in, ret, ms := completeInspection(), defectiveReturn(), evidence
			if tt.media != nil {
				ms = tt.media
			}
			if tt.edit != nil {
				tt.edit(&in, ret)
			}
			if tt.noRet {
				ret = nil
			}
			problems := inspection.CompletionCheck(&in, ret, ms, p)
			var got []string
			for _, pr := range problems {
				got = append(got, pr.Code)
				if pr.Message == "" {
					t.Errorf("problem %s has no message", pr.Code)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v (%+v)", got, tt.want, problems)
			}
		})
	}

	t.Run("ErrLabelPhotoRequired/Message", func(t *testing.T) {
		in := completeInspection()
		problems := inspection.CompletionCheck(&in, defectiveReturn(), media("contents:declared"), p)
		want := inspection.Problem{Code: inspection.ErrLabelPhotoRequired, Message: "A disputed claim needs a close-up photo of the return label."}
		if len(problems) != 1 || problems[0] != want {
			t.Errorf("got %+v, want [%+v]", problems, want)
		}
	})

	t.Run("ErrFeePhotoRequired/PolicyThreshold", func(t *testing.T) {
		strict := inspection.DefaultPolicy()
		strict.FeePhotoThresholdPercent = 10
		in := completeInspection()
		in.RestockingFeePercent = 10
		ms := media("label_closeup:declared")
		if got := inspection.CompletionCheck(&in, defectiveReturn(), ms, p); len(got) != 0 {
			t.Errorf("default policy: got %+v, want none", got)
		}
		got := inspection.CompletionCheck(&in, defectiveReturn(), ms, strict)
		if len(got) != 1 || got[0].Code != inspection.ErrFeePhotoRequired {
			t.Errorf("threshold 10%%: got %+v, want [%s]", got, inspection.ErrFeePhotoRequired)
		}
	})
}

func TestCompletionError(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		if err := inspection.CompletionError(nil); err != nil {
			t.Errorf("got %v, want nil", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		err := inspection.CompletionError([]inspection.Problem{
			{Code: inspection.ErrGradeRequired, Message: "Choose a grade."},
			{Code: inspection.ErrVerdictRequired, Message: "Choose a verdict."},
		})
		if got, want := inspection.ErrorCode(err), inspection.EINVALID; got != want {
			t.Errorf("code: got %q, want %q", got, want)
		}
		if got, want := inspection.ErrorMessage(err), "The inspection cannot be completed: Choose a grade. Choose a verdict."; got != want {
			t.Errorf("message: got %q, want %q", got, want)
		}
	})
}

func TestRestockingFee(t *testing.T) {
	for _, tt := range []struct {
		name    string
		amount  inspection.Cents
		percent int
		want    inspection.Cents
	}{
		{"OK/RoundsUp", 1999, 20, 400},          // 399.8
		{"OK/HalfRoundsUp", 2550, 1, 26},        // 25.5
		{"OK/BelowHalfRoundsDown", 2549, 1, 25}, // 25.49
		{"OK/Exact", 1250, 20, 250},
		{"OK/Zero", 4999, 0, 0},
		{"OK/Whole", 4999, 100, 4999},
		{"OK/CappedAt100", 4999, 150, 4999},
		{"OK/NegativePercentIsZero", 4999, -5, 0},
		{"OK/NegativeAmountHalfAwayFromZero", -2550, 1, -26},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := inspection.RestockingFee(tt.amount, tt.percent); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSuggestedFee(t *testing.T) {
	p := inspection.DefaultPolicy()
	odd := inspection.DefaultPolicy()
	odd.FeePhotoThresholdPercent = 1
	odd.FeeBands[inspection.GradeDestroy] = inspection.FeeBand{MaxPercent: 10, SuggestedPercent: 30}

	for _, tt := range []struct {
		name  string
		p     inspection.Policy
		grade inspection.Grade
		photo bool
		want  int
	}{
		{"OK/Resellable", p, inspection.GradeResellable, true, 0},
		{"OK/RefurbishedWithPhoto", p, inspection.GradeRefurbishedUsed, true, 20},
		{"OK/RefurbishedWithoutPhoto", p, inspection.GradeRefurbishedUsed, false, 19},
		{"OK/DestroyWithPhoto", p, inspection.GradeDestroy, true, 50},
		{"OK/DestroyWithoutPhoto", p, inspection.GradeDestroy, false, 19},
		{"OK/UnknownGrade", p, "new", true, 0},
		{"OK/SuggestionCappedAtMax", odd, inspection.GradeDestroy, true, 10},
		{"OK/AnyFeeNeedsPhoto", odd, inspection.GradeDestroy, false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := inspection.SuggestedFee(tt.p, tt.grade, tt.photo); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}
