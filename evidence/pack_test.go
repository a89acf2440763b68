package evidence

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/returnbench/returnbench/inspection"
)

// The full pack: a label close-up and eleven more photos of 2000x1500 (what
// a phone sends after the PWA's resize), an unboxing video, one file still
// uploading and one the server rejected. Built once: the photos take a
// while under the race detector.
var (
	packOnce  sync.Once
	packFS    *files
	packMedia []inspection.Media
)

func mustPack(tb testing.TB) (*Facts, *files) {
	tb.Helper()
	mustTool(tb, "ffmpeg", "ffmpeg")
	packOnce.Do(func() {
		fs := newFiles()
		var media []inspection.Media
		at := t0
		next := func() time.Time { at = at.Add(20 * time.Second); return at }
		media = append(media, fs.add("m-label", inspection.MediaLabelCloseup, "image/jpeg", "IMG_0001.jpg",
			mustLabelPhoto(tb, testTracking, testRMA, 2000, 1500), next()))

		dir, err := os.MkdirTemp("", "evidence-test-")
		if err != nil {
			tb.Fatal(err)
		}
		defer os.RemoveAll(dir)
		video := filepath.Join(dir, "unboxing.webm")
		mustRun(tb, "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "lavfi",
			"-i", "testsrc=duration=3:size=640x360:rate=15", "-c:v", "libvpx", video)
		b, err := os.ReadFile(video)
		if err != nil {
			tb.Fatal(err)
		}
		media = append(media, fs.add("m-video", inspection.MediaUnboxingVideo, "video/webm", "unboxing.webm", b, next()))

		kinds := []string{inspection.MediaPackage, inspection.MediaPackage, inspection.MediaContents, inspection.MediaContents,
			inspection.MediaContents, inspection.MediaContents, inspection.MediaContents, inspection.MediaAccessories,
			inspection.MediaSerial, inspection.MediaDamage, inspection.MediaDamage}
		photos := make([][]byte, len(kinds))
		var wg sync.WaitGroup
		for i, k := range kinds {
			wg.Go(func() { photos[i] = mustPhoto(tb, uint64(i+1), 2000, 1500, fmt.Sprintf("%s %d", k, i+1)) })
		}
		wg.Wait()
		for i, k := range kinds {
			media = append(media, fs.add(fmt.Sprintf("m-%02d", i+1), k, "image/jpeg", fmt.Sprintf("IMG_%04d.jpg", i+2), photos[i], next()))
		}
		uploading := fs.add("m-late", inspection.MediaOther, "image/jpeg", "IMG_0099.jpg", []byte("not yet"), next())
		uploading.Status, uploading.SHA256, uploading.VerifiedAt = inspection.MediaUploading, "", nil
		rejected := fs.add("m-bad", inspection.MediaOther, "image/jpeg", "IMG_0098.jpg", []byte("corrupt"), next())
		rejected.Status = inspection.MediaRejected
		packFS, packMedia = fs, append(media, uploading, rejected)
	})
	if packFS == nil {
		tb.Fatal("building the test pack failed in an earlier test")
	}
	return testFacts(packMedia...), packFS
}
