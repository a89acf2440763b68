package server

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
	"github.com/returnbench/returnbench/webhook"
)

// How often the background work looks for due deliveries and for claim
// windows that opened. Deliveries are due by the injected clock; these
// tickers run on real time.
const (
	webhookPoll     = 5 * time.Second
	claimWindowPoll = 10 * time.Minute
)

func (s *Server) newWebhookDispatcher() *webhook.Dispatcher {
	return webhook.New(s.store, s.cfg.Now, s.log)
}

// runWebhooks sends due webhook deliveries and announces newly opened
// claim windows until ctx ends. Every instance runs it: leases in the
// outbox keep two instances from sending one delivery, and each claim
// window is announced once by whichever instance sees it first.
func (s *Server) runWebhooks(ctx context.Context) {
	tick := time.NewTicker(webhookPoll)
	defer tick.Stop()
	var lastClaimCheck time.Time
	for {
		if time.Since(lastClaimCheck) >= claimWindowPoll {
			lastClaimCheck = time.Now()
			if n, err := s.AnnounceClaimWindows(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("announce claim windows", "err", err)
			} else if n > 0 {
				s.log.Info("claim windows opened", "count", n)
			}
		}
		if _, err := s.DeliverWebhooks(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("deliver webhooks", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// DeliverWebhooks sends every webhook delivery that is due now, once, and
// returns how many it attempted (tests call it instead of waiting).
func (s *Server) DeliverWebhooks(ctx context.Context) (int, error) {
	return s.webhooks.RunOnce(ctx)
}

// AnnounceClaimWindows queues claim.window_opened for every FBA return
// whose claim window has opened and was not announced yet.
func (s *Server) AnnounceClaimWindows(ctx context.Context) (int, error) {
	return s.store.AnnounceClaimWindows(ctx, s.policies)
}

// webhookRequest is the body of POST /api/v1/webhooks.
type webhookRequest struct {
	SiteID string   `json:"site_id"` // default: the admin's own site
	URL    string   `json:"url"`
	Secret string   `json:"secret"`
	Events []string `json:"events"`
	Active *bool    `json:"active"` // default true
}

// webhookView is a webhook as the API shows it: never its secret.
type webhookView struct {
	ID        string    `json:"id"`
	SiteID    string    `json:"site_id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

func viewWebhook(w *store.Webhook) webhookView {
	return webhookView{ID: w.ID, SiteID: w.SiteID, URL: w.URL, Events: w.EventList(), Active: w.Active, CreatedAt: w.CreatedAt}
}

func (s *Server) handleListWebhooks(c *fiber.Ctx) error {
	siteID := c.Query("site_id", siteScope(currentUser(c)))
	hooks, err := s.store.ListWebhooks(c.UserContext(), siteID)
	if err != nil {
		return err
	}
	out := make([]webhookView, len(hooks))
	for i := range hooks {
		out[i] = viewWebhook(&hooks[i])
	}
	return c.JSON(fiber.Map{"webhooks": out})
}

func (s *Server) handleCreateWebhook(c *fiber.Ctx) error {
	var req webhookRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	user := currentUser(c)
	w := &store.Webhook{SiteID: strings.TrimSpace(req.SiteID), URL: strings.TrimSpace(req.URL), Secret: req.Secret, Active: true}
	if w.SiteID == "" {
		w.SiteID = user.SiteID
	}
	if req.Active != nil {
		w.Active = *req.Active
	}
	if err := s.store.CreateWebhook(c.UserContext(), w, req.Events, user.ID); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(viewWebhook(w))
}

// webhookOf returns a webhook the admin may manage.
func (s *Server) webhookOf(c *fiber.Ctx) (*store.Webhook, error) {
	w, err := s.store.WebhookByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return nil, err
	}
	if !canSeeSite(currentUser(c), w.SiteID) {
		return nil, inspection.Errorf(inspection.ENOTFOUND, "Webhook not found.")
	}
	return w, nil
}

func (s *Server) handleDeleteWebhook(c *fiber.Ctx) error {
	w, err := s.webhookOf(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteWebhook(c.UserContext(), w.ID, currentUser(c).ID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// deliveryView is a delivery with its body as JSON.
type deliveryView struct {
	store.WebhookDelivery
	Payload json.RawMessage `json:"payload"`
}

// handleWebhookDeliveries lists a webhook's deliveries, newest first
// (?status=pending|delivered|failed, ?limit= up to 500).
func (s *Server) handleWebhookDeliveries(c *fiber.Ctx) error {
	w, err := s.webhookOf(c)
	if err != nil {
		return err
	}
	ds, err := s.store.WebhookDeliveries(c.UserContext(), w.ID, c.Query("status"), c.QueryInt("limit", 100))
	if err != nil {
		return err
	}
	out := make([]deliveryView, len(ds))
	for i := range ds {
		out[i] = deliveryView{WebhookDelivery: ds[i], Payload: json.RawMessage(ds[i].Payload)}
	}
	return c.JSON(fiber.Map{"deliveries": out})
}
