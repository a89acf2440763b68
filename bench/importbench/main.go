// Command importbench measures how fast a marketplace report gets into
// returnbench and how much memory the server holds while it does. It
// generates a seeded FBA Customer Returns report of -rows rows (and a
// second of -small-rows for the memory comparison) and, for each file, in
// one run:
//
//   - inserts the file's rows with plain database/sql, multi-row INSERTs in
//     transactions of 1000, into a fresh database with returnbench's schema:
//     the floor the import is held against;
//   - starts `returnbench serve` as a separate process on a fresh database,
//     signs in as a lead and POSTs the file to /api/v1/imports as a streamed
//     multipart form, while the server's resident memory is sampled every
//     50 ms;
//   - POSTs the same file again: every row is unchanged.
//
// With -postgres it does the same on PostgreSQL after SQLite. The figures
// (rows/s, MiB/s, the ratio to the raw inserts, new rows/s over each tenth
// of the file, peak RSS of both files side by side) are printed and never
// decide the exit status: the run fails only when something errs, the
// server's answer or database is not what the file says, or the server
// stops taking the body (2 minutes) or answering (5 minutes after the last
// byte). A failed import is printed with what it stored, the run goes on,
// and it exits non-zero at the end.
//
//	go run ./bench/importbench -server-bin bin/returnbench   # 1,000,000 and 100,000 rows on SQLite
//	go run ./bench/importbench -rows 50000 -small-rows 5000 -postgres
//	go run ./bench/importbench -keep                          # keep the temp dir and databases to look at
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
)

// options are the knobs of one run.
type options struct {
	Rows        int    // rows of the main report
	SmallRows   int    // rows of the second report, for the memory comparison; 0: none
	Seed        uint64 // the same seed writes the same files
	Keep        bool   // keep the temp dir and the PostgreSQL databases
	ServerBin   string // a built returnbench; "" builds one into the temp dir
	Postgres    bool   // also measure on PostgreSQL
	PostgresURL string // the server the PostgreSQL databases are created on
	CacheDir    string // where generated reports are kept between runs; "" for the temp dir
	Timeout     time.Duration
}

const (
	rssSampleTick = 50 * time.Millisecond
	defaultPGURL  = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
)

func main() { benchkit.Main("importbench", parseFlags, run) }

func parseFlags(args []string) (options, error) {
	o := options{Rows: 1_000_000, SmallRows: 100_000, Seed: 1, PostgresURL: defaultPGURL,
		CacheDir: benchkit.DefaultCacheDir(), Timeout: 90 * time.Minute}
	fs := flag.NewFlagSet("importbench", flag.ContinueOnError)
	fs.IntVar(&o.Rows, "rows", o.Rows, "rows of the FBA returns report")
	fs.IntVar(&o.SmallRows, "small-rows", o.SmallRows, "rows of a second report, whose peak memory is printed beside the first's (0: none)")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of the generated reports")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temp dir (server logs, databases) and the PostgreSQL databases, and print where they are")
	fs.StringVar(&o.ServerBin, "server-bin", "", "returnbench binary to run (default: build ./cmd/returnbench into the temp dir)")
	fs.BoolVar(&o.Postgres, "postgres", false, "also measure on PostgreSQL, in fresh databases rb_bench_<random> dropped at the end")
	fs.StringVar(&o.PostgresURL, "postgres-url", o.PostgresURL, "PostgreSQL server (a database to connect to for CREATE DATABASE)")
	fs.StringVar(&o.CacheDir, "cache", o.CacheDir, "keep generated reports here between runs (\"\": generate into the temp dir)")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "give up after this long")
	return o, fs.Parse(args)
}

// run generates the reports, measures every step and writes the report to
// out. Every child process is killed, every database dropped and the temp
// dir removed before it returns, whatever happened (unless -keep).
func run(ctx context.Context, opts options, out io.Writer) (err error) {
	switch {
	case opts.Rows < 1:
		return errors.New("-rows must be at least 1")
	case opts.SmallRows < 0:
		return errors.New("-small-rows must not be negative")
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	tmp, err := benchkit.MakeTempDir("importbench-")
	if err != nil {
		return err
	}
	b := &bench{opts: opts, tmp: tmp, out: out}
	defer func() {
		b.children.KillAll()
		err = errors.Join(err, b.removeDatabases(),
			benchkit.RemoveTempDir(tmp, opts.Keep, out, "each database's dir has the server's server.log"))
	}()
	return b.run(ctx)
}

// bench is the state of one run: its temp dir, its children, its databases.
type bench struct {
	opts     options
	tmp      string
	out      io.Writer
	bin      string
	children benchkit.Children // killed at the end
	dbs      []*database       // removed at the end unless -keep
}

// newDatabase makes a fresh database named for its step.
func (b *bench) newDatabase(ctx context.Context, dialect, name string) (*database, error) {
	admin := ""
	if dialect == dbPostgres {
		admin = b.opts.PostgresURL
	}
	kdb, err := benchkit.NewDatabase(ctx, filepath.Join(b.tmp, strings.ToLower(dialect)+"-"+name), admin, "rb_bench_")
	if err != nil {
		return nil, err
	}
	db := &database{Database: kdb, dialect: dialect}
	b.dbs = append(b.dbs, db)
	return db, nil
}

// release removes a database as soon as its step is done (a million rows
// weigh a gigabyte with their change feed), unless -keep.
func (b *bench) release(db *database) error {
	if b.opts.Keep {
		return nil
	}
	return db.Remove()
}

func (b *bench) removeDatabases() error {
	var errs []error
	for _, db := range b.dbs {
		if b.opts.Keep {
			if db.Name != "" {
				fmt.Fprintf(b.out, "kept PostgreSQL database %s (drop it with: psql %q -c 'DROP DATABASE %s')\n",
					db.Name, benchkit.Redact(b.opts.PostgresURL), db.Name)
			}
			continue
		}
		errs = append(errs, db.Remove())
	}
	return errors.Join(errs...)
}

func (b *bench) run(ctx context.Context) error {
	o := b.opts
	sizes := []int{o.Rows}
	if o.SmallRows > 0 && o.SmallRows != o.Rows {
		sizes = append(sizes, o.SmallRows)
	}
	dialects := []string{dbSQLite}
	if o.Postgres {
		dialects = append(dialects, dbPostgres)
	}
	fmt.Fprintf(b.out, "importbench: FBA Customer Returns reports of %s, seed %d, on %s\n",
		joinRows(sizes), o.Seed, strings.Join(dialects, " and "))

	bin, err := benchkit.ServerBinary(ctx, o.ServerBin, b.tmp)
	if err != nil {
		return err
	}
	b.bin = bin
	dir := o.CacheDir
	if dir == "" {
		dir = filepath.Join(b.tmp, "reports")
	}
	var files []report
	for _, n := range sizes {
		f, err := reportFile(ctx, dir, n, o.Seed)
		if err != nil {
			return fmt.Errorf("generate the %d-row report: %w", n, err)
		}
		files = append(files, f)
	}
	printFiles(b.out, dir, files)
	fmt.Fprintf(b.out, "returnbench: %s, started for each file on a fresh database\n\n", bin)

	var results []fileResult
	for _, d := range dialects {
		for _, f := range files {
			r, err := b.measureFile(ctx, d, f)
			if err != nil {
				return fmt.Errorf("%s, %d rows: %w", d, f.rows, err)
			}
			results = append(results, r)
		}
	}
	printResults(b.out, results)
	if err := printFailures(b.out, results); err != nil {
		return errors.New("an import failed (above)")
	}
	return nil
}
