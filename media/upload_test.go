package media_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/media"
	"github.com/returnbench/returnbench/media/s3test"
	"github.com/returnbench/returnbench/store"
	"github.com/returnbench/returnbench/store/storetest"
)

const partSize = 5 << 20

// env is one upload engine on a real database and a real backend.
type env struct {
	store   *store.Store
	backend media.Backend
	uploads *media.Uploads
	user    *inspection.User
	insp    *inspection.Inspection
	clock   *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// combos are the database x backend pairs every upload scenario runs on.
var combos = []struct{ dialect, backend string }{
	{store.SQLite, "disk"}, {store.SQLite, "s3"}, {store.Postgres, "s3"}, {store.Postgres, "disk"},
}

func eachCombo(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, c := range combos {
		t.Run(c.dialect+"+"+c.backend, func(t *testing.T) {
			fn(t, newEnv(t, c.dialect, newBackend(t, c.backend)))
		})
	}
}

func newBackend(t *testing.T, kind string) media.Backend {
	t.Helper()
	if kind == "disk" {
		b, err := media.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b, err := media.NewS3(context.Background(), s3test.Shared(t).Config(""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newEnv(t *testing.T, dialect string, b media.Backend) *env {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Now().UTC()}
	cfg := storetest.Config(t, dialect)
	cfg.Now = clk.Now
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u := &inspection.User{Username: "ana", PasswordHash: "x", Role: inspection.RoleInspector}
	if err := st.CreateUser(ctx, u, ""); err != nil {
		t.Fatal(err)
	}
	in := &inspection.Inspection{ID: uuid.NewString(), InspectorID: u.ID}
	if err := st.CreateInspection(ctx, in, u.ID); err != nil {
		t.Fatal(err)
	}
	e := &env{store: st, backend: b, user: u, insp: in, clock: clk}
	e.uploads = e.engine()
	return e
}

// engine is another upload engine on the same database and backend, as a
// second server instance would have.
func (e *env) engine() *media.Uploads {
	l := media.DefaultLimits
	l.PartSize = partSize
	return media.NewUploads(e.backend, e.store, l, e.clock.Now, slog.New(slog.DiscardHandler))
}

// webm returns n bytes that sniff as WebM video.
func webm(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed)})
	r.Read(b)
	copy(b, append([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x82, 0x84}, []byte("webm")...))
	return b
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func (e *env) create(t *testing.T, data []byte, declared string) *media.Upload {
	t.Helper()
	up, err := e.uploads.Create(context.Background(), e.user, media.NewUpload{
		MediaID: uuid.NewString(), InspectionID: e.insp.ID, Kind: inspection.MediaUnboxingVideo,
		ContentType: "video/webm", SHA256: declared, Length: int64(len(data)), Filename: "unboxing.webm",
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return up
}

// sendChunks writes data from the upload's offset in chunks of the given sizes.
func (e *env) sendChunks(t *testing.T, u *media.Uploads, id string, data []byte, sizes ...int) *media.Upload {
	t.Helper()
	ctx := context.Background()
	up, err := u.Get(ctx, e.user, id)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; up.Offset < int64(len(data)); i++ {
		n := int64(sizes[i%len(sizes)])
		end := min(up.Offset+n, int64(len(data)))
		up, err = u.Write(ctx, e.user, id, up.Offset, bytes.NewReader(data[up.Offset:end]), nil)
		if err != nil {
			t.Fatalf("write at %d: %v", end, err)
		}
	}
	return up
}

// mustStored checks that the backend holds exactly data and the media is verified.
func (e *env) mustStored(t *testing.T, up *media.Upload, data []byte) {
	t.Helper()
	ctx := context.Background()
	m, err := e.store.MediaByID(ctx, up.MediaID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != inspection.MediaVerified || m.SHA256 != sha(data) || m.VerifiedAt == nil {
		t.Fatalf("media %+v, want verified with sha256 %s", m, sha(data))
	}
	obj, err := e.backend.Open(ctx, m.StorageKey)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	got, _ := io.ReadAll(obj)
	if sha(got) != sha(data) {
		t.Fatalf("stored %d bytes with sha256 %s, want %d bytes %s", len(got), sha(got), len(data), sha(data))
	}
}

func TestUploadChunks(t *testing.T) {
	eachCombo(t, func(t *testing.T, e *env) {
		data := webm(13<<20+321, 1)
		up := e.create(t, data, sha(data))
		// Uneven chunks leave tails between parts, and a one-byte chunk.
		up = e.sendChunks(t, e.uploads, up.ID, data, 3<<20, 1, 7<<20+5)
		if up.Status != media.UploadComplete {
			t.Fatalf("status %q, want complete", up.Status)
		}
		e.mustStored(t, up, data)
		t.Run("AuditRecordsVerification", func(t *testing.T) {
			evs, err := e.store.AuditEvents(context.Background(), "media", up.MediaID)
			if err != nil || len(evs) != 2 || evs[1].Action != "media.verified" {
				t.Fatalf("audit events %+v, %v; want upload_started then verified", evs, err)
			}
		})
		t.Run("PatchAfterEndIsNoop", func(t *testing.T) {
			got, err := e.uploads.Write(context.Background(), e.user, up.ID, up.Length, bytes.NewReader(nil), nil)
			if err != nil || got.Offset != up.Length {
				t.Fatalf("got %+v, %v; want offset at the end", got, err)
			}
		})
	})
}

// brokenReader hands over n bytes and then fails, as a dropped connection does.
type brokenReader struct {
	r io.Reader
	n int
}

func (b *brokenReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, errors.New("connection reset by peer")
	}
	p = p[:min(len(p), b.n)]
	n, err := b.r.Read(p)
	b.n -= n
	return n, err
}

func TestUploadResume(t *testing.T) {
	eachCombo(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		data := webm(12<<20, 2)
		up := e.create(t, data, sha(data))
		// One long chunk that breaks after 7 MiB: the full part and the
		// bytes after it are kept.
		_, err := e.uploads.Write(ctx, e.user, up.ID, 0, &brokenReader{r: bytes.NewReader(data), n: 7 << 20}, nil)
		if err == nil {
			t.Fatal("a broken chunk reported success")
		}
		got, err := e.uploads.Get(ctx, e.user, up.ID)
		if err != nil || got.Offset != 7<<20 {
			t.Fatalf("offset after the break = %d, %v; want %d", got.Offset, err, 7<<20)
		}
		t.Run("OnSecondInstance", func(t *testing.T) {
			second := e.engine()
			done := e.sendChunks(t, second, up.ID, data, 2<<20)
			e.mustStored(t, done, data)
		})
	})
}

func TestUploadRejected(t *testing.T) {
	eachCombo(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		t.Run("ErrSHA256Mismatch", func(t *testing.T) {
			data := webm(6<<20, 3)
			up := e.create(t, data, sha([]byte("something else")))
			_, err := e.uploads.Write(ctx, e.user, up.ID, 0, bytes.NewReader(data), nil)
			var me *media.Error
			if !errors.As(err, &me) || me.Code != "sha256_mismatch" || me.Status != 460 {
				t.Fatalf("got %v, want sha256_mismatch 460", err)
			}
			m, _ := e.store.MediaByID(ctx, up.MediaID)
			if m.Status != inspection.MediaRejected {
				t.Fatalf("media status %q, want rejected", m.Status)
			}
			if _, err := e.backend.Open(ctx, up.StorageKey); inspection.ErrorCode(err) != inspection.ENOTFOUND {
				t.Fatalf("open rejected object: %v, want not found (no object left)", err)
			}
		})
		t.Run("ErrJPEGHeaderOnText", func(t *testing.T) {
			text := []byte("this is not a photo, just some text that claims to be one........")
			up, err := e.uploads.Create(ctx, e.user, media.NewUpload{
				MediaID: uuid.NewString(), InspectionID: e.insp.ID, Kind: inspection.MediaLabelCloseup,
				ContentType: "image/jpeg", SHA256: sha(text), Length: int64(len(text)),
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.uploads.Write(ctx, e.user, up.ID, 0, bytes.NewReader(text), nil)
			if got := inspection.ErrorCode(err); got != inspection.EUNSUPPORTED {
				t.Fatalf("got %v, want unsupported media type", err)
			}
			m, _ := e.store.MediaByID(ctx, up.MediaID)
			if m.Status != inspection.MediaRejected {
				t.Fatalf("media status %q, want rejected", m.Status)
			}
		})
		t.Run("ErrChecksumMismatch", func(t *testing.T) {
			data := webm(6<<20, 4)
			up := e.create(t, data, sha(data))
			chunk := data[:3<<20]
			wrong := sha256.Sum256([]byte("not the chunk"))
			_, err := e.uploads.Write(ctx, e.user, up.ID, 0, bytes.NewReader(chunk), &media.Checksum{Algorithm: "sha256", Sum: wrong[:]})
			if !errors.Is(err, media.ErrChecksumMismatch) {
				t.Fatalf("got %v, want checksum mismatch", err)
			}
			if got, _ := e.uploads.Get(ctx, e.user, up.ID); got.Offset != 0 {
				t.Fatalf("offset %d after a bad chunk, want 0", got.Offset)
			}
			right := sha256.Sum256(chunk)
			if _, err := e.uploads.Write(ctx, e.user, up.ID, 0, bytes.NewReader(chunk), &media.Checksum{Algorithm: "sha256", Sum: right[:]}); err != nil {
				t.Fatalf("good chunk: %v", err)
			}
			done := e.sendChunks(t, e.uploads, up.ID, data, 4<<20)
			e.mustStored(t, done, data)
		})
	})
}

func TestUploadTakeover(t *testing.T) {
	eachCombo(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		data := webm(11<<20, 5)
		up := e.create(t, data, sha(data))
		// The first request stalls mid-chunk, as a phone's dead connection does.
		pr, pw := io.Pipe()
		staleDone := make(chan error, 1)
		go func() {
			_, err := e.uploads.Write(ctx, e.user, up.ID, 0, pr, nil)
			staleDone <- err
		}()
		pw.Write(data[:1<<20])
		time.Sleep(200 * time.Millisecond) // the stale request holds the lock and 1 MiB
		// The phone reconnects: a new request takes over from offset 0.
		done := e.engine()
		fresh := e.sendChunks(t, done, up.ID, data, 6<<20)
		// The stale request wakes up and tries to finish its part.
		pw.Write(data[1<<20 : partSize])
		pw.Close()
		if err := <-staleDone; !errors.Is(err, media.ErrLockLost) && !errors.Is(err, media.ErrUploadGone) {
			t.Fatalf("stale request ended with %v, want it fenced off", err)
		}
		e.mustStored(t, fresh, data)
	})
}

func TestUploadExpiry(t *testing.T) {
	e := newEnv(t, store.SQLite, newBackend(t, "disk"))
	ctx := context.Background()
	data := webm(6<<20, 6)
	up := e.create(t, data, sha(data))
	if _, err := e.uploads.Write(ctx, e.user, up.ID, 0, bytes.NewReader(data[:2<<20]), nil); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(25 * time.Hour)
	n, err := e.uploads.CleanExpired(ctx)
	if err != nil || n != 1 {
		t.Fatalf("cleaned %d, %v; want 1", n, err)
	}
	if _, err := e.uploads.Write(ctx, e.user, up.ID, 2<<20, bytes.NewReader(data[2<<20:]), nil); !errors.Is(err, media.ErrUploadGone) {
		t.Fatalf("write after expiry: %v, want upload gone", err)
	}
	t.Run("StartAgain", func(t *testing.T) {
		again, err := e.uploads.Create(ctx, e.user, media.NewUpload{MediaID: up.MediaID, InspectionID: e.insp.ID,
			Kind: inspection.MediaUnboxingVideo, ContentType: "video/webm", SHA256: sha(data), Length: int64(len(data))})
		if err != nil || again.ID == up.ID {
			t.Fatalf("got %+v, %v; want a new upload", again, err)
		}
		e.mustStored(t, e.sendChunks(t, e.uploads, again.ID, data, 8<<20), data)
	})
}

func TestUploadLimits(t *testing.T) {
	e := newEnv(t, store.SQLite, newBackend(t, "disk"))
	ctx := context.Background()
	base := media.NewUpload{InspectionID: e.insp.ID, Kind: inspection.MediaLabelCloseup, ContentType: "image/jpeg",
		SHA256: sha(nil), Length: 1000}
	for name, tt := range map[string]struct {
		edit func(n *media.NewUpload)
		code string
	}{
		"ErrPhotoTooLarge":  {func(n *media.NewUpload) { n.Length = 26 << 20 }, inspection.ETOOLARGE},
		"ErrVideoAsPhoto":   {func(n *media.NewUpload) { n.ContentType = "video/webm" }, inspection.EUNSUPPORTED},
		"ErrUnknownKind":    {func(n *media.NewUpload) { n.Kind = "selfie" }, inspection.EINVALID},
		"ErrBadSHA256":      {func(n *media.NewUpload) { n.SHA256 = "abc" }, inspection.EINVALID},
		"ErrNoInspection":   {func(n *media.NewUpload) { n.InspectionID = uuid.NewString() }, inspection.ENOTFOUND},
		"ErrEmptyFile":      {func(n *media.NewUpload) { n.Length = 0 }, inspection.EINVALID},
		"ErrMediaIDNotUUID": {func(n *media.NewUpload) { n.MediaID = "../../etc/passwd" }, inspection.EINVALID},
	} {
		t.Run(name, func(t *testing.T) {
			n := base
			n.MediaID = uuid.NewString()
			tt.edit(&n)
			_, err := e.uploads.Create(ctx, e.user, n)
			if got := inspection.ErrorCode(err); got != tt.code {
				t.Fatalf("got %v (%s), want %s", err, got, tt.code)
			}
		})
	}
	t.Run("ErrQuota", func(t *testing.T) {
		l := media.DefaultLimits
		l.PartSize, l.InspectionQuota = partSize, 30<<20
		u := media.NewUploads(e.backend, e.store, l, e.clock.Now, slog.New(slog.DiscardHandler))
		video := media.NewUpload{InspectionID: e.insp.ID, Kind: inspection.MediaUnboxingVideo, ContentType: "video/webm", SHA256: sha(nil), Length: 20 << 20}
		video.MediaID = uuid.NewString()
		if _, err := u.Create(ctx, e.user, video); err != nil {
			t.Fatal(err)
		}
		video.MediaID = uuid.NewString()
		if _, err := u.Create(ctx, e.user, video); inspection.ErrorCode(err) != inspection.ETOOLARGE {
			t.Fatalf("second 20 MiB video in a 30 MiB quota: %v, want too large", err)
		}
	})
	t.Run("IdempotentCreate", func(t *testing.T) {
		n := base
		n.MediaID = uuid.NewString()
		a, err1 := e.uploads.Create(ctx, e.user, n)
		b, err2 := e.uploads.Create(ctx, e.user, n)
		if err1 != nil || err2 != nil || a.ID != b.ID {
			t.Fatalf("got %v %v and %v %v, want the same upload twice", a, err1, b, err2)
		}
	})
}
