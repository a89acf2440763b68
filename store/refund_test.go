package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/reports"
	"github.com/returnbench/returnbench/store"
	"github.com/returnbench/returnbench/store/storetest"
)

func mustReturn(tb testing.TB, s *store.Store, r *inspection.Return) *inspection.Return {
	tb.Helper()
	r.SiteID = inspection.DefaultSiteID
	if r.Quantity == 0 {
		r.Quantity = 1
	}
	if err := s.CreateReturn(context.Background(), r, ""); err != nil {
		tb.Fatalf("create return: %v", err)
	}
	return r
}

func mustRecord(tb testing.TB, s *store.Store, refunds ...inspection.Refund) []store.RefundOutcome {
	tb.Helper()
	out, err := s.RecordRefunds(context.Background(), inspection.DefaultSiteID, "", refunds)
	if err != nil {
		tb.Fatalf("record refunds: %v", err)
	}
	return out
}

func TestRecordRefunds(t *testing.T) {
	at := time.Date(2025, 7, 10, 21, 22, 3, 0, time.UTC)
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t.Run("AppliesBySKUAndKeepsWhatIsSet", func(t *testing.T) {
			mine := mustReturn(t, s, &inspection.Return{OrderID: "112-0000000-0000001", SKU: "A", Channel: inspection.ChannelFBA})
			other := mustReturn(t, s, &inspection.Return{OrderID: "112-0000000-0000001", SKU: "B", Channel: inspection.ChannelFBA})
			out := mustRecord(t, s, inspection.Refund{OrderID: "112-0000000-0000001", SKU: "A", Amount: 1250, Currency: "USD",
				RefundedAt: at, Source: inspection.RefundSourceEML})
			if !out[0].New || len(out[0].Updated) != 1 || out[0].Updated[0] != mine.ID || out[0].Created != "" {
				t.Fatalf("outcome %+v, want the SKU's return updated", out[0])
			}
			got, _ := s.ReturnByID(ctx, mine.ID)
			if got.RefundedAt == nil || !got.RefundedAt.Equal(at) || got.RefundAmount != 1250 || got.Currency != "USD" || got.Version != 2 {
				t.Fatalf("return %+v", got)
			}
			if o, _ := s.ReturnByID(ctx, other.ID); o.RefundedAt != nil {
				t.Fatal("the other item's return was refunded too")
			}
			// A second, later refund of the same item is recorded but the first date and amount stand.
			out = mustRecord(t, s, inspection.Refund{OrderID: "112-0000000-0000001", SKU: "A", Amount: 999,
				RefundedAt: at.Add(48 * time.Hour), Source: inspection.RefundSourceManual})
			if !out[0].New || len(out[0].Updated) != 0 {
				t.Fatalf("outcome %+v, want recorded without changing the return", out[0])
			}
			evs, _ := s.AuditEvents(ctx, "return", mine.ID)
			if last := evs[len(evs)-1]; last.Action != "return.refund" {
				t.Fatalf("last audit event %q, want return.refund", last.Action)
			}
		})
		t.Run("SameRefundAgainChangesNothing", func(t *testing.T) {
			r := inspection.Refund{OrderID: "112-0000000-0000002", ItemName: "Mug", Amount: 500, RefundedAt: at, Source: inspection.RefundSourceEML}
			first := mustRecord(t, s, r)
			seq, _ := s.LastChangeSeq(ctx)
			again := mustRecord(t, s, r, r)
			if !first[0].New || again[0].New || again[1].New {
				t.Fatalf("first %+v again %+v", first[0], again)
			}
			if seq2, _ := s.LastChangeSeq(ctx); seq2 != seq {
				t.Fatalf("feed moved from %d to %d on a repeat", seq, seq2)
			}
		})
		t.Run("UnknownOrderCreatesFBAReturn", func(t *testing.T) {
			out := mustRecord(t, s, inspection.Refund{OrderID: "112-0000000-0000003", ASIN: "B0ABCDEFGH", Amount: 700,
				RefundedAt: at, Source: inspection.RefundSourceMbox})
			ret, err := s.ReturnByID(ctx, out[0].Created)
			if err != nil || ret.Channel != inspection.ChannelFBA || ret.Source != store.SourceRefundEmail || ret.RefundedAt == nil ||
				ret.ASIN != "B0ABCDEFGH" || ret.RefundAmount != 700 {
				t.Fatalf("created return %+v, %v", ret, err)
			}
			mfn := mustRecord(t, s, inspection.Refund{OrderID: "112-0000000-0000004", Channel: inspection.ChannelMFN,
				RefundedAt: at, Source: inspection.RefundSourceManual})
			if ret, _ := s.ReturnByID(ctx, mfn[0].Created); ret.Channel != inspection.ChannelMFN || ret.Source != store.SourceRefundManual {
				t.Fatalf("created return %+v, want the notice's channel", ret)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			_, err := s.RecordRefunds(ctx, inspection.DefaultSiteID, "", []inspection.Refund{{OrderID: "nope", RefundedAt: at}})
			if inspection.ErrorCode(err) != inspection.EINVALID {
				t.Fatalf("got %v, want invalid", err)
			}
		})
		t.Run("ReportRowAdoptsRefundReturn", func(t *testing.T) {
			// Amazon refunds first; the unit shows up in the returns report later.
			out := mustRecord(t, s, inspection.Refund{OrderID: "112-0000000-0000005", SKU: "SKU-5", Amount: 2000, Currency: "USD",
				RefundedAt: at, Source: inspection.RefundSourceEML})
			ret := &inspection.Return{Channel: inspection.ChannelFBA, OrderID: "112-0000000-0000005", SKU: "SKU-5", Quantity: 1,
				LPN: "LPNADOPT00001", Source: string(reports.FBACustomerReturns)}
			counts, err := s.ImportReturns(ctx, inspection.DefaultSiteID, []reports.ReturnRow{{Return: ret, Key: "lpn:LPNADOPT00001", Hash: "h1"}})
			if err != nil || counts.Updated != 1 || counts.Inserted != 0 {
				t.Fatalf("import: %+v %v, want the refund's return updated, none inserted", counts, err)
			}
			got, _ := s.ReturnByID(ctx, out[0].Created)
			if got.LPN != "LPNADOPT00001" || got.RefundedAt == nil || got.RefundAmount != 2000 || got.Currency != "USD" {
				t.Fatalf("adopted return %+v, want the report's facts and the refund's kept", got)
			}
		})
	})
}
