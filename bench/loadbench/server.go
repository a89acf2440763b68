package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
)

// The accounts the bench signs in with: a lead imports the report (imports
// are for leads), an inspector makes the load, as the bench's phones do.
// The server and its database are the bench's own, on loopback, and gone
// at the end: the passwords are no secret.
const (
	leadUser          = "load-lead"
	inspectorUser     = "load-inspector"
	benchPassword     = "loadbench-password"
	serverStartLimit  = 60 * time.Second
	setupRequestLimit = 5 * time.Minute
)

// rbServer is one `returnbench serve` process on a loopback port, on its
// own fresh database, with a client for it.
type rbServer struct {
	proc *benchkit.Child
	base string
	http *http.Client
}

// startServer adds the bench's users with `returnbench user add`, starts
// the server on db and waits until it is ready.
func (b *bench) startServer(ctx context.Context, db *database) (*rbServer, error) {
	env := benchkit.CleanEnv("TMPDIR=" + db.Dir)
	env = append(env, b.opts.ServerEnv...)
	for _, u := range []struct{ name, role string }{{leadUser, "lead"}, {inspectorUser, "inspector"}} {
		if err := benchkit.AddUser(ctx, b.bin, env, u.name, u.role, benchPassword, db.ServerArgs()...); err != nil {
			return nil, err
		}
	}
	proc, base, err := benchkit.StartServer(ctx, b.bin, db.ServerArgs(), env, filepath.Join(db.Dir, "server.log"))
	if err != nil {
		return nil, err
	}
	return &rbServer{proc: proc, base: base, http: newClient(b.opts.MaxInFlight)}, nil
}

// newClient keeps up to conns connections alive, as many as requests may
// be out at once, so the figures are requests and not TCP handshakes. It
// dials loopback addresses only, whatever the environment says.
func newClient(conns int) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("refusing %s: the bench only loads a server on a loopback address", addr)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}}
}

// stop ends the server process and the client's connections.
func (s *rbServer) stop() {
	s.http.CloseIdleConnections()
	s.proc.Stop()
}

// login signs user in and returns the session token.
func (s *rbServer) login(ctx context.Context, user string) (string, error) {
	c := benchkit.Client{HTTP: s.http, Base: s.base}
	if err := c.Login(ctx, user, benchPassword); err != nil {
		return "", s.proc.Explain(err)
	}
	return c.Token, nil
}

// call sends one setup request and decodes a 200 answer into out. Load
// requests do not come through here: they are timed and classified.
func (s *rbServer) call(ctx context.Context, method, path, token, contentType string, body io.Reader, out any) error {
	ctx, cancel := context.WithTimeout(ctx, setupRequestLimit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	c := benchkit.Client{HTTP: s.http, Base: s.base, Token: token}
	return s.proc.Explain(c.Do(req, out))
}

// logSize is how far the server's log has grown, so a step can read what
// the server wrote while it ran.
func (s *rbServer) logSize() int64 {
	fi, err := os.Stat(s.proc.LogPath())
	if err != nil {
		return 0
	}
	return fi.Size()
}
