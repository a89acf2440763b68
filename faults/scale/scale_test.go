package scale_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/returnbench/returnbench/faults/network/device"
	"github.com/returnbench/returnbench/faults/proxy"
	"github.com/returnbench/returnbench/media/s3test"
	"github.com/returnbench/returnbench/store/storetest"
	rbsync "github.com/returnbench/returnbench/sync"
)

const mib = 1 << 20

// publicHost is the name phones use for the cluster.
const publicHost = "bench.example.test"

// cluster is the deployment the README's "Running at scale" describes:
// several returnbench processes on one PostgreSQL database and one S3
// bucket with Object Lock, each serving HTTPS with the same certificate,
// behind a TCP load balancer that sends each connection to the next
// instance, with no stickiness.
type cluster struct {
	instances []*instance
	lb        *proxy.Proxy
	cert      *certificate
	s3        *minio.Client
	bucket    string
	endpoint  string
	bin       string
	env       []string
}

// newCluster prepares the settings of a cluster on a fresh database and a
// fresh bucket; start runs its instances.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	minioServer := s3test.Shared(t)
	s3 := minioServer.Config("")
	client, err := minio.New(s3.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s3.AccessKey, s3.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{bin: binary(t), cert: mustCertificate(t, publicHost), s3: client, bucket: s3.Bucket, endpoint: s3.Endpoint}
	c.env = []string{
		// connect_timeout bounds the wait for a database host that is gone.
		"RETURNBENCH_DATABASE_URL=" + storetest.NewPostgresDB(t) + "&connect_timeout=5",
		"RETURNBENCH_S3_ENDPOINT=" + s3.Endpoint,
		"RETURNBENCH_S3_ACCESS_KEY=" + s3.AccessKey,
		"RETURNBENCH_S3_SECRET_KEY=" + s3.SecretKey,
		"RETURNBENCH_S3_BUCKET=" + s3.Bucket,
		"RETURNBENCH_S3_OBJECT_LOCK=compliance",
		"RETURNBENCH_RETENTION_DAYS=1",
		"RETURNBENCH_UPLOAD_PART_SIZE=" + strconv.Itoa(5*mib),
		"RETURNBENCH_TLS_CERT=" + c.cert.certFile,
		"RETURNBENCH_TLS_KEY=" + c.cert.keyFile,
		"RETURNBENCH_PUBLIC_URL=https://" + publicHost,
		// The balancer connects from loopback: an X-Forwarded-For it
		// passes on is believed.
		"RETURNBENCH_TRUSTED_PROXIES=127.0.0.1/32",
	}
	return c
}

// start runs n instances at once and puts the balancer in front of them.
func (c *cluster) start(t *testing.T, n int) {
	t.Helper()
	c.instances = make([]*instance, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.instances[i] = startInstance(t, c.bin, fmt.Sprintf("instance-%d", i), c.env)
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	var addrs []string
	for _, in := range c.instances {
		addrs = append(addrs, in.addr)
	}
	c.lb = proxy.MustStart(t, addrs...)
}

// URL is where phones reach the cluster: the load balancer.
func (c *cluster) URL() string { return "https://" + c.lb.Addr() }

// client opens a new connection for every request, so the balancer sends
// each request to the next instance in turn.
func (c *cluster) client() *http.Client { return c.cert.client() }

// mustUser adds an account with the command line, as an operator does.
func (c *cluster) mustUser(t *testing.T, name, role string, env ...string) {
	t.Helper()
	env = append(append(append([]string(nil), c.env...), "RETURNBENCH_DATA_DIR="+t.TempDir()), env...)
	out := runCommand(t, c.bin, env, "password-"+name+"\n", "user", "add", name, "--role", role)
	if !strings.Contains(out, "added "+name) {
		t.Fatalf("user add %s: %q", name, out)
	}
}

func (c *cluster) mustLogin(t *testing.T, base, name string) string {
	t.Helper()
	token, err := device.Login(context.Background(), c.client(), base, name, "password-"+name)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestScaleOut(t *testing.T) {
	c := newCluster(t)
	// Three instances on an empty database apply its migrations together,
	// one at a time under the advisory lock.
	c.start(t, 3)
	c.mustUser(t, "ana", "inspector")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	t.Run("OK/HealthPerInstance", func(t *testing.T) {
		for _, in := range c.instances {
			status, body := get(t, c.client(), in.URL()+"/healthz")
			if status != 200 || !strings.Contains(string(body), `"status":"ok"`) {
				t.Errorf("%s /healthz: %d %s, want 200 ok", in.name, status, body)
			}
			status, body = get(t, c.client(), in.URL()+"/readyz")
			var ready struct{ Status, Database, Media string }
			json.Unmarshal(body, &ready)
			wantMedia := "s3:" + c.endpoint + "/" + c.bucket
			if status != 200 || ready.Status != "ready" || ready.Database != "postgres" || ready.Media != wantMedia {
				t.Errorf("%s /readyz: %d %s, want 200 ready on postgres and %s", in.name, status, body, wantMedia)
			}
		}
	})

	t.Run("OK/SessionWorksOnEveryInstance", func(t *testing.T) {
		first := device.New(c.instances[0].URL(), "", c.client())
		res, err := first.Do(ctx, "POST", "/api/v1/auth/login", map[string]string{"username": "ana", "password": "password-ana"})
		var login struct{ Token string }
		if err != nil || res.Status != 200 || json.Unmarshal(res.Body, &login) != nil || login.Token == "" {
			t.Fatalf("login on %s: %v %v", c.instances[0].name, res, err)
		}
		// Behind HTTPS the cookie never travels in clear.
		if cookie := strings.ToLower(res.Header.Get("Set-Cookie")); !strings.Contains(cookie, "; secure") || !strings.Contains(cookie, "; httponly") {
			t.Errorf("session cookie %q, want Secure and HttpOnly", cookie)
		}
		me := func(in *instance) int {
			res, err := device.New(in.URL(), login.Token, c.client()).Do(ctx, "GET", "/api/v1/auth/me", nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status == 200 && !strings.Contains(string(res.Body), `"username":"ana"`) {
				t.Fatalf("%s /auth/me: %s, want ana", in.name, res)
			}
			return res.Status
		}
		for _, in := range c.instances {
			if got := me(in); got != 200 {
				t.Errorf("%s: the session made on %s answers %d, want 200", in.name, c.instances[0].name, got)
			}
		}
		// Signing out on one instance ends the session on all of them.
		last := c.instances[len(c.instances)-1]
		if res, err := device.New(last.URL(), login.Token, c.client()).Do(ctx, "POST", "/api/v1/auth/logout", nil); err != nil || res.Status != 204 {
			t.Fatalf("logout on %s: %v %v, want 204", last.name, res, err)
		}
		for _, in := range c.instances {
			if got := me(in); got != 401 {
				t.Errorf("%s: after signing out on %s the session answers %d, want 401", in.name, last.name, got)
			}
		}
	})

	token := c.mustLogin(t, c.URL(), "ana")
	onLB := device.New(c.URL(), token, c.client())
	insp, err := onLB.CreateInspection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Everything the feed must hold, for pulls from the start.
	written := device.Written{insp: 1}

	t.Run("OK/UploadStartedOnOneFinishesOnAnother", func(t *testing.T) {
		a, b, check := c.instances[0], c.instances[1], c.instances[2]
		f := device.Video(insp, 12*mib+777, 1)
		onA := device.New(a.URL(), token, c.client())
		// Seven MiB through A: one stored part and a 2 MiB tail in S3.
		res, err := onA.Do(ctx, "POST", "/api/v1/uploads", f.Data[:7*mib], "Tus-Resumable", "1.0.0",
			"Upload-Length", strconv.Itoa(len(f.Data)), "Upload-Metadata", f.Metadata(),
			"Content-Type", "application/offset+octet-stream")
		if err != nil || res.Status != 201 || res.Header.Get("Upload-Offset") != strconv.Itoa(7*mib) {
			t.Fatalf("create on %s with 7 MiB: %v %v, want 201 at offset %d", a.name, res, err, 7*mib)
		}
		loc := res.Header.Get("Location")
		// The phone's Wi-Fi roams and its next connection lands on B.
		rep, err := device.New(b.URL(), token, c.client()).Resume(ctx, f, loc, device.UploadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Requests != 2 || len(rep.Offsets) != 1 || rep.Offsets[0] != 7*mib {
			t.Errorf("on %s: %d requests, HEAD offsets %v, want HEAD at %d then one PATCH", b.name, rep.Requests, rep.Offsets, 7*mib)
		}
		for _, base := range []string{check.URL(), c.URL()} {
			if err := device.New(base, token, c.client()).Verify(ctx, f); err != nil {
				t.Errorf("read back through %s: %v", base, err)
			}
		}
		c.mustLocked(t, insp, f.MediaID)
	})

	t.Run("OK/UploadChunksSpreadOverInstances", func(t *testing.T) {
		before := c.lb.Stats().Dialed
		f := device.Video(insp, 9*mib+5, 2)
		rep, err := onLB.Upload(ctx, f, device.UploadOptions{Chunk: mib, Checksum: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := onLB.Verify(ctx, f); err != nil {
			t.Fatal(err)
		}
		spread := sub(c.lb.Stats().Dialed, before)
		for i, n := range spread {
			if n < int64(rep.Requests/len(spread)) {
				t.Errorf("%s took %d of the upload's %d requests, want its share", c.instances[i].name, n, rep.Requests)
			}
		}
		t.Logf("one upload in %d requests, then 2 to check it; connections per instance %v", rep.Requests, spread)
	})

	t.Run("OK/SyncThroughBalancerExactlyOnce", func(t *testing.T) {
		before := c.lb.Stats().Dialed
		w, _ := c.runSync(t, ctx, token, nil)
		written.Merge(w)
		c.mustFeed(t, ctx, token, written)
		spread := sub(c.lb.Stats().Dialed, before)
		for i, n := range spread {
			if n == 0 {
				t.Errorf("%s served none of the sync requests", c.instances[i].name)
			}
		}
		t.Logf("%d inspection versions applied exactly once; connections per instance %v", w.Versions(), spread)
	})

	t.Run("OK/ForwardedClientAddressBelieved", func(t *testing.T) {
		// An HTTP load balancer names the phone in X-Forwarded-For; the
		// instances believe it because the balancer's address is trusted.
		const phone = "198.51.100.23"
		for range c.instances {
			res, err := onLB.Do(ctx, "GET", "/healthz", nil, "X-Forwarded-For", phone)
			if err != nil || res.Status != 200 {
				t.Fatalf("GET /healthz through the balancer: %v %v", res, err)
			}
		}
		time.Sleep(100 * time.Millisecond) // the request log is written after the answer
		for _, in := range c.instances {
			if lines := in.logLines("path=/healthz", "ip="+phone); len(lines) == 0 {
				t.Errorf("%s logged no request from %s, want the forwarded address", in.name, phone)
			}
		}
	})

	t.Run("OK/InstanceLostMidway", func(t *testing.T) {
		// One instance dies (kill -9) while phones push and upload through
		// the balancer, which still sends it every third connection, as a
		// balancer does until its health check notices. The phones' retries
		// land on the others, and nothing is lost or applied twice.
		victim := c.instances[len(c.instances)-1]
		c.lb.SetLatency(proxy.Up, 10*time.Millisecond)
		defer c.lb.SetLatency(proxy.Up, 0)
		f := device.Video(insp, 8*mib, 3)
		uploaded := make(chan error, 1)
		go func() {
			_, err := onLB.Upload(ctx, f, device.UploadOptions{Chunk: mib})
			uploaded <- err
		}()
		start := total(c.lb.Stats().Dialed)
		w, failures := c.runSync(t, ctx, token, func() {
			// Once the phones are well under way.
			for total(c.lb.Stats().Dialed) < start+12 {
				time.Sleep(5 * time.Millisecond)
			}
			victim.cmd.Process.Signal(syscall.SIGKILL)
			<-victim.done
		})
		if failures == 0 {
			t.Errorf("no request failed: %s died after the phones were done", victim.name)
		}
		if err := <-uploaded; err != nil {
			t.Fatal(err)
		}
		if err := onLB.Verify(ctx, f); err != nil {
			t.Fatal(err)
		}
		written.Merge(w)
		c.mustFeed(t, ctx, token, written)
		if _, err := c.client().Get(victim.URL() + "/readyz"); err == nil {
			t.Errorf("%s still answers after kill -9", victim.name)
		}
		t.Logf("%d inspection versions applied exactly once and the upload verified with %s dead; %d requests failed and were sent again",
			w.Versions(), victim.name, failures)
	})
}

// runSync pushes rounds of saves from four devices through the balancer
// while a puller follows the feed; during, if not nil, runs meanwhile.
// Every mutation must be applied once, and the puller must see each of
// them exactly once. It returns what was written and how many requests
// failed and were sent again.
func (c *cluster) runSync(t *testing.T, ctx context.Context, token string, during func()) (device.Written, int64) {
	t.Helper()
	const pushers, rounds, perRound = 4, 6, 8
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The puller starts from where the feed is now, then follows it
	// through the balancer: each of its pages may come from another
	// instance than the push it reflects.
	puller := device.New(c.URL(), token, c.client())
	_, cursor, err := puller.Pull(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	written := device.Written{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var failures []*device.Device
	for range pushers {
		d := device.New(c.URL(), c.mustLogin(t, c.URL(), "ana"), c.client())
		failures = append(failures, d)
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := d.PushRounds(ctx, rounds, perRound)
			mu.Lock()
			defer mu.Unlock()
			written.Merge(w)
			if err != nil {
				t.Error(err)
			}
		}()
	}
	if during != nil {
		wg.Add(1)
		go func() { defer wg.Done(); during() }()
	}
	pushing := make(chan struct{})
	go func() { wg.Wait(); close(pushing) }()
	var pulled []rbsync.Change
	for last := false; !last; {
		select {
		case <-pushing:
			last = true
		case <-time.After(50 * time.Millisecond):
		}
		changes, next, err := puller.Pull(ctx, cursor)
		if err != nil {
			t.Errorf("puller: %v", err)
			cancel()
			<-pushing
			break
		}
		pulled, cursor = append(pulled, changes...), next
	}
	if t.Failed() {
		t.FailNow()
	}
	if err := device.ExactlyOnce(pulled, written); err != nil {
		t.Errorf("the feed followed during the pushes: %v", err)
	}
	var n int64
	for _, d := range append(failures, puller) {
		n += d.Failures.Load()
	}
	return written, n
}

// mustFeed pulls from the start through the balancer and wants exactly
// what was written, once each.
func (c *cluster) mustFeed(t *testing.T, ctx context.Context, token string, written device.Written) {
	t.Helper()
	all, _, err := device.New(c.URL(), token, c.client()).Pull(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := device.ExactlyOnce(all, written); err != nil {
		t.Errorf("a pull from the start: %v", err)
	}
}

// mustLocked checks in the bucket itself that a verified file is under
// compliance retention and cannot be deleted.
func (c *cluster) mustLocked(t *testing.T, inspectionID, mediaID string) {
	t.Helper()
	ctx := context.Background()
	key := "sites/main/inspections/" + inspectionID + "/" + strings.ToLower(mediaID)
	mode, until, err := c.s3.GetObjectRetention(ctx, c.bucket, key, "")
	if err != nil {
		t.Fatalf("retention of %s: %v", key, err)
	}
	if mode == nil || *mode != minio.Compliance || until == nil || until.Before(time.Now().Add(23*time.Hour)) {
		t.Errorf("retention of %s: mode %v until %v, want compliance for a day", key, mode, until)
	}
	info, err := c.s3.StatObject(ctx, c.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.s3.RemoveObject(ctx, c.bucket, key, minio.RemoveObjectOptions{VersionID: info.VersionID}); err == nil {
		t.Errorf("deleting locked evidence %s succeeded, want it refused", key)
	}
}

func total(counts []int64) int64 {
	var n int64
	for _, c := range counts {
		n += c
	}
	return n
}

// sub is after - before, per instance.
func sub(after, before []int64) []int64 {
	out := make([]int64, len(after))
	for i := range after {
		out[i] = after[i] - before[i]
	}
	return out
}

// TestInstancesStartTogetherOnNewBucket starts a fleet on a database that
// is already set up but a bucket that does not exist yet (the first
// deploy on S3, or a new bucket for a new year): each instance finds no
// bucket and creates it, and all must come up.
func TestInstancesStartTogetherOnNewBucket(t *testing.T) {
	c := newCluster(t)
	// Migrate the database first, with files on local disk.
	c.mustUser(t, "ana", "inspector", "RETURNBENCH_S3_ENDPOINT=", "RETURNBENCH_S3_OBJECT_LOCK=")
	c.start(t, 3)
	for _, in := range c.instances {
		if status, body := get(t, c.client(), in.URL()+"/readyz"); status != 200 {
			t.Errorf("%s /readyz: %d %s", in.name, status, body)
		}
	}
}
