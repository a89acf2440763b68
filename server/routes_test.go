package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
)

// access is the test's own statement of who may call what. It is written
// out by hand, not derived from the server, so that a route whose role
// changes, or a new route nobody decided on, fails here.
var access = map[string]inspection.Role{
	"GET /healthz":                               "",
	"GET /readyz":                                "",
	"GET /metrics":                               "",
	"POST /api/v1/auth/login":                    "",
	"POST /api/v1/setup":                         "",
	"POST /api/v1/auth/logout":                   inspection.RoleInspector,
	"GET /api/v1/auth/me":                        inspection.RoleInspector,
	"POST /api/v1/auth/badge":                    "",
	"POST /api/v1/auth/pin":                      inspection.RoleInspector,
	"GET /api/v1/auth/badge.png":                 inspection.RoleInspector,
	"GET /api/v1/users":                          inspection.RoleAdmin,
	"POST /api/v1/users":                         inspection.RoleAdmin,
	"GET /api/v1/sites":                          inspection.RoleAdmin,
	"POST /api/v1/sites":                         inspection.RoleAdmin,
	"GET /api/v1/scan":                           inspection.RoleInspector,
	"GET /api/v1/scan/*":                         inspection.RoleInspector,
	"GET /api/v1/returns":                        inspection.RoleInspector,
	"POST /api/v1/returns":                       inspection.RoleLead,
	"POST /api/v1/imports":                       inspection.RoleLead,
	"GET /api/v1/returns/:id":                    inspection.RoleInspector,
	"POST /api/v1/refunds/import":                inspection.RoleLead,
	"POST /api/v1/refunds":                       inspection.RoleLead,
	"GET /api/v1/webhooks":                       inspection.RoleAdmin,
	"POST /api/v1/webhooks":                      inspection.RoleAdmin,
	"DELETE /api/v1/webhooks/:id":                inspection.RoleAdmin,
	"GET /api/v1/webhooks/:id/deliveries":        inspection.RoleAdmin,
	"GET /api/v1/inspections/:id":                inspection.RoleInspector,
	"GET /api/v1/inspections/:id/label-card.jpg": inspection.RoleInspector,
	"GET /api/v1/inspections/:id/evidence":       inspection.RoleLead,
	"GET /api/v1/inspections/:id/evidence.pdf":   inspection.RoleLead,
	"GET /api/v1/inspections/:id/evidence.zip":   inspection.RoleLead,
	"GET /api/v1/inspections/:id/relabel.png":    inspection.RoleInspector,
	"GET /api/v1/inspections/:id/relabel.zpl":    inspection.RoleInspector,
	"GET /api/v1/inspections/:id/relabel.pdf":    inspection.RoleInspector,
	"POST /api/v1/inspections/:id/relabel/print": inspection.RoleInspector,
	"POST /api/v1/labels/sheet":                  inspection.RoleInspector,
	"GET /api/v1/units/:id":                      inspection.RoleInspector,
	"GET /api/v1/policies":                       inspection.RoleInspector,
	"POST /api/v1/sync/push":                     inspection.RoleInspector,
	"GET /api/v1/sync/pull":                      inspection.RoleInspector,
	"OPTIONS /api/v1/uploads":                    "",
	"POST /api/v1/uploads":                       inspection.RoleInspector,
	"HEAD /api/v1/uploads/:id":                   inspection.RoleInspector,
	"PATCH /api/v1/uploads/:id":                  inspection.RoleInspector,
	"DELETE /api/v1/uploads/:id":                 inspection.RoleInspector,
	"GET /api/v1/media/:id":                      inspection.RoleInspector,
	"GET /api/v1/media/:id/meta":                 inspection.RoleInspector,
	"GET /api/v1/audit/verify":                   inspection.RoleLead,
	"GET /api/v1/watch/refunded-not-returned":    inspection.RoleLead,
	"GET /api/v1/watch/refund-due":               inspection.RoleInspector,
	"GET /api/v1/watch/atoz":                     inspection.RoleLead,
	"GET /api/v1/watch/safet":                    inspection.RoleLead,
	"GET /api/v1/watch/disputes":                 inspection.RoleLead,
	"GET /api/v1/dashboard":                      inspection.RoleLead,
}

// TestAccess calls every route as nobody and as each role: a role below the
// route's gets 403, no session gets 401, and an allowed role gets through
// the gate (whatever the handler then says about the empty request).
func TestAccess(t *testing.T) {
	ts := mustStart(t, store.SQLite, nil)
	tokens := map[inspection.Role]string{
		inspection.RoleInspector: ts.mustUser(t, "insp", inspection.RoleInspector),
		inspection.RoleLead:      ts.mustUser(t, "lead", inspection.RoleLead),
		inspection.RoleAdmin:     ts.mustUser(t, "admin", inspection.RoleAdmin),
	}
	table := ts.RouteTable()
	seen := map[string]bool{}
	for _, r := range table {
		key := r.Method + " " + r.Path
		seen[key] = true
		want, ok := access[key]
		if !ok {
			t.Errorf("route %s is not in the access table: decide who may call it", key)
			continue
		}
		if r.Role != want {
			t.Errorf("route %s allows %q, want %q", key, r.Role, want)
		}
		if want == "" {
			continue
		}
		path := strings.NewReplacer(":id", "00000000-0000-0000-0000-000000000000", "*", "1Z5R89390357567127").Replace(r.Path)
		t.Run(strings.ReplaceAll(key, "/", "_"), func(t *testing.T) {
			if got := ts.do(t, request{method: r.Method, path: path}).status; got != http.StatusUnauthorized {
				t.Errorf("no session: got %d, want 401", got)
			}
			if got := ts.do(t, request{method: r.Method, path: path, token: "not-a-token"}).status; got != http.StatusUnauthorized {
				t.Errorf("bad token: got %d, want 401", got)
			}
			for _, role := range []inspection.Role{inspection.RoleInspector, inspection.RoleLead, inspection.RoleAdmin} {
				if r.Method == "POST" && strings.HasSuffix(r.Path, "/logout") {
					continue // would end the session the other cases use
				}
				got := ts.do(t, request{method: r.Method, path: path, token: tokens[role]}).status
				allowed := role.Allows(want)
				if allowed && (got == http.StatusUnauthorized || got == http.StatusForbidden) {
					t.Errorf("%s: got %d, want through the gate", role, got)
				}
				if !allowed && got != http.StatusForbidden {
					t.Errorf("%s: got %d, want 403", role, got)
				}
			}
		})
	}
	for key := range access {
		if !seen[key] {
			t.Errorf("access table names %s, which the server does not serve", key)
		}
	}
}

func TestUnknownAPIRouteIs404JSON(t *testing.T) {
	ts := mustStart(t, store.SQLite, nil)
	res := ts.do(t, request{method: "GET", path: "/api/v1/nothing-here"})
	var body errorBody
	res.json(t, &body)
	if res.status != 404 || body.Error.Code != "not_found" || body.Error.RequestID == "" {
		t.Fatalf("got %d %s, want 404 not_found with a request id", res.status, res.body)
	}
}
