package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
	rbsync "github.com/returnbench/returnbench/sync"
)

// pullWarmup is how many pulls each method makes before it is timed.
const pullWarmup = 20

// pageReader reads the page after seq, checks it is the right one and
// says how long the read took (for the API: until the whole answer is in,
// before the bench decodes it).
type pageReader struct {
	name string
	read func(ctx context.Context, after int64) (time.Duration, error)
}

// timed measures a read that has nothing to do after it.
func timed(read func(ctx context.Context, after int64) error) func(ctx context.Context, after int64) (time.Duration, error) {
	return func(ctx context.Context, after int64) (time.Duration, error) {
		t0 := time.Now()
		err := read(ctx, after)
		return time.Since(t0), err
	}
}

// measurePulls times pages of the feed read three ways from the same
// cursors, one pull at a time: plain SQL (the floor), store.Changes (GORM),
// and GET /api/v1/sync/pull as an inspector of the default site. The
// cursors are spread over the whole feed and taken in random order. The
// CPU profile (-profile) covers all three.
func measurePulls(ctx context.Context, opts options, db *database, a *api, out io.Writer) ([]timing, error) {
	sdb, err := db.openSQL()
	if err != nil {
		return nil, err
	}
	defer sdb.Close()
	var epoch string
	if err := sdb.QueryRowContext(ctx, "SELECT epoch FROM sync_meta WHERE id = 1").Scan(&epoch); err != nil {
		return nil, fmt.Errorf("read the feed epoch: %w", err)
	}
	query := pageQuery(db.dialect)
	if err := printPlan(ctx, out, db.dialect, sdb, query, opts.PageSize); err != nil {
		return nil, err
	}
	cursors := spreadCursors(opts)
	page := opts.PageSize
	readers := []pageReader{
		{"direct SQL", timed(func(ctx context.Context, after int64) error { return readSQL(ctx, sdb, query, after, page) })},
		{"store.Changes (GORM)", timed(func(ctx context.Context, after int64) error {
			rows, more, err := a.srv.Store().Changes(ctx, inspection.DefaultSiteID, after, page)
			if err != nil {
				return err
			}
			if len(rows) != page || !more || rows[0].Seq != after+1 || rows[page-1].Seq != after+int64(page) {
				return fmt.Errorf("store.Changes after %d: %d rows, more %t: not the page wanted", after, len(rows), more)
			}
			return nil
		})},
		{"HTTP pull", func(ctx context.Context, after int64) (time.Duration, error) {
			return readAPI(ctx, a, epoch, after, page)
		}},
	}
	// One untimed pass over every cursor first, so that the pages are in
	// the same caches (the OS's, PostgreSQL's shared buffers) whichever
	// method reads them, then each method's own warm-up (its connections,
	// its prepared statements).
	for _, after := range cursors {
		if _, err := readers[0].read(ctx, after); err != nil {
			return nil, fmt.Errorf("%s: %w", readers[0].name, err)
		}
	}
	for _, r := range readers {
		for _, after := range cursors[:min(pullWarmup, len(cursors))] {
			if _, err := r.read(ctx, after); err != nil {
				return nil, fmt.Errorf("%s warm-up: %w", r.name, err)
			}
		}
	}
	stop, err := startProfile(opts.Profile, db.dialect+"-pull.pprof")
	if err != nil {
		return nil, err
	}
	// The methods take turns on each cursor, first one then another, so
	// whatever else the machine does in the meantime falls on all three
	// alike and the ratios to the SQL floor stay fair.
	res := make([]timing, len(readers))
	for k, r := range readers {
		res[k] = timing{name: r.name, ops: len(cursors), items: len(cursors) * page, lat: make([]time.Duration, 0, len(cursors))}
	}
	for i, after := range cursors {
		for j := range readers {
			k := (i + j) % len(readers)
			d, err := readers[k].read(ctx, after)
			if err != nil {
				stop()
				return nil, fmt.Errorf("%s: %w", readers[k].name, err)
			}
			res[k].lat = append(res[k].lat, d)
			res[k].elapsed += d // one pull at a time: pages/s is 1 / mean latency
		}
	}
	if err := stop(); err != nil {
		return nil, err
	}
	for k := range res {
		slices.Sort(res[k].lat)
	}
	return res, nil
}

// spreadCursors are opts.Pulls feed positions evenly spread over the
// feed, each with a full page after it and one more row (so every page
// says more follow), in a random order.
func spreadCursors(opts options) []int64 {
	last := int64(opts.Rows - opts.PageSize - 1)
	out := make([]int64, opts.Pulls)
	for i := range out {
		if opts.Pulls > 1 {
			out[i] = int64(i) * last / int64(opts.Pulls-1)
		}
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0xc0de))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// pageQuery is the query store.Changes makes for an inspector: a site's
// changes after a seq, in order, one more than a page.
func pageQuery(dialect string) string {
	q := "SELECT seq, entity, entity_id, op, site_id, data, at FROM changes WHERE site_id = ? AND seq > ? ORDER BY seq LIMIT ?"
	if dialect == store.Postgres {
		q = strings.NewReplacer("site_id = ?", "site_id = $1", "seq > ?", "seq > $2", "LIMIT ?", "LIMIT $3").Replace(q)
	}
	return q
}

// readSQL reads a page with database/sql and checks it.
func readSQL(ctx context.Context, db *sql.DB, query string, after int64, page int) error {
	rows, err := db.QueryContext(ctx, query, inspection.DefaultSiteID, after, page+1)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		c store.Change
		n int
	)
	for rows.Next() {
		if err := rows.Scan(&c.Seq, &c.Entity, &c.EntityID, &c.Op, &c.SiteID, &c.Data, &c.At); err != nil {
			return err
		}
		if n++; c.Seq != after+int64(n) {
			return fmt.Errorf("direct SQL after %d: row %d has seq %d", after, n, c.Seq)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n != page+1 {
		return fmt.Errorf("direct SQL after %d: %d rows, want %d", after, n, page+1)
	}
	return nil
}

// readAPI pulls a page and checks it. The time is the
// request's, up to the last byte of the answer; decoding it is the bench's.
func readAPI(ctx context.Context, a *api, epoch string, after int64, page int) (time.Duration, error) {
	cur, _ := json.Marshal(map[string]any{"e": epoch, "s": after})
	t0 := time.Now()
	body, err := a.pullBody(ctx, base64.RawURLEncoding.EncodeToString(cur), page)
	d := time.Since(t0)
	if err != nil {
		return d, err
	}
	var res rbsync.PullResponse
	if err := json.Unmarshal(body, &res); err != nil {
		return d, fmt.Errorf("pull after %d: %w", after, err)
	}
	return d, checkPage(res, epoch, after, page)
}

// checkPage wants a full page of inspections, more to come, and a cursor
// at the page's last seq.
func checkPage(res rbsync.PullResponse, epoch string, after int64, page int) error {
	if len(res.Changes) != page || !res.More {
		return fmt.Errorf("pull after %d: %d changes, more %t; want %d and more", after, len(res.Changes), res.More, page)
	}
	raw, err := base64.RawURLEncoding.DecodeString(res.Cursor)
	var next struct {
		E string `json:"e"`
		S int64  `json:"s"`
	}
	if err != nil || json.Unmarshal(raw, &next) != nil || next.E != epoch || next.S != after+int64(page) {
		return fmt.Errorf("pull after %d: cursor %q does not point at seq %d of epoch %s", after, raw, after+int64(page), epoch)
	}
	first := res.Changes[0]
	var data struct {
		ID string `json:"id"`
	}
	if first.Entity != store.EntityInspection || json.Unmarshal(first.Data, &data) != nil || data.ID != first.ID {
		return fmt.Errorf("pull after %d: first change is %s %s with data %.100s", after, first.Entity, first.ID, first.Data)
	}
	return nil
}

// printPlan shows how the database runs the page query, so a slow pull can
// be told from a missing index at a glance.
func printPlan(ctx context.Context, out io.Writer, dialect string, db *sql.DB, query string, page int) error {
	explain := "EXPLAIN QUERY PLAN " + query
	if dialect == store.Postgres {
		explain = "EXPLAIN " + query
	}
	rows, err := db.QueryContext(ctx, explain, inspection.DefaultSiteID, 0, page+1)
	if err != nil {
		return fmt.Errorf("explain the page query: %w", err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		lines = append(lines, strings.TrimSpace(fmt.Sprint(vals[len(vals)-1])))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	fmt.Fprintf(out, "page query plan: %s\n", strings.Join(lines, " / "))
	return nil
}
