package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
	"github.com/returnbench/returnbench/store/storetest"
)

func mustWebhook(tb testing.TB, s *store.Store, events ...string) *store.Webhook {
	tb.Helper()
	w := &store.Webhook{SiteID: inspection.DefaultSiteID, URL: "https://erp.example/hooks/returnbench?token=abc",
		Secret: "a-shared-secret-of-some-length", Active: true}
	if err := s.CreateWebhook(context.Background(), w, events, ""); err != nil {
		tb.Fatalf("create webhook: %v", err)
	}
	return w
}

func TestWebhookOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := mustWebhook(t, s, store.EventInspectionCompleted)
		other := mustWebhook(t, s, store.EventUnitRelabelled)

		t.Run("ErrBadSettings", func(t *testing.T) {
			for name, hook := range map[string]*store.Webhook{
				"Credentials": {SiteID: "main", URL: "https://user:pw@erp.example/h", Secret: "0123456789abcdef"},
				"Scheme":      {SiteID: "main", URL: "ftp://erp.example/h", Secret: "0123456789abcdef"},
				"Relative":    {SiteID: "main", URL: "/hooks", Secret: "0123456789abcdef"},
				"ShortSecret": {SiteID: "main", URL: "https://erp.example/h", Secret: "short"},
				"NoSite":      {SiteID: "nowhere", URL: "https://erp.example/h", Secret: "0123456789abcdef"},
			} {
				if err := s.CreateWebhook(ctx, hook, []string{store.EventUnitRelabelled}, ""); inspection.ErrorCode(err) != inspection.EINVALID {
					t.Errorf("%s: got %v, want invalid", name, err)
				}
			}
			err := s.CreateWebhook(ctx, &store.Webhook{SiteID: "main", URL: "https://erp.example/h", Secret: "0123456789abcdef"},
				[]string{"return.teleported"}, "")
			if inspection.ErrorCode(err) != inspection.EINVALID {
				t.Errorf("unknown event: got %v", err)
			}
		})

		t.Run("RolledBackWriteEnqueuesNothing", func(t *testing.T) {
			boom := errors.New("boom")
			err := s.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.Emit(store.EventInspectionCompleted, inspection.DefaultSiteID, map[string]any{"n": 1}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatal(err)
			}
			if ds, _ := s.WebhookDeliveries(ctx, w.ID, "", 0); len(ds) != 0 {
				t.Fatalf("%d deliveries after a rollback, want 0", len(ds))
			}
			// A sync batch: the rejected mutation's savepoint is undone, the batch commits.
			err = s.InTx(ctx, func(tx *store.Tx) error {
				err := tx.Savepoint(func(tx *store.Tx) error {
					if err := tx.Emit(store.EventInspectionCompleted, inspection.DefaultSiteID, map[string]any{"n": 1}); err != nil {
						return err
					}
					return boom
				})
				if !errors.Is(err, boom) {
					return err
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if ds, _ := s.WebhookDeliveries(ctx, w.ID, "", 0); len(ds) != 0 {
				t.Fatalf("%d deliveries after a rolled-back savepoint, want 0", len(ds))
			}
		})

		t.Run("ClaimLeaseFinish", func(t *testing.T) {
			if err := s.InTx(ctx, func(tx *store.Tx) error {
				return tx.Emit(store.EventInspectionCompleted, inspection.DefaultSiteID, map[string]any{"n": 2})
			}); err != nil {
				t.Fatal(err)
			}
			if ds, _ := s.WebhookDeliveries(ctx, other.ID, "", 0); len(ds) != 0 {
				t.Fatal("a webhook got an event it did not subscribe to")
			}
			due, err := s.ClaimDueDeliveries(ctx, 10, time.Minute)
			if err != nil || len(due) != 1 || due[0].URL != w.URL || due[0].Secret != w.Secret || due[0].Event != store.EventInspectionCompleted {
				t.Fatalf("claimed %+v, %v", due, err)
			}
			// Leased: a second dispatcher finds nothing to do.
			if again, _ := s.ClaimDueDeliveries(ctx, 10, time.Minute); len(again) != 0 {
				t.Fatalf("claimed a leased delivery again: %+v", again)
			}
			// Only the lease holder records the outcome.
			if err := s.FinishDelivery(ctx, due[0].ID, "stale-token", store.DeliveryOutcome{Status: store.DeliveryDelivered}); err != nil {
				t.Fatal(err)
			}
			if err := s.FinishDelivery(ctx, due[0].ID, due[0].LeaseToken, store.DeliveryOutcome{Status: store.DeliveryDelivered}); err != nil {
				t.Fatal(err)
			}
			ds, _ := s.WebhookDeliveries(ctx, w.ID, store.DeliveryDelivered, 0)
			if len(ds) != 1 || ds[0].Attempts != 1 || ds[0].DeliveredAt == nil {
				t.Fatalf("deliveries %+v, want one delivered after one attempt", ds)
			}
		})

		t.Run("ConcurrentClaimsAreDisjoint", func(t *testing.T) {
			for i := range 30 {
				if err := s.InTx(ctx, func(tx *store.Tx) error {
					return tx.Emit(store.EventUnitRelabelled, inspection.DefaultSiteID, map[string]any{"n": i})
				}); err != nil {
					t.Fatal(err)
				}
			}
			var mu sync.Mutex
			var wg sync.WaitGroup
			seen := map[string]int{}
			for range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					due, err := s.ClaimDueDeliveries(ctx, 20, time.Minute)
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					defer mu.Unlock()
					for _, d := range due {
						seen[d.ID]++
					}
				}()
			}
			wg.Wait()
			if len(seen) != 30 {
				t.Fatalf("claimed %d distinct deliveries, want all 30", len(seen))
			}
			for id, n := range seen {
				if n != 1 {
					t.Fatalf("delivery %s claimed %d times", id, n)
				}
			}
		})

		t.Run("DeleteRemovesDeliveries", func(t *testing.T) {
			if err := s.DeleteWebhook(ctx, w.ID, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := s.WebhookByID(ctx, w.ID); inspection.ErrorCode(err) != inspection.ENOTFOUND {
				t.Fatalf("after delete: %v", err)
			}
			if err := s.DeleteWebhook(ctx, w.ID, ""); inspection.ErrorCode(err) != inspection.ENOTFOUND {
				t.Fatalf("second delete: %v", err)
			}
		})
	})
}

func TestAnnounceClaimWindows(t *testing.T) {
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			now := time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC)
			cfg := storetest.Config(t, dialect)
			cfg.Now = func() time.Time { return now }
			s, err := store.Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			ctx := context.Background()
			w := mustWebhook(t, s, store.EventClaimWindowOpened)
			days := func(n int) *time.Time { t := now.AddDate(0, 0, -n); return &t }
			open := mustReturn(t, s, &inspection.Return{OrderID: "112-0000000-0000010", Channel: inspection.ChannelFBA, RefundedAt: days(61)})
			mustReturn(t, s, &inspection.Return{OrderID: "112-0000000-0000011", Channel: inspection.ChannelFBA, RefundedAt: days(30)})
			mustReturn(t, s, &inspection.Return{OrderID: "112-0000000-0000012", Channel: inspection.ChannelFBA, RefundedAt: days(61), ArrivedAt: days(5)})
			mustReturn(t, s, &inspection.Return{OrderID: "112-0000000-0000013", Channel: inspection.ChannelMFN, RefundedAt: days(61)})
			mustReturn(t, s, &inspection.Return{OrderID: "112-0000000-0000014", Channel: inspection.ChannelFBA, RefundedAt: days(200)})

			policies := inspection.DefaultPolicies()
			if n, err := s.AnnounceClaimWindows(ctx, policies); err != nil || n != 1 {
				t.Fatalf("announced %d, %v; want 1", n, err)
			}
			if n, err := s.AnnounceClaimWindows(ctx, policies); err != nil || n != 0 {
				t.Fatalf("second check announced %d, %v; want 0 (each window fires once)", n, err)
			}
			ds, _ := s.WebhookDeliveries(ctx, w.ID, "", 0)
			if len(ds) != 1 || ds[0].Event != store.EventClaimWindowOpened {
				t.Fatalf("deliveries %+v", ds)
			}
			if want := `"id":"` + open.ID + `"`; !strings.Contains(ds[0].Payload, want) {
				t.Fatalf("payload %s does not name return %s", ds[0].Payload, open.ID)
			}
		})
	}
}
