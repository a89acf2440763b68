package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/returnbench/returnbench/bench/benchkit"
	"github.com/returnbench/returnbench/labels"
	"github.com/returnbench/returnbench/store"
)

// scanColumns are the identifier columns a scan is compared with, as in
// the store.
var scanColumns = []string{"tracking_id", "rma_id", "lpn", "order_id", "fnsku"}

// directSQL is the baseline: one prepared statement probing the five
// identifier indexes, no ORM, no site filter, no ordering.
const directSQL = "SELECT id FROM returns WHERE tracking_id = ? OR rma_id = ? OR lpn = ? OR order_id = ? OR fnsku = ?"

// direct looks codes up with plain database/sql on a read-only pool.
type direct struct {
	db   *sql.DB
	stmt *sql.Stmt
}

// openDirect opens a read pool with the pragmas the store's readers get, so
// the baseline differs from the store only in what runs on top of SQLite.
func openDirect(ctx context.Context, path string, conns int) (*direct, error) {
	db, err := sql.Open("sqlite3", benchkit.StoreDSN(path, true))
	if err != nil {
		return nil, fmt.Errorf("open read pool: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	stmt, err := db.PrepareContext(ctx, directSQL)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare lookup: %w", err)
	}
	return &direct{db: db, stmt: stmt}, nil
}

func (d *direct) Close() error { return errors.Join(d.stmt.Close(), d.db.Close()) }

// find counts the returns whose identifiers equal code, reading every id as
// a caller would.
func (d *direct) find(ctx context.Context, code string) (int, error) {
	rows, err := d.stmt.QueryContext(ctx, code, code, code, code, code)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}

// storeFinder looks a code up the way the scan handler's first query does,
// for the site an inspector of the default site sees.
func storeFinder(st *store.Store) lookupFunc {
	return func(ctx context.Context, code string) (int, error) {
		rs, err := st.FindReturns(ctx, "main", []string{code})
		return len(rs), err
	}
}

// printPlan shows how SQLite answers the baseline, so a figure that looks
// wrong can be told apart from a plan that is (a SCAN instead of SEARCHes).
func printPlan(ctx context.Context, out io.Writer, d *direct) error {
	rows, err := d.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+directSQL, "", "", "", "", "")
	if err != nil {
		return fmt.Errorf("explain: %w", err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			return fmt.Errorf("explain: %w", err)
		}
		steps = append(steps, detail)
	}
	fmt.Fprintf(out, "direct SQL plan: %s\n", strings.Join(steps, "; "))
	return rows.Err()
}

// code is one value a lookup scans, and whether the database holds it.
type code struct {
	value  string
	kind   labels.Kind
	exists bool
}

// sampleCodes picks n identifiers of random returns and n/4 well-formed
// codes that match nothing, shuffled together: a bench scans unknown parcels
// too, and a miss probes every index to the end. Each identifier column is
// drawn equally often, so order ids and FNSKUs, which every return has, do
// not crowd out the tracking numbers and LPNs that most scans are.
func sampleCodes(ctx context.Context, d *direct, rng *rand.Rand, n int) ([]code, error) {
	var maxRowID int64
	if err := d.db.QueryRowContext(ctx, "SELECT max(rowid) FROM returns").Scan(&maxRowID); err != nil {
		return nil, fmt.Errorf("sample codes: %w", err)
	}
	var codes []code
	for tries := 0; len(codes) < n; tries++ {
		if tries > 100*n {
			return nil, errors.New("sample codes: too few returns have identifiers")
		}
		// The column comes from a fixed list, never from input.
		col := scanColumns[len(codes)%len(scanColumns)]
		var v string
		err := d.db.QueryRowContext(ctx, "SELECT "+col+" FROM returns WHERE rowid = ?", 1+rng.Int64N(maxRowID)).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) || v == "" {
			continue // a gap in the rowids, or a return without this identifier: draw another
		} else if err != nil {
			return nil, fmt.Errorf("sample codes: %w", err)
		}
		c, err := newCode(v, true)
		if err != nil {
			return nil, err
		}
		codes = append(codes, c)
	}
	absent, err := absentCodes(ctx, d, rand.New(rand.NewPCG(rng.Uint64(), streamAbsent)), max(1, n/4))
	if err != nil {
		return nil, err
	}
	codes = append(codes, absent...)
	rng.Shuffle(len(codes), func(i, j int) { codes[i], codes[j] = codes[j], codes[i] })
	return codes, nil
}

// absentCodes makes n codes of the stored shapes that the database does not
// hold, checking each, so a miss counted later is a real miss.
func absentCodes(ctx context.Context, d *direct, rng *rand.Rand, n int) ([]code, error) {
	var codes []code
	for tries := 0; len(codes) < n; tries++ {
		if tries > 100*n {
			return nil, errors.New("sample codes: every generated code exists; is the seed the data's?")
		}
		v := anyCode(rng)
		found, err := d.find(ctx, v)
		if err != nil {
			return nil, fmt.Errorf("sample codes: %w", err)
		}
		if found > 0 {
			continue
		}
		c, err := newCode(v, false)
		if err != nil {
			return nil, err
		}
		codes = append(codes, c)
	}
	return codes, nil
}

// label names the code's kind, or "absent" for codes that match nothing.
func (c code) label() string {
	if !c.exists {
		return "absent"
	}
	return string(c.kind)
}

// newCode names the code's kind as the scan handler will read it. A
// generated code that labels does not recognise is a bug in the generator,
// and would measure a path no real scan takes.
func newCode(v string, exists bool) (code, error) {
	m := labels.Classify(v)
	if len(m) == 0 {
		return code{}, fmt.Errorf("sample codes: labels does not recognise %q", v)
	}
	return code{value: v, kind: m[0].Kind, exists: exists}, nil
}
