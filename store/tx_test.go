package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
	"github.com/returnbench/returnbench/store/storetest"
)

// A transaction's new inspections are written together, late: reads in the
// transaction see them at once, writes that refer to them find them, and a
// rolled-back savepoint takes back exactly its own, even when it wrote
// earlier ones.
func TestTxDeferredCreates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustCreateUser(t, s, "ana", inspection.RoleInspector)
		draft := func() *inspection.Inspection {
			return &inspection.Inspection{ID: uuid.NewString(), SiteID: u.SiteID, InspectorID: u.ID, Status: inspection.StatusDraft, Version: 1}
		}
		a, b, c := draft(), draft(), draft()
		boom := errors.New("boom")
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.LookAhead([]string{a.ID, b.ID, c.ID}); err != nil {
				return err
			}
			if _, err := tx.Inspection(a.ID); inspection.ErrorCode(err) != inspection.ENOTFOUND {
				t.Errorf("before it is made: %v, want not found", err)
			}
			if err := tx.InsertInspection(a, u.ID); err != nil {
				return err
			}
			if got, err := tx.Inspection(a.ID); err != nil || got.ID != a.ID || got.CreatedAt.IsZero() {
				t.Errorf("made and not written: %+v, %v", got, err)
			}
			if err := tx.InsertInspection(a, u.ID); inspection.ErrorCode(err) != inspection.ECONFLICT {
				t.Errorf("made twice: %v, want conflict", err)
			}
			// A savepoint that writes a (through media referring to it),
			// makes b, then fails: a stays made, b is gone.
			err := tx.Savepoint(func(tx *store.Tx) error {
				if err := tx.InsertInspection(b, u.ID); err != nil {
					return err
				}
				m := &inspection.Media{ID: uuid.NewString(), InspectionID: a.ID, SiteID: a.SiteID, Kind: inspection.MediaContents, Status: inspection.MediaUploading}
				if err := tx.DeclareMedia(m, u.ID); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				return err
			}
			if _, err := tx.Inspection(b.ID); inspection.ErrorCode(err) != inspection.ENOTFOUND {
				t.Errorf("rolled-back b: %v, want not found", err)
			}
			if got, err := tx.Inspection(a.ID); err != nil || got.ID != a.ID {
				t.Errorf("a after the savepoint: %+v, %v", got, err)
			}
			// c is made and then changed in the same transaction.
			if err := tx.InsertInspection(c, u.ID); err != nil {
				return err
			}
			c.Notes, c.Version = "scuffed corner", 2
			return tx.UpdateInspection(c, 1, u.ID, "inspection.save", nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []*inspection.Inspection{a, c} {
			got, err := s.InspectionByID(ctx, want.ID)
			if err != nil || got.Notes != want.Notes || got.Version != want.Version {
				t.Errorf("stored %s: %+v, %v; want notes %q version %d", want.ID, got, err, want.Notes, want.Version)
			}
		}
		if _, err := s.InspectionByID(ctx, b.ID); inspection.ErrorCode(err) != inspection.ENOTFOUND {
			t.Errorf("b was stored: %v", err)
		}
		if files, err := s.MediaOf(ctx, a.ID); err != nil || len(files) != 0 {
			t.Errorf("a's media from the rolled-back savepoint: %+v, %v", files, err)
		}
		// Every create and the update have their feed rows; b has none.
		chs, _, err := s.Changes(ctx, "", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, ch := range chs {
			n[ch.EntityID]++
		}
		if n[a.ID] != 1 || n[b.ID] != 0 || n[c.ID] != 2 {
			t.Errorf("feed rows: a %d, b %d, c %d; want 1, 0, 2", n[a.ID], n[b.ID], n[c.ID])
		}
	})
}
