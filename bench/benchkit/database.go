package benchkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL without GORM: create and drop the bench's database
)

// Database is one fresh, empty returnbench database for a bench's server:
// a SQLite file in Dir, or a PostgreSQL database of its own (Dir then
// holds the server's local media). Remove undoes it.
type Database struct {
	Dir      string
	URL      string // the PostgreSQL database; "" for SQLite
	Name     string // the PostgreSQL database's name; "" for SQLite, or once dropped
	adminURL string
}

// NewDatabase makes dir and, with an adminURL, a PostgreSQL database
// named prefix followed by random hex on that server (a left-over one says
// which bench made it); without one, the database is SQLite in dir. On
// failure nothing is left behind, dir included.
func NewDatabase(ctx context.Context, dir, adminURL, prefix string) (*Database, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	db := &Database{Dir: dir, adminURL: adminURL}
	if adminURL == "" {
		return db, nil
	}
	if err := db.createPostgres(ctx, prefix); err != nil {
		return nil, errors.Join(err, db.Remove())
	}
	return db, nil
}

func (db *Database) createPostgres(ctx context.Context, prefix string) error {
	u, err := url.Parse(db.adminURL)
	if err != nil {
		return fmt.Errorf("PostgreSQL URL: %w", err)
	}
	admin, err := sql.Open("pgx", db.adminURL)
	if err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		return fmt.Errorf("PostgreSQL is not reachable at %s (%v): start it with "+
			"'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'", Redact(db.adminURL), err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := prefix + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	db.Name = name
	u.Path = "/" + name
	db.URL = u.String()
	return nil
}

// Remove drops the PostgreSQL database and deletes Dir; removing twice is
// harmless. It runs on a context of its own: it is also what happens
// after an interrupt.
func (db *Database) Remove() error {
	var errs []error
	if db.Name != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := sql.Open("pgx", db.adminURL)
		if err == nil {
			_, err = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+db.Name+" WITH (FORCE)")
			admin.Close()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("drop database %s: %w", db.Name, err))
		}
		db.Name = ""
	}
	if err := os.RemoveAll(db.Dir); err != nil {
		errs = append(errs, fmt.Errorf("remove %s: %w", db.Dir, err))
	}
	return errors.Join(errs...)
}

// DefaultPostgres is the server the tests use (see store/storetest).
func DefaultPostgres() string {
	if u := os.Getenv("RETURNBENCH_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// CheckLoopback refuses a PostgreSQL server on another host: a bench
// creates and drops databases and loads them hard, which it does only to a
// server on this machine.
func CheckLoopback(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("%s: the bench only uses a PostgreSQL server on loopback (127.0.0.1, ::1 or localhost)", u.Redacted())
}

// Redact is a database URL fit to print: without its password.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// ServerArgs are the flags that run `returnbench serve` (or user add) on
// this database.
func (db *Database) ServerArgs() []string {
	args := []string{"--data-dir", db.Dir}
	if db.URL != "" {
		args = append(args, "--database-url", db.URL)
	}
	return args
}

// SQLitePath is the file the server keeps a SQLite database in.
func (db *Database) SQLitePath() string { return filepath.Join(db.Dir, "returnbench.db") }

// StoreDSN is the DSN the store opens its SQLite file with (store/store.go
// sqliteDSN): the same pragmas, so that what a bench reads or writes
// beside the server runs under the durability the server runs under.
func StoreDSN(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "on")
	if readOnly {
		q.Set("mode", "ro")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}
