package crash

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// apiClient speaks returnbench's HTTP API as a bench device does.
type apiClient struct {
	base  string
	http  *http.Client
	token string
}

func newAPIClient(base string) *apiClient {
	return &apiClient{base: base, http: &http.Client{Transport: &http.Transport{
		Proxy: nil, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
	}}}
}

// httpError is an answer that is not what the request wanted.
type httpError struct {
	Method, Path string
	Status       int
	Code         string
	Body         string
	RequestID    string
}

func (e *httpError) Error() string {
	s := fmt.Sprintf("%s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	if body := strings.TrimSpace(e.Body); body != "" {
		s += ": " + body
	} else {
		s += " with an empty body"
	}
	return s
}

// transient tells whether a request may simply be tried again: the server
// or its store was down or overloaded, or the connection broke, so the
// outcome is unknown. Anything else is an answer the device must act on.
func transient(err error) bool {
	var he *httpError
	if errors.As(err, &he) {
		return he.Status >= 500 && he.Status != 501 && he.Status != 505
	}
	return err != nil
}

func statusOf(err error) int {
	var he *httpError
	if errors.As(err, &he) {
		return he.Status
	}
	return 0
}

func readError(res *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	var e struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal(body, &e)
	return &httpError{Method: res.Request.Method, Path: res.Request.URL.Path, Status: res.StatusCode, Code: e.Error.Code,
		Body: string(body), RequestID: res.Header.Get("X-Request-Id")}
}

func (c *apiClient) do(ctx context.Context, method, path string, body io.Reader, size int64, header map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
		if size == 0 {
			req.Body = http.NoBody
		}
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return c.http.Do(req)
}

func (c *apiClient) jsonCall(ctx context.Context, method, path string, in, out any, want int) error {
	var body io.Reader
	var size int64
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, size = bytes.NewReader(b), int64(len(b))
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	res, err := c.do(ctx, method, path, body, size, map[string]string{"Content-Type": "application/json"})
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != want {
		return readError(res)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

func (c *apiClient) login(ctx context.Context, user, password string) error {
	var out struct{ Token string }
	err := c.jsonCall(ctx, "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": password}, &out, 200)
	if err != nil {
		return err
	}
	c.token = out.Token
	return nil
}

// pushMutation is one mutation as the device sends it.
type pushMutation struct {
	ID      string          `json:"id"`
	Seq     int64           `json:"seq"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

type pushResult struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	First  string `json:"first_status"`
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Version int64 `json:"version"`
}

func (c *apiClient) push(ctx context.Context, clientID string, muts []pushMutation) ([]pushResult, error) {
	var out struct{ Results []pushResult }
	req := map[string]any{"client_id": clientID, "mutations": muts}
	if err := c.jsonCall(ctx, "POST", "/api/v1/sync/push", req, &out, 200); err != nil {
		return nil, err
	}
	if len(out.Results) != len(muts) {
		return nil, fmt.Errorf("push of %d mutations got %d results", len(muts), len(out.Results))
	}
	return out.Results, nil
}

func (c *apiClient) auditVerify(ctx context.Context) (ok bool, events int64, err error) {
	var out struct {
		OK     bool  `json:"ok"`
		Events int64 `json:"events"`
	}
	err = c.jsonCall(ctx, "GET", "/api/v1/audit/verify", nil, &out, 200)
	return out.OK, out.Events, err
}

// The tus 1.0.0 calls.

func tusHeaders(extra map[string]string) map[string]string {
	h := map[string]string{"Tus-Resumable": "1.0.0"}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

func tusMetadata(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+" "+base64.StdEncoding.EncodeToString([]byte(kv[i+1])))
	}
	return strings.Join(parts, ",")
}

func uploadOffset(res *http.Response) (int64, error) {
	n, err := strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("answer %d has no Upload-Offset", res.StatusCode)
	}
	return n, nil
}

// tusCreate starts an upload, with its first chunk when first is not nil
// (creation-with-upload). It returns the upload's path and the offset the
// server reports.
func (c *apiClient) tusCreate(ctx context.Context, length int64, metadata string, first io.Reader, firstLen int64) (string, int64, error) {
	h := tusHeaders(map[string]string{"Upload-Length": strconv.FormatInt(length, 10), "Upload-Metadata": metadata})
	var body io.Reader
	if first != nil {
		h["Content-Type"] = "application/offset+octet-stream"
		body = first
	}
	ctx, cancel := context.WithTimeout(ctx, bodyTimeout(firstLen))
	defer cancel()
	res, err := c.do(ctx, "POST", "/api/v1/uploads", body, firstLen, h)
	if err != nil {
		return "", 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		return "", 0, readError(res)
	}
	io.Copy(io.Discard, res.Body)
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/api/v1/uploads/") {
		return "", 0, fmt.Errorf("upload created without a usable Location (%q)", loc)
	}
	off, err := uploadOffset(res)
	return loc, off, err
}

func (c *apiClient) tusHead(ctx context.Context, path string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	res, err := c.do(ctx, "HEAD", path, nil, 0, tusHeaders(nil))
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0, &httpError{Method: "HEAD", Path: path, Status: res.StatusCode, RequestID: res.Header.Get("X-Request-Id")}
	}
	return uploadOffset(res)
}

// tusPatch sends data as the bytes from offset; with withSum it carries
// the chunk's SHA-256 (tus checksum extension).
func (c *apiClient) tusPatch(ctx context.Context, path string, offset int64, data []byte, body io.Reader, withSum bool) (int64, error) {
	h := tusHeaders(map[string]string{"Content-Type": "application/offset+octet-stream",
		"Upload-Offset": strconv.FormatInt(offset, 10)})
	if withSum {
		sum := sha256.Sum256(data)
		h["Upload-Checksum"] = "sha256 " + base64.StdEncoding.EncodeToString(sum[:])
	}
	ctx, cancel := context.WithTimeout(ctx, bodyTimeout(int64(len(data))))
	defer cancel()
	res, err := c.do(ctx, "PATCH", path, body, int64(len(data)), h)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		return 0, readError(res)
	}
	io.Copy(io.Discard, res.Body)
	return uploadOffset(res)
}

// bodyTimeout bounds a request carrying n bytes: generous, since a store
// outage holds a chunk while the server retries, but finite, so that a
// device never waits forever on a connection the kill left half open.
func bodyTimeout(n int64) time.Duration {
	return 90*time.Second + time.Duration(n/(1<<20))*time.Second
}

type mediaMeta struct {
	ID     string `json:"id"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Status string `json:"status"`
}

func (c *apiClient) mediaMeta(ctx context.Context, id string) (mediaMeta, error) {
	var m mediaMeta
	err := c.jsonCall(ctx, "GET", "/api/v1/media/"+id+"/meta", nil, &m, 200)
	return m, err
}
