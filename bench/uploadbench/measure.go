package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/returnbench/returnbench/bench/benchkit"
)

// row is one line of the throughput table.
type row struct {
	name     string
	backend  string // "S3" or "disk": rows compare with the baseline of their backend
	baseline bool
	bytes    int64
	elapsed  time.Duration
	mem      *serverMemory // nil for baselines: no returnbench process in the way
	cpu      benchkit.CPUUse
}

// serverMemory is the returnbench process's resident memory during a step.
type serverMemory struct {
	before  int64 // sampled just before the uploads started
	peak    int64 // highest sample, every rssSampleTick
	hwm     int64 // the kernel's peak for the process's whole life (it was started for this step)
	samples int
}

func (r row) mibps() float64 { return float64(r.bytes) / (1 << 20) / r.elapsed.Seconds() }

// putObjectBaseline times minio-go's PutObject of the file straight into the
// bench's MinIO: the fastest a Go program on this machine gets bytes into
// that S3, and what returnbench -> S3 is held against. It is the call as
// applications make it (16 MiB parts, the library's default parallelism).
func (b *bench) putObjectBaseline(ctx context.Context, p payload) (row, error) {
	benchkit.Settle()
	client, err := minio.New(b.minio.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(b.minio.AccessKey, b.minio.SecretKey, "")})
	if err != nil {
		return row{}, fmt.Errorf("s3 client: %w", err)
	}
	const bucket = "baseline"
	if err := client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		return row{}, fmt.Errorf("create bucket: %w", err)
	}
	f, err := os.Open(p.path)
	if err != nil {
		return row{}, err
	}
	defer f.Close()
	cpu, err := benchkit.StartCPU(0, b.minio.Proc.PID())
	if err != nil {
		return row{}, err
	}
	start := time.Now()
	info, err := client.PutObject(ctx, bucket, "baseline.webm", f, p.size,
		minio.PutObjectOptions{PartSize: baselinePart, ContentType: "video/webm"})
	elapsed := time.Since(start)
	used, cerr := cpu.Stop()
	if err = errors.Join(err, cerr); err != nil {
		return row{}, fmt.Errorf("PutObject: %w", err)
	}
	if info.Size != p.size {
		return row{}, fmt.Errorf("PutObject stored %d bytes, want %d", info.Size, p.size)
	}
	return row{name: fmt.Sprintf("minio-go PutObject (%s parts)", benchkit.Human(baselinePart)), backend: "S3", baseline: true,
		bytes: p.size, elapsed: elapsed, cpu: used}, nil
}

// copyBaseline times a plain copy of the file to a new file on the same
// disk, synced: what the disk gives a program that just writes the bytes
// down. io.Copy between two files lets Linux copy inside the kernel
// (copy_file_range), as cp does.
func (b *bench) copyBaseline(ctx context.Context, p payload) (row, error) {
	benchkit.Settle()
	src, err := os.Open(p.path)
	if err != nil {
		return row{}, err
	}
	defer src.Close()
	dstPath := filepath.Join(b.tmp, "copy.webm")
	cpu, err := benchkit.StartCPU(0, b.minio.Proc.PID())
	if err != nil {
		return row{}, err
	}
	start := time.Now()
	dst, err := os.Create(dstPath)
	if err != nil {
		return row{}, err
	}
	n, err := io.Copy(dst, src)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	elapsed := time.Since(start)
	used, cerr := cpu.Stop()
	if err = errors.Join(err, cerr); err != nil {
		return row{}, fmt.Errorf("copy: %w", err)
	}
	if n != p.size {
		return row{}, fmt.Errorf("copied %d bytes, want %d", n, p.size)
	}
	os.Remove(dstPath) // the disk is needed for what comes next
	return row{name: "file copy (io.Copy + fsync)", backend: "disk", baseline: true, bytes: p.size, elapsed: elapsed, cpu: used}, nil
}

// singleThroughServer starts a returnbench process for this step alone,
// sends the file with tus and reports the time and the server's memory.
func (b *bench) singleThroughServer(ctx context.Context, name string, s3 bool, p payload) (row, error) {
	backend, srvName := "disk", "server-disk"
	if s3 {
		backend, srvName = "S3", "server-s3"
	}
	srv, err := b.startServer(ctx, srvName, s3)
	if err != nil {
		return row{}, err
	}
	defer srv.stop()
	benchkit.Settle()
	var elapsed time.Duration
	mem, used, err := b.observe(srv, func() (err error) {
		_, elapsed, err = srv.upload(ctx, p, b.opts.Chunk)
		return err
	})
	if err != nil {
		return row{}, fmt.Errorf("%s: %w", name, err)
	}
	return row{name: name, backend: backend, bytes: p.size, elapsed: elapsed, mem: mem, cpu: used}, nil
}

// concurrent is the memory step's outcome.
type concurrent struct {
	n       int
	size    int64
	elapsed time.Duration   // first POST to last 204
	each    []time.Duration // sorted
	mem     *serverMemory
	cpu     benchkit.CPUUse
}

func (c concurrent) mibps() float64 {
	return float64(c.size) * float64(c.n) / (1 << 20) / c.elapsed.Seconds()
}

// concurrentThroughServer sends n uploads of the same file at once, each
// with its own media id, into a fresh returnbench on S3 while its RSS is
// sampled.
func (b *bench) concurrentThroughServer(ctx context.Context, p payload) (concurrent, error) {
	srv, err := b.startServer(ctx, "server-s3-concurrent", true)
	if err != nil {
		return concurrent{}, err
	}
	defer srv.stop()
	benchkit.Settle()
	n := b.opts.Concurrent
	each := make([]time.Duration, n)
	var elapsed time.Duration
	mem, used, err := b.observe(srv, func() error {
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		var wg sync.WaitGroup
		start := time.Now()
		for i := range n {
			wg.Go(func() {
				_, d, err := srv.upload(ctx, p, b.opts.Chunk)
				if err != nil {
					cancel(fmt.Errorf("upload %d of %d: %w", i+1, n, err))
				}
				each[i] = d
			})
		}
		wg.Wait()
		elapsed = time.Since(start)
		return context.Cause(ctx) // nil unless an upload failed or the run was stopped
	})
	if err != nil {
		return concurrent{}, err
	}
	slices.Sort(each)
	return concurrent{n: n, size: p.size, elapsed: elapsed, each: each, mem: mem, cpu: used}, nil
}

// observe runs fn while sampling the server's RSS and measuring the CPU
// time of the bench, the server and MinIO.
func (b *bench) observe(srv *rbServer, fn func() error) (*serverMemory, benchkit.CPUUse, error) {
	pid := srv.proc.PID()
	before, err := benchkit.ReadMemory(pid)
	if err != nil {
		return nil, benchkit.CPUUse{}, fmt.Errorf("server memory: %w", err)
	}
	cpu, err := benchkit.StartCPU(pid, b.minio.Proc.PID())
	if err != nil {
		return nil, benchkit.CPUUse{}, err
	}
	s := benchkit.SampleRSS(pid, rssSampleTick)
	ferr := fn()
	serr := s.Stop()
	used, cerr := cpu.Stop()
	if ferr != nil {
		return nil, benchkit.CPUUse{}, ferr
	}
	if err := errors.Join(serr, cerr); err != nil {
		return nil, benchkit.CPUUse{}, fmt.Errorf("server resources: %w", err)
	}
	after, err := benchkit.ReadMemory(pid)
	if err != nil {
		return nil, benchkit.CPUUse{}, fmt.Errorf("server memory: %w", err)
	}
	return &serverMemory{before: before.RSS, peak: s.Peak, hwm: after.HWM, samples: s.Samples}, used, nil
}
