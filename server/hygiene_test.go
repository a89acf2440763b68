package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
)

func TestHealth(t *testing.T) {
	ts := mustStart(t, store.SQLite, nil)
	for path, want := range map[string]string{"/healthz": `{"status":"ok"}`, "/readyz": `"status":"ready"`} {
		res := ts.do(t, request{method: "GET", path: path})
		if res.status != 200 || !strings.Contains(string(res.body), want) {
			t.Errorf("GET %s: %d %s, want 200 with %s", path, res.status, res.body, want)
		}
	}
}

func TestMetrics(t *testing.T) {
	ts := mustStart(t, store.SQLite, nil)
	ts.do(t, request{method: "GET", path: "/healthz"})
	res := ts.do(t, request{method: "GET", path: "/metrics"})
	if res.status != 200 || !strings.Contains(string(res.body), `returnbench_http_requests_total{method="GET",route="/healthz",status="200"}`) {
		t.Fatalf("got %d, want the request counter in:\n%.500s", res.status, res.body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	ts := mustStart(t, store.SQLite, nil)
	res := ts.do(t, request{method: "GET", path: "/"})
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Request-Id":            "",
	} {
		got := res.header.Get(h)
		if got == "" || !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", h, got, want)
		}
	}
	if res.status != 200 || !strings.Contains(string(res.body), "returnbench") {
		t.Errorf("GET /: %d, want the app page", res.status)
	}
	if strings.Contains(string(res.body), "<script>") {
		t.Error("the page has an inline script, which the CSP forbids")
	}
}

func TestCORSClosedByDefault(t *testing.T) {
	ts := mustStart(t, store.SQLite, nil)
	res := ts.do(t, request{method: "OPTIONS", path: "/api/v1/auth/login", header: map[string]string{
		"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}})
	if got := res.header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("Access-Control-Allow-Origin = %q, want none", got)
	}
}

func TestBodyLimit(t *testing.T) {
	ts := mustStart(t, store.SQLite, nil)
	tok := ts.mustUser(t, "lead", inspection.RoleLead)
	// The server answers from the Content-Length header after the first
	// few KiB of the body, so the test sends only those and reads the answer.
	conn, err := net.Dial("tcp", ts.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/returns HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", ts.Addr(), tok, 2<<20)
	conn.Write([]byte(strings.Repeat(" ", 16<<10)))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "too_large") {
		t.Fatalf("got %d %s, want 413 too_large", res.StatusCode, body)
	}
}

func TestErrorsHideInternals(t *testing.T) {
	ts := mustStart(t, store.SQLite, nil)
	tok := ts.mustUser(t, "lead", inspection.RoleLead)
	// Closing the database makes every query fail with a driver error.
	ts.Store().Close()
	res := ts.do(t, request{method: "GET", path: "/api/v1/returns", token: tok})
	var body errorBody
	res.json(t, &body)
	if res.status != 500 && res.status != 401 {
		t.Fatalf("got %d %s, want 500 (or 401 when the session lookup fails first)", res.status, res.body)
	}
	if strings.Contains(strings.ToLower(string(res.body)), "sql") || body.Error.RequestID == "" {
		t.Fatalf("body %s leaks internals or lacks a request id", res.body)
	}
}
