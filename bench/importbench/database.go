package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL without GORM: create/drop, raw inserts, counts
	_ "github.com/mattn/go-sqlite3"    // the driver the store's GORM dialector uses, here without GORM
	"github.com/returnbench/returnbench/reports"
	"github.com/returnbench/returnbench/store"
)

// Dialects the bench runs on, as the report names them.
const (
	dbSQLite   = "SQLite"
	dbPostgres = "PostgreSQL"
)

// database is one fresh, empty returnbench database: a SQLite file in its
// own dir, or a PostgreSQL database rb_bench_<random> (the dir then holds
// only the server's local media). remove undoes it.
type database struct {
	dialect  string
	dir      string
	url      string // PostgreSQL only
	adminURL string
	name     string // PostgreSQL database name
}

func newDatabase(ctx context.Context, dialect, dir, adminURL string) (*database, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	db := &database{dialect: dialect, dir: dir, adminURL: adminURL}
	if dialect == dbSQLite {
		return db, nil
	}
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("PostgreSQL is not reachable at %s (%v): start it with "+
			"'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'", redact(adminURL), err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "rb_bench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	db.name = name
	u, err := url.Parse(adminURL)
	if err != nil {
		db.remove()
		return nil, err
	}
	u.Path = "/" + name
	db.url = u.String()
	return db, nil
}

// remove drops the PostgreSQL database and deletes the dir. It runs on a
// context of its own: it is also what happens after an interrupt.
func (db *database) remove() error {
	var errs []error
	if db.name != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := sql.Open("pgx", db.adminURL)
		if err == nil {
			_, err = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+db.name+" WITH (FORCE)")
			admin.Close()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("drop database %s: %w", db.name, err))
		}
		db.name = ""
	}
	if err := os.RemoveAll(db.dir); err != nil {
		errs = append(errs, fmt.Errorf("remove %s: %w", db.dir, err))
	}
	return errors.Join(errs...)
}

// migrate creates the schema with the store's own migrations, so the raw
// inserts go into exactly the table (and indexes) the server writes.
func (db *database) migrate(ctx context.Context) error {
	st, err := store.Open(ctx, store.Config{DatabaseURL: db.url, DataDir: db.dir,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	return st.Close()
}

// open is a database/sql handle on it. For SQLite it has the store's write
// pragmas (store.sqliteDSN): WAL, synchronous=FULL, BEGIN IMMEDIATE.
func (db *database) open() (*sql.DB, error) {
	if db.dialect == dbPostgres {
		return sql.Open("pgx", db.url)
	}
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	sdb, err := sql.Open("sqlite3", "file:"+filepath.Join(db.dir, "returnbench.db")+"?"+q.Encode())
	if err == nil {
		sdb.SetMaxOpenConns(1)
	}
	return sdb, err
}

// openRead is a database/sql handle for counting while the server writes.
func (db *database) openRead() (*sql.DB, error) {
	if db.dialect == dbPostgres {
		return sql.Open("pgx", db.url)
	}
	return sql.Open("sqlite3", "file:"+filepath.Join(db.dir, "returnbench.db")+"?mode=ro&_busy_timeout=10000")
}

// contents is what the database holds after an import, to check that the
// answer is what happened.
type contents struct {
	returns    int64 // returns from FBA returns reports
	changes    int64 // rows in the change feed
	maxVersion int64 // highest return version: 1 unless a row was updated
}

func (db *database) contents(ctx context.Context) (contents, error) {
	sdb, err := db.open()
	if err != nil {
		return contents{}, err
	}
	defer sdb.Close()
	var c contents
	err = sdb.QueryRowContext(ctx, "SELECT count(*), COALESCE(max(version), 0) FROM returns WHERE source = $1",
		string(reports.FBACustomerReturns)).Scan(&c.returns, &c.maxVersion)
	if err == nil {
		err = sdb.QueryRowContext(ctx, "SELECT count(*) FROM changes").Scan(&c.changes)
	}
	if err != nil {
		return contents{}, fmt.Errorf("count rows: %w", err)
	}
	return c, nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
