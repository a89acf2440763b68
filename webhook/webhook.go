// Package webhook delivers returnbench's outbound webhooks: it takes due
// deliveries from the outbox, signs each body with the webhook's shared
// secret, POSTs it, and schedules retries with exponential backoff. It
// knows the outbox only through the two calls it consumes and nothing of
// the HTTP server.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/returnbench/returnbench/store"
)

// Delivery rules.
const (
	// MaxAttempts is how many times a delivery is tried before it fails.
	MaxAttempts = 12
	// Timeout bounds one attempt, connection and answer included.
	Timeout = 10 * time.Second
	// FirstRetry is the wait after the first failure; each failure doubles
	// it, up to MaxRetry.
	FirstRetry = 30 * time.Second
	MaxRetry   = 6 * time.Hour

	// A run claims batch deliveries and sends parallel at a time. The lease
	// keeps claimed deliveries from other dispatchers for longer than the
	// whole batch can take, so only one sends a delivery at a time.
	batch    = 20
	parallel = 4
	lease    = (batch/parallel + 1) * Timeout
	maxError = 300
)

// Headers of every delivery.
const (
	HeaderEvent     = "X-Returnbench-Event"
	HeaderDelivery  = "X-Returnbench-Delivery"
	HeaderTimestamp = "X-Returnbench-Timestamp"
	HeaderSignature = "X-Returnbench-Signature"
)

// Outbox is what the dispatcher needs of the store.
type Outbox interface {
	ClaimDueDeliveries(ctx context.Context, limit int, lease time.Duration) ([]store.DueDelivery, error)
	FinishDelivery(ctx context.Context, id, token string, o store.DeliveryOutcome) error
}

// Sign returns the X-Returnbench-Signature of a body sent at timestamp
// (Unix seconds): "sha256=" and the hex HMAC-SHA256 of "<timestamp>.<body>"
// keyed with the webhook's secret. Receivers recompute it, compare in
// constant time and refuse old timestamps to stop replays.
func Sign(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Backoff is the wait before the next attempt after attempts failed ones:
// 30 s, 1 min, 2 min ... at most 6 h.
func Backoff(attempts int) time.Duration {
	d := FirstRetry
	for i := 1; i < attempts && d < MaxRetry; i++ {
		d *= 2
	}
	return min(d, MaxRetry)
}

// Dispatcher sends due deliveries. Any number of instances may run one:
// the outbox's leases keep them from sending the same delivery at once.
type Dispatcher struct {
	outbox Outbox
	client *http.Client
	now    func() time.Time
	log    *slog.Logger
	mu     sync.Mutex // one run at a time in this process
}

// New returns a dispatcher on outbox with the given clock.
func New(outbox Outbox, now func() time.Time, log *slog.Logger) *Dispatcher {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Dispatcher{outbox: outbox, now: now, log: log, client: &http.Client{
		Timeout:       Timeout,
		CheckRedirect: sameHostRedirect,
	}}
}

// sameHostRedirect follows a redirect only to the same host and scheme (or
// from http to https), and only one that keeps the POST and its body (307,
// 308): the body and signature never go to a host the admin did not name.
func sameHostRedirect(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	switch {
	case len(via) >= 3,
		req.URL.Host != first.Host,
		req.URL.Scheme != first.Scheme && req.URL.Scheme != "https",
		req.Method != http.MethodPost:
		return http.ErrUseLastResponse
	}
	return nil
}

// RunOnce sends every delivery due now and returns how many it attempted.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	total := 0
	for {
		due, err := d.outbox.ClaimDueDeliveries(ctx, batch, lease)
		if err != nil {
			return total, err
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, parallel)
		for _, dd := range due {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				d.deliver(ctx, dd)
			}()
		}
		wg.Wait()
		total += len(due)
		if len(due) < batch || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

// deliver makes one attempt and records its outcome.
func (d *Dispatcher) deliver(ctx context.Context, dd store.DueDelivery) {
	problem := d.post(ctx, dd)
	if ctx.Err() != nil {
		return // shutting down: the lease runs out and the delivery is tried again
	}
	attempts := dd.Attempts + 1
	o := store.DeliveryOutcome{Status: store.DeliveryDelivered}
	switch {
	case problem == "":
	case attempts >= MaxAttempts:
		o = store.DeliveryOutcome{Status: store.DeliveryFailed, Error: problem}
	default:
		o = store.DeliveryOutcome{Status: store.DeliveryPending, Error: problem, NextAttemptAt: d.now().Add(Backoff(attempts))}
	}
	if problem != "" {
		// Never the URL (its query may hold a token) nor the secret.
		d.log.Warn("webhook delivery failed", "delivery", dd.ID, "webhook", dd.WebhookID, "event", dd.Event,
			"attempt", attempts, "error", problem, "status", o.Status)
	}
	if err := d.outbox.FinishDelivery(ctx, dd.ID, dd.LeaseToken, o); err != nil && ctx.Err() == nil {
		d.log.Warn("record webhook delivery", "delivery", dd.ID, "err", err)
	}
}

// post sends the delivery once; "" means the receiver took it (2xx).
func (d *Dispatcher) post(ctx context.Context, dd store.DueDelivery) string {
	body := []byte(dd.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dd.URL, bytes.NewReader(body))
	if err != nil {
		return "the webhook's URL cannot be used"
	}
	ts := d.now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "returnbench-webhooks/1")
	req.Header.Set(HeaderEvent, dd.Event)
	req.Header.Set(HeaderDelivery, dd.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(dd.Secret, ts, body))
	res, err := d.client.Do(req)
	if err != nil {
		return describe(err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return ""
	case res.StatusCode >= 300 && res.StatusCode < 400:
		return fmt.Sprintf("HTTP %d: redirect not followed (only 307/308 to the same host are)", res.StatusCode)
	}
	return "HTTP " + res.Status
}

// describe says why a request failed without the URL in it.
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Sprintf("no answer within %s", Timeout)
		}
		err = ue.Err
	}
	s := err.Error()
	if len(s) > maxError {
		s = s[:maxError]
	}
	return strings.ToValidUTF8(s, "")
}
