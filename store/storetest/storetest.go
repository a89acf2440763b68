// Package storetest gives tests a fresh, real database of each dialect: a
// SQLite file in a temp dir and a new PostgreSQL database on the machine's
// server, dropped after the test.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver used to create and drop test databases
	"github.com/returnbench/returnbench/store"
)

// AdminURL is the PostgreSQL server tests create their databases on;
// RETURNBENCH_TEST_POSTGRES overrides it.
func AdminURL() string {
	if u := os.Getenv("RETURNBENCH_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Dialects lists the databases every storage test runs on.
var Dialects = []string{store.SQLite, store.Postgres}

// Config returns a store config for a brand-new empty database of dialect.
// PostgreSQL being unreachable fails the test: it is never skipped.
func Config(tb testing.TB, dialect string) store.Config {
	tb.Helper()
	if dialect == store.SQLite {
		return store.Config{DataDir: tb.TempDir()}
	}
	return store.Config{DatabaseURL: NewPostgresDB(tb), DataDir: tb.TempDir()}
}

// NewPostgresDB creates a database rb_test_<random> and returns its URL.
func NewPostgresDB(tb testing.TB) string {
	tb.Helper()
	admin, err := sql.Open("pgx", AdminURL())
	if err != nil {
		tb.Fatalf("PostgreSQL: %v", err)
	}
	tb.Cleanup(func() { admin.Close() })
	if err := admin.PingContext(context.Background()); err != nil {
		tb.Fatalf("PostgreSQL is not reachable at %s (%v): start it with "+
			"'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start' or set RETURNBENCH_TEST_POSTGRES", AdminURL(), err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "rb_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(AdminURL())
	if err != nil {
		tb.Fatalf("parse %s: %v", AdminURL(), err)
	}
	u.Path = "/" + name
	return u.String()
}

// MustOpen opens a fresh store of dialect, closed when the test ends.
func MustOpen(tb testing.TB, dialect string) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), Config(tb, dialect))
	if err != nil {
		tb.Fatalf("open %s store: %v", dialect, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Each runs fn as a subtest per dialect, each with its own fresh store.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) { fn(t, MustOpen(t, d)) })
	}
}
