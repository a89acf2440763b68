package crash

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Mode says which process a run kills.
type Mode string

const (
	// KillServer kills returnbench itself; it runs on SQLite and local disk.
	KillServer Mode = "server-kill"
	// KillS3 kills the S3 server (MinIO) under a running returnbench.
	KillS3 Mode = "minio-kill"
)

// Config describes one run.
type Config struct {
	Mode Mode
	Bin  string // the returnbench binary
	// MinIO is the MinIO binary, for KillS3.
	MinIO string
	Seed  uint64
	// Kills ends the run after this many kills, unless Soak is set: then
	// kills go on until Soak has passed.
	Kills int
	Soak  time.Duration
	// KillEvery bounds the random wait before each kill; Down the time the
	// victim stays dead.
	KillEvery [2]time.Duration
	Down      [2]time.Duration
	// LongDown, when set, is the time the victim stays dead at every third
	// kill instead of Down.
	LongDown [2]time.Duration
	Devices  int
	// File sizes, inclusive.
	MinFile, MaxFile int64
	// Rates are the body speeds (bytes per second) a device picks from for
	// each chunk; 0 is full speed.
	Rates []int64
	// Dir is the run's directory: data, logs and the devices' journal.
	Dir  string
	Logf func(format string, args ...any)
}

// Invariants a run checks; a Violation names the one that broke.
const (
	invLost        = "lost"                  // an acknowledged write is gone
	invDuplicate   = "duplicate"             // a write was applied more than once
	invHalfWritten = "half-written-verified" // a verified file is not the bytes sent
	invIntegrity   = "integrity"             // the database or the store is damaged
	invAudit       = "audit-chain"           // the audit chain does not verify
	invUnexpected  = "unexpected-answer"     // an answer the protocol does not allow here
	invStuck       = "stuck"                 // a device could not finish its work
)

// Violation is one broken invariant.
type Violation struct {
	Invariant string
	Detail    string
}

func (v Violation) String() string { return v.Invariant + ": " + v.Detail }

// Result is what a run found.
type Result struct {
	Figures    Figures
	Violations []Violation
}

// harness is one run in progress.
type harness struct {
	cfg     Config
	c       counters
	journal *journal
	rng     *rand.Rand // the killer's; each device has its own

	dataDir string
	base    string // returnbench's URL
	server  *proc
	minio   *proc
	s3      s3Settings

	mu         sync.Mutex
	violations []Violation
}

// s3Settings are the MinIO credentials and bucket of a KillS3 run.
type s3Settings struct {
	endpoint, accessKey, secretKey, bucket string
}

func (h *harness) logf(format string, args ...any) {
	if h.cfg.Logf != nil {
		h.cfg.Logf(format, args...)
	}
}

// violate records a broken invariant; the run goes on so that one report
// shows everything that broke.
func (h *harness) violate(inv, format string, args ...any) {
	v := Violation{Invariant: inv, Detail: fmt.Sprintf(format, args...)}
	h.mu.Lock()
	h.violations = append(h.violations, v)
	h.mu.Unlock()
	h.logf("VIOLATION %s", v)
}

// Run starts the processes, lets the devices work while the killer kills,
// then stops everything cleanly and checks the invariants. An error means
// the run itself could not be carried out.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	start := time.Now()
	h := &harness{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, saltOf(string(cfg.Mode)))), dataDir: filepath.Join(cfg.Dir, "data")}
	j, err := openJournal(filepath.Join(cfg.Dir, "journal.jsonl"))
	if err != nil {
		return nil, err
	}
	h.journal = j
	defer j.close()
	defer h.cleanup()
	if err := h.startProcesses(ctx); err != nil {
		return nil, err
	}

	// The devices stop at a hard deadline at the latest, so that a hang is
	// a failure with a message, not a test timeout.
	budget := time.Duration(cfg.Kills) * (cfg.KillEvery[1] + max(cfg.Down[1], cfg.LongDown[1]) + 10*time.Second)
	if cfg.Soak > 0 {
		budget = cfg.Soak
	}
	devCtx, cancel := context.WithTimeout(ctx, budget+3*time.Minute)
	defer cancel()
	devices := h.newDevices()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, d := range devices {
		wg.Add(1)
		go func() { defer wg.Done(); d.run(devCtx, stop) }()
	}
	chaosErr := h.chaos(ctx, start)
	close(stop)
	if chaosErr != nil {
		cancel()
		wg.Wait()
		return nil, chaosErr
	}
	h.logf("kills done (%d); devices finish their work", h.c.kills.Load())
	wg.Wait()
	if err := h.checkAlive(ctx); err != nil {
		return nil, err
	}

	for _, d := range devices {
		// A device that gave up has said why; what it left behind is lost work.
		if len(d.outbox) > 0 {
			h.violate(invStuck, "%s ended with %d mutations unanswered", d.name, len(d.outbox))
		}
	}
	figs, err := h.finalChecks(ctx, devices)
	if err != nil {
		return nil, err
	}
	took := time.Since(start)
	f := h.c.figures(string(cfg.Mode), cfg.Seed, len(devices), took)
	f.VerifiedFiles, f.AuditEvents = figs.verifiedFiles, figs.auditEvents
	res := &Result{Figures: f, Violations: h.violations}
	for _, v := range res.Violations {
		switch v.Invariant {
		case invLost:
			res.Figures.Losses++
		case invDuplicate:
			res.Figures.Duplicates++
		}
	}
	res.Figures.Violations = len(res.Violations)
	return res, nil
}

func saltOf(s string) uint64 {
	var x uint64 = 1469598103934665603
	for i := 0; i < len(s); i++ {
		x = (x ^ uint64(s[i])) * 1099511628211
	}
	return x
}

const password = "crash-harness-pw"

// startProcesses starts MinIO (for KillS3), adds the accounts and starts
// returnbench.
func (h *harness) startProcesses(ctx context.Context) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	h.base = "http://" + addr
	if h.cfg.Mode == KillS3 {
		if err := h.startMinIO(ctx); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(h.dataDir, 0o750); err != nil {
		return err
	}
	users := []struct{ name, role string }{{"crash-admin", "admin"}}
	for i := range h.cfg.Devices {
		users = append(users, struct{ name, role string }{deviceName(i), "inspector"})
	}
	for _, u := range users {
		args := append([]string{"user", "add", u.name, "--role", u.role}, h.serverFlags()...)
		cmd := exec.CommandContext(ctx, h.cfg.Bin, args...)
		cmd.Env = cleanEnv()
		cmd.Stdin = strings.NewReader(password + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("returnbench user add %s: %v\n%s", u.name, err, out)
		}
	}
	h.server = &proc{name: "returnbench", bin: h.cfg.Bin, env: cleanEnv(), logPath: filepath.Join(h.cfg.Dir, "server.log"),
		readyURL: h.base + "/readyz",
		args: append([]string{"serve", "--addr", addr, "--public-url", h.base, "--upload-part-size", "5242880",
			"--log-level", "info"}, h.serverFlags()...)}
	if err := h.server.start(); err != nil {
		return err
	}
	return h.server.waitReady(ctx, 60*time.Second)
}

// serverFlags are the storage flags every returnbench command of the run
// gets: the data dir, and the bucket on KillS3 runs.
func (h *harness) serverFlags() []string {
	flags := []string{"--data-dir", h.dataDir}
	if h.cfg.Mode == KillS3 {
		flags = append(flags, "--s3-endpoint", h.s3.endpoint, "--s3-access-key", h.s3.accessKey,
			"--s3-secret-key", h.s3.secretKey, "--s3-bucket", h.s3.bucket)
	}
	return flags
}

func (h *harness) startMinIO(ctx context.Context) error {
	if _, err := os.Stat(h.cfg.MinIO); err != nil {
		return fmt.Errorf("the MinIO binary is not at %s: `make test` builds it once (or set RETURNBENCH_MINIO)", h.cfg.MinIO)
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	h.s3 = s3Settings{endpoint: addr, accessKey: "crashaccess", secretKey: fmt.Sprintf("crashsecret-%d", h.cfg.Seed), bucket: "returnbench-crash"}
	h.minio = &proc{name: "minio", bin: h.cfg.MinIO, logPath: filepath.Join(h.cfg.Dir, "minio.log"),
		readyURL: "http://" + addr + "/minio/health/cluster",
		args:     []string{"server", filepath.Join(h.cfg.Dir, "minio"), "--address", addr, "--quiet"},
		env: cleanEnv("MINIO_ROOT_USER="+h.s3.accessKey, "MINIO_ROOT_PASSWORD="+h.s3.secretKey,
			"MINIO_BROWSER=off", "MINIO_UPDATE=off")}
	if err := h.minio.start(); err != nil {
		return err
	}
	return h.minio.waitReady(ctx, 60*time.Second)
}

func deviceName(i int) string { return fmt.Sprintf("crash-bench-%d", i+1) }

func (h *harness) newDevices() []*device {
	var out []*device
	for i := range h.cfg.Devices {
		out = append(out, &device{h: h, name: deviceName(i), password: password,
			clientID: fmt.Sprintf("phone-%d-%d", i+1, h.cfg.Seed%100000),
			rng:      rand.New(rand.NewPCG(h.cfg.Seed, saltOf(string(h.cfg.Mode))+uint64(i+1))),
			api:      newAPIClient(h.base)})
	}
	return out
}

// chaos kills the victim at random moments and brings it back, Kills
// times or until the soak ends.
func (h *harness) chaos(ctx context.Context, start time.Time) error {
	victim := h.server
	if h.cfg.Mode == KillS3 {
		victim = h.minio
	}
	between := func(r [2]time.Duration) time.Duration {
		return r[0] + time.Duration(h.rng.Int64N(int64(r[1]-r[0])+1))
	}
	for i := 0; ; i++ {
		if h.cfg.Soak > 0 {
			if time.Since(start) >= h.cfg.Soak {
				break
			}
		} else if i >= h.cfg.Kills {
			break
		}
		if err := sleepCtx(ctx, between(h.cfg.KillEvery)); err != nil {
			return err
		}
		// Half the kills come at a random moment; the others wait for a
		// push or a body in flight, since a push lasts milliseconds and a
		// random moment seldom catches one.
		switch r := h.rng.Float64(); {
		case r < 0.25:
			h.awaitInFlight(ctx, &h.c.pushInFlight, time.Duration(h.rng.IntN(3000))*time.Microsecond)
		case r < 0.5:
			h.awaitInFlight(ctx, &h.c.patchInFlight, time.Duration(h.rng.IntN(300))*time.Millisecond)
		}
		if err := h.checkAlive(ctx); err != nil {
			return err
		}
		patches, pushes := h.c.patchInFlight.Load(), h.c.pushInFlight.Load()
		victim.kill()
		h.c.kills.Add(1)
		if patches > 0 {
			h.c.killsMidPatch.Add(1)
		}
		if pushes > 0 {
			h.c.killsMidPush.Add(1)
		}
		h.logf("kill -9 %s #%d (%d PATCH, %d push in flight)", victim.name, h.c.kills.Load(), patches, pushes)
		down := between(h.cfg.Down)
		if h.cfg.LongDown[1] > 0 && i%3 == 1 {
			// Long enough that the server's own retries give up and the
			// devices see the outage.
			down = between(h.cfg.LongDown)
		}
		if err := sleepCtx(ctx, down); err != nil {
			return err
		}
		if err := victim.start(); err != nil {
			return err
		}
		if h.rng.Float64() < 0.15 {
			// Now and then the process dies again while it starts up.
			if err := sleepCtx(ctx, time.Duration(h.rng.IntN(150))*time.Millisecond); err != nil {
				return err
			}
			victim.kill()
			h.c.kills.Add(1)
			h.c.startupKills.Add(1)
			h.logf("kill -9 %s #%d during start-up", victim.name, h.c.kills.Load())
			if err := victim.start(); err != nil {
				return err
			}
		}
		if err := victim.waitReady(ctx, 60*time.Second); err != nil {
			return err
		}
		h.c.restarts.Add(1)
	}
	return nil
}

// checkAlive reports a process that died without being killed (a crash of
// its own, or returnbench giving up on an S3 outage) and starts it again,
// so that the run goes on and shows what else breaks.
func (h *harness) checkAlive(ctx context.Context) error {
	for _, p := range []*proc{h.server, h.minio} {
		if p == nil || p.running() {
			continue
		}
		h.violate(invUnexpected, "%s exited without being killed; its log ends:\n%s", p.name, p.logTail())
		if err := p.start(); err != nil {
			return err
		}
		if err := p.waitReady(ctx, 60*time.Second); err != nil {
			return err
		}
	}
	return nil
}

// awaitInFlight waits, for up to two seconds, until a request of the kind
// counted is in flight, then for delay more.
func (h *harness) awaitInFlight(ctx context.Context, n *atomic.Int64, delay time.Duration) {
	deadline := time.Now().Add(2 * time.Second)
	for n.Load() == 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(200 * time.Microsecond)
	}
	sleepCtx(ctx, delay)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// cleanup kills whatever still runs (after a failure).
func (h *harness) cleanup() {
	if h.server != nil {
		h.server.kill()
	}
	if h.minio != nil {
		h.minio.kill()
	}
}

// journal is the devices' log of every answer they got: a mutation's id
// and result, an upload's id, final offset and SHA-256.
type journal struct {
	mu sync.Mutex
	f  *os.File
	w  *bufio.Writer
}

type journalEntry struct {
	At         string `json:"at"`
	Device     string `json:"device"`
	Kind       string `json:"kind"` // mutation | upload
	ID         string `json:"id"`
	Type       string `json:"type,omitempty"`
	Seq        int64  `json:"seq,omitempty"`
	Inspection string `json:"inspection,omitempty"`
	Status     string `json:"status,omitempty"`
	Version    int64  `json:"version,omitempty"`
	Late       bool   `json:"late,omitempty"`
	MediaID    string `json:"media_id,omitempty"`
	Offset     int64  `json:"offset,omitempty"`
	Length     int64  `json:"length,omitempty"`
	SHA256     string `json:"sha256,omitempty"`
}

func openJournal(path string) (*journal, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &journal{f: f, w: bufio.NewWriter(f)}, nil
}

func (j *journal) write(e journalEntry) {
	e.At = time.Now().UTC().Format(time.RFC3339Nano)
	b, _ := json.Marshal(e)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.w.Write(append(b, '\n'))
}

func (j *journal) close() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.w.Flush()
	j.f.Close()
}
