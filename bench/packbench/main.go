// Command packbench measures what it costs returnbench to hand a seller the
// evidence for one inspection: -photos phone photos (one of them the label
// close-up, with a Code 128 and a QR of the tracking number on it) and one
// unboxing video of -video-size, all uploaded with tus into a returnbench
// that keeps its media in S3 (a private MinIO). Then, each against a fresh
// server process so that its peak memory is the step's own, it times:
//
//   - every original downloaded one after another with GET /api/v1/media/{id}:
//     the baseline, what moving the same bytes costs without packing them;
//   - GET /api/v1/inspections/{id}/evidence.zip, the pack: the originals,
//     evidence.pdf, the label card, the audit events and the dispute texts;
//   - GET .../evidence.pdf on its own;
//   - GET .../label-card.jpg on its own.
//
// The server's resident memory is sampled every 50 ms from /proc, with its
// ffmpeg children beside it (stills are cut from the video by ffmpeg). The
// figures are printed and never decide the exit status: the run fails only
// when something errs, the zip does not hold the files that were uploaded,
// the PDF is not a PDF under 10 MB, or the card does not read the label.
//
// The video is a real VP8 WebM that ffmpeg encodes once (minutes for 1 GiB)
// and keeps in ~/.cache/returnbench/bench/, like the photos.
//
//	go run ./bench/packbench -server-bin bin/returnbench     # 12 photos + 1 GiB video
//	go run ./bench/packbench -photos 2 -video-size 32MiB     # a quick look
//	go run ./bench/packbench -keep                           # keep the temp dir (logs, downloads)
//	go run ./bench/packbench -server-env GODEBUG=gctrace=1 -keep   # the server's GC in server/server.log
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
)

// options are the knobs of one run.
type options struct {
	Photos    int           // photos in the inspection, the label close-up among them
	PhotoW    int           // photo size in pixels (a 12 MP phone: 4032 x 3024)
	PhotoH    int           //
	VideoSize int64         // the unboxing video's target size (ffmpeg stops at it)
	Chunk     int64         // bytes per tus PATCH
	Keep      bool          // keep the temp dir
	ServerBin string        // a built returnbench; "" builds one into the temp dir
	CacheDir  string        // where generated photos and videos are kept between runs; "" keeps none
	ServerEnv []string      // extra environment for the server (e.g. GODEBUG=gctrace=1 to look into memory)
	Timeout   time.Duration // the whole run
}

const (
	rssSampleTick = 50 * time.Millisecond
	pdfMaxSize    = 10_000_000 // "under 10 MB" (evidence/pdf.go), in the decimal MB Seller Central counts
)

func main() { benchkit.Main("packbench", parseFlags, run) }

func parseFlags(args []string) (options, error) {
	o := options{Photos: 12, PhotoW: 4032, PhotoH: 3024, VideoSize: 1 << 30, Chunk: 8 << 20,
		CacheDir: benchkit.DefaultCacheDir(), Timeout: 60 * time.Minute}
	var env string
	fs := flag.NewFlagSet("packbench", flag.ContinueOnError)
	fs.IntVar(&o.Photos, "photos", o.Photos, "photos in the inspection (the first is the label close-up)")
	fs.Var((*benchkit.ByteSize)(&o.VideoSize), "video-size", "target size of the unboxing video (e.g. 1GiB, 64MiB); 0 for none")
	fs.Var((*benchkit.ByteSize)(&o.Chunk), "chunk", "bytes per tus PATCH request")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temp dir (server logs and data, downloads) and print where it is")
	fs.StringVar(&o.ServerBin, "server-bin", "", "returnbench binary to run (default: build ./cmd/returnbench into the temp dir)")
	fs.StringVar(&o.CacheDir, "cache", o.CacheDir, "keep generated photos and videos here between runs (\"\": generate into the temp dir)")
	fs.StringVar(&env, "server-env", "", "extra KEY=VALUE settings for the server, comma-separated (e.g. GODEBUG=gctrace=1)")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if env != "" {
		o.ServerEnv = strings.Split(env, ",")
	}
	return o, nil
}

// run prepares the files, starts MinIO and returnbench, uploads, measures
// and writes the report to out. Every child process is killed and the temp
// dir removed before it returns, whatever happened.
func run(ctx context.Context, opts options, out io.Writer) (err error) {
	switch {
	case opts.Photos < 1:
		return errors.New("-photos must be at least 1: the first is the label close-up the card reads")
	case opts.VideoSize < 0:
		return errors.New("-video-size must not be negative")
	case opts.Chunk < 1:
		return errors.New("-chunk must be at least 1 byte")
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	tmp, err := benchkit.MakeTempDir("packbench-")
	if err != nil {
		return err
	}
	defer func() {
		err = errors.Join(err, benchkit.RemoveTempDir(tmp, opts.Keep, out, "server log: server/server.log, MinIO: minio/minio.log, downloads: dl/"))
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
	files    []upload          // what was uploaded, in upload order
	insp     string            // the inspection's id
	tracking string            // the code on the label photo and the inspection's scanned code
}

func (b *bench) logf(format string, args ...any) { fmt.Fprintf(b.out, format, args...) }

func (b *bench) run(ctx context.Context) error {
	o := b.opts
	b.logf("packbench: %d photos of %dx%d, a %s unboxing video, %s tus chunks\n",
		o.Photos, o.PhotoW, o.PhotoH, benchkit.Human(o.VideoSize), benchkit.Human(o.Chunk))
	if err := checkTools(); err != nil {
		return err
	}
	bin, err := benchkit.ServerBinary(ctx, o.ServerBin, b.tmp)
	if err != nil {
		return err
	}
	b.bin = bin

	files, err := b.prepareFiles(ctx)
	if err != nil {
		return err
	}

	b.minio, err = benchkit.StartMinIO(ctx, filepath.Join(b.tmp, "minio"))
	if err != nil {
		return err
	}
	b.children = append(b.children, b.minio.Proc)
	b.logf("MinIO on %s, returnbench %s\n", b.minio.Endpoint, bin)

	if err := b.setUp(ctx, files); err != nil {
		return err
	}

	var rows []row
	var problems []string
	for _, step := range []struct {
		name string
		fn   func(context.Context, *rbServer) (row, []string, error)
	}{
		{"baseline", b.measureOriginals},
		{"zip", b.measureZip},
		{"pdf", b.measurePDF},
		{"card", b.measureCard},
	} {
		r, probs, err := b.step(ctx, step.name, step.fn)
		if err != nil {
			return err
		}
		rows = append(rows, r)
		problems = append(problems, probs...)
	}
	b.printReport(rows)
	if len(problems) > 0 {
		return fmt.Errorf("the pack is not right:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// checkTools fails early, with the fix, when a tool the bench needs is missing.
func checkTools() error {
	for _, t := range []string{"ffmpeg", "ffprobe", "pdfinfo", "pdfimages", "pdftotext"} {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("%s is not installed: run `make tools` (ffmpeg and poppler-utils)", t)
		}
	}
	return nil
}
