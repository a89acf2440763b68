// Command vulncheck turns a folder of Go vulnerability reports in the OSV
// format (the data/osv folder of the golang.org/x/vulndb module, or any
// mirror of it) into the database layout govulncheck reads from disk with
// -db file://DIR: index/db.json, index/modules.json, index/vulns.json and
// ID/<id>.json. The machines that run `make test` reach no web site but
// the Go module proxy, so the database must come as files.
//
//	go run ./tools/vulncheck -src DIR/data/osv -out DIR/db
//
// It prints the database's last modification time, so that the caller can
// refuse a stale one: an old database finds nothing new and proves little.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"
)

func main() {
	src := flag.String("src", "", "folder of OSV reports (<id>.json), searched recursively")
	out := flag.String("out", "", "folder to write the database to (replaced)")
	flag.Parse()
	if *src == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: vulncheck -src OSV_FOLDER -out DATABASE_FOLDER")
		os.Exit(2)
	}
	db, err := build(*src, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(1)
	}
	fmt.Printf("vulnerability database: %d reports on %d modules, last modified %s\n",
		db.reports, db.modules, db.modified.UTC().Format(time.RFC3339))
}

// report is what the index needs of one OSV report; the report itself is
// copied whole.
type report struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases"`
	Affected []struct {
		Package struct {
			Name      string `json:"name"`
			Ecosystem string `json:"ecosystem"`
		} `json:"package"`
	} `json:"affected"`
}

// moduleVuln leaves out the "fixed" hint of the published index: without
// it govulncheck reads every report of a module and decides from its
// version ranges itself, so no report is skipped on a wrong guess.
type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
}

type moduleEntry struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vulnEntry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

type summary struct {
	reports, modules int
	modified         time.Time
}

// idPattern is a report id safe to use as a file name.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func build(src, out string) (summary, error) {
	var s summary
	modules := map[string]*moduleEntry{}
	var vulns []vulnEntry
	tmp := out + ".new"
	if err := os.RemoveAll(tmp); err != nil {
		return s, err
	}
	if err := os.MkdirAll(filepath.Join(tmp, "ID"), 0o755); err != nil {
		return s, err
	}
	if err := os.MkdirAll(filepath.Join(tmp, "index"), 0o755); err != nil {
		return s, err
	}
	seen := map[string]bool{}
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var r report
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if !idPattern.MatchString(r.ID) || filepath.Base(path) != r.ID+".json" {
			return fmt.Errorf("%s: a report must be named after its id, got id %q", path, r.ID)
		}
		if seen[r.ID] {
			return fmt.Errorf("%s: report %s appears twice", path, r.ID)
		}
		seen[r.ID] = true
		if err := os.WriteFile(filepath.Join(tmp, "ID", r.ID+".json"), b, 0o644); err != nil {
			return err
		}
		if r.Modified.After(s.modified) {
			s.modified = r.Modified
		}
		vulns = append(vulns, vulnEntry{ID: r.ID, Modified: r.Modified, Aliases: r.Aliases})
		done := map[string]bool{}
		for _, a := range r.Affected {
			path := a.Package.Name
			if path == "" || done[path] {
				continue
			}
			done[path] = true
			m := modules[path]
			if m == nil {
				m = &moduleEntry{Path: path}
				modules[path] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: r.ID, Modified: r.Modified})
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	if len(vulns) == 0 {
		return s, errors.New("no OSV reports (<id>.json) in " + src)
	}
	index := make([]*moduleEntry, 0, len(modules))
	for _, m := range modules {
		sort.Slice(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		index = append(index, m)
	}
	sort.Slice(index, func(i, j int) bool { return index[i].Path < index[j].Path })
	sort.Slice(vulns, func(i, j int) bool { return vulns[i].ID < vulns[j].ID })
	for name, v := range map[string]any{"db.json": map[string]time.Time{"modified": s.modified}, "modules.json": index, "vulns.json": vulns} {
		b, err := json.Marshal(v)
		if err != nil {
			return s, err
		}
		if err := os.WriteFile(filepath.Join(tmp, "index", name), b, 0o644); err != nil {
			return s, err
		}
	}
	if err := os.RemoveAll(out); err != nil {
		return s, err
	}
	if err := os.Rename(tmp, out); err != nil {
		return s, err
	}
	s.reports, s.modules = len(vulns), len(index)
	return s, nil
}
