package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one versioned schema change, file NNNN_name.sql.
type migration struct {
	version int64
	name    string
	sql     string
}

// schemaMigration records an applied migration.
type schemaMigration struct {
	Version   int64 `gorm:"primaryKey;autoIncrement:false"`
	Name      string
	AppliedAt string
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, path := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", path)
		}
		body, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// dialectSQL fills the few placeholders where SQLite and PostgreSQL differ.
func (s *Store) dialectSQL(sql string) string {
	timeType := "DATETIME"
	if s.dialect == Postgres {
		timeType = "TIMESTAMPTZ"
	}
	return strings.ReplaceAll(sql, "{{TIME}}", timeType)
}

// statements splits a migration into its statements: each ends with a
// semicolon at the end of a line; "--" comment lines are dropped.
func statements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		out = append(out, rest)
	}
	return out
}

// migrate applies every pending migration in one transaction. On PostgreSQL
// an advisory lock makes instances that start together take turns; SQLite's
// immediate write transaction does the same.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if err := s.writeTx(ctx, func(tx *gorm.DB) error {
		if s.dialect == Postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(72616746)").Error; err != nil {
				return fmt.Errorf("migration lock: %w", err)
			}
		}
		if err := tx.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
			version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`).Error; err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var applied []int64
		if err := tx.Table("schema_migrations").Pluck("version", &applied).Error; err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		done := map[int64]bool{}
		for _, v := range applied {
			done[v] = true
		}
		for _, m := range ms {
			if done[m.version] {
				continue
			}
			for _, stmt := range statements(s.dialectSQL(m.sql)) {
				if err := tx.Exec(stmt).Error; err != nil {
					return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
				}
			}
			rec := schemaMigration{Version: m.version, Name: m.name, AppliedAt: s.now().Format("2006-01-02T15:04:05Z")}
			if err := tx.Table("schema_migrations").Create(&rec).Error; err != nil {
				return fmt.Errorf("record migration %d: %w", m.version, err)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	return s.ensureEpoch(ctx)
}

// SchemaVersion returns the highest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.readDB(ctx).Table("schema_migrations").Select("COALESCE(MAX(version), 0)").Scan(&v).Error
	return v, err
}
