package network_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/returnbench/returnbench/faults/network/device"
	rbsync "github.com/returnbench/returnbench/sync"
)

// answerWithin is how long the server may take to answer while a store it
// needs is unreachable. A phone's request must end in a clear error that
// it can retry later, never hang on a store that does not answer.
const answerWithin = 20 * time.Second

// probe is one request sent while a store is down, and the answer wanted.
type probe struct {
	method, path string
	body         any
	header       []string
	status       int    // 0: any 5xx
	code         string // the API error code; "" for any
}

// checkOutage sends the probes to the server directly, all at once, and
// wants each answered within answerWithin: with its status, and when it
// is an error, with the API's JSON error body.
func checkOutage(t *testing.T, r *rig, what string, probes []probe) {
	t.Helper()
	type answer struct {
		p    probe
		res  device.Response
		took time.Duration
		err  error
	}
	answers := make(chan answer, len(probes))
	for _, p := range probes {
		go func() {
			res, took, err := r.probe.Probe(context.Background(), answerWithin, p.method, p.path, p.body, p.header...)
			answers <- answer{p, res, took, err}
		}()
	}
	for range probes {
		a := <-answers
		name := what + " down: " + a.p.method + " " + a.p.path
		switch {
		case a.err != nil:
			t.Errorf("%s: %v (after %v), want an answer within %v", name, a.err, a.took.Round(time.Millisecond), answerWithin)
			continue
		case a.p.status == 0 && a.res.Status < 500, a.p.status != 0 && a.res.Status != a.p.status:
			want := "a 5xx"
			if a.p.status != 0 {
				want = http.StatusText(a.p.status)
			}
			t.Errorf("%s: got %s, want %s", name, a.res, want)
			continue
		}
		if a.res.Status >= 400 && a.p.method != "HEAD" { // a HEAD answer has no body
			e, ok := a.res.APIError()
			if !ok || (a.p.code != "" && e.Error.Code != a.p.code) {
				t.Errorf("%s: body %s, want the JSON error (code %q, message, request id)", name, a.res.Body, a.p.code)
			}
			if strings.Contains(strings.ToLower(e.Error.Message), "dial") || strings.Contains(e.Error.Message, "127.0.0.1") {
				t.Errorf("%s: the message shows internal details: %q", name, e.Error.Message)
			}
		}
		t.Logf("%s: %s in %v", name, a.res, a.took.Round(time.Millisecond))
	}
}

// emptyPush needs the database (a transaction) and changes nothing.
var emptyPush = rbsync.PushRequest{ClientID: "probe", Mutations: []rbsync.Mutation{}}

// TestStoresSilent takes each store off the network without a word, as a
// partition or a dropped route does: nothing is refused, nothing answers.
// The server must still answer every request in time, then recover.
func TestStoresSilent(t *testing.T) {
	t.Run("Database", func(t *testing.T) {
		t.Parallel()
		r := mustRig(t)
		d := r.mustUser(t, "ana")
		f := device.Video(mustInspection(t, d), 2*mib, 7)
		loc := mustStartUpload(t, d, f, mib)
		r.db.SetPaused(true)
		checkOutage(t, r, "database", []probe{
			{method: "GET", path: "/healthz", status: 200},
			{method: "GET", path: "/readyz", status: 503, code: "unavailable"},
			{method: "POST", path: "/api/v1/sync/push", body: emptyPush},
			{method: "GET", path: "/api/v1/sync/pull"},
			{method: "HEAD", path: loc, header: patchAt(mib)[:2]},
			{method: "PATCH", path: loc, body: f.Data[mib:], header: patchAt(mib)},
		})
		r.db.SetPaused(false)
		mustResume(t, d, f, loc)
		mustRecover(t, d)
	})
	t.Run("S3", func(t *testing.T) {
		t.Parallel()
		r := mustRig(t)
		d := r.mustUser(t, "ana")
		insp := mustInspection(t, d)
		stored, open := device.Video(insp, mib, 4), device.Video(insp, 6*mib, 5)
		mustUpload(t, d, stored)
		// The first MiB of the second file is kept as a scratch object,
		// which the next PATCH must read back from S3.
		loc := mustStartUpload(t, d, open, mib)
		r.s3.SetPaused(true)
		checkOutage(t, r, "S3", []probe{
			{method: "GET", path: "/healthz", status: 200},
			{method: "GET", path: "/readyz", status: 503, code: "unavailable"},
			{method: "GET", path: "/api/v1/media/" + stored.MediaID},
			{method: "PATCH", path: loc, body: open.Data[mib : 2*mib], header: patchAt(mib)},
			{method: "POST", path: "/api/v1/uploads", header: createHeader(device.Video(insp, mib, 6))},
		})
		r.s3.SetPaused(false)
		mustResume(t, d, open, loc)
		mustRecover(t, d)
	})
}

// mustUpload sends a whole file and wants it verified.
func mustUpload(t *testing.T, d *device.Device, f *device.File) device.UploadReport {
	t.Helper()
	return mustResume(t, d, f, "")
}

// mustResume finishes the upload at location (or a new one if empty) and
// wants the file verified.
func mustResume(t *testing.T, d *device.Device, f *device.File, location string) device.UploadReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	rep, err := d.Resume(ctx, f, location, device.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Verify(ctx, f); err != nil {
		t.Fatal(err)
	}
	return rep
}

// mustStartUpload creates f's upload with its first n bytes and returns
// the upload's location.
func mustStartUpload(t *testing.T, d *device.Device, f *device.File, n int) string {
	t.Helper()
	ctx := context.Background()
	res, err := d.Do(ctx, "POST", "/api/v1/uploads", f.Data[:n], append(createHeader(f),
		"Content-Type", "application/offset+octet-stream")...)
	if err != nil || res.Status != http.StatusCreated || res.Header.Get("Upload-Offset") != strconv.Itoa(n) {
		t.Fatalf("create with the first %d bytes: %v %v, want 201 at offset %d", n, res, err, n)
	}
	return res.Header.Get("Location")
}

func createHeader(f *device.File) []string {
	return []string{"Tus-Resumable", "1.0.0", "Upload-Length", strconv.Itoa(len(f.Data)), "Upload-Metadata", f.Metadata()}
}

func patchAt(offset int) []string {
	return []string{"Tus-Resumable", "1.0.0", "Content-Type", "application/offset+octet-stream", "Upload-Offset", strconv.Itoa(offset)}
}

// mustRecover wants the server to serve again soon after the network heals.
func mustRecover(t *testing.T, d *device.Device) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := d.Push(ctx, emptyPush.Mutations...); err != nil {
		t.Fatalf("after the network healed: %v", err)
	}
}
