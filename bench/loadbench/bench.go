package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
)

// uploadInspections is how many draft inspections the upload ladder spreads
// its photos over, so that no one inspection's media list grows huge.
const uploadInspections = 100

// pauseBetweenSteps lets the server finish what the last step left (its
// log, a checkpoint) before the next step is timed.
const pauseBetweenSteps = 250 * time.Millisecond

// bench is the state of one run.
type bench struct {
	opts  options
	tmp   string
	out   io.Writer
	bin   string
	seeds report
	photo photo
}

// ladder is one endpoint's climb on one database.
type ladder struct {
	endpoint endpoint
	dialect  string
	limit    time.Duration
	steps    []step // in the order run
	held     *step  // the highest rate that held; nil if none did
	broke    *step  // the lowest rate that did not hold; nil if none failed
}

func (b *bench) logf(format string, args ...any) { fmt.Fprintf(b.out, format, args...) }

func (b *bench) run(ctx context.Context) error {
	o := b.opts
	dialects, _ := o.dialects()
	b.logf("loadbench: %s; %d returns seeded; steps of %s, doubling then %d refinements; at most %d requests in flight, %s timeout\n",
		strings.Join(o.Endpoints, ", "), o.Returns, o.Step, o.Refine, o.MaxInFlight, o.Timeout)
	b.logf("a step holds when errors <= %s, achieved >= %s of offered and p99 <= %s\n",
		pct(maxErrorShare), pct(minAchievedRate), formatLimits(o.Limits))
	b.logf("machine: %d CPUs, load average %s (the bench and the server share them)\n", runtime.NumCPU(), benchkit.LoadAverage())
	bin, err := benchkit.ServerBinary(ctx, o.ServerBin, b.tmp)
	if err != nil {
		return err
	}
	b.bin = bin
	start := time.Now()
	b.seeds = makeReport(o.Returns, o.ReportFiles, o.Seed)
	b.photo = makePhoto(o.UploadSize, o.Seed)
	b.logf("report: %d rows in %d files, %s, made in %s; returnbench: %s\n", b.seeds.rows, len(b.seeds.files),
		benchkit.Human(int64(b.seeds.size)), round(time.Since(start)), bin)

	var all []ladder
	for _, d := range dialects {
		ls, err := b.benchDatabase(ctx, d)
		all = append(all, ls...)
		if err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
	}
	printSummary(b.out, all, dialects, o.Endpoints)
	b.logf("\nmachine load average at the end: %s\n", benchkit.LoadAverage())
	return nil
}

// benchDatabase climbs every ladder against one server on a fresh database.
func (b *bench) benchDatabase(ctx context.Context, dialect string) (ladders []ladder, err error) {
	b.logf("\n== %s ==\n", dialect)
	db, err := newDatabase(ctx, dialect, filepath.Join(b.tmp, strings.ToLower(dialect)), b.opts.Postgres)
	if err != nil {
		return nil, err
	}
	defer func() {
		if b.opts.Keep {
			if db.Name != "" {
				b.logf("kept PostgreSQL database %s (drop it with: psql %q -c 'DROP DATABASE %s')\n", db.Name, benchkit.Redact(b.opts.Postgres), db.Name)
			}
			return
		}
		err = errors.Join(err, db.Remove())
	}()
	srv, err := b.startServer(ctx, db)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	b.logf("database: %s\nmachine load average: %s\n", db.settings(ctx), benchkit.LoadAverage())

	lead, err := srv.login(ctx, leadUser)
	if err != nil {
		return nil, err
	}
	token, err := srv.login(ctx, inspectorUser)
	if err != nil {
		return nil, err
	}
	took, err := srv.importReport(ctx, lead, b.seeds)
	if err != nil {
		return nil, srv.proc.Explain(err)
	}
	b.logf("seeded %d returns through POST /api/v1/imports in %s (%.0f rows/s)\n", b.seeds.rows, round(took), float64(b.seeds.rows)/took.Seconds())
	c := &client{srv: srv, token: token}
	watch, err := newDBWatch(db)
	if err != nil {
		return nil, err
	}
	defer watch.close()

	for _, name := range b.opts.Endpoints {
		ep, err := b.endpointFor(ctx, name, c, dialect)
		if err != nil {
			return ladders, srv.proc.Explain(err)
		}
		l, err := b.climb(ctx, srv, watch, ep, dialect)
		ladders = append(ladders, l)
		if err != nil {
			return ladders, err
		}
	}
	return ladders, nil
}

// endpointFor prepares what an endpoint's requests need on this server.
func (b *bench) endpointFor(ctx context.Context, name string, c *client, dialect string) (endpoint, error) {
	switch name {
	case epScan:
		return scanEndpoint(c, b.seeds.codes), nil
	case epPull:
		head, err := c.srv.feedHead(ctx, c.token)
		if err != nil {
			return endpoint{}, fmt.Errorf("find the feed's head: %w", err)
		}
		if head.Seq <= pullPage+1 {
			return endpoint{}, fmt.Errorf("the feed holds %d changes: a pull of %d needs more (raise -returns)", head.Seq, pullPage)
		}
		b.logf("feed: %d changes\n", head.Seq)
		return pullEndpoint(c, head, b.opts.Seed), nil
	case epPush:
		return pushEndpoint(c, b.seeds.codes, dialect), nil
	case epUpload:
		ids, err := c.srv.createInspections(ctx, c.token, uploadInspections, b.seeds.codes)
		if err != nil {
			return endpoint{}, err
		}
		return uploadEndpoint(c, ids, b.photo), nil
	}
	return endpoint{}, fmt.Errorf("unknown endpoint %q", name)
}

// climb doubles the offered rate from the endpoint's start until a step
// does not hold, then bisects between the last rate that held and the
// first that did not.
func (b *bench) climb(ctx context.Context, srv *rbServer, watch *dbWatch, ep endpoint, dialect string) (ladder, error) {
	o := b.opts
	l := ladder{endpoint: ep, dialect: dialect, limit: o.Limits[ep.name]}
	b.logf("\n%s on %s: %s; p99 limit %s; machine load average %s\n", ep.name, dialect, ep.what, l.limit, benchkit.LoadAverage())
	printStepHeader(b.out)
	var next int64 // request numbers go on across steps
	// A short unrecorded run at the starting rate opens the connections
	// and warms the server's caches, so the first step is not charged for them.
	warm := offer(ctx, ep, o.Start[ep.name], min(time.Second, o.Step), o.MaxInFlight, o.Timeout, next)
	next += int64(warm.issued)
	if k := warm.errorCount(); k > 0 {
		b.logf("  warm-up: %d of %d requests erred, e.g. %s\n", k, warm.issued, firstExample(&warm))
	}
	try := func(rate float64) (*step, error) {
		time.Sleep(pauseBetweenSteps)
		st, err := b.measure(ctx, srv, watch, ep, rate, next, l.limit)
		if err != nil {
			return nil, err
		}
		next += int64(st.issued)
		l.steps = append(l.steps, st)
		printStep(b.out, &st)
		return &st, nil
	}
	rate := o.Start[ep.name]
	confirmed := false
	for {
		st, err := try(rate)
		if err != nil {
			return l, err
		}
		if st.verdict != "" && !confirmed {
			// The machine is shared: one step can fail for a burst of
			// someone else's work. The first failure is run again, and
			// the climb stops only if it fails twice.
			confirmed = true
			if st, err = try(rate); err != nil {
				return l, err
			}
		}
		if st.verdict != "" {
			l.broke = st
			break
		}
		l.held = st
		if rate*2 > o.MaxRate {
			break
		}
		rate *= 2
	}
	for range o.Refine {
		if l.broke == nil {
			break
		}
		lo := o.Start[ep.name] / 8
		if l.held != nil {
			lo = l.held.rate
		}
		mid := niceRate(math.Sqrt(lo * l.broke.rate))
		if mid <= lo || mid >= l.broke.rate {
			break
		}
		st, err := try(mid)
		if err != nil {
			return l, err
		}
		if st.verdict == "" {
			l.held = st
		} else {
			l.broke = st
		}
	}
	printLadder(b.out, &l)
	return l, nil
}

// measure runs one step while it watches the server (its CPU and threads,
// its peak memory sampled every 100 ms, what it logged), the database and
// the machine.
func (b *bench) measure(ctx context.Context, srv *rbServer, watch *dbWatch, ep endpoint, rate float64, first int64, limit time.Duration) (step, error) {
	pid := srv.proc.PID()
	logFrom := srv.logSize()
	s0, _ := benchkit.ReadStat(pid)
	m0, _ := benchkit.ReadStat(0)
	c0, _ := benchkit.ReadMachineCPU()
	watch.start(ctx)
	rss := benchkit.SampleRSS(pid, 100*time.Millisecond)
	st := offer(ctx, ep, rate, b.opts.Step, b.opts.MaxInFlight, b.opts.Timeout, first)
	rss.Stop() // a server that died is reported below
	s1, _ := benchkit.ReadStat(pid)
	m1, _ := benchkit.ReadStat(0)
	c1, _ := benchkit.ReadMachineCPU()
	st.machine = machineBusy(c0, c1)
	st.db = watch.summary(ctx)
	st.server = procUsage{cpu: cpuShare(s0, s1), peakRSS: rss.Peak, threads: s1.Threads}
	st.self = procUsage{cpu: cpuShare(m0, m1)}
	st.log = readLog(srv.proc.LogPath(), logFrom)
	st.verdict = judge(&st, limit)
	if srv.proc.Exited() {
		return st, fmt.Errorf("the server process exited during %s at %g/s:\n%s", ep.name, rate, srv.proc.LogTail())
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	return st, nil
}

// niceRate rounds a rate to two significant digits, so the report's rates
// read like numbers someone chose.
func niceRate(r float64) float64 {
	if r <= 0 {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(r))-1)
	return math.Round(r/p) * p
}

func firstExample(s *step) string {
	for _, k := range sortedKeys(s.errors) {
		return k + ": " + s.examples[k]
	}
	return ""
}
