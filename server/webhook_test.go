package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/server"
	"github.com/returnbench/returnbench/store"
)

const hookSecret = "erp-shared-secret-0123456789"

// receiver is an ERP on loopback: it checks every delivery's signature
// and turns each delivery away twice (500) before taking it.
type receiver struct {
	*httptest.Server
	clk      *clock
	mu       sync.Mutex
	attempts map[string]int    // per delivery id
	accepted map[string]int    // per delivery id
	bodies   map[string][]byte // accepted bodies, per delivery id
	events   map[string]string // per delivery id
	problems []string
}

func newReceiver(t *testing.T, clk *clock) *receiver {
	rc := &receiver{clk: clk, attempts: map[string]int{}, accepted: map[string]int{}, bodies: map[string][]byte{}, events: map[string]string{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	id, ts := r.Header.Get("X-Returnbench-Delivery"), r.Header.Get("X-Returnbench-Timestamp")
	// The receiver's own check, written from the documented scheme.
	mac := hmac.New(sha256.New, []byte(hookSecret))
	fmt.Fprintf(mac, "%s.%s", ts, body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	switch {
	case r.Method != "POST" || r.Header.Get("Content-Type") != "application/json":
		rc.problems = append(rc.problems, "not a JSON POST")
	case !hmac.Equal([]byte(r.Header.Get("X-Returnbench-Signature")), []byte(want)):
		rc.problems = append(rc.problems, "bad signature for "+id)
	case ts != strconv.FormatInt(rc.clk.Now().Unix(), 10):
		rc.problems = append(rc.problems, "timestamp "+ts+" is not the server's clock")
	case !json.Valid(body):
		rc.problems = append(rc.problems, "body is not JSON")
	}
	rc.attempts[id]++
	rc.events[id] = r.Header.Get("X-Returnbench-Event")
	if rc.attempts[id] <= 2 {
		http.Error(w, "ERP is down", http.StatusInternalServerError)
		return
	}
	rc.accepted[id]++
	rc.bodies[id] = body
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) snapshot() (attempts, accepted map[string]int, problems []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	cp := func(m map[string]int) map[string]int {
		out := map[string]int{}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	return cp(rc.attempts), cp(rc.accepted), append([]string(nil), rc.problems...)
}

type deliveryAnswer struct {
	ID            string          `json:"id"`
	Event         string          `json:"event"`
	Status        string          `json:"status"`
	Attempts      int             `json:"attempts"`
	LastError     string          `json:"last_error"`
	NextAttemptAt time.Time       `json:"next_attempt_at"`
	DeliveredAt   *time.Time      `json:"delivered_at"`
	Payload       json.RawMessage `json:"payload"`
}

func (ts *testServer) deliveries(t *testing.T, tok, hookID string) []deliveryAnswer {
	t.Helper()
	var out struct{ Deliveries []deliveryAnswer }
	res := ts.do(t, request{method: "GET", path: "/api/v1/webhooks/" + hookID + "/deliveries", token: tok})
	if res.status != 200 {
		t.Fatalf("deliveries: %d %s", res.status, res.body)
	}
	res.json(t, &out)
	return out.Deliveries
}

func (ts *testServer) mustWebhook(t *testing.T, tok, url string, events ...string) string {
	t.Helper()
	res := ts.do(t, request{method: "POST", path: "/api/v1/webhooks", token: tok,
		body: map[string]any{"url": url, "secret": hookSecret, "events": events}})
	if res.status != 201 || strings.Contains(string(res.body), hookSecret) || strings.Contains(string(res.body), "secret") {
		t.Fatalf("create webhook: %d %s (the secret must never come back)", res.status, res.body)
	}
	var w struct{ ID string }
	res.json(t, &w)
	return w.ID
}

func (ts *testServer) deliverNow(t *testing.T) {
	t.Helper()
	if _, err := ts.DeliverWebhooks(context.Background()); err != nil {
		t.Fatalf("deliver webhooks: %v", err)
	}
}

func TestWebhooks(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		clk := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
		// Sessions outlive the months the clock moves through.
		ts := mustStart(t, dialect, func(c *server.Config) { c.Now, c.SessionTTL = clk.Now, 365*24*time.Hour })
		admin := ts.mustUser(t, "root", inspection.RoleAdmin)
		insp := ts.mustUser(t, "ana", inspection.RoleInspector)
		rc := newReceiver(t, clk)
		hook := ts.mustWebhook(t, admin, rc.URL+"/returnbench?tenant=7", "inspection.completed", "unit.relabelled")

		t.Run("ListHidesSecret", func(t *testing.T) {
			res := ts.do(t, request{method: "GET", path: "/api/v1/webhooks", token: admin})
			var out struct {
				Webhooks []struct {
					ID     string
					URL    string
					Events []string
					Active bool
				}
			}
			res.json(t, &out)
			if res.status != 200 || len(out.Webhooks) != 1 || out.Webhooks[0].ID != hook || len(out.Webhooks[0].Events) != 2 ||
				!out.Webhooks[0].Active || strings.Contains(string(res.body), hookSecret) {
				t.Fatalf("list: %d %s", res.status, res.body)
			}
			if strings.Contains(ts.log.String(), hookSecret) {
				t.Fatal("the secret is in the log")
			}
		})

		t.Run("ErrBadWebhook", func(t *testing.T) {
			for name, body := range map[string]map[string]any{
				"Credentials": {"url": "https://u:p@erp.example/h", "secret": hookSecret, "events": []string{"unit.relabelled"}},
				"NotHTTP":     {"url": "file:///etc/passwd", "secret": hookSecret, "events": []string{"unit.relabelled"}},
				"NoEvents":    {"url": "https://erp.example/h", "secret": hookSecret, "events": []string{}},
				"ShortSecret": {"url": "https://erp.example/h", "secret": "x", "events": []string{"unit.relabelled"}},
			} {
				if res := ts.do(t, request{method: "POST", path: "/api/v1/webhooks", token: admin, body: body}); res.status != 400 {
					t.Errorf("%s: got %d %s, want 400", name, res.status, res.body)
				}
			}
		})

		t.Run("RejectedCompletionEnqueuesNothing", func(t *testing.T) {
			d, id := newDevice(), uuid.NewString()
			ts.mustPush(t, insp, d.id, []string{applied, applied}, save(d, id, 0, nil),
				save(d, id, 1, map[string]any{"grade": "destroy", "disposition": "dispose", "verdict": "item_swapped"}))
			// A swapped item needs the label close-up: the completion is rolled back.
			ts.mustPush(t, insp, d.id, []string{rejected}, d.mut("inspection.complete", map[string]any{"id": id, "base_version": 2}))
			if ds := ts.deliveries(t, admin, hook); len(ds) != 0 {
				t.Fatalf("%d deliveries for a rejected completion, want 0", len(ds))
			}
		})

		var inspectionID string
		t.Run("RetriedWithBackoffThenDeliveredOnce", func(t *testing.T) {
			d, id := newDevice(), uuid.NewString()
			inspectionID = id
			ts.mustPush(t, insp, d.id, []string{applied, applied, applied}, save(d, id, 0, nil),
				save(d, id, 1, map[string]any{"grade": "resellable", "disposition": "relabel_restock", "verdict": "not_applicable"}),
				d.mut("inspection.complete", map[string]any{"id": id, "base_version": 2}))
			ds := ts.deliveries(t, admin, hook)
			if len(ds) != 2 {
				t.Fatalf("%d deliveries, want inspection.completed and unit.relabelled", len(ds))
			}

			ts.deliverNow(t) // attempt 1: 500
			for _, d := range ts.deliveries(t, admin, hook) {
				if d.Status != "pending" || d.Attempts != 1 || !strings.Contains(d.LastError, "500") ||
					!d.NextAttemptAt.Equal(clk.Now().Add(30*time.Second)) {
					t.Fatalf("after the first failure: %+v, want pending, retried in 30 s", d)
				}
			}
			ts.deliverNow(t) // not due yet: nothing is sent
			clk.Add(31 * time.Second)
			ts.deliverNow(t) // attempt 2: 500, next in 60 s
			for _, d := range ts.deliveries(t, admin, hook) {
				if d.Attempts != 2 || !d.NextAttemptAt.Equal(clk.Now().Add(time.Minute)) {
					t.Fatalf("after the second failure: %+v, want retried in 1 min", d)
				}
			}
			clk.Add(time.Minute)
			ts.deliverNow(t) // attempt 3: accepted
			clk.Add(7 * time.Hour)
			ts.deliverNow(t) // nothing left to send

			attempts, accepted, problems := rc.snapshot()
			if len(problems) > 0 {
				t.Fatalf("receiver saw: %v", problems)
			}
			for _, d := range ts.deliveries(t, admin, hook) {
				if d.Status != "delivered" || d.Attempts != 3 || d.DeliveredAt == nil || d.LastError != "" {
					t.Errorf("delivery %+v, want delivered on the third attempt", d)
				}
				if attempts[d.ID] != 3 || accepted[d.ID] != 1 {
					t.Errorf("delivery %s: receiver saw %d attempts and took it %d times, want 3 and exactly 1", d.ID, attempts[d.ID], accepted[d.ID])
				}
			}
		})

		t.Run("Payloads", func(t *testing.T) {
			rc.mu.Lock()
			defer rc.mu.Unlock()
			seen := map[string]bool{}
			for id, body := range rc.bodies {
				var env struct {
					ID, Event string
					SiteID    string `json:"site_id"`
					Data      struct {
						Inspection struct{ ID, Status string }
						Unit       struct {
							ID           string
							InspectionID string `json:"inspection_id"`
						}
					}
				}
				if err := json.Unmarshal(body, &env); err != nil {
					t.Fatal(err)
				}
				seen[env.Event] = true
				if rc.events[id] != env.Event || env.SiteID != inspection.DefaultSiteID {
					t.Errorf("header event %q, body %+v", rc.events[id], env)
				}
				switch env.Event {
				case "inspection.completed":
					if env.Data.Inspection.ID != inspectionID || env.Data.Inspection.Status != "completed" {
						t.Errorf("inspection.completed data %+v", env.Data.Inspection)
					}
				case "unit.relabelled":
					if env.Data.Unit.InspectionID != inspectionID || env.Data.Unit.ID == "" {
						t.Errorf("unit.relabelled data %+v", env.Data.Unit)
					}
				}
			}
			if !seen["inspection.completed"] || !seen["unit.relabelled"] {
				t.Fatalf("events received: %v", seen)
			}
		})

		t.Run("ClaimWindowOpenedOnce", func(t *testing.T) {
			lead := ts.mustUser(t, "lee", inspection.RoleLead)
			claims := ts.mustWebhook(t, admin, rc.URL+"/claims", "claim.window_opened")
			res := ts.do(t, request{method: "POST", path: "/api/v1/refunds", token: lead, body: map[string]any{
				"order_id": "112-7777777-0000001", "sku": "CW-1", "amount": 30, "refunded_at": clk.Now()}})
			if res.status != 201 {
				t.Fatalf("refund: %d %s", res.status, res.body)
			}
			if n, err := ts.AnnounceClaimWindows(context.Background()); err != nil || n != 0 {
				t.Fatalf("announced %d, %v before the window opened", n, err)
			}
			clk.Add(61 * 24 * time.Hour)
			ts.AnnounceClaimWindows(context.Background())
			ts.AnnounceClaimWindows(context.Background())
			ds := ts.deliveries(t, admin, claims)
			if len(ds) != 1 || ds[0].Event != "claim.window_opened" || !strings.Contains(string(ds[0].Payload), "112-7777777-0000001") {
				t.Fatalf("deliveries %+v, want one claim.window_opened for the order", ds)
			}
			if ds := ts.deliveries(t, admin, hook); len(ds) != 2 {
				t.Fatalf("the other webhook got %d deliveries, want still 2 (it did not subscribe)", len(ds))
			}
		})

		t.Run("DeleteWebhook", func(t *testing.T) {
			if res := ts.do(t, request{method: "DELETE", path: "/api/v1/webhooks/" + hook, token: admin}); res.status != 204 {
				t.Fatalf("delete: %d %s", res.status, res.body)
			}
			if res := ts.do(t, request{method: "GET", path: "/api/v1/webhooks/" + hook + "/deliveries", token: admin}); res.status != 404 {
				t.Fatalf("deliveries of a deleted webhook: %d", res.status)
			}
		})
	})
}

// TestWebhookRedirectToOtherHostNotFollowed: a receiver that redirects
// elsewhere never makes us send the signed body to a host the admin did
// not name.
func TestWebhookRedirectToOtherHostNotFollowed(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	ts := mustStart(t, store.SQLite, func(c *server.Config) { c.Now = clk.Now })
	admin := ts.mustUser(t, "root", inspection.RoleAdmin)
	insp := ts.mustUser(t, "ana", inspection.RoleInspector)
	var hits atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer other.Close()
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer redirecting.Close()
	hook := ts.mustWebhook(t, admin, redirecting.URL, "inspection.completed")
	d, id := newDevice(), uuid.NewString()
	ts.mustPush(t, insp, d.id, []string{applied, applied, applied}, save(d, id, 0, nil),
		save(d, id, 1, map[string]any{"grade": "destroy", "disposition": "dispose", "verdict": "not_applicable"}),
		d.mut("inspection.complete", map[string]any{"id": id, "base_version": 2}))
	ts.deliverNow(t)
	ds := ts.deliveries(t, admin, hook)
	if hits.Load() != 0 || len(ds) != 1 || ds[0].Status != "pending" || !strings.Contains(ds[0].LastError, "redirect") {
		t.Fatalf("other host hit %d times; deliveries %+v", hits.Load(), ds)
	}
}
