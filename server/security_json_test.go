package server_test

// Oversized and hostile JSON bodies on every route that takes a body:
// past the size limit (declared and chunked), nested past any sane depth,
// text that no database stores. Each answer is a 4xx (413 for size, 400
// for the rest) and comes promptly: never a 5xx, never a hang.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// bodyRoutes says how each route that is not GET, HEAD or OPTIONS reads
// its body. The test fails for a route missing here.
var bodyRoutes = map[string]string{
	"POST /api/v1/auth/login":                    "json",
	"POST /api/v1/setup":                         "json",
	"POST /api/v1/auth/logout":                   "none",
	"POST /api/v1/auth/badge":                    "json",
	"POST /api/v1/auth/pin":                      "json",
	"POST /api/v1/users":                         "json",
	"POST /api/v1/sites":                         "json",
	"POST /api/v1/webhooks":                      "json",
	"DELETE /api/v1/webhooks/:id":                "none",
	"POST /api/v1/returns":                       "json",
	"POST /api/v1/imports":                       "stream",
	"POST /api/v1/refunds/import":                "stream",
	"POST /api/v1/refunds":                       "json",
	"POST /api/v1/inspections/:id/relabel/print": "json",
	"POST /api/v1/labels/sheet":                  "json",
	"POST /api/v1/uploads":                       "stream",
	"PATCH /api/v1/uploads/:id":                  "stream",
	"DELETE /api/v1/uploads/:id":                 "none",
	"POST /api/v1/sync/push":                     "json",
}

// hostileJSON are bodies that are too deep, too odd or not storable text,
// each small enough to pass the size limit.
func hostileJSON() map[string]string {
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
	}
	return map[string]string{
		"DeepArrays":      deep("[", "]", 200_000),
		"DeepObjects":     deep(`{"a":`, "}", 100_000),
		"DeepInAField":    `{"username":` + deep("[", "]", 50_000) + `,"unit_ids":` + deep("[", "]", 50_000) + `}`,
		"DeepInAMutation": `{"client_id":"d","mutations":[{"id":"8f0c1d2e-3b4a-4c5d-8e6f-708192a3b4c5","seq":1,"type":"inspection.save","payload":` + deep(`{"a":`, "}", 60_000) + `}]}`,
		"ManyMutations":   `{"client_id":"d","mutations":[` + strings.TrimSuffix(strings.Repeat(`{},`, 100_000), ",") + `]}`,
		"WideArray":       `{"unit_ids":[` + strings.TrimSuffix(strings.Repeat(`"U0000000000",`, 60_000), ",") + `]}`,
		"ManyKeys":        "{" + manyKeys(40_000) + "}",
		"HugeNumber":      `{"quantity":1e400,"amount":1e400,"dpi":1e400,"seq":1e400}`,
		"LongDigits":      `{"quantity":` + strings.Repeat("9", 100_000) + `}`,
		"NULInStrings":    `{"username":"a\u0000b","password":"pass\u0000word","order_id":"111-\u0000","id":"x\u0000","url":"http://a/\u0000","secret":"` + strings.Repeat("s", 32) + `\u0000","client_id":"d\u0000","pin":"12\u00003","badge":"returnbench:badge:\u0000","name":"\u0000","unit_ids":["\u0000"],"token":"\u0000"}`,
		"NULKeys":         `{"user\u0000name":"x","\u0000":1}`,
		"LoneSurrogates":  `{"username":"\ud800","order_id":"\udfff\ud800","product_name":"\ud83d"}`,
		"RawInvalidUTF8":  "{\"username\":\"\xff\xfe\",\"order_id\":\"\xc0\xaf\",\"product_name\":\"\xed\xa0\x80\"}",
		"DuplicateKeys":   `{"username":"a","username":"b","role":"inspector","role":"admin"}`,
		"ProtoKeys":       `{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}`,
		"WrongTypes": `{"username":{},"password":[],"order_id":1,"quantity":"x","mutations":"x","unit_ids":{},"size":{},"dpi":"x",` +
			`"id":{},"url":1,"pin":1,"badge":1,"token":1,"refunded_at":1,"events":"x","role":[]}`,
		"Null":              `null`,
		"Array":             `[]`,
		"String":            `"x"`,
		"Truncated":         `{"username":"a`,
		"TrailingGarbage":   `{"username":"a"} {"username":"b"}`,
		"BOMThenJSON":       "\xef\xbb\xbf{}",
		"LongString":        `{"product_name":"` + strings.Repeat("p", 900_000) + `"}`,
		"LongStringInIndex": `{"order_id":"` + strings.Repeat("7", 60_000) + `","tracking_id":"` + strings.Repeat("Z", 60_000) + `"}`,
	}
}

// mustRefuse are the bodies no JSON route may accept, whatever fields it
// reads: the others may be valid for a route that ignores unknown fields.
var mustRefuse = map[string]bool{"DeepArrays": true, "DeepObjects": true, "DeepInAField": true, "DeepInAMutation": true,
	"HugeNumber": true, "NULInStrings": true, "WrongTypes": true, "Array": true, "String": true, "Truncated": true, "TrailingGarbage": true}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	return b.String()
}

// TestSecurityJSONBodies sends every body route hostile JSON and bodies
// past the limit.
func TestSecurityJSONBodies(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := mustSecWorld(t, dialect)
		bodies := hostileJSON()
		for _, r := range w.RouteTable() {
			if r.Method == "GET" || r.Method == "HEAD" || r.Method == "OPTIONS" {
				continue
			}
			key := r.Method + " " + r.Path
			kind, ok := bodyRoutes[key]
			if !ok {
				t.Errorf("route %s is not in bodyRoutes: say how it reads its body", key)
				continue
			}
			t.Run(strings.ReplaceAll(key, "/", "_"), func(t *testing.T) {
				path := r.Path
				var header map[string]string
				if hasPathParam(path) {
					// Records are not worth destroying to test a body: only
					// the print route reads its body after finding its record.
					tc := idorCases[key]
					id := tc.fake(w)
					if strings.HasSuffix(path, "/print") {
						id = tc.id(w)
					}
					path, header = fillPath(path, id), tc.header
				}
				token := func() string {
					switch {
					case r.Role == "":
						return ""
					case strings.HasSuffix(r.Path, "/logout"):
						return w.mustLogin(t, "root", "password-root") // this call may end it
					}
					return w.admin
				}
				for name, body := range bodies {
					res, err := w.secDo(t, request{method: r.Method, path: path, token: token(), body: body, header: header}, 30*time.Second)
					if err != nil {
						secCase(false)
						t.Errorf("%s: %v (a hang?)", name, err)
						continue
					}
					secStatus(res.status)
					if res.status >= 500 {
						t.Errorf("%s: %d %.300s, want a 4xx", name, res.status, res.body)
					}
					// A push keeps a device's NUL as U+FFFD rather than stick its outbox.
					pushNUL := key == "POST /api/v1/sync/push" && name == "NULInStrings"
					if kind == "json" && mustRefuse[name] && !pushNUL && res.status < 400 {
						t.Errorf("%s: %d %.300s, want it refused", name, res.status, res.body)
					}
				}
				if kind == "stream" {
					return // imports and uploads bound their own bodies (see their tests)
				}
				for _, chunked := range []bool{false, true} {
					big := `{"product_name":"` + strings.Repeat("x", 2<<20) + `"}`
					res := w.rawBody(t, r.Method, path, token(), header, []byte(big), chunked)
					secStatus(res.status)
					if res.status != http.StatusRequestEntityTooLarge {
						t.Errorf("a 2 MiB body (chunked %v): %d %.200s, want 413", chunked, res.status, res.body)
					}
				}
			})
		}
		// Some hostile bodies are valid requests (a return whose name has
		// replacement characters): records may have been added, none lost.
		w.mustAuditOK(t)
	})
}

// rawBody sends body over a plain connection, with Content-Length or in
// chunks, and reads the answer.
func (ts *testServer) rawBody(t *testing.T, method, path, token string, header map[string]string, body []byte, chunked bool) response {
	t.Helper()
	conn, err := net.Dial("tcp", ts.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var req bytes.Buffer
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n", method, path, ts.Addr())
	if token != "" {
		fmt.Fprintf(&req, "Authorization: Bearer %s\r\n", token)
	}
	for k, v := range header {
		fmt.Fprintf(&req, "%s: %s\r\n", k, v)
	}
	if chunked {
		req.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		for len(body) > 0 {
			n := min(len(body), 64<<10)
			fmt.Fprintf(&req, "%x\r\n%s\r\n", n, body[:n])
			body = body[n:]
		}
		req.WriteString("0\r\n\r\n")
	} else {
		fmt.Fprintf(&req, "Content-Length: %d\r\n\r\n", len(body))
		req.Write(body)
	}
	go conn.Write(req.Bytes()) // the server may answer before it has read all of it
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: no answer: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return response{status: res.StatusCode, header: res.Header, body: b}
}
