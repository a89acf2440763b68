package server_test

import (
	"bytes"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/server"
)

type importAnswer = server.ImportResult

// importFile posts a report from testdata as a multipart form, as the app does.
func (ts *testServer) importFile(t *testing.T, tok, name string) (int, importAnswer, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "reports", name))
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	res := ts.do(t, request{method: "POST", path: "/api/v1/imports", token: tok, body: body.String(),
		header: map[string]string{"Content-Type": mw.FormDataContentType()}})
	var out importAnswer
	if res.status == 200 {
		res.json(t, &out)
	}
	return res.status, out, res.body
}

func (ts *testServer) mustImport(t *testing.T, tok, name string, format string, ins, upd, unch, rej int64) importAnswer {
	t.Helper()
	status, got, body := ts.importFile(t, tok, name)
	if status != 200 || string(got.Format) != format || got.Inserted != ins || got.Updated != upd || got.Unchanged != unch || got.RejectedCount != rej {
		t.Fatalf("import %s: %d %s\nwant %s inserted %d updated %d unchanged %d rejected %d\nlog: %s", name, status, body, format, ins, upd, unch, rej, lastLines(ts.log.String(), 3))
	}
	return got
}

func TestImports(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ts := mustStart(t, dialect, nil)
		lead := ts.mustUser(t, "lee", inspection.RoleLead)

		t.Run("FBACustomerReturns", func(t *testing.T) {
			ts.mustImport(t, lead, "fba_customer_returns.tsv", "fba_customer_returns", 4, 0, 0, 0)
		})
		t.Run("ReimportChangesNothing", func(t *testing.T) {
			ts.mustImport(t, lead, "fba_customer_returns.tsv", "fba_customer_returns", 0, 0, 4, 0)
		})
		t.Run("OverlappingLaterReport", func(t *testing.T) {
			ts.mustImport(t, lead, "fba_customer_returns_later.tsv", "fba_customer_returns", 1, 1, 3, 0)
		})
		t.Run("CSVWithBOMCRLFQuotes", func(t *testing.T) {
			ts.mustImport(t, lead, "fba_customer_returns_bom.csv", "fba_customer_returns", 1, 0, 0, 0)
			var list struct{ Returns []inspection.Return }
			ts.do(t, request{method: "GET", path: "/api/v1/returns?q=115-5555555-5555555", token: lead}).json(t, &list)
			if len(list.Returns) != 1 || list.Returns[0].ProductName != `Toy car, red "racer" edition` || list.Returns[0].BuyerComment != `said "too small", fine` {
				t.Fatalf("quoted fields read as %+v", list.Returns)
			}
		})
		t.Run("MFNReturns", func(t *testing.T) {
			ts.mustImport(t, lead, "mfn_returns.tsv", "mfn_returns", 2, 0, 0, 0)
			ts.mustImport(t, lead, "mfn_returns.tsv", "mfn_returns", 0, 0, 2, 0)
			// The scan at the bench finds them by the label's codes.
			for code, kind := range map[string]string{"DfqRyqfBRRMA": "amazon_rma", "1Z5R89390357567127": "ups",
				"420221539101026837331000039521": "usps", "LPNNC5N165ZVR": "fba_lpn"} {
				var out scanResult
				ts.do(t, request{method: "GET", path: "/api/v1/scan/" + code, token: lead}).json(t, &out)
				if len(out.Returns) != 1 || len(out.Matches) == 0 || out.Matches[0].Kind != kind {
					t.Errorf("scan %s: %d returns, kinds %v; want one %s return", code, len(out.Returns), out.kinds(), kind)
				}
			}
		})
		t.Run("MFNDatesAndAmounts", func(t *testing.T) {
			var list struct{ Returns []inspection.Return }
			ts.do(t, request{method: "GET", path: "/api/v1/returns?q=114-3333333-4444444", token: lead}).json(t, &list)
			if len(list.Returns) != 1 {
				t.Fatalf("found %d", len(list.Returns))
			}
			r := list.Returns[0]
			if r.RefundAmount != 5900 || r.OrderAmount != 5900 || !r.AtoZClaim || r.RequestedAt == nil ||
				r.RequestedAt.Format("2006-01-02") != "2025-07-09" || r.Reason != "NOT_AS_DESCRIBED" || r.Channel != "mfn" {
				t.Fatalf("return %+v", r)
			}
		})
		t.Run("ReimbursementsCloseClaims", func(t *testing.T) {
			ts.mustImport(t, lead, "fba_reimbursements.tsv", "fba_reimbursements", 2, 0, 0, 0)
			ts.mustImport(t, lead, "fba_reimbursements.tsv", "fba_reimbursements", 0, 0, 2, 0)
			var list struct{ Returns []inspection.Return }
			ts.do(t, request{method: "GET", path: "/api/v1/returns?q=112-0000001-0000001", token: lead}).json(t, &list)
			if len(list.Returns) != 1 || list.Returns[0].ReimbursedAmount != 2450 || list.Returns[0].ReimbursedAt == nil {
				t.Fatalf("reimbursed return %+v", list.Returns)
			}
		})
		t.Run("BrokenRowsRejectedByLine", func(t *testing.T) {
			got := ts.mustImport(t, lead, "fba_customer_returns_broken.tsv", "fba_customer_returns", 0, 0, 2, 3)
			lines := map[int]string{}
			for _, r := range got.Rejected {
				lines[r.Line] = r.Reason
			}
			for line, want := range map[int]string{3: "date", 4: "order-id", 5: "quantity"} {
				if !strings.Contains(lines[line], want) {
					t.Errorf("line %d rejected for %q, want a reason about %s", line, lines[line], want)
				}
			}
		})
		t.Run("ErrUnknownLayout422", func(t *testing.T) {
			status, _, body := ts.importFile(t, lead, "unknown_layout.csv")
			if status != 422 || !strings.Contains(string(body), "fba_customer_returns") || !strings.Contains(string(body), "return-date") {
				t.Fatalf("unknown layout: %d %s, want 422 naming the expected headers", status, body)
			}
		})
		t.Run("ErrInspectorMayNotImport", func(t *testing.T) {
			insp := ts.mustUser(t, "ana", inspection.RoleInspector)
			if status, _, _ := ts.importFile(t, insp, "fba_customer_returns.tsv"); status != 403 {
				t.Fatalf("got %d, want 403", status)
			}
		})
	})
}

func TestImportRawBody(t *testing.T) {
	ts := mustStart(t, "sqlite", nil)
	lead := ts.mustUser(t, "lee", inspection.RoleLead)
	data, _ := os.ReadFile("testdata/reports/mfn_returns.tsv")
	res := ts.do(t, request{method: "POST", path: "/api/v1/imports", token: lead, body: string(data),
		header: map[string]string{"Content-Type": "text/tab-separated-values"}})
	var out importAnswer
	res.json(t, &out)
	if res.status != 200 || out.Inserted != 2 {
		t.Fatalf("raw body import: %d %s", res.status, res.body)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
