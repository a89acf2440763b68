// Command soak is `make soak`: the long forms of the crash harness, every
// fuzz target and the security suite, one after another, and one table of
// what they did. Each part runs as `go test`, exactly as in `make test` but
// for longer, and reports its figures in a line this program reads:
//
//	CRASH-FIGURES {json}                from faults/crash, one per mode
//	fuzz: elapsed: 1m0s, execs: 123456  from go test -fuzz, the last one counts
//	SECURITY-CASES tried=N refused=N    from the security tests in server
//
// It exits non-zero when a part fails or a loss or duplicate is counted.
//
//	go run ./bench/soak                          # 10 minutes of kills, 1 minute per fuzz target
//	go run ./bench/soak -crash 30m -fuzz 5m
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/returnbench/returnbench/faults/crash"
)

// fuzzTarget is one Fuzz function and the package it lives in.
type fuzzTarget struct{ pkg, name string }

// fuzzTargets are every fuzz target of the project; a new one must be
// added here, and the test in main_test.go checks that none is missing.
var fuzzTargets = []fuzzTarget{
	{"./labels", "FuzzClassify"},
	{"./reports", "FuzzReader"},
	{"./reports", "FuzzParseRefundEmail"},
	{"./media", "FuzzTusHeaders"},
	{"./media", "FuzzUploadDeclaration"},
	{"./media", "FuzzSniff"},
	{"./sync", "FuzzCursor"},
	{"./sync", "FuzzPushRequest"},
	{"./server", "FuzzSyncPush"},
	{"./server", "FuzzSyncPushBody"},
}

type summary struct {
	crash      []crash.Figures
	fuzzExecs  map[string]int64
	secTried   int64
	secRefused int64
	failures   []string
}

func main() {
	crashFor := flag.Duration("crash", 10*time.Minute, "how long the crash harness kills and restarts, per mode")
	fuzzFor := flag.Duration("fuzz", time.Minute, "how long each fuzz target runs")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s := run(ctx, *crashFor, *fuzzFor, os.Stderr)
	s.print(os.Stdout)
	if len(s.failures) > 0 {
		os.Exit(1)
	}
}

// run runs every part, streaming each one's output to log as it goes.
func run(ctx context.Context, crashFor, fuzzFor time.Duration, log io.Writer) *summary {
	s := &summary{fuzzExecs: map[string]int64{}}
	fail := func(part string, err error) { s.failures = append(s.failures, fmt.Sprintf("%s: %v", part, err)) }

	out, err := goTest(ctx, log, []string{"RETURNBENCH_SOAK=" + crashFor.String()},
		"-count=1", "-v", "-timeout", (3*crashFor + 10*time.Minute).String(), "./faults/crash")
	if err != nil {
		fail("crash harness", err)
	}
	s.crash = crashLines(out)
	if len(s.crash) == 0 {
		fail("crash harness", errors.New("printed no CRASH-FIGURES"))
	}
	for _, f := range s.crash {
		if f.Losses > 0 || f.Duplicates > 0 || f.Violations > 0 {
			fail("crash harness "+f.Mode, fmt.Errorf("%d losses, %d duplicates, %d other broken invariants (seed %d)",
				f.Losses, f.Duplicates, f.Violations, f.Seed))
		}
	}

	for _, t := range fuzzTargets {
		out, err := goTest(ctx, log, nil, "-run=^$", "-fuzz=^"+t.name+"$", "-fuzztime="+fuzzFor.String(), "-parallel", "2", t.pkg)
		if err != nil {
			fail(t.name, err)
		}
		s.fuzzExecs[t.name] = lastExecs(out)
	}

	out, err = goTest(ctx, log, nil, "-count=1", "-v", "-run", "Security", "./server")
	if err != nil {
		fail("security suite", err)
	}
	s.secTried, s.secRefused = securityCases(out)
	if s.secTried == 0 {
		fail("security suite", errors.New("printed no SECURITY-CASES"))
	}
	return s
}

// goTest runs go test with args, its output going to log as it comes and
// kept for reading the figures.
func goTest(ctx context.Context, log io.Writer, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", append([]string{"test"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var buf bytes.Buffer
	cmd.Stdout = io.MultiWriter(&buf, log)
	cmd.Stderr = cmd.Stdout
	fmt.Fprintf(log, "\n== go test %s\n", strings.Join(args, " "))
	err := cmd.Run()
	return buf.Bytes(), err
}

func crashLines(out []byte) []crash.Figures {
	var all []crash.Figures
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		_, rest, ok := strings.Cut(sc.Text(), "CRASH-FIGURES ")
		var f crash.Figures
		if ok && json.Unmarshal([]byte(rest), &f) == nil {
			all = append(all, f)
		}
	}
	return all
}

var execsLine = regexp.MustCompile(`execs: (\d+)`)

// lastExecs is the execution count of the last progress line go test
// -fuzz printed: the total of the run.
func lastExecs(out []byte) int64 {
	m := execsLine.FindAllSubmatch(out, -1)
	if len(m) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(string(m[len(m)-1][1]), 10, 64)
	return n
}

var securityLine = regexp.MustCompile(`SECURITY-CASES tried=(\d+) refused=(\d+)`)

// securityCases adds up every SECURITY-CASES line.
func securityCases(out []byte) (tried, refused int64) {
	for _, m := range securityLine.FindAllSubmatch(out, -1) {
		t, _ := strconv.ParseInt(string(m[1]), 10, 64)
		r, _ := strconv.ParseInt(string(m[2]), 10, 64)
		tried, refused = tried+t, refused+r
	}
	return tried, refused
}

func (s *summary) print(w io.Writer) {
	fmt.Fprintln(w, "\nsoak summary")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "crash mode\tseed\tkills survived\trestarts\tuploads resumed\tbytes uploaded\tfiles verified\tmutations acknowledged\tlosses\tduplicates\t")
	for _, f := range s.crash {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", f.Mode, f.Seed, f.Kills, f.Restarts, f.UploadResumes,
			f.BytesUploaded, f.VerifiedFiles, f.MutationsAcked, f.Losses, f.Duplicates)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "fuzz target\texecutions\t")
	var total int64
	for _, t := range fuzzTargets {
		fmt.Fprintf(tw, "%s\t%d\t\n", t.name, s.fuzzExecs[t.name])
		total += s.fuzzExecs[t.name]
	}
	fmt.Fprintf(tw, "all\t%d\t\n", total)
	tw.Flush()
	fmt.Fprintf(w, "\nsecurity cases tried %d, refused %d\n", s.secTried, s.secRefused)
	if len(s.failures) == 0 {
		fmt.Fprintln(w, "\nresult: PASS")
		return
	}
	fmt.Fprintln(w, "\nresult: FAIL")
	for _, f := range s.failures {
		fmt.Fprintln(w, "  "+f)
	}
}
