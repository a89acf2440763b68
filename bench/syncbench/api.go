package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/server"
	rbsync "github.com/returnbench/returnbench/sync"
)

// The account the devices sign in with. The database is the bench's own,
// on loopback, and gone at the end: the password is no secret.
const (
	benchUser     = "syncbench"
	benchPassword = "syncbench-password"
)

// api is a real returnbench server on a loopback port, in this process,
// and a signed-in client for it.
type api struct {
	srv    *server.Server
	base   string
	token  string
	userID string
	http   *http.Client
}

// startAPI starts the server on the bench's database the way the server
// tests do, and signs in as an inspector of the default site.
func startAPI(ctx context.Context, db *database, conns int) (*api, error) {
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: db.dir, DatabaseURL: db.url,
		PublicURL: "http://localhost:8080", SessionTTL: 24 * time.Hour, Now: time.Now}
	srv, err := server.New(ctx, cfg, quietLog())
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	if err := srv.Listen(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("start server: %w", err)
	}
	u, err := server.NewUser(benchUser, benchPassword, string(inspection.RoleInspector))
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("new user: %w", err)
	}
	// The user exists before Serve, so the server prints no setup link.
	if err := srv.Store().CreateUser(ctx, u, ""); err != nil {
		srv.Close()
		return nil, fmt.Errorf("create user: %w", err)
	}
	a := &api{
		srv:    srv,
		base:   "http://" + srv.Addr(),
		userID: u.ID,
		// Keep-alive connections, one per device: the figures are pushes
		// and pulls, not TCP handshakes.
		http: &http.Client{
			Timeout: time.Minute,
			Transport: &http.Transport{
				Proxy:               nil, // loopback only, whatever the environment says
				MaxIdleConns:        conns + 1,
				MaxIdleConnsPerHost: conns + 1,
				IdleConnTimeout:     time.Minute,
			},
		},
	}
	go srv.Serve(context.Background())
	if err := a.login(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *api) login(ctx context.Context) error {
	var out struct {
		Token string `json:"token"`
	}
	body, _ := json.Marshal(map[string]string{"username": benchUser, "password": benchPassword})
	if err := a.call(ctx, "POST", "/api/v1/auth/login", body, &out); err != nil {
		return fmt.Errorf("log in: %w", err)
	}
	a.token = out.Token
	return nil
}

// push sends one batch.
func (a *api) push(ctx context.Context, req *rbsync.PushRequest) (rbsync.PushResponse, error) {
	var out rbsync.PushResponse
	body, err := json.Marshal(req)
	if err != nil {
		return out, err
	}
	return out, a.call(ctx, "POST", "/api/v1/sync/push", body, &out)
}

// pullBody reads one page of the feed and returns the answer undecoded.
func (a *api) pullBody(ctx context.Context, cursor string, limit int) ([]byte, error) {
	q := url.Values{"cursor": {cursor}, "limit": {strconv.Itoa(limit)}}
	return a.send(ctx, "GET", "/api/v1/sync/pull?"+q.Encode(), nil)
}

// call sends a request and decodes a 200 answer into out.
func (a *api) call(ctx context.Context, method, path string, body []byte, out any) error {
	b, err := a.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// send sends a request and returns the body of a 200 answer; any other
// status is an error carrying the start of the body. The body is read to
// its end so the connection goes back to the pool.
func (a *api) send(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	res, err := a.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: status %d: %.300s", method, req.URL.Path, res.StatusCode, b)
	}
	return b, nil
}

// Close stops the server, which also closes its store.
func (a *api) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.http.CloseIdleConnections()
	return a.srv.Shutdown(ctx)
}
