package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"

	"github.com/returnbench/returnbench/inspection"
)

// Mismatch is a stored file that no longer is what was verified.
type Mismatch struct {
	MediaID    string `json:"media_id"`
	StorageKey string `json:"storage_key"`
	Want       string `json:"want_sha256"`
	Got        string `json:"got_sha256,omitempty"`
	Problem    string `json:"problem"`
}

// VerifyReport sums up a re-hashing of stored evidence.
type VerifyReport struct {
	Checked    int        `json:"checked"`
	Bytes      int64      `json:"bytes"`
	Mismatches []Mismatch `json:"mismatches"`
}

// VerifyStored re-reads every verified file from the backend and compares
// its SHA-256 and size with the record: the check for evidence changed or
// lost behind the application's back. each walks the verified records.
func VerifyStored(ctx context.Context, b Backend, each func(fn func(m *inspection.Media) error) error) (VerifyReport, error) {
	r := VerifyReport{Mismatches: []Mismatch{}}
	err := each(func(m *inspection.Media) error {
		r.Checked++
		bad := Mismatch{MediaID: m.ID, StorageKey: m.StorageKey, Want: m.SHA256}
		obj, err := b.Open(ctx, m.StorageKey)
		if err != nil {
			bad.Problem = "cannot open: " + inspection.ErrorMessage(err)
			r.Mismatches = append(r.Mismatches, bad)
			return ctx.Err()
		}
		defer obj.Close()
		h := sha256.New()
		n, err := io.Copy(h, obj)
		r.Bytes += n
		bad.Got = hex.EncodeToString(h.Sum(nil))
		switch {
		case err != nil:
			bad.Problem = "read failed after " + humanBytes(n)
		case n != m.Size:
			bad.Problem = "size is " + humanBytes(n) + ", recorded " + humanBytes(m.Size)
		case bad.Got != m.SHA256:
			bad.Problem = "content changed"
		default:
			return nil
		}
		r.Mismatches = append(r.Mismatches, bad)
		return ctx.Err()
	})
	return r, err
}
