// Command scanbench measures how fast a scanned code finds its returns when
// SQLite holds a million of them. In one run, on one database, it times a
// direct indexed SQL lookup (the floor), store.FindReturns, and
// GET /api/v1/scan through the real server on loopback, then prints
// throughput and latency side by side. It prints figures and asserts none:
// it fails only when a lookup errs or finds the wrong thing.
//
//	go run ./bench/scanbench                      # 1,000,000 returns in a temp dir
//	go run ./bench/scanbench -dir /tmp/sb         # keep the database for the next run
//	go run ./bench/scanbench -rows 20000 -lookups 2000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
	"github.com/returnbench/returnbench/store"
)

// options are the knobs of one run.
type options struct {
	Rows        int    // returns in the database
	Dir         string // data dir; "" means a temp dir removed at the end
	Lookups     int    // lookups per method, spread over Concurrency goroutines
	Concurrency int
	Seed        uint64 // the same seed builds the same returns and picks the same codes
}

// targetP99 is the goal for a scan at a million rows. It is printed
// beside the figure, never enforced: timing depends on the machine.
const targetP99 = 5 * time.Millisecond

func main() { benchkit.Main("scanbench", parseFlags, run) }

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("scanbench", flag.ContinueOnError)
	fs.IntVar(&o.Rows, "rows", 1_000_000, "returns to load into SQLite")
	fs.StringVar(&o.Dir, "dir", "", "data dir to keep the database in and reuse on the next run (default: a temp dir, removed at the end)")
	fs.IntVar(&o.Lookups, "lookups", 20_000, "lookups per method")
	fs.IntVar(&o.Concurrency, "concurrency", 4, "goroutines looking up at once")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed for the generated returns and the codes looked up")
	return o, fs.Parse(args)
}

// run builds (or reuses) the database, measures the three ways of looking a
// code up and writes the report to out.
func run(ctx context.Context, opts options, out io.Writer) error {
	if opts.Rows < 1 || opts.Lookups < 1 || opts.Concurrency < 1 {
		return errors.New("-rows, -lookups and -concurrency must be at least 1")
	}
	dir, cleanup, err := dataDir(opts.Dir)
	if err != nil {
		return err
	}
	defer cleanup()

	// store.Open applies the migrations, so the returns table and its
	// indexes are exactly the ones the server runs on.
	st, err := store.Open(ctx, store.Config{DataDir: dir, Log: benchkit.QuietLog()})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	path := filepath.Join(dir, "returnbench.db")
	if err := ensureReturns(ctx, path, opts, out); err != nil {
		return err
	}

	direct, err := openDirect(ctx, path, opts.Concurrency)
	if err != nil {
		return err
	}
	defer direct.Close()
	if err := printPlan(ctx, out, direct); err != nil {
		return err
	}
	codes, err := sampleCodes(ctx, direct, rand.New(rand.NewPCG(opts.Seed, streamSample)), min(4000, opts.Lookups))
	if err != nil {
		return err
	}
	printSample(out, codes)

	api, err := startAPI(ctx, dir, opts.Concurrency)
	if err != nil {
		return err
	}
	defer api.Close()

	targets := []target{
		{name: "direct SQL", find: direct.find},
		{name: "store", find: storeFinder(st)},
		{name: "HTTP API", find: api.scan},
	}
	var results []result
	for _, t := range targets {
		r, err := measure(ctx, t, codes, opts.Lookups, opts.Concurrency)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	printResults(out, opts, results)
	return verdict(results)
}

// dataDir returns the directory to build the database in and what to do
// when the run ends: a kept -dir stays, a temp dir goes.
func dataDir(dir string) (string, func(), error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", nil, fmt.Errorf("create -dir: %w", err)
		}
		return dir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "scanbench-")
	if err != nil {
		return "", nil, fmt.Errorf("create temp dir: %w", err)
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}
