package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
	"github.com/returnbench/returnbench/reports"
	"github.com/returnbench/returnbench/server"
)

// fileResult is what one report file did on one database.
type fileResult struct {
	dialect  string
	file     report
	raw      timing
	first    serverStep // the import into the empty database
	again    serverStep // the same file once more
	contents contents   // the database after both
}

// timing is a step's rows, wall time and CPU time.
type timing struct {
	rows      int
	elapsed   time.Duration
	benchCPU  time.Duration
	serverCPU time.Duration // 0 for the raw inserts: no server
	othersCPU time.Duration // the rest of the machine: other programs, the kernel
}

func (t timing) rowsPerSec() float64 { return float64(t.rows) / t.elapsed.Seconds() }

// setCPU fills t's CPU times from what a step used; others is everything
// the bench and the server did not use, the kernel's work included.
func (t *timing) setCPU(u benchkit.CPUUse) {
	t.benchCPU, t.serverCPU = u.Bench, u.Server
	t.othersCPU = max(0, u.Machine-u.Bench-u.Server)
}

// serverStep is one POST of the file and the server's memory while it ran.
type serverStep struct {
	timing
	answer  server.ImportResult
	before  int64 // VmRSS just before the POST
	peak    int64 // highest VmRSS sample, every rssSampleTick
	samples int
	hwm     int64    // VmHWM after the step
	hwmStep bool     // VmHWM was reset before the step, so it is this step's peak
	stored  []sample // returns in the database during the step
	err     error    // the step failed (or answered wrong); the figures are up to then
	held    int64    // returns in the database after a failed step (-1: unknown)
}

// ran tells whether the step was taken: a failed import skips the re-import.
func (s serverStep) ran() bool { return s.elapsed > 0 }

// peakRSS is the higher of the sampled peak and VmHWM: the kernel's figure
// also catches a spike between two samples.
func (s serverStep) peakRSS() int64 {
	if s.hwmStep {
		return max(s.peak, s.hwm)
	}
	return s.peak
}

// measureFile times the raw inserts of f, then the import of f into a
// returnbench process and the import of f once more, and checks what the
// server answered and stored.
func (b *bench) measureFile(ctx context.Context, dialect string, f report) (fileResult, error) {
	r := fileResult{dialect: dialect, file: f}

	rawDB, err := b.newDatabase(ctx, dialect, fmt.Sprintf("raw-%d", f.rows))
	if err != nil {
		return r, err
	}
	benchkit.Settle()
	cpu, err := benchkit.StartCPU(0, 0)
	if err != nil {
		return r, err
	}
	r.raw.rows, r.raw.elapsed, err = rawInsert(ctx, rawDB, f.path)
	if err != nil {
		return r, fmt.Errorf("raw inserts: %w", err)
	}
	used, err := cpu.Stop()
	if err != nil {
		return r, err
	}
	r.raw.setCPU(used)
	if r.raw.rows != f.rows {
		return r, fmt.Errorf("raw inserts stored %d rows, the file has %d", r.raw.rows, f.rows)
	}
	if err := b.release(rawDB); err != nil {
		return r, err
	}

	db, err := b.newDatabase(ctx, dialect, fmt.Sprintf("server-%d", f.rows))
	if err != nil {
		return r, err
	}
	srv, err := b.startServer(ctx, db)
	if err != nil {
		return r, err
	}
	defer srv.stop()

	// A failed or wrong import is recorded, not returned: the run goes on,
	// prints what it measured and fails at the end.
	r.first, err = b.importStep(ctx, srv, db, f)
	var first contents
	if err == nil {
		err = checkAnswer(r.first.answer, f, int64(f.rows), 0)
	}
	if err == nil {
		first, err = db.contents(ctx)
	}
	if err == nil && (first.returns != int64(f.rows) || first.changes < int64(f.rows)) {
		err = fmt.Errorf("after the import the database holds %d returns and %d changes, want %d and at least %d",
			first.returns, first.changes, f.rows, f.rows)
	}
	if err != nil {
		if ctx.Err() != nil {
			return r, err
		}
		r.first.failed(err, db, srv)
		srv.stop() // before its database goes; nothing to re-import
		return r, b.release(db)
	}

	r.again, err = b.importStep(ctx, srv, db, f)
	if err == nil {
		err = checkAnswer(r.again.answer, f, 0, int64(f.rows))
	}
	if err == nil {
		r.contents, err = db.contents(ctx)
	}
	// The re-import must change nothing: no new return, no new version,
	// nothing new in the feed the devices pull.
	if c := r.contents; err == nil && (c.returns != first.returns || c.changes != first.changes || c.maxVersion != 1) {
		err = fmt.Errorf("the re-import changed the database: %d returns, %d changes, highest version %d; before it %d, %d, %d",
			c.returns, c.changes, c.maxVersion, first.returns, first.changes, first.maxVersion)
	}
	if err != nil {
		if ctx.Err() != nil {
			return r, err
		}
		r.again.failed(err, db, srv)
	}
	srv.stop()
	return r, b.release(db)
}

// failed records why a step failed, how many returns the database held
// then (the batches it committed) and the end of the server's log.
func (s *serverStep) failed(err error, db *database, srv *rbServer) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s.held = -1
	if c, cerr := db.contents(ctx); cerr == nil {
		s.held = c.returns
	}
	s.err = fmt.Errorf("%w\nserver log (end):\n%s", err, srv.proc.LogTail())
}

// checkAnswer compares the server's answer with the file: every row read,
// none rejected, the file's hash, and the rows inserted and unchanged.
func checkAnswer(a server.ImportResult, f report, inserted, unchanged int64) error {
	var errs []error
	want := func(what string, got, want any) {
		if got != want {
			errs = append(errs, fmt.Errorf("%s %v, want %v", what, got, want))
		}
	}
	want("format", a.Format, reports.FBACustomerReturns)
	want("rows", a.Rows, int64(f.rows))
	want("inserted", a.Inserted, inserted)
	want("updated", a.Updated, int64(0))
	want("unchanged", a.Unchanged, unchanged)
	want("rejected_count", a.RejectedCount, int64(0))
	want("sha256", a.SHA256, f.sha256)
	if len(a.Rejected) > 0 {
		errs = append(errs, fmt.Errorf("first rejected row: line %d: %s", a.Rejected[0].Line, a.Rejected[0].Reason))
	}
	if len(errs) > 0 {
		return fmt.Errorf("the server answered other than the file says: %w", errors.Join(errs...))
	}
	return nil
}

// importStep POSTs the file once while sampling the server's RSS and
// measuring its CPU time and the bench's. The figures are filled in even
// when the POST fails: they say how far it got.
func (b *bench) importStep(ctx context.Context, srv *rbServer, db *database, f report) (serverStep, error) {
	pid := srv.proc.PID()
	benchkit.Settle()
	s := serverStep{hwmStep: benchkit.ResetPeak(pid)}
	m, err := benchkit.ReadMemory(pid)
	if err != nil {
		return s, fmt.Errorf("server memory: %w", err)
	}
	s.before = m.RSS
	cpu, err := benchkit.StartCPU(pid, 0)
	if err != nil {
		return s, err
	}
	sampler := benchkit.SampleRSS(pid, rssSampleTick)
	start := time.Now()
	counter := countReturns(db, start)
	var stalled time.Duration
	s.answer, stalled, err = srv.importReport(ctx, f.path)
	s.elapsed = time.Since(start)
	if stalled > 0 {
		s.elapsed = stalled // when the server stopped, not when the bench gave up
	}
	s.stored = counter.stop()
	s.rows = f.rows
	serr := sampler.Stop()
	s.peak, s.samples = sampler.Peak, sampler.Samples
	used, cerr := cpu.Stop()
	s.setCPU(used)
	m, merr := benchkit.ReadMemory(pid)
	s.hwm = m.HWM
	if err != nil {
		return s, fmt.Errorf("POST /api/v1/imports failed after %.1f s: %w", s.elapsed.Seconds(), err)
	}
	if err := errors.Join(serr, cerr, merr); err != nil {
		return s, fmt.Errorf("server resources: %w", err)
	}
	return s, nil
}

// sample is how many returns the database held some time into a step.
type sample struct {
	at   time.Duration
	rows int64
}

// countTick is how often the returns are counted during an import: often
// enough to see the rate change over a long import, rarely enough that the
// count (an index scan) costs the server little.
const countTick = 5 * time.Second

type returnCounter struct {
	stopc chan struct{}
	done  chan []sample
}

// countReturns counts the returns in db every countTick until stopped, on a
// connection of its own (read-only on SQLite, which WAL lets read beside
// the writer).
func countReturns(db *database, start time.Time) *returnCounter {
	c := &returnCounter{stopc: make(chan struct{}), done: make(chan []sample, 1)}
	go func() {
		var out []sample
		defer func() { c.done <- out }()
		sdb, err := db.openRead()
		if err != nil {
			return
		}
		defer sdb.Close()
		t := time.NewTicker(countTick)
		defer t.Stop()
		for {
			select {
			case <-c.stopc:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), countTick)
			var n int64
			err := sdb.QueryRowContext(ctx, "SELECT count(*) FROM returns").Scan(&n)
			cancel()
			if err == nil {
				out = append(out, sample{at: time.Since(start), rows: n})
			}
		}
	}()
	return c
}

func (c *returnCounter) stop() []sample {
	close(c.stopc)
	return <-c.done
}

// tenths is the rows/s over each tenth of n rows, from the samples (the
// first from the step's start; each tenth's end interpolated between the
// two samples around it), as far as the samples go.
func tenths(samples []sample, n int64, elapsed time.Duration, complete bool) []float64 {
	pts := append([]sample{{0, 0}}, samples...)
	if complete {
		pts = append(pts, sample{elapsed, n})
	}
	var rates []float64
	prev := time.Duration(0)
	for k := int64(1); k <= 10; k++ {
		target := n * k / 10
		i := 1
		for i < len(pts) && pts[i].rows < target {
			i++
		}
		if i == len(pts) {
			break
		}
		a, b := pts[i-1], pts[i]
		at := b.at
		if b.rows > a.rows {
			at = a.at + time.Duration(float64(b.at-a.at)*float64(target-a.rows)/float64(b.rows-a.rows))
		}
		rates = append(rates, float64(n/10)/(at-prev).Seconds())
		prev = at
	}
	return rates
}
