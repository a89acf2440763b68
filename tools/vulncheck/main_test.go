package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// osvReport is a report in the shape the Go vulnerability database
// publishes, for a module and a symbol of our own choosing.
func osvReport(id, module, modified string) string {
	return `{"schema_version":"1.3.1","id":"` + id + `","modified":"` + modified + `","published":"2026-01-01T00:00:00Z",` +
		`"aliases":["CVE-2026-0001"],"summary":"test report","affected":[{"package":{"name":"` + module + `","ecosystem":"Go"},` +
		`"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"9.9.9"}]}],` +
		`"ecosystem_specific":{"imports":[{"path":"` + module + `","symbols":["New"]}]}}]}`
}

func TestBuild(t *testing.T) {
	src := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("GO-2026-0001.json", osvReport("GO-2026-0001", "example.com/a", "2026-02-01T00:00:00Z"))
	write("more/GO-2026-0002.json", osvReport("GO-2026-0002", "example.com/b", "2026-03-01T00:00:00Z"))
	write("README.md", "not a report")
	out := filepath.Join(t.TempDir(), "db")

	t.Run("OK", func(t *testing.T) {
		s, err := build(src, out)
		if err != nil {
			t.Fatal(err)
		}
		if s.reports != 2 || s.modules != 2 || !s.modified.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("summary %+v, want 2 reports, 2 modules, modified 2026-03-01", s)
		}
		var db struct{ Modified time.Time }
		mustJSON(t, filepath.Join(out, "index", "db.json"), &db)
		var modules []struct {
			Path  string
			Vulns []struct{ ID, Fixed string }
		}
		mustJSON(t, filepath.Join(out, "index", "modules.json"), &modules)
		if len(modules) != 2 || modules[0].Path != "example.com/a" || modules[0].Vulns[0].ID != "GO-2026-0001" || modules[0].Vulns[0].Fixed != "" {
			t.Fatalf("modules index %+v", modules)
		}
		var vulns []struct{ ID string }
		mustJSON(t, filepath.Join(out, "index", "vulns.json"), &vulns)
		if len(vulns) != 2 || !db.Modified.Equal(s.modified) {
			t.Fatalf("vulns index %+v, db %+v", vulns, db)
		}
		b, err := os.ReadFile(filepath.Join(out, "ID", "GO-2026-0002.json"))
		if err != nil || !strings.Contains(string(b), `"example.com/b"`) {
			t.Fatalf("report copied as %q (%v)", b, err)
		}
	})
	t.Run("ErrNameNotID", func(t *testing.T) {
		write("GO-2026-0003.json", osvReport("GO-2026-9999", "example.com/c", "2026-03-01T00:00:00Z"))
		defer os.Remove(filepath.Join(src, "GO-2026-0003.json"))
		if _, err := build(src, out); err == nil || !strings.Contains(err.Error(), "named after its id") {
			t.Fatalf("got %v, want a refusal", err)
		}
	})
	t.Run("ErrIDClimbs", func(t *testing.T) {
		write("x.json", osvReport("../x", "example.com/c", "2026-03-01T00:00:00Z"))
		defer os.Remove(filepath.Join(src, "x.json"))
		if _, err := build(src, out); err == nil {
			t.Fatal("a report whose id climbs folders was accepted")
		}
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		if _, err := build(t.TempDir(), out); err == nil {
			t.Fatal("an empty folder made a database")
		}
	})
}

func mustJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
