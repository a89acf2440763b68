package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
)

// loadStats says how the feed was filled.
type loadStats struct {
	total, insert, index, analyze time.Duration
	dataBytes                     int64 // sum of the data column
}

// loadBatch is how many changes one SQLite INSERT carries: 4 bound
// variables x 1000 rows stays well under SQLite's 32,766 per statement.
const loadBatch = 1000

// fillFeed writes opts.Rows inspection changes, seq 1..Rows, and moves the
// feed's head to the last one, as if the server had written them. The
// secondary indexes of changes are dropped first and rebuilt after (their
// DDL read from the schema, so they are the migration's), all in one
// transaction: an interrupted load leaves an empty feed with every index.
func fillFeed(ctx context.Context, db *database, opts options) (loadStats, error) {
	gen := newFeedGen(opts.Seed, opts.Rows)
	if db.dialect == store.SQLite {
		return fillSQLite(ctx, db, gen, opts.Rows)
	}
	return fillPostgres(ctx, db, gen, opts.Rows)
}

// loadDSN trades durability for speed, which only a loader may: a crash
// mid-load loses a database that is thrown away anyway. The journal stays
// WAL, the mode the store set and the server expects.
func loadDSN(path string) string {
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "OFF")
	q.Set("_txlock", "immediate")
	q.Set("_cache_size", "-262144") // KiB: 256 MiB holds the indexes being built
	return "file:" + path + "?" + q.Encode()
}

func fillSQLite(ctx context.Context, db *database, gen *feedGen, n int) (loadStats, error) {
	var st loadStats
	start := time.Now()
	sdb, err := sql.Open("sqlite3", loadDSN(db.SQLitePath()))
	if err != nil {
		return st, fmt.Errorf("open loader: %w", err)
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	tx, err := sdb.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("begin load: %w", err)
	}
	defer tx.Rollback()
	ddl, err := dropIndexes(ctx, sqlTx{tx},
		"SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'changes' AND sql IS NOT NULL")
	if err != nil {
		return st, err
	}
	t := time.Now()
	full, err := tx.PrepareContext(ctx, sqliteInsert(loadBatch))
	if err != nil {
		return st, fmt.Errorf("prepare insert: %w", err)
	}
	defer full.Close()
	args := make([]any, 0, 4*loadBatch)
	for done := 0; done < n; {
		k := min(loadBatch, n-done)
		args = args[:0]
		for range k {
			r := gen.next()
			st.dataBytes += int64(len(r.data))
			args = append(args, r.seq, r.entityID, r.data, r.at)
		}
		if k == loadBatch {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, sqliteInsert(k), args...)
		}
		if err != nil {
			return st, fmt.Errorf("insert changes: %w", err)
		}
		done += k
	}
	st.insert = time.Since(t)
	t = time.Now()
	for _, stmt := range ddl {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return st, fmt.Errorf("rebuild index: %w", err)
		}
	}
	st.index = time.Since(t)
	if _, err := tx.ExecContext(ctx, "UPDATE audit_head SET change_seq = ? WHERE id = 1", n); err != nil {
		return st, fmt.Errorf("move the feed head: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return st, fmt.Errorf("commit load: %w", err)
	}
	// A production database that has run for a while has statistics; the
	// planner must see the same here.
	t = time.Now()
	if _, err := sdb.ExecContext(ctx, "ANALYZE"); err != nil {
		return st, fmt.Errorf("analyze: %w", err)
	}
	if _, err := sdb.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return st, fmt.Errorf("checkpoint: %w", err)
	}
	st.analyze = time.Since(t)
	st.total = time.Since(start)
	return st, nil
}

// sqliteInsert is a multi-row INSERT of k changes; the columns every row
// shares are literals.
func sqliteInsert(k int) string {
	return "INSERT INTO changes (seq, entity, entity_id, op, site_id, data, at) VALUES " +
		strings.TrimSuffix(strings.Repeat("(?, 'inspection', ?, 'upsert', 'main', ?, ?),", k), ",")
}

func fillPostgres(ctx context.Context, db *database, gen *feedGen, n int) (loadStats, error) {
	var st loadStats
	start := time.Now()
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		return st, fmt.Errorf("connect loader: %w", err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(ctx)
	if err != nil {
		return st, fmt.Errorf("begin load: %w", err)
	}
	defer tx.Rollback(context.Background())
	// Only this transaction's commit, and only its index builds, are affected.
	for _, set := range []string{"SET LOCAL synchronous_commit = off", "SET LOCAL maintenance_work_mem = '512MB'"} {
		if _, err := tx.Exec(ctx, set); err != nil {
			return st, fmt.Errorf("%s: %w", set, err)
		}
	}
	ddl, err := dropIndexes(ctx, pgTx{tx},
		`SELECT i.relname::text, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
		 WHERE x.indrelid = 'changes'::regclass AND NOT x.indisprimary AND NOT x.indisunique`)
	if err != nil {
		return st, err
	}
	t := time.Now()
	done := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if done == n {
			return nil, nil
		}
		done++
		r := gen.next()
		st.dataBytes += int64(len(r.data))
		return []any{r.seq, "inspection", r.entityID, "upsert", "main", r.data, r.at}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"changes"},
		[]string{"seq", "entity", "entity_id", "op", "site_id", "data", "at"}, src); err != nil {
		return st, fmt.Errorf("copy changes: %w", err)
	}
	st.insert = time.Since(t)
	t = time.Now()
	for _, stmt := range ddl {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return st, fmt.Errorf("rebuild index: %w", err)
		}
	}
	st.index = time.Since(t)
	if _, err := tx.Exec(ctx, "UPDATE audit_head SET change_seq = $1 WHERE id = 1", n); err != nil {
		return st, fmt.Errorf("move the feed head: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return st, fmt.Errorf("commit load: %w", err)
	}
	// VACUUM sets the visibility map (index-only scans, no hint-bit writes
	// on the first reads) and ANALYZE the statistics, as autovacuum would
	// have done long ago on a feed this old.
	t = time.Now()
	if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) changes"); err != nil {
		return st, fmt.Errorf("vacuum analyze: %w", err)
	}
	// The load's dirty pages go to disk now, not while the pulls are timed.
	// CHECKPOINT needs a superuser (or pg_checkpoint); without one the
	// checkpointer does it in its own time.
	conn.Exec(ctx, "CHECKPOINT")
	st.analyze = time.Since(t)
	st.total = time.Since(start)
	return st, nil
}

// ddlTx is the loader's transaction, on either driver.
type ddlTx interface {
	// pairs runs a query whose rows are two strings.
	pairs(ctx context.Context, query string) ([][2]string, error)
	exec(ctx context.Context, stmt string) error
}

type sqlTx struct{ tx *sql.Tx }

func (t sqlTx) pairs(ctx context.Context, query string) ([][2]string, error) {
	rows, err := t.tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (t sqlTx) exec(ctx context.Context, stmt string) error {
	_, err := t.tx.ExecContext(ctx, stmt)
	return err
}

type pgTx struct{ tx pgx.Tx }

func (t pgTx) pairs(ctx context.Context, query string) ([][2]string, error) {
	rows, err := t.tx.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (t pgTx) exec(ctx context.Context, stmt string) error {
	_, err := t.tx.Exec(ctx, stmt)
	return err
}

// dropIndexes drops the indexes that list selects as (name, CREATE INDEX
// statement) and returns the statements that recreate them.
func dropIndexes(ctx context.Context, tx ddlTx, list string) ([]string, error) {
	idx, err := tx.pairs(ctx, list)
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("changes has no secondary index to rebuild: has the migration changed?")
	}
	var ddl []string
	for _, p := range idx {
		if err := tx.exec(ctx, `DROP INDEX "`+p[0]+`"`); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", p[0], err)
		}
		ddl = append(ddl, p[1])
	}
	return ddl, nil
}

// feedRow is one generated change.
type feedRow struct {
	seq      int64
	entityID string
	data     string
	at       time.Time
}

// feedGen makes the changes of an inspection bench that has run for a
// year: each row an inspection as the store writes it to the feed (the
// record marshalled whole), drafts and completed ones, with and without a
// return, notes of varied length.
type feedGen struct {
	rng        *rand.Rand
	seq        int64
	start      time.Time
	step       time.Duration
	inspectors []string
}

func newFeedGen(seed uint64, rows int) *feedGen {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	g := &feedGen{rng: rng, start: time.Now().UTC().AddDate(-1, 0, 0).Truncate(time.Microsecond)}
	g.step = max(time.Microsecond, (365*24*time.Hour)/time.Duration(rows))
	for range 12 {
		g.inspectors = append(g.inspectors, g.uuid())
	}
	return g
}

// uuid is a random version-4 UUID from the generator's stream.
func (g *feedGen) uuid() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := g.rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

var noteParts = []string{
	"Outer box crushed on one corner, inner packaging fine.",
	"Customer says it stopped working after two days; powers on at the bench.",
	"All accessories present, charger still sealed.",
	"Scuffs on the left side, screen without scratches.",
	"Wrong colour sent back (black instead of silver).",
	"Serial matches the order.",
	"Missing the quick-start guide.",
	"Smells of smoke.",
}

func (g *feedGen) next() feedRow {
	g.seq++
	r := g.rng
	at := g.start.Add(time.Duration(g.seq) * g.step)
	yes, no := true, false
	pick := func() *bool {
		if r.IntN(2) == 0 {
			return &yes
		}
		return &no
	}
	in := inspection.Inspection{
		ID: g.uuid(), SiteID: inspection.DefaultSiteID, ScannedCode: upsNumber(r),
		InspectorID: g.inspectors[r.IntN(len(g.inspectors))], Status: inspection.StatusDraft,
		Checklist: inspection.Checklist{OuterPackageIntact: pick(), FactorySealIntact: pick(), AccessoriesComplete: pick()},
		Version:   int64(1 + r.IntN(4)), CreatedAt: at.Add(-time.Duration(r.IntN(3600)) * time.Second), UpdatedAt: at,
	}
	captured := in.CreatedAt
	in.CapturedAt = &captured
	if r.IntN(3) > 0 {
		ret := g.uuid()
		in.ReturnID = &ret
	}
	var notes []string
	for range r.IntN(3) {
		notes = append(notes, noteParts[r.IntN(len(noteParts))])
	}
	in.Notes = strings.Join(notes, " ")
	if r.IntN(10) < 7 {
		in.Status, in.CompletedAt = inspection.StatusCompleted, &at
		in.Checklist.SameItem, in.Checklist.SignsOfUse = pick(), pick()
		switch r.IntN(3) {
		case 0:
			in.Grade, in.Disposition, in.Verdict = inspection.GradeResellable, inspection.DispositionRelabelRestock, inspection.VerdictNotApplicable
		case 1:
			in.Grade, in.Disposition, in.UsedCondition = inspection.GradeRefurbishedUsed, inspection.DispositionListUsed, inspection.UsedVeryGood
			in.Verdict, in.RestockingFeePercent, in.RestockingFeeAmount = inspection.VerdictClaimDisputed, 20, inspection.Cents(r.IntN(5000))
		default:
			in.Grade, in.Disposition, in.Verdict = inspection.GradeDestroy, inspection.DispositionDispose, inspection.VerdictClaimSupported
		}
	}
	data, _ := json.Marshal(&in)
	return feedRow{seq: g.seq, entityID: in.ID, data: string(data), at: at}
}

const upsAlphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// upsNumber is a UPS-style tracking number: 1Z and 16 characters.
func upsNumber(r *rand.Rand) string {
	b := []byte("1Z")
	for range 16 {
		b = append(b, upsAlphabet[r.IntN(len(upsAlphabet))])
	}
	return string(b)
}

func printLoad(out io.Writer, rows int, st loadStats) {
	fmt.Fprintf(out, "filled the feed with %d changes (%d B of data each on average) in %s (%.0f rows/s): insert %s, indexes %s, analyze %s\n",
		rows, st.dataBytes/int64(rows), round(st.total), float64(rows)/st.total.Seconds(),
		round(st.insert), round(st.index), round(st.analyze))
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
