package benchkit

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

// TusVersion is the tus protocol version the server speaks.
const TusVersion = "1.0.0"

// chunkTimeout bounds one tus request: a stuck server fails the run
// instead of hanging it.
const chunkTimeout = 5 * time.Minute

// Media is a file on disk to upload into an inspection and the
// declaration the server checks it against.
type Media struct {
	Path         string
	Size         int64
	SHA256       string // hex
	InspectionID string
	Kind         string // e.g. unboxing_video, package
	ContentType  string
	Filename     string
	CapturedAt   time.Time // the zero time is not declared
}

// TusMetadata is the Upload-Metadata header that declares m as media
// mediaID, as the PWA writes it.
func (m Media) TusMetadata(mediaID string) string {
	pairs := [][2]string{{"media_id", mediaID}, {"inspection_id", m.InspectionID}, {"kind", m.Kind},
		{"content_type", m.ContentType}, {"sha256", m.SHA256}, {"filename", m.Filename}}
	if !m.CapturedAt.IsZero() {
		pairs = append(pairs, [2]string{"captured_at", m.CapturedAt.UTC().Format(time.RFC3339)})
	}
	var out []string
	for _, kv := range pairs {
		out = append(out, kv[0]+" "+base64.StdEncoding.EncodeToString([]byte(kv[1])))
	}
	return strings.Join(out, ",")
}

// Upload sends m with tus in PATCHes of chunk bytes one after another, the
// way the PWA does, and checks that the server then holds it verified with
// the right SHA-256 and size. It returns the new media id and the time from
// the POST to the last PATCH's answer; that answer comes after the server
// has stored the file and checked its SHA-256, so the time covers the whole
// upload.
func (c *Client) Upload(ctx context.Context, m Media, chunk int64) (string, time.Duration, error) {
	f, err := os.Open(m.Path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	mediaID := uuid.NewString()

	start := time.Now()
	res, err := c.tusRequest(ctx, "POST", c.Base+"/api/v1/uploads", nil, 0, map[string]string{
		"Upload-Length": strconv.FormatInt(m.Size, 10), "Upload-Metadata": m.TusMetadata(mediaID),
	})
	if err == nil {
		err = expect(res, http.StatusCreated)
	}
	if err != nil {
		return "", 0, fmt.Errorf("tus create: %w", err)
	}
	loc, err := url.Parse(c.Base)
	if err == nil {
		loc, err = loc.Parse(res.Header.Get("Location"))
	}
	if err != nil || res.Header.Get("Location") == "" {
		return "", 0, fmt.Errorf("tus create: no usable Location (%q)", res.Header.Get("Location"))
	}
	for offset := int64(0); offset < m.Size; {
		n := min(chunk, m.Size-offset)
		res, err := c.tusRequest(ctx, "PATCH", loc.String(), io.NewSectionReader(f, offset, n), n, map[string]string{
			"Content-Type": "application/offset+octet-stream", "Upload-Offset": strconv.FormatInt(offset, 10),
		})
		if err == nil {
			err = expect(res, http.StatusNoContent)
		}
		if err != nil {
			return "", 0, fmt.Errorf("tus PATCH at %d: %w", offset, err)
		}
		got, want := res.Header.Get("Upload-Offset"), strconv.FormatInt(offset+n, 10)
		if got != want {
			return "", 0, fmt.Errorf("tus PATCH at %d: server says Upload-Offset %s, want %s", offset, got, want)
		}
		offset += n
	}
	elapsed := time.Since(start)

	meta, err := c.mediaMeta(ctx, mediaID)
	if err != nil {
		return "", 0, fmt.Errorf("media meta after upload: %w", err)
	}
	if meta.Status != "verified" || meta.SHA256 != m.SHA256 || meta.Size != m.Size {
		return "", 0, fmt.Errorf("media %s after upload: status %q, sha256 %s, size %d; want verified, %s, %d",
			mediaID, meta.Status, meta.SHA256, meta.Size, m.SHA256, m.Size)
	}
	return mediaID, elapsed, nil
}

// mediaState is what the server says of a media file.
type mediaState struct {
	Status string `json:"status"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// mediaMeta asks the server what it knows of a media file.
func (c *Client) mediaMeta(ctx context.Context, id string) (mediaState, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out mediaState
	req, err := http.NewRequestWithContext(ctx, "GET", c.Base+"/api/v1/media/"+id+"/meta", nil)
	if err != nil {
		return out, err
	}
	return out, c.Do(req, &out)
}

// tusRequest sends one tus request with the session and protocol headers.
// The caller reads nothing from the answer but its headers; the body is
// drained here so the connection is reused.
func (c *Client) tusRequest(ctx context.Context, method, url string, body io.Reader, length int64, headers map[string]string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, chunkTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = length
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Tus-Resumable", TusVersion)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
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
