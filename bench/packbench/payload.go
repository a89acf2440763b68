package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/qr"

	"github.com/returnbench/returnbench/bench/benchkit"
	"github.com/returnbench/returnbench/inspection"
)

// upload is one file of the inspection, on disk, and what the server must
// hold once it has it.
type upload struct {
	path        string
	size        int64
	sha256      string
	kind        string
	contentType string
	filename    string
	capturedAt  time.Time
	mediaID     string // given at upload
}

// media is f as the server is told of it, for the inspection insp.
func (f upload) media(insp string) benchkit.Media {
	return benchkit.Media{Path: f.path, Size: f.size, SHA256: f.sha256, InspectionID: insp, Kind: f.kind,
		ContentType: f.contentType, Filename: f.filename, CapturedAt: f.capturedAt}
}

// trackingNumber is what the label photo's barcodes say and the
// inspection's scanned code, so the card's barcode check has a match to find.
const trackingNumber = "1Z5R89390357567127"

// Generated files carry a version in their cached names: change the recipe,
// bump it, and old caches are not reused.
const recipe = "v2"

// photoKinds are the kinds the photos after the label close-up cycle through.
var photoKinds = []string{inspection.MediaPackage, inspection.MediaContents, inspection.MediaAccessories,
	inspection.MediaSerial, inspection.MediaDamage}

// prepareFiles makes (or finds in the cache) the photos and the video and
// hashes them.
func (b *bench) prepareFiles(ctx context.Context) ([]upload, error) {
	o := b.opts
	dir := o.CacheDir
	if dir == "" {
		dir = filepath.Join(b.tmp, "files")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("cache dir: %w", err)
	}
	b.tracking = trackingNumber
	t0 := time.Date(2026, 3, 2, 14, 5, 0, 0, time.UTC) // the parcel is opened
	var files []upload

	start := time.Now()
	var video *upload
	if o.VideoSize > 0 {
		path := filepath.Join(dir, fmt.Sprintf("unboxing-%d-%s.webm", o.VideoSize, recipe))
		made, err := benchkit.Cached(path, func(tmp string) error { return makeVideo(ctx, tmp, o.VideoSize) })
		if err != nil {
			return nil, err
		}
		video = &upload{path: path, kind: inspection.MediaUnboxingVideo, contentType: "video/webm",
			filename: "unboxing.webm", capturedAt: t0}
		if made {
			b.logf("encoded the unboxing video with ffmpeg (libvpx realtime) in %.1f s into %s\n", time.Since(start).Seconds(), dir)
		}
	}

	start = time.Now()
	photos := make([]upload, o.Photos)
	made := make([]bool, o.Photos)
	errs := make([]error, o.Photos)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for i := range photos {
		kind := inspection.MediaLabelCloseup
		if i > 0 {
			kind = photoKinds[(i-1)%len(photoKinds)]
		}
		path := filepath.Join(dir, fmt.Sprintf("photo-%dx%d-%02d-%s.jpg", o.PhotoW, o.PhotoH, i+1, recipe))
		photos[i] = upload{path: path, kind: kind, contentType: "image/jpeg",
			filename: fmt.Sprintf("IMG_%04d.jpg", 4301+i), capturedAt: t0.Add(time.Duration(40+25*i) * time.Second)}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			label := ""
			if kind == inspection.MediaLabelCloseup {
				label = b.tracking
			}
			made[i], errs[i] = benchkit.Cached(path, func(tmp string) error { return makePhoto(tmp, o.PhotoW, o.PhotoH, uint64(i+1), label) })
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("photo %d: %w", i+1, err)
		}
	}
	if slices.Contains(made, true) {
		b.logf("generated %d photos in %.1f s into %s\n", o.Photos, time.Since(start).Seconds(), dir)
	}
	files = append(files, photos...)
	if video != nil {
		files = append(files, *video)
	}

	start = time.Now()
	var photoBytes int64
	for i := range files {
		f := &files[i]
		var err error
		if f.size, f.sha256, err = benchkit.HashFile(f.path); err != nil {
			return nil, err
		}
		if f.kind != inspection.MediaUnboxingVideo {
			photoBytes += f.size
		}
	}
	b.logf("photos: %d JPEGs %dx%d, %s together (%s to %s each); the first is the label close-up (Code 128 + QR of %s)\n",
		o.Photos, o.PhotoW, o.PhotoH, benchkit.Human(photoBytes), benchkit.Human(minSize(files[:o.Photos])), benchkit.Human(maxSize(files[:o.Photos])), b.tracking)
	if video != nil {
		v := files[len(files)-1]
		b.logf("video: %s, %s (%s)\n", filepath.Base(v.path), benchkit.Human(v.size), describeVideo(ctx, v.path))
	}
	b.logf("hashed the files in %.1f s\n", time.Since(start).Seconds())
	return files, nil
}

func minSize(fs []upload) int64 {
	n := fs[0].size
	for _, f := range fs {
		n = min(n, f.size)
	}
	return n
}

func maxSize(fs []upload) int64 {
	var n int64
	for _, f := range fs {
		n = max(n, f.size)
	}
	return n
}

// makePhoto writes a w x h JPEG at the quality phones use: soft shapes and
// gradients under sensor-like noise, so it weighs what a 12 MP phone photo
// weighs (3-5 MB) and decodes as slowly. With label set, a white shipping
// label carries a Code 128 and a QR code of it.
func makePhoto(path string, w, h int, seed uint64, label string) error {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	// A scene: per-channel waves along x and y, different for each photo.
	var rows, cols [3][]float64
	for c := range 3 {
		rows[c], cols[c] = make([]float64, h), make([]float64, w)
		base := 60 + rng.Float64()*100
		fx, fy := 1+rng.Float64()*6, 1+rng.Float64()*6
		px, py := rng.Float64()*math.Pi, rng.Float64()*math.Pi
		for y := range h {
			rows[c][y] = base/2 + 40*math.Sin(fy*math.Pi*float64(y)/float64(h)+py)
		}
		for x := range w {
			cols[c][x] = base/2 + 40*math.Sin(fx*math.Pi*float64(x)/float64(w)+px)
		}
	}
	const noise = 14 // amplitude of the grain, per channel
	var r uint64
	bits := 0
	for y := range h {
		row := img.Pix[y*img.Stride:]
		for x := range w {
			for c := range 3 {
				if bits < 8 {
					r, bits = rng.Uint64(), 64
				}
				n := int(r&0xff)*(2*noise+1)/256 - noise
				r >>= 8
				bits -= 8
				row[4*x+c] = clamp(int(rows[c][y]+cols[c][x]) + n)
			}
			row[4*x+3] = 0xff
		}
	}
	if label != "" {
		if err := drawLabel(img, label, rng); err != nil {
			return err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 92}); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return f.Close()
}

func clamp(v int) uint8 { return uint8(min(255, max(0, v))) }

// drawLabel puts a white shipping label in the middle of img with a Code
// 128 of code across it and a QR code of code beside, as a carrier's label
// has, under a light grain.
func drawLabel(img *image.RGBA, code string, rng *rand.Rand) error {
	b := img.Bounds()
	lw, lh := b.Dx()*6/10, b.Dy()*5/10
	label := image.Rect(b.Dx()/2-lw/2, b.Dy()/2-lh/2, b.Dx()/2+lw/2, b.Dy()/2+lh/2)
	paper := func(x, y int) {
		v := 238 + rng.IntN(12)
		img.SetRGBA(x, y, color.RGBA{uint8(v), uint8(v), uint8(v - 4), 0xff})
	}
	for y := label.Min.Y; y < label.Max.Y; y++ {
		for x := label.Min.X; x < label.Max.X; x++ {
			paper(x, y)
		}
	}
	c128, err := code128.Encode(code)
	if err != nil {
		return fmt.Errorf("code 128: %w", err)
	}
	margin := lw / 14
	bar, err := barcode.Scale(c128, lw-2*margin, lh*3/10)
	if err != nil {
		return fmt.Errorf("scale code 128: %w", err)
	}
	ink(img, bar, image.Pt(label.Min.X+margin, label.Max.Y-margin-bar.Bounds().Dy()), rng)
	q, err := qr.Encode(code, qr.M, qr.Auto)
	if err != nil {
		return fmt.Errorf("qr: %w", err)
	}
	side := lh * 4 / 10
	q, err = barcode.Scale(q, side, side)
	if err != nil {
		return fmt.Errorf("scale qr: %w", err)
	}
	ink(img, q, image.Pt(label.Max.X-margin-side, label.Min.Y+margin), rng)
	return nil
}

// ink prints the dark modules of code onto img at at.
func ink(img *image.RGBA, code image.Image, at image.Point, rng *rand.Rand) {
	cb := code.Bounds()
	for y := cb.Min.Y; y < cb.Max.Y; y++ {
		for x := cb.Min.X; x < cb.Max.X; x++ {
			if r, _, _, _ := code.At(x, y).RGBA(); r < 0x8000 {
				v := uint8(18 + rng.IntN(14))
				img.SetRGBA(at.X+x-cb.Min.X, at.Y+y-cb.Min.Y, color.RGBA{v, v, v, 0xff})
			}
		}
	}
}

// makeVideo encodes a real, playable VP8 WebM of about size bytes with
// ffmpeg: a test pattern with moving parts under heavy grain, at a low
// quantizer, so that the bytes come quickly (ffmpeg's -fs stops the file at
// size; the container is finished properly, with its duration and cues).
// Big files are 720p30 (about 1 MB a frame: 1 GiB is about half a minute);
// small ones 360p15, so that a few MiB still last a second or more. A
// keyframe every second, as phone cameras record, bounds what ffmpeg
// decodes for one still. The bitrate (about 200 Mbit/s at 720p) is ten
// times a phone's: each frame costs ffmpeg more to decode than a phone's
// would, so the stills' time here is on the high side.
func makeVideo(ctx context.Context, path string, size int64) error {
	scene, rate := "1280x720", "30"
	if size < 64<<20 {
		scene, rate = "640x360", "15"
	}
	r, _ := strconv.Atoi(rate)
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=" + scene + ":rate=" + rate,
		"-vf", "noise=alls=40:allf=t", "-t", "3600", "-fs", strconv.FormatInt(size, 10),
		"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-threads", strconv.Itoa(runtime.NumCPU()),
		"-g", strconv.Itoa(r), "-b:v", "400M", "-qmin", "0", "-qmax", "4", "-f", "webm", path}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ffmpeg %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return nil
}

// describeVideo is what ffprobe says of a video: codec, frame size, length.
func describeVideo(ctx context.Context, path string) string {
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height,avg_frame_rate:format=duration", "-of", "default=nw=1", path).Output()
	if err != nil {
		return "ffprobe failed: " + err.Error()
	}
	kv := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		kv[k] = v
	}
	d, _ := strconv.ParseFloat(kv["duration"], 64)
	return fmt.Sprintf("%s %sx%s at %s fps, %.1f s", kv["codec_name"], kv["width"], kv["height"], kv["avg_frame_rate"], d)
}
