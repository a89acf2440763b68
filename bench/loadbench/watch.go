package main

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
)

// machineBusy is the share of all CPUs that was busy between a and b
// (other engineers' work and PostgreSQL's backends included).
func machineBusy(a, b benchkit.MachineCPU) float64 {
	if b.Total <= a.Total {
		return 0
	}
	return float64(b.Busy-a.Busy) / float64(b.Total-a.Total)
}

// cpuShare is the CPU a process used between two stats, in percent of one
// core (200% is both cores of a 2-core machine).
func cpuShare(a, b benchkit.ProcStat) float64 {
	wall := b.At.Sub(a.At)
	if wall <= 0 {
		return 0
	}
	return 100 * float64(b.CPU-a.CPU) / float64(wall)
}

// dbWatch looks at PostgreSQL while a step runs: the server's connections
// (how many, how many busy, how many waiting for a lock) sampled every
// 100 ms, and the size of audit_head, the one row every write to the feed
// updates. SQLite runs inside the server, whose CPU the step shows.
type dbWatch struct {
	db  *database
	sql *sql.DB // PostgreSQL only

	mu      sync.Mutex
	samples int
	conns   int // most connections seen at once
	busy    int // sums over the samples
	waiting int
	stop    chan struct{}
	done    chan struct{}
}

func newDBWatch(db *database) (*dbWatch, error) {
	w := &dbWatch{db: db}
	if db.dialect == dbPostgres {
		sdb, err := sql.Open("pgx", db.URL)
		if err != nil {
			return nil, err
		}
		sdb.SetMaxOpenConns(1)
		w.sql = sdb
	}
	return w, nil
}

func (w *dbWatch) close() {
	if w.sql != nil {
		w.sql.Close()
	}
}

// activityQuery counts the server's connections to its database, leaving
// out the watcher's own.
const activityQuery = `SELECT count(*), count(*) FILTER (WHERE state <> 'idle'), count(*) FILTER (WHERE wait_event_type = 'Lock')
FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`

// start begins sampling; each start is followed by one summary.
func (w *dbWatch) start(ctx context.Context) {
	w.mu.Lock()
	w.samples, w.conns, w.busy, w.waiting = 0, 0, 0, 0
	w.mu.Unlock()
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	if w.sql == nil {
		close(w.done)
		return
	}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			var all, busy, waiting int
			qctx, cancel := context.WithTimeout(ctx, time.Second)
			err := w.sql.QueryRowContext(qctx, activityQuery).Scan(&all, &busy, &waiting)
			cancel()
			if err == nil {
				w.mu.Lock()
				w.samples++
				w.conns = max(w.conns, all)
				w.busy += busy
				w.waiting += waiting
				w.mu.Unlock()
			}
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
}

// summary ends the sampling and says what was seen, in a few words.
func (w *dbWatch) summary(ctx context.Context) string {
	close(w.stop)
	<-w.done
	if w.sql == nil {
		return "-"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	head := ""
	var size int64
	if err := w.sql.QueryRowContext(ctx, "SELECT pg_relation_size('audit_head')").Scan(&size); err == nil {
		head = ", head " + kib(size)
	}
	if w.samples == 0 {
		return "no samples" + head
	}
	n := float64(w.samples)
	return fmt.Sprintf("conns %d, busy %.1f, lock-wait %.1f%s", w.conns, float64(w.busy)/n, float64(w.waiting)/n, head)
}

func kib(n int64) string {
	if n >= 10<<20 {
		return mib(n)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
