package main

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
)

// errCut ends the requests a step leaves behind.
var errCut = errors.New("still out when the step's drain time ended")

// sample is what became of one request of a step.
type sample struct {
	lat    time.Duration // from when it was due to the end of its answer
	lag    time.Duration // from when it was due to when the bench sent it
	done   time.Time
	kind   string // "" when it got the answer it should
	detail string
}

// step is one offered rate held for a while, and what came of it.
type step struct {
	rate     float64
	duration time.Duration
	issued   int
	ok       int
	elapsed  time.Duration   // from the first request due to the last answer (at least duration)
	answered time.Duration   // from the first good answer to the last
	lat      []time.Duration // of the requests that got their answer, sorted
	lagP99   time.Duration   // the bench's own lateness in sending
	errors   map[string]int
	examples map[string]string // the first detail of each error kind

	server, self procUsage
	machine      float64 // share of all the machine's CPUs busy
	db           string  // what the database watcher saw
	log          logSummary
	verdict      string // why the step did not hold; "" if it did
}

// procUsage is a process's CPU (percent of one core) and peak memory over a step.
type procUsage struct {
	cpu     float64
	peakRSS int64
	threads int
}

func (s *step) errorCount() int {
	n := 0
	for _, c := range s.errors {
		n += c
	}
	return n
}

// achieved is the rate at which good answers came: over the time from the
// first to the last, so a latency that stays the same costs no rate, while
// a server that falls behind answers at its own pace, slower than offered.
func (s *step) achieved() float64 {
	if s.ok < 2 || s.answered <= 0 {
		return float64(s.ok) / s.elapsed.Seconds()
	}
	return float64(s.ok-1) / s.answered.Seconds()
}

func (s *step) percentile(p float64) time.Duration { return benchkit.Percentile(s.lat, p) }

// offer sends requests of ep at rate for d, open-loop: request i is due at
// i/rate after the start and is sent then whether or not earlier ones have
// answered, unless maxInFlight are out, when it is shed. Each request's
// latency counts from when it was due, so time a request spends waiting for
// the bench to send it (the bench is late) or for a connection is in it.
// first numbers the step's first request, so steps draw different codes,
// cursors and ids.
func offer(ctx context.Context, ep endpoint, rate float64, d time.Duration, maxInFlight int, timeout time.Duration, first int64) step {
	// Requests still out drainLimit after the last was due are cut, so a
	// saturated step costs its own time plus this, not a queue's worth of
	// timeouts.
	drainLimit := min(timeout, max(d, time.Second))
	ctx, cut := context.WithCancelCause(ctx)
	defer cut(nil)
	n := max(1, int(math.Round(rate*d.Seconds())))
	samples := make([]sample, n) // each request writes its own index: no lock
	slots := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		if ctx.Err() != nil {
			samples[i] = sample{kind: kindTimeout, detail: "the run was stopped", done: time.Now()}
			continue
		}
		select {
		case slots <- struct{}{}:
		default:
			samples[i] = sample{kind: kindShed, detail: "due while the in-flight bound was reached", done: time.Now()}
			continue
		}
		sent := time.Now()
		wg.Go(func() {
			defer func() { <-slots }()
			rctx, cancel := context.WithTimeout(ctx, timeout)
			err := ep.do(rctx, first+int64(i))
			cancel()
			now := time.Now()
			s := sample{lat: now.Sub(due), lag: sent.Sub(due), done: now}
			switch {
			case err != nil && context.Cause(ctx) == errCut:
				s.kind, s.detail = kindCut, errCut.Error()
			case err != nil:
				s.kind, s.detail = kindOf(err)
			}
			samples[i] = s
		})
	}
	drained := make(chan struct{})
	go func() { wg.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(drainLimit):
		cut(errCut)
		<-drained
	}
	return summarize(samples, rate, d, start)
}

func summarize(samples []sample, rate float64, d time.Duration, start time.Time) step {
	st := step{rate: rate, duration: d, issued: len(samples), errors: map[string]int{}, examples: map[string]string{}}
	last := start.Add(d)
	var firstOK, lastOK time.Time
	lags := make([]time.Duration, 0, len(samples))
	for _, s := range samples {
		if s.done.After(last) {
			last = s.done
		}
		if s.kind != "" {
			st.errors[s.kind]++
			if _, ok := st.examples[s.kind]; !ok {
				st.examples[s.kind] = s.detail
			}
			if s.kind == kindShed {
				continue
			}
		} else {
			st.ok++
			st.lat = append(st.lat, s.lat)
			if firstOK.IsZero() || s.done.Before(firstOK) {
				firstOK = s.done
			}
			if s.done.After(lastOK) {
				lastOK = s.done
			}
		}
		lags = append(lags, s.lag)
	}
	slices.Sort(st.lat)
	slices.Sort(lags)
	st.lagP99 = benchkit.Percentile(lags, 99)
	st.elapsed = last.Sub(start)
	st.answered = lastOK.Sub(firstOK)
	return st
}

// judge says why a step did not hold, or "" if it did: more than 1% of
// requests erred, fewer than 90% of the offered rate was answered, or p99
// passed the endpoint's limit.
func judge(s *step, limit time.Duration) string {
	switch errShare := float64(s.errorCount()) / float64(s.issued); {
	case errShare > maxErrorShare:
		return "errors " + pct(errShare)
	case s.achieved() < minAchievedRate*s.rate:
		return "achieved " + pct(s.achieved()/s.rate) + " of offered"
	case s.percentile(99) > limit:
		return "p99 over " + limit.String()
	}
	return ""
}
