package server

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/labels"
	"github.com/returnbench/returnbench/store"
)

// createReturnRequest is the body of POST /api/v1/returns: any subset of
// fields that identifies the parcel.
type createReturnRequest struct {
	OrderID      string           `json:"order_id"`
	RMAID        string           `json:"rma_id"`
	TrackingID   string           `json:"tracking_id"`
	Carrier      string           `json:"carrier"`
	LPN          string           `json:"lpn"`
	FNSKU        string           `json:"fnsku"`
	ASIN         string           `json:"asin"`
	SKU          string           `json:"sku"`
	ProductName  string           `json:"product_name"`
	Quantity     *int             `json:"quantity"`
	Reason       string           `json:"reason"`
	BuyerComment string           `json:"buyer_comment"`
	OrderAmount  inspection.Cents `json:"order_amount"`
	RefundAmount inspection.Cents `json:"refund_amount"`
	RefundedAt   *time.Time       `json:"refunded_at"`
	Currency     string           `json:"currency"`
	Channel      string           `json:"channel"`
	Marketplace  string           `json:"marketplace"`
	AtoZClaim    bool             `json:"atoz_claim"`
	ArrivedAt    *time.Time       `json:"arrived_at"`
}

// toReturn normalises identifiers the way a scanner's reading is
// normalised, so that the typed and the scanned forms meet in the index.
func (req *createReturnRequest) toReturn() *inspection.Return {
	r := &inspection.Return{
		OrderID:      labels.Normalize(req.OrderID),
		RMAID:        labels.Normalize(req.RMAID),
		TrackingID:   labels.Normalize(req.TrackingID),
		Carrier:      strings.ToLower(strings.TrimSpace(req.Carrier)),
		LPN:          labels.Normalize(req.LPN),
		FNSKU:        labels.Normalize(req.FNSKU),
		ASIN:         labels.Normalize(req.ASIN),
		SKU:          strings.TrimSpace(req.SKU),
		ProductName:  strings.TrimSpace(req.ProductName),
		Quantity:     1,
		ReasonRaw:    strings.TrimSpace(req.Reason),
		Reason:       inspection.NormalizeReason(req.Reason),
		BuyerComment: strings.TrimSpace(req.BuyerComment),
		OrderAmount:  req.OrderAmount,
		RefundAmount: req.RefundAmount,
		RefundedAt:   utc(req.RefundedAt),
		ArrivedAt:    utc(req.ArrivedAt),
		Currency:     strings.ToUpper(strings.TrimSpace(req.Currency)),
		Channel:      strings.ToLower(strings.TrimSpace(req.Channel)),
		Marketplace:  strings.ToUpper(strings.TrimSpace(req.Marketplace)),
		AtoZClaim:    req.AtoZClaim,
		Source:       "manual",
	}
	if req.Quantity != nil {
		r.Quantity = *req.Quantity
	}
	// A tracking number stored as its carrier reads it (USPS without the
	// 420+ZIP prefix) is what a later scan looks up.
	if m := labels.Classify(r.TrackingID); len(m) > 0 && m[0].Carrier {
		r.TrackingID = m[0].Value
		if r.Carrier == "" {
			r.Carrier = string(m[0].Kind)
		}
	}
	return r
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (s *Server) handleCreateReturn(c *fiber.Ctx) error {
	var req createReturnRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	r := req.toReturn()
	user := currentUser(c)
	r.SiteID = user.SiteID
	if r.Marketplace == "" {
		// The site's marketplace decides which policy's clocks apply.
		site, err := s.store.SiteByID(c.UserContext(), user.SiteID)
		if err != nil {
			return err
		}
		r.Marketplace = site.Marketplace
	}
	if err := s.store.CreateReturn(c.UserContext(), r, user.ID); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (s *Server) handleListReturns(c *fiber.Ctx) error {
	f := store.ReturnFilter{
		SiteID: siteScope(currentUser(c)),
		Q:      c.Query("q"),
		Status: c.Query("status"),
		Limit:  c.QueryInt("limit", 100),
		Cursor: c.Query("cursor"),
	}
	rs, next, err := s.store.ListReturns(c.UserContext(), f)
	if err != nil {
		return err
	}
	var cursor any
	if next != "" {
		cursor = next
	}
	return c.JSON(fiber.Map{"returns": rs, "next_cursor": cursor})
}

// handleGetReturn shows one return with the deadlines that apply to it now.
func (s *Server) handleGetReturn(c *fiber.Ctx) error {
	r, err := s.store.ReturnByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if !canSeeSite(currentUser(c), r.SiteID) {
		return inspection.Errorf(inspection.ENOTFOUND, "Return not found.")
	}
	deadlines := s.policies.For(r.Marketplace).Deadlines(r, s.cfg.Now())
	return c.JSON(fiber.Map{"return": r, "deadlines": deadlines})
}
