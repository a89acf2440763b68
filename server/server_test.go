package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/server"
	"github.com/returnbench/returnbench/store"
	"github.com/returnbench/returnbench/store/storetest"
)

// testServer is a real returnbench listening on a free loopback port.
type testServer struct {
	*server.Server
	URL string
	log *lockedBuffer
	cfg server.Config
}

// cfgDatabaseURL is the database this server runs on, for a second instance.
func (ts *testServer) cfgDatabaseURL(t *testing.T) string {
	if ts.cfg.DatabaseURL == "" {
		t.Fatal("not a PostgreSQL server")
	}
	return ts.cfg.DatabaseURL
}

// mustStart runs a server on a fresh database of dialect until the test ends.
func mustStart(tb testing.TB, dialect string, tweak func(*server.Config)) *testServer {
	tb.Helper()
	sc := storetest.Config(tb, dialect)
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: sc.DataDir, DatabaseURL: sc.DatabaseURL,
		PublicURL: "http://localhost:8080", SessionTTL: time.Hour, Now: time.Now}
	if tweak != nil {
		tweak(&cfg)
	}
	logs := &lockedBuffer{}
	srv, err := server.New(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		tb.Fatalf("new server: %v", err)
	}
	if err := srv.Listen(); err != nil {
		tb.Fatalf("listen: %v", err)
	}
	go srv.Serve(context.Background())
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return &testServer{Server: srv, URL: "http://" + srv.Addr(), log: logs, cfg: cfg}
}

// request is one HTTP call in a test.
type request struct {
	method, path, token string
	body                any
	header              map[string]string
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.body, err)
	}
}

func (ts *testServer) do(tb testing.TB, req request) response {
	tb.Helper()
	var body io.Reader
	switch b := req.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		body = bytes.NewReader(j)
	}
	hr, err := http.NewRequest(req.method, ts.URL+req.path, body)
	if err != nil {
		tb.Fatal(err)
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
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.method, req.path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// mustUser creates an account directly in the store and signs it in.
func (ts *testServer) mustUser(tb testing.TB, name string, role inspection.Role) string {
	tb.Helper()
	u, err := server.NewUser(name, "password-"+name, string(role))
	if err != nil {
		tb.Fatal(err)
	}
	if err := ts.Store().CreateUser(context.Background(), u, ""); err != nil {
		tb.Fatal(err)
	}
	return ts.mustLogin(tb, name, "password-"+name)
}

func (ts *testServer) mustLogin(tb testing.TB, name, password string) string {
	tb.Helper()
	res := ts.do(tb, request{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"username": name, "password": password}})
	if res.status != 200 {
		tb.Fatalf("login %s: %d %s", name, res.status, res.body)
	}
	var out struct{ Token string }
	res.json(tb, &out)
	return out.Token
}

// errorBody is the API's error shape.
type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

func eachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range []string{store.SQLite, store.Postgres} {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}
