package inspection

import (
	"regexp"
	"strings"
	"time"
)

// Where a refund was learnt from.
const (
	RefundSourceEML    = "eml"    // one notification email
	RefundSourceMbox   = "mbox"   // a mailbox export of them
	RefundSourceManual = "manual" // typed in by a lead
)

// Refund is money the marketplace gave back to a buyer for one item of an
// order (or the whole order, when the notice names no item). Sellers learn
// of refunds by email before any report lists them, and for an FBA order
// the refund starts the refunded-but-not-returned clock.
type Refund struct {
	ID       string `json:"id" gorm:"primaryKey"`
	SiteID   string `json:"site_id"`
	OrderID  string `json:"order_id"`
	ItemKey  string `json:"-"`
	SKU      string `json:"sku"`
	ASIN     string `json:"asin"`
	ItemName string `json:"item_name"`
	Amount   Cents  `json:"amount"`
	Currency string `json:"currency"`
	// RefundedAt is when the marketplace refunded: the date in the notice,
	// else the email's own date.
	RefundedAt time.Time `json:"refunded_at"`
	// Channel is what the notice says of fulfilment: ChannelFBA, ChannelMFN,
	// or "" when it does not say.
	Channel   string    `json:"channel"`
	Source    string    `json:"source"`
	MessageID string    `json:"message_id"`
	CreatedAt time.Time `json:"created_at"`
}

var (
	orderIDPattern  = regexp.MustCompile(`^\d{3}-\d{7}-\d{7}$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// ValidOrderID reports whether s has the shape of an Amazon order id.
func ValidOrderID(s string) bool { return orderIDPattern.MatchString(s) }

// Key is what tells one refunded item from another within an order: the
// SKU, else the ASIN, else the item's name, else "" (the whole order).
func (r *Refund) Key() string {
	switch {
	case r.SKU != "":
		return "sku:" + r.SKU
	case r.ASIN != "":
		return "asin:" + r.ASIN
	case r.ItemName != "":
		name := strings.ToLower(strings.Join(strings.Fields(r.ItemName), " "))
		if len(name) > 200 {
			name = name[:200]
		}
		return "name:" + name
	}
	return ""
}

// Validate checks what every refund must carry, however it arrived.
func (r *Refund) Validate() error {
	switch {
	case !ValidOrderID(r.OrderID):
		return Errorf(EINVALID, "order_id must be an Amazon order id like 112-1234567-1234567.")
	case r.Amount < 0:
		return Errorf(EINVALID, "A refund amount cannot be negative.")
	case r.Currency != "" && !currencyPattern.MatchString(r.Currency):
		return Errorf(EINVALID, "currency must be a three-letter code such as USD.")
	case r.RefundedAt.IsZero():
		return Errorf(EINVALID, "A refund needs the date it was made (refunded_at).")
	case r.Channel != "" && r.Channel != ChannelFBA && r.Channel != ChannelMFN:
		return Errorf(EINVALID, "channel must be %q or %q.", ChannelFBA, ChannelMFN)
	case len(r.SKU) > 64 || len(r.ASIN) > 64:
		return Errorf(EINVALID, "sku and asin are at most 64 characters.")
	case len(r.ItemName) > 1000 || len(r.MessageID) > 1000:
		return Errorf(EINVALID, "item_name or message_id is too long.")
	}
	return nil
}
