package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
	"github.com/returnbench/returnbench/labels"
)

// lookupFunc finds the returns a scanned code names and says how many.
type lookupFunc func(ctx context.Context, code string) (int, error)

// target is one way of looking a code up.
type target struct {
	name string
	find lookupFunc
}

// result is what one target measured.
type result struct {
	name      string
	elapsed   time.Duration
	latencies []time.Duration // sorted
	byKind    map[string][]time.Duration
	wrong     []wrongAnswer
}

// wrongAnswer is a lookup that found returns for an absent code, or none for
// a present one.
type wrongAnswer struct {
	code  code
	found int
}

// maxShownWrong bounds the wrong answers printed: one is enough to debug,
// a few show whether one kind of code is to blame.
const maxShownWrong = 5

// measure warms the target up, then times n lookups over the codes from
// concurrency goroutines. The warm-up (a tenth of n, not recorded) fills
// SQLite's page caches and the HTTP connection pool, so the first target
// measured is not charged for the caches the others inherit.
func measure(ctx context.Context, t target, codes []code, n, concurrency int) (result, error) {
	if _, _, _, err := lookups(ctx, t.find, codes, max(concurrency, n/10), concurrency); err != nil {
		return result{}, fmt.Errorf("%s warm-up: %w", t.name, err)
	}
	lat, elapsed, wrong, err := lookups(ctx, t.find, codes, n, concurrency)
	if err != nil {
		return result{}, fmt.Errorf("%s: %w", t.name, err)
	}
	byKind := map[string][]time.Duration{}
	for i, d := range lat {
		k := codes[i%len(codes)].label()
		byKind[k] = append(byKind[k], d)
	}
	for _, l := range byKind {
		slices.Sort(l)
	}
	slices.Sort(lat)
	return result{name: t.name, elapsed: elapsed, latencies: lat, byKind: byKind, wrong: wrong}, nil
}

// lookups runs n lookups, codes taken in turn, and records each one's
// latency. The first error stops every goroutine: a figure over failed
// lookups would measure the failure.
func lookups(ctx context.Context, find lookupFunc, codes []code, n, concurrency int) ([]time.Duration, time.Duration, []wrongAnswer, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lat := make([]time.Duration, n) // each goroutine writes its own indexes: no lock
	var (
		next  atomic.Int64
		mu    sync.Mutex
		wrong []wrongAnswer
		wg    sync.WaitGroup
	)
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				c := codes[i%len(codes)]
				t0 := time.Now()
				found, err := find(ctx, c.value)
				lat[i] = time.Since(t0)
				if err != nil {
					cancel(fmt.Errorf("look up %q: %w", c.value, err))
					return
				}
				if (found > 0) != c.exists {
					mu.Lock()
					wrong = append(wrong, wrongAnswer{code: c, found: found})
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		return nil, 0, nil, context.Cause(ctx)
	}
	return lat, elapsed, wrong, nil
}

func (r result) throughput() float64 { return float64(len(r.latencies)) / r.elapsed.Seconds() }

func (r result) percentile(p float64) time.Duration { return benchkit.Percentile(r.latencies, p) }

// printSample says what is being looked up, so figures from runs with
// different mixes are not compared as if alike.
func printSample(out io.Writer, codes []code) {
	present, absent := map[labels.Kind]int{}, 0
	for _, c := range codes {
		if c.exists {
			present[c.kind]++
		} else {
			absent++
		}
	}
	kinds := make([]string, 0, len(present))
	for k, n := range present {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	slices.Sort(kinds)
	fmt.Fprintf(out, "codes: %d present (%s), %d absent\n", len(codes)-absent, strings.Join(kinds, ", "), absent)
}

// printResults writes the table, each target against the direct SQL
// baseline (the first result), and the p99 target for the API.
func printResults(out io.Writer, opts options, results []result) {
	fmt.Fprintf(out, "\n%d lookups per method, %d goroutines, %d returns in SQLite\n\n", opts.Lookups, opts.Concurrency, opts.Rows)
	const row = "%-10s  %8s  %10s  %8s  %8s  %8s  %10s  %16s\n"
	fmt.Fprintf(out, row, "method", "lookups", "lookups/s", "p50 ms", "p99 ms", "max ms", "p99 vs SQL", "lookups/s vs SQL")
	base := results[0]
	for _, r := range results {
		fmt.Fprintf(out, row, r.name, fmt.Sprint(len(r.latencies)), fmt.Sprintf("%.0f", r.throughput()),
			ms(r.percentile(50)), ms(r.percentile(99)), ms(r.percentile(100)),
			fmt.Sprintf("%.1fx", float64(r.percentile(99))/float64(base.percentile(99))),
			fmt.Sprintf("%.2fx", r.throughput()/base.throughput()))
	}

	scan := results[len(results)-1]
	outcome := benchkit.PassOrMiss(scan.percentile(99) < targetP99)
	printByKind(out, results)
	fmt.Fprintf(out, "\nscan p99 at %d rows: %s ms (target < %d ms): %s\n", opts.Rows, ms(scan.percentile(99)), targetP99.Milliseconds(), outcome)

	for _, r := range results {
		if len(r.wrong) == 0 {
			continue
		}
		fmt.Fprintf(out, "%s: %d wrong answers\n", r.name, len(r.wrong))
		for _, x := range r.wrong[:min(len(r.wrong), maxShownWrong)] {
			fmt.Fprintf(out, "  %s %q (present: %t) found %d returns\n", x.code.kind, x.code.value, x.code.exists, x.found)
		}
	}
}

// printByKind breaks p99 down by the kind of code scanned, which tells a
// slow index from a code that simply finds many returns (an FNSKU).
func printByKind(out io.Writer, results []result) {
	var kinds []string
	for k := range results[0].byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	fmt.Fprintf(out, "\n%-18s  %8s", "p99 ms by kind", "lookups")
	for _, r := range results {
		fmt.Fprintf(out, "  %10s", r.name)
	}
	fmt.Fprintln(out)
	for _, k := range kinds {
		fmt.Fprintf(out, "%-18s  %8d", k, len(results[0].byKind[k]))
		for _, r := range results {
			fmt.Fprintf(out, "  %10s", ms(benchkit.Percentile(r.byKind[k], 99)))
		}
		fmt.Fprintln(out)
	}
}

// verdict fails the run when any lookup found the wrong thing; the timing
// target never fails it.
func verdict(results []result) error {
	var errs []error
	for _, r := range results {
		if len(r.wrong) > 0 {
			errs = append(errs, fmt.Errorf("%s: %d of %d lookups found the wrong returns", r.name, len(r.wrong), len(r.latencies)))
		}
	}
	return errors.Join(errs...)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }
