package crash

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // reads the server's SQLite file after it stopped
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

type checkFigures struct {
	verifiedFiles, auditEvents int64
}

// finalChecks runs once the devices are done: the audit chain through the
// API, then a clean stop, then the command-line verification and the data
// files themselves against what the devices were answered.
func (h *harness) finalChecks(ctx context.Context, devices []*device) (checkFigures, error) {
	var figs checkFigures
	admin := newAPIClient(h.base)
	if err := retry(ctx, func() error { return admin.login(ctx, "crash-admin", password) }); err != nil {
		return figs, fmt.Errorf("admin sign-in after the run: %w", err)
	}
	var ok bool
	err := retry(ctx, func() (err error) { ok, figs.auditEvents, err = admin.auditVerify(ctx); return err })
	switch {
	case err != nil:
		h.violate(invAudit, "GET /api/v1/audit/verify answered %v", err)
	case !ok:
		h.violate(invAudit, "GET /api/v1/audit/verify says the chain is broken after %d events", figs.auditEvents)
	}
	if err := h.server.stop(30 * time.Second); err != nil {
		h.violate(invUnexpected, "clean stop: %v", err)
	}
	verified := h.runVerify(ctx)

	db, err := sql.Open("sqlite3", "file:"+filepath.Join(h.dataDir, "returnbench.db")+"?_busy_timeout=5000")
	if err != nil {
		return figs, err
	}
	defer db.Close()
	if err := h.checkIntegrity(db); err != nil {
		return figs, err
	}
	st, err := loadState(db)
	if err != nil {
		return figs, fmt.Errorf("read the server's records: %w", err)
	}
	if n := int64(len(st.auditRows)); figs.auditEvents != n {
		h.violate(invAudit, "the audit chain verified %d events, the table holds %d", figs.auditEvents, n)
	}
	h.checkMutations(st, devices)
	h.checkInspections(st, devices)
	figs.verifiedFiles = h.checkMedia(ctx, st, devices)
	if verified != figs.verifiedFiles {
		h.violate(invHalfWritten, "returnbench verify checked %d files; %d media are verified", verified, figs.verifiedFiles)
	}
	return figs, nil
}

// retry repeats a call through transient failures for up to a minute.
func retry(ctx context.Context, call func() error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := call()
		if err == nil || !transient(err) || time.Now().After(deadline) {
			return err
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

var checkedLine = regexp.MustCompile(`checked (\d+) files`)

// runVerify runs `returnbench verify`, which re-reads every verified file
// from the store, and returns how many it checked.
func (h *harness) runVerify(ctx context.Context) int64 {
	cmd := exec.CommandContext(ctx, h.cfg.Bin, append([]string{"verify", "--log-level", "warn"}, h.serverFlags()...)...)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.violate(invHalfWritten, "returnbench verify: %v\n%s", err, out)
	}
	m := checkedLine.FindSubmatch(out)
	if m == nil {
		h.violate(invUnexpected, "returnbench verify printed no count:\n%s", out)
		return -1
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n
}

func (h *harness) checkIntegrity(db *sql.DB) error {
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("integrity_check: %w", err)
	}
	var lines []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		lines = append(lines, s)
	}
	rows.Close()
	if len(lines) != 1 || lines[0] != "ok" {
		h.violate(invIntegrity, "PRAGMA integrity_check: %s", strings.Join(lines, "; "))
	}
	rows, err = db.Query("PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("foreign_key_check: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fk sql.NullInt64
		rows.Scan(&table, &rowid, &parent, &fk)
		h.violate(invIntegrity, "PRAGMA foreign_key_check: row %d of %s points to a missing %s", rowid.Int64, table, parent)
	}
	return nil
}

// state is the server's records, read after it stopped.
type state struct {
	mutations   map[string]mutationRow
	inspections map[string]inspectionRow
	media       map[string]mediaRow
	// audit[entity/id][action] and changes[entity/id] count rows.
	audit     map[string]map[string]int
	changes   map[string]int
	units     map[string]int // per inspection
	uploads   map[string][]uploadRow
	auditRows []int64
}

type mutationRow struct{ clientID, typ, status string }

type inspectionRow struct {
	version int64
	notes   string
	status  string
	grade   string
}

type mediaRow struct {
	id, inspection, status, sha256, key string
	size                                int64
}

type uploadRow struct {
	id, status     string
	offset, length int64
}

func loadState(db *sql.DB) (*state, error) {
	st := &state{mutations: map[string]mutationRow{}, inspections: map[string]inspectionRow{}, media: map[string]mediaRow{},
		audit: map[string]map[string]int{}, changes: map[string]int{}, units: map[string]int{}, uploads: map[string][]uploadRow{}}
	each := func(query string, scan func(*sql.Rows) error) error {
		rows, err := db.Query(query)
		if err != nil {
			return fmt.Errorf("%s: %w", query, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("%s: %w", query, err)
			}
		}
		return rows.Err()
	}
	err := each("SELECT id, client_id, type, status FROM mutations", func(r *sql.Rows) error {
		var id string
		var m mutationRow
		err := r.Scan(&id, &m.clientID, &m.typ, &m.status)
		st.mutations[id] = m
		return err
	})
	if err == nil {
		err = each("SELECT id, version, notes, status, grade FROM inspections", func(r *sql.Rows) error {
			var id string
			var in inspectionRow
			err := r.Scan(&id, &in.version, &in.notes, &in.status, &in.grade)
			st.inspections[id] = in
			return err
		})
	}
	if err == nil {
		err = each("SELECT id, inspection_id, status, sha256, storage_key, size FROM media", func(r *sql.Rows) error {
			var m mediaRow
			err := r.Scan(&m.id, &m.inspection, &m.status, &m.sha256, &m.key, &m.size)
			st.media[m.id] = m
			return err
		})
	}
	if err == nil {
		err = each("SELECT seq, entity, entity_id, action FROM audit_events ORDER BY seq", func(r *sql.Rows) error {
			var seq int64
			var entity, id, action string
			err := r.Scan(&seq, &entity, &id, &action)
			key := entity + "/" + id
			if st.audit[key] == nil {
				st.audit[key] = map[string]int{}
			}
			st.audit[key][action]++
			st.auditRows = append(st.auditRows, seq)
			return err
		})
	}
	if err == nil {
		err = each("SELECT entity, entity_id FROM changes", func(r *sql.Rows) error {
			var entity, id string
			err := r.Scan(&entity, &id)
			st.changes[entity+"/"+id]++
			return err
		})
	}
	if err == nil {
		err = each("SELECT inspection_id FROM unit_labels", func(r *sql.Rows) error {
			var id string
			err := r.Scan(&id)
			st.units[id]++
			return err
		})
	}
	if err == nil {
		err = each(`SELECT id, media_id, status, "offset", length FROM uploads`, func(r *sql.Rows) error {
			var u uploadRow
			var mediaID string
			err := r.Scan(&u.id, &mediaID, &u.status, &u.offset, &u.length)
			st.uploads[mediaID] = append(st.uploads[mediaID], u)
			return err
		})
	}
	return st, err
}

// checkMutations: every mutation a device was answered applied is
// recorded as applied, under that device; the table holds nothing else.
func (h *harness) checkMutations(st *state, devices []*device) {
	known := map[string]bool{}
	for _, d := range devices {
		for id, m := range d.muts {
			known[id] = true
			if !m.acked {
				continue
			}
			rec, ok := st.mutations[id]
			switch {
			case !ok:
				h.violate(invLost, "%s: mutation %s (%s, seq %d, on %s) was answered %s and is not in the mutations table",
					d.name, id, m.Type, m.Seq, m.inspection, m.status)
			case rec.status != m.status:
				h.violate(invLost, "%s: mutation %s (%s) was answered %s and is recorded %s", d.name, id, m.Type, m.status, rec.status)
			case rec.clientID != d.clientID || rec.typ != m.Type:
				h.violate(invUnexpected, "%s: mutation %s is recorded for client %s as %s, sent by %s as %s",
					d.name, id, rec.clientID, rec.typ, d.clientID, m.Type)
			}
		}
	}
	for id, rec := range st.mutations {
		if !known[id] {
			h.violate(invUnexpected, "mutation %s (%s from %s) is recorded but no device made it", id, rec.typ, rec.clientID)
		}
	}
}

// checkInspections: each inspection holds exactly the effect of the
// mutations the device was answered for, once each: its version counts
// them, its notes are the last save's, and its audit events and feed rows
// are one per write.
func (h *harness) checkInspections(st *state, devices []*device) {
	for _, d := range devices {
		answered := map[string]bool{}
		for _, in := range d.insps {
			answered[in.id] = true
		}
		for _, m := range d.muts {
			if !m.acked {
				answered[m.inspection] = false // the device gave up on it and said why
			}
		}
		for _, in := range d.insps {
			if !answered[in.id] {
				continue
			}
			row, ok := st.inspections[in.id]
			if !ok {
				h.violate(invLost, "%s: inspection %s (%d acknowledged writes) is not on the server", d.name, in.id, in.version)
				continue
			}
			switch {
			case row.version < in.version:
				h.violate(invLost, "%s: inspection %s is at version %d; %d writes were acknowledged", d.name, in.id, row.version, in.version)
			case row.version > in.version:
				h.violate(invDuplicate, "%s: inspection %s is at version %d; only %d writes were made", d.name, in.id, row.version, in.version)
			case row.notes != in.notes:
				h.violate(invLost, "%s: inspection %s has notes %q; the last acknowledged save wrote %q", d.name, in.id, row.notes, in.notes)
			}
			wantStatus := "draft"
			if in.completed {
				wantStatus = "completed"
			}
			if row.status != wantStatus {
				h.violate(invLost, "%s: inspection %s is %s, want %s", d.name, in.id, row.status, wantStatus)
			}
			h.expectCount(d, "audit events inspection.create", in.id, st.audit["inspection/"+in.id]["inspection.create"], 1)
			h.expectCount(d, "audit events inspection.save", in.id, st.audit["inspection/"+in.id]["inspection.save"], in.saves)
			h.expectCount(d, "audit events inspection.complete", in.id, st.audit["inspection/"+in.id]["inspection.complete"], b2i(in.completed))
			h.expectCount(d, "feed rows", in.id, st.changes["inspection/"+in.id], 1+in.saves+b2i(in.completed))
			h.expectCount(d, "unit labels", in.id, st.units[in.id], b2i(in.completed && in.grade == "resellable"))
		}
	}
}

func (h *harness) expectCount(d *device, what, id string, got, want int) {
	switch {
	case got > want:
		h.violate(invDuplicate, "%s: %s of %s: %d, want %d", d.name, what, id, got, want)
	case got < want:
		h.violate(invLost, "%s: %s of %s: %d, want %d", d.name, what, id, got, want)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkMedia: every file a device saw acknowledged whole is verified with
// the SHA-256 the device computed, has one finished upload and one
// verification event; every verified file's stored bytes hash to it; no
// file was rejected, since every device sent the right bytes. It returns
// the number of verified files.
func (h *harness) checkMedia(ctx context.Context, st *state, devices []*device) int64 {
	sent := map[string]*fileState{}
	for _, d := range devices {
		for _, f := range d.files {
			sent[f.mediaID] = f
			if !f.complete {
				continue // the device gave up on it and said why
			}
			row, ok := st.media[f.mediaID]
			switch {
			case !ok:
				h.violate(invLost, "%s: media %s was acknowledged complete and has no record", d.name, f.mediaID)
				continue
			case row.status != "verified":
				h.violate(invLost, "%s: media %s was acknowledged complete and is %s", d.name, f.mediaID, row.status)
			case row.sha256 != f.sha256 || row.size != f.size:
				h.violate(invHalfWritten, "%s: media %s is verified as %d bytes with sha256 %s; the device sent %d bytes with sha256 %s",
					d.name, f.mediaID, row.size, row.sha256, f.size, f.sha256)
			}
			h.expectCount(d, "audit events media.verified", f.mediaID, st.audit["media/"+f.mediaID]["media.verified"], 1)
			h.expectCount(d, "audit events media.declare", f.mediaID, st.audit["media/"+f.mediaID]["media.declare"], b2i(f.declared))
			finished := 0
			for _, u := range st.uploads[f.mediaID] {
				if u.status == "complete" {
					finished++
					if u.offset != u.length {
						h.violate(invHalfWritten, "%s: upload %s of media %s is complete at offset %d of %d", d.name, u.id, f.mediaID, u.offset, u.length)
					}
				}
			}
			h.expectCount(d, "finished uploads", f.mediaID, finished, 1)
		}
	}
	var verified int64
	for _, row := range st.media {
		if row.status == "rejected" {
			h.violate(invLost, "media %s was rejected, though every device sent the bytes it declared", row.id)
		}
		if row.status != "verified" {
			continue
		}
		verified++
		got, n, err := h.hashStored(ctx, row.key)
		want := row.sha256
		if f := sent[row.id]; f != nil {
			want = f.sha256
		}
		switch {
		case err != nil:
			h.violate(invHalfWritten, "media %s is verified but its bytes cannot be read (%s): %v", row.id, row.key, err)
		case got != want || got != row.sha256 || n != row.size:
			h.violate(invHalfWritten, "media %s is verified but its stored bytes are %d with sha256 %s; recorded %d with %s, sent with %s",
				row.id, n, got, row.size, row.sha256, want)
		}
	}
	return verified
}

// hashStored reads a stored file straight from the disk or the bucket.
func (h *harness) hashStored(ctx context.Context, key string) (string, int64, error) {
	var r io.ReadCloser
	if h.cfg.Mode == KillS3 {
		client, err := h.newS3Client()
		if err != nil {
			return "", 0, err
		}
		obj, err := client.GetObject(ctx, h.s3.bucket, key, minio.GetObjectOptions{})
		if err != nil {
			return "", 0, err
		}
		r = obj
	} else {
		f, err := os.Open(filepath.Join(h.dataDir, "media", "objects", filepath.FromSlash(key)))
		if err != nil {
			return "", 0, err
		}
		r = f
	}
	defer r.Close()
	sum := sha256.New()
	n, err := io.Copy(sum, r)
	return hex.EncodeToString(sum.Sum(nil)), n, err
}

// newS3Client talks to the run's MinIO directly, past returnbench.
func (h *harness) newS3Client() (*minio.Client, error) {
	return minio.New(h.s3.endpoint, &minio.Options{Creds: credentials.NewStaticV4(h.s3.accessKey, h.s3.secretKey, "")})
}
