package media

import (
	"context"
	"io"
	"time"
)

// Part is one stored piece of a multipart upload. Every part but the last
// has the upload's part size, so a part's place in the file is known from
// its number.
type Part struct {
	Number int    `json:"n"`
	ETag   string `json:"etag"`
	Size   int64  `json:"size"`
	CRC32C string `json:"crc32c,omitempty"` // the part's checksum as the S3 server checked it
}

// Object is stored bytes opened for reading: seekable, for Range requests.
type Object interface {
	io.ReadSeekCloser
	Size() int64
}

// Backend is where evidence bytes live: an S3-compatible bucket or the
// local disk. Uploads arrive as numbered parts of one file; small scratch
// objects hold the few bytes of a chunk that ended between parts.
type Backend interface {
	Ping(ctx context.Context) error
	StartMultipart(ctx context.Context, key, contentType string) (uploadID string, err error)
	PutPart(ctx context.Context, key, uploadID string, number int, offset int64, data []byte) (Part, error)
	CompleteMultipart(ctx context.Context, key, uploadID string, parts []Part) error
	AbortMultipart(ctx context.Context, key, uploadID string) error
	PutScratch(ctx context.Context, key string, data []byte) error
	GetScratch(ctx context.Context, key string) ([]byte, error)
	DeleteScratch(ctx context.Context, key string) error
	Open(ctx context.Context, key string) (Object, error)
	Delete(ctx context.Context, key string) error
	// Retain makes a stored object immutable until the given time (S3
	// Object Lock, or a read-only file on disk).
	Retain(ctx context.Context, key string, until time.Time) error
	// Describe names the backend for logs and readiness answers.
	Describe() string
}
