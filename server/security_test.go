package server_test

// The security suite: attacks on every route, tried through the real
// server on SQLite and PostgreSQL. Each table below walks the route table
// (server/routes.go), so a new route without a case fails here until
// someone decides how it must answer.
//
// Every attack counts as a case tried; one the server refused (a 4xx
// answer, or a sync mutation rejected) counts as refused too. The totals
// are printed once, after all tests, as
//
//	SECURITY-CASES tried=N refused=N
//
// for a soak run to report; RETURNBENCH_SECURITY_SUMMARY names a file that
// gets the same line appended (go test hides a passing package's output
// unless run with -v).

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/labels"
	"github.com/returnbench/returnbench/server"
	"github.com/returnbench/returnbench/store"
	rbsync "github.com/returnbench/returnbench/sync"
)

// The security cases tried and refused by this run.
var secTried, secRefused atomic.Int64

// secCase counts one attack, refused or not.
func secCase(refused bool) {
	secTried.Add(1)
	if refused {
		secRefused.Add(1)
	}
}

// secStatus counts an attack answered with status: any 4xx is a refusal.
func secStatus(status int) { secCase(status >= 400 && status < 500) }

func TestMain(m *testing.M) {
	code := m.Run()
	if n := secTried.Load(); n > 0 {
		line := fmt.Sprintf("SECURITY-CASES tried=%d refused=%d", n, secRefused.Load())
		fmt.Println(line)
		if path := os.Getenv("RETURNBENCH_SECURITY_SUMMARY"); path != "" {
			if f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				fmt.Fprintln(f, line)
				f.Close()
			}
		}
	}
	os.Exit(code)
}

// secWorld is a server with two sites and real records of the first: what
// an attacker of the second site aims at.
type secWorld struct {
	*testServer
	admin, lead, insp  string // tokens of the main site (the admin sees every site)
	eastLead, eastInsp string // tokens of the east site
	returnID           string // a return of the main site
	inspectionID       string // completed, resellable, linked to the return
	unitID             string // its unit label
	draftID            string // a draft with a verified photo
	mediaID            string // that photo
	uploadID           string // an upload still open on the draft
	webhookID          string // a webhook of the main site
	printed            <-chan string
}

func mustSecWorld(t *testing.T, dialect string) *secWorld {
	t.Helper()
	printer, printed := fakeZebra(t)
	ts := mustStart(t, dialect, func(c *server.Config) { c.PrinterAddr, c.PrinterDPI = printer, 203 })
	w := &secWorld{testServer: ts, printed: printed}
	w.admin = ts.mustUser(t, "root", inspection.RoleAdmin)
	if res := ts.do(t, request{method: "POST", path: "/api/v1/sites", token: w.admin,
		body: map[string]string{"id": "east", "name": "East warehouse", "marketplace": "us"}}); res.status != 201 {
		t.Fatalf("create site: %d %s", res.status, res.body)
	}
	w.lead = ts.mustUser(t, "lead", inspection.RoleLead)
	w.insp = ts.mustUser(t, "insp", inspection.RoleInspector)
	w.eastLead = ts.mustUserAt(t, "eastlead", inspection.RoleLead, "east")
	w.eastInsp = ts.mustUserAt(t, "eastinsp", inspection.RoleInspector, "east")

	w.returnID = ts.mustReturn(t, w.lead, map[string]any{"order_id": "111-4444444-5555555", "tracking_id": "1Z5R89390357567127",
		"sku": "SKU-SEC-1", "product_name": "Kettle", "reason": "DEFECTIVE", "order_amount": "49.99"})
	d := newDevice()
	w.inspectionID = uuid.NewString()
	ts.mustPush(t, w.insp, d.id, []string{applied, applied, applied},
		save(d, w.inspectionID, 0, map[string]any{"scanned_code": "1Z5R89390357567127", "return_id": w.returnID}),
		save(d, w.inspectionID, 1, map[string]any{"grade": "resellable", "disposition": "relabel_restock", "verdict": "not_applicable"}),
		d.mut("inspection.complete", map[string]any{"id": w.inspectionID, "base_version": 2}))
	unit, err := ts.Store().UnitOfInspection(context.Background(), w.inspectionID)
	if err != nil {
		t.Fatalf("unit of the completed inspection: %v", err)
	}
	w.unitID = unit.ID

	w.draftID = uuid.NewString()
	ts.mustPush(t, w.insp, d.id, []string{applied, applied}, save(d, w.draftID, 0, map[string]any{"scanned_code": "TBA123456789012"}),
		save(d, w.draftID, 1, map[string]any{"notes": "corner dented"}))
	w.mediaID = ts.uploadFile(t, w.insp, w.draftID, inspection.MediaLabelCloseup, "image/jpeg", labelPhoto(t, "TBA123456789012"))
	md := map[string]string{"media_id": uuid.NewString(), "inspection_id": w.draftID, "kind": inspection.MediaDamage,
		"content_type": "image/jpeg", "sha256": strings.Repeat("ab", 32), "filename": "damage.jpg"}
	res := ts.do(t, request{method: "POST", path: "/api/v1/uploads", token: w.insp, header: map[string]string{
		"Tus-Resumable": "1.0.0", "Upload-Length": "4096", "Upload-Metadata": tusMetadata(md)}})
	loc := res.header.Get("Location")
	if res.status != 201 || !strings.HasPrefix(loc, "/api/v1/uploads/") {
		t.Fatalf("open an upload: %d %s", res.status, res.body)
	}
	w.uploadID = strings.TrimPrefix(loc, "/api/v1/uploads/")

	res = ts.do(t, request{method: "POST", path: "/api/v1/webhooks", token: w.admin, body: map[string]any{
		"site_id": "main", "url": "http://127.0.0.1:9/hook", "secret": strings.Repeat("s", 32), "events": []string{"inspection.completed"}}})
	var hook struct{ ID string }
	if res.status != 201 {
		t.Fatalf("create webhook: %d %s", res.status, res.body)
	}
	res.json(t, &hook)
	w.webhookID = hook.ID
	return w
}

// mustIntact checks that the attacks changed nothing they should not have:
// the audit chain verifies, the main site's records are all still there
// and nothing was added.
func (w *secWorld) mustIntact(t *testing.T) {
	t.Helper()
	w.mustAuditOK(t)
	var list struct{ Returns []inspection.Return }
	w.do(t, request{method: "GET", path: "/api/v1/returns?limit=500", token: w.lead}).json(t, &list)
	if len(list.Returns) != 1 || list.Returns[0].ID != w.returnID {
		t.Errorf("the main site lists %d returns after the attacks, want exactly its one", len(list.Returns))
	}
}

// mustAuditOK checks that the audit chain verifies and the main site's
// records and accounts are all still there.
func (w *secWorld) mustAuditOK(t *testing.T) {
	t.Helper()
	res := w.do(t, request{method: "GET", path: "/api/v1/audit/verify", token: w.lead})
	var v struct {
		OK     bool  `json:"ok"`
		Events int64 `json:"events"`
	}
	res.json(t, &v)
	if res.status != 200 || !v.OK || v.Events == 0 {
		t.Fatalf("audit verify after the attacks: %d %s, want ok", res.status, res.body)
	}
	for _, path := range []string{"/api/v1/returns/" + w.returnID, "/api/v1/inspections/" + w.inspectionID,
		"/api/v1/inspections/" + w.draftID, "/api/v1/units/" + w.unitID, "/api/v1/media/" + w.mediaID + "/meta"} {
		if res := w.do(t, request{method: "GET", path: path, token: w.lead}); res.status != 200 {
			t.Errorf("GET %s after the attacks: %d %s, want 200", path, res.status, res.body)
		}
	}
	if res := w.do(t, request{method: "GET", path: "/api/v1/webhooks/" + w.webhookID + "/deliveries", token: w.admin}); res.status != 200 {
		t.Errorf("the webhook after the attacks: %d %s, want it still there", res.status, res.body)
	}
	head := w.do(t, request{method: "HEAD", path: "/api/v1/uploads/" + w.uploadID, token: w.insp, header: map[string]string{"Tus-Resumable": "1.0.0"}})
	if head.status != 200 || head.header.Get("Upload-Offset") != "0" {
		t.Errorf("the open upload after the attacks: %d offset %q, want 200 at offset 0", head.status, head.header.Get("Upload-Offset"))
	}
	for _, name := range []string{"root", "lead", "insp", "eastlead", "eastinsp"} {
		if _, err := w.Store().UserByUsername(context.Background(), name); err != nil {
			t.Errorf("user %s after the attacks: %v", name, err)
		}
	}
}

// idorCase says how to aim one id-bearing route at the main site's record.
type idorCase struct {
	// id picks the main site's record; fake is an id of the same form that
	// names nothing.
	id, fake func(w *secWorld) string
	header   map[string]string
	body     string
	// owner is what the record's own site gets (0: not asked, because the
	// call would change the record).
	owner int
	// adminOnly: the route is for admins, who see every site by design; a
	// lead of another site must meet the role gate whether or not the id
	// exists.
	adminOnly bool
}

var tusHeader = map[string]string{"Tus-Resumable": "1.0.0"}

func uuidFake(*secWorld) string { return uuid.NewString() }

// idorCases is every route with an id in its path. The test fails for a
// route that has an id and no case here.
var idorCases = map[string]idorCase{
	"GET /api/v1/returns/:id":                    {id: func(w *secWorld) string { return w.returnID }, fake: uuidFake, owner: 200},
	"GET /api/v1/inspections/:id":                {id: func(w *secWorld) string { return w.inspectionID }, fake: uuidFake, owner: 200},
	"GET /api/v1/inspections/:id/label-card.jpg": {id: func(w *secWorld) string { return w.draftID }, fake: uuidFake, owner: 200},
	"GET /api/v1/inspections/:id/evidence":       {id: func(w *secWorld) string { return w.inspectionID }, fake: uuidFake, owner: 200},
	"GET /api/v1/inspections/:id/evidence.pdf":   {id: func(w *secWorld) string { return w.inspectionID }, fake: uuidFake, owner: 200},
	"GET /api/v1/inspections/:id/evidence.zip":   {id: func(w *secWorld) string { return w.inspectionID }, fake: uuidFake, owner: 200},
	"GET /api/v1/inspections/:id/relabel.png":    {id: func(w *secWorld) string { return w.inspectionID }, fake: uuidFake, owner: 200},
	"GET /api/v1/inspections/:id/relabel.zpl":    {id: func(w *secWorld) string { return w.inspectionID }, fake: uuidFake, owner: 200},
	"GET /api/v1/inspections/:id/relabel.pdf":    {id: func(w *secWorld) string { return w.inspectionID }, fake: uuidFake, owner: 200},
	// The owner is not asked: a print reaches the printer (checked below).
	"POST /api/v1/inspections/:id/relabel/print": {id: func(w *secWorld) string { return w.inspectionID }, fake: uuidFake},
	"GET /api/v1/units/:id": {id: func(w *secWorld) string { return w.unitID },
		fake: func(*secWorld) string { return labels.NewUnitID() }, owner: 200},
	"HEAD /api/v1/uploads/:id": {id: func(w *secWorld) string { return w.uploadID }, fake: func(*secWorld) string { return strings.Repeat("0", 32) },
		header: tusHeader, owner: 200},
	// A stranger's chunk must not land (mustIntact checks the offset is still 0).
	"PATCH /api/v1/uploads/:id": {id: func(w *secWorld) string { return w.uploadID }, fake: func(*secWorld) string { return strings.Repeat("0", 32) },
		header: map[string]string{"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"},
		body:   string(jpeg(4096, 1))},
	"DELETE /api/v1/uploads/:id": {id: func(w *secWorld) string { return w.uploadID }, fake: func(*secWorld) string { return strings.Repeat("0", 32) },
		header: tusHeader},
	"GET /api/v1/media/:id":      {id: func(w *secWorld) string { return w.mediaID }, fake: uuidFake, owner: 200},
	"GET /api/v1/media/:id/meta": {id: func(w *secWorld) string { return w.mediaID }, fake: uuidFake, owner: 200},
	// The code in a scan path is not an id: the answer must find nothing
	// of the main site (checked by the scan case below).
	"GET /api/v1/scan/*": {id: func(*secWorld) string { return "111-4444444-5555555" },
		fake: func(*secWorld) string { return "111-0000000-0000000" }, owner: 200},
	"DELETE /api/v1/webhooks/:id": {id: func(w *secWorld) string { return w.webhookID }, fake: uuidFake, adminOnly: true},
	"GET /api/v1/webhooks/:id/deliveries": {id: func(w *secWorld) string { return w.webhookID }, fake: uuidFake,
		owner: 200, adminOnly: true},
}

// hasPathParam tells whether a route pattern takes a value from its path.
func hasPathParam(path string) bool { return strings.ContainsAny(path, ":*") }

func fillPath(pattern, id string) string {
	return strings.NewReplacer(":id", id, "*", id).Replace(pattern)
}

// TestSecurityIDOR asks every id-bearing route, as a user of another site,
// for a real record of the main site: the answer must be 404 and the same,
// status and error code, as for an id that names nothing, so that ids
// cannot be probed. A route for admins only meets its role gate (403)
// either way.
func TestSecurityIDOR(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := mustSecWorld(t, dialect)
		for _, r := range w.RouteTable() {
			key := r.Method + " " + r.Path
			if !hasPathParam(r.Path) {
				continue
			}
			tc, ok := idorCases[key]
			if !ok {
				t.Errorf("route %s takes an id in its path but has no IDOR case: add one to idorCases", key)
				continue
			}
			t.Run(strings.ReplaceAll(key, "/", "_"), func(t *testing.T) {
				attacker := w.eastInsp
				if r.Role != inspection.RoleInspector {
					attacker = w.eastLead
				}
				ask := func(id string) response {
					return w.do(t, request{method: r.Method, path: fillPath(r.Path, id), token: attacker, header: tc.header, body: nilIfEmpty(tc.body)})
				}
				real, fake := ask(tc.id(w)), ask(tc.fake(w))
				want := http.StatusNotFound
				if tc.adminOnly {
					want = http.StatusForbidden
				}
				if r.Path == "/api/v1/scan/*" {
					want = http.StatusOK // checked by what it finds, below
				}
				secStatus(real.status)
				if real.status != want || fake.status != want {
					t.Errorf("another site's user: real id %d %s, unknown id %d %s; want %d for both",
						real.status, real.body, fake.status, fake.body, want)
				}
				if r.Method != "HEAD" && errorCode(real) != errorCode(fake) {
					t.Errorf("error code %q for the real id, %q for an unknown one: the answer tells them apart", errorCode(real), errorCode(fake))
				}
				if r.Path == "/api/v1/scan/*" {
					var found struct {
						Returns, Inspections, Units []json.RawMessage
					}
					real.json(t, &found)
					if len(found.Returns)+len(found.Inspections)+len(found.Units) != 0 {
						t.Errorf("another site's scan found %s", real.body)
					}
				}
				if tc.owner != 0 {
					token := w.lead
					if tc.adminOnly {
						token = w.admin
					}
					res := w.do(t, request{method: r.Method, path: fillPath(r.Path, tc.id(w)), token: token, header: tc.header, body: nilIfEmpty(tc.body)})
					if res.status != tc.owner {
						t.Errorf("the record's own site: %d %.300s, want %d (the id must be real for the case to mean anything)", res.status, res.body, tc.owner)
					}
				}
			})
		}
		for key := range idorCases {
			method, path, _ := strings.Cut(key, " ")
			found := false
			for _, r := range w.RouteTable() {
				found = found || (r.Method == method && r.Path == path)
			}
			if !found {
				t.Errorf("idorCases names %s, which the server does not serve", key)
			}
		}
		t.Run("PrinterGotNothing", func(t *testing.T) {
			select {
			case got := <-w.printed:
				t.Fatalf("another site's print request reached the printer: %.100q", got)
			case <-time.After(100 * time.Millisecond):
			}
		})
		t.Run("IDsInBodies", func(t *testing.T) { w.idsInBodies(t) })
		w.mustIntact(t)
	})
}

// idsInBodies aims the routes that take ids in their body (sync
// mutations, label sheets) at the main site's records.
func (w *secWorld) idsInBodies(t *testing.T) {
	d := newDevice()
	cur := w.inspection(t, w.lead, w.draftID).Version
	if cur < 2 {
		t.Fatalf("the draft is at version %d, want 2 or more so that an old base version can be tried", cur)
	}
	for _, tc := range []struct {
		name string
		mut  rbsync.Mutation
		code string // the refusal, the same as for a record that does not exist
	}{
		{"SaveOtherSitesDraft", save(d, w.draftID, cur, map[string]any{"notes": "mine now"}), inspection.ENOTFOUND},
		// An old base version must not turn into a conflict that tells the
		// record's current version.
		{"SaveOtherSitesDraftOldVersion", save(d, w.draftID, 1, map[string]any{"notes": "mine now"}), inspection.ENOTFOUND},
		{"SaveOtherSitesDraftNoVersion", d.mut("inspection.save", map[string]any{"id": w.draftID, "notes": "mine now"}), inspection.ENOTFOUND},
		{"SaveLinksOtherSitesReturn", save(d, uuid.NewString(), 0, map[string]any{"return_id": w.returnID}), inspection.EINVALID},
		{"CompleteOtherSitesDraft", d.mut("inspection.complete", map[string]any{"id": w.draftID, "base_version": cur}), inspection.ENOTFOUND},
		{"DiscardOtherSitesDraft", d.mut("inspection.discard", map[string]any{"id": w.draftID, "base_version": cur, "reason": "x"}), inspection.ENOTFOUND},
		{"ReopenOtherSitesInspection", d.mut("inspection.reopen", map[string]any{"id": w.inspectionID, "reason": "x"}), inspection.ENOTFOUND},
		{"DeclareIntoOtherSitesDraft", d.mut("media.declare", map[string]any{"id": uuid.NewString(), "inspection_id": w.draftID,
			"kind": "damage", "content_type": "image/jpeg", "size": 100, "sha256": strings.Repeat("cd", 32), "filename": "x.jpg"}), inspection.ENOTFOUND},
		{"DeclareOverOtherSitesMedia", d.mut("media.declare", map[string]any{"id": w.mediaID, "inspection_id": uuid.NewString(),
			"kind": "damage", "content_type": "image/jpeg", "size": 100, "sha256": strings.Repeat("cd", 32), "filename": "x.jpg"}), ""},
		{"ReceiveOtherSitesReturn", d.mut("return.receive", map[string]any{"return_id": w.returnID}), inspection.ENOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, results := w.push(t, w.eastLead, d.id, tc.mut)
			ok := status == 200 && len(results) == 1 && (results[0].Status == rejected || results[0].Status == retry) &&
				results[0].Error != nil && (tc.code == "" || results[0].Error.Code == tc.code) && results[0].Error.CurrentVersion == 0
			secCase(ok)
			if !ok {
				t.Errorf("push as another site: %d %+v (error %+v), want it refused (%s) with nothing about the record", status, results, errOf(results), tc.code)
			}
		})
	}
	t.Run("LabelSheetOfOtherSitesUnit", func(t *testing.T) {
		res := w.do(t, request{method: "POST", path: "/api/v1/labels/sheet", token: w.eastInsp, body: map[string]any{"unit_ids": []string{w.unitID}}})
		secStatus(res.status)
		if res.status != 404 {
			t.Errorf("got %d %.200s, want 404", res.status, res.body)
		}
	})
	t.Run("ScanQueryFindsNothing", func(t *testing.T) {
		res := w.do(t, request{method: "GET", path: "/api/v1/scan?code=111-4444444-5555555", token: w.eastInsp})
		var found struct {
			Returns, Inspections, Units []json.RawMessage
		}
		res.json(t, &found)
		n := len(found.Returns) + len(found.Inspections) + len(found.Units)
		secCase(n == 0)
		if res.status != 200 || n != 0 {
			t.Errorf("another site's scan: %d %.300s, want 200 finding nothing", res.status, res.body)
		}
	})
	t.Run("WebhooksOfOtherSite", func(t *testing.T) {
		res := w.do(t, request{method: "GET", path: "/api/v1/webhooks?site_id=main", token: w.eastLead})
		secStatus(res.status)
		if res.status != 403 {
			t.Errorf("got %d %.200s, want 403", res.status, res.body)
		}
	})
}

func errOf(rs []rbsync.Result) *rbsync.ResultError {
	if len(rs) == 0 {
		return nil
	}
	return rs[0].Error
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// errorCode is the API error code of an answer, or "".
func errorCode(res response) string { return apiErrorOf(res).Error.Code }

// errorMessage is the API error message of an answer, or "".
func errorMessage(res response) string { return apiErrorOf(res).Error.Message }

func apiErrorOf(res response) errorBody {
	var body errorBody
	if len(res.body) > 0 && res.body[0] == '{' {
		_ = json.Unmarshal(res.body, &body)
	}
	return body
}

// sessionCookieOf is the rb_session cookie an answer sets, or nil.
func sessionCookieOf(res response) *http.Cookie {
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == "rb_session" {
			return c
		}
	}
	return nil
}

// TestSecuritySession: a sign-in always issues a fresh token (a planted
// cookie is never adopted), the cookie carries its flags, a token never
// rides in a URL, and signing out ends the session at once.
func TestSecuritySession(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ts := mustStart(t, dialect, nil)
		ts.mustUser(t, "ana", inspection.RoleInspector)
		attacker := ts.mustUser(t, "mallory", inspection.RoleInspector)

		t.Run("FixationPlantedCookieNotAdopted", func(t *testing.T) {
			for _, planted := range []string{"attacker-chosen-token-0123456789abcdef", attacker} {
				res := login(ts, t, "ana", "password-ana", map[string]string{"Cookie": "rb_session=" + planted})
				c := sessionCookieOf(res)
				var out struct{ Token string }
				res.json(t, &out)
				secCase(c != nil && c.Value != planted && out.Token != planted)
				if res.status != 200 || c == nil || c.Value == planted || out.Token == planted || c.Value != out.Token {
					t.Fatalf("login with a planted cookie: %d cookie %v token %q, want a new token of its own", res.status, c, out.Token)
				}
				// The planted value still means what it meant before: nothing,
				// or the attacker's own session, never ana's.
				var me struct{ User struct{ Username string } }
				res = ts.do(t, request{method: "GET", path: "/api/v1/auth/me", token: planted})
				if res.status == 200 {
					res.json(t, &me)
				}
				if me.User.Username == "ana" {
					t.Fatalf("the planted token %q now signs in as ana", planted)
				}
			}
		})
		t.Run("FreshTokenEverySignIn", func(t *testing.T) {
			a, b := ts.mustLogin(t, "ana", "password-ana"), ts.mustLogin(t, "ana", "password-ana")
			if a == b || len(a) < 32 {
				t.Fatalf("two sign-ins gave %q and %q, want two different long tokens", a, b)
			}
		})
		t.Run("CookieFlags", func(t *testing.T) {
			res := login(ts, t, "ana", "password-ana", nil)
			c := sessionCookieOf(res)
			if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Expires.IsZero() || c.Secure {
				t.Fatalf("cookie %+v over plain HTTP, want HttpOnly, SameSite=Strict, Path=/, an expiry and no Secure", c)
			}
		})
		t.Run("NoTokenInURL", func(t *testing.T) {
			tok := ts.mustLogin(t, "ana", "password-ana")
			for _, q := range []string{"token", "access_token", "session", "rb_session", "auth"} {
				res := ts.do(t, request{method: "GET", path: "/api/v1/auth/me?" + q + "=" + tok})
				secStatus(res.status)
				if res.status != 401 {
					t.Errorf("token in ?%s=: %d, want 401 (a token never rides in a URL)", q, res.status)
				}
			}
			res := login(ts, t, "ana", "password-ana", nil)
			if loc := res.header.Get("Location"); strings.Contains(loc, tok) || loc != "" {
				t.Errorf("sign-in answered with Location %q, want none", loc)
			}
		})
		t.Run("LogoutEndsCookieSessionAtOnce", func(t *testing.T) {
			res := login(ts, t, "ana", "password-ana", nil)
			c := sessionCookieOf(res)
			cookie := map[string]string{"Cookie": "rb_session=" + c.Value, "Origin": ts.URL}
			out := ts.do(t, request{method: "POST", path: "/api/v1/auth/logout", header: cookie})
			gone := sessionCookieOf(out)
			if out.status != 204 || gone == nil || gone.Value != "" || !gone.HttpOnly || gone.SameSite != http.SameSiteStrictMode ||
				(gone.MaxAge >= 0 && !gone.Expires.Before(time.Now())) {
				t.Fatalf("logout: %d cookie %+v, want 204 and the cookie cleared with its flags", out.status, gone)
			}
			for _, h := range []map[string]string{{"Cookie": "rb_session=" + c.Value}, {"Authorization": "Bearer " + c.Value}} {
				res := ts.do(t, request{method: "GET", path: "/api/v1/auth/me", header: h})
				secStatus(res.status)
				if res.status != 401 {
					t.Fatalf("the signed-out token (%v): %d, want 401", h, res.status)
				}
			}
		})
	})
	t.Run("SecureOverTLS", func(t *testing.T) {
		cert, key := mustSelfSignedCert(t)
		ts := mustStart(t, store.SQLite, func(c *server.Config) { c.TLSCert, c.TLSKey = cert, key })
		ts.mustUserNoLogin(t, "ana", inspection.RoleInspector)
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		res, err := client.Post("https://"+ts.Addr()+"/api/v1/auth/login", "application/json",
			strings.NewReader(`{"username":"ana","password":"password-ana"}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		var c *http.Cookie
		for _, k := range res.Cookies() {
			if k.Name == "rb_session" {
				c = k
			}
		}
		if res.StatusCode != 200 || c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
			t.Fatalf("sign-in over TLS: %d cookie %+v, want Secure, HttpOnly, SameSite=Strict", res.StatusCode, c)
		}
		if hsts := res.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
			t.Errorf("Strict-Transport-Security %q over TLS, want a max-age", hsts)
		}
	})
}

// mustUserNoLogin creates an account without signing it in.
func (ts *testServer) mustUserNoLogin(tb testing.TB, name string, role inspection.Role) {
	tb.Helper()
	u, err := server.NewUser(name, "password-"+name, string(role))
	if err != nil {
		tb.Fatal(err)
	}
	if err := ts.Store().CreateUser(context.Background(), u, ""); err != nil {
		tb.Fatal(err)
	}
}

// mustSelfSignedCert writes a certificate for 127.0.0.1 and its key.
func mustSelfSignedCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestSecurityCSRF sends every state-changing route a request that rides
// on the session cookie from a page of another site: a foreign Origin,
// the "null" origin of a sandboxed page, or (without Origin) a browser's
// Sec-Fetch-Site: cross-site. Each is refused before anything happens; the
// same request from our own origin gets past the check, so the refusal
// is the check's doing. Public routes that start a session (sign-in,
// badge, setup) refuse foreign pages too: a login CSRF would sign the
// victim into the attacker's account.
func TestSecurityCSRF(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ts := mustStart(t, dialect, nil)
		ts.mustUserNoLogin(t, "root", inspection.RoleAdmin)
		cookieOf := func() string { return sessionCookieOf(login(ts, t, "root", "password-root", nil)).Value }
		before := countRows(t, ts)
		for _, r := range ts.RouteTable() {
			if r.Method == "GET" || r.Method == "HEAD" || r.Method == "OPTIONS" {
				continue
			}
			key := r.Method + " " + r.Path
			t.Run(strings.ReplaceAll(key, "/", "_"), func(t *testing.T) {
				path := fillPath(r.Path, uuid.NewString())
				body := `{"username":"root","password":"password-root","order_id":"111-2222222-3333333"}`
				for _, foreign := range []map[string]string{
					{"Origin": "https://evil.example"},
					{"Origin": "null"},
					{"Origin": "http://" + ts.Addr() + ".evil.example"},
					{"Sec-Fetch-Site": "cross-site"},
					{"Sec-Fetch-Site": "same-site"},
				} {
					h := map[string]string{"Content-Type": "text/plain"}
					for k, v := range foreign {
						h[k] = v
					}
					if r.Role != "" {
						h["Cookie"] = "rb_session=" + cookieOf()
					}
					res := ts.do(t, request{method: r.Method, path: path, body: body, header: h})
					var eb errorBody
					if len(res.body) > 0 {
						res.json(t, &eb)
					}
					refused := res.status == 403 && strings.Contains(eb.Error.Message, "another site")
					secCase(refused)
					if !refused {
						t.Errorf("cookie request with %v: %d %.200s, want 403 refused as coming from another site", foreign, res.status, res.body)
					}
					if c := sessionCookieOf(res); c != nil && c.Value != "" {
						t.Errorf("a request from another site (%v) was given a session cookie", foreign)
					}
				}
				// The control: our own origin passes the check (whatever the
				// handler then makes of the request).
				h := map[string]string{"Origin": ts.URL, "Content-Type": "application/json"}
				if r.Role != "" {
					h["Cookie"] = "rb_session=" + cookieOf()
				}
				res := ts.do(t, request{method: r.Method, path: path, body: body, header: h})
				if strings.Contains(string(res.body), "another site") {
					t.Errorf("same-origin cookie request: %d %s, want it past the origin check", res.status, res.body)
				}
			})
		}
		// The same-origin controls may have created a return and signed in;
		// the refused requests must not have added anything else.
		after := countRows(t, ts)
		if after.webhooks != before.webhooks || after.sites != before.sites || after.users != before.users || after.returns > before.returns+1 {
			t.Errorf("rows before %+v, after %+v: a refused request changed something", before, after)
		}
	})
}

// TestSecurityCSRFBehindProxy: a proxy may pass its own Host on, so the
// public URL's origin counts as ours; any other origin still does not.
func TestSecurityCSRFBehindProxy(t *testing.T) {
	ts := mustStart(t, store.SQLite, func(c *server.Config) { c.PublicURL = "https://bench.example.com/" })
	ts.mustUserNoLogin(t, "lee", inspection.RoleLead)
	for origin, want := range map[string]int{"https://bench.example.com": 200, "https://bench.example.com.evil.example": 403,
		"http://bench.example.com": 403, "https://evil.example": 403} {
		res := login(ts, t, "lee", "password-lee", map[string]string{"Origin": origin})
		if origin != "https://bench.example.com" {
			secStatus(res.status)
		}
		if res.status != want {
			t.Errorf("sign-in from %s: %d %s, want %d", origin, res.status, res.body, want)
		}
		if res.status != 200 {
			continue
		}
		cookie := map[string]string{"Cookie": "rb_session=" + sessionCookieOf(res).Value, "Origin": origin}
		if res := ts.do(t, request{method: "POST", path: "/api/v1/returns", body: map[string]string{"order_id": "111-2222222-3333333"}, header: cookie}); res.status != 201 {
			t.Errorf("cookie write from the public origin: %d %s, want 201", res.status, res.body)
		}
	}
}

type rowCounts struct{ returns, users, sites, webhooks int }

// countRows counts what an admin sees of the records a refused request
// could have created.
func countRows(t *testing.T, ts *testServer) rowCounts {
	t.Helper()
	tok := ts.mustLogin(t, "root", "password-root")
	var c rowCounts
	for path, dst := range map[string]*int{"/api/v1/returns?limit=500": &c.returns, "/api/v1/users": &c.users,
		"/api/v1/sites": &c.sites, "/api/v1/webhooks": &c.webhooks} {
		res := ts.do(t, request{method: "GET", path: path, token: tok})
		var m map[string][]json.RawMessage
		if res.status != 200 || json.Unmarshal(res.body, &m) != nil || len(m) == 0 {
			t.Fatalf("GET %s: %d %.200s", path, res.status, res.body)
		}
		for k, v := range m {
			if k != "next_cursor" {
				*dst = len(v)
			}
		}
	}
	return c
}

// secDo is do with a deadline that turns a hang into a failure.
func (ts *testServer) secDo(tb testing.TB, req request, timeout time.Duration) (response, error) {
	tb.Helper()
	var body io.Reader
	switch b := req.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = strings.NewReader(string(b))
	default:
		tb.Fatalf("secDo: body of type %T", req.body)
	}
	hr, err := http.NewRequest(req.method, ts.URL+req.path, body)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.token)
	}
	for k, v := range req.header {
		hr.Header.Set(k, v)
	}
	client := &http.Client{Timeout: timeout}
	res, err := client.Do(hr)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return response{}, err
	}
	return response{status: res.StatusCode, header: res.Header, body: b}, nil
}
