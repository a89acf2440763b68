package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
	"github.com/returnbench/returnbench/server"
)

// The account the bench signs in with. The server and its database are the
// bench's own, on loopback, and gone at the end: the password is no secret.
const (
	benchUser     = "bench-lead"
	benchPassword = "importbench-password"
)

// rbServer is one `returnbench serve` process on a loopback port, on its
// own fresh database, and a client signed in as a lead.
type rbServer struct {
	benchkit.Client
	proc *benchkit.Child
}

// startServer adds the lead with `returnbench user add`, starts the server
// on db and signs in.
func (b *bench) startServer(ctx context.Context, db *database) (*rbServer, error) {
	env := benchkit.CleanEnv()
	if err := benchkit.AddUser(ctx, b.bin, env, benchUser, "lead", benchPassword, db.ServerArgs()...); err != nil {
		return nil, err
	}
	proc, base, err := benchkit.StartServer(ctx, b.bin, db.ServerArgs(), env, filepath.Join(db.Dir, "server.log"))
	if err != nil {
		return nil, err
	}
	b.children = append(b.children, proc)
	s := &rbServer{proc: proc, Client: benchkit.Client{Base: base, HTTP: &http.Client{Transport: &http.Transport{
		Proxy:              nil, // loopback only, whatever the environment says
		DisableCompression: true,
		WriteBufferSize:    256 << 10,
	}}}}
	if err := s.Login(ctx, benchUser, benchPassword); err != nil {
		return nil, proc.Explain(err)
	}
	return s, nil
}

// How long the bench waits on a server that has stopped: no byte of the
// body taken for stallLimit while sending it, or no answer answerLimit
// after the last byte went (what is still buffered on loopback, a few MiB,
// takes seconds to import).
const (
	stallLimit  = 2 * time.Minute
	answerLimit = 5 * time.Minute
)

// progress counts the file's bytes into the request body, for the
// watchdog. (What the connection has taken runs up to tens of MiB of socket
// buffers ahead of what the server has read, so it is no measure of rows.)
type progress struct {
	w     io.Writer
	start time.Time
	size  int64
	sent  atomic.Int64
}

func (p *progress) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.sent.Add(int64(n))
	return n, err
}

// importReport POSTs the file to /api/v1/imports as the app does, a
// multipart form with the field "file", but streamed: the body is written
// into a pipe as the request goes, so the bench holds a buffer of it, never
// the file. Its length is known in advance, as a browser's form is. A
// server that stops taking the body, or does not answer once it has it
// all, fails the step after stallLimit or answerLimit; stalled is then when
// it last took a byte of the body.
func (s *rbServer) importReport(ctx context.Context, path string) (res server.ImportResult, stalled time.Duration, err error) {
	f, err := os.Open(path)
	if err != nil {
		return res, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return res, 0, err
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	name := filepath.Base(path)
	overhead, err := multipartOverhead(mw.Boundary(), name)
	if err != nil {
		return res, 0, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, "POST", s.Base+"/api/v1/imports", pr)
	if err != nil {
		return res, 0, err
	}
	req.ContentLength = overhead + fi.Size()
	req.Header.Set("Content-Type", mw.FormDataContentType())

	p := &progress{start: time.Now(), size: fi.Size()}
	sent := make(chan error, 1)
	go func() {
		part, err := mw.CreateFormFile("file", name)
		if err == nil {
			p.w = part
			_, err = io.CopyBuffer(p, f, make([]byte, 256<<10))
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err) // nil: the reader sees EOF
		sent <- err
	}()
	answered := make(chan struct{})
	watched := make(chan time.Duration, 1)
	go func() { watched <- watch(p, answered, cancel) }()

	err = s.proc.Explain(s.Do(req, &res))
	close(answered)
	stalled = <-watched
	pr.CloseWithError(io.ErrClosedPipe) // an early answer: unblock the writer
	serr := <-sent
	if cause := context.Cause(ctx); err != nil && cause != nil && cause != context.Canceled {
		err = cause // the watchdog's reason, or the run's deadline
	}
	if err == nil && serr != nil && serr != io.ErrClosedPipe {
		err = fmt.Errorf("send the file: %w", serr)
	}
	return res, stalled, err
}

// watch cancels the request when the server stops taking the body or
// answering, and returns when it last saw progress if it did (0 if not).
func watch(p *progress, answered <-chan struct{}, cancel context.CancelCauseFunc) time.Duration {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last, lastAt := int64(-1), time.Now()
	for {
		select {
		case <-answered:
			return 0
		case <-tick.C:
		}
		n := p.sent.Load()
		if n != last {
			last, lastAt = n, time.Now()
			continue
		}
		switch idle := time.Since(lastAt); {
		case n < p.size && idle > stallLimit:
			cancel(fmt.Errorf("the server took no byte of the body for %s, after %s of %s", stallLimit, benchkit.MiB(n), benchkit.MiB(p.size)))
		case n >= p.size && idle > answerLimit:
			cancel(fmt.Errorf("no answer %s after the whole body was sent", answerLimit))
		default:
			continue
		}
		return lastAt.Sub(p.start)
	}
}

// multipartOverhead is what a one-file form adds around the file's bytes.
func multipartOverhead(boundary, filename string) (int64, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary(boundary); err != nil {
		return 0, err
	}
	if _, err := mw.CreateFormFile("file", filename); err != nil {
		return 0, err
	}
	if err := mw.Close(); err != nil {
		return 0, err
	}
	return int64(buf.Len()), nil
}

// stop ends the server process and its client's connections.
func (s *rbServer) stop() {
	s.HTTP.CloseIdleConnections()
	s.proc.Kill()
}
