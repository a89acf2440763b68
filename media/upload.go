package media

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/hex"

	"fmt"
	"hash"
	"io"
	"log/slog"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/returnbench/returnbench/inspection"
)

// Upload statuses.
const (
	UploadOpen     = "open"
	UploadComplete = "complete"
	UploadRejected = "rejected"
	UploadAborted  = "aborted"
)

// Upload is the resumable state of one file on its way in. It lives in the
// database, not in a process, so that any instance can take the next
// chunk, and so that a restart resumes where the last acknowledged byte ended.
type Upload struct {
	ID             string `gorm:"primaryKey"`
	MediaID        string
	InspectionID   string
	SiteID         string
	UserID         string
	StorageKey     string
	BackendUpload  string
	Length         int64
	Offset         int64
	PartSize       int64
	Parts          []Part `gorm:"serializer:json"`
	TailKey        string
	TailSize       int64
	HashState      string // base64 of the marshalled SHA-256 state after Offset bytes
	DeclaredSHA256 string `gorm:"column:declared_sha256"`
	ContentType    string
	Sniffed        bool
	LockToken      string
	Status         string
	ExpiresAt      time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Records is what uploads need of the database. Every method that changes
// an open upload is fenced by the caller's lock token: a request that has
// been superseded by a newer one can no longer write.
type Records interface {
	InspectionByID(ctx context.Context, id string) (*inspection.Inspection, error)
	MediaByID(ctx context.Context, id string) (*inspection.Media, error)
	InspectionMediaBytes(ctx context.Context, inspectionID, exceptMediaID string) (int64, error)
	UploadByID(ctx context.Context, id string) (*Upload, error)
	UploadByMedia(ctx context.Context, mediaID string) (*Upload, error)
	CreateUpload(ctx context.Context, up *Upload, m *inspection.Media, actorID string) error
	TakeUpload(ctx context.Context, id, lockToken string) (*Upload, error)
	SaveUploadProgress(ctx context.Context, up *Upload) error
	FinishUpload(ctx context.Context, up *Upload, mediaStatus, sha256Hex, actorID, reason string) error
	ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]Upload, error)
}

// ErrLockLost means a newer request took the upload over; this one stops.
var ErrLockLost = &Error{Status: 409, Code: "upload_taken_over", Message: "Another request is now writing this upload; resume from its offset."}

// Limits bound what one upload and one inspection may hold.
type Limits struct {
	PartSize        int64         // bytes per stored part (S3 needs at least 5 MiB)
	MaxPhoto        int64         // largest photo
	MaxVideo        int64         // largest video
	InspectionQuota int64         // all files of one inspection
	Expiry          time.Duration // an idle upload is abandoned after this
	RetainDays      int           // verified files are made immutable for this long (0: not)
}

// DefaultLimits are the defaults for the bench: phone photos are a few MB,
// an unboxing video a few hundred.
var DefaultLimits = Limits{
	PartSize:        8 << 20,
	MaxPhoto:        25 << 20,
	MaxVideo:        4 << 30,
	InspectionQuota: 8 << 30,
	Expiry:          24 * time.Hour,
}

// Uploads receives evidence files, resumably, and verifies each against the
// SHA-256 the client declared.
type Uploads struct {
	backend Backend
	records Records
	limits  Limits
	now     func() time.Time
	log     *slog.Logger
	buffers sync.Pool
}

// NewUploads wires the upload engine.
func NewUploads(b Backend, r Records, limits Limits, now func() time.Time, log *slog.Logger) *Uploads {
	if log == nil {
		log = slog.Default()
	}
	if limits.PartSize < 5<<20 {
		limits.PartSize = 5 << 20 // S3's smallest part
	}
	u := &Uploads{backend: b, records: r, limits: limits, now: now, log: log}
	u.buffers.New = func() any { b := make([]byte, 0, limits.PartSize); return &b }
	return u
}

// Backend is the store the bytes go to.
func (u *Uploads) Backend() Backend { return u.backend }

// Limits in force.
func (u *Uploads) Limits() Limits { return u.limits }

// NewUpload is what a client declares when it starts sending a file.
type NewUpload struct {
	MediaID      string
	InspectionID string
	Kind         string
	Filename     string
	ContentType  string
	SHA256       string
	Length       int64
	CapturedAt   *time.Time
}

var (
	uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	hexSHA256   = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Validate checks a declared file against the limits: its ids, kind, type,
// declared hash and size. The sync protocol checks declarations with it too.
func (n *NewUpload) Validate(l Limits) error {
	n.ContentType = strings.ToLower(strings.TrimSpace(n.ContentType))
	n.SHA256 = strings.ToLower(strings.TrimSpace(n.SHA256))
	switch {
	case !uuidPattern.MatchString(n.MediaID):
		return inspection.Errorf(inspection.EINVALID, "Upload-Metadata media_id must be a UUID.")
	case !uuidPattern.MatchString(n.InspectionID):
		return inspection.Errorf(inspection.EINVALID, "Upload-Metadata inspection_id must be a UUID.")
	case !slices.Contains(inspection.MediaKinds, n.Kind):
		return inspection.Errorf(inspection.EINVALID, "Upload-Metadata kind must be one of %s.", strings.Join(inspection.MediaKinds, ", "))
	case !hexSHA256.MatchString(n.SHA256):
		return inspection.Errorf(inspection.EINVALID, "Upload-Metadata sha256 must be the file's SHA-256 in 64 hex digits.")
	case !slices.Contains(AllowedTypes(n.Kind), n.ContentType):
		return inspection.Errorf(inspection.EUNSUPPORTED, "A %s file must be one of %s, not %q.", n.Kind, strings.Join(AllowedTypes(n.Kind), ", "), n.ContentType)
	case n.Length <= 0:
		return inspection.Errorf(inspection.EINVALID, "Upload-Length must be more than 0.")
	}
	max := l.MaxPhoto
	if IsVideo(n.ContentType) {
		max = l.MaxVideo
	}
	if n.Length > max {
		return inspection.Errorf(inspection.ETOOLARGE, "This file is %s; a %s may be at most %s.", humanBytes(n.Length), n.ContentType, humanBytes(max))
	}
	n.Filename = safeFilename(n.Filename, n.ContentType)
	return nil
}

// maxFilename bounds a display name, in bytes.
const maxFilename = 200

// CleanFilename keeps a display name only: no folders, no control or
// invisible characters, valid UTF-8 (PostgreSQL stores nothing else),
// bounded length. Storage keys never come from it, but people download
// files under it, so it is made safe to save as it stands (see DownloadName).
func CleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f || r == '"' || unicode.Is(unicode.Cf, r):
			// Control characters split headers; format characters (bidi
			// overrides, zero-width marks) make "evil\u202Egpj.exe"
			// read as "evilexe.jpg".
			return -1
		case lookalikeSlash(r):
			return '_'
		}
		return r
	}, name)
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.TrimSpace(truncateUTF8(strings.TrimSpace(name), maxFilename))
	if name == "." || name == ".." || name == "/" {
		name = ""
	}
	return name
}

// lookalikeSlash names the characters that some systems fold into "/"
// or "\" when they normalise a name (fullwidth and mathematical slashes).
func lookalikeSlash(r rune) bool {
	switch r {
	case '\u2044', '\u2215', '\u29f8', '\u29f9', '\uff0f', '\uff3c':
		return true
	}
	return false
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// extensions are the file name endings that fit each content type; the
// first is the one a name gets when it has none of them.
var extensions = map[string][]string{
	"image/jpeg": {".jpg", ".jpeg"}, "image/png": {".png"}, "image/webp": {".webp"},
	"image/heic": {".heic", ".heif"}, "image/heif": {".heif", ".heic"},
	"video/webm": {".webm"}, "video/mp4": {".mp4", ".m4v"}, "video/quicktime": {".mov", ".qt"},
}

// safeFilename is a cleaned name whose extension fits contentType: a file
// saved from a download under "photo.jpg.html" would open in a browser,
// and the bytes of a JPEG may also hold a page (a polyglot).
func safeFilename(name, contentType string) string {
	name = CleanFilename(name)
	exts := extensions[contentType]
	if name == "" || len(exts) == 0 || slices.Contains(exts, strings.ToLower(path.Ext(name))) {
		return name
	}
	return truncateUTF8(name, maxFilename-len(exts[0])) + exts[0]
}

// DownloadName is the name a stored file is served under: its cleaned
// display name with an extension that fits its type, or its id.
func DownloadName(filename, contentType, id string) string {
	if name := safeFilename(filename, contentType); name != "" {
		return name
	}
	if exts := extensions[contentType]; len(exts) > 0 {
		return id + exts[0]
	}
	return id
}

// Create starts an upload, or returns the one already started for the same
// media id (a client that lost the answer to its first request asks again).
func (u *Uploads) Create(ctx context.Context, user *inspection.User, n NewUpload) (*Upload, error) {
	if err := n.Validate(u.limits); err != nil {
		return nil, err
	}
	in, err := u.records.InspectionByID(ctx, n.InspectionID)
	if err != nil {
		if inspection.ErrorCode(err) == inspection.ENOTFOUND {
			return nil, inspection.Errorf(inspection.ENOTFOUND, "Inspection %s is not on the server yet: sync it before uploading its files.", n.InspectionID)
		}
		return nil, err
	}
	if !mayWrite(user, in.SiteID) {
		return nil, inspection.Errorf(inspection.ENOTFOUND, "Inspection %s is not on the server yet: sync it before uploading its files.", n.InspectionID)
	}
	if existing, err := u.existing(ctx, n); existing != nil || err != nil {
		if err == nil && existing.Status == UploadOpen && existing.Offset == existing.Length {
			// Every byte is here but the check did not run (a crash, a store
			// outage): run it now, so "complete" is never said of a file
			// that is not verified.
			return u.finishTaken(ctx, user, existing.ID)
		}
		return existing, err
	}
	used, err := u.records.InspectionMediaBytes(ctx, in.ID, n.MediaID)
	if err != nil {
		return nil, err
	}
	if used+n.Length > u.limits.InspectionQuota {
		return nil, inspection.Errorf(inspection.ETOOLARGE, "This inspection already holds %s; with this file it would pass its %s limit.", humanBytes(used), humanBytes(u.limits.InspectionQuota))
	}
	key := fmt.Sprintf("sites/%s/inspections/%s/%s", in.SiteID, in.ID, strings.ToLower(n.MediaID))
	backendID, err := u.backend.StartMultipart(ctx, key, n.ContentType)
	if err != nil {
		return nil, err
	}
	now := u.now()
	up := &Upload{
		ID: newID(), MediaID: strings.ToLower(n.MediaID), InspectionID: in.ID, SiteID: in.SiteID, UserID: user.ID,
		StorageKey: key, BackendUpload: backendID, Length: n.Length, PartSize: u.limits.PartSize,
		Parts: []Part{}, HashState: marshalHash(sha256.New()), DeclaredSHA256: n.SHA256,
		ContentType: n.ContentType, Status: UploadOpen, ExpiresAt: now.Add(u.limits.Expiry),
	}
	m := &inspection.Media{
		ID: up.MediaID, InspectionID: in.ID, SiteID: in.SiteID, Kind: n.Kind, ContentType: n.ContentType,
		Filename: n.Filename, Size: n.Length, SHA256: n.SHA256, Status: inspection.MediaUploading,
		StorageKey: key, CapturedAt: n.CapturedAt,
	}
	if err := u.records.CreateUpload(ctx, up, m, user.ID); err != nil {
		u.backend.AbortMultipart(context.WithoutCancel(ctx), key, backendID)
		return nil, err
	}
	return up, nil
}

// existing returns the upload already made for this media id when the new
// request describes the same file; a verified file is never replaced.
func (u *Uploads) existing(ctx context.Context, n NewUpload) (*Upload, error) {
	m, err := u.records.MediaByID(ctx, n.MediaID)
	if inspection.ErrorCode(err) == inspection.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if m.InspectionID != n.InspectionID {
		return nil, inspection.Errorf(inspection.ECONFLICT, "Media %s belongs to another inspection.", n.MediaID)
	}
	up, err := u.records.UploadByMedia(ctx, m.ID)
	if inspection.ErrorCode(err) == inspection.ENOTFOUND {
		return nil, nil // declared ahead of its bytes: start the first upload
	} else if err != nil {
		return nil, err
	}
	same := up.DeclaredSHA256 == n.SHA256 && up.Length == n.Length
	switch {
	case m.Status == inspection.MediaVerified && same:
		return up, nil // already here: the client will find the offset at the end
	case m.Status == inspection.MediaVerified:
		return nil, inspection.Errorf(inspection.ECONFLICT, "Media %s is already stored and verified with other content.", n.MediaID)
	case up.Status == UploadOpen && same:
		return up, nil
	}
	return nil, nil // rejected, aborted or changed: start again
}

func mayWrite(u *inspection.User, siteID string) bool {
	return u.Role == inspection.RoleAdmin || u.SiteID == siteID
}

// Get returns an upload the user may see, finishing it first when all its
// bytes are stored but a crash came before the verification.
func (u *Uploads) Get(ctx context.Context, user *inspection.User, id string) (*Upload, error) {
	getCtx, cancel := context.WithTimeout(ctx, recordTimeout)
	up, err := u.records.UploadByID(getCtx, id)
	cancel()
	if err != nil {
		return nil, err
	}
	if !mayWrite(user, up.SiteID) {
		return nil, inspection.Errorf(inspection.ENOTFOUND, "Upload not found.")
	}
	if up.Status == UploadOpen && up.Offset == up.Length {
		return u.finishTaken(ctx, user, id)
	}
	return up, nil
}

func (u *Uploads) finishTaken(ctx context.Context, user *inspection.User, id string) (*Upload, error) {
	up, err := u.records.TakeUpload(ctx, id, newID())
	if err != nil {
		return nil, err
	}
	h, err := unmarshalHash(up.HashState)
	if err != nil {
		return nil, err
	}
	return up, u.finish(ctx, user, up, h)
}

// recordTimeout bounds a look-up of an upload's record: a database that
// does not answer must fail the request, not hold it.
const recordTimeout = 10 * time.Second

// Checksum is a tus per-request checksum: the algorithm and the expected digest.
type Checksum struct {
	Algorithm string // "sha1" or "sha256"
	Sum       []byte
}

// Write appends a chunk that starts at offset. It stores whole parts as
// they fill and commits progress after each, so a dropped connection loses
// at most the part in flight; the bytes of a part that ended early are kept
// as a small scratch object. With a checksum, nothing of the chunk is
// committed unless the whole chunk matches it.
func (u *Uploads) Write(ctx context.Context, user *inspection.User, id string, offset int64, body io.Reader, sum *Checksum) (*Upload, error) {
	lock := newID()
	takeCtx, cancel := context.WithTimeout(ctx, recordTimeout)
	up, err := u.records.TakeUpload(takeCtx, id, lock)
	cancel()
	if err != nil {
		return nil, err
	}
	if !mayWrite(user, up.SiteID) {
		return nil, inspection.Errorf(inspection.ENOTFOUND, "Upload not found.")
	}
	switch {
	case up.Status == UploadComplete && offset == up.Length:
		return up, nil
	case up.Status != UploadOpen:
		return nil, ErrUploadGone
	case u.now().After(up.ExpiresAt):
		return nil, ErrUploadGone
	case offset != up.Offset:
		return nil, &Error{Status: 409, Code: "offset_mismatch",
			Message: fmt.Sprintf("Upload-Offset is %d but the server has %d bytes: resume from %d.", offset, up.Offset, up.Offset)}
	}
	h, err := unmarshalHash(up.HashState)
	if err != nil {
		return nil, err
	}
	var chunkHash hash.Hash
	if sum != nil {
		chunkHash = sum.newHash()
		body = io.TeeReader(body, chunkHash)
	}
	w := &writer{u: u, up: up, lock: lock, h: h, commitEachPart: sum == nil}
	buf, release := u.partBuffer(up)
	defer release() // after the commit: the tail to keep is in it
	readErr, err := w.run(ctx, body, buf)
	if err != nil {
		return nil, err
	}
	if sum != nil {
		if readErr != nil {
			return nil, inspection.Errorf(inspection.EINVALID, "The chunk was cut short, so its checksum cannot be checked: send it again.")
		}
		if got := chunkHash.Sum(nil); string(got) != string(sum.Sum) {
			return nil, ErrChecksumMismatch
		}
	}
	if err := w.commit(ctx); err != nil {
		return nil, err
	}
	if readErr != nil {
		// What arrived is stored; the client resumes from up.Offset.
		return nil, fmt.Errorf("read chunk after %d bytes: %w", up.Offset, readErr)
	}
	if up.Offset == up.Length {
		return up, u.finish(ctx, user, up, h)
	}
	return up, nil
}

// partBuffer is the buffer a chunk's parts are gathered in. A file that
// needs less than half a part (most photos) gets a buffer of its own size:
// a pool of full part buffers would hold 8 MiB for every 1 MiB photo in
// flight, and many phones uploading photos at once would cost the server
// memory for bytes that never come. release gives a full part buffer back
// to the pool.
func (u *Uploads) partBuffer(up *Upload) (buf []byte, release func()) {
	if need := up.Length - up.Offset + up.TailSize; need < up.PartSize/2 {
		return make([]byte, 0, need), func() {}
	}
	bufp := u.buffers.Get().(*[]byte)
	return (*bufp)[:0], func() { u.buffers.Put(bufp) }
}

// writer carries one chunk's progress through the part buffer.
type writer struct {
	u              *Uploads
	up             *Upload
	lock           string
	h              hash.Hash
	commitEachPart bool
	pending        []byte // bytes after the last stored part: the tail to keep
	oldTail        string
	saved          bool // progress is saved exactly as it stands
}

// run reads the chunk into parts. It returns the body's read error, if the
// connection broke, separately from store errors.
func (w *writer) run(ctx context.Context, body io.Reader, buf []byte) (readErr, err error) {
	up := w.up
	if up.TailSize > 0 {
		tail, err := w.u.backend.GetScratch(ctx, up.TailKey)
		if err != nil {
			return nil, w.u.lostInStore(ctx, up, fmt.Errorf("read upload tail: %w", err))
		}
		if int64(len(tail)) != up.TailSize {
			return nil, fmt.Errorf("upload tail is %d bytes, want %d", len(tail), up.TailSize)
		}
		buf = append(buf, tail...)
		w.oldTail = up.TailKey
	}
	for up.Offset < up.Length {
		room := min(int64(cap(buf)-len(buf)), up.PartSize-int64(len(buf)), up.Length-up.Offset)
		n, rerr := io.ReadFull(body, buf[len(buf):int64(len(buf))+room])
		w.h.Write(buf[len(buf) : len(buf)+n])
		w.saved = w.saved && n == 0
		buf = buf[:len(buf)+n]
		up.Offset += int64(n)
		if err := w.sniff(ctx, buf); err != nil {
			return nil, err
		}
		if int64(len(buf)) == up.PartSize || up.Offset == up.Length {
			if err := w.putPart(ctx, buf); err != nil {
				return nil, err
			}
			buf = buf[:0]
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break // the chunk ended (the client may send the rest later)
		}
		if rerr != nil {
			w.pending = buf
			return rerr, nil
		}
	}
	if up.Offset == up.Length {
		var extra [1]byte
		if n, _ := body.Read(extra[:]); n > 0 {
			return nil, inspection.Errorf(inspection.EINVALID, "The chunk runs past Upload-Length (%d bytes).", up.Length)
		}
	}
	w.pending = buf
	return nil, nil
}

// sniff checks the file's first bytes against its declared type as soon as
// enough of them are here, and rejects the upload if they disagree.
func (w *writer) sniff(ctx context.Context, buf []byte) error {
	up := w.up
	if up.Sniffed || len(up.Parts) > 0 || int64(len(buf)) < min(sniffLen, up.Length) {
		return nil
	}
	detected := Sniff(buf)
	if !sameFamily(up.ContentType, detected) {
		w.u.reject(ctx, up, "", fmt.Sprintf("content is %q, declared %q", detected, up.ContentType))
		if detected == "" {
			return inspection.Errorf(inspection.EUNSUPPORTED, "The file's bytes are not a %s (nor any allowed type); the upload was refused.", up.ContentType)
		}
		return inspection.Errorf(inspection.EUNSUPPORTED, "The file's bytes are a %s, not the declared %s; the upload was refused.", detected, up.ContentType)
	}
	up.Sniffed = true
	return nil
}

func (w *writer) putPart(ctx context.Context, data []byte) error {
	up := w.up
	number := len(up.Parts) + 1
	offset := int64(number-1) * up.PartSize
	part, err := w.u.backend.PutPart(ctx, up.StorageKey, up.BackendUpload, number, offset, data)
	if err != nil {
		up.Offset -= int64(len(data)) // not stored: not acknowledged
		if err := w.whyFailed(ctx, err); err != ErrLockLost {
			return w.u.lostInStore(ctx, up, err)
		}
		return ErrLockLost
	}
	up.Parts = append(up.Parts, part)
	up.TailKey, up.TailSize = "", 0
	up.HashState = marshalHash(w.h)
	if w.commitEachPart {
		return w.save(ctx)
	}
	return nil
}

// whyFailed explains a failed store write: when a newer request has taken
// the upload over (and perhaps finished it), that is the reason, not the
// store's complaint about a part of an upload that is gone.
func (w *writer) whyFailed(ctx context.Context, err error) error {
	if cur, rerr := w.u.records.UploadByID(ctx, w.up.ID); rerr == nil && cur.LockToken != w.lock {
		return ErrLockLost
	}
	return err
}

// commit stores the pending tail, if any, and the progress with it. A
// chunk that ended on a part boundary was saved with that part already.
func (w *writer) commit(ctx context.Context) error {
	up := w.up
	if w.saved && len(w.pending) == 0 {
		return nil
	}
	if len(w.pending) > 0 {
		key := fmt.Sprintf("uploads/%s/tail-%d-%d", up.ID, up.Offset-int64(len(w.pending)), up.Offset)
		if err := w.u.backend.PutScratch(ctx, key, w.pending); err != nil {
			up.Offset -= int64(len(w.pending))
			return w.whyFailed(ctx, err)
		}
		up.TailKey, up.TailSize = key, int64(len(w.pending))
	}
	up.HashState = marshalHash(w.h)
	return w.save(ctx)
}

func (w *writer) save(ctx context.Context) error {
	w.up.LockToken = w.lock
	w.up.ExpiresAt = w.u.now().Add(w.u.limits.Expiry)
	if err := w.u.records.SaveUploadProgress(ctx, w.up); err != nil {
		return err
	}
	w.saved = true
	if w.oldTail != "" && w.oldTail != w.up.TailKey {
		w.u.backend.DeleteScratch(context.WithoutCancel(ctx), w.oldTail)
		w.oldTail = ""
	}
	return nil
}

// finish joins the parts and compares the whole file's SHA-256 with the one
// the client declared: only a match makes the media verified.
func (u *Uploads) finish(ctx context.Context, user *inspection.User, up *Upload, h hash.Hash) error {
	if err := u.backend.CompleteMultipart(ctx, up.StorageKey, up.BackendUpload, up.Parts); err != nil {
		return u.lostInStore(ctx, up, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != up.DeclaredSHA256 {
		u.backend.Delete(ctx, up.StorageKey)
		u.reject(ctx, up, user.ID, "sha256 mismatch: received "+got)
		return &Error{Status: 460, Code: "sha256_mismatch",
			Message: fmt.Sprintf("The file that arrived has SHA-256 %s, not the declared %s; it was not kept. Capture or send it again.", got, up.DeclaredSHA256)}
	}
	if u.limits.RetainDays > 0 {
		until := u.now().AddDate(0, 0, u.limits.RetainDays)
		if err := u.backend.Retain(ctx, up.StorageKey, until); err != nil {
			return fmt.Errorf("retain evidence: %w", err)
		}
	}
	up.Status = UploadComplete
	return u.records.FinishUpload(ctx, up, inspection.MediaVerified, got, user.ID, "")
}

// reject ends an upload whose content is refused and removes its bytes.
func (u *Uploads) reject(ctx context.Context, up *Upload, actorID, reason string) {
	ctx = context.WithoutCancel(ctx)
	u.backend.AbortMultipart(ctx, up.StorageKey, up.BackendUpload)
	if up.TailKey != "" {
		u.backend.DeleteScratch(ctx, up.TailKey)
	}
	up.Status = UploadRejected
	if err := u.records.FinishUpload(ctx, up, inspection.MediaRejected, "", actorID, reason); err != nil {
		u.log.Error("reject upload", "upload", up.ID, "err", err)
	}
}

// Terminate abandons an upload at the client's request (tus termination).
func (u *Uploads) Terminate(ctx context.Context, user *inspection.User, id string) error {
	up, err := u.records.TakeUpload(ctx, id, newID())
	if err != nil {
		return err
	}
	if !mayWrite(user, up.SiteID) {
		return inspection.Errorf(inspection.ENOTFOUND, "Upload not found.")
	}
	if up.Status != UploadOpen {
		return ErrUploadGone
	}
	return u.abort(ctx, up, user.ID, "terminated by client")
}

// lostInStore ends an upload whose parts the store no longer has (an S3
// server that lost a multipart upload in a crash): the device is told the
// upload is gone (410) and sends the file again under the same media id,
// instead of holding an upload no request can ever finish. Any other
// error is returned as it is.
func (u *Uploads) lostInStore(ctx context.Context, up *Upload, err error) error {
	if inspection.ErrorCode(err) != inspection.ENOTFOUND {
		return err
	}
	if aerr := u.abort(context.WithoutCancel(ctx), up, "", "lost by the evidence store"); aerr != nil {
		u.log.Error("end an upload the store lost", "upload", up.ID, "err", aerr)
		return err
	}
	return ErrUploadGone
}

func (u *Uploads) abort(ctx context.Context, up *Upload, actorID, reason string) error {
	if err := u.backend.AbortMultipart(ctx, up.StorageKey, up.BackendUpload); err != nil {
		return err
	}
	if up.TailKey != "" {
		u.backend.DeleteScratch(ctx, up.TailKey)
	}
	up.Status = UploadAborted
	return u.records.FinishUpload(ctx, up, inspection.MediaUploading, "", actorID, reason)
}

// CleanExpired aborts uploads idle past their expiry and removes their
// parts. Any instance may run it; doing it twice changes nothing.
func (u *Uploads) CleanExpired(ctx context.Context) (int, error) {
	ups, err := u.records.ExpiredUploads(ctx, u.now(), 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range ups {
		up, err := u.records.TakeUpload(ctx, ups[i].ID, newID())
		if err != nil || up.Status != UploadOpen || !u.now().After(up.ExpiresAt) {
			continue
		}
		if err := u.abort(ctx, up, "", "expired"); err != nil {
			u.log.Warn("clean expired upload", "upload", up.ID, "err", err)
			continue
		}
		n++
	}
	return n, nil
}

// Expected SHA-256 state helpers: the state marshals, so it survives restarts.
func marshalHash(h hash.Hash) string {
	b, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic(err) // crypto/sha256 always marshals
	}
	return base64.StdEncoding.EncodeToString(b)
}

func unmarshalHash(state string) (hash.Hash, error) {
	b, err := base64.StdEncoding.DecodeString(state)
	if err != nil {
		return nil, fmt.Errorf("upload hash state: %w", err)
	}
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("upload hash state: %w", err)
	}
	return h, nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
