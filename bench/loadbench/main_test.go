package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/returnbench/returnbench/labels"
)

// TestRun climbs every ladder on both databases with a tiny report, short
// steps and a low ceiling: it proves the bench works, in seconds; its
// figures mean nothing and are not looked at.
func TestRun(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	opts, err := parseFlags([]string{"-returns", "2000", "-report-files", "2", "-step", "300ms", "-refine", "1",
		"-start", "scan=10,pull=5,push=5,upload=5", "-max-rate", "20", "-upload-size", "64KiB", "-run-timeout", "3m"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), opts, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{"load average", "report: 2000 rows in 2 files", "== SQLite ==", "== PostgreSQL ==",
		"seeded 2000 returns through POST /api/v1/imports", "scan on SQLite: GET /api/v1/scan/{code}",
		"pull on PostgreSQL: GET /api/v1/sync/pull", "push on SQLite: POST /api/v1/sync/push, 50 new inspection.save",
		"upload on PostgreSQL: tus POST /api/v1/uploads + PATCH of a 64.0 KiB photo", "conns ",
		"== saturation: the highest offered rate that held ==", "what broke first"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	// Any answer that is not what the request should get is a bug, in the
	// bench or the server, whatever the load.
	if strings.Contains(got, " wrong") {
		t.Errorf("some requests got wrong answers:\n%s", got)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temp dir left behind: %v", left)
	}
	assertDropped(t, opts.Postgres, got)
}

// assertDropped wants the PostgreSQL database the run printed gone.
func assertDropped(t *testing.T, adminURL, out string) {
	t.Helper()
	m := regexp.MustCompile(`database rb_load_[0-9a-f]+`).FindString(out)
	if m == "" {
		t.Fatalf("the output names no PostgreSQL database:\n%s", out)
	}
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", strings.TrimPrefix(m, "database ")).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%s was not dropped", m)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ErrPostgresNotLoopback", []string{"-postgres", "postgres://postgres@db.example.com:5432/postgres"}, "only uses a PostgreSQL server on loopback"},
		{"ErrUnknownEndpoint", []string{"-endpoints", "scan,export"}, `unknown "export"`},
		{"ErrDB", []string{"-db", "mysql"}, "want sqlite, postgres or both"},
		{"ErrReportFiles", []string{"-returns", "10", "-report-files", "11"}, "-report-files at most -returns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := parseFlags(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			err = run(context.Background(), opts, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
	t.Run("ErrLimits", func(t *testing.T) {
		if _, err := parseFlags([]string{"-limits", "scan=fast"}); err == nil {
			t.Error("parseFlags accepted -limits scan=fast")
		}
	})
}

// TestClientLoopbackOnly: the load client dials nothing but loopback,
// whatever address it is handed.
func TestClientLoopbackOnly(t *testing.T) {
	_, err := newClient(1).Get("http://192.0.2.1:8080/healthz")
	if err == nil || !strings.Contains(err.Error(), "only loads a server on a loopback address") {
		t.Errorf("got %v, want the dialer's refusal", err)
	}
}

// TestOfferOpenLoop: requests are sent when due, not when the one before
// answers, so a server that serves one at a time at half the offered rate
// shows the queue in the latencies (a closed loop would report 20 ms).
func TestOfferOpenLoop(t *testing.T) {
	var serial sync.Mutex
	var out atomic.Int64
	ep := endpoint{name: "serial", do: func(ctx context.Context, n int64) error {
		out.Add(1)
		defer out.Add(-1)
		serial.Lock()
		defer serial.Unlock()
		time.Sleep(20 * time.Millisecond)
		return nil
	}}
	st := offer(context.Background(), ep, 100, 500*time.Millisecond, 512, 5*time.Second, 0)
	if st.issued != 50 || st.ok != 50 {
		t.Fatalf("issued %d, ok %d; want 50 and 50 (errors %v)", st.issued, st.ok, st.errors)
	}
	// 50 requests at 20 ms each take a second to serve; the last was due
	// at 490 ms, so it waited about half a second.
	if p := st.percentile(100); p < 300*time.Millisecond {
		t.Errorf("max latency %s, want the queue's (about 500 ms)", p)
	}
	if a := st.achieved(); a > 75 {
		t.Errorf("achieved %.0f/s, want about 50/s, the server's pace", a)
	}
	if v := judge(&st, time.Second); !strings.HasPrefix(v, "achieved") {
		t.Errorf("verdict %q, want the achieved rate's", v)
	}
}

// TestOfferSheds: a request due while the in-flight bound is reached is
// not sent and counts as an error of its own kind.
func TestOfferSheds(t *testing.T) {
	release := make(chan struct{})
	var sent atomic.Int64
	ep := endpoint{name: "stuck", do: func(ctx context.Context, n int64) error {
		sent.Add(1)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	time.AfterFunc(400*time.Millisecond, func() { close(release) })
	st := offer(context.Background(), ep, 100, 200*time.Millisecond, 2, 5*time.Second, 0)
	if got := sent.Load(); got != 2 {
		t.Errorf("sent %d requests, want 2 (the bound)", got)
	}
	if st.ok != 2 || st.errors[kindShed] != 18 {
		t.Errorf("ok %d, errors %v; want 2 ok and 18 shed", st.ok, st.errors)
	}
	if v := judge(&st, time.Second); !strings.HasPrefix(v, "errors") {
		t.Errorf("verdict %q, want the errors'", v)
	}
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&failure{kind: "http 503", detail: "busy"}, "http 503"},
		{context.DeadlineExceeded, kindTimeout},
		{errors.New("unexpected"), "other"},
	} {
		if got, _ := kindOf(tc.err); got != tc.want {
			t.Errorf("kindOf(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestReadLog(t *testing.T) {
	path := t.TempDir() + "/server.log"
	log := `time=2026-01-01T00:00:00Z level=INFO msg=request method=GET path=/api/v1/scan/X route=/api/v1/scan/* status=200 ms=3 ip=127.0.0.1 request_id=a
time=2026-01-01T00:00:00Z level=ERROR msg="internal error" request_id=b path=/api/v1/sync/push err="database is locked"
time=2026-01-01T00:00:00Z level=ERROR msg=request method=POST path=/api/v1/sync/push route=/api/v1/sync/push status=500 ms=120 ip=127.0.0.1 request_id=b
`
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	l := readLog(path, 0)
	if l.requests != 2 || l.statuses["200"] != 1 || l.statuses["500"] != 1 {
		t.Errorf("requests %d, statuses %v; want 2, one 200 and one 500", l.requests, l.statuses)
	}
	if got, want := l.serverP99(), 120*time.Millisecond; got != want {
		t.Errorf("server p99 %s, want %s", got, want)
	}
	if l.errors["internal error: database is locked"] != 1 {
		t.Errorf("errors %v, want the internal error with its cause", l.errors)
	}
}

// TestMakeReport: the generated codes are what the scan ladder says they
// are, by the server's own classifier, and the files hold every row once.
func TestMakeReport(t *testing.T) {
	r := makeReport(5000, 3, 1)
	if len(r.files) != 3 {
		t.Fatalf("%d files, want 3", len(r.files))
	}
	rows, plates := 0, map[string]bool{}
	for _, f := range r.files {
		lines := strings.Split(strings.TrimSuffix(string(f), "\n"), "\n")
		if lines[0] != reportHeader {
			t.Fatalf("a file starts %q, want the header", lines[0])
		}
		for _, l := range lines[1:] {
			fields := strings.Split(l, "\t")
			if len(fields) != 13 {
				t.Fatalf("row %q has %d fields, want 13", l, len(fields))
			}
			plates[fields[11]] = true
			rows++
		}
	}
	if rows != 5000 || len(plates) != 5000 {
		t.Errorf("%d rows, %d licence plates; want 5000 of each", rows, len(plates))
	}
	absent := 0
	for _, c := range r.codes {
		m := labels.Classify(c.value)
		if len(m) == 0 || (m[0].Kind != labels.KindFBALPN && m[0].Kind != labels.KindAmazonOrder) {
			t.Fatalf("Classify(%q) = %+v, want a licence plate or an order id", c.value, m)
		}
		if m[0].Kind == labels.KindFBALPN && plates[c.value] != c.present {
			t.Fatalf("%q present: %t, but the report says %t", c.value, c.present, plates[c.value])
		}
		if !c.present {
			absent++
		}
	}
	if absent == 0 || absent == len(r.codes) {
		t.Errorf("%d of %d codes absent, want some and not all", absent, len(r.codes))
	}
}

func TestNiceRate(t *testing.T) {
	for in, want := range map[float64]float64{113.1: 110, 1131: 1100, 56.57: 57, 7.071: 7.1} {
		if got := niceRate(in); got < want*0.999 || got > want*1.001 {
			t.Errorf("niceRate(%g) = %g, want %g", in, got, want)
		}
	}
}
