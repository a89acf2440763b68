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
	"strconv"
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

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop asks the server to shut down, and kills it if it has not within a
// few seconds; stopping twice is harmless.
func (c *child) stop() {
	if c == nil || c.exited() {
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
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Path}}\t{{.Dir}}").Output()
	path, dir, _ := strings.Cut(strings.TrimSpace(string(out)), "\t")
	if err != nil || path != modulePath {
		return "", fmt.Errorf("run loadbench inside the %s module (or pass -server-bin): go list -m says %q (%v)", modulePath, out, err)
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

// procStat is what /proc says of a process at one moment.
type procStat struct {
	at      time.Time
	cpu     time.Duration // user + system time so far
	rss     int64         // resident bytes
	threads int
}

// clockTick is the kernel's USER_HZ, 100 on every Linux the bench runs on.
const clockTick = time.Second / 100

// readProc reads /proc/<pid>/stat (pid 0: this process).
func readProc(pid int) (procStat, error) {
	name := "self"
	if pid != 0 {
		name = strconv.Itoa(pid)
	}
	b, err := os.ReadFile("/proc/" + name + "/stat")
	if err != nil {
		return procStat{}, err
	}
	// The command name may hold spaces; the fields after its ')' are fixed.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%s/stat: unexpected %q", name, b)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 22 {
		return procStat{}, fmt.Errorf("/proc/%s/stat: %d fields", name, len(f))
	}
	// f[0] is field 3 (state): utime is field 14, stime 15, threads 20, rss 24.
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	threads, _ := strconv.Atoi(f[17])
	rss, _ := strconv.ParseInt(f[21], 10, 64)
	return procStat{at: time.Now(), cpu: time.Duration(utime+stime) * clockTick,
		rss: rss * int64(os.Getpagesize()), threads: threads}, nil
}

// cpuShare is the CPU a process used between two stats, in percent of one
// core (200% is both cores of a 2-core machine).
func cpuShare(a, b procStat) float64 {
	wall := b.at.Sub(a.at)
	if wall <= 0 {
		return 0
	}
	return 100 * float64(b.cpu-a.cpu) / float64(wall)
}

// loadAverage is /proc/loadavg's first three fields.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
