// Package device plays a bench phone against a returnbench server over a
// bad network, for fault tests. It does what the bench app must do to lose
// nothing: it sends its sync outbox again until every mutation is
// answered, pages the change feed from the cursor it last kept, and
// resumes uploads from the offset the server says it holds. It speaks only
// the public HTTP API.
package device

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	rbsync "github.com/returnbench/returnbench/sync"
)

// Device is one signed-in phone.
type Device struct {
	// Base is the server's URL, such as http://127.0.0.1:8080.
	Base  string
	Token string
	// ID is the device's client id in sync pushes.
	ID   string
	HTTP *http.Client
	// RequestTimeout bounds one request, so that a server that never
	// answers costs a retry, not the whole test (default 20 s).
	RequestTimeout time.Duration
	// Failures counts requests that failed or were answered 5xx and were
	// then tried again.
	Failures atomic.Int64

	seq atomic.Int64
}

// New is a device for a signed-in user.
func New(base, token string, hc *http.Client) *Device {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Device{Base: strings.TrimRight(base, "/"), Token: token, ID: "dev-" + uuid.NewString()[:8], HTTP: hc}
}

// Login signs a user in and returns the session token.
func Login(ctx context.Context, hc *http.Client, base, username, password string) (string, error) {
	d := New(base, "", hc)
	res, err := d.Do(ctx, "POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password})
	if err != nil {
		return "", err
	}
	var body struct {
		Token string `json:"token"`
	}
	if res.Status != http.StatusOK || json.Unmarshal(res.Body, &body) != nil || body.Token == "" {
		return "", fmt.Errorf("login %s: %s", username, res)
	}
	return body.Token, nil
}

// Response is an answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r Response) String() string {
	b := r.Body
	if len(b) > 300 {
		b = b[:300]
	}
	return fmt.Sprintf("%d %s", r.Status, bytes.TrimSpace(b))
}

// APIError is the error body every failure of the API carries.
type APIError struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// APIError decodes the error body; ok is false when the body is not one.
func (r Response) APIError() (e APIError, ok bool) {
	err := json.Unmarshal(r.Body, &e)
	return e, err == nil && e.Error.Code != "" && e.Error.Message != "" && e.Error.RequestID != ""
}

// Do sends one request with the device's session; body, if not nil or
// []byte, is sent as JSON. header holds name, value pairs.
func (d *Device) Do(ctx context.Context, method, path string, body any, header ...string) (Response, error) {
	timeout := d.RequestTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	return d.do(ctx, timeout, method, path, body, header...)
}

func (d *Device) do(ctx context.Context, timeout time.Duration, method, path string, body any, header ...string) (Response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var r io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return Response{}, err
		}
		r, contentType = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, d.Base+path, r)
	if err != nil {
		return Response{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if d.Token != "" {
		req.Header.Set("Authorization", "Bearer "+d.Token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := d.HTTP.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: got}, nil
}

// retryable says whether an answer means "try again later": the request
// never got an answer, or the server was unavailable for a moment.
func retryable(res Response, err error) bool {
	return err != nil || res.Status >= 500 || res.Status == http.StatusTooManyRequests
}

// backoff waits before attempt n (from 0): 50 ms doubling to 1 s.
func backoff(ctx context.Context, n int) error {
	d := min(50*time.Millisecond<<min(n, 5), time.Second)
	select {
	case <-ctx.Done():
		return fmt.Errorf("gave up after %d attempts: %w", n+1, ctx.Err())
	case <-time.After(d):
		return nil
	}
}

// NextSeq is the device's next mutation sequence number.
func (d *Device) NextSeq() int64 { return d.seq.Add(1) }

// Mutation builds a mutation of the device with the next seq.
func (d *Device) Mutation(typ string, payload any) rbsync.Mutation {
	raw, _ := json.Marshal(payload)
	return rbsync.Mutation{ID: uuid.NewString(), Seq: d.NextSeq(), Type: typ, Payload: raw}
}

// Push sends a batch until the server answers it, as an outbox does: a
// batch whose answer was lost is sent again unchanged, and the server
// answers its repeats as duplicates. Results come in the batch's order.
func (d *Device) Push(ctx context.Context, muts ...rbsync.Mutation) ([]rbsync.Result, error) {
	req := rbsync.PushRequest{ClientID: d.ID, Mutations: muts}
	for n := 0; ; n++ {
		res, err := d.Do(ctx, "POST", "/api/v1/sync/push", req)
		if !retryable(res, err) {
			var out rbsync.PushResponse
			if res.Status != http.StatusOK || json.Unmarshal(res.Body, &out) != nil || len(out.Results) != len(muts) {
				return nil, fmt.Errorf("push: %s", res)
			}
			return out.Results, nil
		}
		d.Failures.Add(1)
		if err := backoff(ctx, n); err != nil {
			return nil, fmt.Errorf("push: %w (last: %v %v)", err, res, err)
		}
	}
}

// Pull pages the change feed from cursor to its end; each page is asked
// again from the same cursor until it arrives. It returns the changes and
// the cursor to keep.
func (d *Device) Pull(ctx context.Context, cursor string) ([]rbsync.Change, string, error) {
	var all []rbsync.Change
	for {
		page, err := d.pullPage(ctx, cursor)
		if err != nil {
			return all, cursor, err
		}
		all = append(all, page.Changes...)
		cursor = page.Cursor
		if !page.More {
			return all, cursor, nil
		}
	}
}

func (d *Device) pullPage(ctx context.Context, cursor string) (rbsync.PullResponse, error) {
	path := "/api/v1/sync/pull?limit=200&cursor=" + url.QueryEscape(cursor)
	for n := 0; ; n++ {
		res, err := d.Do(ctx, "GET", path, nil)
		if !retryable(res, err) {
			var page rbsync.PullResponse
			if res.Status != http.StatusOK || json.Unmarshal(res.Body, &page) != nil || page.Cursor == "" {
				return page, fmt.Errorf("pull: %s", res)
			}
			return page, nil
		}
		d.Failures.Add(1)
		if err := backoff(ctx, n); err != nil {
			return rbsync.PullResponse{}, fmt.Errorf("pull: %w", err)
		}
	}
}

// File is a photo or video on the phone and what its client declares.
type File struct {
	MediaID      string
	InspectionID string
	Kind         string
	ContentType  string
	Filename     string
	Data         []byte
}

// SHA256 is the hex digest the client declares for the whole file.
func (f *File) SHA256() string {
	s := sha256.Sum256(f.Data)
	return hex.EncodeToString(s[:])
}

// Metadata is the file's Upload-Metadata header.
func (f *File) Metadata() string {
	md := map[string]string{"media_id": f.MediaID, "inspection_id": f.InspectionID, "kind": f.Kind,
		"content_type": f.ContentType, "filename": f.Filename, "sha256": f.SHA256()}
	var pairs []string
	for k, v := range md {
		pairs = append(pairs, k+" "+base64.StdEncoding.EncodeToString([]byte(v)))
	}
	slices.Sort(pairs)
	return strings.Join(pairs, ",")
}

// UploadOptions shape how a file is sent.
type UploadOptions struct {
	// Chunk is the most bytes one PATCH carries; 0 sends the rest of the
	// file in each PATCH.
	Chunk int
	// Checksum sends each chunk's SHA-256 in Upload-Checksum: the server
	// keeps a chunk only if all of it arrived intact.
	Checksum bool
}

// UploadReport tells how an upload went.
type UploadReport struct {
	Location string
	// Requests counts the requests sent, failed ones included.
	Requests int
	// Offsets lists what the server answered each HEAD: where the upload
	// went on from after a failure, or on resuming.
	Offsets []int64
}

// maxUploadFailures ends an upload that keeps failing: a network that
// never heals, or a request the server refuses every time.
const maxUploadFailures = 200

// tusHeaders are sent with every upload request.
func tusHeaders(extra ...string) []string {
	return append([]string{"Tus-Resumable", "1.0.0"}, extra...)
}

// Upload sends a file over tus until the server holds all of it. After
// any failure it asks the server (HEAD) where the upload stands and goes
// on from there, never from the client's own count.
func (d *Device) Upload(ctx context.Context, f *File, opt UploadOptions) (UploadReport, error) {
	return d.Resume(ctx, f, "", opt)
}

// Resume goes on with an upload started elsewhere (another device, or
// another server behind the same name): it asks where the upload at
// location stands, then sends the rest. An empty location starts anew.
func (d *Device) Resume(ctx context.Context, f *File, location string, opt UploadOptions) (UploadReport, error) {
	rep := UploadReport{Location: location}
	size := int64(len(f.Data))
	offset := int64(-1) // unknown: ask the server
	failures := 0
	fail := func(what string, res Response, err error) error {
		if !retryable(res, err) || failures >= maxUploadFailures {
			return fmt.Errorf("upload %s: %s after %d failures: %v %v", f.MediaID, what, failures, res, err)
		}
		d.Failures.Add(1)
		failures++
		offset = -1
		return backoff(ctx, failures-1)
	}
	for {
		if ctx.Err() != nil {
			return rep, fmt.Errorf("upload %s: %w", f.MediaID, ctx.Err())
		}
		switch {
		case rep.Location == "":
			rep.Requests++
			res, err := d.Do(ctx, "POST", "/api/v1/uploads", nil, tusHeaders(
				"Upload-Length", strconv.FormatInt(size, 10), "Upload-Metadata", f.Metadata())...)
			if err == nil && res.Status == http.StatusCreated && strings.HasPrefix(res.Header.Get("Location"), "/api/v1/uploads/") {
				rep.Location = res.Header.Get("Location")
				// A repeated create answers for the upload already made,
				// at its offset.
				if offset, err = strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64); err != nil {
					offset = -1
				}
				continue
			}
			if err := fail("create", res, err); err != nil {
				return rep, err
			}
		case offset < 0:
			rep.Requests++
			res, err := d.Do(ctx, "HEAD", rep.Location, nil, tusHeaders()...)
			if err == nil && res.Status == http.StatusOK {
				if offset, err = strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64); err != nil {
					return rep, fmt.Errorf("upload %s: HEAD gave Upload-Offset %q", f.MediaID, res.Header.Get("Upload-Offset"))
				}
				rep.Offsets = append(rep.Offsets, offset)
				continue
			}
			if err := fail("HEAD", res, err); err != nil {
				return rep, err
			}
		case offset == size:
			return rep, nil
		default:
			end := size
			if opt.Chunk > 0 {
				end = min(size, offset+int64(opt.Chunk))
			}
			chunk := f.Data[offset:end]
			h := tusHeaders("Content-Type", "application/offset+octet-stream", "Upload-Offset", strconv.FormatInt(offset, 10))
			if opt.Checksum {
				sum := sha256.Sum256(chunk)
				h = append(h, "Upload-Checksum", "sha256 "+base64.StdEncoding.EncodeToString(sum[:]))
			}
			rep.Requests++
			res, err := d.Do(ctx, "PATCH", rep.Location, chunk, h...)
			switch {
			case err == nil && res.Status == http.StatusNoContent:
				if offset, err = strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64); err != nil {
					offset = -1
				}
			case err == nil && (res.Status == http.StatusConflict || res.Status == http.StatusBadRequest) && failures < maxUploadFailures:
				// Another request moved the offset first (an earlier PATCH
				// whose answer was lost), or the chunk arrived cut short:
				// ask where the upload stands.
				d.Failures.Add(1)
				failures++
				offset = -1
			default:
				if err := fail("PATCH", res, err); err != nil {
					return rep, err
				}
			}
		}
	}
}

// MediaMeta is GET /api/v1/media/{id}/meta.
type MediaMeta struct {
	ID     string `json:"id"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Status string `json:"status"`
}

// Verify checks that the server holds f whole: its record says verified
// with f's size and SHA-256, and the bytes it serves hash to the same.
func (d *Device) Verify(ctx context.Context, f *File) error {
	res, err := d.get(ctx, "/api/v1/media/"+f.MediaID+"/meta")
	if err != nil {
		return err
	}
	var m MediaMeta
	if res.Status != http.StatusOK || json.Unmarshal(res.Body, &m) != nil {
		return fmt.Errorf("media %s meta: %s", f.MediaID, res)
	}
	if m.Status != "verified" || m.SHA256 != f.SHA256() || m.Size != int64(len(f.Data)) {
		return fmt.Errorf("media %s: status %q sha256 %s size %d, want verified %s %d", f.MediaID, m.Status, m.SHA256, m.Size, f.SHA256(), len(f.Data))
	}
	if res, err = d.get(ctx, "/api/v1/media/"+f.MediaID); err != nil {
		return err
	}
	if sum := sha256.Sum256(res.Body); res.Status != http.StatusOK || hex.EncodeToString(sum[:]) != f.SHA256() {
		return fmt.Errorf("media %s bytes: %d, %d bytes with sha256 %x, want 200 and %s", f.MediaID, res.Status, len(res.Body), sum, f.SHA256())
	}
	return nil
}

// get reads a resource, asking again while the network or the server fails.
func (d *Device) get(ctx context.Context, path string) (Response, error) {
	for n := 0; ; n++ {
		res, err := d.Do(ctx, "GET", path, nil)
		if !retryable(res, err) {
			return res, nil
		}
		d.Failures.Add(1)
		if err := backoff(ctx, n); err != nil {
			return res, fmt.Errorf("GET %s: %w", path, err)
		}
	}
}

// ErrNoAnswer is returned by Probe when the server did not answer in time.
var ErrNoAnswer = errors.New("no answer")

// Probe sends one request with its own deadline and says how long the
// answer took; a request still unanswered at the deadline is ErrNoAnswer.
func (d *Device) Probe(ctx context.Context, within time.Duration, method, path string, body any, header ...string) (Response, time.Duration, error) {
	start := time.Now()
	res, err := d.do(ctx, within, method, path, body, header...)
	took := time.Since(start)
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		return res, took, fmt.Errorf("%s %s: %w within %v", method, path, ErrNoAnswer, within)
	}
	return res, took, err
}
