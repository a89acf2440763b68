package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/returnbench/returnbench/labels"
)

// small is a run that exercises every step in a second or two; its figures
// mean nothing and are not looked at.
func small(dir string) options {
	return options{Rows: 2000, Dir: dir, Lookups: 200, Concurrency: 2, Seed: 1}
}

func TestRun(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		out := mustRun(t, small(""))
		for _, want := range []string{"loading 2000 returns", "direct SQL plan: MULTI-INDEX OR",
			"direct SQL ", "store ", "HTTP API ", "scan p99 at 2000 rows: "} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("temp dir left behind: %v", left)
		}
	})
	t.Run("ReusesDir", func(t *testing.T) {
		dir := t.TempDir()
		mustRun(t, small(dir))
		if out := mustRun(t, small(dir)); !strings.Contains(out, "reusing 2000 returns") {
			t.Errorf("second run did not reuse the database:\n%s", out)
		}
	})
	t.Run("ErrRowCountDiffers", func(t *testing.T) {
		dir := t.TempDir()
		mustRun(t, small(dir))
		opts := small(dir)
		opts.Rows = 1000
		err := run(context.Background(), opts, &bytes.Buffer{})
		if got, want := errText(err), "holds 2000 returns, not 1000"; !strings.Contains(got, want) {
			t.Errorf("got error %q, want one containing %q", got, want)
		}
	})
}

// TestGeneratedCodes checks the generators against labels: a code labels
// misreads would time a lookup no real scan makes.
func TestGeneratedCodes(t *testing.T) {
	for _, tc := range []struct {
		want labels.Kind
		gen  func(*rand.Rand) string
	}{
		{labels.KindUPS, upsNumber},
		{labels.KindAmazonLogistics, amazonLogistics},
		{labels.KindAmazonOrder, amazonOrderID},
		{labels.KindAmazonRMA, amazonRMA},
		{labels.KindFBALPN, fbaLPN},
		{labels.KindFNSKU, fnsku},
	} {
		t.Run(string(tc.want), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			for range 1000 {
				v := tc.gen(rng)
				m := labels.Classify(v)
				if len(m) == 0 || m[0].Kind != tc.want || m[0].Value != v {
					t.Fatalf("Classify(%q) = %+v, want first match %s with the same value", v, m, tc.want)
				}
			}
		})
	}
}

func mustRun(tb testing.TB, opts options) string {
	tb.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), opts, &out); err != nil {
		tb.Fatalf("run: %v\n%s", err, out.String())
	}
	return out.String()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
