// Command returnbench is the returns-inspection server and its
// administration commands. It only parses arguments and wires packages.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // marketplace time zones work on machines without zoneinfo

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "returnbench:", inspection.ErrorMessageOrText(err))
		os.Exit(1)
	}
}

// Main is the program, as a value that tests can run with their own
// arguments, streams and listen address.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Ready, when set, receives the server's address once it listens.
	Ready func(addr string)
}

const usage = `usage:
  returnbench [serve] [flags]                       start the server (the default)
  returnbench user add NAME --role inspector|lead|admin   add a user; the password is read from standard input
  returnbench import FILE [--site S] [flags]          import a marketplace report (FBA returns, seller-fulfilled returns, reimbursements)
  returnbench verify [flags]                        re-hash every stored evidence file and the audit chain, and report mismatches
  returnbench backup --out DEST [flags]             copy the SQLite database and local evidence while serving (DEST must not exist)
  returnbench restore --from DEST [flags]           put a backup in place, with the server stopped; starts a new sync epoch
  returnbench restore --new-epoch --database-url U  after pg_restore: start a new sync epoch, so devices resync
  returnbench help                                  this text; 'returnbench serve --help' lists the flags`

// Run dispatches a subcommand.
func (m *Main) Run(ctx context.Context, args []string) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return m.serveLocked(ctx, args)
	case "user":
		if len(args) == 0 || args[0] != "add" {
			return errors.New("usage: returnbench user add NAME --role inspector|lead|admin")
		}
		return m.userAdd(ctx, args[1:])
	case "verify":
		return m.verify(ctx, args)
	case "import":
		return m.importReport(ctx, args)
	case "backup":
		return m.backup(ctx, args)
	case "restore":
		return m.restore(ctx, args)
	case "help", "-h", "--help":
		fmt.Fprintln(m.Stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

// parseConfig reads the server flags (defaults from the environment) and
// returns what is left over.
func (m *Main) parseConfig(name string, args []string, extra func(*flag.FlagSet)) (server.Config, []string, error) {
	var cfg server.Config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cfg.RegisterFlags(fs)
	if extra != nil {
		extra(fs)
	}
	// Flags may come before or after positional arguments.
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return cfg, nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return cfg, rest, nil
}

func (m *Main) logger(cfg server.Config) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(m.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(m.Stderr, opts))
}

func (m *Main) serve(ctx context.Context, args []string) error {
	cfg, rest, err := m.parseConfig("serve", args, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", rest)
	}
	log := m.logger(cfg)
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	if err := srv.Listen(); err != nil {
		srv.Close()
		return err
	}
	if m.Ready != nil {
		m.Ready(srv.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx) }()
	select {
	case err := <-errc:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// userAdd creates an account; the password is one line of standard input,
// so it never appears in the process list or the shell history.
func (m *Main) userAdd(ctx context.Context, args []string) error {
	var role, site string
	cfg, rest, err := m.parseConfig("user add", args, func(fs *flag.FlagSet) {
		fs.StringVar(&role, "role", "", "inspector, lead or admin")
		fs.StringVar(&site, "site", inspection.DefaultSiteID, "the site (warehouse) the user works at")
	})
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("usage: returnbench user add NAME --role inspector|lead|admin (password on standard input)")
	}
	line, err := bufio.NewReader(m.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	u, err := server.NewUser(rest[0], password, role)
	if err != nil {
		return err
	}
	u.SiteID = site
	srv, err := server.New(ctx, cfg, m.logger(cfg))
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.Store().CreateUser(ctx, u, ""); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "added %s (%s)\n", u.Username, u.Role)
	return nil
}

// verify re-hashes every verified evidence file and exits non-zero when
// any file is missing or changed.
func (m *Main) verify(ctx context.Context, args []string) error {
	cfg, rest, err := m.parseConfig("verify", args, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("verify takes no arguments, got %q", rest)
	}
	srv, err := server.New(ctx, cfg, m.logger(cfg))
	if err != nil {
		return err
	}
	defer srv.Close()
	report, err := srv.VerifyEvidence(ctx)
	if err != nil {
		return err
	}
	for _, bad := range report.Mismatches {
		fmt.Fprintf(m.Stdout, "MISMATCH media %s (%s): %s; recorded sha256 %s, now %s\n",
			bad.MediaID, bad.StorageKey, bad.Problem, bad.Want, bad.Got)
	}
	fmt.Fprintf(m.Stdout, "checked %d files, %d bytes: %d mismatches\n", report.Checked, report.Bytes, len(report.Mismatches))
	chain, err := srv.Store().VerifyAudit(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "audit chain: %d events, intact: %v\n", chain.Events, chain.OK)
	switch {
	case len(report.Mismatches) > 0:
		return fmt.Errorf("%d stored files do not match their recorded SHA-256", len(report.Mismatches))
	case !chain.OK:
		return errors.New("the audit chain does not verify: an event was changed or removed")
	}
	return nil
}

// importReport reads a report file into the store, as the office's upload does.
func (m *Main) importReport(ctx context.Context, args []string) error {
	var site string
	cfg, rest, err := m.parseConfig("import", args, func(fs *flag.FlagSet) {
		fs.StringVar(&site, "site", inspection.DefaultSiteID, "the site (warehouse) the report belongs to")
	})
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("usage: returnbench import FILE [--site S]")
	}
	f, err := os.Open(rest[0])
	if err != nil {
		return err
	}
	defer f.Close()
	srv, err := server.New(ctx, cfg, m.logger(cfg))
	if err != nil {
		return err
	}
	defer srv.Close()
	res, err := srv.Import(ctx, &inspection.User{ID: "cli", SiteID: site, Role: inspection.RoleAdmin}, f, filepath.Base(rest[0]))
	if err != nil {
		return err
	}
	for _, r := range res.Rejected {
		fmt.Fprintf(m.Stdout, "rejected line %d: %s\n", r.Line, r.Reason)
	}
	fmt.Fprintf(m.Stdout, "%s: %d rows: %d inserted, %d updated, %d unchanged, %d rejected\n",
		res.Format, res.Rows, res.Inserted, res.Updated, res.Unchanged, res.RejectedCount)
	return nil
}
