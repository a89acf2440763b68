package evidence

import (
	"cmp"
	"context"
	"io"
	"mime"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/returnbench/returnbench/inspection"
)

// Facts is everything the documents say, assembled by the caller from the
// store so that this package never queries anything itself.
type Facts struct {
	Inspection inspection.Inspection
	Return     *inspection.Return      // nil for an unexpected return
	Inspector  string                  // username of the inspector
	Media      []inspection.Media      // all files of the inspection (verified, uploading, rejected...)
	Events     []inspection.AuditEvent // the inspection's and its media's audit events, oldest first
	AuditOK    bool                    // the whole audit chain verified
	AuditCount int64                   // events in the verified chain
	Policy     inspection.Policy       // the complete policy of the return's marketplace
	PublicURL  string                  // base for links, e.g. https://bench.example.com
	Now        time.Time
}

// Source opens a stored original; the caller streams it from S3 or disk.
// The reader is closed by the callee.
type Source func(ctx context.Context, m inspection.Media) (io.ReadCloser, error)

// inspectionURL is where the QR code on the card leads: the full record.
func (f *Facts) inspectionURL() string {
	return strings.TrimRight(f.PublicURL, "/") + "/inspections/" + f.Inspection.ID
}

// now is f.Now, or the wall clock when the caller left it zero.
func (f *Facts) now() time.Time {
	if f.Now.IsZero() {
		return time.Now().UTC()
	}
	return f.Now.UTC()
}

// ret returns the return, or an empty one for an unexpected parcel, so that
// templates can read fields without nil checks.
func (f *Facts) ret() *inspection.Return {
	if f.Return == nil {
		return &inspection.Return{}
	}
	return f.Return
}

// reason is the normalised return reason, normalising the raw code when an
// import left Reason empty.
func (f *Facts) reason() string {
	r := f.ret()
	if r.Reason != "" {
		return r.Reason
	}
	return inspection.NormalizeReason(r.ReasonRaw)
}

// takenAt is when a file was captured, falling back to when the server
// learnt of it.
func takenAt(m inspection.Media) time.Time {
	switch {
	case m.CapturedAt != nil:
		return *m.CapturedAt
	case m.VerifiedAt != nil:
		return *m.VerifiedAt
	default:
		return m.CreatedAt
	}
}

// byTime orders media oldest first, with the id as tie-break so that the
// order (and with it every file name in the zip) is stable.
func byTime(a, b inspection.Media) int {
	return cmp.Or(takenAt(a).Compare(takenAt(b)), cmp.Compare(a.ID, b.ID))
}

// verifiedMedia returns the verified files of the given kinds (all kinds
// when none are given), oldest first.
func verifiedMedia(media []inspection.Media, kinds ...string) []inspection.Media {
	var out []inspection.Media
	for _, m := range media {
		if m.Status == inspection.MediaVerified && (len(kinds) == 0 || slices.Contains(kinds, m.Kind)) {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, byTime)
	return out
}

// pendingMedia counts files of the given kinds that are declared or still
// uploading: evidence that exists on a phone but not yet on the server.
func pendingMedia(media []inspection.Media, kinds ...string) int {
	n := 0
	for _, m := range media {
		if (m.Status == inspection.MediaDeclared || m.Status == inspection.MediaUploading) && slices.Contains(kinds, m.Kind) {
			n++
		}
	}
	return n
}

// newest returns the most recently captured verified file of kind.
func newest(media []inspection.Media, kind string) (inspection.Media, bool) {
	ms := verifiedMedia(media, kind)
	if len(ms) == 0 {
		return inspection.Media{}, false
	}
	return ms[len(ms)-1], true
}

// isVideo reports whether m is a video, by kind or by content type.
func isVideo(m inspection.Media) bool {
	return m.Kind == inspection.MediaUnboxingVideo || strings.HasPrefix(m.ContentType, "video/")
}

// extensions maps the content types phones and browsers upload to the file
// extension sellers expect.
var extensions = map[string]string{
	"image/jpeg":      "jpg",
	"image/png":       "png",
	"image/webp":      "webp",
	"image/gif":       "gif",
	"image/heic":      "heic",
	"image/heif":      "heif",
	"video/mp4":       "mp4",
	"video/webm":      "webm",
	"video/quicktime": "mov",
	"application/pdf": "pdf",
	"text/plain":      "txt",
}

// extension is the file extension for an original: the uploaded name's own
// when it is a plain one, else one derived from the content type.
func extension(m inspection.Media) string {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(m.Filename), "."))
	if ext != "" && len(ext) <= 5 && strings.Trim(ext, "abcdefghijklmnopqrstuvwxyz0123456789") == "" {
		if ext == "jpeg" {
			return "jpg"
		}
		return ext
	}
	ct, _, _ := mime.ParseMediaType(m.ContentType)
	if e, ok := extensions[ct]; ok {
		return e
	}
	return "bin"
}

// utc formats a time for documents read in several time zones.
func utc(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// utcp is utc for optional times.
func utcp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return utc(*t)
}

// shortHash is the first 16 hex digits of a SHA-256, enough to tell files
// apart on a card while the full value is in the PDF and the manifest.
func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

// orDash stands in for an empty value, so a table never shows a blank that
// reads like an error.
func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
