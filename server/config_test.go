package server

import (
	"context"
	"testing"

	"github.com/returnbench/returnbench/store/storetest"
)

// The pool size a deployment sets reaches the database pool.
func TestDBMaxConns(t *testing.T) {
	t.Setenv("RETURNBENCH_DB_MAX_CONNS", "7")
	cfg := DefaultConfig()
	if cfg.DBMaxConns != 7 {
		t.Fatalf("DBMaxConns = %d, want 7 from RETURNBENCH_DB_MAX_CONNS", cfg.DBMaxConns)
	}
	cfg.DataDir = t.TempDir()
	cfg.DatabaseURL = storetest.NewPostgresDB(t)
	srv, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if got := srv.Store().PoolStats().MaxOpenConnections; got != 7 {
		t.Fatalf("pool of %d connections, want 7", got)
	}
}
