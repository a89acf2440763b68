package inspection

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// grades lists the grades in the order people read them.
var grades = []Grade{GradeResellable, GradeRefurbishedUsed, GradeDestroy}

// DispositionsFor lists what may happen to a unit of grade g, so the bench
// offers only choices that fit the grade. An unknown grade allows none.
func DispositionsFor(g Grade) []Disposition {
	switch g {
	case GradeResellable:
		return []Disposition{DispositionRelabelRestock}
	case GradeRefurbishedUsed:
		return []Disposition{DispositionListUsed, DispositionRefurbish}
	case GradeDestroy:
		return []Disposition{DispositionDispose, DispositionRemoval, DispositionDonate}
	}
	return nil
}

// ValidGrade reports whether g is one of the three grades.
func ValidGrade(g Grade) bool { return slices.Contains(grades, g) }

// ValidDisposition reports whether d belongs to some grade.
func ValidDisposition(d Disposition) bool {
	for _, g := range grades {
		if slices.Contains(DispositionsFor(g), d) {
			return true
		}
	}
	return false
}

// ValidVerdict reports whether v is a verdict the API accepts.
func ValidVerdict(v Verdict) bool {
	switch v {
	case VerdictClaimSupported, VerdictClaimDisputed, VerdictItemSwapped, VerdictNotApplicable:
		return true
	}
	return false
}

// ValidUsedCondition reports whether u is one of the marketplace's used conditions.
func ValidUsedCondition(u UsedCondition) bool {
	switch u {
	case UsedLikeNew, UsedVeryGood, UsedGood, UsedAcceptable:
		return true
	}
	return false
}

// Problem codes: why an inspection cannot be saved or completed. Clients
// match on the code and show the message.
const (
	// Saving a draft.
	ErrInvalidField            = "invalid_field"
	ErrDispositionNotAllowed   = "disposition_not_allowed"
	ErrUsedConditionNotAllowed = "used_condition_not_allowed"

	// Completing.
	ErrGradeRequired         = "grade_required"
	ErrDispositionRequired   = "disposition_required"
	ErrVerdictRequired       = "verdict_required"
	ErrUsedConditionRequired = "used_condition_required"
	ErrLabelPhotoRequired    = "label_photo_required"
	ErrFeePhotoRequired      = "fee_photo_required"
	ErrFeeAboveBand          = "fee_above_band"
	ErrFeeNotAllowed         = "fee_not_allowed"
	ErrVerdictNeedsReason    = "verdict_needs_reason"
	ErrResellableNotIntact   = "resellable_not_intact"
)

// Limits on free text, so that one record cannot fill a phone's storage.
const (
	MaxNotesLength       = 8000 // characters
	MaxScannedCodeLength = 128  // characters
)

// Problem is one reason an inspection cannot be saved or completed.
type Problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// problems collects Problems with formatted messages.
type problems []Problem

func (ps *problems) add(code, format string, args ...any) {
	*ps = append(*ps, Problem{Code: code, Message: fmt.Sprintf(format, args...)})
}

// draftProblems lists what is wrong with the fields as they stand, whether or
// not the inspection is finished: a draft may leave anything empty, but
// what it does say must make sense.
func draftProblems(in *Inspection) []Problem {
	var ps problems
	if in.Status != "" && in.Status != StatusDraft && in.Status != StatusCompleted {
		ps.add(ErrInvalidField, "Status %q is not %s or %s.", in.Status, StatusDraft, StatusCompleted)
	}
	if in.Grade != "" && !ValidGrade(in.Grade) {
		ps.add(ErrInvalidField, "Grade %q is not resellable, refurbished_used or destroy.", in.Grade)
	}
	if in.Verdict != "" && !ValidVerdict(in.Verdict) {
		ps.add(ErrInvalidField, "Verdict %q is not claim_supported, claim_disputed, item_swapped or not_applicable.", in.Verdict)
	}
	if in.UsedCondition != "" && !ValidUsedCondition(in.UsedCondition) {
		ps.add(ErrInvalidField, "Used condition %q is not like_new, very_good, good or acceptable.", in.UsedCondition)
	}
	switch {
	case in.Disposition == "":
	case !ValidDisposition(in.Disposition):
		ps.add(ErrInvalidField, "Disposition %q is not a known disposition.", in.Disposition)
	case ValidGrade(in.Grade) && !slices.Contains(DispositionsFor(in.Grade), in.Disposition):
		ps.add(ErrDispositionNotAllowed, "Disposition %s does not fit grade %s: choose %s.",
			in.Disposition, in.Grade, joinDispositions(DispositionsFor(in.Grade)))
	}
	if in.UsedCondition != "" {
		switch {
		case in.Grade != GradeRefurbishedUsed:
			ps.add(ErrUsedConditionNotAllowed, "A used condition applies only to grade %s.", GradeRefurbishedUsed)
		case in.Disposition != "" && in.Disposition != DispositionListUsed:
			ps.add(ErrUsedConditionNotAllowed, "A used condition applies only to items listed as used (%s).", DispositionListUsed)
		}
	}
	if in.RestockingFeePercent < 0 || in.RestockingFeePercent > 100 {
		ps.add(ErrInvalidField, "Restocking fee must be between 0 and 100%%, not %d%%.", in.RestockingFeePercent)
	}
	if in.RestockingFeeAmount < 0 {
		ps.add(ErrInvalidField, "Restocking fee amount cannot be negative.")
	}
	if n := utf8.RuneCountInString(in.Notes); n > MaxNotesLength {
		ps.add(ErrInvalidField, "Notes are %d characters long; the limit is %d.", n, MaxNotesLength)
	}
	if n := utf8.RuneCountInString(in.ScannedCode); n > MaxScannedCodeLength {
		ps.add(ErrInvalidField, "The scanned code is %d characters long; the limit is %d.", n, MaxScannedCodeLength)
	}
	return ps
}

func joinDispositions(ds []Disposition) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = string(d)
	}
	return strings.Join(s, " or ")
}

// ValidateDraft checks the fields of an inspection on every save, finished
// or not, and returns an EINVALID error listing every problem, nil if none.
func ValidateDraft(in *Inspection) error {
	if in == nil {
		return Errorf(EINVALID, "No inspection given.")
	}
	return problemsError("The inspection cannot be saved:", draftProblems(in))
}

// hasMedia reports whether any media of the given kinds counts as evidence.
// Files still declared or uploading count: the phone may finish uploading
// after the bench has moved on. Rejected files (the server's hash check
// failed) do not.
func hasMedia(media []Media, kinds ...string) bool {
	for _, m := range media {
		if m.Status != MediaRejected && slices.Contains(kinds, m.Kind) {
			return true
		}
	}
	return false
}

// HasLabelPhoto reports whether the media include a close-up of the return
// label, the key evidence of a dispute.
func HasLabelPhoto(media []Media) bool { return hasMedia(media, MediaLabelCloseup) }

// HasItemPhoto reports whether the media include a photo of the item itself,
// which a high restocking fee must be able to show.
func HasItemPhoto(media []Media) bool {
	return hasMedia(media, MediaContents, MediaDamage, MediaSerial, MediaAccessories)
}

// CompletionCheck lists everything that stops an inspection from being
// completed, all at once so the inspector can fix them in one pass. ret is
// the matched return (nil for an unexpected parcel), media the inspection's
// evidence and p the complete policy of the return's marketplace
// (Policies.For). An empty result means the inspection may be completed.
func CompletionCheck(in *Inspection, ret *Return, media []Media, p Policy) []Problem {
	if in == nil {
		return []Problem{{Code: ErrInvalidField, Message: "No inspection given."}}
	}
	ps := problems(draftProblems(in))

	if in.Grade == "" {
		ps.add(ErrGradeRequired, "Choose a grade.")
	}
	if in.Disposition == "" {
		ps.add(ErrDispositionRequired, "Choose what happens to the item next (disposition).")
	}
	if in.Verdict == "" {
		ps.add(ErrVerdictRequired, "Choose a verdict on the buyer's claim (not_applicable if there is none).")
	}
	if in.Disposition == DispositionListUsed && in.UsedCondition == "" {
		ps.add(ErrUsedConditionRequired, "An item listed as used needs a used condition: like_new, very_good, good or acceptable.")
	}

	if (in.Verdict == VerdictClaimDisputed || in.Verdict == VerdictItemSwapped) && !HasLabelPhoto(media) {
		ps.add(ErrLabelPhotoRequired, "A disputed claim needs a close-up photo of the return label.")
	}
	if in.Verdict == VerdictClaimSupported || in.Verdict == VerdictClaimDisputed {
		// Supporting or disputing only makes sense against a claim that the
		// seller is at fault; anything else is not_applicable.
		if reason := returnReason(ret); !BlamesSeller(reason) {
			ps.add(ErrVerdictNeedsReason, "Verdict %s needs a return whose reason blames the seller (such as DEFECTIVE); %s. Use not_applicable.",
				in.Verdict, describeReason(ret, reason))
		}
	}

	if fee := in.RestockingFeePercent; fee > 0 {
		// Amazon refunds FBA returns itself; only a seller who refunds can deduct.
		if ret != nil && ret.Channel == ChannelFBA {
			ps.add(ErrFeeNotAllowed, "A restocking fee applies only to seller-fulfilled orders; this is an FBA return.")
		}
		if fee >= p.FeePhotoThresholdPercent && !HasItemPhoto(media) {
			ps.add(ErrFeePhotoRequired, "A restocking fee of %d%% or more needs a photo of the item (contents, damage, serial or accessories).",
				p.FeePhotoThresholdPercent)
		}
		// A grade missing from the policy allows no fee: charging a buyer
		// must never rest on a gap in the configuration.
		if band := p.FeeBands[in.Grade]; ValidGrade(in.Grade) && fee > band.MaxPercent {
			ps.add(ErrFeeAboveBand, "A restocking fee of %d%% is above the %d%% allowed for grade %s.", fee, band.MaxPercent, in.Grade)
		}
	}

	if in.Grade == GradeResellable {
		var why []string
		if c := in.Checklist.SignsOfUse; c != nil && *c {
			why = append(why, "shows signs of use")
		}
		if c := in.Checklist.SameItem; c != nil && !*c {
			why = append(why, "is not the item shipped")
		}
		if len(why) > 0 {
			ps.add(ErrResellableNotIntact, "A resellable item must be new, unused and the item shipped, but the checklist says it %s.",
				strings.Join(why, " and "))
		}
	}
	return ps
}

// returnReason is the return's normalised reason, normalising the raw code
// when an import left Reason empty.
func returnReason(ret *Return) string {
	switch {
	case ret == nil:
		return ""
	case ret.Reason != "":
		return ret.Reason
	default:
		return NormalizeReason(ret.ReasonRaw)
	}
}

func describeReason(ret *Return, reason string) string {
	switch {
	case ret == nil:
		return "no return is matched"
	case reason == "":
		return "the return has no reason"
	default:
		return fmt.Sprintf("the return's reason is %s", reason)
	}
}

// CompletionError turns problems into one EINVALID error whose message lists
// them all, or nil when there are none, so a handler can simply return it.
func CompletionError(ps []Problem) error {
	return problemsError("The inspection cannot be completed:", ps)
}

func problemsError(lead string, ps []Problem) error {
	if len(ps) == 0 {
		return nil
	}
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.Message
	}
	err := Errorf(EINVALID, "%s %s", lead, strings.Join(msgs, " "))
	err.Problems = ps
	return err
}

// RestockingFee is the deduction for a fee of percent on orderAmount,
// rounded half up to the cent (half away from zero for a negative amount).
// The percent is held to 0..100 so that a fee can neither exceed the order
// nor become a credit.
func RestockingFee(orderAmount Cents, percent int) Cents {
	percent = min(max(percent, 0), 100)
	x := int64(orderAmount) * int64(percent)
	if x < 0 {
		return -Cents((-x + 50) / 100)
	}
	return Cents((x + 50) / 100)
}

// SuggestedFee is the fee the bench proposes for grade g: the band's
// suggestion, lowered to just under the photo threshold when there is no
// photo of the item, so that accepting the suggestion never blocks
// completion.
func SuggestedFee(p Policy, g Grade, hasItemPhoto bool) int {
	band, ok := p.FeeBands[g]
	if !ok {
		return 0
	}
	pct := min(band.SuggestedPercent, band.MaxPercent)
	if !hasItemPhoto && pct >= p.FeePhotoThresholdPercent {
		pct = p.FeePhotoThresholdPercent - 1
	}
	return max(pct, 0)
}
