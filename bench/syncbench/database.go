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
	"path/filepath"
	"runtime"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL without GORM: create/drop, direct reads
	_ "github.com/mattn/go-sqlite3"    // the driver the store's GORM dialector uses, here without GORM
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
	dialect  string
	dir      string // data dir: the SQLite file and local media
	url      string // PostgreSQL database URL; "" for SQLite
	adminURL string
	name     string // PostgreSQL database name
}

// newDatabase makes an empty database of dialect; remove undoes it.
func newDatabase(ctx context.Context, dialect, adminURL string) (*database, error) {
	dir, err := os.MkdirTemp("", "syncbench-")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	db := &database{dialect: dialect, dir: dir, adminURL: adminURL}
	if dialect == store.SQLite {
		return db, nil
	}
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("PostgreSQL is not reachable at %s (%v): start it with "+
			"'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'", redact(adminURL), err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	db.name = "rb_bench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+db.name); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("create database: %w", err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		db.remove()
		return nil, err
	}
	u.Path = "/" + db.name
	db.url = u.String()
	return db, nil
}

// remove drops the PostgreSQL database and deletes the temp dir. It runs
// on a context of its own: it is also what happens after an interrupt.
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
	}
	if err := os.RemoveAll(db.dir); err != nil {
		errs = append(errs, fmt.Errorf("remove temp dir: %w", err))
	}
	return errors.Join(errs...)
}

func (db *database) describe() string {
	if db.dialect == store.SQLite {
		return db.sqlitePath()
	}
	return fmt.Sprintf("%s (media in %s)", redact(db.url), db.dir)
}

func (db *database) sqlitePath() string { return filepath.Join(db.dir, "returnbench.db") }

// storeConfig is how the server and the bench open the store.
func (db *database) storeConfig() store.Config {
	return store.Config{DatabaseURL: db.url, DataDir: db.dir, Log: quietLog()}
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
		sdb, err = sql.Open("sqlite3", sqliteDSN(db.sqlitePath(), false))
		stmt = "PRAGMA wal_checkpoint(TRUNCATE)"
	} else {
		sdb, err = sql.Open("pgx", db.url)
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

// sqliteDSN is the store's DSN (store/store.go sqliteDSN): the same pragmas,
// so the baselines run under the durability the server runs under.
func sqliteDSN(path string, readOnly bool) string {
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

// openSQL opens the database without GORM for reads, pooled like the
// store's readers.
func (db *database) openSQL() (*sql.DB, error) {
	var (
		sdb *sql.DB
		err error
	)
	if db.dialect == store.SQLite {
		sdb, err = sql.Open("sqlite3", sqliteDSN(db.sqlitePath(), true))
	} else {
		sdb, err = sql.Open("pgx", db.url)
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
		g, err = gorm.Open(sqlite.Open(sqliteDSN(db.sqlitePath(), false)), cfg)
		pool = 1
	} else {
		g, err = gorm.Open(postgres.Open(db.url), cfg)
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

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
