package crash

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/returnbench/returnbench/media/s3test"
)

var (
	soakFlag = flag.Duration("soak", 0, "keep killing for this long in each mode (RETURNBENCH_SOAK); 0 is the short form")
	seedFlag = flag.Uint64("seed", 0, "the run's seed (RETURNBENCH_CRASH_SEED); 0 picks the fixed one, or a new one when soaking")
	keepFlag = flag.Bool("keep", false, "keep the run's data dir after a failure, not only its logs and journal")
)

// shortSeed is the short form's seed: fixed, so that every `make test`
// makes the same choices.
const shortSeed = 20260808

func TestCrash(t *testing.T) {
	soak := *soakFlag
	if v := os.Getenv("RETURNBENCH_SOAK"); soak == 0 && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("RETURNBENCH_SOAK=%q: %v", v, err)
		}
		soak = d
	}
	seed := *seedFlag
	if v := os.Getenv("RETURNBENCH_CRASH_SEED"); seed == 0 && v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("RETURNBENCH_CRASH_SEED=%q: %v", v, err)
		}
		seed = n
	}
	switch {
	case seed != 0:
	case soak > 0:
		seed = uint64(time.Now().UnixNano() % 1e9)
	default:
		seed = shortSeed
	}
	if dl, ok := t.Deadline(); ok && soak > 0 && time.Until(dl) < 2*soak+5*time.Minute {
		t.Fatalf("a soak of %s per mode needs a longer test timeout: add -timeout %s", soak, (2*soak + 10*time.Minute).Round(time.Minute))
	}
	bin := mustBinary(t)
	t.Logf("seed %d (replay: go test ./faults/crash -run TestCrash -seed %d%s)", seed, seed, soakArg(soak))

	modes := []struct {
		name  string
		mode  Mode
		kills int
		every [2]time.Duration
		down  [2]time.Duration
		long  [2]time.Duration
	}{
		{name: "ServerKill9", mode: KillServer, kills: 5,
			every: [2]time.Duration{400 * time.Millisecond, 2500 * time.Millisecond}, down: [2]time.Duration{0, 300 * time.Millisecond}},
		// Most MinIO outages are short enough for the S3 client's own
		// retries to hide; every third lasts past them (about ten seconds),
		// so the devices meet 503s and must resume.
		{name: "MinIOKill9", mode: KillS3, kills: 3,
			every: [2]time.Duration{800 * time.Millisecond, 3 * time.Second}, down: [2]time.Duration{100 * time.Millisecond, time.Second},
			long: [2]time.Duration{12 * time.Second, 15 * time.Second}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			cfg := Config{Mode: m.mode, Bin: bin, MinIO: s3test.Binary(), Seed: seed, Kills: m.kills, Soak: soak,
				KillEvery: m.every, Down: m.down, LongDown: m.long, Devices: 3, MinFile: 1 << 20, MaxFile: 12 << 20,
				// Full speed and two paces at which a 12 MiB body is on the
				// wire for a good part of a second, so kills land mid-body.
				Rates: []int64{0, 0, 8 << 20, 24 << 20}}
			if soak > 0 {
				// A soak writes for minutes: slower bodies keep the disk in bounds.
				cfg.Rates = []int64{1 << 20, 2 << 20, 4 << 20, 6 << 20}
			}
			runMode(t, cfg, fmt.Sprintf("go test ./faults/crash -run 'TestCrash/%s' -seed %d%s -v", m.name, seed, soakArg(soak)))
		})
	}
}

func soakArg(soak time.Duration) string {
	if soak == 0 {
		return ""
	}
	return " -soak " + soak.String()
}

func runMode(t *testing.T, cfg Config, replay string) {
	dir, err := os.MkdirTemp("", "returnbench-crash-*")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dir = dir
	cfg.Logf = t.Logf
	ctx := context.Background()
	if dl, ok := t.Deadline(); ok {
		// Stop in time to report, rather than be cut off by the test timeout.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-30*time.Second))
		defer cancel()
	}
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Errorf("the run could not be carried out: %v\nreplay: %s\nlogs: %s", err, replay, dir)
		keep(t, dir, *keepFlag)
		return
	}
	res.Figures.Print(os.Stdout)
	if len(res.Violations) == 0 {
		os.RemoveAll(dir)
		return
	}
	for _, v := range res.Violations {
		t.Errorf("seed %d, invariant %s broken: %s", cfg.Seed, v.Invariant, v.Detail)
	}
	t.Errorf("%d losses, %d duplicates, %d violations in all (seed %d)\nreplay: %s\nlogs and the devices' journal: %s",
		res.Figures.Losses, res.Figures.Duplicates, len(res.Violations), cfg.Seed, replay, dir)
	keep(t, dir, *keepFlag)
}

// keep leaves a failed run's logs and journal for whoever debugs it, and
// its data too when asked (it can be large).
func keep(t *testing.T, dir string, all bool) {
	if all {
		return
	}
	for _, sub := range []string{"data", "minio"} {
		os.RemoveAll(filepath.Join(dir, sub))
	}
	t.Logf("data removed; -keep keeps it")
}

// mustBinary is $RETURNBENCH_BIN, or the binary built from this tree once
// per test run.
func mustBinary(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("RETURNBENCH_BIN"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := os.Stat(abs); err != nil {
			tb.Fatalf("RETURNBENCH_BIN: %v", err)
		}
		return abs
	}
	bin := filepath.Join(tb.TempDir(), "returnbench")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/returnbench/returnbench/cmd/returnbench").CombinedOutput()
	if err != nil {
		tb.Fatalf("build returnbench: %v\n%s", err, out)
	}
	return bin
}
