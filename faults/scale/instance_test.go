package scale_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// TestMain removes the binary built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

// binary is the returnbench executable under test: RETURNBENCH_BIN (as
// `make test` builds it), else built once for this test binary.
func binary(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("RETURNBENCH_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			tb.Fatalf("RETURNBENCH_BIN=%s: %v", p, err)
		}
		return p
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rb-scale-bin-*")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "returnbench")
		out, err := exec.Command("go", "build", "-o", builtBin, "github.com/returnbench/returnbench/cmd/returnbench").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return builtBin
}

// instance is one returnbench process.
type instance struct {
	name string
	cmd  *exec.Cmd
	log  string // the file its standard error goes to
	addr string
	done chan struct{} // closed when the process has exited
}

// URL is the instance's own address, past the load balancer.
func (in *instance) URL() string { return "https://" + in.addr }

// listening is the log line a server prints once it accepts connections.
var listening = regexp.MustCompile(`msg="returnbench listening" addr=(\S+)`)

// startInstance runs `returnbench serve` on a free loopback port with env
// and its own data dir, and waits until it listens. It is stopped with
// SIGTERM when the test ends.
func startInstance(tb testing.TB, bin, name string, env []string) *instance {
	tb.Helper()
	dir := tb.TempDir()
	in := &instance{name: name, log: filepath.Join(dir, "server.log"), done: make(chan struct{})}
	logf, err := os.Create(in.log)
	if err != nil {
		tb.Fatal(err)
	}
	defer logf.Close()
	in.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
	in.cmd.Env = append(os.Environ(), env...)
	in.cmd.Stdout, in.cmd.Stderr = logf, logf
	// The kernel ends the server if the test binary dies first.
	in.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := in.cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	go func() { in.cmd.Wait(); close(in.done) }()
	tb.Cleanup(in.stop)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindSubmatch(in.readLog()); m != nil {
			in.addr = string(m[1])
			return in
		}
		select {
		case <-in.done:
			tb.Fatalf("%s exited before listening:\n%s", name, in.readLog())
		case <-time.After(50 * time.Millisecond):
		}
	}
	tb.Fatalf("%s did not listen within 30 s:\n%s", name, in.readLog())
	return nil
}

func (in *instance) readLog() []byte {
	b, _ := os.ReadFile(in.log)
	return b
}

// logLines are the instance's log lines that contain every one of parts.
func (in *instance) logLines(parts ...string) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(in.readLog()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
next:
	for sc.Scan() {
		for _, p := range parts {
			if !strings.Contains(sc.Text(), p) {
				continue next
			}
		}
		out = append(out, sc.Text())
	}
	return out
}

// stop asks the server to shut down as a service manager would, and kills
// it if it has not ended within 15 s.
func (in *instance) stop() {
	in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.done:
	case <-time.After(15 * time.Second):
		in.cmd.Process.Kill()
		<-in.done
	}
}

// runCommand runs a returnbench command to its end with stdin and env.
func runCommand(tb testing.TB, bin string, env []string, stdin string, args ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("returnbench %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// get fetches a URL with no session and a short deadline.
func get(tb testing.TB, hc *http.Client, url string) (int, []byte) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := hc.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return res.StatusCode, b.Bytes()
}
