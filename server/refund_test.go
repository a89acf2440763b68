package server_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/server"
	"github.com/returnbench/returnbench/store"
)

// importRefunds posts a file from testdata/refunds as the app does
// (multipart), or as a raw body when raw is set.
func (ts *testServer) importRefunds(t *testing.T, tok, name string, raw bool) (int, server.RefundImportResult, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "refunds", name))
	if err != nil {
		t.Fatal(err)
	}
	req := request{method: "POST", path: "/api/v1/refunds/import", token: tok, body: string(data),
		header: map[string]string{"Content-Type": "application/octet-stream"}}
	if !raw {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data)
		mw.Close()
		req.body, req.header["Content-Type"] = body.String(), mw.FormDataContentType()
	}
	res := ts.do(t, req)
	var out server.RefundImportResult
	if res.status == 200 {
		res.json(t, &out)
	}
	return res.status, out, res.body
}

// mustImportRefunds checks messages, refunds, applied, unchanged, returns
// created and skipped messages of one import.
func (ts *testServer) mustImportRefunds(t *testing.T, tok, name string, msgs, refunds, applied, unchanged, created, skipped int) server.RefundImportResult {
	t.Helper()
	status, got, body := ts.importRefunds(t, tok, name, false)
	if status != 200 || got.Messages != msgs || got.Refunds != refunds || got.Applied != applied || got.Unchanged != unchanged ||
		got.ReturnsCreated != created || len(got.Skipped) != skipped || got.SkippedCount != skipped {
		t.Fatalf("import %s: %d %s\nwant messages %d refunds %d applied %d unchanged %d created %d skipped %d\nlog: %s",
			name, status, body, msgs, refunds, applied, unchanged, created, skipped, lastLines(ts.log.String(), 3))
	}
	return got
}

type returnWithDeadlines struct {
	Return    inspection.Return
	Deadlines []inspection.Deadline
}

func (ts *testServer) returnOf(t *testing.T, tok, id string) returnWithDeadlines {
	t.Helper()
	var out returnWithDeadlines
	res := ts.do(t, request{method: "GET", path: "/api/v1/returns/" + id, token: tok})
	if res.status != 200 {
		t.Fatalf("get return %s: %d %s", id, res.status, res.body)
	}
	res.json(t, &out)
	return out
}

func (ts *testServer) findReturns(t *testing.T, tok, q string) []inspection.Return {
	t.Helper()
	var list struct{ Returns []inspection.Return }
	ts.do(t, request{method: "GET", path: "/api/v1/returns?q=" + q, token: tok}).json(t, &list)
	return list.Returns
}

func deadlineNames(ds []inspection.Deadline) map[string]bool {
	out := map[string]bool{}
	for _, d := range ds {
		out[d.Name] = true
	}
	return out
}

func TestRefundImport(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		clk := &clock{t: time.Date(2025, 7, 20, 16, 0, 0, 0, time.UTC)}
		ts := mustStart(t, dialect, func(c *server.Config) { c.Now = clk.Now })
		lead := ts.mustUser(t, "lee", inspection.RoleLead)

		t.Run("RefundStartsTheFBAClock", func(t *testing.T) {
			res := ts.do(t, request{method: "POST", path: "/api/v1/returns", token: lead, body: map[string]any{
				"order_id": "112-3456789-0123456", "sku": "BCB-L-01", "channel": "fba"}})
			var ret inspection.Return
			res.json(t, &ret)
			if before := ts.returnOf(t, lead, ret.ID); len(before.Deadlines) != 0 {
				t.Fatalf("deadlines before the refund: %+v", before.Deadlines)
			}
			got := ts.mustImportRefunds(t, lead, "fba_refund_initiated.eml", 1, 1, 1, 0, 0, 0)
			if got.Format != "eml" || got.ReturnsUpdated != 1 || len(got.SHA256) != 64 {
				t.Fatalf("answer %+v", got)
			}
			after := ts.returnOf(t, lead, ret.ID)
			if after.Return.RefundedAt == nil || after.Return.RefundedAt.Format(time.RFC3339) != "2025-07-10T21:22:03Z" ||
				after.Return.RefundAmount != 2499 || after.Return.Currency != "USD" || after.Return.Version != 2 {
				t.Fatalf("return after the refund %+v", after.Return)
			}
			names := deadlineNames(after.Deadlines)
			for _, want := range []string{inspection.DeadlineFBAUnitExpected, inspection.DeadlineClaimWindowOpens, inspection.DeadlineClaimWindowCloses} {
				if !names[want] {
					t.Errorf("deadline %s missing from %+v", want, after.Deadlines)
				}
			}
			evs, _ := ts.Store().AuditEvents(context.Background(), "return", ret.ID)
			if last := evs[len(evs)-1]; last.Action != "return.refund" {
				t.Errorf("last audit event %q, want return.refund", last.Action)
			}
		})
		t.Run("ReimportChangesNothing", func(t *testing.T) {
			ts.mustImportRefunds(t, lead, "fba_refund_initiated.eml", 1, 1, 0, 1, 0, 0)
			// The same email as a raw body (a script) is the same refund.
			status, got, body := ts.importRefunds(t, lead, "fba_refund_initiated.eml", true)
			if status != 200 || got.Unchanged != 1 || got.Applied != 0 {
				t.Fatalf("raw body: %d %s", status, body)
			}
		})
		t.Run("QuotedPrintableTwoItemsUnknownOrder", func(t *testing.T) {
			ts.mustImportRefunds(t, lead, "mfn_refund_issued_qp.eml", 1, 2, 2, 0, 2, 0)
			rs := ts.findReturns(t, lead, "114-2233445-5566778")
			if len(rs) != 2 {
				t.Fatalf("%d returns for the order, want one per refunded item", len(rs))
			}
			for _, r := range rs {
				if r.Channel != inspection.ChannelMFN || r.Source != store.SourceRefundEmail || r.RefundedAt == nil || r.RefundAmount == 0 {
					t.Errorf("created return %+v", r)
				}
			}
			ts.mustImportRefunds(t, lead, "mfn_refund_issued_qp.eml", 1, 2, 0, 2, 0, 0)
		})
		t.Run("HTMLOnly", func(t *testing.T) {
			ts.mustImportRefunds(t, lead, "fba_refund_html_only.eml", 1, 1, 1, 0, 1, 0)
			rs := ts.findReturns(t, lead, "113-9876543-2109876")
			if len(rs) != 1 || rs[0].Channel != inspection.ChannelFBA || rs[0].ASIN != "B0C1X2Y3Z4" || rs[0].RefundAmount != 1299 {
				t.Fatalf("returns %+v", rs)
			}
			ts.mustImportRefunds(t, lead, "fba_refund_html_only.eml", 1, 1, 0, 1, 0, 0)
		})
		t.Run("MboxWithGarbageMessage", func(t *testing.T) {
			got := ts.mustImportRefunds(t, lead, "refunds.mbox", 4, 4, 4, 0, 4, 1)
			if got.Format != "mbox" || got.Skipped[0].Message != 3 || !strings.Contains(got.Skipped[0].Reason, "not an email") {
				t.Fatalf("answer %+v, want message 3 skipped as not an email", got)
			}
			// An unknown channel defaults to FBA, so the refund's clock runs.
			rs := ts.findReturns(t, lead, "111-2223334-4455566")
			if len(rs) != 1 || rs[0].Channel != inspection.ChannelFBA || !deadlineNames(ts.returnOf(t, lead, rs[0].ID).Deadlines)[inspection.DeadlineClaimWindowOpens] {
				t.Fatalf("returns %+v, want one FBA return with its claim window", rs)
			}
			ts.mustImportRefunds(t, lead, "refunds.mbox", 4, 4, 0, 4, 0, 1)
		})
		t.Run("ErrEmpty", func(t *testing.T) {
			res := ts.do(t, request{method: "POST", path: "/api/v1/refunds/import", token: lead, body: "  \n",
				header: map[string]string{"Content-Type": "message/rfc822"}})
			if res.status != 400 {
				t.Fatalf("empty upload: %d %s", res.status, res.body)
			}
		})
	})
}

func TestManualRefund(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		clk := &clock{t: time.Date(2025, 7, 20, 16, 0, 0, 0, time.UTC)}
		ts := mustStart(t, dialect, func(c *server.Config) { c.Now = clk.Now })
		lead := ts.mustUser(t, "lee", inspection.RoleLead)
		insp := ts.mustUser(t, "ana", inspection.RoleInspector)
		res := ts.do(t, request{method: "POST", path: "/api/v1/returns", token: lead, body: map[string]any{
			"order_id": "114-1111111-2222222", "channel": "mfn", "arrived_at": "2025-07-18T10:00:00Z"}})
		var ret inspection.Return
		res.json(t, &ret)
		if !deadlineNames(ts.returnOf(t, lead, ret.ID).Deadlines)[inspection.DeadlineRefundDue] {
			t.Fatal("an arrived MFN return without a refund should owe one")
		}
		body := map[string]any{"order_id": "114-1111111-2222222", "amount": 19.99, "currency": "usd", "refunded_at": "2025-07-19T15:00:00Z"}

		t.Run("Created", func(t *testing.T) {
			res := ts.do(t, request{method: "POST", path: "/api/v1/refunds", token: lead, body: body})
			var out struct {
				Refund         inspection.Refund
				UpdatedReturns []string `json:"updated_returns"`
				CreatedReturn  *string  `json:"created_return"`
			}
			res.json(t, &out)
			if res.status != 201 || out.Refund.Source != "manual" || out.Refund.Currency != "USD" || len(out.UpdatedReturns) != 1 ||
				out.UpdatedReturns[0] != ret.ID || out.CreatedReturn != nil {
				t.Fatalf("got %d %s", res.status, res.body)
			}
			after := ts.returnOf(t, lead, ret.ID)
			if after.Return.RefundAmount != 1999 || deadlineNames(after.Deadlines)[inspection.DeadlineRefundDue] {
				t.Fatalf("return %+v deadlines %+v: the refund should end refund_due", after.Return, after.Deadlines)
			}
		})
		t.Run("ErrDuplicate409", func(t *testing.T) {
			if res := ts.do(t, request{method: "POST", path: "/api/v1/refunds", token: lead, body: body}); res.status != 409 {
				t.Fatalf("got %d %s", res.status, res.body)
			}
		})
		t.Run("UnknownOrderCreatesReturn", func(t *testing.T) {
			res := ts.do(t, request{method: "POST", path: "/api/v1/refunds", token: lead, body: map[string]any{
				"order_id": "112-9999999-0000001", "sku": "X-1", "refunded_at": "2025-07-01T00:00:00Z"}})
			var out struct {
				CreatedReturn *string `json:"created_return"`
			}
			res.json(t, &out)
			if res.status != 201 || out.CreatedReturn == nil {
				t.Fatalf("got %d %s", res.status, res.body)
			}
			if r := ts.returnOf(t, lead, *out.CreatedReturn); r.Return.Channel != "fba" || r.Return.Source != store.SourceRefundManual {
				t.Fatalf("created %+v", r.Return)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			for name, b := range map[string]map[string]any{
				"BadOrder":   {"order_id": "12345", "refunded_at": "2025-07-01T00:00:00Z"},
				"NoDate":     {"order_id": "112-9999999-0000002"},
				"Future":     {"order_id": "112-9999999-0000002", "refunded_at": "2025-09-01T00:00:00Z"},
				"Negative":   {"order_id": "112-9999999-0000002", "refunded_at": "2025-07-01T00:00:00Z", "amount": -5},
				"BadChannel": {"order_id": "112-9999999-0000002", "refunded_at": "2025-07-01T00:00:00Z", "channel": "ebay"},
			} {
				if res := ts.do(t, request{method: "POST", path: "/api/v1/refunds", token: lead, body: b}); res.status != 400 {
					t.Errorf("%s: got %d %s, want 400", name, res.status, res.body)
				}
			}
		})
		t.Run("ErrInspectorForbidden", func(t *testing.T) {
			if res := ts.do(t, request{method: "POST", path: "/api/v1/refunds", token: insp, body: body}); res.status != 403 {
				t.Fatalf("got %d", res.status)
			}
		})
	})
}
