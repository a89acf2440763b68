package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
)

// small is a run that exercises every step on both databases in seconds;
// its figures mean nothing and are not looked at.
func small() options {
	o, err := parseFlags([]string{"-rows", "2000", "-batches", "3", "-warmup", "1", "-clients", "2",
		"-batch-size", "10", "-updates", "0.3", "-pulls", "10", "-page", "100"})
	if err != nil {
		panic(err)
	}
	o.Timeout = 2 * time.Minute
	return o
}

func TestRun(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		var out bytes.Buffer
		if err := run(context.Background(), small(), &out); err != nil {
			t.Fatalf("run: %v\n%s", err, out.String())
		}
		got := out.String()
		for _, want := range []string{"== SQLite ==", "== PostgreSQL ==", "filled the feed with 2000 changes",
			"HTTP push (sync protocol)", "GORM, 3 writes, own seqs", "GORM, 3 writes + head lock",
			"direct SQL", "store.Changes (GORM)", "HTTP pull",
			"push on SQLite: ", "(goal ≥ 5000)", "pull p99 on SQLite: ", "pull p99 on PostgreSQL: ", "(goal < 50 ms)"} {
			if !strings.Contains(got, want) {
				t.Errorf("output lacks %q:\n%s", want, got)
			}
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("temp dir left behind: %v", left)
		}
		name := regexp.MustCompile(`rb_bench_[0-9a-f]+`).FindString(got)
		if name == "" {
			t.Fatalf("output names no PostgreSQL database:\n%s", got)
		}
		if databaseExists(t, name) {
			t.Errorf("database %s left behind", name)
		}
	})
	t.Run("ErrBadFlags", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"-db", "mysql"}, `-db "mysql"`},
			{[]string{"-rows", "100", "-page", "500"}, "must be more than -page"},
			{[]string{"-postgres", "postgres://postgres@db.example.com/postgres"}, "only uses a PostgreSQL server on loopback"},
			{[]string{"-updates", "2"}, "-updates is a share"},
		} {
			o, err := parseFlags(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			err = run(context.Background(), o, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: got error %v, want one containing %q", tc.args, err, tc.want)
			}
		}
	})
}

func databaseExists(tb testing.TB, name string) bool {
	tb.Helper()
	admin, err := sql.Open("pgx", benchkit.DefaultPostgres())
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n > 0
}
