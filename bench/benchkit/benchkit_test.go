package benchkit

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{"1GiB": 1 << 30, "256MiB": 256 << 20, "8M": 8 << 20, "1048576": 1 << 20,
		"12 MiB": 12 << 20, "64KiB": 64 << 10} {
		var s ByteSize
		if err := s.Set(in); err != nil || int64(s) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, s, err, want)
		}
	}
	var s ByteSize
	if err := s.Set("lots"); err == nil {
		t.Error(`Set("lots") succeeded, want an error`)
	}
}

func TestHuman(t *testing.T) {
	for n, want := range map[int64]string{1 << 30: "1 GiB", 3 << 29: "1.50 GiB", 8 << 20: "8 MiB", 3 << 19: "1.5 MiB",
		64 << 10: "64.0 KiB", 100: "100 B"} {
		if got := Human(n); got != want {
			t.Errorf("Human(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestPercentile(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := Percentile(lat, p); got != want {
			t.Errorf("Percentile(1..100 ms, %g) = %s, want %s", p, got, want)
		}
	}
	if got := Percentile(nil, 99); got != 0 {
		t.Errorf("Percentile(none) = %s, want 0", got)
	}
}

func TestLicencePlate(t *testing.T) {
	for v, want := range map[uint64]string{0: "LPNAAAAAAAAAA", 35: "LPNAAAAAAAAA9", 36: "LPNAAAAAAAABA", LicencePlates + 1: "LPNAAAAAAAAAB"} {
		if got := LicencePlate(v); got != want {
			t.Errorf("LicencePlate(%d) = %q, want %q", v, got, want)
		}
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, ok := range []string{"postgres://postgres@127.0.0.1:5432/postgres", "postgres://[::1]/postgres", "postgres://u:pw@localhost/db"} {
		if err := CheckLoopback(ok); err != nil {
			t.Errorf("CheckLoopback(%q) = %v, want nil", ok, err)
		}
	}
	t.Run("ErrNotLoopback", func(t *testing.T) {
		err := CheckLoopback("postgres://u:secret@db.example.com/postgres")
		if err == nil || !strings.Contains(err.Error(), "only uses a PostgreSQL server on loopback") {
			t.Fatalf("got %v, want the loopback refusal", err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("the refusal shows the password: %v", err)
		}
	})
}

// TestChild runs a real process: it must be seen alive, then gone after
// Kill, and an error met after its death must carry its log.
func TestChild(t *testing.T) {
	log := filepath.Join(t.TempDir(), "child.log")
	c, err := startChild("sh", "/bin/sh", []string{"-c", "echo started; exec sleep 60"}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Kill()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(c.LogTail(), "started"); time.Sleep(10 * time.Millisecond) {
		if c.Exited() || time.Now().After(deadline) {
			t.Fatalf("the child did not start: %q", c.LogTail())
		}
	}
	if st, err := ReadStat(c.PID()); err != nil || st.PPID != os.Getpid() {
		t.Errorf("ReadStat(child) = %+v, %v; want this process as its parent", st, err)
	}
	if err := c.Explain(errors.New("boom")); err.Error() != "boom" {
		t.Errorf("Explain on a live child = %q, want the error alone", err)
	}
	c.Stop()
	if !c.Exited() {
		t.Fatal("still running after Stop")
	}
	c.Kill() // twice is harmless
	if err := c.Explain(errors.New("boom")); !strings.Contains(err.Error(), "sh exited") || !strings.Contains(err.Error(), "started") {
		t.Errorf("Explain on a dead child = %q, want its log", err)
	}
}

func TestReadSelf(t *testing.T) {
	st, err := ReadStat(0)
	if err != nil || st.RSS <= 0 || st.Threads < 1 {
		t.Errorf("ReadStat(self) = %+v, %v", st, err)
	}
	m, err := ReadMemory(0)
	if err != nil || m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("ReadMemory(self) = %+v, %v", m, err)
	}
	mc, err := ReadMachineCPU()
	if err != nil || mc.Busy <= 0 || mc.Total < mc.Busy || mc.Interrupts > mc.Busy {
		t.Errorf("ReadMachineCPU() = %+v, %v", mc, err)
	}
}

// TestDatabase makes and drops a database on the PostgreSQL the tests use.
func TestDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pg")
	db, err := NewDatabase(context.Background(), dir, DefaultPostgres(), "rb_benchkit_")
	if err != nil {
		t.Fatal(err)
	}
	name := db.Name
	if !strings.HasPrefix(name, "rb_benchkit_") || !strings.HasSuffix(db.URL, "/"+name+"?sslmode=disable") {
		t.Errorf("database %q at %q, want rb_benchkit_<random> on the admin URL's server", name, db.URL)
	}
	if err := db.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := db.Remove(); err != nil {
		t.Errorf("second Remove: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("dir left behind: %v", err)
	}
	admin, err := sql.Open("pgx", DefaultPostgres())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%s was not dropped", name)
	}
}
