// Package proxy is a TCP proxy for fault tests. It listens on a loopback
// port in front of one server, or several in turn as a load balancer
// would, and on command makes the network between them bad: late, slow,
// cut, reset, refusing or silent. It knows nothing of what the bytes mean.
package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Direction is the way bytes travel through the proxy.
type Direction int

const (
	// Up is from the client to the upstream server.
	Up Direction = iota
	// Down is from the upstream server back to the client.
	Down
)

// chunkSize is the most one read takes from a connection: the unit that
// latency delays and that a bandwidth limit paces.
const chunkSize = 32 << 10

// inFlight is how many chunks per direction may wait out their latency at
// once; it bounds the proxy's memory per connection (2 MiB).
const inFlight = 64

// dialTimeout bounds the wait for an upstream that does not answer.
const dialTimeout = 5 * time.Second

// Proxy forwards every connection it accepts to an upstream, picking the
// upstreams in turn.
type Proxy struct {
	addr      string
	upstreams []string
	next      atomic.Uint64

	mu         sync.Mutex
	ln         net.Listener // nil while refusing
	links      map[*link]struct{}
	latency    [2]time.Duration
	rate       [2]int64
	resetAfter [2]int64
	paused     chan struct{} // non-nil while paused; closed when the pause ends
	closed     bool
	accepted   int64
	dialed     []int64

	wg sync.WaitGroup
}

// New starts a proxy on a free loopback port in front of upstreams
// (host:port), used in turn.
func New(upstreams ...string) (*Proxy, error) {
	if len(upstreams) == 0 {
		return nil, errors.New("proxy: no upstream")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy: listen: %w", err)
	}
	p := &Proxy{addr: ln.Addr().String(), upstreams: upstreams, ln: ln,
		links: map[*link]struct{}{}, dialed: make([]int64, len(upstreams))}
	p.wg.Add(1)
	go p.serve(ln)
	return p, nil
}

// MustStart starts a proxy that closes when the test ends.
func MustStart(tb testing.TB, upstreams ...string) *Proxy {
	tb.Helper()
	p, err := New(upstreams...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port; it stays the same while refusing.
func (p *Proxy) Addr() string { return p.addr }

// SetLatency delays every chunk travelling in dir by d (0: none). Chunks
// keep their order, and throughput is not capped by the delay: many chunks
// may be on their way at once, as on a long, fat link.
func (p *Proxy) SetLatency(dir Direction, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency[dir] = d
}

// SetBandwidth limits each connection to bytesPerSecond in dir (0: no limit).
func (p *Proxy) SetBandwidth(dir Direction, bytesPerSecond int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate[dir] = bytesPerSecond
}

// SetResetAfter resets every connection once n bytes have passed in dir,
// counted from that connection's start (0: never). It cuts a transfer at
// an exact byte, where a timed Reset would land anywhere.
func (p *Proxy) SetResetAfter(dir Direction, n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resetAfter[dir] = n
}

// Cut closes every current connection on both sides, as a peer that goes
// away cleanly does: each side reads the end of its stream (or a reset, if
// it had sent bytes the proxy had not read yet: the kernel's rule). New
// connections are served as before.
func (p *Proxy) Cut() int { return p.closeAll(false) }

// Reset aborts every current connection with a TCP reset on both sides,
// as a crashed middlebox or a rebooted peer does.
func (p *Proxy) Reset() int { return p.closeAll(true) }

// SetRefusing closes the listening socket, so that new connections are
// refused at once as by a host with nothing listening, or opens it again
// on the same address. Current connections are left alone.
func (p *Proxy) SetRefusing(on bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("proxy: closed")
	}
	switch {
	case on && p.ln != nil:
		err := p.ln.Close()
		p.ln = nil
		return err
	case !on && p.ln == nil:
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			return fmt.Errorf("proxy: listen again on %s: %w", p.addr, err)
		}
		p.ln = ln
		p.wg.Add(1)
		go p.serve(ln)
	}
	return nil
}

// SetPaused silences the network without closing anything, as a partition
// does: nothing is forwarded either way on current connections, and new
// connections are accepted but not passed on. Bytes sent meanwhile are
// held and delivered when the pause ends, as TCP would retransmit them.
func (p *Proxy) SetPaused(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case on && p.paused == nil:
		p.paused = make(chan struct{})
	case !on && p.paused != nil:
		close(p.paused)
		p.paused = nil
	}
}

// Heal clears every fault: no latency, no limits, listening, not paused.
func (p *Proxy) Heal() error {
	p.mu.Lock()
	p.latency, p.rate, p.resetAfter = [2]time.Duration{}, [2]int64{}, [2]int64{}
	p.mu.Unlock()
	p.SetPaused(false)
	return p.SetRefusing(false)
}

// Stats counts what the proxy has done so far.
type Stats struct {
	Accepted int64 // connections accepted
	Active   int   // connections open now
	// Dialed counts the connections passed to each upstream, in the order
	// the upstreams were given.
	Dialed []int64
}

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Accepted: p.accepted, Active: len(p.links), Dialed: append([]int64(nil), p.dialed...)}
}

// Close stops listening, resets every connection and waits until all of
// the proxy's goroutines have ended.
func (p *Proxy) Close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		if p.ln != nil {
			p.ln.Close()
			p.ln = nil
		}
		if p.paused != nil {
			close(p.paused)
			p.paused = nil
		}
	}
	p.mu.Unlock()
	p.closeAll(true)
	p.wg.Wait()
}

func (p *Proxy) closeAll(abort bool) int {
	p.mu.Lock()
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.close(abort)
	}
	return len(links)
}

func (p *Proxy) serve(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed: refusing, or the proxy is closing
		}
		l := &link{p: p, client: c, done: make(chan struct{})}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			abortConn(c)
			continue
		}
		p.accepted++
		p.links[l] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go l.run()
	}
}

// pauseGate is nil when not paused, else a channel closed when the pause ends.
func (p *Proxy) pauseGate() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}

func (p *Proxy) settings(dir Direction) (latency time.Duration, rate, resetAfter int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latency[dir], p.rate[dir], p.resetAfter[dir]
}

// link is one client connection and its upstream connection.
type link struct {
	p      *Proxy
	client net.Conn
	done   chan struct{} // closed when the link is closed

	mu       sync.Mutex
	upstream net.Conn
	once     sync.Once
	ended    atomic.Int32 // directions whose stream has ended cleanly
}

func (l *link) run() {
	defer l.p.wg.Done()
	if !l.waitPause() {
		return
	}
	i := int((l.p.next.Add(1) - 1) % uint64(len(l.p.upstreams)))
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	go func() {
		select {
		case <-l.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	var d net.Dialer
	up, err := d.DialContext(ctx, "tcp", l.p.upstreams[i])
	cancel()
	if err != nil {
		// Like a balancer whose backend is gone: the client is reset.
		l.close(true)
		return
	}
	l.p.mu.Lock()
	l.p.dialed[i]++
	l.p.mu.Unlock()
	l.mu.Lock()
	select {
	case <-l.done:
		l.mu.Unlock()
		abortConn(up)
		return
	default:
	}
	l.upstream = up
	l.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); l.pipe(Up, l.client, up) }()
	go func() { defer wg.Done(); l.pipe(Down, up, l.client) }()
	wg.Wait()
}

// waitPause holds a new connection while the network is paused; false
// means the link was closed meanwhile.
func (l *link) waitPause() bool {
	for {
		gate := l.p.pauseGate()
		if gate == nil {
			return true
		}
		select {
		case <-gate:
		case <-l.done:
			return false
		}
	}
}

// close ends the link: with abort, both sides get a TCP reset; otherwise
// both get the end of their stream.
func (l *link) close(abort bool) {
	l.once.Do(func() {
		l.mu.Lock()
		close(l.done)
		up := l.upstream
		l.mu.Unlock()
		for _, c := range []net.Conn{l.client, up} {
			if c == nil {
				continue
			}
			if abort {
				abortConn(c)
			} else {
				c.Close()
			}
		}
		l.p.mu.Lock()
		delete(l.p.links, l)
		l.p.mu.Unlock()
	})
}

// abortConn closes c with a TCP reset instead of the orderly end of stream.
func abortConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

type chunk struct {
	b   []byte
	due time.Time
}

var buffers = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// pipe copies src to dst through the faults of dir. A reader goroutine
// stamps each chunk with the time it may leave, so that latency delays
// bytes without slowing the stream behind them.
func (l *link) pipe(dir Direction, src, dst net.Conn) {
	chunks := make(chan chunk, inFlight)
	var cleanEnd atomic.Bool
	go func() {
		defer close(chunks)
		for {
			bp := buffers.Get().(*[]byte)
			n, err := src.Read(*bp)
			if n > 0 {
				latency, _, _ := l.p.settings(dir)
				select {
				case chunks <- chunk{b: (*bp)[:n], due: time.Now().Add(latency)}:
				case <-l.done:
					return
				}
			} else {
				buffers.Put(bp)
			}
			if errors.Is(err, io.EOF) {
				cleanEnd.Store(true)
				return
			}
			if err != nil {
				// A reset (or our own close) on one side resets the other.
				l.close(true)
				return
			}
		}
	}()
	var moved int64
	var next time.Time // when the bandwidth limit lets the next byte go
	for c := range chunks {
		ok := l.forward(dir, dst, c, &moved, &next)
		b := c.b[:cap(c.b)]
		buffers.Put(&b)
		if !ok {
			l.close(true)
			for range chunks { // let the reader end
			}
			return
		}
	}
	if !cleanEnd.Load() {
		return
	}
	// The sender finished: pass its end of stream on, and end the link
	// once both directions have finished.
	if tc, ok := dst.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	if l.ended.Add(1) == 2 {
		l.close(false)
	}
}

// forward writes one chunk once its delay, any pause and the bandwidth
// limit allow; false means the link must end.
func (l *link) forward(dir Direction, dst net.Conn, c chunk, moved *int64, next *time.Time) bool {
	if !l.sleepUntil(c.due) {
		return false
	}
	if !l.waitPause() {
		return false
	}
	b := c.b
	for len(b) > 0 {
		_, rate, resetAfter := l.p.settings(dir)
		piece := b
		if rate > 0 {
			// Pace in slices of about 10 ms so the limit holds smoothly.
			piece = b[:min(len(b), max(1, int(rate/100)))]
			now := time.Now()
			if next.Before(now) {
				*next = now
			}
			if !l.sleepUntil(*next) {
				return false
			}
			*next = next.Add(time.Duration(float64(len(piece)) / float64(rate) * float64(time.Second)))
		}
		if resetAfter > 0 && *moved+int64(len(piece)) >= resetAfter {
			if n := resetAfter - *moved; n > 0 {
				dst.Write(piece[:n])
			}
			return false
		}
		n, err := dst.Write(piece)
		*moved += int64(n)
		if err != nil {
			return false
		}
		b = b[len(piece):]
	}
	return true
}

// sleepUntil waits until t; false means the link was closed meanwhile.
func (l *link) sleepUntil(t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		select {
		case <-l.done:
			return false
		default:
			return true
		}
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-l.done:
		return false
	}
}
