package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// tusVersion is the protocol version the server speaks.
const tusVersion = "1.0.0"

// chunkTimeout bounds one PATCH: a stuck server fails the run instead of
// hanging it.
const chunkTimeout = 5 * time.Minute

// tusUpload sends one file into the inspection in PATCHes of chunk bytes
// one after another, the way the PWA does, and checks that the server then
// holds it verified with the right SHA-256 and size. It records the media
// id in f and returns the time from the POST to the last PATCH's answer.
func (s *rbServer) tusUpload(ctx context.Context, inspectionID string, f *upload, chunk int64) (time.Duration, error) {
	file, err := os.Open(f.path)
	if err != nil {
		return 0, err
	}
	defer file.Close()
	f.mediaID = uuid.NewString()
	meta := map[string]string{
		"media_id": f.mediaID, "inspection_id": inspectionID, "kind": f.kind, "content_type": f.contentType,
		"sha256": f.sha256, "filename": f.filename, "captured_at": f.capturedAt.UTC().Format(time.RFC3339),
	}
	var pairs []string
	for _, k := range []string{"media_id", "inspection_id", "kind", "content_type", "sha256", "filename", "captured_at"} {
		pairs = append(pairs, k+" "+base64.StdEncoding.EncodeToString([]byte(meta[k])))
	}

	start := time.Now()
	res, err := s.tusRequest(ctx, "POST", s.base+"/api/v1/uploads", nil, 0, map[string]string{
		"Upload-Length": strconv.FormatInt(f.size, 10), "Upload-Metadata": strings.Join(pairs, ","),
	})
	if err != nil {
		return 0, fmt.Errorf("tus create: %w", err)
	}
	if err := expect(res, http.StatusCreated); err != nil {
		return 0, fmt.Errorf("tus create: %w", err)
	}
	loc, err := url.Parse(s.base)
	if err == nil {
		loc, err = loc.Parse(res.Header.Get("Location"))
	}
	if err != nil || res.Header.Get("Location") == "" {
		return 0, fmt.Errorf("tus create: no usable Location (%q)", res.Header.Get("Location"))
	}
	for offset := int64(0); offset < f.size; {
		n := min(chunk, f.size-offset)
		res, err := s.tusRequest(ctx, "PATCH", loc.String(), io.NewSectionReader(file, offset, n), n, map[string]string{
			"Content-Type": "application/offset+octet-stream", "Upload-Offset": strconv.FormatInt(offset, 10),
		})
		if err != nil {
			return 0, fmt.Errorf("tus PATCH at %d: %w", offset, err)
		}
		if err := expect(res, http.StatusNoContent); err != nil {
			return 0, fmt.Errorf("tus PATCH at %d: %w", offset, err)
		}
		got, want := res.Header.Get("Upload-Offset"), strconv.FormatInt(offset+n, 10)
		if got != want {
			return 0, fmt.Errorf("tus PATCH at %d: server says Upload-Offset %s, want %s", offset, got, want)
		}
		offset += n
	}
	elapsed := time.Since(start)

	status, sum, size, err := s.mediaMeta(ctx, f.mediaID)
	if err != nil {
		return 0, fmt.Errorf("media meta after upload: %w", err)
	}
	if status != "verified" || sum != f.sha256 || size != f.size {
		return 0, fmt.Errorf("media %s after upload: status %q, sha256 %s, size %d; want verified, %s, %d",
			f.mediaID, status, sum, size, f.sha256, f.size)
	}
	return elapsed, nil
}

// tusRequest sends one tus request with the session and protocol headers.
// The caller reads nothing from the answer but its headers; the body is
// drained here so the connection is reused.
func (s *rbServer) tusRequest(ctx context.Context, method, url string, body io.Reader, length int64, headers map[string]string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, chunkTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = length
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Tus-Resumable", tusVersion)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := s.http.Do(req)
	if err != nil {
		return nil, s.exitedErr(err)
	}
	defer res.Body.Close()
	// Error bodies are short JSON; keep the start for the message.
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	res.Body = io.NopCloser(strings.NewReader(string(b)))
	return res, nil
}

// expect turns an unexpected status into an error carrying the body.
func expect(res *http.Response, status int) error {
	if res.StatusCode == status {
		return nil
	}
	b, _ := io.ReadAll(res.Body)
	return fmt.Errorf("status %d, want %d: %.300s", res.StatusCode, status, b)
}
