package network_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/returnbench/returnbench/faults/network/device"
	"github.com/returnbench/returnbench/faults/proxy"
	"github.com/returnbench/returnbench/media/s3test"
	"github.com/returnbench/returnbench/server"
	"github.com/returnbench/returnbench/store/storetest"
)

const mib = 1 << 20

// rig is one returnbench on PostgreSQL and MinIO with a fault proxy on
// each of its three network paths: client to server, server to S3 and
// server to PostgreSQL.
type rig struct {
	srv    *server.Server
	direct string       // the server's own URL, past the client proxy
	client *proxy.Proxy // in front of the server: what phones reach
	s3     *proxy.Proxy // between the server and MinIO
	db     *proxy.Proxy // between the server and PostgreSQL
	// probe is a signed-in device that talks to the server directly, to
	// ask it things whatever the client network does.
	probe *device.Device
	logs  *syncBuffer
}

// mustRig starts a server on a fresh database and bucket, reached only
// through the proxies, and stops it when the test ends.
func mustRig(tb testing.TB) *rig {
	tb.Helper()
	minio := s3test.Shared(tb)
	s3cfg := minio.Config("")
	dbURL, err := url.Parse(storetest.NewPostgresDB(tb))
	if err != nil {
		tb.Fatal(err)
	}
	r := &rig{s3: proxy.MustStart(tb, minio.Endpoint), db: proxy.MustStart(tb, dbURL.Host), logs: &syncBuffer{}}
	dbURL.Host = r.db.Addr()
	cfg := server.Config{
		Addr: "127.0.0.1:0", DataDir: tb.TempDir(), DatabaseURL: dbURL.String(), PublicURL: "http://localhost:8080",
		S3Endpoint: r.s3.Addr(), S3AccessKey: s3cfg.AccessKey, S3SecretKey: s3cfg.SecretKey, S3Bucket: s3cfg.Bucket,
		PartSize: 5 * mib, SessionTTL: time.Hour, Now: time.Now,
	}
	srv, err := server.New(context.Background(), cfg, slog.New(slog.NewTextHandler(r.logs, nil)))
	if err != nil {
		tb.Fatalf("new server: %v", err)
	}
	if err := srv.Listen(); err != nil {
		tb.Fatalf("listen: %v", err)
	}
	go srv.Serve(context.Background())
	r.srv, r.direct = srv, "http://"+srv.Addr()
	r.client = proxy.MustStart(tb, srv.Addr())
	// Registered after the proxies, so it runs before they close: the
	// server's shutdown must not wait on a paused network.
	tb.Cleanup(func() {
		for _, p := range []*proxy.Proxy{r.client, r.s3, r.db} {
			p.Heal()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if tb.Failed() {
			tb.Logf("server log (last 8 KiB):\n%s", r.logs.tail(8<<10))
		}
	})
	r.probe = r.directDevice(r.mustUser(tb, "probe"))
	return r
}

// mustUser adds an inspector and returns a signed-in device for it that
// talks through the client proxy.
func (r *rig) mustUser(tb testing.TB, name string) *device.Device {
	tb.Helper()
	u, err := server.NewUser(name, "password-"+name, "inspector")
	if err != nil {
		tb.Fatal(err)
	}
	if err := r.srv.Store().CreateUser(context.Background(), u, ""); err != nil {
		tb.Fatalf("create user %s: %v", name, err)
	}
	return r.mustDevice(tb, name)
}

// mustDevice signs an existing user in on a new device, through the
// client proxy, with its own connections.
func (r *rig) mustDevice(tb testing.TB, name string) *device.Device {
	tb.Helper()
	hc := &http.Client{Transport: &http.Transport{}}
	tb.Cleanup(hc.CloseIdleConnections)
	base := "http://" + r.client.Addr()
	token, err := device.Login(context.Background(), hc, base, name, "password-"+name)
	if err != nil {
		tb.Fatal(err)
	}
	return device.New(base, token, hc)
}

// directDevice is the same signed-in user talking to the server past the
// client proxy.
func (r *rig) directDevice(d *device.Device) *device.Device {
	return device.New(r.direct, d.Token, &http.Client{Transport: &http.Transport{}})
}

// mustInspection creates a draft inspection through sync, as a phone does
// before it sends the inspection's files.
func mustInspection(tb testing.TB, d *device.Device) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	id, err := d.CreateInspection(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// syncBuffer collects the server's log for a failing test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}
