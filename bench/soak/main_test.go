package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every fuzz target in the project is soaked: one added without a line in
// fuzzTargets fails here.
func TestFuzzTargetsComplete(t *testing.T) {
	root := filepath.Join("..", "..")
	decl := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)
	var found []fuzzTarget
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, m := range decl.FindAllSubmatch(b, -1) {
			found = append(found, fuzzTarget{"./" + filepath.ToSlash(rel), string(m[1])})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		if !slices.Contains(fuzzTargets, f) {
			t.Errorf("fuzz target %s in %s is not in fuzzTargets", f.name, f.pkg)
		}
	}
	for _, f := range fuzzTargets {
		if !slices.Contains(found, f) {
			t.Errorf("fuzzTargets names %s in %s, which does not exist", f.name, f.pkg)
		}
	}
}

func TestReadFigures(t *testing.T) {
	out := []byte(`=== RUN   TestCrash
    crash_test.go:99: CRASH-FIGURES {"mode":"server-kill","seed":7,"kills":5,"restarts":5,"upload_resumes":12,"bytes_uploaded":1000,"verified_files":4,"mutations_acked":300,"losses":0,"duplicates":0}
fuzz: elapsed: 3s, execs: 1200 (400/sec), new interesting: 0 (total: 5)
fuzz: elapsed: 6s, execs: 2500 (433/sec), new interesting: 1 (total: 6)
    security_test.go:10: SECURITY-CASES tried=40 refused=40
    security_test.go:20: SECURITY-CASES tried=2 refused=1
`)
	if got := crashLines(out); len(got) != 1 || got[0].Kills != 5 || got[0].MutationsAcked != 300 || got[0].UploadResumes != 12 || got[0].VerifiedFiles != 4 || got[0].Mode != "server-kill" {
		t.Errorf("crash figures %+v", got)
	}
	if got := lastExecs(out); got != 2500 {
		t.Errorf("execs %d, want 2500", got)
	}
	if tried, refused := securityCases(out); tried != 42 || refused != 41 {
		t.Errorf("security cases %d/%d, want 42/41", tried, refused)
	}
}
