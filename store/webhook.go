package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Webhook events: what an ERP or WMS can follow.
const (
	// EventInspectionCompleted fires when an inspection is completed (again
	// after a reopen, too).
	EventInspectionCompleted = "inspection.completed"
	// EventUnitRelabelled fires once per unit, when a resellable unit is
	// given its new unit label id (the label can then be printed any number
	// of times; printing fires nothing).
	EventUnitRelabelled = "unit.relabelled"
	// EventClaimWindowOpened fires once per FBA return refunded and not
	// back, when its reimbursement claim window opens.
	EventClaimWindowOpened = "claim.window_opened"
)

// WebhookEvents lists every event a webhook may subscribe to.
var WebhookEvents = []string{EventInspectionCompleted, EventUnitRelabelled, EventClaimWindowOpened}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // gave up after the last attempt
)

// Webhook is one site's subscription: events are POSTed to URL, signed
// with Secret. The secret never leaves the server except as signatures.
type Webhook struct {
	ID        string    `json:"id" gorm:"primaryKey"`
	SiteID    string    `json:"site_id"`
	URL       string    `json:"url" gorm:"column:url"`
	Secret    string    `json:"-"`
	Events    string    `json:"-"` // comma-separated, as stored
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

func (Webhook) TableName() string { return "webhooks" }

// EventList returns the events the webhook subscribes to.
func (w *Webhook) EventList() []string {
	if w.Events == "" {
		return []string{}
	}
	return strings.Split(w.Events, ",")
}

// Wants reports whether the webhook subscribes to event.
func (w *Webhook) Wants(event string) bool { return slices.Contains(w.EventList(), event) }

// WebhookDelivery is one event on its way to one webhook.
type WebhookDelivery struct {
	ID            string     `json:"id" gorm:"primaryKey"`
	WebhookID     string     `json:"webhook_id"`
	Event         string     `json:"event"`
	Payload       string     `json:"-"` // the exact body sent (and signed)
	Attempts      int        `json:"attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	Status        string     `json:"status"`
	LastError     string     `json:"last_error"`
	LeaseToken    string     `json:"-"`
	CreatedAt     time.Time  `json:"created_at"`
	DeliveredAt   *time.Time `json:"delivered_at"`
}

func (WebhookDelivery) TableName() string { return "webhook_deliveries" }

// Limits on a webhook's settings.
const (
	MinWebhookSecret = 16
	maxWebhookSecret = 512
	maxWebhookURL    = 2048
)

// ValidateWebhookURL accepts an absolute http(s) URL without credentials:
// a password in a URL ends up in logs and proxies, and the shared secret
// is how a receiver authenticates us.
func ValidateWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case raw == "" || len(raw) > maxWebhookURL:
		return inspection.Errorf(inspection.EINVALID, "url must be an http:// or https:// URL of at most %d characters.", maxWebhookURL)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.Hostname() == "":
		return inspection.Errorf(inspection.EINVALID, "url must be an absolute http:// or https:// URL with a host.")
	case u.User != nil:
		return inspection.Errorf(inspection.EINVALID, "url must not carry a user name or password: the receiver checks the signature made with the secret instead.")
	case strings.ContainsAny(raw, " \t\r\n"):
		return inspection.Errorf(inspection.EINVALID, "url must not contain spaces or line breaks.")
	}
	return nil
}

// redactURL is a webhook URL fit for the audit log: no query (which may
// hold a receiver's token) and no fragment.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// normaliseEvents checks and de-duplicates a subscription's events.
func normaliseEvents(events []string) (string, error) {
	var out []string
	for _, e := range events {
		e = strings.TrimSpace(e)
		if !slices.Contains(WebhookEvents, e) {
			return "", inspection.Errorf(inspection.EINVALID, "Unknown webhook event %q: use %s.", e, strings.Join(WebhookEvents, ", "))
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return "", inspection.Errorf(inspection.EINVALID, "Name at least one event: %s.", strings.Join(WebhookEvents, ", "))
	}
	return strings.Join(out, ","), nil
}

// CreateWebhook adds a site's webhook. events are validated and stored
// as a comma list; the audit event records neither the secret nor the
// URL's query.
func (s *Store) CreateWebhook(ctx context.Context, w *Webhook, events []string, actorID string) error {
	if err := ValidateWebhookURL(w.URL); err != nil {
		return err
	}
	if len(w.Secret) < MinWebhookSecret || len(w.Secret) > maxWebhookSecret {
		return inspection.Errorf(inspection.EINVALID, "secret must be %d to %d characters: the receiver checks signatures with it.",
			MinWebhookSecret, maxWebhookSecret)
	}
	ev, err := normaliseEvents(events)
	if err != nil {
		return err
	}
	w.ID, w.Events, w.CreatedAt = uuid.NewString(), ev, s.now()
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Table("sites").Where("id = ?", w.SiteID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return inspection.Errorf(inspection.EINVALID, "There is no site %q.", w.SiteID)
		}
		if err := tx.Create(w).Error; err != nil {
			return translate(err, "Webhook")
		}
		return s.appendAudit(tx, actorID, "webhook.create", "webhook", w.ID, map[string]any{
			"site_id": w.SiteID, "url": redactURL(w.URL), "events": w.EventList(), "active": w.Active})
	})
}

// ListWebhooks returns the webhooks of a site ("" = every site).
func (s *Store) ListWebhooks(ctx context.Context, siteID string) ([]Webhook, error) {
	q := s.readDB(ctx)
	if siteID != "" {
		q = q.Where("site_id = ?", siteID)
	}
	out := []Webhook{}
	err := q.Order("created_at, id").Find(&out).Error
	return out, translate(err, "Webhooks")
}

// WebhookByID finds one webhook.
func (s *Store) WebhookByID(ctx context.Context, id string) (*Webhook, error) {
	var w Webhook
	err := s.readDB(ctx).Where("id = ?", id).Take(&w).Error
	return &w, translate(err, "Webhook")
}

// DeleteWebhook removes a webhook with its deliveries, sent or not.
func (s *Store) DeleteWebhook(ctx context.Context, id, actorID string) error {
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		var w Webhook
		if err := tx.Where("id = ?", id).Take(&w).Error; err != nil {
			return translate(err, "Webhook")
		}
		if err := tx.Where("webhook_id = ?", id).Delete(&WebhookDelivery{}).Error; err != nil {
			return translate(err, "Webhook deliveries")
		}
		if err := tx.Delete(&w).Error; err != nil {
			return translate(err, "Webhook")
		}
		return s.appendAudit(tx, actorID, "webhook.delete", "webhook", id, map[string]any{"site_id": w.SiteID, "url": redactURL(w.URL)})
	})
}

// WebhookDeliveries lists a webhook's deliveries, newest first; status ""
// means any.
func (s *Store) WebhookDeliveries(ctx context.Context, webhookID, status string, limit int) ([]WebhookDelivery, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := s.readDB(ctx).Where("webhook_id = ?", webhookID)
	switch status {
	case "":
	case DeliveryPending, DeliveryDelivered, DeliveryFailed:
		q = q.Where("status = ?", status)
	default:
		return nil, inspection.Errorf(inspection.EINVALID, "status must be pending, delivered or failed.")
	}
	out := []WebhookDelivery{}
	err := q.Order("created_at DESC, id DESC").Limit(limit).Find(&out).Error
	return out, translate(err, "Webhook deliveries")
}

// webhookEnvelope is the JSON body of every delivery.
type webhookEnvelope struct {
	ID         string    `json:"id"` // the event's id: the same in every webhook's delivery of it
	Event      string    `json:"event"`
	SiteID     string    `json:"site_id"`
	OccurredAt time.Time `json:"occurred_at"`
	Data       any       `json:"data"`
}

// enqueueWebhooks puts an event in the outbox of every active webhook of
// the site that subscribes to it, inside tx: the deliveries commit with
// the write that caused the event, or not at all.
func (s *Store) enqueueWebhooks(tx *gorm.DB, siteID, event string, data any) error {
	var hooks []Webhook
	if err := tx.Where("site_id = ? AND active = ?", siteID, true).Order("id").Find(&hooks).Error; err != nil {
		return fmt.Errorf("read webhooks: %w", err)
	}
	hooks = slices.DeleteFunc(hooks, func(w Webhook) bool { return !w.Wants(event) })
	if len(hooks) == 0 {
		return nil
	}
	now := s.now()
	body, err := json.Marshal(webhookEnvelope{ID: uuid.NewString(), Event: event, SiteID: siteID, OccurredAt: now, Data: data})
	if err != nil {
		return fmt.Errorf("webhook payload: %w", err)
	}
	for _, w := range hooks {
		d := WebhookDelivery{ID: uuid.NewString(), WebhookID: w.ID, Event: event, Payload: string(body),
			NextAttemptAt: now, Status: DeliveryPending, CreatedAt: now}
		if err := tx.Create(&d).Error; err != nil {
			return fmt.Errorf("enqueue webhook delivery: %w", err)
		}
	}
	return nil
}

// Emit queues a webhook event inside the transaction, for the webhooks of
// siteID that subscribe to it.
func (t *Tx) Emit(event, siteID string, data any) error {
	db, err := t.write()
	if err != nil {
		return err
	}
	return t.s.enqueueWebhooks(db, siteID, event, data)
}

// DueDelivery is a claimed delivery with what sending it takes.
type DueDelivery struct {
	ID         string
	WebhookID  string
	Event      string
	Payload    string
	Attempts   int
	LeaseToken string
	URL        string
	Secret     string
}

// ClaimDueDeliveries takes up to limit pending deliveries that are due and
// leases them: their next attempt moves lease ahead, so no other
// dispatcher (on any instance) takes them while this one sends them, and
// one that dies mid-send leaves them to be retried when the lease ends.
// On PostgreSQL concurrent claimers skip each other's rows (SKIP LOCKED);
// SQLite has a single writer, so claim-by-update is enough there.
func (s *Store) ClaimDueDeliveries(ctx context.Context, limit int, lease time.Duration) ([]DueDelivery, error) {
	now := s.now()
	token := newLeaseToken()
	out := []DueDelivery{}
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&WebhookDelivery{}).Where("status = ? AND next_attempt_at <= ?", DeliveryPending, now).
			Order("next_attempt_at, created_at, id").Limit(limit)
		if s.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var ids []string
		if err := q.Pluck("id", &ids).Error; err != nil {
			return fmt.Errorf("find due deliveries: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		if err := tx.Model(&WebhookDelivery{}).Where("id IN ?", ids).
			Updates(map[string]any{"lease_token": token, "next_attempt_at": now.Add(lease)}).Error; err != nil {
			return fmt.Errorf("lease deliveries: %w", err)
		}
		return tx.Table("webhook_deliveries AS d").
			Select("d.id, d.webhook_id, d.event, d.payload, d.attempts, d.lease_token, w.url, w.secret").
			Joins("JOIN webhooks AS w ON w.id = d.webhook_id").Where("d.id IN ?", ids).
			Order("d.next_attempt_at, d.created_at, d.id").Scan(&out).Error
	})
	return out, err
}

func newLeaseToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// DeliveryOutcome is what one attempt came to.
type DeliveryOutcome struct {
	Status        string    // DeliveryDelivered, DeliveryPending (retry) or DeliveryFailed
	NextAttemptAt time.Time // for a retry
	Error         string    // why the attempt failed; "" when delivered
}

// FinishDelivery records an attempt made under the lease token. A lease
// that another dispatcher took over (this one was too slow) records
// nothing.
func (s *Store) FinishDelivery(ctx context.Context, id, token string, o DeliveryOutcome) error {
	now := s.now()
	set := map[string]any{"attempts": gorm.Expr("attempts + 1"), "status": o.Status, "last_error": o.Error, "lease_token": ""}
	switch o.Status {
	case DeliveryDelivered:
		set["delivered_at"] = now
	case DeliveryPending:
		set["next_attempt_at"] = o.NextAttemptAt
	case DeliveryFailed:
	default:
		return fmt.Errorf("delivery outcome %q", o.Status)
	}
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		return tx.Model(&WebhookDelivery{}).Where("id = ? AND lease_token = ?", id, token).Updates(set).Error
	})
}
