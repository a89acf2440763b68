package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// child is a process the bench started. The kernel kills it if the bench
// dies first (Pdeathsig), so no run leaves a server behind.
type child struct {
	name string
	cmd  *exec.Cmd
	log  string // its stdout and stderr
	done chan struct{}
}

// startChild runs bin with args and env, its output going to logPath.
func startChild(name, bin string, args, env []string, logPath string) (*child, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child holds its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { cmd.Wait(); close(c.done) }()
	return c, nil
}

// pid of the running process.
func (c *child) pid() int { return c.cmd.Process.Pid }

// exited tells whether the process has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop kills the process and waits for it; stopping twice is harmless.
func (c *child) stop() {
	if c == nil || c.exited() {
		return
	}
	c.cmd.Process.Kill()
	<-c.done
}

// logTail is the end of the child's output, for error messages.
func (c *child) logTail() string {
	b, _ := os.ReadFile(c.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// waitLive polls url until it answers 200, the child ends or limit passes.
func (c *child) waitLive(ctx context.Context, url string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		if res, err := client.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-c.done:
			return fmt.Errorf("%s exited before answering on %s:\n%s", c.name, url, c.logTail())
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer on %s within %s:\n%s", c.name, url, limit, c.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// freePort returns a loopback address nobody listens on right now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// cleanEnv is the bench's environment without any RETURNBENCH_ setting, so
// a server gets exactly the configuration the bench gives it.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RETURNBENCH_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// modulePath is the module whose server the bench builds.
const modulePath = "github.com/returnbench/returnbench"

// serverBinary is -server-bin, or returnbench built from this module into
// the temp dir (the build cache makes that quick after the first time).
func (b *bench) serverBinary(ctx context.Context) (string, error) {
	if b.opts.ServerBin != "" {
		if _, err := os.Stat(b.opts.ServerBin); err != nil {
			return "", fmt.Errorf("-server-bin: %w", err)
		}
		return b.opts.ServerBin, nil
	}
	// Build in the module the bench was started in, so the server is the
	// code next to it, whichever directory of the module that is.
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Path}}\t{{.Dir}}").Output()
	path, dir, _ := strings.Cut(strings.TrimSpace(string(out)), "\t")
	if err != nil || path != modulePath {
		return "", fmt.Errorf("run importbench inside the %s module (or pass -server-bin): go list -m says %q (%v)", modulePath, out, err)
	}
	bin := filepath.Join(b.tmp, "returnbench")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, modulePath+"/cmd/returnbench")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build returnbench: %w\n%s", err, stderr.String())
	}
	return bin, nil
}
