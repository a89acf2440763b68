package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
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
	proc *child
	base string
	http *http.Client
}

// startServer adds the bench's users with `returnbench user add`, starts
// the server on db and waits until it is ready.
func (b *bench) startServer(ctx context.Context, db *database) (*rbServer, error) {
	env := cleanEnv("TMPDIR=" + db.dir)
	env = append(env, b.opts.ServerEnv...)
	args := []string{"--data-dir", db.dir}
	if db.url != "" {
		args = append(args, "--database-url", db.url)
	}
	// The users exist before the server starts, so it prints no setup link.
	for _, u := range []struct{ name, role string }{{leadUser, "lead"}, {inspectorUser, "inspector"}} {
		add := exec.CommandContext(ctx, b.bin, append([]string{"user", "add", u.name, "--role", u.role}, args...)...)
		add.Env = env
		add.Stdin = strings.NewReader(benchPassword + "\n")
		if out, err := add.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("returnbench user add %s: %w\n%s", u.name, err, out)
		}
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	proc, err := startChild("returnbench", b.bin, append([]string{"serve", "--addr", addr}, args...), env,
		filepath.Join(db.dir, "server.log"))
	if err != nil {
		return nil, err
	}
	s := &rbServer{proc: proc, base: "http://" + addr, http: newClient(b.opts.MaxInFlight)}
	if err := proc.waitLive(ctx, s.base+"/readyz", serverStartLimit); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
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
	s.proc.stop()
}

// login signs user in and returns the session token.
func (s *rbServer) login(ctx context.Context, user string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": user, "password": benchPassword})
	var out struct {
		Token string `json:"token"`
	}
	if err := s.call(ctx, "POST", "/api/v1/auth/login", "", "application/json", bytes.NewReader(body), &out); err != nil {
		return "", fmt.Errorf("log in as %s: %w", user, err)
	}
	return out.Token, nil
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
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := s.http.Do(req)
	if err != nil {
		return s.exitedErr(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d: %.300s", method, path, res.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// errExited marks a server that ended on its own.
var errExited = errors.New("the server process exited")

// exitedErr adds the end of the server's log to err when the server died.
func (s *rbServer) exitedErr(err error) error {
	if s.proc.exited() {
		return fmt.Errorf("%w: %v\n%s", errExited, err, s.proc.logTail())
	}
	return err
}

// logSize is how far the server's log has grown, so a step can read what
// the server wrote while it ran.
func (s *rbServer) logSize() int64 {
	fi, err := os.Stat(s.proc.log)
	if err != nil {
		return 0
	}
	return fi.Size()
}
