package benchkit

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Child is a process the bench started. The kernel kills it if the bench
// dies first (Pdeathsig), so no run leaves a server or a MinIO behind.
type Child struct {
	name string
	cmd  *exec.Cmd
	log  string // its stdout and stderr
	done chan struct{}
}

// startChild runs bin with args and env, its output appended to logPath.
func startChild(name, bin string, args, env []string, logPath string) (*Child, error) {
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
	c := &Child{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { cmd.Wait(); close(c.done) }()
	return c, nil
}

// PID is the process id, for reading /proc.
func (c *Child) PID() int { return c.cmd.Process.Pid }

// LogPath is the file the child writes to, for a bench that reads what
// the server logged during a step.
func (c *Child) LogPath() string { return c.log }

// Exited tells whether the process has ended, so an error can be blamed
// on a dead server rather than on the request.
func (c *Child) Exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Kill ends the process at once and waits for it: what comes next must
// not share the machine with it. Killing twice, or a nil child, is harmless.
func (c *Child) Kill() {
	if c == nil || c.Exited() {
		return
	}
	c.cmd.Process.Kill()
	<-c.done
}

// Stop asks the process to shut down, so a server closes its database
// connections itself, and kills it if it has not within a few seconds.
// Stopping twice, or a nil child, is harmless.
func (c *Child) Stop() {
	if c == nil || c.Exited() {
		return
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
	}
}

// LogTail is the end of the child's output, for error messages.
func (c *Child) LogTail() string {
	b, _ := os.ReadFile(c.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Explain adds the end of the child's log to err when the child has
// ended, so that a failed request says why the server died, not only that
// the connection broke.
func (c *Child) Explain(err error) error {
	if err == nil || !c.Exited() {
		return err
	}
	return fmt.Errorf("%w; %s exited:\n%s", err, c.name, c.LogTail())
}

// waitLive polls url until it answers 200, the child ends or limit passes.
func (c *Child) waitLive(ctx context.Context, url string, limit time.Duration) error {
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
			return fmt.Errorf("%s exited before answering on %s:\n%s", c.name, url, c.LogTail())
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer on %s within %s:\n%s", c.name, url, limit, c.LogTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Children are the processes of one run, killed together at its end
// whatever happened.
type Children []*Child

// KillAll kills every child, the newest first (a server before the MinIO
// it writes to).
func (cs *Children) KillAll() {
	for i := len(*cs) - 1; i >= 0; i-- {
		(*cs)[i].Kill()
	}
	*cs = nil
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

// CleanEnv is the bench's environment without any RETURNBENCH_ setting, so
// a server gets exactly the configuration the bench gives it.
func CleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RETURNBENCH_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}
