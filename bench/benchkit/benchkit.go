// Package benchkit is what the bench programs under bench/ share: starting
// the real returnbench binary (and MinIO) as child processes and stopping
// them, reading what /proc says of them, making and dropping a fresh
// database on a loopback PostgreSQL, a signed-in HTTP client with the tus
// upload the PWA does, and the flag and number formats every report uses.
//
// It knows returnbench only from the outside, as a binary, an HTTP API
// and a database server, the way the benches measure it; what one bench
// alone needs stays in that bench.
package benchkit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

// Main is a bench program's main: parse the flags, run until done or
// interrupted, and exit 2 on bad flags (flag has printed the problem and
// the usage) or 1 with the error on a failed run.
func Main[O any](name string, parseFlags func([]string) (O, error), run func(context.Context, O, io.Writer) error) {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, opts, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

// Settle writes back dirty pages left by the previous step, so one
// measurement does not pay for another's writes.
func Settle() { syscall.Sync() }

// DefaultCacheDir is where generated test files are kept between runs, so
// that a file that takes minutes to make is made once.
func DefaultCacheDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".cache", "returnbench", "bench")
}

// QuietLog keeps the store and an in-process server quiet on the terminal,
// but still formats every line, so the server's per-request logging is
// part of what the HTTP figures measure.
func QuietLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
