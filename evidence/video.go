package evidence

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"time"

	"github.com/returnbench/returnbench/inspection"
)

// Stills are read with ffmpeg when the server has it; video is cited in the
// documents (stills, SHA-256, a link), never embedded.
const (
	stillsPerVideo = 4
	ffmpegTimeout  = 45 * time.Second // per ffmpeg run: a stuck decoder must not hold a download forever
	stillMaxWidth  = 1280
)

// still is one frame of a video, as a JPEG.
type still struct {
	At   float64 // seconds from the start
	JPEG []byte
}

// videoStills copies a video original to a temporary file (streamed: a
// video can be gigabytes) and reads a few frames from it with ffmpeg: one
// near the start (the sealed parcel), two in between and one near the end
// (the item on the bench). When it cannot, it returns why, in words for
// the document.
func videoStills(ctx context.Context, open Source, m inspection.Media) ([]still, string) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, "Video stills are not included: ffmpeg is not installed on the server."
	}
	tmp, err := os.CreateTemp("", "evidence-video-*."+extension(m))
	if err != nil {
		return nil, "Video stills are not included: the server could not create a temporary file."
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	rc, err := open(ctx, m)
	if err != nil {
		return nil, "Video stills are not included: the video could not be read from storage."
	}
	_, err = io.Copy(tmp, rc)
	rc.Close()
	if err != nil {
		return nil, "Video stills are not included: the video could not be read from storage."
	}
	if err := tmp.Close(); err != nil {
		return nil, "Video stills are not included: the server could not write a temporary file."
	}

	d := videoDuration(ctx, ffmpeg, tmp.Name())
	var stills []still
	for _, at := range stillTimes(d) {
		if ctx.Err() != nil {
			break
		}
		if b, err := frameAt(ctx, ffmpeg, tmp.Name(), at); err == nil {
			stills = append(stills, still{At: at, JPEG: b})
		}
	}
	if len(stills) == 0 {
		return nil, "Video stills are not included: ffmpeg could not read frames from this video."
	}
	return stills, ""
}

// stillTimes spreads stillsPerVideo frames over a video of d seconds; when
// the length is unknown (a browser's WebM often has none) it tries the
// first seconds.
func stillTimes(d float64) []float64 {
	if d <= 0 {
		return []float64{0.2, 1, 2, 4}
	}
	first := min(0.5, d*0.1)
	last := max(d-0.5, d*0.9)
	return []float64{first, first + (last-first)/3, first + 2*(last-first)/3, last}
}

var (
	durationRE = regexp.MustCompile(`Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)`)
	timeRE     = regexp.MustCompile(`time=(\d+):(\d\d):(\d\d(?:\.\d+)?)`)
)

// videoDuration returns the video's length in seconds, 0 if unknown. It
// reads the container's header first and, when that has no duration,
// copies the stream to nowhere and takes the last timestamp ffmpeg reports.
func videoDuration(ctx context.Context, ffmpeg, path string) float64 {
	run := func(args ...string) []byte {
		ctx, cancel := context.WithTimeout(ctx, ffmpegTimeout)
		defer cancel()
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, ffmpeg, args...)
		cmd.Stderr = &stderr
		_ = cmd.Run() // "ffmpeg -i" without an output exits 1 by design
		return stderr.Bytes()
	}
	if d := hms(durationRE.FindSubmatch(run("-hide_banner", "-nostdin", "-i", path))); d > 0 {
		return d
	}
	out := run("-hide_banner", "-nostdin", "-i", path, "-map", "0:v:0", "-c", "copy", "-f", "null", "-")
	all := timeRE.FindAllSubmatch(out, -1)
	if len(all) == 0 {
		return 0
	}
	return hms(all[len(all)-1])
}

func hms(m [][]byte) float64 {
	if len(m) != 4 {
		return 0
	}
	h, _ := strconv.Atoi(string(m[1]))
	mi, _ := strconv.Atoi(string(m[2]))
	s, _ := strconv.ParseFloat(string(m[3]), 64)
	return float64(h*3600+mi*60) + s
}

// frameAt returns the frame at seconds as a JPEG at most stillMaxWidth wide.
func frameAt(ctx context.Context, ffmpeg, path string, at float64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, ffmpegTimeout)
	defer cancel()
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
		"-ss", strconv.FormatFloat(at, 'f', 2, 64), "-i", path,
		"-frames:v", "1", "-vf", fmt.Sprintf("scale='min(%d,iw)':-2", stillMaxWidth),
		"-f", "image2", "-c:v", "mjpeg", "-q:v", "4", "-")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("ffmpeg at %.2fs: %w: %s", at, err, stderr.String())
	}
	if b := out.Bytes(); len(b) > 2 && b[0] == 0xFF && b[1] == 0xD8 {
		return b, nil
	}
	return nil, fmt.Errorf("ffmpeg at %.2fs: no frame", at)
}

// clock formats seconds into a video as m:ss.s.
func clock(s float64) string {
	m := int(s) / 60
	return fmt.Sprintf("%d:%04.1f", m, s-float64(m*60))
}
