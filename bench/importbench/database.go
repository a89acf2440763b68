package main

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL without GORM: raw inserts, counts
	_ "github.com/mattn/go-sqlite3"    // the driver the store's GORM dialector uses, here without GORM
	"github.com/returnbench/returnbench/bench/benchkit"
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
// only the server's local media). Remove undoes it.
type database struct {
	*benchkit.Database
	dialect string
}

// migrate creates the schema with the store's own migrations, so the raw
// inserts go into exactly the table (and indexes) the server writes.
func (db *database) migrate(ctx context.Context) error {
	st, err := store.Open(ctx, store.Config{DatabaseURL: db.URL, DataDir: db.Dir, Log: benchkit.QuietLog()})
	if err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	return st.Close()
}

// open is a database/sql handle on it. For SQLite it has the store's write
// pragmas: WAL, synchronous=FULL, BEGIN IMMEDIATE.
func (db *database) open() (*sql.DB, error) {
	if db.dialect == dbPostgres {
		return sql.Open("pgx", db.URL)
	}
	sdb, err := sql.Open("sqlite3", benchkit.StoreDSN(db.SQLitePath(), false))
	if err == nil {
		sdb.SetMaxOpenConns(1)
	}
	return sdb, err
}

// openRead is a database/sql handle for counting while the server writes.
func (db *database) openRead() (*sql.DB, error) {
	if db.dialect == dbPostgres {
		return sql.Open("pgx", db.URL)
	}
	return sql.Open("sqlite3", benchkit.StoreDSN(db.SQLitePath(), true))
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
