package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/returnbench/returnbench/labels"
	"github.com/returnbench/returnbench/reports"
)

// TestRun runs every step with small reports: it proves the bench works, in
// seconds; its figures mean nothing and are not looked at.
func TestRun(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		out := mustRun(t, "-rows", "5000", "-small-rows", "500")
		for _, want := range []string{"5,000 rows", "500 rows", "raw SQL: multi-row INSERTs", "POST /api/v1/imports, new rows",
			"POST /api/v1/imports again, all unchanged", "SQLite, 5,000 rows: the import answered inserted 5,000, rejected 0",
			"unchanged 5,000; the database holds 5,000 returns", "SQLite: 10x the rows -> import peak x"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		out := mustRun(t, "-rows", "1000", "-small-rows", "0", "-postgres")
		for _, want := range []string{"PostgreSQL, 1,000 rows: the import answered inserted 1,000, rejected 0",
			"unchanged 1,000; the database holds 1,000 returns"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
}

// mustRun runs the bench with args in a temp dir of its own and checks
// that it leaves nothing behind.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	opts, err := parseFlags(append([]string{"-cache", "", "-timeout", "2m"}, args...))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), opts, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temp dir left behind: %v", left)
	}
	return out.String()
}

// TestGeneratedReport reads a generated report the way the import does:
// every row must be a valid return with a unique licence plate, and the
// file must have what real ones have (quoted names, CR- reasons, offsets).
func TestGeneratedReport(t *testing.T) {
	const rows = 20_000
	f, err := reportFile(context.Background(), t.TempDir(), rows, 1)
	if err != nil {
		t.Fatal(err)
	}
	again, err := reportFile(context.Background(), t.TempDir(), rows, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := again.sha256, f.sha256; got != want {
		t.Errorf("same seed wrote sha256 %s, then %s", want, got)
	}
	file, err := os.Open(f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	rd, err := reports.NewReader(file)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rd.Format, reports.FBACustomerReturns; got != want {
		t.Fatalf("format %s, want %s", got, want)
	}
	lpns := map[string]bool{}
	var n, quotes, crPrefix, offsets, comments int
	for {
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rr, err := rd.ReturnOf(row)
		if err != nil {
			t.Fatalf("line %d: %v", row.Line, err)
		}
		n++
		ret := rr.Return
		if lpns[ret.LPN] {
			t.Fatalf("line %d: licence plate %s seen before", row.Line, ret.LPN)
		}
		lpns[ret.LPN] = true
		for code, kind := range map[string]labels.Kind{ret.LPN: labels.KindFBALPN, ret.OrderID: labels.KindAmazonOrder} {
			if m := labels.Classify(code); len(m) == 0 || m[0].Kind != kind {
				t.Fatalf("line %d: %q classifies as %+v, want %s", row.Line, code, m, kind)
			}
		}
		if strings.Contains(ret.ProductName, `"`) {
			quotes++
		}
		if strings.HasPrefix(ret.ReasonRaw, "CR-") {
			crPrefix++
		}
		if d := row.Get("return-date"); !strings.HasSuffix(d, "Z") && !strings.HasSuffix(d, "+00:00") {
			offsets++
		}
		if ret.BuyerComment != "" {
			comments++
		}
	}
	if n != rows {
		t.Errorf("read %d rows, want %d", n, rows)
	}
	for what, got := range map[string]int{"product names with quotes": quotes, "CR- reasons": crPrefix,
		"dates with an offset": offsets, "customer comments": comments} {
		if got < rows/20 {
			t.Errorf("%d %s in %d rows, want at least %d", got, what, rows, rows/20)
		}
	}
}

// TestReportFailure: a failed import is printed with what it stored, its
// re-import as skipped, and the run's error names it.
func TestReportFailure(t *testing.T) {
	ok := serverStep{timing: timing{rows: 100, elapsed: time.Second}, before: 70 << 20, peak: 80 << 20, hwm: 81 << 20, hwmStep: true}
	failed := serverStep{timing: timing{rows: 1000, elapsed: 300 * time.Second}, before: 70 << 20, peak: 90 << 20,
		err: errors.New("read: i/o timeout"), held: 420}
	results := []fileResult{
		{dialect: dbSQLite, file: report{rows: 1000, size: 1 << 20}, raw: timing{rows: 1000, elapsed: time.Second}, first: failed},
		{dialect: dbSQLite, file: report{rows: 100, size: 1 << 17}, raw: timing{rows: 100, elapsed: time.Second}, first: ok, again: ok},
	}
	var out bytes.Buffer
	printResults(&out, results)
	err := printFailures(&out, results)
	for _, want := range []string{"FAILED", "skipped: the import before it failed", "the import FAILED after 300.0 s, with 420 returns stored",
		"90.0 MiB*", "until it failed", "FAILED: SQLite, 1,000 rows, import: read: i/o timeout"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if err == nil || !strings.Contains(err.Error(), "i/o timeout") {
		t.Errorf("got error %v, want one naming the failure", err)
	}
}

func TestTenths(t *testing.T) {
	// 1000 rows: 500 in the first 5 s, 500 in the next 20 s.
	samples := []sample{{5 * time.Second, 500}, {15 * time.Second, 750}}
	got := tenths(samples, 1000, 25*time.Second, true)
	want := []float64{100, 100, 100, 100, 100, 25, 25, 25, 25, 25}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if d := got[i] - want[i]; d > 0.001 || d < -0.001 {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// A failed step: only as far as the samples go.
	if got := tenths(samples, 1000, 25*time.Second, false); len(got) != 7 {
		t.Errorf("got %v, want 7 tenths", got)
	}
}
