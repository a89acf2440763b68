package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/server"
)

// The account the bench signs in with. The database is the bench's own, on
// loopback, so a fixed password is no secret worth keeping.
const (
	benchUser     = "scanbench"
	benchPassword = "scanbench-password"
)

// api is a real returnbench server on a loopback port and a signed-in client.
type api struct {
	benchkit.Client
	srv *server.Server
}

// startAPI starts the server on the bench's database, the way the server
// tests do, and signs in as an inspector of the default site.
func startAPI(ctx context.Context, dir string, conns int) (*api, error) {
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: dir, PublicURL: "http://localhost:8080",
		SessionTTL: time.Hour, Now: time.Now}
	srv, err := server.New(ctx, cfg, benchkit.QuietLog())
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	if err := srv.Listen(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("start server: %w", err)
	}
	a := &api{srv: srv, Client: benchkit.Client{
		Base: "http://" + srv.Addr(),
		// Keep-alive connections, one per goroutine, as a scanning station's
		// browser holds: the figures are lookups, not TCP handshakes.
		HTTP: &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				Proxy:               nil, // loopback only, whatever the environment says
				MaxIdleConns:        conns,
				MaxIdleConnsPerHost: conns,
				IdleConnTimeout:     time.Minute,
			},
		},
	}}
	// The user exists before Serve, so the server has no reason to print a
	// setup link.
	if err := ensureUser(ctx, srv); err != nil {
		srv.Close()
		return nil, err
	}
	go srv.Serve(context.Background())
	if err := a.Login(ctx, benchUser, benchPassword); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// ensureUser creates the bench's inspector; a kept -dir already has it.
func ensureUser(ctx context.Context, srv *server.Server) error {
	u, err := server.NewUser(benchUser, benchPassword, string(inspection.RoleInspector))
	if err != nil {
		return fmt.Errorf("new user: %w", err)
	}
	err = srv.Store().CreateUser(ctx, u, "")
	if err != nil && inspection.ErrorCode(err) != inspection.ECONFLICT {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// scan asks the API what a code finds and counts the returns in the answer.
func (a *api) scan(ctx context.Context, code string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", a.Base+"/api/v1/scan/"+url.PathEscape(code), nil)
	if err != nil {
		return 0, err
	}
	var out struct {
		Returns []struct {
			ID string `json:"id"`
		} `json:"returns"`
	}
	if err := a.Do(req, &out); err != nil {
		return 0, err
	}
	return len(out.Returns), nil
}

// Close stops the server, which also closes its store.
func (a *api) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.HTTP.CloseIdleConnections()
	return a.srv.Shutdown(ctx)
}
