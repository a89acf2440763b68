package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
	"github.com/returnbench/returnbench/inspection"
)

// row is one line of the report: one step against a fresh server.
type row struct {
	name     string
	baseline bool
	bytes    int64
	elapsed  time.Duration // the request to the last byte (the sum, for the baseline's GETs)
	ttfb     time.Duration // the request to the response headers
	mark     time.Duration // the request to the end of the originals in the zip
	mem      serverMemory
	cpu      benchkit.CPUUse
	checked  string   // what was verified, in words
	notes    []string // what a reader should know, e.g. a PDF without stills
}

func (r row) mibps() float64 { return float64(r.bytes) / (1 << 20) / r.elapsed.Seconds() }

// serverMemory is the returnbench process's resident memory during a step.
type serverMemory struct {
	before   int64 // just before the step's request
	peak     int64 // highest sample, every rssSampleTick
	treePeak int64 // highest sample of the server and its children (ffmpeg) together
	hwm      int64 // the kernel's peak for the process's whole life (it was started for this step)
	samples  int
}

// maxRSS is the server's peak: VmHWM also catches a spike between samples.
func (m serverMemory) maxRSS() int64 { return max(m.peak, m.hwm) }

// packTimeout bounds one download; the server's own bound on a pack is 30 minutes.
const packTimeout = 35 * time.Minute

// step starts a server process for fn alone, so that its memory figures
// are the step's own, and stops it afterwards.
func (b *bench) step(ctx context.Context, name string, fn func(context.Context, *rbServer) (row, []string, error)) (row, []string, error) {
	srv, err := b.startServer(ctx)
	if err != nil {
		return row{}, nil, fmt.Errorf("%s: %w", name, err)
	}
	defer srv.stop()
	benchkit.Settle()
	r, problems, err := fn(ctx, srv)
	if err != nil {
		return row{}, nil, fmt.Errorf("%s: %w", name, err)
	}
	return r, problems, nil
}

// observe runs fn while sampling the server's RSS and measuring the CPU
// time of the bench, the server, its children and MinIO.
func (b *bench) observe(srv *rbServer, fn func() error) (serverMemory, benchkit.CPUUse, error) {
	pid := srv.proc.PID()
	before, err := benchkit.ReadMemory(pid)
	if err != nil {
		return serverMemory{}, benchkit.CPUUse{}, fmt.Errorf("server memory: %w", err)
	}
	cpu, err := benchkit.StartCPU(pid, b.minio.Proc.PID())
	if err != nil {
		return serverMemory{}, benchkit.CPUUse{}, err
	}
	s := benchkit.SampleRSSWithChildren(pid, rssSampleTick)
	ferr := fn()
	serr := s.Stop()
	used, cerr := cpu.Stop()
	if ferr != nil {
		return serverMemory{}, benchkit.CPUUse{}, srv.proc.Explain(ferr)
	}
	if err := errors.Join(serr, cerr); err != nil {
		return serverMemory{}, benchkit.CPUUse{}, fmt.Errorf("server resources: %w", err)
	}
	after, err := benchkit.ReadMemory(pid)
	if err != nil {
		return serverMemory{}, benchkit.CPUUse{}, fmt.Errorf("server memory: %w", err)
	}
	return serverMemory{before: before.RSS, peak: s.Peak, treePeak: s.TreePeak, hwm: after.HWM, samples: s.Samples}, used, nil
}

// download is one GET's outcome.
type download struct {
	bytes   int64
	ttfb    time.Duration
	mark    time.Duration // when the body reached the mark's bytes
	elapsed time.Duration
	header  http.Header
}

// markWriter notes when the bytes written through it reach mark.
type markWriter struct {
	w       io.Writer
	n, mark int64
	start   time.Time
	at      time.Duration
}

func (m *markWriter) Write(p []byte) (int, error) {
	n, err := m.w.Write(p)
	m.n += int64(n)
	if m.at == 0 && m.mark > 0 && m.n >= m.mark {
		m.at = time.Since(m.start)
	}
	return n, err
}

// get fetches path into the file dst and times it to the last byte, and to
// the mark'th byte when mark > 0. The body goes to a file, as a browser
// saves a download; nothing is hashed on the way, so the bench's CPU does
// not slow the transfer it measures.
func (s *rbServer) get(ctx context.Context, path, dst string, mark int64) (download, error) {
	ctx, cancel := context.WithTimeout(ctx, packTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", s.Base+path, nil)
	if err != nil {
		return download{}, err
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	f, err := os.Create(dst)
	if err != nil {
		return download{}, err
	}
	defer f.Close()
	start := time.Now()
	res, err := s.HTTP.Do(req)
	if err != nil {
		return download{}, s.proc.Explain(fmt.Errorf("GET %s: %w", path, err))
	}
	defer res.Body.Close()
	d := download{ttfb: time.Since(start), header: res.Header}
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return download{}, fmt.Errorf("GET %s: status %d: %.300s", path, res.StatusCode, body)
	}
	mw := &markWriter{w: f, mark: mark, start: start}
	d.bytes, err = io.Copy(mw, res.Body)
	d.elapsed, d.mark = time.Since(start), mw.at
	if err != nil {
		return download{}, s.proc.Explain(fmt.Errorf("GET %s after %d bytes: %w", path, d.bytes, err))
	}
	if res.ContentLength >= 0 && d.bytes != res.ContentLength {
		return download{}, fmt.Errorf("GET %s: %d bytes, Content-Length said %d", path, d.bytes, res.ContentLength)
	}
	return d, f.Close()
}

func (b *bench) dlDir(name string) (string, error) {
	dir := filepath.Join(b.tmp, "dl", name)
	return dir, os.MkdirAll(dir, 0o750)
}

// measureOriginals is the baseline: every original, one GET after another,
// the way a seller who wanted the files and no pack would fetch them.
func (b *bench) measureOriginals(ctx context.Context, srv *rbServer) (row, []string, error) {
	dir, err := b.dlDir("originals")
	if err != nil {
		return row{}, nil, err
	}
	r := row{name: fmt.Sprintf("originals, %d GET /media/{id}", len(b.files)), baseline: true}
	r.mem, r.cpu, err = b.observe(srv, func() error {
		for _, f := range b.files {
			d, err := srv.get(ctx, "/api/v1/media/"+f.mediaID, filepath.Join(dir, f.mediaID), 0)
			if err != nil {
				return err
			}
			r.bytes += d.bytes
			r.elapsed += d.elapsed
			r.ttfb = max(r.ttfb, d.ttfb)
		}
		return nil
	})
	if err != nil {
		return row{}, nil, err
	}
	var problems []string
	for _, f := range b.files {
		path := filepath.Join(dir, f.mediaID)
		size, sum, err := benchkit.HashFile(path)
		if err != nil {
			return row{}, nil, err
		}
		if size != f.size || sum != f.sha256 {
			problems = append(problems, fmt.Sprintf("GET /media/%s (%s): %d bytes sha256 %s, uploaded %d bytes sha256 %s",
				f.mediaID, f.filename, size, sum, f.size, f.sha256))
		}
		os.Remove(path) // 1 GiB is enough to keep on disk at once
	}
	r.checked = "every file's size and SHA-256 equal the upload's"
	return r, problems, nil
}

// manifest is the part of the zip's manifest.json the bench checks.
type manifest struct {
	InspectionID string `json:"inspection_id"`
	Files        []struct {
		Path    string `json:"path"`
		MediaID string `json:"media_id"`
		Size    int64  `json:"size"`
		SHA256  string `json:"sha256"`
	} `json:"files"`
	Documents []string `json:"documents"`
}

// measureZip downloads the pack and then checks it: manifest.json lists
// every uploaded file with the SHA-256 and size the bench sent, every
// original in the zip hashes to it, and the documents are there.
func (b *bench) measureZip(ctx context.Context, srv *rbServer) (row, []string, error) {
	dir, err := b.dlDir("pack")
	if err != nil {
		return row{}, nil, err
	}
	path := filepath.Join(dir, "evidence.zip")
	// The originals come first in the zip, the documents after them: the
	// time the body passes the originals' bytes splits the two.
	var originals int64
	for _, f := range b.files {
		originals += f.size
	}
	var d download
	mem, cpu, err := b.observe(srv, func() (err error) {
		d, err = srv.get(ctx, "/api/v1/inspections/"+b.insp+"/evidence.zip", path, originals)
		return err
	})
	if err != nil {
		return row{}, nil, err
	}
	r := row{name: "evidence.zip", bytes: d.bytes, elapsed: d.elapsed, ttfb: d.ttfb, mark: d.mark, mem: mem, cpu: cpu}
	problems, docs, err := b.checkZip(path)
	if err != nil {
		return row{}, nil, err
	}
	r.checked = fmt.Sprintf("%d originals: manifest.json and the bytes in the zip match the uploads' SHA-256 and size; documents: %s",
		len(b.files), strings.Join(docs, ", "))
	return r, problems, nil
}

// checkZip reads the downloaded pack; a zip that cannot be read at all (the
// server stopped writing it halfway) is a problem, not an error of the bench.
func (b *bench) checkZip(path string) (problems, docs []string, err error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return []string{fmt.Sprintf("evidence.zip does not open as a zip: %v", err)}, nil, nil
	}
	defer zr.Close()
	entries := map[string]*zip.File{}
	for _, f := range zr.File {
		entries[f.Name] = f
	}
	mf := entries["manifest.json"]
	if mf == nil {
		return []string{"evidence.zip has no manifest.json"}, nil, nil
	}
	var man manifest
	if err := readJSON(mf, &man); err != nil {
		return []string{fmt.Sprintf("evidence.zip: manifest.json: %v", err)}, nil, nil
	}
	if man.InspectionID != b.insp {
		problems = append(problems, fmt.Sprintf("manifest.json names inspection %s, want %s", man.InspectionID, b.insp))
	}
	if len(man.Files) != len(b.files) {
		problems = append(problems, fmt.Sprintf("manifest.json lists %d files, %d were uploaded", len(man.Files), len(b.files)))
	}
	for _, up := range b.files {
		i := -1
		for j, f := range man.Files {
			if f.MediaID == up.mediaID {
				i = j
			}
		}
		if i < 0 {
			problems = append(problems, fmt.Sprintf("manifest.json lacks %s (%s)", up.filename, up.mediaID))
			continue
		}
		mfile := man.Files[i]
		if mfile.SHA256 != up.sha256 || mfile.Size != up.size {
			problems = append(problems, fmt.Sprintf("manifest.json: %s has %d bytes sha256 %s, uploaded %d bytes sha256 %s",
				mfile.Path, mfile.Size, mfile.SHA256, up.size, up.sha256))
		}
		zf := entries[mfile.Path]
		if zf == nil {
			problems = append(problems, fmt.Sprintf("evidence.zip lacks %s, which manifest.json lists", mfile.Path))
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			problems = append(problems, fmt.Sprintf("evidence.zip: %s: %v", mfile.Path, err))
			continue
		}
		size, sum, err := benchkit.HashReader(rc)
		rc.Close()
		if err != nil {
			problems = append(problems, fmt.Sprintf("evidence.zip: %s: %v", mfile.Path, err))
		} else if size != up.size || sum != up.sha256 {
			problems = append(problems, fmt.Sprintf("evidence.zip: %s holds %d bytes sha256 %s, uploaded %d bytes sha256 %s",
				mfile.Path, size, sum, up.size, up.sha256))
		}
	}
	for _, want := range []string{"evidence.pdf", "label-card.jpg", "manifest.json"} {
		if !slices.Contains(man.Documents, want) {
			problems = append(problems, fmt.Sprintf("manifest.json's documents lack %s", want))
		}
	}
	for _, doc := range man.Documents {
		zf := entries[doc]
		if zf == nil {
			problems = append(problems, fmt.Sprintf("evidence.zip lacks %s, which manifest.json lists", doc))
			continue
		}
		docs = append(docs, fmt.Sprintf("%s %s", doc, benchkit.Human(int64(zf.UncompressedSize64))))
	}
	return problems, docs, nil
}

func readJSON(f *zip.File, v any) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return json.NewDecoder(rc).Decode(v)
}

// measurePDF downloads evidence.pdf and checks it with poppler: a PDF,
// under 10 MB, with the photos, the card and the video's stills in it.
func (b *bench) measurePDF(ctx context.Context, srv *rbServer) (row, []string, error) {
	dir, err := b.dlDir("pack")
	if err != nil {
		return row{}, nil, err
	}
	path := filepath.Join(dir, "evidence.pdf")
	var d download
	mem, cpu, err := b.observe(srv, func() (err error) {
		d, err = srv.get(ctx, "/api/v1/inspections/"+b.insp+"/evidence.pdf", path, 0)
		return err
	})
	if err != nil {
		return row{}, nil, err
	}
	r := row{name: "evidence.pdf", bytes: d.bytes, elapsed: d.elapsed, ttfb: d.ttfb, mem: mem, cpu: cpu}
	var problems []string
	if d.bytes >= pdfMaxSize {
		problems = append(problems, fmt.Sprintf("evidence.pdf is %d bytes, not under %d (Seller Central's limit)", d.bytes, pdfMaxSize))
	}
	pages, err := pdfPages(ctx, path)
	if err != nil {
		return r, append(problems, err.Error()), nil
	}
	images, err := pdfImages(ctx, path)
	if err != nil {
		return r, append(problems, err.Error()), nil
	}
	text, err := exec.CommandContext(ctx, "pdftotext", "-layout", path, "-").Output()
	if err != nil {
		return r, append(problems, fmt.Sprintf("pdftotext evidence.pdf: %v", err)), nil
	}
	photos, videos := b.counts()
	wantImages := photos + 1 + 4*videos // the card, four stills per video
	r.checked = fmt.Sprintf("%d bytes (under %d), pdfinfo: %d pages, pdfimages: %d images (%d photos + card + %d stills expected)",
		d.bytes, pdfMaxSize, pages, images, photos, 4*videos)
	if i := bytes.Index(text, []byte("Video stills are not included")); i >= 0 {
		line, _, _ := strings.Cut(string(text[i:]), "\n")
		r.notes = append(r.notes, "evidence.pdf says: "+strings.TrimSpace(line))
	} else if images < wantImages {
		r.notes = append(r.notes, fmt.Sprintf("evidence.pdf holds %d images, %d expected", images, wantImages))
	}
	return r, problems, nil
}

// counts is how many photos and videos were uploaded.
func (b *bench) counts() (photos, videos int) {
	for _, f := range b.files {
		if f.kind == inspection.MediaUnboxingVideo {
			videos++
		} else {
			photos++
		}
	}
	return photos, videos
}

var pagesRE = regexp.MustCompile(`(?m)^Pages:\s+(\d+)`)

func pdfPages(ctx context.Context, path string) (int, error) {
	out, err := exec.CommandContext(ctx, "pdfinfo", path).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pdfinfo evidence.pdf: %v: %s", err, out)
	}
	m := pagesRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pdfinfo evidence.pdf: no page count in %q", out)
	}
	return strconv.Atoi(string(m[1]))
}

// pdfImages counts the images in a PDF (pdfimages -list prints two lines
// of heading, then one per image).
func pdfImages(ctx context.Context, path string) (int, error) {
	out, err := exec.CommandContext(ctx, "pdfimages", "-list", path).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pdfimages evidence.pdf: %v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return max(0, len(lines)-2), nil
}

// measureCard downloads the label card and checks that it is a JPEG whose
// barcode check read the tracking number on the label photo.
func (b *bench) measureCard(ctx context.Context, srv *rbServer) (row, []string, error) {
	dir, err := b.dlDir("pack")
	if err != nil {
		return row{}, nil, err
	}
	path := filepath.Join(dir, "label-card.jpg")
	var d download
	mem, cpu, err := b.observe(srv, func() (err error) {
		d, err = srv.get(ctx, "/api/v1/inspections/"+b.insp+"/label-card.jpg", path, 0)
		return err
	})
	if err != nil {
		return row{}, nil, err
	}
	r := row{name: "label-card.jpg", bytes: d.bytes, elapsed: d.elapsed, ttfb: d.ttfb, mem: mem, cpu: cpu}
	var problems []string
	check := d.header.Get("X-Label-Check")
	if !strings.HasPrefix(check, "Label barcode matches") {
		problems = append(problems, fmt.Sprintf("label-card.jpg: X-Label-Check %q, want the label's %s read and matched", check, b.tracking))
	}
	f, err := os.Open(path)
	if err != nil {
		return row{}, nil, err
	}
	defer f.Close()
	cfg, err := jpeg.DecodeConfig(f)
	if err != nil {
		return r, append(problems, fmt.Sprintf("label-card.jpg is not a JPEG: %v", err)), nil
	}
	r.checked = fmt.Sprintf("a %dx%d JPEG; X-Label-Check: %s", cfg.Width, cfg.Height, check)
	return r, problems, nil
}
