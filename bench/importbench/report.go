package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/returnbench/returnbench/bench/benchkit"
)

func printFiles(out io.Writer, dir string, files []report) {
	fmt.Fprintf(out, "report files in %s:\n", dir)
	for _, f := range files {
		how := "from the cache"
		if f.made > 0 {
			how = fmt.Sprintf("generated in %.1f s", f.made.Seconds())
		}
		fmt.Fprintf(out, "  %9s rows  %10s  %5.0f bytes/row  sha256 %s  %s\n", commas(int64(f.rows)), benchkit.MiB(f.size),
			float64(f.size)/float64(f.rows), f.sha256[:16], how)
	}
}

// printResults writes one table per database, each import against the raw
// inserts of the same file, the checks that passed, and the peak memory of
// every file side by side.
func printResults(out io.Writer, results []fileResult) {
	const line = "%-44s %9s %8s %9s %6s %7s %6s %7s %7s %10s %15s %10s\n"
	dialect := ""
	for _, r := range results {
		if r.dialect != dialect {
			if dialect != "" {
				fmt.Fprintln(out)
			}
			dialect = r.dialect
			fmt.Fprintf(out, line, dialect, "rows", "seconds", "rows/s", "MiB/s", "vs raw", "CPU s", "server", "others", "RSS before", "RSS peak (n)", "VmHWM")
		}
		raw := r.raw.rowsPerSec()
		row := func(name string, t timing, s *serverStep) {
			if s != nil && !s.ran() {
				fmt.Fprintf(out, "%-44s %s\n", name, "skipped: the import before it failed")
				return
			}
			rows, ratio := int64(t.rows), "1"
			mibps := fmt.Sprintf("%.2f", float64(r.file.size)/(1<<20)/t.elapsed.Seconds())
			if s != nil {
				ratio = fmt.Sprintf("%.3fx", t.rowsPerSec()/raw)
				if s.err != nil {
					// The rows its committed batches stored, at the rate they were stored.
					rows, ratio, mibps = max(0, s.held), "FAILED", "-"
				}
			}
			server, before, peak, hwm := "-", "-", "-", "-"
			if s != nil {
				server = fmt.Sprintf("%.1f", t.serverCPU.Seconds())
				before, peak = benchkit.MiB(s.before), fmt.Sprintf("%s (%d)", benchkit.MiB(s.peak), s.samples)
				hwm = benchkit.MiB(s.hwm)
				if !s.hwmStep {
					hwm += " (life)"
				}
			}
			fmt.Fprintf(out, line, name, commas(rows), fmt.Sprintf("%.2f", t.elapsed.Seconds()),
				commas(int64(float64(rows)/t.elapsed.Seconds())), mibps,
				ratio, fmt.Sprintf("%.1f", t.benchCPU.Seconds()), server, fmt.Sprintf("%.1f", t.othersCPU.Seconds()), before, peak, hwm)
		}
		row("raw SQL: multi-row INSERTs, 1000 rows/tx", r.raw, nil)
		row("POST /api/v1/imports, new rows", r.first.timing, &r.first)
		row("POST /api/v1/imports again, all unchanged", r.again.timing, &r.again)
	}
	fmt.Fprintf(out, "(seconds: wall time, first byte sent to the answer read; MiB/s: of the report file;\n"+
		" vs raw: rows/s against the raw inserts of the same file on the same database, in this run;\n"+
		" CPU s: user + system seconds of the bench, the server process and everything else on the machine\n"+
		" (other programs, the kernel: they compete for the same %d cores and make figures vary) during the step;\n"+
		" RSS before: the server's VmRSS just before the POST; RSS peak: the highest of (n) samples every %s;\n"+
		" VmHWM: the kernel's peak RSS of the server, reset before each step (\"life\": since it started);\n"+
		" FAILED: the POST failed; rows: those its committed batches stored; seconds: until the server stopped\n"+
		" taking the body (or failed); rows/s: stored rows over those seconds)\n",
		runtime.NumCPU(), rssSampleTick)

	fmt.Fprintf(out, "\nnew rows/s by tenth of the file, first to last (from counts of the returns every %s):\n", countTick)
	for _, r := range results {
		s := r.first
		var rates []string
		for _, v := range tenths(s.stored, int64(r.file.rows), s.elapsed, s.err == nil) {
			rates = append(rates, commas(int64(v)))
		}
		switch {
		case s.elapsed < 6*countTick:
			rates = []string{"(too short to tell)"}
		case s.err != nil:
			rates = append(rates, "(failed)")
		}
		fmt.Fprintf(out, "  %-10s %9s  %s\n", r.dialect, commas(int64(r.file.rows)), strings.Join(rates, " "))
	}

	fmt.Fprintf(out, "\nchecked:\n")
	for _, r := range results {
		switch {
		case r.first.err != nil:
			fmt.Fprintf(out, "  %s, %s rows: the import FAILED after %.1f s, with %s returns stored (below)\n",
				r.dialect, commas(int64(r.file.rows)), r.first.elapsed.Seconds(), commas(r.first.held))
		case r.again.err != nil:
			fmt.Fprintf(out, "  %s, %s rows: the import answered inserted %s, rejected %d, sha256 of the file; the re-import FAILED (below)\n",
				r.dialect, commas(int64(r.file.rows)), commas(r.first.answer.Inserted), r.first.answer.RejectedCount)
		default:
			fmt.Fprintf(out, "  %s, %s rows: the import answered inserted %s, rejected %d, sha256 of the file; the re-import\n"+
				"    unchanged %s; the database holds %s returns and %s changes, all at version %d, after both\n",
				r.dialect, commas(int64(r.file.rows)), commas(r.first.answer.Inserted), r.first.answer.RejectedCount,
				commas(r.again.answer.Unchanged), commas(r.contents.returns), commas(r.contents.changes), r.contents.maxVersion)
		}
	}

	fmt.Fprintf(out, "\nserver memory by file size (peak: the higher of the samples and VmHWM, per step; * until it failed):\n")
	const mline = "  %-12s %11s %12s %12s %14s %14s\n"
	fmt.Fprintf(out, mline, "database", "rows", "file", "RSS before", "import peak", "re-import peak")
	peak := func(s serverStep) string {
		switch {
		case !s.ran():
			return "-"
		case s.err != nil:
			return benchkit.MiB(s.peakRSS()) + "*"
		}
		return benchkit.MiB(s.peakRSS())
	}
	for _, r := range results {
		fmt.Fprintf(out, mline, r.dialect, commas(int64(r.file.rows)), benchkit.MiB(r.file.size), benchkit.MiB(r.first.before),
			peak(r.first), peak(r.again))
	}
	for i, big := range results {
		for _, small := range results[i+1:] {
			if small.dialect != big.dialect || small.file.rows >= big.file.rows {
				continue
			}
			line := fmt.Sprintf("  %s: %.0fx the rows -> import peak x%.2f (%s -> %s%s); above RSS before: %s -> %s",
				big.dialect, float64(big.file.rows)/float64(small.file.rows),
				float64(big.first.peakRSS())/float64(small.first.peakRSS()), benchkit.MiB(small.first.peakRSS()), benchkit.MiB(big.first.peakRSS()),
				map[bool]string{true: ", until it failed"}[big.first.err != nil],
				benchkit.MiB(small.first.peakRSS()-small.first.before), benchkit.MiB(big.first.peakRSS()-big.first.before))
			if big.again.ran() && small.again.ran() {
				line += fmt.Sprintf("; re-import peak x%.2f", float64(big.again.peakRSS())/float64(small.again.peakRSS()))
			}
			fmt.Fprintln(out, line)
		}
	}
	if m, err := benchkit.ReadMemory(0); err == nil {
		fmt.Fprintf(out, "  bench process (generator, raw inserts, streamed POST): VmHWM %s\n", benchkit.MiB(m.HWM))
	}
}

func joinRows(sizes []int) string {
	var s []string
	for _, n := range sizes {
		s = append(s, commas(int64(n))+" rows")
	}
	return strings.Join(s, " and ")
}

// commas writes n with thousands separators: 1,000,000.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// printFailures writes why each failed step failed, and returns the
// failures as the run's error.
func printFailures(out io.Writer, results []fileResult) error {
	var errs []error
	for _, r := range results {
		for _, s := range []struct {
			name string
			step serverStep
		}{{"import", r.first}, {"re-import", r.again}} {
			if s.step.err == nil {
				continue
			}
			err := fmt.Errorf("%s, %s rows, %s: %w", r.dialect, commas(int64(r.file.rows)), s.name, s.step.err)
			fmt.Fprintf(out, "\nFAILED: %v\n", err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
