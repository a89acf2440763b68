// Command loadbench finds how much load returnbench takes before it stops
// keeping up. It starts the real binary as a separate process on a fresh
// database (SQLite, then PostgreSQL), seeds it through the import API with
// an FBA Customer Returns report of -returns rows in -report-files files,
// and then, endpoint by endpoint, offers requests at a fixed rate that
// climbs in steps:
//
//   - scan:   GET /api/v1/scan/{code}, licence plates and order ids of the
//     seeded returns, and some codes that match nothing;
//   - push:   POST /api/v1/sync/push, batches of 50 new inspection.save;
//   - pull:   GET /api/v1/sync/pull, pages of 500 from random cursors;
//   - upload: tus POST /api/v1/uploads then one PATCH of a 1 MiB photo with
//     its Upload-Checksum.
//
// The load is open-loop: request i is due at start + i/rate whether or not
// the ones before it have answered, and its latency counts from when it was
// due, so a server that stalls is charged for the requests queued behind
// the stall (no coordinated omission). At most -max-in-flight requests are
// out at once; one that is due while that many are out is not sent and
// counts as an error ("shed").
//
// Each step runs -step long. The rate doubles from each endpoint's starting
// rate until a step fails (twice in a row: the machine is shared, and a
// burst of other work can fail one step), then -refine steps bisect
// between the last rate that held and the first that did not. A step fails when more than 1% of
// its requests err, when fewer than 90% of the offered requests per second
// are answered, or when p99 passes the endpoint's limit (-limits). The
// saturation point is the highest offered rate that held.
//
// The figures are printed with the machine's load average, the server's and
// the bench's CPU and the server's memory beside them; they never decide
// the exit status. The run fails only when setup fails or the server dies.
//
//	go run ./bench/loadbench -server-bin bin/returnbench       # both databases, about 3 minutes
//	go run ./bench/loadbench -db sqlite -endpoints scan,push -step 5s
//	go run ./bench/loadbench -keep                             # keep the server logs and data
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
)

// options are the knobs of one run.
type options struct {
	DB          string        // sqlite, postgres or both
	Postgres    string        // the PostgreSQL server the bench creates its database on
	Endpoints   []string      // which ladders to climb, in order
	Returns     int           // returns seeded through the import API
	ReportFiles int           // the report is imported in this many files, one after another
	Step        time.Duration // how long each rate is offered
	Refine      int           // bisection steps after the doubling stops
	MaxInFlight int           // requests out at once before new ones are shed
	Timeout     time.Duration // one request's limit
	Limits      map[string]time.Duration
	Start       map[string]float64 // first rate of each ladder, requests/s
	MaxRate     float64            // no ladder climbs past this
	UploadSize  int64
	ServerBin   string   // a built returnbench; "" builds one
	ServerEnv   []string // extra KEY=VALUE for the server
	Keep        bool     // keep the temp dir and the PostgreSQL database
	Seed        uint64
	RunTimeout  time.Duration
}

// Endpoints the bench knows, in the order it climbs them.
const (
	epScan   = "scan"
	epPull   = "pull"
	epPush   = "push"
	epUpload = "upload"
)

var allEndpoints = []string{epScan, epPull, epPush, epUpload}

// Per-endpoint defaults. The p99 limits are what a person at the bench
// would call slow for that action: a scan should feel instant, a 1 MiB
// photo may take a moment.
var (
	defaultLimits = map[string]time.Duration{
		epScan: 100 * time.Millisecond, epPull: 500 * time.Millisecond,
		epPush: time.Second, epUpload: 2 * time.Second,
	}
	defaultStart = map[string]float64{epScan: 25, epPull: 20, epPush: 10, epUpload: 10}
)

// The saturation rule, besides the p99 limit.
const (
	maxErrorShare   = 0.01 // more than 1% of a step's requests erred
	minAchievedRate = 0.90 // fewer than 90% of the offered requests/s answered
)

func main() { benchkit.Main("loadbench", parseFlags, run) }

func parseFlags(args []string) (options, error) {
	o := defaultOptions()
	var endpoints, limits, start, env string
	fs := flag.NewFlagSet("loadbench", flag.ContinueOnError)
	fs.StringVar(&o.DB, "db", o.DB, "sqlite, postgres or both")
	fs.StringVar(&o.Postgres, "postgres", o.Postgres, "PostgreSQL server on loopback to create the bench database on (RETURNBENCH_TEST_POSTGRES)")
	fs.StringVar(&endpoints, "endpoints", strings.Join(allEndpoints, ","), "ladders to climb, comma-separated: scan, pull, push, upload")
	fs.IntVar(&o.Returns, "returns", o.Returns, "returns to seed through the import API")
	fs.IntVar(&o.ReportFiles, "report-files", o.ReportFiles, "import the returns as this many report files, one after another")
	fs.DurationVar(&o.Step, "step", o.Step, "how long each offered rate runs")
	fs.IntVar(&o.Refine, "refine", o.Refine, "bisection steps between the last rate that held and the first that did not")
	fs.IntVar(&o.MaxInFlight, "max-in-flight", o.MaxInFlight, "requests out at once; a request due beyond that is shed (an error)")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "one request's time limit (a timeout is an error)")
	fs.StringVar(&limits, "limits", "", "p99 limits per endpoint, e.g. scan=50ms,push=2s (defaults: "+formatLimits(defaultLimits)+")")
	fs.StringVar(&start, "start", "", "first rate of each ladder in requests/s, e.g. scan=200,upload=5 (defaults: "+formatRates(defaultStart)+")")
	fs.Float64Var(&o.MaxRate, "max-rate", o.MaxRate, "no ladder offers more than this many requests/s")
	fs.Var((*benchkit.ByteSize)(&o.UploadSize), "upload-size", "size of each uploaded photo (e.g. 1MiB, 256KiB)")
	fs.StringVar(&o.ServerBin, "server-bin", "", "returnbench binary to run (default: build ./cmd/returnbench into the temp dir)")
	fs.StringVar(&env, "server-env", "", "extra KEY=VALUE settings for the server, comma-separated (e.g. RETURNBENCH_LOG_LEVEL=warn)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temp dir (server logs and data) and the PostgreSQL database, and print where they are")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of the generated report, codes and cursors")
	fs.DurationVar(&o.RunTimeout, "run-timeout", o.RunTimeout, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.Endpoints = splitList(endpoints)
	var err error
	if o.Limits, err = parseDurations(limits, o.Limits); err != nil {
		fmt.Fprintln(fs.Output(), "-limits:", err)
		return o, err
	}
	if o.Start, err = parseRates(start, o.Start); err != nil {
		fmt.Fprintln(fs.Output(), "-start:", err)
		return o, err
	}
	if env != "" {
		o.ServerEnv = splitList(env)
	}
	return o, nil
}

// defaultOptions seed 100,000 returns as ten reports, the way a seller
// imports them week by week. (One file of 100,000 took two minutes on
// PostgreSQL against 15 s for ten: each import refreshes the planner's
// statistics only when it ends.)
func defaultOptions() options {
	return options{
		DB: "both", Postgres: benchkit.DefaultPostgres(), Endpoints: allEndpoints, Returns: 100_000, ReportFiles: 10,
		Step: 2 * time.Second, Refine: 2, MaxInFlight: 512, Timeout: 5 * time.Second,
		Limits: defaultLimits, Start: defaultStart, MaxRate: 20_000, UploadSize: 1 << 20,
		Seed: 1, RunTimeout: 30 * time.Minute,
	}
}

func (o options) validate() error {
	switch {
	case o.Returns < 1 || o.ReportFiles < 1 || o.ReportFiles > o.Returns:
		return errors.New("-returns and -report-files must be at least 1, and -report-files at most -returns")
	case o.Step < 100*time.Millisecond:
		return errors.New("-step must be at least 100ms")
	case o.Refine < 0:
		return errors.New("-refine must not be negative")
	case o.MaxInFlight < 1:
		return errors.New("-max-in-flight must be at least 1")
	case o.Timeout <= 0 || o.RunTimeout <= 0:
		return errors.New("-timeout and -run-timeout must be positive")
	case o.UploadSize < 64:
		return errors.New("-upload-size must be at least 64 bytes (the server reads the file's type from its start)")
	case o.MaxRate <= 0:
		return errors.New("-max-rate must be positive")
	case len(o.Endpoints) == 0:
		return errors.New("-endpoints names none")
	}
	for _, e := range o.Endpoints {
		if !slices.Contains(allEndpoints, e) {
			return fmt.Errorf("-endpoints: unknown %q (want %s)", e, strings.Join(allEndpoints, ", "))
		}
		if o.Start[e] <= 0 || o.Limits[e] <= 0 {
			return fmt.Errorf("%s needs a positive starting rate and p99 limit", e)
		}
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
		return []string{dbSQLite}, nil
	case "postgres":
		return []string{dbPostgres}, nil
	case "both":
		return []string{dbSQLite, dbPostgres}, nil
	}
	return nil, fmt.Errorf("-db %q: want sqlite, postgres or both", o.DB)
}

// run climbs every ladder on each database in turn and writes the report
// to out. Every child process is stopped, the temp dir removed and the
// PostgreSQL database dropped before it returns (unless -keep).
func run(ctx context.Context, opts options, out io.Writer) (err error) {
	if err := opts.validate(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.RunTimeout)
	defer cancel()
	tmp, err := benchkit.MakeTempDir("loadbench-")
	if err != nil {
		return err
	}
	defer func() {
		err = errors.Join(err, benchkit.RemoveTempDir(tmp, opts.Keep, out, "each database's dir has the server's server.log"))
	}()
	b := &bench{opts: opts, tmp: tmp, out: out}
	return b.run(ctx)
}

// splitList reads a comma-separated flag, ignoring blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseDurations reads "name=duration,..." over a copy of defaults.
func parseDurations(s string, defaults map[string]time.Duration) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for k, v := range defaults {
		out[k] = v
	}
	for _, kv := range splitList(s) {
		k, v, ok := strings.Cut(kv, "=")
		d, err := time.ParseDuration(v)
		if !ok || err != nil || !slices.Contains(allEndpoints, k) {
			return nil, fmt.Errorf("%q is not endpoint=duration", kv)
		}
		out[k] = d
	}
	return out, nil
}

// parseRates reads "name=rate,..." over a copy of defaults.
func parseRates(s string, defaults map[string]float64) (map[string]float64, error) {
	out := map[string]float64{}
	for k, v := range defaults {
		out[k] = v
	}
	for _, kv := range splitList(s) {
		k, v, ok := strings.Cut(kv, "=")
		var r float64
		_, err := fmt.Sscan(v, &r)
		if !ok || err != nil || !slices.Contains(allEndpoints, k) {
			return nil, fmt.Errorf("%q is not endpoint=requests per second", kv)
		}
		out[k] = r
	}
	return out, nil
}

func formatLimits(m map[string]time.Duration) string {
	var parts []string
	for _, e := range allEndpoints {
		parts = append(parts, e+"="+m[e].String())
	}
	return strings.Join(parts, ",")
}

func formatRates(m map[string]float64) string {
	var parts []string
	for _, e := range allEndpoints {
		parts = append(parts, fmt.Sprintf("%s=%g", e, m[e]))
	}
	return strings.Join(parts, ",")
}
