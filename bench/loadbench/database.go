package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL without GORM: create and drop the bench's database
)

// Dialects the bench runs on, as the report names them.
const (
	dbSQLite   = "SQLite"
	dbPostgres = "PostgreSQL"
)

// database is one fresh, empty returnbench database: a SQLite file in dir,
// or a PostgreSQL database rb_load_<random> (dir then holds the server's
// local media and log). remove undoes it.
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
	name := "rb_load_" + hex.EncodeToString(b)
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

// settings describes the database's durability and pool, which the figures
// depend on.
func (db *database) settings(ctx context.Context) string {
	if db.dialect == dbSQLite {
		return "SQLite (WAL, synchronous=FULL, one write connection and the store's read pool)"
	}
	sdb, err := sql.Open("pgx", db.url)
	if err != nil {
		return "PostgreSQL (settings unknown: " + err.Error() + ")"
	}
	defer sdb.Close()
	var version, maxConns, syncCommit string
	for _, q := range []struct {
		sql string
		dst *string
	}{{"SHOW server_version", &version}, {"SHOW max_connections", &maxConns}, {"SHOW synchronous_commit", &syncCommit}} {
		if err := sdb.QueryRowContext(ctx, q.sql).Scan(q.dst); err != nil {
			return "PostgreSQL (settings unknown: " + err.Error() + ")"
		}
	}
	return fmt.Sprintf("PostgreSQL %s, database %s (synchronous_commit=%s, max_connections=%s; the store's own pool)",
		version, db.name, syncCommit, maxConns)
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
