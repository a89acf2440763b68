package network_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/returnbench/returnbench/faults/network/device"
	"github.com/returnbench/returnbench/faults/proxy"
)

// upload is one file sent by its own device in a fault test.
type upload struct {
	d    *device.Device
	f    *device.File
	opt  device.UploadOptions
	rep  device.UploadReport
	err  error
	name string
}

// newUploads prepares several MiB of video per device, sent three ways:
// the rest of the file in each PATCH (the server keeps whatever arrived),
// and in chunks with a per-chunk SHA-256 (the server keeps a chunk only if
// all of it arrived).
func newUploads(t *testing.T, r *rig) []*upload {
	t.Helper()
	plans := []struct {
		size int
		opt  device.UploadOptions
	}{
		{12 * mib, device.UploadOptions{}},
		{9*mib + 12345, device.UploadOptions{Chunk: 2 * mib, Checksum: true}},
		{7*mib + 1, device.UploadOptions{Chunk: mib, Checksum: true}},
		{5*mib - 3, device.UploadOptions{}},
	}
	owner := r.mustUser(t, "ana")
	insp := mustInspection(t, owner)
	var ups []*upload
	for i, p := range plans {
		u := &upload{d: r.mustDevice(t, "ana"), f: device.Video(insp, p.size, byte(10+i)), opt: p.opt}
		u.name = fmt.Sprintf("%d bytes, chunk %d, checksum %v", p.size, p.opt.Chunk, p.opt.Checksum)
		ups = append(ups, u)
	}
	return ups
}

// runUploads sends every upload at once while faults runs, then waits
// for all of them and checks that the server holds every file whole.
func runUploads(t *testing.T, ups []*upload, faults func(ctx context.Context)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for _, u := range ups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u.rep, u.err = u.d.Upload(ctx, u.f, u.opt)
		}()
	}
	faults(ctx)
	healed := time.Since(start)
	wg.Wait()
	t.Logf("faults for %v; every upload ended %v after the start", healed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	for _, u := range ups {
		if u.err != nil {
			t.Errorf("%s: %v", u.name, u.err)
			continue
		}
		if err := u.d.Verify(ctx, u.f); err != nil {
			t.Errorf("%s: %v", u.name, err)
		}
		t.Logf("%s: verified after %d requests, %d failed; went on from the server's offsets %v",
			u.name, u.rep.Requests, u.d.Failures.Load(), u.rep.Offsets)
	}
}

func TestUploadsThroughBadClientNetwork(t *testing.T) {
	r := mustRig(t)
	ups := newUploads(t, r)
	p := r.client
	runUploads(t, ups, func(ctx context.Context) {
		p.SetLatency(proxy.Up, 10*time.Millisecond)
		p.SetLatency(proxy.Down, 10*time.Millisecond)
		// A weak Wi-Fi: each connection carries 4 MiB/s and drops after
		// 3 MiB, so every file is cut at least once mid-chunk.
		p.SetBandwidth(proxy.Up, 4*mib)
		p.SetResetAfter(proxy.Up, 3*mib)
		sleep(ctx, 400*time.Millisecond)
		p.Reset()
		sleep(ctx, 400*time.Millisecond)
		p.Cut()
		sleep(ctx, 300*time.Millisecond)
		// The phone leaves the building: nothing gets through for a while.
		p.SetRefusing(true)
		p.Reset()
		sleep(ctx, time.Second)
		p.SetRefusing(false)
		p.SetPaused(true)
		sleep(ctx, 700*time.Millisecond)
		p.SetPaused(false)
		sleep(ctx, 300*time.Millisecond)
		p.Reset()
		if err := p.Heal(); err != nil {
			t.Error(err)
		}
	})
	for _, u := range ups {
		if len(u.rep.Offsets) == 0 {
			t.Errorf("%s: never resumed, want every file cut at least once", u.name)
		}
	}
}

func TestUploadsThroughBadStoreNetwork(t *testing.T) {
	r := mustRig(t)
	ups := newUploads(t, r)
	// Uploads take a few seconds, so the store's faults land while they run.
	r.client.SetBandwidth(proxy.Up, 4*mib)
	p := r.s3
	// A file of the probe's own, half sent: its next PATCH must read the
	// stored tail back from S3.
	waiting := device.Video(ups[0].f.InspectionID, 2*mib, 30)
	loc := mustStartUpload(t, r.probe, waiting, mib)
	runUploads(t, ups, func(ctx context.Context) {
		p.SetLatency(proxy.Up, 5*time.Millisecond)
		// Each connection to S3 is reset after 7 MiB: the second part sent
		// on it breaks off midway.
		p.SetResetAfter(proxy.Up, 7*mib)
		sleep(ctx, 300*time.Millisecond)
		p.Reset()
		sleep(ctx, 300*time.Millisecond)
		p.Cut()
		sleep(ctx, 300*time.Millisecond)
		// S3 is gone: the server must say so quickly, and the uploads wait.
		p.SetRefusing(true)
		p.Reset()
		checkOutage(t, r, "S3", []probe{
			{method: "GET", path: "/healthz", status: 200},
			{method: "GET", path: "/readyz", status: 503, code: "unavailable"},
			{method: "POST", path: "/api/v1/uploads", header: createHeader(device.Video(waiting.InspectionID, mib, 31)), status: 503, code: "unavailable"},
			{method: "PATCH", path: loc, body: waiting.Data[mib:], header: patchAt(mib), status: 503, code: "unavailable"},
		})
		if err := p.Heal(); err != nil {
			t.Error(err)
		}
	})
	// The file refused during the outage resumes where it stopped.
	if rep := mustResume(t, r.probe, waiting, loc); rep.Requests != 2 || len(rep.Offsets) != 1 || rep.Offsets[0] != mib {
		t.Errorf("the waiting file: %d requests, offsets %v, want HEAD at %d then one PATCH", rep.Requests, rep.Offsets, mib)
	}
}
