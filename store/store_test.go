package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
	"github.com/returnbench/returnbench/store/storetest"
)

func mustCreateUser(tb testing.TB, s *store.Store, name string, role inspection.Role) *inspection.User {
	tb.Helper()
	u := &inspection.User{Username: name, PasswordHash: "x", Role: role}
	if err := s.CreateUser(context.Background(), u, ""); err != nil {
		tb.Fatalf("create user %s: %v", name, err)
	}
	return u
}

func TestMigrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		v, err := s.SchemaVersion(ctx)
		if err != nil || v < 1 {
			t.Fatalf("schema version = %d, %v; want >= 1", v, err)
		}
		t.Run("ReopenIsNoop", func(t *testing.T) {
			// Opening again runs the migrator again; nothing may be re-applied.
			if _, err := s.SchemaVersion(ctx); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestMigrationsConcurrentOpen(t *testing.T) {
	// Two instances starting together on one PostgreSQL must not both migrate.
	url := storetest.NewPostgresDB(t)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := store.Open(context.Background(), store.Config{DatabaseURL: url})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
}

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustCreateUser(t, s, "ana", inspection.RoleInspector)
		t.Run("OK", func(t *testing.T) {
			got, err := s.UserByUsername(ctx, "ana")
			if err != nil || got.ID != u.ID || got.Role != inspection.RoleInspector {
				t.Fatalf("got %+v, %v; want id %s inspector", got, err, u.ID)
			}
		})
		t.Run("ErrDuplicate", func(t *testing.T) {
			err := s.CreateUser(ctx, &inspection.User{Username: "ana", PasswordHash: "x", Role: inspection.RoleLead}, "")
			if got, want := inspection.ErrorCode(err), inspection.ECONFLICT; got != want {
				t.Fatalf("got %q (%v), want %q", got, err, want)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := s.UserByUsername(ctx, "nobody")
			if got, want := inspection.ErrorCode(err), inspection.ENOTFOUND; got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	})
}

func TestAuditChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		// Concurrent writers must still produce one unbroken chain.
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u := &inspection.User{Username: fmt.Sprintf("u%d", i), PasswordHash: "x", Role: inspection.RoleInspector}
				if err := s.CreateUser(ctx, u, ""); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got, err := s.VerifyAudit(ctx)
		if err != nil || !got.OK || got.Events != 8 {
			t.Fatalf("verify = %+v, %v; want ok with 8 events", got, err)
		}
		t.Run("TamperDetected", func(t *testing.T) {
			if err := s.TamperForTest(ctx, 3); err != nil {
				t.Fatal(err)
			}
			got, err := s.VerifyAudit(ctx)
			if err != nil || got.OK || got.FirstBadEvent == nil || got.FirstBadEvent.Seq != 3 {
				t.Fatalf("verify = %+v, %v; want first bad event 3", got, err)
			}
		})
	})
}

func TestFindReturns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := &inspection.Return{OrderID: "112-4567890-1234567", TrackingID: "1Z5R89390357567127", RMAID: "DfqRyqfBRRMA", Quantity: 1}
		if err := s.CreateReturn(ctx, r, ""); err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{"1Z5R89390357567127", "DfqRyqfBRRMA", "112-4567890-1234567"} {
			t.Run("Found/"+code, func(t *testing.T) {
				rs, err := s.FindReturns(ctx, inspection.DefaultSiteID, []string{code})
				if err != nil || len(rs) != 1 || rs[0].ID != r.ID {
					t.Fatalf("got %d returns, %v; want %s", len(rs), err, r.ID)
				}
			})
		}
		t.Run("OtherSiteSeesNothing", func(t *testing.T) {
			rs, err := s.FindReturns(ctx, "elsewhere", []string{"1Z5R89390357567127"})
			if err != nil || len(rs) != 0 {
				t.Fatalf("got %d, %v; want 0", len(rs), err)
			}
		})
		t.Run("ListPaged", func(t *testing.T) {
			for i := range 5 {
				if err := s.CreateReturn(ctx, &inspection.Return{OrderID: fmt.Sprintf("111-0000000-000000%d", i)}, ""); err != nil {
					t.Fatal(err)
				}
			}
			seen := map[string]bool{}
			cursor := ""
			for range 10 {
				rs, next, err := s.ListReturns(ctx, store.ReturnFilter{Limit: 2, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rs {
					if seen[r.ID] {
						t.Fatalf("return %s listed twice", r.ID)
					}
					seen[r.ID] = true
				}
				if cursor = next; cursor == "" {
					break
				}
			}
			if got, want := len(seen), 6; got != want {
				t.Fatalf("listed %d, want %d", got, want)
			}
		})
	})
}
