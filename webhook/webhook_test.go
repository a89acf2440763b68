package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
	"github.com/returnbench/returnbench/store/storetest"
	"github.com/returnbench/returnbench/webhook"
)

func TestBackoff(t *testing.T) {
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, 64 * time.Minute, 128 * time.Minute, 256 * time.Minute, 6 * time.Hour, 6 * time.Hour}
	for i, w := range want {
		if got := webhook.Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
}

func TestSign(t *testing.T) {
	body := []byte(`{"event":"unit.relabelled"}`)
	mac := hmac.New(sha256.New, []byte("s3cret-s3cret-s3cret"))
	mac.Write([]byte("1772445600." + string(body)))
	if got, want := webhook.Sign("s3cret-s3cret-s3cret", 1772445600, body), "sha256="+hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestGivesUpAfterMaxAttempts: a receiver that never answers 2xx gets
// MaxAttempts tries, spaced by the backoff, and then the delivery fails.
func TestGivesUpAfterMaxAttempts(t *testing.T) {
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
			cfg := storetest.Config(t, dialect)
			cfg.Now = clk.Now
			s, err := store.Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			var hits atomic.Int64
			down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.WriteHeader(http.StatusServiceUnavailable)
			}))
			defer down.Close()
			ctx := context.Background()
			w := &store.Webhook{SiteID: inspection.DefaultSiteID, URL: down.URL, Secret: "0123456789abcdef", Active: true}
			if err := s.CreateWebhook(ctx, w, []string{store.EventUnitRelabelled}, ""); err != nil {
				t.Fatal(err)
			}
			if err := s.InTx(ctx, func(tx *store.Tx) error {
				return tx.Emit(store.EventUnitRelabelled, inspection.DefaultSiteID, map[string]string{"unit": "U1"})
			}); err != nil {
				t.Fatal(err)
			}
			d := webhook.New(s, clk.Now, nil)
			for i := 1; i <= webhook.MaxAttempts+2; i++ {
				if _, err := d.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
				clk.Add(webhook.Backoff(i))
			}
			ds, _ := s.WebhookDeliveries(ctx, w.ID, "", 0)
			if hits.Load() != webhook.MaxAttempts || len(ds) != 1 || ds[0].Status != store.DeliveryFailed ||
				ds[0].Attempts != webhook.MaxAttempts || ds[0].LastError != "HTTP 503 Service Unavailable" {
				t.Fatalf("%d requests; deliveries %+v; want %d tries and failed", hits.Load(), ds, webhook.MaxAttempts)
			}
		})
	}
}
