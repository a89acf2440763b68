package server_test

// Scenario tests of the tus 1.0.0 upload routes and the media routes,
// through the real server with its files on local disk and on MinIO.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/media"
	"github.com/returnbench/returnbench/media/s3test"
	"github.com/returnbench/returnbench/server"
	"github.com/returnbench/returnbench/store"
)

const mib = 1 << 20

// Where a test server keeps its files.
const (
	onDisk  = "Disk"
	onMinIO = "MinIO"
)

var mediaStores = []string{onDisk, onMinIO}

// maxPhoto is the photo limit of upload test servers: small, so that the
// limit can be passed cheaply.
const maxPhoto = 2 * mib

// mustStartMedia starts a server on dialect with its files on disk or in a
// fresh MinIO bucket, 5 MiB parts (the least S3 allows) and small photos;
// tweak, if any, runs last.
func mustStartMedia(tb testing.TB, dialect, where string, tweak func(*server.Config)) *testServer {
	tb.Helper()
	var s3 media.S3Config
	if where == onMinIO {
		s3 = s3test.Shared(tb).Config("")
	}
	return mustStart(tb, dialect, func(cfg *server.Config) {
		cfg.PartSize = 5 * mib
		cfg.MaxPhotoBytes = maxPhoto
		if where == onMinIO {
			cfg.S3Endpoint, cfg.S3AccessKey, cfg.S3SecretKey, cfg.S3Bucket = s3.Endpoint, s3.AccessKey, s3.SecretKey, s3.Bucket
		}
		if tweak != nil {
			tweak(cfg)
		}
	})
}

// bench is a signed-in user with an inspection to attach files to.
type bench struct {
	*testServer
	token        string
	userID       string
	inspectionID string
}

// mustBench creates a user of role on ts, signs it in and gives it an inspection.
func mustBench(tb testing.TB, ts *testServer, name string, role inspection.Role) *bench {
	tb.Helper()
	b := &bench{testServer: ts, token: ts.mustUser(tb, name, role)}
	res := ts.do(tb, request{method: "GET", path: "/api/v1/auth/me", token: b.token})
	var me struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	res.json(tb, &me)
	if res.status != 200 || me.User.ID == "" {
		tb.Fatalf("GET /api/v1/auth/me: got %d %s, want 200 with the user id", res.status, res.body)
	}
	b.userID = me.User.ID
	b.inspectionID = b.mustInspection(tb)
	return b
}

// mustInspection stores a draft inspection of the bench's user, as a sync
// from the phone would before its files are sent.
func (b *bench) mustInspection(tb testing.TB) string {
	tb.Helper()
	id := uuid.NewString()
	if err := b.Store().CreateInspection(context.Background(), &inspection.Inspection{ID: id, InspectorID: b.userID}, ""); err != nil {
		tb.Fatalf("create inspection: %v", err)
	}
	return id
}

// tus sends one request as the bench's user. header holds name, value
// pairs: Tus-Resumable 1.0.0 and the session's Bearer token are sent unless
// a pair names them, and a pair with an empty value leaves its header out.
func (b *bench) tus(tb testing.TB, method, path string, body []byte, header ...string) response {
	tb.Helper()
	if len(header)%2 != 0 {
		tb.Fatalf("tus: odd header list %q", header)
	}
	h := http.Header{}
	h.Set("Tus-Resumable", "1.0.0")
	h.Set("Authorization", "Bearer "+b.token)
	for i := 0; i < len(header); i += 2 {
		if header[i+1] == "" {
			h.Del(header[i])
		} else {
			h.Set(header[i], header[i+1])
		}
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	hr, err := http.NewRequest(method, b.URL+path, r)
	if err != nil {
		tb.Fatal(err)
	}
	hr.Header = h
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: got}
}

// evidence is a file on the phone and what its client declares about it.
type evidence struct {
	mediaID      string
	inspectionID string
	kind         string
	filename     string
	contentType  string
	sha256       string
	data         []byte
}

func (b *bench) newEvidence(kind, contentType, filename string, data []byte) *evidence {
	sum := sha256.Sum256(data)
	return &evidence{mediaID: uuid.NewString(), inspectionID: b.inspectionID, kind: kind, filename: filename,
		contentType: contentType, sha256: hex.EncodeToString(sum[:]), data: data}
}

func (e *evidence) metadata() map[string]string {
	return map[string]string{"media_id": e.mediaID, "inspection_id": e.inspectionID, "kind": e.kind,
		"filename": e.filename, "content_type": e.contentType, "sha256": e.sha256}
}

// tusMetadata writes Upload-Metadata: "key base64(value)" pairs, comma-separated.
func tusMetadata(md map[string]string) string {
	var pairs []string
	for k, v := range md {
		pairs = append(pairs, k+" "+base64.StdEncoding.EncodeToString([]byte(v)))
	}
	slices.Sort(pairs)
	return strings.Join(pairs, ",")
}

// create POSTs the upload of e; a non-nil first rides along (creation-with-upload).
func (b *bench) create(tb testing.TB, e *evidence, first []byte, header ...string) response {
	tb.Helper()
	h := []string{"Upload-Length", strconv.Itoa(len(e.data)), "Upload-Metadata", tusMetadata(e.metadata())}
	if first != nil {
		h = append(h, "Content-Type", "application/offset+octet-stream")
	}
	return b.tus(tb, "POST", "/api/v1/uploads", first, append(h, header...)...)
}

// mustCreate starts the upload of e and returns its location.
func (b *bench) mustCreate(tb testing.TB, e *evidence) string {
	tb.Helper()
	res := b.create(tb, e, nil)
	loc := res.header.Get("Location")
	if res.status != http.StatusCreated || !strings.HasPrefix(loc, "/api/v1/uploads/") {
		tb.Fatalf("create: got %d Location %q %s, want 201 with a Location under /api/v1/uploads/", res.status, loc, res.body)
	}
	return loc
}

// patch sends chunk at offset.
func (b *bench) patch(tb testing.TB, loc string, offset int, chunk []byte, header ...string) response {
	tb.Helper()
	h := []string{"Content-Type", "application/offset+octet-stream", "Upload-Offset", strconv.Itoa(offset)}
	return b.tus(tb, "PATCH", loc, chunk, append(h, header...)...)
}

// mustPatch sends e's bytes from offset to end and wants them all accepted.
func (b *bench) mustPatch(tb testing.TB, loc string, e *evidence, offset, end int) {
	tb.Helper()
	res := b.patch(tb, loc, offset, e.data[offset:end])
	if got := uploadOffset(tb, res); res.status != http.StatusNoContent || got != end {
		tb.Fatalf("PATCH %d-%d: got %d Upload-Offset %d %s, want 204 and %d", offset, end, res.status, got, res.body, end)
	}
}

// mustUpload sends all of e in chunks of the given sizes (the rest in one
// last chunk) and returns the upload's location.
func (b *bench) mustUpload(tb testing.TB, e *evidence, chunks ...int) string {
	tb.Helper()
	loc := b.mustCreate(tb, e)
	offset := 0
	for _, n := range append(chunks, len(e.data)) {
		end := min(offset+n, len(e.data))
		b.mustPatch(tb, loc, e, offset, end)
		if offset = end; offset == len(e.data) {
			break
		}
	}
	return loc
}

// head asks for an upload's offset.
func (b *bench) head(tb testing.TB, loc string) response {
	tb.Helper()
	return b.tus(tb, "HEAD", loc, nil)
}

// mustOffset is the offset the server has stored for an upload.
func (b *bench) mustOffset(tb testing.TB, loc string) int {
	tb.Helper()
	res := b.head(tb, loc)
	if res.status != http.StatusOK {
		tb.Fatalf("HEAD %s: got %d, want 200", loc, res.status)
	}
	return uploadOffset(tb, res)
}

func uploadOffset(tb testing.TB, res response) int {
	tb.Helper()
	v := res.header.Get("Upload-Offset")
	if v == "" {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		tb.Fatalf("Upload-Offset %q is not a number", v)
	}
	return n
}

// mediaMeta is GET /api/v1/media/{id}/meta.
type mediaMeta struct {
	ID           string `json:"id"`
	InspectionID string `json:"inspection_id"`
	Kind         string `json:"kind"`
	ContentType  string `json:"content_type"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	Status       string `json:"status"`
	Filename     string `json:"filename"`
}

func (b *bench) mustMeta(tb testing.TB, mediaID string) mediaMeta {
	tb.Helper()
	res := b.do(tb, request{method: "GET", path: "/api/v1/media/" + mediaID + "/meta", token: b.token})
	if res.status != http.StatusOK {
		tb.Fatalf("GET meta of %s: got %d %s, want 200", mediaID, res.status, res.body)
	}
	var m mediaMeta
	res.json(tb, &m)
	return m
}

// mustVerified checks that e arrived whole: verified, and served byte for byte.
func (b *bench) mustVerified(tb testing.TB, e *evidence) {
	tb.Helper()
	m := b.mustMeta(tb, e.mediaID)
	if m.Status != inspection.MediaVerified || m.SHA256 != e.sha256 || m.Size != int64(len(e.data)) {
		tb.Fatalf("meta: got status %q sha256 %s size %d, want verified %s %d", m.Status, m.SHA256, m.Size, e.sha256, len(e.data))
	}
	res := b.do(tb, request{method: "GET", path: "/api/v1/media/" + e.mediaID, token: b.token})
	if res.status != http.StatusOK || !bytes.Equal(res.body, e.data) {
		tb.Fatalf("GET media: got %d and %d bytes (sha256 %s), want 200 and the %d bytes sent",
			res.status, len(res.body), sha256Hex(res.body), len(e.data))
	}
}

// mustErr checks a status and the API error code (any code when code is "").
func mustErr(tb testing.TB, what string, res response, status int, code string) errorBody {
	tb.Helper()
	var body errorBody
	if len(res.body) > 0 {
		res.json(tb, &body)
	}
	if res.status != status || (code != "" && body.Error.Code != code) {
		tb.Fatalf("%s: got %d %s, want %d %s", what, res.status, res.body, status, code)
	}
	return body
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// webmHeader is the EBML header a browser's MediaRecorder writes at the
// start of a WebM file: its magic number and the "webm" doctype.
var webmHeader = []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08" +
	"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02")

// webm is a size-byte file that sniffs as video/webm, the rest pseudo-random
// from seed (so a test's file is the same on every run).
func webm(size int, seed byte) []byte {
	return withHeader(webmHeader, size, seed)
}

// jpeg is a size-byte file that sniffs as image/jpeg.
func jpeg(size int, seed byte) []byte {
	return withHeader([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"), size, seed)
}

func withHeader(header []byte, size int, seed byte) []byte {
	b := make([]byte, size)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	copy(b, header)
	return b
}

func TestUploadDiscovery(t *testing.T) {
	ts := mustStartMedia(t, store.SQLite, onDisk, nil)
	// Discovery needs neither a session nor Tus-Resumable.
	res := ts.do(t, request{method: "OPTIONS", path: "/api/v1/uploads"})
	if res.status != http.StatusNoContent && res.status != http.StatusOK {
		t.Fatalf("OPTIONS: got %d %s, want 204", res.status, res.body)
	}
	for h, want := range map[string][]string{
		"Tus-Resumable":          {"1.0.0"},
		"Tus-Version":            {"1.0.0"},
		"Tus-Extension":          {"creation", "creation-with-upload", "termination", "expiration", "checksum"},
		"Tus-Checksum-Algorithm": {"sha1", "sha256"},
	} {
		got := strings.Split(res.header.Get(h), ",")
		for i := range got {
			got[i] = strings.TrimSpace(got[i])
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s = %q, want it to list %s", h, res.header.Get(h), w)
			}
		}
	}
	if n, err := strconv.ParseInt(res.header.Get("Tus-Max-Size"), 10, 64); err != nil || n <= 0 {
		t.Errorf("Tus-Max-Size = %q, want a positive number of bytes", res.header.Get("Tus-Max-Size"))
	}
}

func TestUploadNeedsTusVersion(t *testing.T) {
	ts := mustStartMedia(t, store.SQLite, onDisk, nil)
	b := mustBench(t, ts, "insp", inspection.RoleInspector)
	e := b.newEvidence(inspection.MediaLabelCloseup, "image/jpeg", "label.jpg", jpeg(1000, 1))
	loc := b.mustCreate(t, e)
	for _, version := range []struct{ name, value string }{{"ErrMissing", ""}, {"ErrWrong", "0.2.2"}} {
		for _, call := range []struct {
			method, path string
			header       []string
		}{
			{"POST", "/api/v1/uploads", []string{"Upload-Length", "1000", "Upload-Metadata", tusMetadata(e.metadata())}},
			{"HEAD", loc, nil},
			{"PATCH", loc, []string{"Content-Type", "application/offset+octet-stream", "Upload-Offset", "0"}},
			{"DELETE", loc, nil},
		} {
			t.Run(version.name+"/"+call.method, func(t *testing.T) {
				res := b.tus(t, call.method, call.path, nil, append(call.header, "Tus-Resumable", version.value)...)
				if res.status != http.StatusPreconditionFailed {
					t.Fatalf("got %d %s, want 412", res.status, res.body)
				}
				if got := res.header.Get("Tus-Version"); got != "1.0.0" {
					t.Errorf("Tus-Version = %q, want 1.0.0 (the versions the server speaks)", got)
				}
			})
		}
	}
	if got := b.mustOffset(t, loc); got != 0 {
		t.Fatalf("after the refused calls: Upload-Offset %d, want 0", got)
	}
}

// TestUploadLifecycle is the main path: a video sent in uneven chunks,
// verified, then served with ranges and caching.
func TestUploadLifecycle(t *testing.T) {
	for _, run := range []struct{ dialect, where string }{
		{store.SQLite, onDisk}, {store.SQLite, onMinIO}, {store.Postgres, onMinIO},
	} {
		t.Run(run.dialect+"/"+run.where, func(t *testing.T) {
			ts := mustStartMedia(t, run.dialect, run.where, nil)
			b := mustBench(t, ts, "insp", inspection.RoleInspector)
			e := b.newEvidence(inspection.MediaUnboxingVideo, "video/webm", "unboxing.webm", webm(13*mib+12345, 2))

			loc := b.mustCreate(t, e)
			res := b.head(t, loc)
			if res.status != http.StatusOK || uploadOffset(t, res) != 0 {
				t.Fatalf("HEAD after create: got %d Upload-Offset %q, want 200 and 0", res.status, res.header.Get("Upload-Offset"))
			}
			for h, want := range map[string]string{"Upload-Length": strconv.Itoa(len(e.data)), "Cache-Control": "no-store", "Tus-Resumable": "1.0.0"} {
				if got := res.header.Get(h); got != want {
					t.Errorf("HEAD %s = %q, want %q", h, got, want)
				}
			}
			if got := b.mustMeta(t, e.mediaID); got.Status != inspection.MediaUploading {
				t.Errorf("meta status before any byte: got %q, want uploading", got.Status)
			}

			// Chunks that end inside a part, one byte alone, and one that
			// spans part boundaries: every tail must be carried over.
			offset := 0
			for _, n := range []int{3 * mib, 1, 7 * mib, len(e.data)} {
				end := min(offset+n, len(e.data))
				before := time.Now().Add(-time.Second)
				res := b.patch(t, loc, offset, e.data[offset:end])
				if got := uploadOffset(t, res); res.status != http.StatusNoContent || got != end {
					t.Fatalf("PATCH %d-%d: got %d Upload-Offset %d %s, want 204 and %d", offset, end, res.status, got, res.body, end)
				}
				if end < len(e.data) {
					expires, err := http.ParseTime(res.header.Get("Upload-Expires"))
					if err != nil || !expires.After(before) {
						t.Errorf("PATCH %d-%d: Upload-Expires %q, want an HTTP date in the future", offset, end, res.header.Get("Upload-Expires"))
					}
					if got := b.mustOffset(t, loc); got != end {
						t.Errorf("HEAD after PATCH %d-%d: Upload-Offset %d, want %d", offset, end, got, end)
					}
					if res := b.do(t, request{method: "GET", path: "/api/v1/media/" + e.mediaID, token: b.token}); res.status != http.StatusConflict {
						t.Errorf("GET media while uploading: got %d, want 409 (not served before it is verified)", res.status)
					}
				}
				offset = end
			}

			m := b.mustMeta(t, e.mediaID)
			want := mediaMeta{ID: e.mediaID, InspectionID: b.inspectionID, Kind: e.kind, ContentType: e.contentType,
				Size: int64(len(e.data)), SHA256: e.sha256, Status: inspection.MediaVerified, Filename: e.filename}
			if m != want {
				t.Fatalf("meta:\n got %+v\nwant %+v", m, want)
			}
			if got := b.mustOffset(t, loc); got != len(e.data) {
				t.Errorf("HEAD after the last chunk: Upload-Offset %d, want %d", got, len(e.data))
			}

			etag := `"` + e.sha256 + `"`
			for _, tt := range []struct {
				name   string
				header map[string]string
				status int
				body   []byte
				want   map[string]string
			}{
				{"OK", nil, http.StatusOK, e.data, map[string]string{
					"ETag": etag, "Content-Type": "video/webm", "Content-Length": strconv.Itoa(len(e.data)),
					"Accept-Ranges": "bytes", "X-Content-Type-Options": "nosniff",
					"Content-Disposition": `inline; filename=unboxing.webm`}},
				{"OK/Range", map[string]string{"Range": "bytes=100-199"}, http.StatusPartialContent, e.data[100:200], map[string]string{
					"ETag": etag, "Content-Range": "bytes 100-199/" + strconv.Itoa(len(e.data)), "Content-Length": "100"}},
				{"OK/RangeSuffix", map[string]string{"Range": "bytes=-10"}, http.StatusPartialContent, e.data[len(e.data)-10:], map[string]string{
					"Content-Range": "bytes " + strconv.Itoa(len(e.data)-10) + "-" + strconv.Itoa(len(e.data)-1) + "/" + strconv.Itoa(len(e.data))}},
				{"OK/NotModified", map[string]string{"If-None-Match": etag}, http.StatusNotModified, nil, map[string]string{"ETag": etag}},
			} {
				t.Run("Download/"+tt.name, func(t *testing.T) {
					res := b.do(t, request{method: "GET", path: "/api/v1/media/" + e.mediaID, token: b.token, header: tt.header})
					if res.status != tt.status || !bytes.Equal(res.body, tt.body) {
						t.Fatalf("got %d with %d bytes (sha256 %s), want %d with %d bytes", res.status, len(res.body), sha256Hex(res.body), tt.status, len(tt.body))
					}
					for h, want := range tt.want {
						if got := res.header.Get(h); got != want {
							t.Errorf("%s = %q, want %q", h, got, want)
						}
					}
				})
			}
		})
	}
}

// TestUploadCreateErrors: what a POST declares is checked before anything
// is stored, each refusal with a status and a message that names the problem.
func TestUploadCreateErrors(t *testing.T) {
	ts := mustStartMedia(t, store.SQLite, onDisk, nil)
	b := mustBench(t, ts, "insp", inspection.RoleInspector)
	for _, tt := range []struct {
		name    string
		md      func(md map[string]string)
		header  []string // after the defaults
		status  int
		message string
	}{
		{name: "ErrUnknownKind", md: func(md map[string]string) { md["kind"] = "selfie" },
			status: 400, message: "kind must be one of"},
		{name: "ErrMediaIDNotUUID", md: func(md map[string]string) { md["media_id"] = "photo-1" },
			status: 400, message: "media_id must be a UUID"},
		{name: "ErrInspectionIDNotUUID", md: func(md map[string]string) { md["inspection_id"] = "42" },
			status: 400, message: "inspection_id must be a UUID"},
		{name: "ErrSHA256NotHex", md: func(md map[string]string) { md["sha256"] = "abc" },
			status: 400, message: "sha256"},
		{name: "ErrMetadataNotBase64", header: []string{"Upload-Metadata", "media_id !!not-base64!!"},
			status: 400, message: "not base64"},
		{name: "ErrMetadataKeyTwice", header: []string{"Upload-Metadata", "kind ZGFtYWdl,kind ZGFtYWdl"},
			status: 400, message: "twice"},
		{name: "ErrNoLength", header: []string{"Upload-Length", ""},
			status: 400, message: "Upload-Length"},
		{name: "ErrDeferLength", header: []string{"Upload-Length", "", "Upload-Defer-Length", "1"},
			status: 400, message: "Upload-Defer-Length"},
		{name: "ErrEmptyFile", header: []string{"Upload-Length", "0"},
			status: 400, message: "Upload-Length"},
		{name: "ErrTypeNotForKind", md: func(md map[string]string) { md["content_type"] = "video/webm" },
			status: 415, message: "image/jpeg"},
		{name: "ErrTypeUnknown", md: func(md map[string]string) { md["content_type"] = "text/html" },
			status: 415, message: "text/html"},
		{name: "ErrPhotoTooLarge", header: []string{"Upload-Length", strconv.Itoa(maxPhoto + 1)},
			status: 413, message: "at most 2.0 MiB"},
		{name: "ErrInspectionNotFound", md: func(md map[string]string) { md["inspection_id"] = uuid.NewString() },
			status: 404, message: "not on the server yet"},
		{name: "ErrNoSession", header: []string{"Authorization", ""},
			status: 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := b.newEvidence(inspection.MediaLabelCloseup, "image/jpeg", "label.jpg", jpeg(1000, 3))
			md := e.metadata()
			if tt.md != nil {
				tt.md(md)
			}
			res := b.tus(t, "POST", "/api/v1/uploads", nil,
				append([]string{"Upload-Length", "1000", "Upload-Metadata", tusMetadata(md)}, tt.header...)...)
			body := mustErr(t, "create", res, tt.status, "")
			if !strings.Contains(body.Error.Message, tt.message) || body.Error.RequestID == "" {
				t.Errorf("message %q (request id %q), want one that mentions %q, and a request id", body.Error.Message, body.Error.RequestID, tt.message)
			}
			if loc := res.header.Get("Location"); loc != "" {
				t.Errorf("Location %q on a refused create, want none", loc)
			}
			if res := b.do(t, request{method: "GET", path: "/api/v1/media/" + e.mediaID + "/meta", token: b.token}); res.status != http.StatusNotFound {
				t.Errorf("meta after a refused create: got %d %s, want 404 (nothing recorded)", res.status, res.body)
			}
		})
	}
}

// TestUploadScenarios runs each multi-step story on a fresh file, on disk
// and on MinIO.
func TestUploadScenarios(t *testing.T) {
	for _, where := range mediaStores {
		t.Run(where, func(t *testing.T) {
			ts := mustStartMedia(t, store.SQLite, where, nil)
			b := mustBench(t, ts, "insp", inspection.RoleInspector)
			for _, sc := range uploadScenarios {
				t.Run(sc.name, func(t *testing.T) { sc.run(t, b) })
			}
		})
	}
}

var uploadScenarios = []struct {
	name string
	run  func(t *testing.T, b *bench)
}{
	{"OK/CreationWithUpload", func(t *testing.T, b *bench) {
		e := b.newEvidence(inspection.MediaLabelCloseup, "image/jpeg", "label.jpg", jpeg(48<<10+7, 4))
		res := b.create(t, e, e.data)
		if res.status != http.StatusCreated || uploadOffset(t, res) != len(e.data) || res.header.Get("Location") == "" {
			t.Fatalf("create with the whole file: got %d Upload-Offset %q Location %q %s, want 201, %d and a Location",
				res.status, res.header.Get("Upload-Offset"), res.header.Get("Location"), res.body, len(e.data))
		}
		b.mustVerified(t, e)
		res = b.do(t, request{method: "GET", path: "/api/v1/media/" + e.mediaID, token: b.token})
		if got := res.header.Get("Content-Disposition"); !strings.HasPrefix(got, "inline") {
			t.Errorf("Content-Disposition = %q, want inline for a photo", got)
		}
	}},
	{"OK/CreationWithFirstChunk", func(t *testing.T, b *bench) {
		e := b.newEvidence(inspection.MediaUnboxingVideo, "video/webm", "clip.webm", webm(6*mib+3, 5))
		res := b.create(t, e, e.data[:mib])
		loc := res.header.Get("Location")
		if res.status != http.StatusCreated || uploadOffset(t, res) != mib || res.header.Get("Upload-Expires") == "" {
			t.Fatalf("create with the first MiB: got %d Upload-Offset %q Upload-Expires %q %s, want 201, %d and an expiry",
				res.status, res.header.Get("Upload-Offset"), res.header.Get("Upload-Expires"), res.body, mib)
		}
		b.mustPatch(t, loc, e, mib, len(e.data))
		b.mustVerified(t, e)
	}},
	{"ErrOffsetMismatch", func(t *testing.T, b *bench) {
		e := b.newEvidence(inspection.MediaUnboxingVideo, "video/webm", "clip.webm", webm(mib, 6))
		loc := b.mustCreate(t, e)
		b.mustPatch(t, loc, e, 0, 1000)
		for _, offset := range []int{0, 999, 1001} {
			res := b.patch(t, loc, offset, e.data[offset:offset+10])
			mustErr(t, "PATCH at offset "+strconv.Itoa(offset), res, http.StatusConflict, "offset_mismatch")
		}
		if got := b.mustOffset(t, loc); got != 1000 {
			t.Fatalf("HEAD after the refused chunks: Upload-Offset %d, want 1000", got)
		}
		b.mustPatch(t, loc, e, 1000, len(e.data))
		b.mustVerified(t, e)
	}},
	{"OK/ResumeAfterCutConnection", func(t *testing.T, b *bench) {
		// The phone loses its connection 6 MiB into an 8 MiB chunk: what
		// arrived (a whole part and a tail) is kept, and the rest follows.
		e := b.newEvidence(inspection.MediaUnboxingVideo, "video/webm", "clip.webm", webm(9*mib, 17))
		loc := b.mustCreate(t, e)
		sent := 6*mib + 123
		conn, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\n"+
			"Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: %d\r\n\r\n", loc, b.Addr(), b.token, 8*mib)
		if _, err := conn.Write(e.data[:sent]); err != nil {
			t.Fatalf("write the first %d bytes: %v", sent, err)
		}
		conn.Close()
		// The server notices the cut when it reads on; wait for it.
		got := 0
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if got = b.mustOffset(t, loc); got == sent {
				break
			}
		}
		if got != sent {
			t.Fatalf("HEAD after the cut: Upload-Offset %d, want %d (every byte that arrived)", got, sent)
		}
		b.mustPatch(t, loc, e, sent, len(e.data))
		b.mustVerified(t, e)
	}},
	{"ErrChunkContentType", func(t *testing.T, b *bench) {
		e := b.newEvidence(inspection.MediaUnboxingVideo, "video/webm", "clip.webm", webm(mib, 7))
		loc := b.mustCreate(t, e)
		for _, ct := range []string{"application/octet-stream", ""} {
			res := b.patch(t, loc, 0, e.data, "Content-Type", ct)
			mustErr(t, "PATCH with Content-Type "+strconv.Quote(ct), res, http.StatusUnsupportedMediaType, "")
		}
		if got := b.mustOffset(t, loc); got != 0 {
			t.Fatalf("HEAD: Upload-Offset %d, want 0", got)
		}
	}},
	{"ErrChecksumMismatch", func(t *testing.T, b *bench) {
		// 12 MiB in 5 MiB parts: the refused chunk spans a part boundary,
		// so a part it already stored must not count.
		e := b.newEvidence(inspection.MediaUnboxingVideo, "video/webm", "clip.webm", webm(12*mib, 8))
		loc := b.mustCreate(t, e)
		sum256 := func(p []byte) string {
			s := sha256.Sum256(p)
			return "sha256 " + base64.StdEncoding.EncodeToString(s[:])
		}
		sum1 := func(p []byte) string { s := sha1.Sum(p); return "sha1 " + base64.StdEncoding.EncodeToString(s[:]) }
		steps := []struct {
			what           string
			from, to       int
			checksum       string
			status, offset int
			code           string
		}{
			{"sha256 OK", 0, 3 * mib, sum256(e.data[:3*mib]), 204, 3 * mib, ""},
			{"sha1 of other bytes", 3 * mib, 7 * mib, sum1(e.data[:4*mib]), 460, 3 * mib, "checksum_mismatch"},
			{"sha256 of other bytes", 3 * mib, 7 * mib, sum256(e.data[:4*mib]), 460, 3 * mib, "checksum_mismatch"},
			{"unknown algorithm", 3 * mib, 7 * mib, "md5 " + base64.StdEncoding.EncodeToString(make([]byte, 16)), 400, 3 * mib, ""},
			{"sha1 OK", 3 * mib, 7 * mib, sum1(e.data[3*mib : 7*mib]), 204, 7 * mib, ""},
			{"sha256 OK to the end", 7 * mib, 12 * mib, sum256(e.data[7*mib:]), 204, 12 * mib, ""},
		}
		for _, s := range steps {
			res := b.patch(t, loc, s.from, e.data[s.from:s.to], "Upload-Checksum", s.checksum)
			if s.status == http.StatusNoContent {
				if res.status != s.status {
					t.Fatalf("%s: got %d %s, want 204", s.what, res.status, res.body)
				}
			} else {
				mustErr(t, s.what, res, s.status, s.code)
			}
			if got := b.mustOffset(t, loc); got != s.offset {
				t.Fatalf("HEAD after %s: Upload-Offset %d, want %d", s.what, got, s.offset)
			}
		}
		b.mustVerified(t, e)
	}},
	{"ErrSHA256Mismatch", func(t *testing.T, b *bench) {
		e := b.newEvidence(inspection.MediaUnboxingVideo, "video/webm", "clip.webm", webm(6*mib, 9))
		e.sha256 = sha256Hex([]byte("some other file"))
		loc := b.mustCreate(t, e)
		b.mustPatch(t, loc, e, 0, 4*mib)
		res := b.patch(t, loc, 4*mib, e.data[4*mib:])
		mustErr(t, "last chunk", res, 460, "sha256_mismatch")
		if got := b.mustMeta(t, e.mediaID).Status; got != inspection.MediaRejected {
			t.Errorf("meta status: got %q, want rejected", got)
		}
		if res := b.do(t, request{method: "GET", path: "/api/v1/media/" + e.mediaID, token: b.token}); res.status != http.StatusConflict && res.status != http.StatusNotFound {
			t.Errorf("GET media: got %d with %d bytes, want 409 or 404 (a rejected file is not served)", res.status, len(res.body))
		}
		if res := b.head(t, loc); res.status != http.StatusGone && res.status != http.StatusNotFound {
			t.Errorf("HEAD after rejection: got %d, want 410 or 404", res.status)
		}
	}},
	{"ErrContentNotJPEG", func(t *testing.T, b *bench) {
		text := []byte(strings.Repeat("This is a shipping note, not a photograph of a label. ", 4))
		e := b.newEvidence(inspection.MediaLabelCloseup, "image/jpeg", "label.jpg", text)
		loc := b.mustCreate(t, e)
		res := b.patch(t, loc, 0, e.data)
		mustErr(t, "PATCH text as a JPEG", res, http.StatusUnsupportedMediaType, "")
		if got := b.mustMeta(t, e.mediaID).Status; got != inspection.MediaRejected {
			t.Errorf("meta status: got %q, want rejected", got)
		}
		mustErr(t, "PATCH after rejection", b.patch(t, loc, 0, e.data), http.StatusGone, "upload_gone")
	}},
	{"ErrContentOtherType", func(t *testing.T, b *bench) {
		// A JPEG declared as a WebM video: named in the refusal.
		e := b.newEvidence(inspection.MediaUnboxingVideo, "video/webm", "clip.webm", jpeg(4096, 10))
		loc := b.mustCreate(t, e)
		body := mustErr(t, "PATCH", b.patch(t, loc, 0, e.data), http.StatusUnsupportedMediaType, "")
		if !strings.Contains(body.Error.Message, "image/jpeg") {
			t.Errorf("message %q, want it to name what the bytes are (image/jpeg)", body.Error.Message)
		}
	}},
	{"OK/Terminate", func(t *testing.T, b *bench) {
		e := b.newEvidence(inspection.MediaUnboxingVideo, "video/webm", "clip.webm", webm(6*mib, 11))
		loc := b.mustCreate(t, e)
		b.mustPatch(t, loc, e, 0, mib)
		if res := b.tus(t, "DELETE", loc, nil); res.status != http.StatusNoContent {
			t.Fatalf("DELETE: got %d %s, want 204", res.status, res.body)
		}
		if res := b.head(t, loc); res.status != http.StatusGone && res.status != http.StatusNotFound {
			t.Errorf("HEAD after DELETE: got %d, want 410 or 404", res.status)
		}
		mustErr(t, "PATCH after DELETE", b.patch(t, loc, mib, e.data[mib:2*mib]), http.StatusGone, "upload_gone")
		if res := b.tus(t, "DELETE", loc, nil); res.status != http.StatusGone && res.status != http.StatusNotFound {
			t.Errorf("second DELETE: got %d, want 410 or 404", res.status)
		}
		// The same file may be sent again from the start.
		loc2 := b.mustUpload(t, e)
		if loc2 == loc {
			t.Errorf("a new upload after DELETE reuses %s, want a new one", loc)
		}
		b.mustVerified(t, e)
	}},
	{"OK/CreateAgainWhileOpen", func(t *testing.T, b *bench) {
		e := b.newEvidence(inspection.MediaUnboxingVideo, "video/webm", "clip.webm", webm(6*mib, 12))
		loc := b.mustCreate(t, e)
		b.mustPatch(t, loc, e, 0, 2*mib+1)
		res := b.create(t, e, nil)
		if got := res.header.Get("Location"); res.status != http.StatusCreated || got != loc || uploadOffset(t, res) != 2*mib+1 {
			t.Fatalf("second create of the same file: got %d Location %q Upload-Offset %q, want 201 %s %d",
				res.status, got, res.header.Get("Upload-Offset"), loc, 2*mib+1)
		}
		b.mustPatch(t, loc, e, 2*mib+1, len(e.data))
		b.mustVerified(t, e)
		// Asked again once verified: the same upload, already at its end.
		res = b.create(t, e, nil)
		if got := res.header.Get("Location"); res.status != http.StatusCreated || got != loc || uploadOffset(t, res) != len(e.data) {
			t.Fatalf("create after verification: got %d Location %q Upload-Offset %q, want 201 %s %d",
				res.status, got, res.header.Get("Upload-Offset"), loc, len(e.data))
		}
	}},
	{"ErrReplaceVerified", func(t *testing.T, b *bench) {
		e := b.newEvidence(inspection.MediaLabelCloseup, "image/jpeg", "label.jpg", jpeg(10_000, 13))
		b.mustUpload(t, e)
		other := *e
		other.data = jpeg(10_000, 14)
		other.sha256 = sha256Hex(other.data)
		mustErr(t, "create with other content", b.create(t, &other, nil), http.StatusConflict, "")
		b.mustVerified(t, e)
	}},
	{"ErrMediaOfOtherInspection", func(t *testing.T, b *bench) {
		e := b.newEvidence(inspection.MediaLabelCloseup, "image/jpeg", "label.jpg", jpeg(10_000, 15))
		b.mustCreate(t, e)
		moved := *e
		moved.inspectionID = b.mustInspection(t)
		mustErr(t, "create under another inspection", b.create(t, &moved, nil), http.StatusConflict, "")
	}},
	{"ErrUnknownUpload", func(t *testing.T, b *bench) {
		loc := "/api/v1/uploads/no-such-upload"
		for _, res := range []response{b.head(t, loc), b.patch(t, loc, 0, []byte("x")), b.tus(t, "DELETE", loc, nil)} {
			if res.status != http.StatusNotFound {
				t.Errorf("got %d %s, want 404", res.status, res.body)
			}
		}
	}},
	{"ErrNoSession", func(t *testing.T, b *bench) {
		e := b.newEvidence(inspection.MediaUnboxingVideo, "video/webm", "clip.webm", webm(mib, 16))
		loc := b.mustCreate(t, e)
		for _, res := range []response{
			b.create(t, e, nil, "Authorization", ""),
			b.tus(t, "HEAD", loc, nil, "Authorization", ""),
			b.patch(t, loc, 0, e.data, "Authorization", ""),
			b.tus(t, "DELETE", loc, nil, "Authorization", ""),
			b.do(t, request{method: "GET", path: "/api/v1/media/" + e.mediaID + "/meta"}),
		} {
			if res.status != http.StatusUnauthorized {
				t.Errorf("got %d %s, want 401", res.status, res.body)
			}
		}
		if got := b.mustOffset(t, loc); got != 0 {
			t.Fatalf("HEAD: Upload-Offset %d, want 0", got)
		}
	}},
}

// TestUploadRefusalDiscardsBody: a chunk refused before it is read (here
// for want of a session) must not leave its bytes on the connection to be
// parsed as the next request, where they could smuggle one in.
func TestUploadRefusalDiscardsBody(t *testing.T) {
	ts := mustStartMedia(t, store.SQLite, onDisk, nil)
	smuggled := "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	// The request starts just past what fasthttp reads ahead of a handler (8 KiB).
	body := strings.Repeat("x", 8<<10) + smuggled
	conn, err := net.Dial("tcp", ts.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PATCH /api/v1/uploads/0123 HTTP/1.1\r\nHost: %s\r\nTus-Resumable: 1.0.0\r\n"+
		"Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: %d\r\n\r\n%s", ts.Addr(), len(body), body)
	fmt.Fprintf(conn, "GET /readyz HTTP/1.1\r\nHost: %s\r\n\r\n", ts.Addr())
	br := bufio.NewReader(conn)
	var got []string
	for range 2 {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			break // the server may close instead of reading on: also safe
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got = append(got, strconv.Itoa(res.StatusCode)+" "+string(b))
	}
	if len(got) == 0 || !strings.HasPrefix(got[0], "401 ") {
		t.Fatalf("answers %q, want 401 first", got)
	}
	if len(got) == 2 && !strings.Contains(got[1], `"ready"`) {
		t.Fatalf("second answer %q, want the one to GET /readyz (the body's request was run)", got[1])
	}
}
