package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL without GORM: direct reads
	_ "github.com/mattn/go-sqlite3"    // the driver the store's GORM dialector uses, here without GORM
	"github.com/returnbench/returnbench/bench/benchkit"
	"github.com/returnbench/returnbench/store"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// database is the bench's own fresh database of one dialect: a SQLite file
// in a temp dir, or a PostgreSQL database rb_bench_<random> (with a temp
// dir for the server's local media).
type database struct {
	*benchkit.Database
	dialect string
}

// newDatabase makes an empty database of dialect; Remove undoes it.
func newDatabase(ctx context.Context, dialect, adminURL string) (*database, error) {
	dir, err := os.MkdirTemp("", "syncbench-")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	if dialect == store.SQLite {
		adminURL = ""
	}
	db, err := benchkit.NewDatabase(ctx, dir, adminURL, "rb_bench_")
	if err != nil {
		return nil, err
	}
	return &database{Database: db, dialect: dialect}, nil
}

func (db *database) describe() string {
	if db.dialect == store.SQLite {
		return db.SQLitePath()
	}
	return fmt.Sprintf("%s (media in %s)", benchkit.Redact(db.URL), db.Dir)
}

// storeConfig is how the server and the bench open the store.
func (db *database) storeConfig() store.Config {
	return store.Config{DatabaseURL: db.URL, DataDir: db.Dir, Log: benchkit.QuietLog()}
}

// migrate creates the schema exactly as the server does.
func (db *database) migrate(ctx context.Context) error {
	st, err := store.Open(ctx, db.storeConfig())
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	return st.Close()
}

// settle leaves the database as each write method should find it: the
// SQLite WAL checkpointed into the file, PostgreSQL's audit_head row
// vacuumed. Otherwise a method would pay for what the one before it left:
// a long WAL to checkpoint, or thousands of dead versions of the head row
// to step over.
func (db *database) settle(ctx context.Context) error {
	var (
		sdb  *sql.DB
		err  error
		stmt = "VACUUM audit_head"
	)
	if db.dialect == store.SQLite {
		sdb, err = sql.Open("sqlite3", benchkit.StoreDSN(db.SQLitePath(), false))
		stmt = "PRAGMA wal_checkpoint(TRUNCATE)"
	} else {
		sdb, err = sql.Open("pgx", db.URL)
	}
	if err != nil {
		return err
	}
	defer sdb.Close()
	if _, err := sdb.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

// headSize is the on-disk size of PostgreSQL's audit_head table.
func (db *database) headSize(ctx context.Context) (int64, error) {
	sdb, err := db.openSQL()
	if err != nil {
		return 0, err
	}
	defer sdb.Close()
	var n int64
	if err := sdb.QueryRowContext(ctx, "SELECT pg_relation_size('audit_head')").Scan(&n); err != nil {
		return 0, fmt.Errorf("size of audit_head: %w", err)
	}
	return n, nil
}

// openSQL opens the database without GORM for reads, pooled like the
// store's readers.
func (db *database) openSQL() (*sql.DB, error) {
	var (
		sdb *sql.DB
		err error
	)
	if db.dialect == store.SQLite {
		sdb, err = sql.Open("sqlite3", benchkit.StoreDSN(db.SQLitePath(), true))
	} else {
		sdb, err = sql.Open("pgx", db.URL)
	}
	if err != nil {
		return nil, err
	}
	sdb.SetMaxOpenConns(storePoolSize())
	sdb.SetMaxIdleConns(storePoolSize())
	return sdb, nil
}

// storePoolSize is the store's default pool (store.Open).
func storePoolSize() int { return max(4, 2*runtime.NumCPU()) }

// openGORM opens a writer the way the store opens its own: the same GORM
// settings and, on SQLite, one connection with the same pragmas.
func (db *database) openGORM() (*gorm.DB, error) {
	now := func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
	cfg := &gorm.Config{TranslateError: true, NowFunc: now, Logger: logger.Discard, PrepareStmt: true}
	var (
		g    *gorm.DB
		err  error
		pool = storePoolSize()
	)
	if db.dialect == store.SQLite {
		g, err = gorm.Open(sqlite.Open(benchkit.StoreDSN(db.SQLitePath(), false)), cfg)
		pool = 1
	} else {
		g, err = gorm.Open(postgres.Open(db.URL), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open GORM: %w", err)
	}
	sdb, err := g.DB()
	if err != nil {
		return nil, err
	}
	sdb.SetMaxOpenConns(pool)
	sdb.SetMaxIdleConns(pool)
	return g, nil
}
