package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/reports"
)

// rawColumns are the returns columns an FBA returns row fills when the
// import stores it; the others keep their defaults, as they do there.
var rawColumns = []string{"id", "site_id", "channel", "order_id", "sku", "asin", "fnsku", "product_name", "quantity",
	"fulfillment_center", "fc_disposition", "reason_raw", "reason", "request_status", "lpn", "buyer_comment",
	"fc_returned_at", "source", "source_key", "source_hash", "version", "created_at", "updated_at"}

// Rows per transaction and per INSERT statement of the raw load. The
// transaction is the import's (server.importBatch); 250 rows x 23 columns
// stay far below SQLite's 32,766 and PostgreSQL's 65,535 bound values.
const (
	rawTxRows   = 1000
	rawStmtRows = 250
)

// rawInsert is the floor the import is held against: the same file read
// with encoding/csv, the same values into the same columns of the same
// schema, with multi-row INSERTs in transactions of rawTxRows, and nothing
// else: no lookup of existing rows, no change feed, no per-row hash of the
// record. It returns how many rows it stored and how long that took.
func rawInsert(ctx context.Context, db *database, path string) (int, time.Duration, error) {
	if err := db.migrate(ctx); err != nil {
		return 0, 0, err
	}
	sdb, err := db.open()
	if err != nil {
		return 0, 0, err
	}
	defer sdb.Close()
	conn, err := sdb.Conn(ctx) // one connection: the statements stay prepared on it
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()

	start := time.Now()
	rd := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	rd.Comma, rd.LazyQuotes, rd.ReuseRecord, rd.FieldsPerRecord = '\t', true, true, -1
	head, err := rd.Read()
	if err != nil {
		return 0, 0, fmt.Errorf("read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	for _, h := range strings.Split(header, "\t") {
		if _, ok := col[h]; !ok {
			return 0, 0, fmt.Errorf("%s has no column %q", path, h)
		}
	}
	full, err := conn.PrepareContext(ctx, insertSQL(db.dialect, rawStmtRows))
	if err != nil {
		return 0, 0, fmt.Errorf("prepare insert: %w", err)
	}
	defer full.Close()

	source := string(reports.FBACustomerReturns)
	now := time.Now().UTC().Truncate(time.Microsecond)
	args := make([]any, 0, rawStmtRows*len(rawColumns))
	var tx *sql.Tx // the open transaction, if any
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	stored, inTx := 0, 0
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		k := len(args) / len(rawColumns)
		var err error
		if k == rawStmtRows {
			_, err = tx.StmtContext(ctx, full).ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertSQL(db.dialect, k), args...)
		}
		args = args[:0]
		stored += k
		return err
	}
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return stored, 0, fmt.Errorf("read %s: %w", path, err)
		}
		if tx == nil {
			if tx, err = conn.BeginTx(ctx, nil); err != nil {
				return stored, 0, err
			}
		}
		get := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
		returned, err := time.Parse(time.RFC3339, get("return-date"))
		if err != nil {
			return stored, 0, fmt.Errorf("row %d: %w", stored+len(args)/len(rawColumns)+1, err)
		}
		qty, err := strconv.Atoi(get("quantity"))
		if err != nil {
			return stored, 0, fmt.Errorf("row %d: quantity: %w", stored+len(args)/len(rawColumns)+1, err)
		}
		// A hash of the row's fields, as long as the import's source_hash,
		// so the stored row weighs the same.
		h := sha256.New()
		for _, v := range rec {
			h.Write([]byte(v))
			h.Write([]byte{'\t'})
		}
		sum := h.Sum(nil)
		lpn := get("license-plate-number")
		args = append(args, uuid.NewString(), inspection.DefaultSiteID, inspection.ChannelFBA, get("order-id"),
			get("sku"), get("asin"), get("fnsku"), get("product-name"), qty, get("fulfillment-center-id"),
			get("detailed-disposition"), get("reason"), inspection.NormalizeReason(get("reason")), get("status"),
			lpn, get("customer-comments"), returned.UTC(), source, "lpn:"+lpn, hex.EncodeToString(sum[:16]), 1, now, now)
		if len(args) == rawStmtRows*len(rawColumns) {
			if err := flush(); err != nil {
				return stored, 0, fmt.Errorf("insert: %w", err)
			}
		}
		if inTx++; inTx == rawTxRows {
			if err := flush(); err != nil {
				return stored, 0, fmt.Errorf("insert: %w", err)
			}
			if err := tx.Commit(); err != nil {
				return stored, 0, fmt.Errorf("commit: %w", err)
			}
			tx, inTx = nil, 0
		}
	}
	if tx != nil {
		if err := flush(); err != nil {
			return stored, 0, fmt.Errorf("insert: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return stored, 0, fmt.Errorf("commit: %w", err)
		}
		tx = nil
	}
	return stored, time.Since(start), nil
}

// insertSQL is a multi-row INSERT of k rows into rawColumns, with the
// dialect's placeholders.
func insertSQL(dialect string, k int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO returns (" + strings.Join(rawColumns, ", ") + ") VALUES ")
	n := 0
	for i := range k {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range rawColumns {
			if j > 0 {
				b.WriteByte(',')
			}
			if n++; dialect == dbPostgres {
				b.WriteString("$" + strconv.Itoa(n))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}
