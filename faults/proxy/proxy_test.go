package proxy_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/returnbench/returnbench/faults/proxy"
)

// upstream is a TCP server for the tests: it answers every connection
// with handle and counts what it accepted.
type upstream struct {
	ln       net.Listener
	mu       sync.Mutex
	accepted int
	wg       sync.WaitGroup
}

func mustUpstream(tb testing.TB, handle func(net.Conn)) *upstream {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	u := &upstream{ln: ln}
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.mu.Lock()
			u.accepted++
			u.mu.Unlock()
			u.wg.Add(1)
			go func() {
				defer u.wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	tb.Cleanup(func() { ln.Close(); u.wg.Wait() })
	return u
}

func (u *upstream) addr() string { return u.ln.Addr().String() }

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.accepted
}

// echo sends back what it reads, then ends its side when the client does.
func echo(c net.Conn) {
	io.Copy(c, c)
	c.(*net.TCPConn).CloseWrite()
}

// greet writes a name and waits for the client to leave.
func greet(name string) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte(name))
		io.Copy(io.Discard, c)
	}
}

func mustDial(tb testing.TB, addr string) *net.TCPConn {
	tb.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		tb.Fatalf("dial %s: %v", addr, err)
	}
	tb.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// roundTrip sends msg through an echo and reads it back, with a deadline.
func roundTrip(tb testing.TB, c net.Conn, msg []byte) []byte {
	tb.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	errc := make(chan error, 1)
	go func() { _, err := c.Write(msg); errc <- err }()
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		tb.Fatalf("read back %d bytes: %v", len(msg), err)
	}
	if err := <-errc; err != nil {
		tb.Fatalf("write: %v", err)
	}
	return got
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{7}).Read(b)
	return b
}

// readErr reads until the connection fails and returns how.
func readErr(tb testing.TB, c net.Conn) error {
	tb.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, c)
	if err == nil {
		return io.EOF // io.Copy reports a clean end as nil
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		tb.Fatal("the connection stayed open, want it ended")
	}
	return err
}

func TestForward(t *testing.T) {
	up := mustUpstream(t, echo)
	p := proxy.MustStart(t, up.addr())

	t.Run("OK", func(t *testing.T) {
		c := mustDial(t, p.Addr())
		msg := random(3 << 20)
		if got := roundTrip(t, c, msg); !bytes.Equal(got, msg) {
			t.Fatalf("got %d bytes back that differ from the %d sent", len(got), len(msg))
		}
	})
	t.Run("OK/HalfClosePassesOn", func(t *testing.T) {
		c := mustDial(t, p.Addr())
		c.Write([]byte("bye"))
		c.CloseWrite()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, err := io.ReadAll(c)
		if err != nil || string(got) != "bye" {
			t.Fatalf("got %q, %v; want \"bye\" then the end of stream", got, err)
		}
	})
	if s := p.Stats(); s.Accepted != 2 || s.Dialed[0] != 2 {
		t.Fatalf("stats %+v, want 2 accepted and dialed", s)
	}
}

func TestRoundRobin(t *testing.T) {
	names := []string{"a", "b", "c"}
	var addrs []string
	for _, n := range names {
		addrs = append(addrs, mustUpstream(t, greet(n)).addr())
	}
	p := proxy.MustStart(t, addrs...)
	var got []byte
	for range 6 {
		c := mustDial(t, p.Addr())
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b := make([]byte, 1)
		if _, err := io.ReadFull(c, b); err != nil {
			t.Fatal(err)
		}
		got = append(got, b[0])
		c.Close()
	}
	if string(got) != "abcabc" {
		t.Fatalf("upstreams in order %q, want \"abcabc\"", got)
	}
	if s := p.Stats(); len(s.Dialed) != 3 || s.Dialed[0] != 2 || s.Dialed[1] != 2 || s.Dialed[2] != 2 {
		t.Fatalf("dialed %v, want 2 each", s.Dialed)
	}
}

func TestLatency(t *testing.T) {
	up := mustUpstream(t, echo)
	p := proxy.MustStart(t, up.addr())
	const d = 150 * time.Millisecond
	for _, tc := range []struct {
		name     string
		up, down time.Duration
	}{
		{"OK/Up", d, 0},
		{"OK/Down", 0, d},
		{"OK/Both", d, d},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.SetLatency(proxy.Up, tc.up)
			p.SetLatency(proxy.Down, tc.down)
			c := mustDial(t, p.Addr())
			start := time.Now()
			roundTrip(t, c, []byte("ping"))
			if got, want := time.Since(start), tc.up+tc.down; got < want {
				t.Fatalf("round trip took %v, want at least %v", got, want)
			}
		})
	}
	t.Run("OK/DoesNotCapThroughput", func(t *testing.T) {
		// 4 MiB in 32 KiB chunks is 128 chunks: one after another at 150 ms
		// each would take 19 s; pipelined it takes little more than one delay.
		p.SetLatency(proxy.Up, d)
		p.SetLatency(proxy.Down, 0)
		c := mustDial(t, p.Addr())
		msg := random(4 << 20)
		start := time.Now()
		if got := roundTrip(t, c, msg); !bytes.Equal(got, msg) {
			t.Fatal("bytes changed on the way")
		}
		t.Logf("4 MiB through 150 ms of latency in %v", time.Since(start))
		if got := time.Since(start); got > 5*time.Second {
			t.Fatalf("4 MiB took %v, want the chunks in flight together (well under 5 s)", got)
		}
	})
}

func TestBandwidth(t *testing.T) {
	up := mustUpstream(t, echo)
	p := proxy.MustStart(t, up.addr())
	p.SetBandwidth(proxy.Up, 4<<20)
	c := mustDial(t, p.Addr())
	msg := random(2 << 20)
	start := time.Now()
	if got := roundTrip(t, c, msg); !bytes.Equal(got, msg) {
		t.Fatal("bytes changed on the way")
	}
	// 2 MiB at 4 MiB/s: half a second at least (the first slice goes at once).
	if got := time.Since(start); got < 450*time.Millisecond {
		t.Fatalf("2 MiB at 4 MiB/s took %v, want about 500 ms or more", got)
	}
}

func TestCut(t *testing.T) {
	ended := make(chan error, 2)
	arrived := make(chan struct{}, 2)
	up := mustUpstream(t, func(c net.Conn) {
		io.ReadFull(c, make([]byte, 5))
		arrived <- struct{}{}
		_, err := io.Copy(io.Discard, c)
		ended <- err
	})
	p := proxy.MustStart(t, up.addr())
	c := mustDial(t, p.Addr())
	// Everything sent has been read on: a socket closed with bytes still
	// unread sends a reset, not an end of stream.
	c.Write([]byte("hello"))
	<-arrived
	if n := p.Cut(); n != 1 {
		t.Fatalf("Cut closed %d connections, want 1", n)
	}
	if err := readErr(t, c); err != io.EOF {
		t.Fatalf("client read: got %v, want the end of stream", err)
	}
	if err := <-ended; err != nil {
		t.Fatalf("upstream read: got %v, want the end of stream", err)
	}
	// The proxy still serves new connections.
	if got := mustDial(t, p.Addr()); got == nil {
		t.Fatal("no new connection after a cut")
	}
}

func TestReset(t *testing.T) {
	ended := make(chan error, 1)
	arrived := make(chan struct{})
	up := mustUpstream(t, func(c net.Conn) {
		io.ReadFull(c, make([]byte, 5))
		close(arrived)
		_, err := io.Copy(io.Discard, c)
		ended <- err
	})
	p := proxy.MustStart(t, up.addr())
	c := mustDial(t, p.Addr())
	c.Write([]byte("hello"))
	<-arrived // the proxy is connected on both sides
	p.Reset()
	if err := readErr(t, c); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("client read: got %v, want connection reset", err)
	}
	if err := <-ended; !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("upstream read: got %v, want connection reset", err)
	}
}

func TestResetAfter(t *testing.T) {
	got := make(chan int, 1)
	up := mustUpstream(t, func(c net.Conn) {
		n, _ := io.Copy(io.Discard, c)
		got <- int(n)
	})
	p := proxy.MustStart(t, up.addr())
	const limit = 100_000
	p.SetResetAfter(proxy.Up, limit)
	c := mustDial(t, p.Addr())
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := c.Write(random(1 << 20))
	if err == nil {
		err = readErr(t, c)
	}
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("client: got %v, want the connection reset", err)
	}
	if n := <-got; n != limit {
		t.Fatalf("upstream received %d bytes, want exactly %d", n, limit)
	}
}

func TestRefusing(t *testing.T) {
	up := mustUpstream(t, echo)
	p := proxy.MustStart(t, up.addr())
	open := mustDial(t, p.Addr())
	if err := p.SetRefusing(true); err != nil {
		t.Fatal(err)
	}
	_, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial while refusing: got %v, want connection refused", err)
	}
	// A connection made before keeps working.
	if got := roundTrip(t, open, []byte("still here")); string(got) != "still here" {
		t.Fatalf("old connection echoed %q", got)
	}
	if err := p.SetRefusing(false); err != nil {
		t.Fatal(err)
	}
	if got := roundTrip(t, mustDial(t, p.Addr()), []byte("back")); string(got) != "back" {
		t.Fatalf("after refusing, echoed %q", got)
	}
}

func TestPaused(t *testing.T) {
	up := mustUpstream(t, echo)
	p := proxy.MustStart(t, up.addr())
	old := mustDial(t, p.Addr())
	roundTrip(t, old, []byte("warm"))
	p.SetPaused(true)

	old.Write([]byte("held"))
	fresh := mustDial(t, p.Addr()) // accepted by the proxy, not passed on
	fresh.Write([]byte("new"))
	for _, c := range []net.Conn{old, fresh} {
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		var b [8]byte
		if n, err := c.Read(b[:]); n > 0 || err == nil {
			t.Fatalf("read %q while paused, want nothing", b[:n])
		}
	}
	if n := up.count(); n != 1 {
		t.Fatalf("upstream accepted %d connections while paused, want only the first", n)
	}

	p.SetPaused(false)
	for c, want := range map[net.Conn]string{old: "held", fresh: "new"} {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		got := make([]byte, len(want))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
			t.Fatalf("after the pause: got %q, %v; want %q delivered late", got, err, want)
		}
	}
}

func TestUpstreamDown(t *testing.T) {
	// Port 1 has nothing listening; a port freed by this test could be
	// taken by the proxy itself.
	p := proxy.MustStart(t, "127.0.0.1:1")
	c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
	if err == nil {
		// The reset may come before the dial returns, or after.
		defer c.Close()
		err = readErr(t, c)
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("client read: got %v, want a reset when the upstream is down", err)
	}
}

func TestClose(t *testing.T) {
	up := mustUpstream(t, echo)
	p, err := proxy.New(up.addr())
	if err != nil {
		t.Fatal(err)
	}
	c := mustDial(t, p.Addr())
	roundTrip(t, c, []byte("x"))
	p.SetPaused(true)
	mustDial(t, p.Addr()) // held by the pause: Close must not wait for it
	done := make(chan struct{})
	go func() { p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := readErr(t, c); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("client read after Close: got %v, want a reset", err)
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Fatal("dial after Close succeeded, want refused")
	}
}
