package crash

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// device is one bench phone: it makes inspections offline (mutations in an
// outbox, each with the base version it was made on), pushes them until
// each has an answer, and uploads evidence files resumably. It remembers
// every answer it got; the checks at the end hold the server to them.
type device struct {
	h        *harness
	name     string // the user it signs in as
	password string
	clientID string
	rng      *rand.Rand
	api      *apiClient

	seq    int64
	outbox []*mutation
	muts   map[string]*mutation
	acked  []*mutation // answered, for re-pushing as an idempotency check
	insps  []*inspState
	files  []*fileState
}

// mutation is one change in the device's outbox, and what became of it.
type mutation struct {
	pushMutation
	inspection string
	// wantVersion is the inspection's version once this applies: the
	// device made it on version wantVersion-1.
	wantVersion int64
	acked       bool
	status      string // the answer: applied or rejected
}

// inspState is what the device expects the server to hold for an
// inspection once all its mutations are applied.
type inspState struct {
	id, code  string
	version   int64 // mutations made on it that bump the version
	notes     string
	saves     int // inspection.save updates after the creating one
	completed bool
	grade     string
}

// fileState is one evidence file and its upload's progress as answered.
type fileState struct {
	mediaID, inspection string
	kind, contentType   string
	data                []byte // dropped once the server has it all
	size                int64
	sha256              string
	declared            bool
	uploadPath          string
	creations           int      // POSTs sent for it
	restarts            int      // times the server said the upload was gone
	gone                []string // those uploads
	ackedOffset         int64    // the highest offset the server ever answered
	answeredBy          string   // the request that answered it
	complete            bool
	notes               []string // what happened on the way, for failure messages
}

func (d *device) dlog(format string, args ...any) {
	d.h.logf("%s: %s", d.name, fmt.Sprintf(format, args...))
}

// sleep waits a little before trying again; false when the run is over.
func (d *device) sleep(ctx context.Context, attempt int) bool {
	wait := time.Duration(30+d.rng.IntN(120)) * time.Millisecond * time.Duration(min(attempt, 8))
	select {
	case <-ctx.Done():
		return false
	case <-time.After(wait):
		return true
	}
}

// run signs in and makes inspections until stop closes, finishing the one
// in hand.
func (d *device) run(ctx context.Context, stop <-chan struct{}) {
	d.muts = map[string]*mutation{}
	for attempt := 1; ; attempt++ {
		err := d.api.login(ctx, d.name, d.password)
		if err == nil {
			break
		}
		if !transient(err) {
			d.h.violate(invUnexpected, "%s cannot sign in: %v", d.name, err)
			return
		}
		if !d.sleep(ctx, attempt) {
			d.h.violate(invStuck, "%s could not sign in before the run ended: %v", d.name, err)
			return
		}
	}
	for !closed(stop) {
		if !d.job(ctx) {
			return
		}
	}
}

// job is one inspection from scan to (sometimes) completion. It returns
// false when the device had to give up.
func (d *device) job(ctx context.Context) bool {
	in := &inspState{id: uuid.NewString(), code: fmt.Sprintf("1Z999AA1%010d", d.rng.Uint64N(1e10))}
	d.insps = append(d.insps, in)
	d.save(in, map[string]any{"scanned_code": in.code})
	for range d.rng.IntN(3) {
		d.save(in, nil)
	}
	var files []*fileState
	for range 1 + d.rng.IntN(2) {
		f := d.newFile(in)
		files = append(files, f)
		if d.rng.Float64() < 0.7 {
			d.declare(in, f)
		}
	}
	if !d.pushAll(ctx) {
		return false
	}
	for _, f := range files {
		if !d.upload(ctx, f) {
			return false
		}
		if d.rng.Float64() < 0.4 {
			d.save(in, nil)
		}
	}
	if d.rng.Float64() < 0.5 {
		grade, disposition := "resellable", "relabel_restock"
		if d.rng.Float64() < 0.5 {
			grade, disposition = "destroy", "dispose"
		}
		d.save(in, map[string]any{"grade": grade, "disposition": disposition, "verdict": "not_applicable"})
		in.grade = grade
		d.complete(in)
	}
	return d.pushAll(ctx)
}

func (d *device) enqueue(in *inspState, typ string, payload map[string]any, bumps bool) {
	d.seq++
	m := &mutation{inspection: in.id}
	m.ID, m.Seq, m.Type = uuid.NewString(), d.seq, typ
	m.Payload, _ = json.Marshal(payload)
	if bumps {
		in.version++
		m.wantVersion = in.version
	}
	d.outbox = append(d.outbox, m)
	d.muts[m.ID] = m
}

// save makes an inspection.save: the creating one first, then updates on
// the version the device holds. Every save writes new notes, so the notes
// the server ends with say which save was applied last.
func (d *device) save(in *inspState, fields map[string]any) {
	p := map[string]any{"id": in.id}
	for k, v := range fields {
		p[k] = v
	}
	if in.version > 0 {
		p["base_version"] = in.version
		in.saves++
	}
	in.notes = fmt.Sprintf("%s save %d of %s", d.name, in.version+1, in.id[:8])
	p["notes"] = in.notes
	d.enqueue(in, "inspection.save", p, true)
}

func (d *device) complete(in *inspState) {
	d.enqueue(in, "inspection.complete", map[string]any{"id": in.id, "base_version": in.version}, true)
	in.completed = true
}

func (d *device) declare(in *inspState, f *fileState) {
	d.enqueue(in, "media.declare", map[string]any{"id": f.mediaID, "inspection_id": in.id, "kind": f.kind,
		"content_type": f.contentType, "size": f.size, "sha256": f.sha256, "filename": f.mediaID[:8] + ".bin",
		"captured_at": time.Now().UTC().Format(time.RFC3339)}, false)
	f.declared = true
}

// newFile makes a photo or a video of random content behind the right
// magic bytes, between the configured sizes.
func (d *device) newFile(in *inspState) *fileState {
	cfg := d.h.cfg
	size := cfg.MinFile + d.rng.Int64N(cfg.MaxFile-cfg.MinFile+1)
	var seed [32]byte
	for i := range 4 {
		v := d.rng.Uint64()
		for j := range 8 {
			seed[i*8+j] = byte(v >> (8 * j))
		}
	}
	data := make([]byte, size)
	rand.NewChaCha8(seed).Read(data)
	f := &fileState{mediaID: uuid.NewString(), inspection: in.id, data: data, size: size}
	if d.rng.Float64() < 0.3 {
		f.kind, f.contentType = "unboxing_video", "video/webm"
		copy(data, append([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x82, 0x84}, "webm"...))
	} else {
		kinds := []string{"contents", "package", "damage", "label_closeup", "serial", "accessories"}
		f.kind, f.contentType = kinds[d.rng.IntN(len(kinds))], "image/jpeg"
		copy(data, []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0})
	}
	sum := sha256.Sum256(data)
	f.sha256 = hex.EncodeToString(sum[:])
	d.files = append(d.files, f)
	return f
}

// pushAll pushes until every mutation in the outbox has an answer. Batches
// vary: the whole outbox, a prefix, a subset out of order; and sometimes
// mutations answered before ride along, which must come back as
// duplicates and change nothing.
func (d *device) pushAll(ctx context.Context) bool {
	idle := 0
	for attempt := 1; len(d.outbox) > 0; {
		if ctx.Err() != nil {
			return false
		}
		batch := d.pickBatch()
		res, err := d.pushOnce(ctx, batch)
		if err != nil {
			switch {
			case statusOf(err) == 401:
				// Sessions live in the database: a restart must not end one.
				d.h.violate(invLost, "%s: push answered 401 after a restart: the session was lost (%v)", d.name, err)
				d.h.c.relogins.Add(1)
				d.api.login(ctx, d.name, d.password)
			case transient(err):
				d.h.c.countFailure("push", err)
				d.h.c.pushResends.Add(1)
			default:
				d.h.violate(invUnexpected, "%s: push of %d mutations answered %v", d.name, len(batch), err)
				return false
			}
			if !d.sleep(ctx, attempt) {
				return false
			}
			attempt++
			continue
		}
		attempt = 1
		before := len(d.outbox)
		d.answer(batch, res)
		if len(d.outbox) == before {
			// Only retries: what they wait for is in a batch not sent yet.
			if idle++; idle > 200 {
				d.h.violate(invStuck, "%s: %d mutations answered retry 200 times in a row", d.name, len(d.outbox))
				return false
			}
		} else {
			idle = 0
		}
	}
	return true
}

func (d *device) pushOnce(ctx context.Context, batch []*mutation) ([]pushResult, error) {
	muts := make([]pushMutation, len(batch))
	for i, m := range batch {
		muts[i] = m.pushMutation
	}
	d.h.c.pushInFlight.Add(1)
	defer d.h.c.pushInFlight.Add(-1)
	return d.api.push(ctx, d.clientID, muts)
}

func (d *device) pickBatch() []*mutation {
	var batch []*mutation
	switch r := d.rng.Float64(); {
	case r < 0.6:
		batch = append(batch, d.outbox...)
	case r < 0.85:
		batch = append(batch, d.outbox[:1+d.rng.IntN(len(d.outbox))]...)
	default:
		for _, m := range d.outbox {
			if d.rng.Float64() < 0.5 {
				batch = append(batch, m)
			}
		}
		if len(batch) == 0 {
			batch = append(batch, d.outbox[d.rng.IntN(len(d.outbox))])
		}
	}
	if len(d.acked) > 0 && d.rng.Float64() < 0.3 {
		seen := map[string]bool{}
		for range 1 + d.rng.IntN(3) {
			m := d.acked[d.rng.IntN(len(d.acked))]
			if !seen[m.ID] {
				seen[m.ID] = true
				batch = append(batch, m)
			}
		}
	}
	if d.rng.Float64() < 0.3 {
		// The server applies a batch in seq order, whatever order it came in.
		d.rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
	}
	return batch
}

// answer takes a push's results. An answer is final except retry.
func (d *device) answer(batch []*mutation, res []pushResult) {
	for i, r := range res {
		m := batch[i]
		if r.ID != m.ID {
			d.h.violate(invUnexpected, "%s: result %d names mutation %s, sent %s", d.name, i, r.ID, m.ID)
			continue
		}
		if m.acked {
			d.h.c.repushesChecked.Add(1)
			switch {
			case r.Status == "duplicate" && r.First == m.status:
			case r.Status == "applied":
				d.h.violate(invDuplicate, "%s: mutation %s (%s, seq %d) was answered %s before and applied again when re-pushed (version %d)",
					d.name, m.ID, m.Type, m.Seq, m.status, r.Version)
			default:
				d.h.violate(invLost, "%s: mutation %s (%s, seq %d) was answered %s before; re-pushed it got %s/%s %s: the server forgot it",
					d.name, m.ID, m.Type, m.Seq, m.status, r.Status, r.First, errText(r))
			}
			continue
		}
		switch r.Status {
		case "applied":
			if m.wantVersion != 0 && r.Version != m.wantVersion {
				d.h.violate(invDuplicate, "%s: mutation %s (%s on %s) applied at version %d, made on %d so want %d",
					d.name, m.ID, m.Type, m.inspection, r.Version, m.wantVersion-1, m.wantVersion)
			}
			d.ack(m, "applied", false)
		case "duplicate":
			// Applied in a batch whose answer the kill cut off.
			if r.First != "applied" {
				d.h.violate(invUnexpected, "%s: mutation %s (%s) first answered %s %s", d.name, m.ID, m.Type, r.First, errText(r))
			}
			d.ack(m, r.First, true)
		case "rejected":
			d.h.violate(invUnexpected, "%s: mutation %s (%s, seq %d, on %s) rejected: %s", d.name, m.ID, m.Type, m.Seq, m.inspection, errText(r))
			d.ack(m, "rejected", false)
		case "retry":
		default:
			d.h.violate(invUnexpected, "%s: mutation %s answered %q", d.name, m.ID, r.Status)
		}
	}
}

func errText(r pushResult) string {
	if r.Error == nil {
		return ""
	}
	return r.Error.Code + ": " + r.Error.Message
}

func (d *device) ack(m *mutation, status string, late bool) {
	m.acked, m.status = true, status
	for i, o := range d.outbox {
		if o == m {
			d.outbox = append(d.outbox[:i], d.outbox[i+1:]...)
			break
		}
	}
	d.acked = append(d.acked, m)
	d.h.c.mutationsAcked.Add(1)
	if late {
		d.h.c.lateAcks.Add(1)
	}
	d.h.journal.write(journalEntry{Device: d.name, Kind: "mutation", ID: m.ID, Type: m.Type, Seq: m.Seq,
		Inspection: m.inspection, Status: status, Version: m.wantVersion, Late: late})
}

// upload sends a file over tus until the server holds all of it, resuming
// from the offset the server reports after every failure. The server may
// never report less than it acknowledged before.
func (d *device) upload(ctx context.Context, f *fileState) bool {
	length := f.size
	var offset int64
	needHead, failed := false, false
	for attempt := 1; ; {
		if ctx.Err() != nil {
			d.h.violate(invStuck, "%s: upload of media %s not finished when the run ended (server has %d of %d bytes)",
				d.name, f.mediaID, f.ackedOffset, length)
			return false
		}
		var err error
		var call string
		switch {
		case f.uploadPath == "":
			call = "POST"
			err = d.create(ctx, f, &offset)
		case needHead:
			call = "HEAD"
			offset, err = d.api.tusHead(ctx, f.uploadPath)
			if err == nil {
				needHead = false
				if failed && offset > 0 {
					d.h.c.uploadResumes.Add(1)
				}
				failed = false
				d.noteOffset(f, offset, "HEAD")
			}
		default:
			call = "PATCH"
			err = d.patch(ctx, f, &offset)
		}
		if err != nil {
			status := statusOf(err)
			switch {
			case transient(err):
				d.h.c.countFailure(call, err)
			case status == 409:
				// A request the kill left running was overtaken, or the
				// offset moved: ask where the server is.
			case (status == 404 || status == 410) && call != "POST":
				// The upload is gone: a tus client starts a new one.
				if !d.restartUpload(f, err) {
					return false
				}
			default:
				inv := invUnexpected
				if status == 460 {
					inv = invLost // the bytes were sent right and acknowledged; the server kept others
				}
				d.h.violate(inv, "%s: media %s (%s, %d bytes, sha256 %s), upload %q: %v %s",
					d.name, f.mediaID, f.contentType, length, f.sha256, f.uploadPath, err, strings.Join(f.notes, "; "))
				return false
			}
			needHead, failed = f.uploadPath != "", true
			if !d.sleep(ctx, attempt) {
				continue // the deadline check above reports it
			}
			attempt++
			continue
		}
		attempt = 1
		if offset == length {
			return d.completed(ctx, f)
		}
	}
}

// restartUpload forgets an upload the server says is gone, so that the
// next round creates a new one. Only the S3 store's own loss may explain
// acknowledged bytes going: returnbench keeps them through its own crashes.
// It returns false when restarting gets nowhere.
func (d *device) restartUpload(f *fileState, err error) bool {
	f.restarts++
	d.h.c.uploadRestarts.Add(1)
	note := fmt.Sprintf("upload %s answered %v after %d bytes were acknowledged", f.uploadPath, err, f.ackedOffset)
	f.notes = append(f.notes, note)
	d.dlog("media %s: %s; starting again", f.mediaID, note)
	if f.ackedOffset > 0 && d.h.cfg.Mode == KillServer {
		d.h.violate(invLost, "%s: media %s: %s", d.name, f.mediaID, note)
	}
	if f.restarts > 5 {
		d.h.violate(invStuck, "%s: media %s (%d bytes): the server said %d times the upload was gone: %s",
			d.name, f.mediaID, f.size, f.restarts, strings.Join(f.notes, "; "))
		return false
	}
	f.gone = append(f.gone, f.uploadPath)
	f.uploadPath, f.ackedOffset = "", 0
	return true
}

// create starts the upload, sometimes with its first chunk on the POST.
func (d *device) create(ctx context.Context, f *fileState, offset *int64) error {
	length := f.size
	md := tusMetadata("media_id", f.mediaID, "inspection_id", f.inspection, "kind", f.kind,
		"content_type", f.contentType, "sha256", f.sha256, "filename", f.mediaID[:8]+".bin")
	var body io.Reader
	var n int64
	if d.rng.Float64() < 0.3 {
		n = d.chunkLen(0, length)
		body = d.paced(f.data[:n])
	}
	if n > 0 {
		d.h.c.patchInFlight.Add(1)
		defer d.h.c.patchInFlight.Add(-1)
		d.h.c.bytesSent.Add(n)
	}
	f.creations++
	path, off, err := d.api.tusCreate(ctx, length, md, body, n)
	if err != nil {
		if f.creations > 1 {
			return fmt.Errorf("creation (attempt %d, the answers to the earlier ones were lost) with bytes 0-%d as its body: %w", f.creations, n, err)
		}
		return fmt.Errorf("creation with bytes 0-%d as its body: %w", n, err)
	}
	if slices.Contains(f.gone, path) {
		f.notes = append(f.notes, "creating it again gave back "+path+", the upload said to be gone")
	}
	f.uploadPath = path
	if n > 0 && off > n {
		// The body of a creation is the file from byte 0. An offset past it
		// is right only if the server kept an earlier attempt's bytes and
		// ignored these; if it appended them instead, the file's hash will
		// not match at the end, and this note says where that came from.
		f.notes = append(f.notes, fmt.Sprintf("a repeated creation-with-upload sent bytes 0-%d and was answered offset %d", n, off))
	}
	*offset = off
	d.noteOffset(f, off, "POST")
	return nil
}

func (d *device) patch(ctx context.Context, f *fileState, offset *int64) error {
	length := f.size
	end := *offset + d.chunkLen(*offset, length)
	chunk := f.data[*offset:end]
	d.h.c.patchInFlight.Add(1)
	d.h.c.bytesSent.Add(int64(len(chunk)))
	off, err := d.api.tusPatch(ctx, f.uploadPath, *offset, chunk, d.paced(chunk), d.rng.Float64() < 0.2)
	d.h.c.patchInFlight.Add(-1)
	if err != nil {
		return err
	}
	if off != end {
		d.h.violate(invUnexpected, "%s: PATCH of media %s bytes %d-%d answered 204 with offset %d", d.name, f.mediaID, *offset, end, off)
	}
	*offset = off
	d.noteOffset(f, off, "PATCH")
	return nil
}

// noteOffset holds the server to every offset it has answered: bytes it
// acknowledged must still be there after any crash.
func (d *device) noteOffset(f *fileState, off int64, how string) {
	if off < f.ackedOffset {
		d.h.violate(invLost, "%s: upload %s of media %s: %s answered offset %d after the server had acknowledged %d",
			d.name, f.uploadPath, f.mediaID, how, off, f.ackedOffset)
		return
	}
	f.ackedOffset, f.answeredBy = off, how+" "+f.uploadPath
}

// completed records a file the server acknowledged whole, and checks at
// once that it says verified.
func (d *device) completed(ctx context.Context, f *fileState) bool {
	f.complete, f.data = true, nil
	d.h.c.uploadsCompleted.Add(1)
	d.h.c.bytesUploaded.Add(f.size)
	d.h.journal.write(journalEntry{Device: d.name, Kind: "upload", ID: f.uploadPath, MediaID: f.mediaID,
		Inspection: f.inspection, Offset: f.ackedOffset, Length: f.size, SHA256: f.sha256})
	for attempt := 1; ; attempt++ {
		m, err := d.api.mediaMeta(ctx, f.mediaID)
		if err == nil {
			switch {
			case m.Status != "verified":
				// A phone would now drop its copy of evidence the server
				// has not accepted.
				d.h.violate(invLost, "%s: media %s: %s answered offset %d of %d, yet the server says the file is %s",
					d.name, f.mediaID, f.answeredBy, f.ackedOffset, f.size, m.Status)
			case m.SHA256 != f.sha256 || m.Size != f.size:
				d.h.violate(invHalfWritten, "%s: media %s is verified as %d bytes with sha256 %s; the device sent %d bytes with sha256 %s",
					d.name, f.mediaID, m.Size, m.SHA256, f.size, f.sha256)
			}
			return true
		}
		if !transient(err) {
			d.h.violate(invUnexpected, "%s: meta of media %s answered %v", d.name, f.mediaID, err)
			return true
		}
		d.h.c.countFailure("meta", err)
		if !d.sleep(ctx, attempt) {
			return false
		}
	}
}

// chunkLen picks how much of the rest to send in one request: sometimes
// all of it, often less, sometimes a size that ends between stored parts.
func (d *device) chunkLen(offset, length int64) int64 {
	rest := length - offset
	switch r := d.rng.Float64(); {
	case r < 0.35:
		return rest
	case r < 0.7:
		return min(rest, 1+d.rng.Int64N(4<<20))
	default:
		return min(rest, (1+d.rng.Int64N(2))*(5<<20)) // whole parts
	}
}

// paced feeds a body at a chosen rate, so that kills land while bodies
// are on the wire; sometimes at full speed.
func (d *device) paced(data []byte) io.Reader {
	rates := d.h.cfg.Rates
	rate := rates[d.rng.IntN(len(rates))]
	if rate <= 0 {
		return bytes.NewReader(data)
	}
	return &pacedReader{data: data, rate: rate}
}

type pacedReader struct {
	data  []byte
	pos   int
	rate  int64 // bytes per second
	start time.Time
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if p.pos >= len(p.data) {
		return 0, io.EOF
	}
	if p.start.IsZero() {
		p.start = time.Now()
	}
	due := time.Duration(float64(p.pos) / float64(p.rate) * float64(time.Second))
	if wait := due - time.Since(p.start); wait > 0 {
		time.Sleep(wait)
	}
	n := copy(b[:min(len(b), 64<<10)], p.data[p.pos:])
	p.pos += n
	return n, nil
}
