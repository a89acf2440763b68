package evidence

import (
	"fmt"
	"slices"

	"github.com/returnbench/returnbench/inspection"
)

// Case is the kind of filing an evidence pack supports; each asks for its own
// evidence and its own message.
type Case string

// The filings DOMAIN.md describes.
const (
	CaseFalseDefective Case = "false_defective" // the buyer blamed the seller, the item is fine
	CaseItemSwapped    Case = "item_swapped"    // a different item or an empty box came back
	CaseSafeTClaim     Case = "safet_claim"     // seller-fulfilled: claim the loss from Amazon
	CaseRestockingFee  Case = "restocking_fee"  // explain a partial refund to the buyer
	CaseAtoZResponse   Case = "atoz_response"   // answer an A-to-z Guarantee claim
)

// Cases lists every case type, in the order a form offers them.
var Cases = []Case{CaseFalseDefective, CaseItemSwapped, CaseSafeTClaim, CaseRestockingFee, CaseAtoZResponse}

// ParseCase accepts a case name from a request.
func ParseCase(s string) (Case, error) {
	c := Case(s)
	if !slices.Contains(Cases, c) {
		return "", inspection.Errorf(inspection.EINVALID,
			"Unknown case %q: use false_defective, item_swapped, safet_claim, restocking_fee or atoz_response.", s)
	}
	return c, nil
}

// Title is the case's name as a document heading shows it.
func (c Case) Title() string {
	switch c {
	case CaseFalseDefective:
		return "False \"defective\" claim"
	case CaseItemSwapped:
		return "Wrong item returned"
	case CaseSafeTClaim:
		return "SAFE-T claim"
	case CaseRestockingFee:
		return "Restocking fee"
	case CaseAtoZResponse:
		return "A-to-z Guarantee claim response"
	}
	return string(c)
}

// DefaultCase picks the filing an inspection most likely leads to, from its
// verdict first (the inspector's judgement), then the fee and the return.
func DefaultCase(f *Facts) Case {
	in := &f.Inspection
	r := f.Return
	switch {
	case in.Verdict == inspection.VerdictItemSwapped:
		return CaseItemSwapped
	case in.Verdict == inspection.VerdictClaimDisputed:
		return CaseFalseDefective
	case in.RestockingFeePercent > 0:
		return CaseRestockingFee
	case r != nil && r.AtoZClaim:
		return CaseAtoZResponse
	case r != nil && r.Channel == inspection.ChannelMFN && r.RefundedAt != nil && damaged(in):
		// Refunded in full for an item that came back damaged or used:
		// SAFE-T is how a seller-fulfilled seller recovers the loss.
		return CaseSafeTClaim
	}
	return CaseFalseDefective
}

// damaged reports whether the inspection found the item worth less than new.
func damaged(in *inspection.Inspection) bool {
	used := in.Checklist.SignsOfUse != nil && *in.Checklist.SignsOfUse
	return in.Grade == inspection.GradeDestroy || in.Grade == inspection.GradeRefurbishedUsed || used
}

// Requirement is one thing to add or fix before filing. Clients match on
// Code and show Message.
type Requirement struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Warning marks advice that does not stop the filing but that the
	// seller must know, such as where the documents go.
	Warning bool `json:"warning,omitempty"`
}

// Requirement codes.
const (
	ReqUnknownCase       = "unknown_case"
	ReqReturnRequired    = "return_required"
	ReqLabelPhoto        = "label_photo"
	ReqUnboxingEvidence  = "unboxing_evidence"
	ReqVerdict           = "verdict"
	ReqReasonBlames      = "reason_not_seller_fault"
	ReqItemPhoto         = "item_photo"
	ReqSameItem          = "same_item"
	ReqSellerFulfilled   = "seller_fulfilled_only"
	ReqFourSides         = "four_sides_photos"
	ReqPackagePhoto      = "package_photo"
	ReqRefundDate        = "refund_date"
	ReqSafeTWindowClosed = "safet_window_closed"
	ReqArrivalDate       = "arrival_date"
	ReqPhotosLate        = "photos_late"
	ReqInvoice           = "invoice"
	ReqFee               = "restocking_fee"
	ReqFeePhoto          = "fee_photo"
	ReqAnyPhoto          = "photo"
	ReqAtoZClaim         = "atoz_claim"
	ReqAtoZAttachments   = "atoz_no_attachments"
)

// photoKinds are the kinds of still photos.
var photoKinds = []string{inspection.MediaLabelCloseup, inspection.MediaPackage, inspection.MediaContents,
	inspection.MediaAccessories, inspection.MediaSerial, inspection.MediaDamage, inspection.MediaOther}

// itemKinds are photos that show the item itself (inspection.HasItemPhoto's kinds).
var itemKinds = []string{inspection.MediaContents, inspection.MediaDamage, inspection.MediaSerial, inspection.MediaAccessories}

// safeTSideKinds are the photos that can show a side of the product out of the box.
var safeTSideKinds = []string{inspection.MediaContents, inspection.MediaDamage}

// Missing lists what must be added or fixed before the seller files case c,
// empty when nothing is (warnings aside). Only verified media count: a
// file still uploading is named as missing with "waiting for upload", so
// the lead knows to wait rather than to re-shoot.
func Missing(f *Facts, c Case) []Requirement {
	m := &missing{f: f}
	switch c {
	case CaseFalseDefective:
		m.needReturn()
		m.needMedia(ReqLabelPhoto, 1, "a close-up photo of the return label", inspection.MediaLabelCloseup)
		m.needMedia(ReqUnboxingEvidence, 1, "an unboxing video or photos of the contents",
			inspection.MediaUnboxingVideo, inspection.MediaContents)
		m.needVerdict(inspection.VerdictClaimDisputed)
		m.needSellerFaultReason()
	case CaseItemSwapped:
		m.needReturn()
		m.needMedia(ReqLabelPhoto, 1, "a close-up photo of the return label", inspection.MediaLabelCloseup)
		m.needMedia(ReqItemPhoto, 1, "a photo of the serial number or of the contents that shows what came back",
			inspection.MediaSerial, inspection.MediaContents)
		if s := f.Inspection.Checklist.SameItem; s == nil || *s {
			m.add(ReqSameItem, "The checklist must say the item is not the one we shipped (same item: no).")
		}
		m.needVerdict(inspection.VerdictItemSwapped)
	case CaseSafeTClaim:
		m.safeT()
	case CaseRestockingFee:
		m.needReturn()
		m.restockingFee()
	case CaseAtoZResponse:
		m.needReturn()
		m.needMedia(ReqLabelPhoto, 1, "a close-up photo of the return label", inspection.MediaLabelCloseup)
		m.needMedia(ReqAnyPhoto, 1, "a photo of the item or its packaging",
			inspection.MediaPackage, inspection.MediaContents, inspection.MediaAccessories,
			inspection.MediaSerial, inspection.MediaDamage, inspection.MediaOther)
		if f.Return != nil && !f.Return.AtoZClaim {
			m.warn(ReqAtoZClaim, "The return has no A-to-z Guarantee claim recorded; check the order in Seller Central.")
		}
		m.warn(ReqAtoZAttachments, "The A-to-z response box takes no attachments: send the evidence PDF and photos "+
			"through Buyer-Seller Messages and refer to them in your response.")
	default:
		m.add(ReqUnknownCase, fmt.Sprintf("Unknown case %q.", c))
	}
	return m.reqs
}

// missing collects requirements for one case.
type missing struct {
	f    *Facts
	reqs []Requirement
}

func (m *missing) add(code, msg string) {
	m.reqs = append(m.reqs, Requirement{Code: code, Message: msg})
}

func (m *missing) warn(code, msg string) {
	m.reqs = append(m.reqs, Requirement{Code: code, Message: msg, Warning: true})
}

func (m *missing) needReturn() {
	if m.f.Return == nil {
		m.add(ReqReturnRequired, "Match this parcel to its return first: the filing needs the order and the buyer's reason.")
	}
}

// needMedia asks for n verified files among kinds.
func (m *missing) needMedia(code string, n int, what string, kinds ...string) {
	have := len(verifiedMedia(m.f.Media, kinds...))
	if have >= n {
		return
	}
	count := ""
	if n > 1 {
		count = fmt.Sprintf(" (%d of %d)", have, n)
	}
	if pending := pendingMedia(m.f.Media, kinds...); have+pending >= n {
		m.add(code, fmt.Sprintf("Add %s%s: waiting for upload from the bench.", what, count))
		return
	}
	m.add(code, fmt.Sprintf("Add %s%s.", what, count))
}

func (m *missing) needVerdict(v inspection.Verdict) {
	if got := m.f.Inspection.Verdict; got != v {
		m.add(ReqVerdict, fmt.Sprintf("The verdict must be %s, not %s.", v, orDash(string(got))))
	}
}

func (m *missing) needSellerFaultReason() {
	if m.f.Return == nil {
		return // needReturn said it
	}
	if reason := m.f.reason(); !inspection.BlamesSeller(reason) {
		m.add(ReqReasonBlames, fmt.Sprintf("The buyer's reason (%s) does not blame the seller, so there is no claim to dispute.", orDash(reason)))
	}
}

func (m *missing) restockingFee() {
	f := m.f
	fee := f.Inspection.RestockingFeePercent
	if fee <= 0 {
		m.add(ReqFee, "Set a restocking fee on the inspection.")
		return
	}
	if f.Return != nil && f.Return.Channel == inspection.ChannelFBA {
		m.add(ReqSellerFulfilled, "A restocking fee applies only to seller-fulfilled orders; this is an FBA return.")
	}
	if fee >= f.Policy.FeePhotoThresholdPercent {
		m.needMedia(ReqFeePhoto, 1, fmt.Sprintf("a photo of the item: a fee of %d%% or more needs one", f.Policy.FeePhotoThresholdPercent), itemKinds...)
	}
}

// safeT checks a SAFE-T claim: photos of four sides and the packaging,
// filed within the window after the refund, photos taken within days of
// arrival.
func (m *missing) safeT() {
	f := m.f
	m.needReturn()
	if f.Return != nil && f.Return.Channel == inspection.ChannelFBA {
		m.add(ReqSellerFulfilled, "SAFE-T claims are for seller-fulfilled orders; for an FBA return open an FBA reimbursement case instead.")
	}
	m.needMedia(ReqFourSides, 4, "photos of all four sides of the product out of the box", safeTSideKinds...)
	m.needMedia(ReqPackagePhoto, 1, "a photo of the packaging", inspection.MediaPackage)
	if f.Return == nil {
		return
	}
	r := *f.Return
	r.Channel = inspection.ChannelMFN // SAFE-T deadlines are the seller-fulfilled ones
	r.AtoZClaim = false
	var windowCloses, photosDue *inspection.Deadline
	for _, d := range f.Policy.Deadlines(&r, f.now()) {
		switch d.Name {
		case inspection.DeadlineSafeTWindowCloses:
			windowCloses = &d
		case inspection.DeadlineSafeTPhotosDue:
			photosDue = &d
		}
	}
	switch {
	case r.RefundedAt == nil:
		m.add(ReqRefundDate, "Record the refund: a SAFE-T claim is filed after refunding the buyer, and its window counts from the refund.")
	case windowCloses != nil && windowCloses.Status == inspection.DeadlineClosed:
		m.add(ReqSafeTWindowClosed, fmt.Sprintf("The SAFE-T window closed on %s, %d days after the refund.",
			windowCloses.Due.Format("2006-01-02"), f.Policy.SafeTWindowDays))
	}
	switch {
	case r.ArrivedAt == nil:
		m.add(ReqArrivalDate, "Record when the parcel arrived: SAFE-T photos must be taken within days of arrival.")
	case photosDue != nil:
		late := 0
		for _, p := range verifiedMedia(f.Media, append([]string{inspection.MediaPackage}, safeTSideKinds...)...) {
			if takenAt(p).After(photosDue.Due) {
				late++
			}
		}
		if late > 0 {
			m.add(ReqPhotosLate, fmt.Sprintf("%d photo(s) were taken after %s, more than %d days after the parcel arrived.",
				late, photosDue.Due.Format("2006-01-02"), f.Policy.SafeTPhotoDays))
		}
	}
	m.warn(ReqInvoice, "Attach the order invoice in Seller Central; the evidence pack does not contain it.")
}
