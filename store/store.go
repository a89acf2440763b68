// Package store keeps returnbench's records in a relational database through
// GORM: SQLite (the embedded default) or PostgreSQL. It speaks the domain's
// types and errors and knows nothing of HTTP or the media store.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialects the store runs on.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Config says which database to open.
type Config struct {
	// DatabaseURL selects PostgreSQL when it starts with postgres:// or
	// postgresql://; empty means SQLite at DataDir/returnbench.db.
	DatabaseURL string
	DataDir     string
	// MaxOpenConns caps the PostgreSQL pool (and the SQLite read pool).
	MaxOpenConns int
	// Now is the clock; tests inject a fixed one. Defaults to time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// Store is the database. With SQLite it holds one write connection (SQLite
// allows one writer; a single connection turns lock contention into a queue)
// and a pool of read connections; with PostgreSQL both are the same pool.
type Store struct {
	write   *gorm.DB
	read    *gorm.DB
	dialect string
	now     func() time.Time
	group   groupCommit
}

// Open connects, applies pending migrations and returns the store.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.MaxOpenConns <= 0 {
		cfg.MaxOpenConns = max(4, 2*runtime.NumCPU())
	}
	s := &Store{now: func() time.Time { return cfg.Now().UTC().Truncate(time.Microsecond) }}
	gcfg := &gorm.Config{
		TranslateError: true,
		NowFunc:        s.now,
		Logger:         logger.Discard,
		PrepareStmt:    true,
	}
	if strings.HasPrefix(cfg.DatabaseURL, "postgres") {
		// pgx caches prepared statements per connection itself; GORM's own
		// cache re-prepares inside every transaction and only costs there.
		gcfg.PrepareStmt = false
	}
	var err error
	switch {
	case strings.HasPrefix(cfg.DatabaseURL, "postgres://"), strings.HasPrefix(cfg.DatabaseURL, "postgresql://"):
		s.dialect = Postgres
		s.write, err = gorm.Open(postgres.Open(cfg.DatabaseURL), gcfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		if err := setPool(s.write, cfg.MaxOpenConns); err != nil {
			return nil, err
		}
		s.read = s.write
	case cfg.DatabaseURL == "":
		s.dialect = SQLite
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		path := filepath.Join(cfg.DataDir, "returnbench.db")
		// Every write runs in a transaction, where GORM's statement cache
		// only re-prepares; the read pool keeps it.
		wcfg := *gcfg
		wcfg.PrepareStmt = false
		if s.write, err = gorm.Open(sqlite.Open(sqliteDSN(path, false)), &wcfg); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		if err := setPool(s.write, 1); err != nil {
			return nil, err
		}
		if s.read, err = gorm.Open(sqlite.Open(sqliteDSN(path, true)), gcfg); err != nil {
			return nil, fmt.Errorf("open sqlite readers: %w", err)
		}
		if err := setPool(s.read, cfg.MaxOpenConns); err != nil {
			return nil, err
		}
	default:
		return nil, inspection.Errorf(inspection.EINVALID, "database URL must start with postgres:// (or be empty for SQLite)")
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// sqliteDSN puts the pragmas in the DSN so every pooled connection gets
// them: busy_timeout first (so the others wait instead of failing), WAL,
// synchronous=FULL (a commit is on disk before it is acknowledged) and
// foreign keys. Writers start with BEGIN IMMEDIATE so that two writers never
// both read and then fail to upgrade their lock.
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

func setPool(db *gorm.DB, n int) error {
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("database pool: %w", err)
	}
	sqlDB.SetMaxOpenConns(n)
	sqlDB.SetMaxIdleConns(n)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	return nil
}

// Dialect names the database in use: SQLite or Postgres.
func (s *Store) Dialect() string { return s.dialect }

// Now is the store's clock, in UTC at microsecond precision.
func (s *Store) Now() time.Time { return s.now() }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.read.WithContext(ctx).Exec("SELECT 1").Error
}

// Close releases both pools.
func (s *Store) Close() error {
	var errs []error
	for _, db := range uniqueDBs(s.write, s.read) {
		if sqlDB, err := db.DB(); err == nil {
			errs = append(errs, sqlDB.Close())
		}
	}
	return errors.Join(errs...)
}

func uniqueDBs(a, b *gorm.DB) []*gorm.DB {
	switch {
	case a == nil:
		return nil
	case b == nil || a == b:
		return []*gorm.DB{a}
	}
	return []*gorm.DB{a, b}
}

// writeTx runs fn in one write transaction: committed if fn returns nil,
// rolled back otherwise. Every composite write goes through here; the audit
// events and feed rows it makes are written at its end (flushLog).
func (s *Store) writeTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	l := &txLog{}
	return s.write.WithContext(context.WithValue(ctx, txLogKey{}, l)).Transaction(func(tx *gorm.DB) error {
		if err := fn(tx); err != nil {
			return err
		}
		return s.flushLog(tx, l)
	})
}

// readDB is the pool for queries that change nothing.
func (s *Store) readDB(ctx context.Context) *gorm.DB { return s.read.WithContext(ctx) }

// translate turns driver errors into application errors at the edge.
func translate(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return inspection.Errorf(inspection.ENOTFOUND, "%s not found.", what)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return inspection.Errorf(inspection.ECONFLICT, "%s already exists.", what)
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return inspection.Errorf(inspection.EINVALID, "%s refers to a record that does not exist.", what)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	var appErr *inspection.Error
	if errors.As(err, &appErr) {
		return err
	}
	return fmt.Errorf("%s: %w", strings.ToLower(what), err)
}

// PoolStats describes the connection pool writes use (on PostgreSQL, the
// only pool), for the metrics and for checking the configured size.
func (s *Store) PoolStats() sql.DBStats {
	db, err := s.write.DB()
	if err != nil {
		return sql.DBStats{}
	}
	return db.Stats()
}
