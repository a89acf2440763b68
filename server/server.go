// Package server wires returnbench's HTTP interface: configuration, routes,
// sign-in, role checks, errors, logs and metrics. Handlers translate HTTP to
// calls on the domain and the store; they hold no rules of their own.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/media"
	"github.com/returnbench/returnbench/store"
	rbsync "github.com/returnbench/returnbench/sync"
	"github.com/returnbench/returnbench/webhook"
	"golang.org/x/crypto/acme/autocert"
)

// Server is one returnbench instance. It keeps no state of its own that
// another instance would need: sessions, throttles and setup links live in
// the database, so any number of instances can sit behind a load balancer.
type Server struct {
	cfg      Config
	log      *slog.Logger
	store    *store.Store
	policies *inspection.Policies
	app      *fiber.App
	metrics  *metrics
	proxies  []netip.Prefix
	uploads  *media.Uploads
	sync     *rbsync.Service
	webhooks *webhook.Dispatcher
	ln       net.Listener
	stop     context.CancelFunc // ends background work
}

// New opens the store and builds the HTTP app; Listen and Serve start it.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if log == nil {
		log = slog.Default()
	}
	proxies, err := cfg.trustedPrefixes()
	if err != nil {
		return nil, err
	}
	policies, err := loadPolicies(cfg.PolicyFile)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxOpenConns: cfg.DBMaxConns, Now: cfg.Now, Log: log})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	backend, err := cfg.openMediaBackend(ctx)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("open media store: %w", err)
	}
	s := &Server{cfg: cfg, log: log, store: st, policies: policies, proxies: proxies, metrics: newMetrics(),
		uploads: media.NewUploads(backend, st, cfg.uploadLimits(), cfg.Now, log), stop: func() {},
		sync: &rbsync.Service{Store: st, Policies: policies, Limits: cfg.uploadLimits()}}
	s.app = s.newApp()
	s.webhooks = s.newWebhookDispatcher()
	return s, nil
}

func loadPolicies(path string) (*inspection.Policies, error) {
	if path == "" {
		return inspection.DefaultPolicies(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy file: %w", err)
	}
	defer f.Close()
	p, err := inspection.LoadPolicies(f)
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	return p, nil
}

// Store exposes the database to the command line (user add) and tests.
func (s *Server) Store() *store.Store { return s.store }

// Listen opens the listening socket (":0" picks a free port; see Addr).
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	switch {
	case s.cfg.TLSCert != "" || s.cfg.TLSKey != "":
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	case s.cfg.TLSDomain != "":
		// TLS-ALPN-01 answers the CA's challenge on this same port, so the
		// host name must reach this listener on port 443.
		m := &autocert.Manager{
			Prompt:     autocert.AcceptTOS,
			HostPolicy: autocert.HostWhitelist(s.cfg.TLSDomain),
			Cache:      autocert.DirCache(filepath.Join(s.cfg.DataDir, "certs")),
		}
		ln = tls.NewListener(ln, m.TLSConfig())
	}
	s.ln = ln
	return nil
}

// Addr is the address the server listens on, once Listen has run.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve answers requests until Shutdown. It prints the one-time setup link
// first when the installation has no user yet.
func (s *Server) Serve(ctx context.Context) error {
	if err := s.announceSetup(ctx); err != nil {
		return err
	}
	s.log.Info("returnbench listening", "addr", s.Addr(), "database", s.store.Dialect(),
		"media", s.uploads.Backend().Describe(), "public_url", s.cfg.PublicURL)
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	go s.cleanUploads(bg)
	go s.runWebhooks(bg)
	err := s.app.Listener(s.ln)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting requests, waits for those in flight and closes the store.
func (s *Server) Shutdown(ctx context.Context) error {
	timeout := 10 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	s.stop()
	err := s.app.ShutdownWithTimeout(timeout)
	return errors.Join(err, s.store.Close())
}

// Close releases the store without serving (for commands that never listened).
func (s *Server) Close() error { return s.store.Close() }

// cleanUploads aborts expired uploads now and then. Every instance runs it;
// the work is idempotent, so they need no coordination.
func (s *Server) cleanUploads(ctx context.Context) {
	tick := time.NewTicker(10 * time.Minute)
	defer tick.Stop()
	for {
		if n, err := s.uploads.CleanExpired(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("clean expired uploads", "err", err)
		} else if n > 0 {
			s.log.Info("cleaned expired uploads", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// VerifyEvidence re-hashes every verified file in the media store.
func (s *Server) VerifyEvidence(ctx context.Context) (media.VerifyReport, error) {
	return media.VerifyStored(ctx, s.uploads.Backend(), func(fn func(m *inspection.Media) error) error {
		return s.store.VerifiedMedia(ctx, fn)
	})
}

// Uploads exposes the upload engine to tests and the verify command.
func (s *Server) Uploads() *media.Uploads { return s.uploads }

// publicLink joins the public URL and a path.
func (s *Server) publicLink(path string) string {
	return strings.TrimRight(s.cfg.PublicURL, "/") + path
}
