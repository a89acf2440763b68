package store_test

import (
	"context"
	"testing"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/reports"
	"github.com/returnbench/returnbench/store"
	"github.com/returnbench/returnbench/store/storetest"
)

func TestImportReturnsBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		row := func(lpn, sku, hash string) reports.ReturnRow {
			r := &inspection.Return{Channel: inspection.ChannelFBA, OrderID: "112-0000000-0000100", LPN: lpn, SKU: sku,
				Quantity: 1, Source: string(reports.FBACustomerReturns)}
			return reports.ReturnRow{Return: r, Key: "lpn:" + lpn, Hash: hash}
		}
		t.Run("NewReturnListedTwice", func(t *testing.T) {
			// A file that lists a new return twice, changed in between: one
			// return, with the later row's facts.
			counts, err := s.ImportReturns(ctx, inspection.DefaultSiteID, []reports.ReturnRow{
				row("LPNBATCH00001", "SKU-OLD", "h1"), row("LPNBATCH00002", "SKU-2", "h2"), row("LPNBATCH00001", "SKU-NEW", "h3"),
			})
			if err != nil || counts.Inserted != 2 || counts.Updated != 1 {
				t.Fatalf("import: %+v, %v; want 2 inserted, 1 updated", counts, err)
			}
			got, err := s.FindReturns(ctx, inspection.DefaultSiteID, []string{"LPNBATCH00001"})
			if err != nil || len(got) != 1 || got[0].SKU != "SKU-NEW" || got[0].SourceHash != "h3" || got[0].Version != 1 {
				t.Fatalf("stored %+v, %v; want one return with SKU-NEW", got, err)
			}
			again, err := s.ImportReturns(ctx, inspection.DefaultSiteID, []reports.ReturnRow{row("LPNBATCH00001", "SKU-NEW", "h3")})
			if err != nil || again.Unchanged != 1 {
				t.Fatalf("re-import: %+v, %v; want unchanged", again, err)
			}
		})
		t.Run("AdoptsOnlyItsOwnSite", func(t *testing.T) {
			if err := s.CreateSite(ctx, &inspection.Site{ID: "east", Name: "East"}, ""); err != nil {
				t.Fatal(err)
			}
			theirs := &inspection.Return{SiteID: "east", Channel: inspection.ChannelFBA, LPN: "LPNBATCH00003", OrderID: "112-0000000-0000101"}
			if err := s.CreateReturn(ctx, theirs, ""); err != nil {
				t.Fatal(err)
			}
			counts, err := s.ImportReturns(ctx, inspection.DefaultSiteID, []reports.ReturnRow{row("LPNBATCH00003", "SKU-3", "h4")})
			if err != nil || counts.Inserted != 1 {
				t.Fatalf("import: %+v, %v; want a new return, not the other site's adopted", counts, err)
			}
			if got, _ := s.ReturnByID(ctx, theirs.ID); got.SourceKey != "" || got.SKU != "" {
				t.Fatalf("the other site's return was adopted: %+v", got)
			}
		})
	})
}
