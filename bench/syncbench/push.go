package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
	rbsync "github.com/returnbench/returnbench/sync"
)

// device is one phone pushing its outbox: its client_id, the seq of its
// mutations and the inspections it made, at the version it last saw.
type device struct {
	clientID string
	seq      int64
	rng      *rand.Rand
	made     []made
}

type made struct {
	id      string
	scanned string
	version int64
}

// mutation is one inspection.save the device made. Base 0 creates the
// inspection; otherwise it changes made[index], which is at version base.
type mutation struct {
	id        string
	seq       int64
	inspID    string
	scanned   string
	notes     string
	checklist inspection.Checklist
	base      int64
	index     int
}

func newDevice(name string, i int, seed uint64) *device {
	return &device{clientID: fmt.Sprintf("%s-%d", name, i), rng: rand.New(rand.NewPCG(seed, uint64(i)))}
}

// nextBatch makes n mutations. With updates > 0 that share of them changes
// an inspection the device made in an earlier batch (each at most once per
// batch, so its base_version is the one the device last saw).
func (d *device) nextBatch(n int, updates float64) []mutation {
	out := make([]mutation, 0, n)
	touched := map[int]bool{}
	for range n {
		d.seq++
		yes := true
		m := mutation{id: uuid.NewString(), seq: d.seq, index: -1,
			notes:     noteParts[d.rng.IntN(len(noteParts))],
			checklist: inspection.Checklist{OuterPackageIntact: &yes}}
		if updates > 0 && len(d.made) > len(touched) && d.rng.Float64() < updates {
			i := d.rng.IntN(len(d.made))
			for touched[i] {
				i = (i + 1) % len(d.made)
			}
			touched[i] = true
			m.inspID, m.scanned, m.base, m.index = d.made[i].id, d.made[i].scanned, d.made[i].version, i
			m.checklist.AccessoriesComplete = &yes
		} else {
			m.inspID, m.scanned = uuid.NewString(), upsNumber(d.rng)
		}
		out = append(out, m)
	}
	return out
}

// applied notes that a batch is on the server.
func (d *device) applied(batch []mutation) {
	for _, m := range batch {
		if m.base == 0 {
			d.made = append(d.made, made{id: m.inspID, scanned: m.scanned, version: 1})
		} else {
			d.made[m.index].version = m.base + 1
		}
	}
}

// savePayload is inspection.save as a device sends it.
type savePayload struct {
	ID          string               `json:"id"`
	ScannedCode string               `json:"scanned_code,omitempty"`
	Notes       string               `json:"notes"`
	Checklist   inspection.Checklist `json:"checklist"`
	BaseVersion *int64               `json:"base_version,omitempty"`
}

func (m mutation) request() rbsync.Mutation {
	p := savePayload{ID: m.inspID, Notes: m.notes, Checklist: m.checklist}
	if m.base == 0 {
		p.ScannedCode = m.scanned
	} else {
		base := m.base
		p.BaseVersion = &base
	}
	payload, _ := json.Marshal(p)
	return rbsync.Mutation{ID: m.id, Seq: m.seq, Type: "inspection.save", Payload: payload}
}

// writeBatch writes one batch of a device somewhere: through the API, or
// straight into the database. It errs if any mutation did not land.
type writeBatch func(ctx context.Context, d *device, batch []mutation) error

// timing is what one method measured: ops timed units (batches or pulls)
// carrying items (mutations or changes) in elapsed, and each op's latency.
type timing struct {
	name    string
	ops     int
	items   int
	elapsed time.Duration
	lat     []time.Duration // sorted
}

func (t timing) itemsPerSec() float64 { return float64(t.items) / t.elapsed.Seconds() }

func (t timing) opsPerSec() float64 { return float64(t.ops) / t.elapsed.Seconds() }

// runDevices has every device write batches batches at once, one batch
// after another each, and times them. The first error stops every device:
// a figure over failed writes would measure the failure.
func runDevices(ctx context.Context, name string, devices []*device, batches, size int, updates float64, write writeBatch) (timing, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lat := make([][]time.Duration, len(devices)) // each device appends to its own
	var wg sync.WaitGroup
	start := time.Now()
	for i, d := range devices {
		wg.Go(func() {
			for range batches {
				if ctx.Err() != nil {
					return
				}
				batch := d.nextBatch(size, updates)
				t0 := time.Now()
				if err := write(ctx, d, batch); err != nil {
					cancel(fmt.Errorf("%s: %w", d.clientID, err))
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
				d.applied(batch)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		return timing{}, context.Cause(ctx)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	return timing{name: name, ops: len(all), items: len(all) * size, elapsed: elapsed, lat: all}, nil
}

// warmAndRun runs opts.Warmup unrecorded batches per device, then the
// timed ones; profile names the CPU profile of the timed part.
func warmAndRun(ctx context.Context, opts options, name, profile string, devices []*device, write writeBatch) (timing, error) {
	if opts.Warmup > 0 {
		if _, err := runDevices(ctx, name, devices, opts.Warmup, opts.BatchSize, opts.Updates, write); err != nil {
			return timing{}, fmt.Errorf("%s warm-up: %w", name, err)
		}
	}
	stop, err := startProfile(opts.Profile, profile)
	if err != nil {
		return timing{}, err
	}
	t, err := runDevices(ctx, name, devices, opts.Batches, opts.BatchSize, opts.Updates, write)
	if perr := stop(); err == nil && perr != nil {
		err = perr
	}
	if err != nil {
		return timing{}, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

// pushResult is the push phase: its timing and the Go heap around it.
type pushResult struct {
	timing
	heapBefore, heapAfter uint64
	// headBytes is the size of PostgreSQL's one-row audit_head table after
	// the push: every version of the row the push wrote that could not be
	// pruned while the devices' transactions overlapped.
	headBytes int64
}

// measurePush pushes through the API from opts.Clients devices at once
// and checks every answer: each mutation applied, at the version expected.
func measurePush(ctx context.Context, opts options, db *database, a *api) (pushResult, error) {
	devices := make([]*device, opts.Clients)
	for i := range devices {
		devices[i] = newDevice("syncbench", i, opts.Seed)
	}
	push := func(ctx context.Context, d *device, batch []mutation) error {
		req := &rbsync.PushRequest{ClientID: d.clientID, Mutations: make([]rbsync.Mutation, len(batch))}
		for i, m := range batch {
			req.Mutations[i] = m.request()
		}
		res, err := a.push(ctx, req)
		if err != nil {
			return err
		}
		return checkResults(batch, res.Results)
	}
	var r pushResult
	if err := db.settle(ctx); err != nil {
		return r, err
	}
	r.heapBefore = heapInUse()
	t, err := warmAndRun(ctx, opts, "HTTP push (sync protocol)", db.dialect+"-push.pprof", devices, push)
	if err != nil {
		return r, err
	}
	r.timing, r.heapAfter = t, heapInUse()
	if db.dialect == store.Postgres {
		if r.headBytes, err = db.headSize(ctx); err != nil {
			return r, err
		}
	}
	return r, nil
}

// checkResults wants one applied result per mutation, in order, each at
// the version that follows the one the device sent.
func checkResults(batch []mutation, results []rbsync.Result) error {
	if len(results) != len(batch) {
		return fmt.Errorf("pushed %d mutations, got %d results", len(batch), len(results))
	}
	for i, m := range batch {
		r := results[i]
		switch {
		case r.ID != m.id:
			return fmt.Errorf("result %d is for mutation %s, want %s", i, r.ID, m.id)
		case r.Status != rbsync.StatusApplied:
			msg := ""
			if r.Error != nil {
				msg = r.Error.Code + ": " + r.Error.Message
			}
			return fmt.Errorf("mutation %s (inspection %s, base %d) was %s, not applied: %s", m.id, m.inspID, m.base, r.Status, msg)
		case r.Version != m.base+1:
			return fmt.Errorf("mutation %s: inspection %s is at version %d, want %d", m.id, m.inspID, r.Version, m.base+1)
		}
	}
	return nil
}

// heapInUse is the live Go heap after a collection. The server runs in
// this process, so what it keeps after a phase shows here.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
