package server_test

// SQL injection: every query parameter of every GET route, and every id in
// a path, gets quotes, comments, UNIONs, stacked statements, huge and
// malformed values. The answers are refusals (4xx) or clean results, never
// a 5xx; no answer shows another site's records or a password hash; and the
// database is intact afterwards, on SQLite and PostgreSQL.

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// queryParams names the query parameters each GET route reads. The test
// fails for a GET route missing here, so a new route's parameters are
// attacked from the day it is added.
var queryParams = map[string][]string{
	"GET /healthz":                               nil,
	"GET /readyz":                                nil,
	"GET /metrics":                               nil,
	"GET /api/v1/auth/me":                        nil,
	"GET /api/v1/auth/badge.png":                 nil,
	"GET /api/v1/users":                          nil,
	"GET /api/v1/sites":                          nil,
	"GET /api/v1/webhooks":                       {"site_id"},
	"GET /api/v1/webhooks/:id/deliveries":        {"status", "limit"},
	"GET /api/v1/scan":                           {"code"},
	"GET /api/v1/scan/*":                         nil,
	"GET /api/v1/returns":                        {"q", "status", "limit", "cursor"},
	"GET /api/v1/returns/:id":                    nil,
	"GET /api/v1/inspections/:id":                nil,
	"GET /api/v1/inspections/:id/label-card.jpg": nil,
	"GET /api/v1/inspections/:id/evidence":       {"case"},
	"GET /api/v1/inspections/:id/evidence.pdf":   {"case"},
	"GET /api/v1/inspections/:id/evidence.zip":   {"case"},
	"GET /api/v1/inspections/:id/relabel.png":    nil,
	"GET /api/v1/inspections/:id/relabel.zpl":    {"size", "dpi"},
	"GET /api/v1/inspections/:id/relabel.pdf":    {"paper"},
	"GET /api/v1/units/:id":                      nil,
	"GET /api/v1/media/:id":                      nil,
	"GET /api/v1/media/:id/meta":                 nil,
	"GET /api/v1/sync/pull":                      {"cursor", "limit"},
	"GET /api/v1/policies":                       nil,
	"GET /api/v1/audit/verify":                   nil,
	"GET /api/v1/watch/refunded-not-returned":    {"format", "closed_within_days"},
	"GET /api/v1/watch/refund-due":               {"format", "closed_within_days"},
	"GET /api/v1/watch/atoz":                     {"format", "closed_within_days"},
	"GET /api/v1/watch/safet":                    {"format", "closed_within_days"},
	"GET /api/v1/watch/disputes":                 {"format", "closed_within_days"},
	"GET /api/v1/dashboard":                      {"from", "to"},
}

// commonParams are names a list route might read without saying so (a
// sort column, a filter, another site): each id-less API route gets them.
var commonParams = []string{"sort", "order", "filter", "site_id"}

// sqlPayloads are the values tried in every parameter and path id.
func sqlPayloads() []string {
	b64 := base64.RawURLEncoding.EncodeToString
	return []string{
		"'", "''", `"`, "`", `\`, `\'`, ";",
		"' OR '1'='1", "' OR 1=1 --", `" OR ""="`, "1' OR '1'='1' /*", "1) OR (1=1",
		"' UNION SELECT id, username, password_hash FROM users --",
		"x' UNION ALL SELECT NULL,NULL,NULL--",
		"1; DROP TABLE returns; --", "'; DROP TABLE users; --", "1'; DELETE FROM sessions; --",
		"%' OR 1=1 --", "%", "_", "%%%%", "\\%",
		"id DESC; DELETE FROM sessions", "created_at, (SELECT password_hash FROM users LIMIT 1)", "1 ORDER BY 99",
		"'||(SELECT username FROM users LIMIT 1)||'", "$1", "?", "NULL", "true",
		"-1", "0", "99999999999999999999999", "9223372036854775808", "1e308", "NaN", "-0x7fffffff",
		"\x00", "a\x00b", "\xff\xfe", "\xc0\xaf", "\u202e", "../../../etc/passwd",
		strings.Repeat("A", 3000), strings.Repeat("'", 1000),
		b64([]byte("2026-01-01T00:00:00Z|x' OR '1'='1")), b64([]byte(`{"e":"x' OR 1=1 --","s":0}`)),
		b64([]byte(`{"e":"` + strings.Repeat("e", 2000) + `","s":-1}`)), b64([]byte("\x00\x00\x00")),
	}
}

// TestSecuritySQLInjection runs the payloads through every GET route's
// parameters and ids, as a lead of another site for the lists (whose
// scope an injection would widen) and as the records' own lead or admin
// for the routes of one record.
func TestSecuritySQLInjection(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := mustSecWorld(t, dialect)
		secrets := []string{w.returnID, w.inspectionID, w.draftID, w.unitID, w.mediaID, "$argon2"}
		payloads := sqlPayloads()
		check := func(t *testing.T, what string, res response, scoped bool) {
			t.Helper()
			secStatus(res.status)
			if res.status >= 500 {
				t.Errorf("%s: %d %.300s, want a refusal or a clean answer", what, res.status, res.body)
				return
			}
			for _, s := range secrets {
				if strings.Contains(string(res.body), s) && (scoped || s == "$argon2") {
					t.Errorf("%s: the answer holds %q, which this caller must not see", what, s)
				}
			}
		}
		for _, r := range w.RouteTable() {
			if r.Method != "GET" {
				continue
			}
			key := r.Method + " " + r.Path
			params, ok := queryParams[key]
			if !ok {
				t.Errorf("GET route %s is not in queryParams: name the query parameters it reads", key)
				continue
			}
			t.Run(strings.ReplaceAll(key, "/", "_"), func(t *testing.T) {
				token, scoped := w.eastLead, true
				path := r.Path
				switch {
				case strings.Contains(path, ":id") || strings.Contains(path, "*"):
					tc := idorCases[key]
					path, token, scoped = fillPath(path, tc.id(w)), w.lead, false
					if tc.adminOnly {
						token = w.admin
					}
				case r.Role == "admin":
					token, scoped = w.admin, false
				case strings.HasPrefix(path, "/api/"):
					params = append(append([]string{}, params...), commonParams...)
				}
				for _, p := range params {
					for _, v := range payloads {
						q := url.Values{p: {v}}.Encode()
						res := w.do(t, request{method: "GET", path: path + "?" + q, token: token})
						check(t, key+"?"+p+"="+short(v), res, scoped)
					}
				}
				if hasPathParam(r.Path) {
					// The id itself: never found, never an error.
					for _, v := range payloads {
						res := w.do(t, request{method: "GET", path: fillPath(r.Path, url.PathEscape(v)), token: w.admin})
						check(t, key+" with id "+short(v), res, false)
						if res.status == 200 && !strings.HasSuffix(r.Path, "*") {
							t.Errorf("%s with id %s: 200 %.200s, want it not found", key, short(v), res.body)
						}
					}
				}
			})
		}
		for key := range queryParams {
			found := false
			for _, r := range w.RouteTable() {
				found = found || r.Method+" "+r.Path == key
			}
			if !found {
				t.Errorf("queryParams names %s, which the server does not serve", key)
			}
		}
		w.mustIntact(t)
	})
}

// short is a payload fit for a test name.
func short(v string) string {
	if len(v) > 40 {
		return strings.ToValidUTF8(v[:40], "?") + "…"
	}
	return strings.ToValidUTF8(v, "?")
}
