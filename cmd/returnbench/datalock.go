package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// dataDirLock is an advisory lock on DATA_DIR/returnbench.lock: servers
// hold it shared while they run, restore holds it exclusively, so a restore
// never swaps files under a running server and a server never starts in the
// middle of a restore. It is flock(2), not a pid file, because the kernel
// drops it when its holder dies, even by kill -9: a crash leaves no stale
// lock for anyone to clear by hand. SQLite's own locks cannot stand in for
// it: an idle server's pool closes its connections and then holds none.
type dataDirLock struct {
	f *os.File
}

// lockFile is the lock's path in a data dir.
func lockFile(dir string) string { return filepath.Join(dir, "returnbench.lock") }

// lockDataDir takes the data dir's lock without waiting: shared for a
// server, exclusive for a restore.
func lockDataDir(dir string, exclusive bool) (*dataDirLock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	f, err := os.OpenFile(lockFile(dir), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open the data dir's lock: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock %s: %w", lockFile(dir), err)
		}
		if exclusive {
			return nil, fmt.Errorf("a returnbench server is using %s (it holds %s; 'fuser -v %[2]s' names the process): stop it first",
				dir, lockFile(dir))
		}
		return nil, fmt.Errorf("%s is being restored (%s is held): try again once the restore has finished",
			dir, lockFile(dir))
	}
	return &dataDirLock{f: f}, nil
}

// Release lets others take the lock.
func (l *dataDirLock) Release() error { return l.f.Close() }

// serveLocked runs the server holding its data dir's lock, shared so that
// several servers may still share one SQLite data dir. With PostgreSQL the
// data dir holds nothing a restore replaces, so no lock is taken.
func (m *Main) serveLocked(ctx context.Context, args []string) error {
	quiet := *m
	quiet.Stderr = io.Discard // serve reports flag errors itself, once
	cfg, _, err := quiet.parseConfig("serve", args, nil)
	if err == nil && cfg.DatabaseURL == "" {
		lock, err := lockDataDir(cfg.DataDir, false)
		if err != nil {
			return err
		}
		defer lock.Release()
	}
	return m.serve(ctx, args)
}
