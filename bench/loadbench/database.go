package main

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL without GORM: the server's settings

	"github.com/returnbench/returnbench/bench/benchkit"
)

// Dialects the bench runs on, as the report names them.
const (
	dbSQLite   = "SQLite"
	dbPostgres = "PostgreSQL"
)

// database is one fresh, empty returnbench database: a SQLite file in its
// dir, or a PostgreSQL database rb_load_<random> (the dir then holds the
// server's local media and log). Remove undoes it.
type database struct {
	*benchkit.Database
	dialect string
}

func newDatabase(ctx context.Context, dialect, dir, adminURL string) (*database, error) {
	if dialect == dbSQLite {
		adminURL = ""
	}
	db, err := benchkit.NewDatabase(ctx, dir, adminURL, "rb_load_")
	if err != nil {
		return nil, err
	}
	return &database{Database: db, dialect: dialect}, nil
}

// settings describes the database's durability and pool, which the figures
// depend on.
func (db *database) settings(ctx context.Context) string {
	if db.dialect == dbSQLite {
		return "SQLite (WAL, synchronous=FULL, one write connection and the store's read pool)"
	}
	sdb, err := sql.Open("pgx", db.URL)
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
		version, db.Name, syncCommit, maxConns)
}
