package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the driver the store's GORM dialector uses, here without GORM
)

// batchRows is how many returns one INSERT carries: 26 columns x 250 rows
// stays well under SQLite's 32,766 bound variables per statement.
const batchRows = 250

// ensureReturns leaves exactly opts.Rows returns in the database: it loads
// an empty table and reuses one that already holds that many (a -dir kept
// from an earlier run). Any other count is refused rather than measured, so
// the row count printed beside the figures is the one they were taken at.
func ensureReturns(ctx context.Context, path string, opts options, out io.Writer) error {
	db, err := sql.Open("sqlite3", loadDSN(path))
	if err != nil {
		return fmt.Errorf("open loader: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	var have int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM returns").Scan(&have); err != nil {
		return fmt.Errorf("count returns: %w", err)
	}
	switch have {
	case opts.Rows:
		fmt.Fprintf(out, "reusing %d returns in %s\n", have, path)
		return nil
	case 0:
	default:
		return fmt.Errorf("%s holds %d returns, not %d: pass that -rows, or an empty -dir", path, have, opts.Rows)
	}

	fmt.Fprintf(out, "loading %d returns into %s\n", opts.Rows, path)
	start := time.Now()
	insert, index, err := loadReturns(ctx, db, opts)
	if err != nil {
		return err
	}
	// The planner picks among the five identifier indexes by their
	// statistics; a production database has them, so the bench must too.
	analyzeStart := time.Now()
	if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	analyze := time.Since(analyzeStart)
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	total := time.Since(start)
	fmt.Fprintf(out, "loaded in %s (%.0f rows/s): insert %s, indexes %s, ANALYZE %s, checkpoint %s\n",
		round(total), float64(opts.Rows)/total.Seconds(), round(insert), round(index), round(analyze),
		round(total-insert-index-analyze))
	return nil
}

// loadDSN trades durability for speed, which only a loader may: a crash
// mid-load loses a database that is rebuilt anyway. The journal stays WAL,
// the mode the store set and the server expects.
func loadDSN(path string) string {
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "OFF")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	q.Set("_cache_size", "-262144") // KiB: 256 MiB keeps the primary key's B-tree in memory
	return "file:" + path + "?" + q.Encode()
}

// loadReturns inserts the returns in one transaction, with the identifier
// indexes dropped and rebuilt: building an index from sorted keys is much
// faster than a million random inserts into each. One transaction because
// SQLite's DDL is transactional: an interrupted load leaves an empty table
// with every index, never a half-loaded one or one without its indexes.
func loadReturns(ctx context.Context, db *sql.DB, opts options) (insert, index time.Duration, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("begin load: %w", err)
	}
	defer tx.Rollback()
	indexes, err := dropIndexes(ctx, tx)
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := insertReturns(ctx, tx, newReturnGen(opts.Seed, opts.Rows), opts.Rows); err != nil {
		return 0, 0, err
	}
	insert = time.Since(start)
	start = time.Now()
	for _, ddl := range indexes {
		if _, err := tx.ExecContext(ctx, ddl); err != nil {
			return 0, 0, fmt.Errorf("rebuild index: %w", err)
		}
	}
	index = time.Since(start)
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("commit load: %w", err)
	}
	return insert, index, nil
}

// dropIndexes drops the returns table's declared indexes and returns the
// statements that recreate them, read from the schema itself so the rebuilt
// indexes are the migration's, whatever it says today. The primary key's
// automatic index has no SQL and stays.
func dropIndexes(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx,
		"SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'returns' AND sql IS NOT NULL")
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	var names, ddl []string
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list indexes: %w", err)
		}
		names, ddl = append(names, name), append(ddl, sql)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+name+`"`); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", name, err)
		}
	}
	return ddl, nil
}

// insertReturns writes n generated returns, batchRows to a statement.
func insertReturns(ctx context.Context, tx *sql.Tx, gen *returnGen, n int) error {
	full, err := tx.PrepareContext(ctx, insertSQL(batchRows))
	if err != nil {
		return fmt.Errorf("prepare insert: %w", err)
	}
	defer full.Close()
	args := make([]any, 0, batchRows*len(returnColumns))
	for done := 0; done < n; {
		k := min(batchRows, n-done)
		args = args[:0]
		for range k {
			args = gen.next().appendArgs(args)
		}
		if k == batchRows {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertSQL(k), args...)
		}
		if err != nil {
			return fmt.Errorf("insert returns: %w", err)
		}
		done += k
	}
	return nil
}

// insertSQL is a multi-row INSERT of k returns.
func insertSQL(k int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(returnColumns)), ",") + ")"
	return "INSERT INTO returns (" + strings.Join(returnColumns, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(row+",", k), ",")
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
