package server_test

import (
	"net/url"
	"testing"

	"github.com/returnbench/returnbench/inspection"
)

type scanResult struct {
	Code    string `json:"code"`
	Matches []struct {
		Kind, Value string
	} `json:"matches"`
	Returns []struct {
		ID         string `json:"id"`
		TrackingID string `json:"tracking_id"`
	} `json:"returns"`
	Inspections []any `json:"inspections"`
}

func (s scanResult) kinds() []string {
	var out []string
	for _, m := range s.Matches {
		out = append(out, m.Kind)
	}
	return out
}

func TestScan(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ts := mustStart(t, dialect, nil)
		lead := ts.mustUser(t, "lead", inspection.RoleLead)
		insp := ts.mustUser(t, "insp", inspection.RoleInspector)
		var created struct{ ID string }
		res := ts.do(t, request{method: "POST", path: "/api/v1/returns", token: lead, body: map[string]any{
			"tracking_id": "1z5r 8939 0357 5671 27", "order_id": "112-4567890-1234567", "rma_id": "DfqRyqfBRRMA",
			"lpn": "LPNNC5N165ZVR", "reason": "CR-DEFECTIVE", "order_amount": "24.99", "product_name": "Kettle",
		}})
		if res.status != 201 {
			t.Fatalf("create return: %d %s", res.status, res.body)
		}
		res.json(t, &created)
		scan := func(t *testing.T, path string) scanResult {
			res := ts.do(t, request{method: "GET", path: path, token: insp})
			if res.status != 200 {
				t.Fatalf("GET %s: %d %s", path, res.status, res.body)
			}
			var out scanResult
			res.json(t, &out)
			return out
		}
		for _, tt := range []struct {
			name, path, kind string
			found            bool
		}{
			{"UPSFindsReturn", "/api/v1/scan/1Z5R89390357567127", "ups", true},
			{"FedExExpress", "/api/v1/scan/986578788855", "fedex", false},
			{"RMAFindsReturn", "/api/v1/scan/DfqRyqfBRRMA", "amazon_rma", true},
			{"LPNFindsReturn", "/api/v1/scan/LPNNC5N165ZVR", "fba_lpn", true},
			{"OrderFindsReturn", "/api/v1/scan/112-4567890-1234567", "amazon_order", true},
			{"QueryForm", "/api/v1/scan?code=" + url.QueryEscape(" 1Z5R89390357567127 "), "ups", true},
			{"UnitURL", "/api/v1/scan?code=" + url.QueryEscape("https://bench.example.com/u/U0123456789"), "unit", false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got := scan(t, tt.path)
				if len(got.Matches) == 0 || got.Matches[0].Kind != tt.kind {
					t.Fatalf("kinds %v, want %s first", got.kinds(), tt.kind)
				}
				if found := len(got.Returns) == 1 && got.Returns[0].ID == created.ID; found != tt.found {
					t.Fatalf("returns %+v, want found=%v", got.Returns, tt.found)
				}
			})
		}
		t.Run("FedExNotGTINWhenCheckFails", func(t *testing.T) {
			for _, k := range scan(t, "/api/v1/scan/986578788855").kinds() {
				if k == "gtin" {
					t.Fatal("986578788855 fails the GS1 check but was reported as gtin")
				}
			}
		})
		t.Run("UnknownCodeHasNoMatches", func(t *testing.T) {
			got := scan(t, "/api/v1/scan/hello-world")
			if got.Matches == nil || len(got.Matches) != 0 || got.Returns == nil || len(got.Returns) != 0 {
				t.Fatalf("got %+v, want empty lists", got)
			}
		})
		t.Run("ErrEmpty", func(t *testing.T) {
			if got := ts.do(t, request{method: "GET", path: "/api/v1/scan", token: insp}).status; got != 400 {
				t.Fatalf("got %d, want 400", got)
			}
		})
	})
}

func TestReturns(t *testing.T) {
	ts := mustStart(t, "sqlite", nil)
	lead := ts.mustUser(t, "lead", inspection.RoleLead)
	t.Run("ErrNoIdentifier", func(t *testing.T) {
		res := ts.do(t, request{method: "POST", path: "/api/v1/returns", token: lead, body: map[string]any{"sku": "ABC"}})
		var body errorBody
		res.json(t, &body)
		if res.status != 400 || body.Error.Code != "invalid" || body.Error.Message == "" {
			t.Fatalf("got %d %s, want 400 invalid", res.status, res.body)
		}
	})
	t.Run("ErrBadAmount", func(t *testing.T) {
		res := ts.do(t, request{method: "POST", path: "/api/v1/returns", token: lead, body: map[string]any{"order_id": "111-1111111-1111111", "order_amount": "12.345"}})
		if res.status != 400 {
			t.Fatalf("got %d %s, want 400", res.status, res.body)
		}
	})
	t.Run("OKWithDeadlines", func(t *testing.T) {
		res := ts.do(t, request{method: "POST", path: "/api/v1/returns", token: lead, body: map[string]any{
			"order_id": "111-1111111-1111112", "channel": "mfn", "arrived_at": "2026-11-20T15:00:00Z"}})
		var r struct{ ID string }
		res.json(t, &r)
		res = ts.do(t, request{method: "GET", path: "/api/v1/returns/" + r.ID, token: lead})
		var got struct {
			Deadlines []struct{ Name, Status string }
		}
		res.json(t, &got)
		if res.status != 200 || len(got.Deadlines) == 0 || got.Deadlines[0].Name != "refund_due" {
			t.Fatalf("got %d %s, want a refund_due deadline", res.status, res.body)
		}
	})
	t.Run("ListAndSearch", func(t *testing.T) {
		res := ts.do(t, request{method: "GET", path: "/api/v1/returns?q=111-1111111-1111112", token: lead})
		var got struct {
			Returns []struct {
				OrderID string `json:"order_id"`
			}
			NextCursor *string `json:"next_cursor"`
		}
		res.json(t, &got)
		if res.status != 200 || len(got.Returns) != 1 || got.NextCursor != nil {
			t.Fatalf("got %d %s, want one return and no cursor", res.status, res.body)
		}
	})
	t.Run("ErrBadCursor", func(t *testing.T) {
		if got := ts.do(t, request{method: "GET", path: "/api/v1/returns?cursor=%%%", token: lead}).status; got != 400 {
			t.Fatalf("got %d, want 400", got)
		}
	})
}
