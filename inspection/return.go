package inspection

import (
	"strings"
	"time"
)

// Channels a return comes through.
const (
	ChannelFBA = "fba" // fulfilled by Amazon: Amazon refunds first, the unit may come to us later
	ChannelMFN = "mfn" // seller-fulfilled: we receive the parcel and must refund within the clock
)

// Return is a parcel we expect (from a report, an email or a lead's entry)
// or one that arrived unannounced. Identifier fields are stored normalised
// so that a scan finds them with an exact, indexed comparison.
type Return struct {
	ID            string     `json:"id" gorm:"primaryKey"`
	SiteID        string     `json:"site_id"`
	Marketplace   string     `json:"marketplace"`
	Channel       string     `json:"channel"`
	OrderID       string     `json:"order_id"`
	RMAID         string     `json:"rma_id" gorm:"column:rma_id"`
	MerchantRMAID string     `json:"merchant_rma_id" gorm:"column:merchant_rma_id"`
	TrackingID    string     `json:"tracking_id"`
	Carrier       string     `json:"carrier"`
	LPN           string     `json:"lpn"`
	FNSKU         string     `json:"fnsku"`
	ASIN          string     `json:"asin"`
	SKU           string     `json:"sku"`
	ProductName   string     `json:"product_name"`
	Quantity      int        `json:"quantity"`
	ReasonRaw     string     `json:"reason_raw"`
	Reason        string     `json:"reason"`
	BuyerComment  string     `json:"buyer_comment"`
	Currency      string     `json:"currency"`
	OrderAmount   Cents      `json:"order_amount"`
	RefundAmount  Cents      `json:"refund_amount"`
	RefundedAt    *time.Time `json:"refunded_at"`
	RequestedAt   *time.Time `json:"requested_at"`
	RequestStatus string     `json:"request_status"`
	AtoZClaim     bool       `json:"atoz_claim" gorm:"column:atoz_claim"`
	ArrivedAt     *time.Time `json:"arrived_at"`
	Source        string     `json:"source"`
	// Report facts: the FBA unit's state at Amazon and the claims around it.
	FCDisposition     string     `json:"fc_disposition"`
	FulfillmentCenter string     `json:"fulfillment_center"`
	FCReturnedAt      *time.Time `json:"fc_returned_at"` // the unit reached an Amazon warehouse
	Resolution        string     `json:"resolution"`
	SafeTClaimID      string     `json:"safet_claim_id" gorm:"column:safet_claim_id"`
	SafeTClaimState   string     `json:"safet_claim_state" gorm:"column:safet_claim_state"`
	ReimbursedAmount  Cents      `json:"reimbursed_amount"`
	ReimbursedAt      *time.Time `json:"reimbursed_at"`
	// SourceKey identifies the report row this return came from; SourceHash
	// tells whether a re-import changes it.
	SourceKey  string    `json:"-"`
	SourceHash string    `json:"-"`
	Version    int64     `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// NormalizeReason strips the marketplace prefixes (CR-, AMZ-PG-) from a raw
// reason code and upper-cases it, so DEFECTIVE and CR-DEFECTIVE compare equal.
// The raw value is always kept beside it.
func NormalizeReason(raw string) string {
	r := strings.ToUpper(strings.TrimSpace(raw))
	for trimmed := true; trimmed; {
		trimmed = false
		for _, p := range []string{"AMZ-PG-", "CR-"} {
			if strings.HasPrefix(r, p) {
				r, trimmed = strings.TrimPrefix(r, p), true
			}
		}
	}
	return strings.ReplaceAll(r, " ", "_")
}

// sellerFaultReasons are the reasons that blame the seller: a buyer who gives
// one pays no return shipping, so these are the claims worth disputing.
var sellerFaultReasons = map[string]bool{
	"DEFECTIVE":            true,
	"NOT_AS_DESCRIBED":     true,
	"QUALITY_UNACCEPTABLE": true,
	"MISSING_PARTS":        true,
	"SWITCHEROO":           true,
}

// BlamesSeller reports whether a normalised reason puts the fault on the seller.
func BlamesSeller(reason string) bool { return sellerFaultReasons[reason] }

// RequestClosed tells whether the marketplace closed the return request
// ("Closed by seller", "Closed by buyer"): no refund is due any more.
func (r *Return) RequestClosed() bool {
	return strings.HasPrefix(strings.ToLower(r.RequestStatus), "closed")
}

// Identifies reports whether the return carries at least one identifier a
// scan could find it by.
func (r *Return) Identifies() bool {
	return r.OrderID != "" || r.RMAID != "" || r.TrackingID != "" || r.LPN != "" || r.FNSKU != ""
}

// Validate checks what a lead or an import must supply.
func (r *Return) Validate() error {
	switch {
	case !r.Identifies():
		return Errorf(EINVALID, "A return needs at least one of order_id, rma_id, tracking_id, lpn or fnsku.")
	case r.Quantity < 0 || r.Quantity > 100000:
		return Errorf(EINVALID, "Quantity must be between 0 and 100000.")
	case r.Channel != "" && r.Channel != ChannelFBA && r.Channel != ChannelMFN:
		return Errorf(EINVALID, "Channel must be %q or %q.", ChannelFBA, ChannelMFN)
	case r.OrderAmount < 0 || r.RefundAmount < 0:
		return Errorf(EINVALID, "Amounts cannot be negative.")
	}
	for name, v := range map[string]string{
		"order_id": r.OrderID, "rma_id": r.RMAID, "tracking_id": r.TrackingID, "lpn": r.LPN,
		"fnsku": r.FNSKU, "asin": r.ASIN, "sku": r.SKU, "carrier": r.Carrier,
	} {
		if len(v) > 64 {
			return Errorf(EINVALID, "%s is longer than 64 characters.", name)
		}
	}
	if len(r.ProductName) > 1000 || len(r.BuyerComment) > 4000 || len(r.ReasonRaw) > 200 {
		return Errorf(EINVALID, "product_name, buyer_comment or reason is too long.")
	}
	return nil
}
