package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
	"github.com/returnbench/returnbench/store/storetest"
)

// Callers that share a transaction each land whole or not at all: one
// that fails (or panics) takes back only its own writes.
func TestInGroupTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustCreateUser(t, s, "ben", inspection.RoleInspector)
		grouped := s.Dialect() == store.SQLite // PostgreSQL gives each caller its own transaction
		const callers = 40
		ids := make([]string, callers)
		errs := make([]error, callers)
		boom := errors.New("boom")
		var wg sync.WaitGroup
		for i := range callers {
			ids[i] = uuid.NewString()
			wg.Go(func() {
				errs[i] = s.InGroupTx(ctx, func(tx *store.Tx) error {
					in := &inspection.Inspection{ID: ids[i], SiteID: u.SiteID, InspectorID: u.ID, Status: inspection.StatusDraft, Version: 1}
					if err := tx.InsertInspection(in, u.ID); err != nil {
						return err
					}
					switch i % 10 {
					case 3:
						return boom
					case 7:
						if grouped {
							panic("broken write")
						}
						return boom
					}
					return nil
				})
			})
		}
		wg.Wait()
		for i, err := range errs {
			_, gotErr := s.InspectionByID(ctx, ids[i])
			switch i % 10 {
			case 3:
				if !errors.Is(err, boom) || inspection.ErrorCode(gotErr) != inspection.ENOTFOUND {
					t.Errorf("caller %d failed: answered %v, stored %v; want boom and nothing stored", i, err, gotErr)
				}
			case 7:
				if err == nil || inspection.ErrorCode(gotErr) != inspection.ENOTFOUND {
					t.Errorf("caller %d panicked: answered %v, stored %v; want an error and nothing stored", i, err, gotErr)
				}
			default:
				if err != nil || gotErr != nil {
					t.Errorf("caller %d: answered %v, stored %v; want both fine", i, err, gotErr)
				}
			}
		}
		chs, _, err := s.Changes(ctx, "", 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if want := callers - 2*callers/10; len(chs) != want {
			t.Errorf("%d feed rows, want %d: one per stored inspection", len(chs), want)
		}
		if v, err := s.VerifyAudit(ctx); err != nil || !v.OK {
			t.Errorf("audit chain: %+v, %v", v, err)
		}

		t.Run("CanceledBeforeItsTurn", func(t *testing.T) {
			gone, cancel := context.WithCancel(ctx)
			cancel()
			ran := false
			err := s.InGroupTx(gone, func(tx *store.Tx) error { ran = true; return nil })
			if !errors.Is(err, context.Canceled) || ran {
				t.Fatalf("got %v (ran %v), want canceled without running", err, ran)
			}
		})
	})
}
