// Command syncbench measures the offline sync protocol with a million rows
// in the change feed, on SQLite and on PostgreSQL. For each database, in one
// run, on one fresh database, it:
//
//   - fills the feed to -rows changes with raw SQL and prints how long that took;
//   - pages through the feed with GET /api/v1/sync/pull from cursors spread
//     over it, taking turns with the same page read by plain SQL (the floor)
//     and through store.Changes;
//   - pushes batches of inspection.save mutations through the real HTTP API
//     (POST /api/v1/sync/push) from -clients devices at once, and prints
//     mutations/s and batch latency;
//   - writes the same inspections directly through GORM, per mutation one
//     write each of the inspection, its feed row and its audit event, one
//     transaction per batch, as the floor the protocol is set against: once
//     with seqs of its own, once taking them under the audit_head row lock
//     the way the store does.
//
// The server runs in this process on a loopback port, so -profile can write
// CPU profiles of it at work. The goals are printed beside the
// figures and never decide the exit status: the run fails only when a
// mutation is not applied, a pull errs or answers the wrong page, or
// something else breaks.
//
//	go run ./bench/syncbench                        # 1,000,000 rows, SQLite and PostgreSQL
//	go run ./bench/syncbench -db sqlite -rows 100000 -batches 50
//	go run ./bench/syncbench -profile /tmp/sb       # CPU profiles of each phase
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
	"github.com/returnbench/returnbench/store"
)

// options are the knobs of one run.
type options struct {
	Rows      int     // change rows in the feed before anything is measured
	Batches   int     // timed push batches per client
	Warmup    int     // push batches per client before the timed ones, not recorded
	Clients   int     // devices pushing at once
	BatchSize int     // mutations per push
	Updates   float64 // share of mutations that change an inspection the device made earlier
	Pulls     int     // timed pulls per method
	PageSize  int     // changes per pull
	DB        string  // sqlite, postgres or both
	Postgres  string  // the PostgreSQL server the bench creates its database on
	Keep      bool    // keep the temp dirs and the PostgreSQL database
	Profile   string  // directory for CPU profiles; "" writes none
	Seed      uint64  // the same seed fills the same feed and pulls the same cursors
	Timeout   time.Duration
}

// The goals. They are printed beside the figures, never enforced:
// throughput and latency depend on the machine and on what else runs on it.
const (
	goalPushSQLite = 5000 // mutations/s on SQLite
	goalPullP99    = 50 * time.Millisecond
)

func main() { benchkit.Main("syncbench", parseFlags, run) }

func parseFlags(args []string) (options, error) {
	o := options{}
	fs := flag.NewFlagSet("syncbench", flag.ContinueOnError)
	fs.IntVar(&o.Rows, "rows", 1_000_000, "change rows in the feed before anything is measured")
	fs.IntVar(&o.Batches, "batches", 200, "timed push batches per client")
	fs.IntVar(&o.Warmup, "warmup", 5, "push batches per client before the timed ones (not recorded)")
	fs.IntVar(&o.Clients, "clients", 4, "devices pushing at once, each with its own client_id")
	fs.IntVar(&o.BatchSize, "batch-size", 50, "mutations per push")
	fs.Float64Var(&o.Updates, "updates", 0, "share (0-1) of mutations that update an inspection the device created earlier, with its base_version")
	fs.IntVar(&o.Pulls, "pulls", 1000, "timed pulls per method")
	fs.IntVar(&o.PageSize, "page", 500, "changes per pull")
	fs.StringVar(&o.DB, "db", "both", "sqlite, postgres or both")
	fs.StringVar(&o.Postgres, "postgres", benchkit.DefaultPostgres(), "PostgreSQL server (loopback) to create the bench database on (RETURNBENCH_TEST_POSTGRES)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temp dirs and the PostgreSQL database, and print where they are")
	fs.StringVar(&o.Profile, "profile", "", "write CPU profiles of the push and pull phases into this directory")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed for the generated feed and the pulled cursors")
	fs.DurationVar(&o.Timeout, "timeout", time.Hour, "give up after this long")
	return o, fs.Parse(args)
}

func (o options) validate() error {
	switch {
	case o.Rows < 1 || o.Batches < 1 || o.Clients < 1 || o.BatchSize < 1 || o.Pulls < 1 || o.PageSize < 1:
		return errors.New("-rows, -batches, -clients, -batch-size, -pulls and -page must be at least 1")
	case o.Warmup < 0:
		return errors.New("-warmup must not be negative")
	case o.Rows <= o.PageSize:
		return fmt.Errorf("-rows (%d) must be more than -page (%d): every timed pull reads a full page", o.Rows, o.PageSize)
	case o.Updates < 0 || o.Updates > 1:
		return errors.New("-updates is a share between 0 and 1")
	case o.Timeout <= 0:
		return errors.New("-timeout must be positive")
	}
	if _, err := o.dialects(); err != nil {
		return err
	}
	if o.DB != "sqlite" {
		if err := benchkit.CheckLoopback(o.Postgres); err != nil {
			return fmt.Errorf("-postgres: %w", err)
		}
	}
	return nil
}

// dialects are the databases -db names, in the order they run.
func (o options) dialects() ([]string, error) {
	switch o.DB {
	case "sqlite":
		return []string{store.SQLite}, nil
	case "postgres":
		return []string{store.Postgres}, nil
	case "both":
		return []string{store.SQLite, store.Postgres}, nil
	}
	return nil, fmt.Errorf("-db %q: want sqlite, postgres or both", o.DB)
}

// run measures each database in turn and writes the report to out. Every
// server is stopped, temp dir removed and database dropped before it
// returns (unless -keep), whatever happened.
func run(ctx context.Context, opts options, out io.Writer) error {
	if err := opts.validate(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	dialects, _ := opts.dialects()
	fmt.Fprintf(out, "syncbench: %d change rows; push: %d clients x %d batches x %d mutations (%s); pull: %d pages of %d\n",
		opts.Rows, opts.Clients, opts.Batches, opts.BatchSize, mixName(opts.Updates), opts.Pulls, opts.PageSize)
	var reports []report
	for _, d := range dialects {
		r, err := benchDialect(ctx, opts, d, out)
		if err != nil {
			return fmt.Errorf("%s: %w", dialectName(d), err)
		}
		reports = append(reports, r)
	}
	printGoals(out, reports)
	return nil
}

// benchDialect runs every phase on one fresh database of dialect.
func benchDialect(ctx context.Context, opts options, dialect string, out io.Writer) (r report, err error) {
	fmt.Fprintf(out, "\n== %s ==\n", dialectName(dialect))
	db, err := newDatabase(ctx, dialect, opts.Postgres)
	if err != nil {
		return r, err
	}
	defer func() {
		if opts.Keep {
			fmt.Fprintf(out, "kept %s\n", db.describe())
			return
		}
		if derr := db.Remove(); derr != nil {
			err = errors.Join(err, derr)
		}
	}()
	fmt.Fprintf(out, "database: %s\n", db.describe())
	if err := db.migrate(ctx); err != nil {
		return r, err
	}
	r = report{dialect: dialect, opts: opts}
	if r.load, err = fillFeed(ctx, db, opts); err != nil {
		return r, err
	}
	printLoad(out, opts.Rows, r.load)
	if err := printSettings(ctx, out, db); err != nil {
		return r, err
	}

	a, err := startAPI(ctx, db, opts.Clients)
	if err != nil {
		return r, err
	}
	defer a.Close()

	if r.pull, err = measurePulls(ctx, opts, db, a, out); err != nil {
		return r, err
	}
	if r.push, err = measurePush(ctx, opts, db, a); err != nil {
		return r, err
	}
	if r.raw, err = measureRaw(ctx, opts, db, a.userID); err != nil {
		return r, err
	}
	printReport(out, r)
	return r, nil
}

func dialectName(d string) string {
	if d == store.Postgres {
		return "PostgreSQL"
	}
	return "SQLite"
}

func mixName(updates float64) string {
	if updates == 0 {
		return "creates only"
	}
	return fmt.Sprintf("%.0f%% updates", updates*100)
}
