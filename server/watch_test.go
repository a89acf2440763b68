package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/server"
	rbsync "github.com/returnbench/returnbench/sync"
)

// pacific is where the default policy counts days and business days.
var pacific = func() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		panic(err)
	}
	return loc
}()

// mustStartAt runs a server whose clock is clk and whose sign-ins last a
// year, so that a test can move the clock by days without signing in again.
func mustStartAt(t *testing.T, dialect string, clk *clock) *testServer {
	t.Helper()
	return mustStart(t, dialect, func(c *server.Config) {
		c.Now = clk.Now
		c.SessionTTL = 365 * 24 * time.Hour
	})
}

// mustUserAt creates a signed-in account on another site than the default.
func (ts *testServer) mustUserAt(t *testing.T, name string, role inspection.Role, siteID string) string {
	t.Helper()
	u, err := server.NewUser(name, "password-"+name, string(role))
	if err != nil {
		t.Fatal(err)
	}
	u.SiteID = siteID
	if err := ts.Store().CreateUser(context.Background(), u, ""); err != nil {
		t.Fatal(err)
	}
	return ts.mustLogin(t, name, "password-"+name)
}

// mustReturn creates a return through the API, as a lead would, and
// returns its id.
func (ts *testServer) mustReturn(t *testing.T, tok string, fields map[string]any) string {
	t.Helper()
	res := ts.do(t, request{method: "POST", path: "/api/v1/returns", token: tok, body: fields})
	var out struct{ ID string }
	res.json(t, &out)
	if res.status != 201 || out.ID == "" {
		t.Fatalf("create return %v: %d %s", fields, res.status, res.body)
	}
	return out.ID
}

// mustInspect inspects a return at the bench through the sync protocol:
// opens the inspection, declares files of the given kinds (their bytes never
// arrive), saves fields and completes it. returnID "" is an unexpected parcel.
func (ts *testServer) mustInspect(t *testing.T, tok, returnID string, fields map[string]any, declare ...string) string {
	t.Helper()
	d, id := newDevice(), uuid.NewString()
	first := map[string]any{"scanned_code": "TBA" + strings.Repeat("1", 12)}
	if returnID != "" {
		first["return_id"] = returnID
	}
	muts := []rbsync.Mutation{save(d, id, 0, first)}
	for _, kind := range declare {
		sum := sha256.Sum256([]byte(uuid.NewString()))
		muts = append(muts, d.mut("media.declare", map[string]any{"id": uuid.NewString(), "inspection_id": id, "kind": kind,
			"content_type": "image/jpeg", "size": 2048, "sha256": hex.EncodeToString(sum[:]), "filename": kind + ".jpg"}))
	}
	muts = append(muts, save(d, id, 1, fields), d.mut("inspection.complete", map[string]any{"id": id, "base_version": 2}))
	want := make([]string, len(muts))
	for i := range want {
		want[i] = applied
	}
	ts.mustPush(t, tok, d.id, want, muts...)
	return id
}

// mfnReport writes a seller-fulfilled returns report (the real 32 column
// header) with the given cells; columns not named stay empty.
func mfnReport(t *testing.T, rows ...map[string]string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "reports", "mfn_returns.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(data), "\n")
	cols := strings.Split(strings.TrimRight(header, "\r"), "\t")
	lines := []string{strings.Join(cols, "\t")}
	for _, row := range rows {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = row[c]
		}
		lines = append(lines, strings.Join(cells, "\t"))
	}
	return strings.Join(lines, "\n") + "\n"
}

func (ts *testServer) mustImportRaw(t *testing.T, tok, tsv string) {
	t.Helper()
	res := ts.do(t, request{method: "POST", path: "/api/v1/imports", token: tok, body: tsv,
		header: map[string]string{"Content-Type": "text/tab-separated-values"}})
	var out importAnswer
	res.json(t, &out)
	if res.status != 200 || out.RejectedCount != 0 {
		t.Fatalf("import: %d %s", res.status, res.body)
	}
}

// watchAnswer is the JSON of a watch list.
type watchAnswer[T any] struct {
	List        string    `json:"list"`
	GeneratedAt time.Time `json:"generated_at"`
	Rows        []T       `json:"rows"`
	Total       int       `json:"total"`
	Truncated   bool      `json:"truncated"`
	Limit       int       `json:"limit"`
}

func getWatch[T any](t *testing.T, ts *testServer, tok, path string) watchAnswer[T] {
	t.Helper()
	res := ts.do(t, request{method: "GET", path: path, token: tok})
	if res.status != 200 {
		t.Fatalf("GET %s: %d %s", path, res.status, res.body)
	}
	var out watchAnswer[T]
	res.json(t, &out)
	if out.Total != len(out.Rows) || out.Truncated || out.Limit != 5000 {
		t.Fatalf("GET %s: total %d for %d rows, truncated %v, limit %d", path, out.Total, len(out.Rows), out.Truncated, out.Limit)
	}
	return out
}

// getCSV fetches a list as CSV and parses it as a spreadsheet would.
func getCSV(t *testing.T, ts *testServer, tok, path string) (header []string, rows []map[string]string) {
	t.Helper()
	res := ts.do(t, request{method: "GET", path: path, token: tok})
	if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(res.header.Get("Content-Disposition"), "attachment; filename=") {
		t.Fatalf("GET %s: %d %s %s\n%s", path, res.status, res.header.Get("Content-Type"), res.header.Get("Content-Disposition"), res.body)
	}
	records, err := csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
	if err != nil || len(records) == 0 {
		t.Fatalf("GET %s: not CSV (%v):\n%s", path, err, res.body)
	}
	header = records[0]
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, h := range header {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
	if got := res.header.Get("X-Total-Count"); got != strconv.Itoa(len(rows)) || res.header.Get("X-Truncated") != "false" {
		t.Fatalf("GET %s: X-Total-Count %s, X-Truncated %s for %d rows", path, got, res.header.Get("X-Truncated"), len(rows))
	}
	return header, rows
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

type refundDueJSON struct {
	ReturnID         string    `json:"return_id"`
	SiteID           string    `json:"site_id"`
	OrderID          string    `json:"order_id"`
	ArrivedAt        time.Time `json:"arrived_at"`
	RefundDue        time.Time `json:"refund_due"`
	BusinessDaysLeft int       `json:"business_days_left"`
	Status           string    `json:"status"`
}

func TestWatchRefundDue(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		// Monday 1 September 2025, noon in Los Angeles (no holidays configured).
		now := time.Date(2025, 9, 1, 12, 0, 0, 0, pacific)
		ts := mustStartAt(t, dialect, &clock{t: now})
		lead := ts.mustUser(t, "lee", inspection.RoleLead)
		insp := ts.mustUser(t, "ana", inspection.RoleInspector)
		admin := ts.mustUser(t, "boss", inspection.RoleAdmin)
		mfn := func(order string, arrived time.Time, extra map[string]any) string {
			f := map[string]any{"order_id": order, "channel": "mfn", "arrived_at": arrived, "order_amount": 30, "reason": "DEFECTIVE"}
			for k, v := range extra {
				f[k] = v
			}
			return ts.mustReturn(t, lead, f)
		}
		friday := mfn("201-0000000-0000001", time.Date(2025, 8, 29, 15, 0, 0, 0, pacific), nil)
		saturday := mfn("201-0000000-0000002", time.Date(2025, 8, 30, 10, 0, 0, 0, pacific), nil)
		late := mfn("201-0000000-0000003", time.Date(2025, 8, 25, 9, 0, 0, 0, pacific), nil)
		soon := mfn("201-0000000-0000004", time.Date(2025, 8, 29, 8, 0, 0, 0, pacific), nil)
		mfn("201-0000000-0000005", time.Date(2025, 8, 29, 8, 0, 0, 0, pacific), map[string]any{"refunded_at": now.Add(-time.Hour)})
		ts.mustReturn(t, lead, map[string]any{"order_id": "201-0000000-0000006", "channel": "fba", "arrived_at": now.Add(-72 * time.Hour)})
		ts.mustReturn(t, lead, map[string]any{"order_id": "201-0000000-0000007", "channel": "mfn"}) // not arrived
		// From the report: one authorized, one closed by the seller (no refund owed).
		ts.mustImportRaw(t, lead, mfnReport(t,
			map[string]string{"Order ID": "201-0000000-0000008", "Return request date": "15-Aug-2025", "Return request status": "Authorized",
				"Amazon RMA ID": "AbcAuthRRMA", "A-to-Z Claim": "N", "Merchant SKU": "SKU-8", "Return quantity": "1",
				"Return Reason": "DEFECTIVE", "Return delivery date": "20-Aug-2025", "Order Amount": "12.00", "Refunded Amount": "0"},
			map[string]string{"Order ID": "201-0000000-0000009", "Return request date": "15-Aug-2025", "Return request status": "Closed by seller",
				"Amazon RMA ID": "AbcClosedRRMA", "A-to-Z Claim": "N", "Merchant SKU": "SKU-9", "Return quantity": "1",
				"Return Reason": "DEFECTIVE", "Return delivery date": "20-Aug-2025", "Order Amount": "12.00", "Refunded Amount": "0"}))
		// Another site's parcel: its lead sees it, ours does not, the admin sees both.
		if err := ts.Store().CreateSite(context.Background(), &inspection.Site{ID: "north", Name: "North", Marketplace: "US"}, ""); err != nil {
			t.Fatal(err)
		}
		north := ts.mustUserAt(t, "nora", inspection.RoleLead, "north")
		ts.mustReturn(t, north, map[string]any{"order_id": "201-0000000-0000010", "channel": "mfn", "arrived_at": now.Add(-time.Hour)})

		want := []struct {
			id, order string
			due       time.Time
			left      int
			status    string
		}{
			// Arrived Tue 19 Aug 17:00 (the report's date, read as UTC midnight).
			{"", "201-0000000-0000008", time.Date(2025, 8, 21, 17, 0, 0, 0, pacific), -6, "overdue"},
			{late, "", time.Date(2025, 8, 27, 9, 0, 0, 0, pacific), -3, "overdue"},
			// Friday 08:00 + 2 business days is Tuesday 08:00: 20 h from now.
			{soon, "", time.Date(2025, 9, 2, 8, 0, 0, 0, pacific), 0, "due_soon"},
			// Friday 15:00 + 2 business days is Tuesday 15:00, not Sunday.
			{friday, "", time.Date(2025, 9, 2, 15, 0, 0, 0, pacific), 1, "upcoming"},
			// Saturday counts from Monday 00:00: due at the end of Tuesday.
			{saturday, "", time.Date(2025, 9, 3, 0, 0, 0, 0, pacific), 1, "upcoming"},
		}
		check := func(t *testing.T, got []refundDueJSON) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("got %d rows %+v, want %d", len(got), got, len(want))
			}
			for i, w := range want {
				g := got[i]
				if (w.id != "" && g.ReturnID != w.id) || (w.order != "" && g.OrderID != w.order) || !g.RefundDue.Equal(w.due) ||
					g.BusinessDaysLeft != w.left || g.Status != w.status || g.RefundDue.Location() != time.UTC {
					t.Errorf("row %d = %+v\nwant id %q order %q due %s, %d business days left, %s", i, g, w.id, w.order, w.due.UTC(), w.left, w.status)
				}
			}
		}

		t.Run("WeekendsAndUrgency", func(t *testing.T) {
			got := getWatch[refundDueJSON](t, ts, lead, "/api/v1/watch/refund-due")
			if got.List != "refund-due" || !got.GeneratedAt.Equal(now) {
				t.Fatalf("list %q generated %s, want refund-due at %s", got.List, got.GeneratedAt, now)
			}
			check(t, got.Rows)
		})
		t.Run("InspectorSeesTheBenchClock", func(t *testing.T) {
			check(t, getWatch[refundDueJSON](t, ts, insp, "/api/v1/watch/refund-due").Rows)
		})
		t.Run("SiteScope", func(t *testing.T) {
			if got := getWatch[refundDueJSON](t, ts, north, "/api/v1/watch/refund-due").Rows; len(got) != 1 || got[0].SiteID != "north" {
				t.Fatalf("north's lead sees %+v, want its one parcel", got)
			}
			all := getWatch[refundDueJSON](t, ts, admin, "/api/v1/watch/refund-due").Rows
			if len(all) != len(want)+1 {
				t.Fatalf("admin sees %d rows, want every site's %d", len(all), len(want)+1)
			}
		})
		t.Run("CSV", func(t *testing.T) {
			header, rows := getCSV(t, ts, lead, "/api/v1/watch/refund-due?format=csv")
			if header[0] != "return_id" || !slices.Contains(header, "refund_due") || len(rows) != len(want) {
				t.Fatalf("header %v with %d rows", header, len(rows))
			}
			if r := rows[3]; r["return_id"] != friday || r["refund_due"] != "2025-09-02T22:00:00Z" || r["order_amount"] != "30.00" ||
				r["business_days_left"] != "1" {
				t.Fatalf("friday's row %v", r)
			}
		})
		t.Run("ErrBadFormat", func(t *testing.T) {
			if got := ts.do(t, request{method: "GET", path: "/api/v1/watch/refund-due?format=xlsx", token: lead}).status; got != 400 {
				t.Fatalf("got %d, want 400", got)
			}
		})
	})
}

type unreturnedJSON struct {
	ReturnID           string           `json:"return_id"`
	OrderID            string           `json:"order_id"`
	SKU                string           `json:"sku"`
	FNSKU              string           `json:"fnsku"`
	ASIN               string           `json:"asin"`
	ProductName        string           `json:"product_name"`
	Quantity           int              `json:"quantity"`
	LPN                string           `json:"lpn"`
	RefundAmount       inspection.Cents `json:"refund_amount"`
	RefundedAt         time.Time        `json:"refunded_at"`
	DaysSinceRefund    int              `json:"days_since_refund"`
	UnitExpectedBy     time.Time        `json:"unit_expected_by"`
	UnitExpectedStatus string           `json:"unit_expected_status"`
	ClaimWindowOpens   time.Time        `json:"claim_window_opens"`
	ClaimWindowCloses  time.Time        `json:"claim_window_closes"`
	ClaimState         string           `json:"claim_state"`
	ClaimStatus        string           `json:"claim_status"`
}

func TestWatchRefundedNotReturned(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		now := time.Date(2025, 9, 1, 12, 0, 0, 0, pacific)
		ts := mustStartAt(t, dialect, &clock{t: now})
		lead := ts.mustUser(t, "lee", inspection.RoleLead)
		insp := ts.mustUser(t, "ana", inspection.RoleInspector)
		days := func(n int) time.Time { return now.AddDate(0, 0, -n) } // calendar days in the policy's zone
		fba := func(order string, refunded time.Time, extra map[string]any) string {
			f := map[string]any{"order_id": order, "channel": "fba", "refunded_at": refunded, "refund_amount": 19.99,
				"sku": "SKU-" + order[len(order)-2:], "asin": "B0TESTTEST", "fnsku": "X00TESTTS1", "product_name": "Widget", "quantity": 1}
			for k, v := range extra {
				f[k] = v
			}
			return ts.mustReturn(t, lead, f)
		}
		atOpening := fba("301-0000000-0000001", days(60), nil)                     // the window opens this instant
		secondEarly := fba("301-0000000-0000002", days(60).Add(time.Second), nil)  // opens in one second
		atClosing := fba("301-0000000-0000003", days(120), nil)                    // closes this instant: still open
		secondLate := fba("301-0000000-0000004", days(120).Add(-time.Second), nil) // closed one second ago
		recent := fba("301-0000000-0000005", days(10), map[string]any{"product_name": "=HYPERLINK(\"http://x\")"})
		lamp := fba("112-0000001-0000001", days(90), map[string]any{"sku": "LAMP-DESK", "fnsku": "X00LAMPLA1",
			"asin": "B0LAMPLAMP", "product_name": "Desk lamp", "refund_amount": 24.50})
		kettle := fba("111-1234567-1234567", days(70), map[string]any{"sku": "KETTLE-01", "lpn": "LPNNC5N165ZVR"})
		fba("301-0000000-0000006", days(70), map[string]any{"arrived_at": days(5)}) // came back to the bench
		ts.mustReturn(t, lead, map[string]any{"order_id": "301-0000000-0000007", "channel": "mfn", "refunded_at": days(70)})

		order := func(rows []unreturnedJSON) []string {
			var ids []string
			for _, r := range rows {
				ids = append(ids, r.ReturnID)
			}
			return ids
		}
		byID := func(rows []unreturnedJSON) map[string]unreturnedJSON {
			m := map[string]unreturnedJSON{}
			for _, r := range rows {
				m[r.ReturnID] = r
			}
			return m
		}

		t.Run("ClaimWindowEdges", func(t *testing.T) {
			got := getWatch[unreturnedJSON](t, ts, lead, "/api/v1/watch/refunded-not-returned")
			// Open claims closing soonest first, then not-yet by opening, then closed.
			want := []string{atClosing, lamp, kettle, atOpening, secondEarly, recent, secondLate}
			if ids := order(got.Rows); !slices.Equal(ids, want) {
				t.Fatalf("order %v\nwant  %v", ids, want)
			}
			rows := byID(got.Rows)
			for _, c := range []struct {
				id, state, status string
				opens, closes     time.Time
			}{
				{atOpening, "open", "open", now, now.AddDate(0, 0, 60)},
				{secondEarly, "not_yet", "due_soon", now.Add(time.Second), now.AddDate(0, 0, 60).Add(time.Second)},
				{atClosing, "open", "due_soon", now.AddDate(0, 0, -60), now},
				{secondLate, "closed", "closed", now.AddDate(0, 0, -60).Add(-time.Second), now.Add(-time.Second)},
				{recent, "not_yet", "upcoming", now.AddDate(0, 0, 50), now.AddDate(0, 0, 110)},
			} {
				r := rows[c.id]
				if r.ClaimState != c.state || r.ClaimStatus != c.status || !r.ClaimWindowOpens.Equal(c.opens) || !r.ClaimWindowCloses.Equal(c.closes) {
					t.Errorf("%s: %s/%s opens %s closes %s; want %s/%s opens %s closes %s", c.id, r.ClaimState, r.ClaimStatus,
						r.ClaimWindowOpens, r.ClaimWindowCloses, c.state, c.status, c.opens.UTC(), c.closes.UTC())
				}
			}
			if r := rows[atOpening]; r.DaysSinceRefund != 60 || !r.UnitExpectedBy.Equal(now) || r.UnitExpectedStatus != "due_soon" {
				t.Errorf("at opening: %+v", r)
			}
			if r := rows[lamp]; r.OrderID != "112-0000001-0000001" || r.SKU != "LAMP-DESK" || r.FNSKU != "X00LAMPLA1" ||
				r.ASIN != "B0LAMPLAMP" || r.ProductName != "Desk lamp" || r.Quantity != 1 || r.RefundAmount != 2450 ||
				!r.RefundedAt.Equal(days(90)) || r.DaysSinceRefund != 90 {
				t.Errorf("the case facts: %+v", r)
			}
			if r := rows[kettle]; r.LPN != "LPNNC5N165ZVR" {
				t.Errorf("kettle's LPN %q", r.LPN)
			}
		})
		t.Run("ClosedWithinDays", func(t *testing.T) {
			got := getWatch[unreturnedJSON](t, ts, lead, "/api/v1/watch/refunded-not-returned?closed_within_days=0")
			if slices.Contains(order(got.Rows), secondLate) || len(got.Rows) != 6 {
				t.Fatalf("closed_within_days=0 lists %v, want the six open or not-yet", order(got.Rows))
			}
			if res := ts.do(t, request{method: "GET", path: "/api/v1/watch/refunded-not-returned?closed_within_days=x", token: lead}); res.status != 400 {
				t.Fatalf("bad closed_within_days: %d, want 400", res.status)
			}
		})
		t.Run("CSV", func(t *testing.T) {
			header, rows := getCSV(t, ts, lead, "/api/v1/watch/refunded-not-returned?format=csv")
			for _, h := range []string{"order_id", "sku", "fnsku", "asin", "product_name", "quantity", "refund_amount", "refunded_at", "lpn",
				"claim_window_opens", "claim_window_closes", "claim_state"} {
				if !slices.Contains(header, h) {
					t.Errorf("header %v lacks %s", header, h)
				}
			}
			if len(rows) != 7 {
				t.Fatalf("%d rows, want 7", len(rows))
			}
			if r := rows[1]; r["return_id"] != lamp || r["refund_amount"] != "24.50" || r["refunded_at"] != rfc(days(90)) ||
				r["claim_window_closes"] != rfc(now.AddDate(0, 0, 30)) || r["claim_state"] != "open" {
				t.Errorf("lamp's row %v", r)
			}
			if r := rows[5]; r["product_name"] != `'=HYPERLINK("http://x")` {
				t.Errorf("a formula in a product name reads %q, want it quoted as text", r["product_name"])
			}
		})
		t.Run("ReimbursementClosesTheRow", func(t *testing.T) {
			ts.mustImport(t, lead, "fba_reimbursements.tsv", "fba_reimbursements", 2, 0, 0, 0)
			got := order(getWatch[unreturnedJSON](t, ts, lead, "/api/v1/watch/refunded-not-returned").Rows)
			if slices.Contains(got, lamp) || len(got) != 6 {
				t.Fatalf("after the reimbursement: %v, want the lamp gone", got)
			}
		})
		t.Run("UnitBackAtAmazonClosesTheRow", func(t *testing.T) {
			// The customer returns report shows the kettle's LPN reached a warehouse.
			ts.mustImport(t, lead, "fba_customer_returns.tsv", "fba_customer_returns", 3, 1, 0, 0)
			got := order(getWatch[unreturnedJSON](t, ts, lead, "/api/v1/watch/refunded-not-returned").Rows)
			if slices.Contains(got, kettle) || len(got) != 5 {
				t.Fatalf("after the unit came back: %v, want the kettle gone", got)
			}
		})
		t.Run("ErrInspector403", func(t *testing.T) {
			for _, list := range []string{"refunded-not-returned", "atoz", "safet", "disputes"} {
				if got := ts.do(t, request{method: "GET", path: "/api/v1/watch/" + list, token: insp}).status; got != 403 {
					t.Errorf("inspector on %s: %d, want 403", list, got)
				}
				if got := ts.do(t, request{method: "GET", path: "/api/v1/watch/" + list + "?format=csv", token: insp}).status; got != 403 {
					t.Errorf("inspector on %s as CSV: %d, want 403", list, got)
				}
			}
		})
	})
}

type atozJSON struct {
	ReturnID       string    `json:"return_id"`
	ResponseDue    time.Time `json:"response_due"`
	ResponseStatus string    `json:"response_status"`
	AppealCloses   time.Time `json:"appeal_closes"`
	AppealStatus   string    `json:"appeal_status"`
}

func TestWatchAtoZ(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		now := time.Date(2025, 9, 1, 12, 0, 0, 0, pacific)
		ts := mustStartAt(t, dialect, &clock{t: now})
		lead := ts.mustUser(t, "lee", inspection.RoleLead)
		claim := func(order string, extra map[string]any) string {
			f := map[string]any{"order_id": order, "channel": "mfn", "atoz_claim": true}
			for k, v := range extra {
				f[k] = v
			}
			return ts.mustReturn(t, lead, f)
		}
		refundedYesterday := claim("401-0000000-0000001", map[string]any{"refunded_at": now.Add(-24 * time.Hour)})
		justRecorded := claim("401-0000000-0000002", nil)
		appealOver := claim("401-0000000-0000003", map[string]any{"refunded_at": now.AddDate(0, 0, -40)})
		ts.mustReturn(t, lead, map[string]any{"order_id": "401-0000000-0000004", "channel": "mfn", "refunded_at": now})

		t.Run("Deadlines", func(t *testing.T) {
			got := getWatch[atozJSON](t, ts, lead, "/api/v1/watch/atoz").Rows
			want := []atozJSON{
				{refundedYesterday, now.Add(24 * time.Hour), "due_soon", now.AddDate(0, 0, 29), "open"},
				{justRecorded, now.Add(48 * time.Hour), "upcoming", now.AddDate(0, 0, 30), "open"},
				{appealOver, now.AddDate(0, 0, -40).Add(48 * time.Hour), "overdue", now.AddDate(0, 0, -10), "closed"},
			}
			if len(got) != len(want) {
				t.Fatalf("got %+v, want %d rows", got, len(want))
			}
			for i, w := range want {
				g := got[i]
				if g.ReturnID != w.ReturnID || !g.ResponseDue.Equal(w.ResponseDue) || g.ResponseStatus != w.ResponseStatus ||
					!g.AppealCloses.Equal(w.AppealCloses) || g.AppealStatus != w.AppealStatus {
					t.Errorf("row %d = %+v\nwant %+v", i, g, w)
				}
			}
		})
		t.Run("ClosedWithinDays", func(t *testing.T) {
			if got := getWatch[atozJSON](t, ts, lead, "/api/v1/watch/atoz?closed_within_days=5").Rows; len(got) != 2 {
				t.Fatalf("got %+v, want the two open claims", got)
			}
		})
		t.Run("CSV", func(t *testing.T) {
			header, rows := getCSV(t, ts, lead, "/api/v1/watch/atoz?format=csv")
			if !slices.Contains(header, "response_due") || len(rows) != 3 || rows[0]["response_due"] != rfc(now.Add(24*time.Hour)) {
				t.Fatalf("header %v rows %v", header, rows)
			}
		})
	})
}

type safetJSON struct {
	OrderID         string           `json:"order_id"`
	ReturnIDs       []string         `json:"return_ids"`
	RefundAmount    inspection.Cents `json:"refund_amount"`
	RefundedAt      time.Time        `json:"refunded_at"`
	WindowCloses    time.Time        `json:"window_closes"`
	WindowStatus    string           `json:"window_status"`
	PhotosDue       *time.Time       `json:"photos_due"`
	PhotosStatus    string           `json:"photos_status"`
	CustomerDamaged bool             `json:"customer_damaged"`
	DamageSigns     []string         `json:"damage_signs"`
	CapPercent      int              `json:"cap_percent"`
	ClaimCap        inspection.Cents `json:"claim_cap"`
}

func TestWatchSafeT(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		now := time.Date(2025, 9, 1, 12, 0, 0, 0, pacific)
		ts := mustStartAt(t, dialect, &clock{t: now})
		lead := ts.mustUser(t, "lee", inspection.RoleLead)
		insp := ts.mustUser(t, "ana", inspection.RoleInspector)
		days := func(n int) time.Time { return now.AddDate(0, 0, -n) }
		mfn := func(order string, refunded time.Time, amount float64, extra map[string]any) string {
			f := map[string]any{"order_id": order, "channel": "mfn", "refunded_at": refunded, "refund_amount": amount,
				"order_amount": amount, "reason": "UNWANTED_ITEM", "sku": "SKU-" + order[len(order)-2:]}
			for k, v := range extra {
				f[k] = v
			}
			return ts.mustReturn(t, lead, f)
		}
		plain := mfn("501-0000000-0000001", days(10), 80, map[string]any{"arrived_at": days(12)})
		mfn("501-0000000-0000002", days(61), 80, nil) // the 60-day window has closed
		mfn("501-0000000-0000003", days(5), 80, map[string]any{"atoz_claim": true})
		big := mfn("501-0000000-0000004", days(5), 9000, nil)
		destroyed := mfn("501-0000000-0000005", days(3), 100, map[string]any{"arrived_at": days(4)})
		mfn("501-0000000-0000006", days(20), 40, nil) // the report says this order has a SAFE-T claim
		twiceA := mfn("501-0000000-0000007", days(30), 10, nil)
		twiceB := mfn("501-0000000-0000007", days(20), 15, map[string]any{"sku": "SKU-7B"})
		disputed := mfn("501-0000000-0000008", days(2), 60, map[string]any{"arrived_at": days(3), "reason": "DEFECTIVE"})
		ts.mustReturn(t, lead, map[string]any{"order_id": "501-0000000-0000009", "channel": "fba", "refunded_at": days(2), "refund_amount": 5})
		ts.mustImportRaw(t, lead, mfnReport(t, map[string]string{"Order ID": "501-0000000-0000006", "Return request date": "10-Aug-2025",
			"Return request status": "Completed", "Amazon RMA ID": "SafeTOrderRRMA", "A-to-Z Claim": "N", "Return quantity": "1",
			"Return Reason": "DEFECTIVE", "Order Amount": "40.00", "Refunded Amount": "40.00", "SafeT claim id": "ST-0001",
			"SafeT claim state": "Pending"}))
		ts.mustInspect(t, insp, destroyed, map[string]any{"grade": "destroy", "disposition": "dispose", "verdict": "not_applicable"})
		ts.mustInspect(t, insp, disputed, map[string]any{"grade": "refurbished_used", "disposition": "list_used", "used_condition": "good",
			"verdict": "claim_disputed"}, "label_closeup", "damage")

		got := getWatch[safetJSON](t, ts, lead, "/api/v1/watch/safet").Rows
		want := []struct {
			order   string
			ids     []string
			refund  inspection.Cents
			closes  time.Time
			percent int
			cap     inspection.Cents
			signs   []string
		}{
			{"501-0000000-0000007", []string{twiceA, twiceB}, 2500, days(30).AddDate(0, 0, 60), 100, 2500, []string{}},
			{"501-0000000-0000001", []string{plain}, 8000, days(10).AddDate(0, 0, 60), 100, 8000, []string{}},
			{"501-0000000-0000004", []string{big}, 900000, days(5).AddDate(0, 0, 60), 100, 500000, []string{}},
			{"501-0000000-0000005", []string{destroyed}, 10000, days(3).AddDate(0, 0, 60), 50, 5000, []string{"graded_destroy"}},
			{"501-0000000-0000008", []string{disputed}, 6000, days(2).AddDate(0, 0, 60), 50, 3000, []string{"disputed_with_damage_photos"}},
		}
		if len(got) != len(want) {
			t.Fatalf("got %d rows %+v, want %d", len(got), got, len(want))
		}
		for i, w := range want {
			g := got[i]
			if g.OrderID != w.order || !slices.Equal(g.ReturnIDs, w.ids) || g.RefundAmount != w.refund || !g.WindowCloses.Equal(w.closes) ||
				g.CapPercent != w.percent || g.ClaimCap != w.cap || !slices.Equal(g.DamageSigns, w.signs) || g.CustomerDamaged != (w.percent < 100) {
				t.Errorf("row %d = %+v\nwant %+v", i, g, w)
			}
		}
		if p := got[1]; p.PhotosDue == nil || !p.PhotosDue.Equal(days(5)) || p.PhotosStatus != "overdue" || p.WindowStatus != "open" {
			t.Errorf("photos due 7 days after arrival: %+v", p)
		}
		if p := got[2]; p.PhotosDue != nil || p.PhotosStatus != "" {
			t.Errorf("not arrived, yet photos due: %+v", p)
		}
		if p := got[0]; !p.RefundedAt.Equal(days(30)) {
			t.Errorf("an order's window counts from its first refund: %+v", p)
		}

		header, rows := getCSV(t, ts, lead, "/api/v1/watch/safet?format=csv")
		if !slices.Contains(header, "claim_cap") || len(rows) != len(want) || rows[2]["claim_cap"] != "5000.00" ||
			rows[0]["return_ids"] != twiceA+";"+twiceB {
			t.Fatalf("CSV header %v rows %v", header, rows)
		}
	})
}

type disputeJSON struct {
	InspectionID string    `json:"inspection_id"`
	ReturnID     string    `json:"return_id"`
	OrderID      string    `json:"order_id"`
	Reason       string    `json:"reason"`
	Verdict      string    `json:"verdict"`
	Inspector    string    `json:"inspector"`
	CompletedAt  time.Time `json:"completed_at"`
	Case         string    `json:"case"`
	Ready        bool      `json:"ready"`
	MissingCount int       `json:"missing_count"`
	Missing      []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"missing"`
}

func TestWatchDisputes(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		clk := &clock{t: time.Date(2025, 9, 1, 12, 0, 0, 0, pacific)}
		ts := mustStartAt(t, dialect, clk)
		lead := ts.mustUser(t, "lee", inspection.RoleLead)
		insp := ts.mustUser(t, "ana", inspection.RoleInspector)

		// A false "defective" claim with its evidence uploaded and verified.
		ready := ts.mustReturn(t, lead, map[string]any{"order_id": "601-0000000-0000001", "tracking_id": "1Z5R89390357567127",
			"reason": "CR-DEFECTIVE", "channel": "mfn"})
		d, readyID := newDevice(), uuid.NewString()
		ts.mustPush(t, insp, d.id, []string{applied}, save(d, readyID, 0, map[string]any{"return_id": ready, "scanned_code": "1Z5R89390357567127"}))
		ts.uploadFile(t, insp, readyID, "label_closeup", "image/jpeg", labelPhoto(t, "1Z5R89390357567127"))
		ts.uploadFile(t, insp, readyID, "contents", "image/jpeg", labelPhoto(t, "ITEM-0001"))
		ts.mustPush(t, insp, d.id, []string{applied, applied},
			save(d, readyID, 1, map[string]any{"grade": "resellable", "disposition": "relabel_restock", "verdict": "claim_disputed"}),
			d.mut("inspection.complete", map[string]any{"id": readyID, "base_version": 2}))
		clk.Add(time.Hour)

		// A swapped item whose photos are still on the phone.
		swapped := ts.mustReturn(t, lead, map[string]any{"order_id": "601-0000000-0000002", "reason": "SWITCHEROO", "channel": "fba"})
		swappedID := ts.mustInspect(t, insp, swapped, map[string]any{"grade": "destroy", "disposition": "dispose", "verdict": "item_swapped",
			"checklist": map[string]bool{"same_item": false}}, "label_closeup")
		clk.Add(time.Hour)

		// Not a dispute.
		plain := ts.mustReturn(t, lead, map[string]any{"order_id": "601-0000000-0000003", "reason": "UNWANTED_ITEM"})
		ts.mustInspect(t, insp, plain, map[string]any{"grade": "resellable", "disposition": "relabel_restock", "verdict": "not_applicable"})

		got := getWatch[disputeJSON](t, ts, lead, "/api/v1/watch/disputes").Rows
		if len(got) != 2 || got[0].InspectionID != swappedID || got[1].InspectionID != readyID {
			t.Fatalf("got %+v, want the swap then the defective claim (newest first)", got)
		}
		s, r := got[0], got[1]
		codes := func(d disputeJSON) []string {
			var cs []string
			for _, m := range d.Missing {
				cs = append(cs, m.Code)
			}
			return cs
		}
		if s.Case != "item_swapped" || s.Ready || s.MissingCount != 2 || !slices.Equal(codes(s), []string{"label_photo", "item_photo"}) ||
			!strings.Contains(s.Missing[0].Message, "waiting for upload") || s.Inspector != "ana" || s.OrderID != "601-0000000-0000002" ||
			!s.CompletedAt.Equal(time.Date(2025, 9, 1, 13, 0, 0, 0, pacific)) {
			t.Errorf("swapped: %+v", s)
		}
		if r.Case != "false_defective" || !r.Ready || r.MissingCount != 0 || len(r.Missing) != 0 || r.Reason != "DEFECTIVE" || r.Verdict != "claim_disputed" {
			t.Errorf("ready: %+v", r)
		}

		header, rows := getCSV(t, ts, lead, "/api/v1/watch/disputes?format=csv")
		if !slices.Contains(header, "missing") || len(rows) != 2 || rows[0]["missing"] != "label_photo;item_photo" ||
			rows[0]["missing_count"] != "2" || rows[1]["ready"] != "true" || rows[1]["completed_at"] != "2025-09-01T19:00:00Z" {
			t.Fatalf("CSV header %v rows %v", header, rows)
		}
	})
}
