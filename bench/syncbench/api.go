package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
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
	benchkit.Client
	srv    *server.Server
	userID string
}

// startAPI starts the server on the bench's database the way the server
// tests do, and signs in as an inspector of the default site.
func startAPI(ctx context.Context, db *database, conns int) (*api, error) {
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: db.Dir, DatabaseURL: db.URL,
		PublicURL: "http://localhost:8080", SessionTTL: 24 * time.Hour, Now: time.Now}
	srv, err := server.New(ctx, cfg, benchkit.QuietLog())
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
	a := &api{srv: srv, userID: u.ID, Client: benchkit.Client{
		Base: "http://" + srv.Addr(),
		// Keep-alive connections, one per device: the figures are pushes
		// and pulls, not TCP handshakes.
		HTTP: &http.Client{
			Timeout: time.Minute,
			Transport: &http.Transport{
				Proxy:               nil, // loopback only, whatever the environment says
				MaxIdleConns:        conns + 1,
				MaxIdleConnsPerHost: conns + 1,
				IdleConnTimeout:     time.Minute,
			},
		},
	}}
	go srv.Serve(context.Background())
	if err := a.Login(ctx, benchUser, benchPassword); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// push sends one batch.
func (a *api) push(ctx context.Context, req *rbsync.PushRequest) (rbsync.PushResponse, error) {
	var out rbsync.PushResponse
	body, err := json.Marshal(req)
	if err != nil {
		return out, err
	}
	hreq, err := http.NewRequestWithContext(ctx, "POST", a.Base+"/api/v1/sync/push", bytes.NewReader(body))
	if err != nil {
		return out, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	return out, a.Do(hreq, &out)
}

// pullBody reads one page of the feed and returns the answer undecoded.
func (a *api) pullBody(ctx context.Context, cursor string, limit int) ([]byte, error) {
	q := url.Values{"cursor": {cursor}, "limit": {strconv.Itoa(limit)}}
	req, err := http.NewRequestWithContext(ctx, "GET", a.Base+"/api/v1/sync/pull?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	return a.Send(req)
}

// Close stops the server, which also closes its store.
func (a *api) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.HTTP.CloseIdleConnections()
	return a.srv.Shutdown(ctx)
}
