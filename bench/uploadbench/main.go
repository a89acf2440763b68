// Command uploadbench measures how fast evidence gets into returnbench and
// how much memory the server holds while it does. In one run, against one
// MinIO and one disk, it times:
//
//   - a direct minio-go PutObject of the test file (16 MiB parts), the S3 floor;
//   - the same file through returnbench with tus in -chunk PATCHes, into S3;
//   - a plain copy of the file on the same disk (io.Copy + fsync), the disk floor;
//   - the same file through returnbench with tus, into its local media dir;
//   - four uploads of -concurrent-size at once into returnbench on S3, while
//     the server's resident memory is sampled every 50 ms.
//
// returnbench runs as a separate process (built from this module), so its
// RSS is its own and not the bench's. The figures are printed beside the
// issue's goals and never decide the exit status: the run fails only when
// something errs or a file arrives other than it was sent.
//
//	go run ./bench/uploadbench                               # 1 GiB, 4 x 256 MiB, 8 MiB chunks
//	go run ./bench/uploadbench -size 64MiB -concurrent-size 32MiB
//	go run ./bench/uploadbench -keep                         # keep the temp dir (logs, data) to look at
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
)

// options are the knobs of one run.
type options struct {
	Size           int64         // the single upload, each way
	ConcurrentSize int64         // each of the Concurrent uploads
	Concurrent     int           // uploads at once in the memory test
	Chunk          int64         // bytes per tus PATCH
	Keep           bool          // keep the temp dir
	ServerBin      string        // a built returnbench; "" builds one into the temp dir
	Timeout        time.Duration // the whole run
}

// The goals. They are printed beside the figures, never enforced:
// throughput and memory depend on the machine and what else runs on it.
const (
	goalS3Ratio   = 0.8       // returnbench -> S3 vs direct PutObject
	goalPeakRSS   = 150 << 20 // server RSS while the concurrent uploads run
	baselinePart  = 16 << 20  // PutObject part size of the S3 floor (TESTING.md's yardstick)
	rssSampleTick = 50 * time.Millisecond
)

func main() { benchkit.Main("uploadbench", parseFlags, run) }

func parseFlags(args []string) (options, error) {
	o := options{Size: 1 << 30, ConcurrentSize: 256 << 20, Concurrent: 4, Chunk: 8 << 20, Timeout: 30 * time.Minute}
	fs := flag.NewFlagSet("uploadbench", flag.ContinueOnError)
	fs.Var((*benchkit.ByteSize)(&o.Size), "size", "size of the single upload (e.g. 1GiB, 64MiB, 1048576)")
	fs.Var((*benchkit.ByteSize)(&o.ConcurrentSize), "concurrent-size", "size of each concurrent upload")
	fs.IntVar(&o.Concurrent, "concurrent", o.Concurrent, "uploads at once in the memory test")
	fs.Var((*benchkit.ByteSize)(&o.Chunk), "chunk", "bytes per tus PATCH request")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temp dir (test files, server logs and data) and print where it is")
	fs.StringVar(&o.ServerBin, "server-bin", "", "returnbench binary to run (default: build ./cmd/returnbench into the temp dir)")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "give up after this long")
	return o, fs.Parse(args)
}

// run starts MinIO, measures every target and writes the report to out.
// Every child process is killed and the temp dir removed before it returns,
// whatever happened.
func run(ctx context.Context, opts options, out io.Writer) (err error) {
	switch {
	case opts.Size < 1 || opts.ConcurrentSize < 1:
		return errors.New("-size and -concurrent-size must be at least 1 byte")
	case opts.Chunk < 1:
		return errors.New("-chunk must be at least 1 byte")
	case opts.Concurrent < 1:
		return errors.New("-concurrent must be at least 1")
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	tmp, err := benchkit.MakeTempDir("uploadbench-")
	if err != nil {
		return err
	}
	defer func() {
		err = errors.Join(err, benchkit.RemoveTempDir(tmp, opts.Keep, out, "server logs: */server.log, MinIO: minio/minio.log"))
	}()
	b := &bench{opts: opts, tmp: tmp, out: out}
	defer b.children.KillAll()
	return b.run(ctx)
}

// bench is the state of one run: its temp dir, its children and what it measured.
type bench struct {
	opts     options
	tmp      string
	out      io.Writer
	bin      string
	minio    *benchkit.MinIO
	children benchkit.Children // killed at the end
}

func (b *bench) run(ctx context.Context) error {
	o := b.opts
	fmt.Fprintf(b.out, "uploadbench: %s single upload, %d x %s concurrent, %s tus chunks\n",
		benchkit.Human(o.Size), o.Concurrent, benchkit.Human(o.ConcurrentSize), benchkit.Human(o.Chunk))

	bin, err := benchkit.ServerBinary(ctx, o.ServerBin, b.tmp)
	if err != nil {
		return err
	}
	b.bin = bin
	single, err := writePayload(filepath.Join(b.tmp, "single.webm"), o.Size, 1)
	if err != nil {
		return err
	}
	many, err := writePayload(filepath.Join(b.tmp, "concurrent.webm"), o.ConcurrentSize, 2)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "test files: %s sha256 %s, %s sha256 %s\n", benchkit.Human(single.size), single.sha256[:16], benchkit.Human(many.size), many.sha256[:16])

	b.minio, err = benchkit.StartMinIO(ctx, filepath.Join(b.tmp, "minio"))
	if err != nil {
		return err
	}
	b.children = append(b.children, b.minio.Proc)
	fmt.Fprintf(b.out, "MinIO on %s, returnbench %s\n\n", b.minio.Endpoint, bin)

	var rows []row
	// S3: the floor, then returnbench.
	r, err := b.putObjectBaseline(ctx, single)
	if err != nil {
		return err
	}
	rows = append(rows, r)
	r, err = b.singleThroughServer(ctx, "returnbench tus -> S3", true, single)
	if err != nil {
		return err
	}
	rows = append(rows, r)
	// Disk: the floor, then returnbench.
	r, err = b.copyBaseline(ctx, single)
	if err != nil {
		return err
	}
	rows = append(rows, r)
	r, err = b.singleThroughServer(ctx, "returnbench tus -> disk", false, single)
	if err != nil {
		return err
	}
	rows = append(rows, r)
	conc, err := b.concurrentThroughServer(ctx, many)
	if err != nil {
		return err
	}
	printReport(b.out, o, rows, conc)
	return nil
}
