package benchkit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// modulePath is the module whose server the benches build and measure.
const modulePath = "github.com/returnbench/returnbench"

// serverStartLimit is how long a fresh server may take to be ready: its
// migrations run first, on PostgreSQL too.
const serverStartLimit = 60 * time.Second

// ServerBinary is given (the -server-bin flag) or, when that is "",
// returnbench built from this module into dir (the build cache makes that
// quick after the first time). The bench measures the server as it ships,
// as a process of its own, so that its memory and CPU are its own.
func ServerBinary(ctx context.Context, given, dir string) (string, error) {
	if given != "" {
		if _, err := os.Stat(given); err != nil {
			return "", fmt.Errorf("-server-bin: %w", err)
		}
		return given, nil
	}
	// Build in the module the bench was started in, so the server is the
	// code next to it, whichever directory of the module that is.
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Path}}\t{{.Dir}}").Output()
	path, modDir, _ := strings.Cut(strings.TrimSpace(string(out)), "\t")
	if err != nil || path != modulePath {
		return "", fmt.Errorf("run the bench inside the %s module (or pass -server-bin): go list -m says %q (%v)", modulePath, out, err)
	}
	bin := filepath.Join(dir, "returnbench")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, modulePath+"/cmd/returnbench")
	cmd.Dir = modDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build returnbench: %w\n%s", err, stderr.String())
	}
	return bin, nil
}

// AddUser runs `returnbench user add` with the data args (--data-dir,
// --database-url) the server will get. Users made before the server starts
// mean it prints no setup link.
func AddUser(ctx context.Context, bin string, env []string, user, role, password string, dataArgs ...string) error {
	add := exec.CommandContext(ctx, bin, append([]string{"user", "add", user, "--role", role}, dataArgs...)...)
	add.Env = env
	add.Stdin = strings.NewReader(password + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		return fmt.Errorf("returnbench user add %s: %w\n%s", user, err, out)
	}
	return nil
}

// StartServer runs `returnbench serve` with args on a free loopback port,
// its output going to logPath, and waits until it is ready. It returns the
// process and the server's base URL; a server that never gets ready is
// killed.
func StartServer(ctx context.Context, bin string, args, env []string, logPath string) (*Child, string, error) {
	addr, err := freePort()
	if err != nil {
		return nil, "", err
	}
	proc, err := startChild("returnbench", bin, append([]string{"serve", "--addr", addr}, args...), env, logPath)
	if err != nil {
		return nil, "", err
	}
	base := "http://" + addr
	if err := proc.waitLive(ctx, base+"/readyz", serverStartLimit); err != nil {
		proc.Kill()
		return nil, "", err
	}
	return proc, base, nil
}
