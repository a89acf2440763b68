package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
	"github.com/returnbench/returnbench/store"
)

// report is everything measured on one database.
type report struct {
	dialect string
	opts    options
	load    loadStats
	pull    []timing // direct SQL, store.Changes, HTTP pull
	push    pushResult
	raw     []timing // GORM own seqs, GORM head lock
}

func (r report) pullAPI() timing { return r.pull[len(r.pull)-1] }

// printSettings says what durability the figures were taken under, and
// how busy the machine was: other work on the same cores moves every
// figure, which is why each is printed beside a baseline from the same run.
func printSettings(ctx context.Context, out io.Writer, db *database) error {
	fmt.Fprintf(out, "machine: %d CPUs, load average %s\n", runtime.NumCPU(), benchkit.LoadAverage())
	if db.dialect == store.SQLite {
		fmt.Fprintln(out, "settings: the store's DSN (WAL, synchronous=FULL, one write connection, a read pool)")
		return nil
	}
	sdb, err := db.openSQL()
	if err != nil {
		return err
	}
	defer sdb.Close()
	var version, fsync, syncCommit, buffers string
	for _, q := range []struct {
		sql string
		dst *string
	}{{"SHOW server_version", &version}, {"SHOW fsync", &fsync}, {"SHOW synchronous_commit", &syncCommit}, {"SHOW shared_buffers", &buffers}} {
		if err := sdb.QueryRowContext(ctx, q.sql).Scan(q.dst); err != nil {
			return fmt.Errorf("%s: %w", q.sql, err)
		}
	}
	fmt.Fprintf(out, "settings: PostgreSQL %s, fsync=%s, synchronous_commit=%s, shared_buffers=%s, pool of %d connections\n",
		version, fsync, syncCommit, buffers, storePoolSize())
	return nil
}

// printReport writes one database's tables.
func printReport(out io.Writer, r report) {
	o := r.opts
	fmt.Fprintf(out, "\npush: %d clients x %d batches x %d mutations = %d inspection.save (%s); %d warm-up batches per client first\n",
		o.Clients, o.Batches, o.BatchSize, o.Clients*o.Batches*o.BatchSize, mixName(o.Updates), o.Warmup)
	const row = "%-30s  %12s  %12s  %12s  %8s  %13s\n"
	fmt.Fprintf(out, row, "method", "mutations/s", "batch p50 ms", "batch p99 ms", "max ms", "push vs this")
	push := r.push.timing
	for _, t := range append([]timing{push}, r.raw...) {
		fmt.Fprintf(out, row, t.name, fmt.Sprintf("%.0f", t.itemsPerSec()), ms(benchkit.Percentile(t.lat, 50)),
			ms(benchkit.Percentile(t.lat, 99)), ms(benchkit.Percentile(t.lat, 100)), fmt.Sprintf("%.2fx", push.itemsPerSec()/t.itemsPerSec()))
	}
	fmt.Fprintf(out, "Go heap after GC (server and bench, one process): %s before the push, %s after\n",
		benchkit.MiB(int64(r.push.heapBefore)), benchkit.MiB(int64(r.push.heapAfter)))
	if r.dialect == store.Postgres {
		fmt.Fprintf(out, "audit_head (one live row) after the push: %s on disk\n", size(r.push.headBytes))
	}

	fmt.Fprintf(out, "\npull: %d pages of %d changes, cursors spread over seq 0..%d in random order, one pull at a time\n",
		o.Pulls, o.PageSize, o.Rows-o.PageSize-1)
	fmt.Fprintf(out, row, "method", "pages/s", "p50 ms", "p99 ms", "max ms", "p99 vs SQL")
	base := r.pull[0]
	for _, t := range r.pull {
		fmt.Fprintf(out, row, t.name, fmt.Sprintf("%.0f", t.opsPerSec()), ms(benchkit.Percentile(t.lat, 50)),
			ms(benchkit.Percentile(t.lat, 99)), ms(benchkit.Percentile(t.lat, 100)),
			fmt.Sprintf("%.1fx", float64(benchkit.Percentile(t.lat, 99))/float64(benchkit.Percentile(base.lat, 99))))
	}
}

// printGoals prints the goals beside the figures. They are
// informational: the exit status never depends on them.
func printGoals(out io.Writer, reports []report) {
	fmt.Fprintln(out)
	for _, r := range reports {
		rate := r.push.itemsPerSec()
		if r.dialect == store.SQLite {
			fmt.Fprintf(out, "push on SQLite: %.0f mutations/s (goal ≥ %d): %s\n", rate, goalPushSQLite, benchkit.PassOrMiss(rate >= goalPushSQLite))
		} else {
			fmt.Fprintf(out, "push on %s: %.0f mutations/s (no goal set)\n", dialectName(r.dialect), rate)
		}
	}
	for _, r := range reports {
		p99 := benchkit.Percentile(r.pullAPI().lat, 99)
		fmt.Fprintf(out, "pull p99 on %s: %s ms (goal < %d ms): %s\n", dialectName(r.dialect), ms(p99),
			goalPullP99.Milliseconds(), benchkit.PassOrMiss(p99 < goalPullP99))
	}
}

// startProfile writes a CPU profile of this process (the server included)
// to dir/name until the returned stop is called; with no dir it does nothing.
func startProfile(dir, name string) (stop func() error, err error) {
	if dir == "" {
		return func() error { return nil }, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("profile dir: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

func size(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return benchkit.MiB(n)
}
