package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

const stepRow = "  %9s %10s %6s %7s %7s %7s %7s %7s %5s %5s %5s %7s  %-16s %-40s %s\n"

func printStepHeader(out io.Writer) {
	fmt.Fprintf(out, stepRow, "offered/s", "achieved/s", "ok", "p50 ms", "p99 ms", "max ms", "srv p99", "lag p99",
		"srv%", "bch%", "mch%", "srv RSS", "errors", "database", "verdict")
}

// printStep writes one step: the client's view (latency from when each
// request was due), the server's own p99 from its log, how late the bench
// was in sending (lag), and both processes' CPU in percent of one core.
func printStep(out io.Writer, s *step) {
	verdict := "held"
	if s.verdict != "" {
		verdict = "FAILED: " + s.verdict
	}
	fmt.Fprintf(out, stepRow, rate(s.rate), rate(s.achieved()), strconv.Itoa(s.ok), s.latency(50), s.latency(99),
		s.latency(100), ms(s.log.serverP99()), ms(s.lagP99), fmt.Sprintf("%.0f", s.server.cpu),
		fmt.Sprintf("%.0f", s.self.cpu), fmt.Sprintf("%.0f", 100*s.machine), mib(s.server.peakRSS), errorKinds(s), s.db, verdict)
}

// printLadder says where the endpoint saturated and shows the evidence of
// the first step that did not hold: its errors and the server's error lines.
func printLadder(out io.Writer, l *ladder) {
	ep := l.endpoint
	if l.held == nil {
		fmt.Fprintf(out, "  %s on %s: no step held; the lowest tried, %s/s, failed: %s\n", ep.name, l.dialect, rate(l.broke.rate), l.broke.verdict)
	} else {
		h := l.held
		fmt.Fprintf(out, "  %s on %s held %s/s (%s %s/s), p50 %s ms, p99 %s ms; p50 %.1fx the first step's\n",
			ep.name, l.dialect, rate(h.rate), rate(h.achieved()*ep.unit), ep.units, ms(h.percentile(50)), ms(h.percentile(99)),
			ratio(h.percentile(50), l.steps[0].percentile(50)))
	}
	if l.broke == nil {
		fmt.Fprintf(out, "  it never failed up to -max-rate\n")
		return
	}
	b := l.broke
	fmt.Fprintf(out, "  first to break, at %s/s: %s; server CPU %.0f%%, bench CPU %.0f%%, machine %.0f%% busy, server RSS %s, %d threads; %s\n",
		rate(b.rate), b.verdict, b.server.cpu, b.self.cpu, 100*b.machine, mib(b.server.peakRSS), b.server.threads, b.db)
	for _, k := range sortedKeys(b.errors) {
		fmt.Fprintf(out, "    %d x %s, e.g. %.200s\n", b.errors[k], k, oneLine(b.examples[k]))
	}
	if len(b.log.statuses) > 0 {
		fmt.Fprintf(out, "    server log: %d requests, statuses %s\n", b.log.requests, countList(b.log.statuses))
	}
	for _, k := range sortedKeys(b.log.errors) {
		fmt.Fprintf(out, "    server log: %d x ERROR %s\n", b.log.errors[k], oneLine(k))
	}
}

// printSummary is the table at the end: the saturation point of every
// endpoint on every database, and PostgreSQL's against SQLite's.
func printSummary(out io.Writer, ladders []ladder, dialects, endpoints []string) {
	fmt.Fprintf(out, "\n== saturation: the highest offered rate that held ==\n")
	head := []string{"endpoint"}
	for _, d := range dialects {
		head = append(head, d)
	}
	if len(dialects) == 2 {
		head = append(head, dialects[1]+" / "+dialects[0])
	}
	fmt.Fprintf(out, "%-8s", head[0])
	for _, h := range head[1:] {
		fmt.Fprintf(out, "  %-34s", h)
	}
	fmt.Fprintln(out)
	find := func(ep, d string) *ladder {
		for i := range ladders {
			if ladders[i].endpoint.name == ep && ladders[i].dialect == d {
				return &ladders[i]
			}
		}
		return nil
	}
	for _, ep := range endpoints {
		fmt.Fprintf(out, "%-8s", ep)
		var held []float64
		for _, d := range dialects {
			l := find(ep, d)
			cell := "not run"
			switch {
			case l == nil:
			case l.held == nil:
				cell = "none held (< " + rate(l.broke.rate) + "/s)"
				held = append(held, 0)
			default:
				cell = fmt.Sprintf("%s/s = %s %s/s", rate(l.held.rate), rate(l.held.achieved()*l.endpoint.unit), l.endpoint.units)
				held = append(held, l.held.rate)
			}
			fmt.Fprintf(out, "  %-34s", cell)
		}
		if len(held) == 2 && held[0] > 0 {
			fmt.Fprintf(out, "  %.2fx", held[1]/held[0])
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "\nwhat broke first (the lowest rate that did not hold):\n")
	for _, ep := range endpoints {
		for _, d := range dialects {
			l := find(ep, d)
			if l == nil {
				continue
			}
			if l.broke == nil {
				fmt.Fprintf(out, "  %-6s %-10s nothing up to -max-rate\n", ep, d)
				continue
			}
			b := l.broke
			fmt.Fprintf(out, "  %-6s %-10s at %s/s: %s (p99 %s ms, server p99 %s ms; CPU: server %.0f%%, bench %.0f%%, machine %.0f%% busy; %s)\n",
				ep, d, rate(b.rate), b.verdict, b.latency(99), ms(b.log.serverP99()), b.server.cpu, b.self.cpu, 100*b.machine, b.db)
		}
	}
}

// errorKinds lists a step's errors by kind: "12 shed, 3 http 503".
func errorKinds(s *step) string {
	if len(s.errors) == 0 {
		return "0"
	}
	return countList(s.errors)
}

func countList(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func rate(r float64) string {
	if r >= 100 {
		return fmt.Sprintf("%.0f", r)
	}
	return fmt.Sprintf("%.1f", r)
}

// latency is a percentile of the step's good answers in ms, or "-" when
// there were none.
func (s *step) latency(p float64) string {
	if len(s.lat) == 0 {
		return "-"
	}
	return ms(s.percentile(p))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

func pct(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }

func round(d time.Duration) time.Duration {
	if d > 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
