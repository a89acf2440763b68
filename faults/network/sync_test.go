package network_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/returnbench/returnbench/faults/network/device"
	"github.com/returnbench/returnbench/faults/proxy"
	rbsync "github.com/returnbench/returnbench/sync"
)

// The sync workload of these tests: devices pushing rounds of saves while
// one more device pulls the feed as it grows.
const (
	pushers  = 4
	rounds   = 8
	perRound = 8
)

// syncRun is pushes from several devices and a concurrent puller.
type syncRun struct {
	written device.Written
	pulled  []rbsync.Change // what the puller saw while the pushes went on
	devices []*device.Device
}

// runSync pushes from pushers devices through the client proxy, each on
// its own connections, while faults runs; a puller follows the feed with
// its cursor all along. It returns once the pushes are answered and the
// puller has caught up.
func runSync(t *testing.T, r *rig, faults func(ctx context.Context)) syncRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r.mustUser(t, "ana")
	run := syncRun{written: device.Written{}}
	for range pushers {
		run.devices = append(run.devices, r.mustDevice(t, "ana"))
	}
	puller := r.mustDevice(t, "ana")

	var wg sync.WaitGroup
	var mu sync.Mutex
	errs := make(chan error, pushers+1)
	pushing, faultsDone := make(chan struct{}), make(chan struct{})
	for _, d := range run.devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := d.PushRounds(ctx, rounds, perRound)
			mu.Lock()
			run.written.Merge(w)
			mu.Unlock()
			if err != nil {
				errs <- err
			}
		}()
	}
	go func() { defer close(faultsDone); faults(ctx) }()
	go func() { wg.Wait(); close(pushing) }()

	// The puller keeps its cursor as a phone does, through the faults, and
	// pulls once more after the last push is answered.
	cursor := ""
	for last := false; !last; {
		select {
		case <-pushing:
			<-faultsDone
			last = true
		case <-time.After(100 * time.Millisecond):
		}
		changes, next, err := puller.Pull(ctx, cursor)
		if err != nil {
			t.Errorf("puller: %v", err)
			cancel() // stop the pushers; the faults end on their own
			<-pushing
			<-faultsDone
			break
		}
		run.pulled, cursor = append(run.pulled, changes...), next
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	run.devices = append(run.devices, puller)
	return run
}

// check wants every write applied exactly once: in the feed the puller
// followed through the faults, and in a pull from the start made after.
func (run syncRun) check(t *testing.T, r *rig) {
	t.Helper()
	if got, want := len(run.written), pushers*rounds*perRound; got != want {
		t.Fatalf("%d inspections written, want %d", got, want)
	}
	if err := device.ExactlyOnce(run.pulled, run.written); err != nil {
		t.Errorf("the feed followed during the faults: %v", err)
	}
	fresh := r.mustDevice(t, "ana")
	all, _, err := fresh.Pull(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := device.ExactlyOnce(all, run.written); err != nil {
		t.Errorf("a pull from the start: %v", err)
	}
	var failures int64
	for _, d := range run.devices {
		failures += d.Failures.Load()
	}
	t.Logf("%d mutations (%d inspection versions) applied exactly once; %d requests failed and were sent again",
		pushers*(2*rounds-1)*perRound, run.written.Versions(), failures)
	if failures == 0 {
		t.Error("no request failed: the faults did not reach the sync traffic")
	}
}

// every runs fn every period until ctx ends or for d, whichever is first.
func every(ctx context.Context, period, d time.Duration, fn func()) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	end := time.After(d)
	for {
		select {
		case <-ctx.Done():
			return
		case <-end:
			return
		case <-tick.C:
			fn()
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func TestSyncThroughBadClientNetwork(t *testing.T) {
	r := mustRig(t)
	run := runSync(t, r, func(ctx context.Context) {
		p := r.client
		p.SetLatency(proxy.Up, 15*time.Millisecond)
		p.SetLatency(proxy.Down, 15*time.Millisecond)
		// Every answer is lost on its way back: the pushes are applied but
		// the devices do not know it, and send them again.
		p.SetResetAfter(proxy.Down, 1)
		sleep(ctx, 600*time.Millisecond)
		p.SetResetAfter(proxy.Down, 0)
		every(ctx, 150*time.Millisecond, 1500*time.Millisecond, func() { p.Reset() })
		every(ctx, 150*time.Millisecond, 900*time.Millisecond, func() { p.Cut() })
		p.SetRefusing(true)
		p.Reset()
		sleep(ctx, 500*time.Millisecond)
		if err := p.Heal(); err != nil {
			t.Error(err)
		}
	})
	run.check(t, r)
}

func TestSyncThroughBadDatabaseNetwork(t *testing.T) {
	r := mustRig(t)
	run := runSync(t, r, func(ctx context.Context) {
		p := r.db
		p.SetLatency(proxy.Up, 2*time.Millisecond)
		every(ctx, 120*time.Millisecond, 1500*time.Millisecond, func() { p.Reset() })
		every(ctx, 120*time.Millisecond, 900*time.Millisecond, func() { p.Cut() })
		// PostgreSQL is gone: the server must say so at once, and keep
		// saying it is alive.
		p.SetRefusing(true)
		p.Reset()
		checkOutage(t, r, "database", []probe{
			{method: "GET", path: "/healthz", status: 200},
			{method: "GET", path: "/readyz", status: 503, code: "unavailable"},
			{method: "POST", path: "/api/v1/sync/push", body: emptyPush, status: 503, code: "unavailable"},
			{method: "GET", path: "/api/v1/sync/pull", status: 503, code: "unavailable"},
		})
		if err := p.Heal(); err != nil {
			t.Error(err)
		}
	})
	run.check(t, r)
}
