package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/media"
	"github.com/returnbench/returnbench/server"
	"github.com/returnbench/returnbench/store"
)

// A backup is a directory:
//
//	manifest.json        written last: a directory without it is not a backup
//	returnbench.db       the SQLite database as of one commit
//	media/<storage key>  every verified evidence file that database refers to
//
// What a consistent restore needs is that every file the restored database
// vouches for is there with the bytes it recorded, and nothing else matters.
// Local evidence files are write-once: a file is in place before the commit
// that marks its media verified, and a verified file is never rewritten or
// removed. So the database is copied first, then exactly the files its
// verified media name, from the live media dir, each checked against its
// record as it is copied. Files that arrived after the copy are left out: no
// record in the backup refers to them. Uploads still in flight are left out
// too: their parts were not complete, and restore ends those uploads so the
// devices send the files again. Files are copied, never hard-linked: a link
// shares the live file's bytes, so changing or damaging evidence in place
// would change the backup with it.
const (
	backupFormat  = "returnbench-backup/1"
	manifestName  = "manifest.json"
	backupDBName  = "returnbench.db"
	backupMediaIn = "media"
)

type backupManifest struct {
	Format        string    `json:"format"`
	CreatedAt     time.Time `json:"created_at"`
	SchemaVersion int64     `json:"schema_version"`
	Epoch         string    `json:"epoch"` // the sync epoch of the copy; restore starts a new one
	FeedSeq       int64     `json:"feed_seq"`
	AuditEvents   int64     `json:"audit_events"`
	// MediaIncluded is false when evidence lives in S3: then the files stay
	// in the bucket, and MediaNote says so.
	MediaIncluded bool         `json:"media_included"`
	MediaNote     string       `json:"media_note,omitempty"`
	Files         []backupFile `json:"files"`
}

type backupFile struct {
	Path       string `json:"path"` // slash-separated, inside the backup
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
	MediaID    string `json:"media_id,omitempty"`
	StorageKey string `json:"storage_key,omitempty"`
}

const backupUsage = "usage: returnbench backup --data-dir DIR --out DEST (DEST must not exist)"

// backup copies a live SQLite data dir while the server keeps serving.
func (m *Main) backup(ctx context.Context, args []string) error {
	var out string
	cfg, rest, err := m.parseConfig("backup", args, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "the backup directory to create; it must not exist")
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("backup takes no arguments, got %q\n%s", rest, backupUsage)
	}
	switch {
	case isPostgres(cfg.DatabaseURL):
		help, err := postgresBackupHelp(cfg, out, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprint(m.Stdout, help)
		return errors.New("nothing was backed up: a PostgreSQL database is backed up with pg_dump, as shown above")
	case cfg.DatabaseURL != "":
		return errors.New("database URL must start with postgres:// (or be empty for SQLite)")
	case out == "":
		return errors.New(backupUsage)
	}
	db := store.SQLiteFile(cfg.DataDir)
	if _, err := os.Stat(db); err != nil {
		return fmt.Errorf("nothing was backed up: there is no database at %s: check --data-dir (RETURNBENCH_DATA_DIR)", db)
	}
	// A shared lock, as a server holds: backups run beside servers, but not
	// while a restore swaps the files.
	lock, err := lockDataDir(cfg.DataDir, false)
	if err != nil {
		return fmt.Errorf("nothing was backed up: %w", err)
	}
	defer lock.Release()
	if err := os.MkdirAll(filepath.Dir(out), 0o750); err != nil {
		return fmt.Errorf("nothing was backed up: %w", err)
	}
	if err := os.Mkdir(out, 0o750); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("nothing was backed up: %s already exists, and a backup never overwrites anything: choose a new --out", out)
		}
		return fmt.Errorf("nothing was backed up: %w", err)
	}
	man, manSum, err := writeBackup(ctx, cfg, out)
	if err != nil {
		// out did not exist before this run: all of it is this run's.
		os.RemoveAll(out)
		return fmt.Errorf("backup failed, %s removed: %w", out, err)
	}
	var evidence int64
	for _, f := range man.Files[1:] {
		evidence += f.Size
	}
	fmt.Fprintf(m.Stdout, "backed up %s to %s\n", cfg.DataDir, out)
	fmt.Fprintf(m.Stdout, "  database: schema %d, %d audit events, feed at %d, %s\n",
		man.SchemaVersion, man.AuditEvents, man.FeedSeq, humanSize(man.Files[0].Size))
	if man.MediaIncluded {
		fmt.Fprintf(m.Stdout, "  evidence: %d files, %s, each matching its recorded SHA-256\n", len(man.Files)-1, humanSize(evidence))
	} else {
		fmt.Fprintf(m.Stdout, "  evidence: not included: %s\n", man.MediaNote)
	}
	fmt.Fprintf(m.Stdout, "  manifest: %s (sha256 %s)\n", filepath.Join(out, manifestName), manSum)
	fmt.Fprintf(m.Stdout, "restore with the server stopped: returnbench restore --from %s --data-dir %s\n", out, cfg.DataDir)
	return nil
}

// writeBackup fills out, the manifest last, and returns the manifest and
// its SHA-256.
func writeBackup(ctx context.Context, cfg server.Config, out string) (*backupManifest, string, error) {
	dbCopy := filepath.Join(out, backupDBName)
	snap, err := store.BackupSQLite(ctx, cfg.DataDir, dbCopy)
	if err != nil {
		return nil, "", err
	}
	man := &backupManifest{
		Format: backupFormat, CreatedAt: time.Now().UTC(), SchemaVersion: snap.SchemaVersion,
		Epoch: snap.Epoch, FeedSeq: snap.ChangeSeq, AuditEvents: snap.AuditSeq, Files: []backupFile{},
	}
	dbFile, err := hashFile(dbCopy)
	if err != nil {
		return nil, "", err
	}
	dbFile.Path = backupDBName
	man.Files = append(man.Files, dbFile)
	if err := os.Chmod(dbCopy, 0o440); err != nil {
		return nil, "", err
	}

	if cfg.S3Endpoint != "" {
		man.MediaNote = fmt.Sprintf("evidence stays in S3 (bucket %s at %s): protect it there with versioning and Object Lock", cfg.S3Bucket, cfg.S3Endpoint)
	} else {
		man.MediaIncluded = true
		// The server's own layout: local evidence lives under DATA_DIR/media.
		disk, err := media.NewDisk(filepath.Join(cfg.DataDir, "media"))
		if err != nil {
			return nil, "", err
		}
		dirs := map[string]bool{}
		for i := range snap.Media {
			f, err := copyEvidence(ctx, disk, &snap.Media[i], out)
			if err != nil {
				return nil, "", err
			}
			man.Files = append(man.Files, f)
			dirs[filepath.Dir(filepath.Join(out, filepath.FromSlash(f.Path)))] = true
		}
		for dir := range dirs {
			if err := syncDir(dir); err != nil {
				return nil, "", err
			}
		}
	}

	body, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, "", err
	}
	if err := writeSynced(filepath.Join(out, manifestName), body); err != nil {
		return nil, "", fmt.Errorf("write the manifest: %w", err)
	}
	if err := syncDir(out); err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(body)
	return man, hex.EncodeToString(sum[:]), nil
}

// copyEvidence copies one verified file into the backup and checks it
// against its record on the way: a backup that holds evidence which no
// longer matches would only fail later, at restore or verify.
func copyEvidence(ctx context.Context, disk *media.Disk, md *inspection.Media, out string) (backupFile, error) {
	rel, err := evidencePath(md.StorageKey)
	if err != nil {
		return backupFile{}, fmt.Errorf("media %s: %w", md.ID, err)
	}
	obj, err := disk.Open(ctx, md.StorageKey)
	if err != nil {
		return backupFile{}, fmt.Errorf("the file of media %s (%s) cannot be read (%s): 'returnbench verify' lists every damaged or missing file",
			md.ID, md.StorageKey, inspection.ErrorMessageOrText(err))
	}
	defer obj.Close()
	dst := filepath.Join(out, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return backupFile{}, err
	}
	// Read-only in the backup: nothing has a reason to change it.
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o440)
	if err != nil {
		return backupFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), obj)
	if err != nil {
		return backupFile{}, fmt.Errorf("copy media %s (%s): %w", md.ID, md.StorageKey, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if n != md.Size || got != md.SHA256 {
		return backupFile{}, fmt.Errorf("the file of media %s (%s) no longer matches its record (%d bytes, sha256 %s; recorded %d bytes, %s): 'returnbench verify' lists every damaged or missing file",
			md.ID, md.StorageKey, n, got, md.Size, md.SHA256)
	}
	if err := f.Sync(); err != nil {
		return backupFile{}, err
	}
	return backupFile{Path: rel, Size: n, SHA256: got, MediaID: md.ID, StorageKey: md.StorageKey}, f.Close()
}

// evidencePath is where a storage key's file sits in a backup. Keys are
// made by the server; a key that could climb out of the backup is refused
// all the same, as is a manifest entry naming one.
func evidencePath(key string) (string, error) {
	if key == "" || strings.Contains(key, `\`) || !filepath.IsLocal(filepath.FromSlash(key)) || path.Clean(key) != key {
		return "", fmt.Errorf("bad storage key %q", key)
	}
	return backupMediaIn + "/" + key, nil
}

const restoreUsage = "usage: returnbench restore --from DEST --data-dir DIR (with the server stopped)\n" +
	"       returnbench restore --new-epoch --database-url postgres://... (after pg_restore)"

// restore puts a backup in place of a data dir's database and media, or
// (--new-epoch) only starts a new sync epoch in a database restored by
// other means.
func (m *Main) restore(ctx context.Context, args []string) error {
	var from string
	var newEpoch bool
	cfg, rest, err := m.parseConfig("restore", args, func(fs *flag.FlagSet) {
		fs.StringVar(&from, "from", "", "a backup directory made by 'returnbench backup'")
		fs.BoolVar(&newEpoch, "new-epoch", false, "only start a new sync epoch in the database as it is (after pg_restore)")
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("restore takes no arguments, got %q\n%s", rest, restoreUsage)
	}
	switch {
	case isPostgres(cfg.DatabaseURL) && (from != "" || !newEpoch):
		help, err := postgresRestoreHelp(cfg, "returnbench.dump")
		if err != nil {
			return err
		}
		fmt.Fprint(m.Stdout, help)
		return errors.New("nothing was restored: a PostgreSQL database comes back with pg_restore, then 'returnbench restore --new-epoch', as shown above")
	case isPostgres(cfg.DatabaseURL):
		return m.startEpoch(ctx, cfg, store.RestoreNote{Source: "pg_restore"})
	case cfg.DatabaseURL != "":
		return errors.New("database URL must start with postgres:// (or be empty for SQLite)")
	case from == "" && !newEpoch:
		return errors.New(restoreUsage)
	}
	lock, err := lockDataDir(cfg.DataDir, true)
	if err != nil {
		return fmt.Errorf("nothing was restored: %w", err)
	}
	defer lock.Release()
	if from == "" {
		if _, err := os.Stat(store.SQLiteFile(cfg.DataDir)); err != nil {
			return fmt.Errorf("there is no database at %s: check --data-dir (RETURNBENCH_DATA_DIR)", store.SQLiteFile(cfg.DataDir))
		}
		return m.startEpoch(ctx, cfg, store.RestoreNote{Source: "new-epoch"})
	}
	if err := m.restoreBackup(ctx, cfg, from); err != nil {
		return fmt.Errorf("nothing was restored: %w", err)
	}
	return nil
}

// startEpoch opens a database restored by other means (pg_restore) and
// makes it safe to serve.
func (m *Main) startEpoch(ctx context.Context, cfg server.Config, note store.RestoreNote) error {
	where := store.SQLiteFile(cfg.DataDir)
	if cfg.DatabaseURL != "" {
		u, err := url.Parse(cfg.DatabaseURL)
		if err != nil {
			return fmt.Errorf("database URL: %w", err)
		}
		where = u.Redacted()
	}
	st, err := store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Log: m.logger(cfg)})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()
	audit, err := st.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	r, err := st.MarkRestored(ctx, "cli", note)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "marked %s as restored\n", where)
	m.printAudit(audit)
	m.printEpoch(r)
	return nil
}

func (m *Main) printAudit(a store.AuditVerification) {
	if a.OK {
		fmt.Fprintf(m.Stdout, "  audit chain: %d events, intact\n", a.Events)
		return
	}
	at := "at its end (events were removed)"
	if a.FirstBadEvent != nil {
		at = fmt.Sprintf("at event %d", a.FirstBadEvent.Seq)
	}
	fmt.Fprintf(m.Stdout, "  WARNING audit chain: broken %s; the database is restored as it was backed up\n", at)
}

func (m *Main) printEpoch(r store.Restored) {
	fmt.Fprintf(m.Stdout, "  new sync epoch %s (was %s): every device's cursor now gets 410 and the device pulls everything again\n",
		r.Epoch, r.PreviousEpoch)
	if r.ExpiredUploads > 0 {
		fmt.Fprintf(m.Stdout, "  %d uploads in flight were ended: their devices send those files again\n", r.ExpiredUploads)
	}
}

// restoreBackup checks the whole backup into a staging dir inside the data
// dir, makes the staged database safe to serve, and only then swaps it in:
// any failure before the swap leaves the data dir as it was.
func (m *Main) restoreBackup(ctx context.Context, cfg server.Config, from string) error {
	man, manSum, err := readManifest(from)
	if err != nil {
		return err
	}
	latest, err := store.LatestSchemaVersion()
	if err != nil {
		return err
	}
	if man.SchemaVersion > latest {
		return fmt.Errorf("the backup is at schema version %d, written by a newer returnbench than this one (schema %d): restore it with that version or later",
			man.SchemaVersion, latest)
	}
	if man.MediaIncluded && cfg.S3Endpoint != "" {
		return errors.New("the backup holds evidence files for local disk, but this server keeps evidence in S3 (--s3-endpoint): restore with the settings the backup was made with")
	}
	stage, err := os.MkdirTemp(cfg.DataDir, ".restore-")
	if err != nil {
		return fmt.Errorf("staging dir: %w", err)
	}
	defer os.RemoveAll(stage)

	var disk *media.Disk
	if man.MediaIncluded {
		if disk, err = media.NewDisk(filepath.Join(stage, "media")); err != nil {
			return err
		}
	}
	var evidenceBytes int64
	for _, f := range man.Files {
		src := filepath.Join(from, filepath.FromSlash(f.Path))
		if f.Path == backupDBName {
			err = copyChecked(src, filepath.Join(stage, backupDBName), f)
		} else {
			err = restoreEvidence(ctx, disk, src, f, cfg.RetentionDays)
			evidenceBytes += f.Size
		}
		if err != nil {
			return err
		}
	}

	st, err := store.Open(ctx, store.Config{DataDir: stage, Log: m.logger(cfg)})
	if err != nil {
		return fmt.Errorf("open the backed-up database: %w", err)
	}
	audit, err := st.VerifyAudit(ctx)
	if err == nil && man.MediaIncluded {
		err = checkEvidenceListed(ctx, st, man)
	}
	var r store.Restored
	if err == nil {
		r, err = st.MarkRestored(ctx, "cli", store.RestoreNote{BackupCreatedAt: man.CreatedAt, ManifestSHA256: manSum, Source: "backup"})
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}

	aside, err := swapIn(cfg.DataDir, stage, man.MediaIncluded)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "restored %s from %s (backup of %s, manifest sha256 %s)\n",
		cfg.DataDir, from, man.CreatedAt.Format(time.RFC3339), manSum)
	fmt.Fprintf(m.Stdout, "  database: schema %d, feed at %d; every file matches the manifest\n", man.SchemaVersion, man.FeedSeq)
	m.printAudit(audit)
	if man.MediaIncluded {
		fmt.Fprintf(m.Stdout, "  evidence: %d files, %s\n", len(man.Files)-1, humanSize(evidenceBytes))
	} else {
		fmt.Fprintf(m.Stdout, "  evidence: not in the backup: %s\n", man.MediaNote)
	}
	m.printEpoch(r)
	if aside != "" {
		fmt.Fprintf(m.Stdout, "  the replaced database and media are kept in %s: remove it yourself once it is no longer needed\n", aside)
	}
	return nil
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// readManifest reads and checks a backup's manifest: its format, and that
// every path stays inside the backup and names the database or a file of
// evidence exactly once.
func readManifest(from string) (*backupManifest, string, error) {
	if st, err := os.Stat(from); err != nil || !st.IsDir() {
		return nil, "", fmt.Errorf("%s is not a backup directory", from)
	}
	body, err := os.ReadFile(filepath.Join(from, manifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("%s has no %s: it is not a returnbench backup, or its backup did not finish", from, manifestName)
	} else if err != nil {
		return nil, "", err
	}
	var man backupManifest
	if err := json.Unmarshal(body, &man); err != nil {
		return nil, "", fmt.Errorf("%s: %w", filepath.Join(from, manifestName), err)
	}
	if man.Format != backupFormat {
		return nil, "", fmt.Errorf("%s is in format %q; this returnbench reads %q", from, man.Format, backupFormat)
	}
	seen := map[string]bool{}
	for _, f := range man.Files {
		bad := seen[f.Path] || !sha256Hex.MatchString(f.SHA256) || f.Size < 0
		if f.Path != backupDBName {
			p, err := evidencePath(f.StorageKey)
			bad = bad || err != nil || p != f.Path || !man.MediaIncluded
		}
		if bad {
			return nil, "", fmt.Errorf("the manifest's entry %q is not valid: the backup was changed or damaged", f.Path)
		}
		seen[f.Path] = true
	}
	if !seen[backupDBName] {
		return nil, "", fmt.Errorf("the manifest lists no %s: the backup was changed or damaged", backupDBName)
	}
	sum := sha256.Sum256(body)
	return &man, hex.EncodeToString(sum[:]), nil
}

// copyChecked copies src to a new file dst, refusing it unless its size and
// SHA-256 are the manifest's.
func copyChecked(src, dst string, want backupFile) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("%s is listed in the manifest but cannot be read: %w", want.Path, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	defer out.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err != nil {
		return fmt.Errorf("copy %s: %w", want.Path, err)
	}
	if err := checkFile(want, n, h.Sum(nil)); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	return out.Close()
}

// restoreEvidence stores one backed-up file in the staged media dir through
// the disk backend, so the layout stays the media package's business.
func restoreEvidence(ctx context.Context, disk *media.Disk, src string, want backupFile, retentionDays int) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("%s is listed in the manifest but cannot be read: %w", want.Path, err)
	}
	defer in.Close()
	id, err := disk.StartMultipart(ctx, want.StorageKey, "")
	if err != nil {
		return err
	}
	h := sha256.New()
	buf := make([]byte, 8<<20)
	var parts []media.Part
	var offset int64
	for {
		n, rerr := io.ReadFull(in, buf)
		if n > 0 {
			h.Write(buf[:n])
			p, err := disk.PutPart(ctx, want.StorageKey, id, len(parts)+1, offset, buf[:n])
			if err != nil {
				return fmt.Errorf("stage %s: %w", want.Path, err)
			}
			parts = append(parts, p)
			offset += int64(n)
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return fmt.Errorf("read %s: %w", want.Path, rerr)
		}
	}
	if err := checkFile(want, offset, h.Sum(nil)); err != nil {
		return err
	}
	if err := disk.CompleteMultipart(ctx, want.StorageKey, id, parts); err != nil {
		return fmt.Errorf("stage %s: %w", want.Path, err)
	}
	// Restored evidence gets the protection the server gives new evidence.
	if retentionDays > 0 {
		return disk.Retain(ctx, want.StorageKey, time.Now().AddDate(0, 0, retentionDays))
	}
	return nil
}

func checkFile(want backupFile, size int64, sum []byte) error {
	if got := hex.EncodeToString(sum); size != want.Size || got != want.SHA256 {
		return fmt.Errorf("%s does not match the manifest (%d bytes, sha256 %s; the manifest says %d bytes, %s): the backup was changed or damaged",
			want.Path, size, got, want.Size, want.SHA256)
	}
	return nil
}

// checkEvidenceListed makes sure the backup holds every file its database
// vouches for, with the same hash: a manifest trimmed by hand would
// otherwise restore without complaint and fail verification later.
func checkEvidenceListed(ctx context.Context, st *store.Store, man *backupManifest) error {
	listed := map[string]backupFile{}
	for _, f := range man.Files {
		if f.StorageKey != "" {
			listed[f.StorageKey] = f
		}
	}
	return st.VerifiedMedia(ctx, func(md *inspection.Media) error {
		if f, ok := listed[md.StorageKey]; !ok || f.SHA256 != md.SHA256 || f.Size != md.Size {
			return fmt.Errorf("the backed-up database records media %s (%s), which the backup does not hold: the backup was changed or damaged",
				md.ID, md.StorageKey)
		}
		return nil
	})
}

// swapIn moves the data dir's database (with its WAL and shm files: a WAL
// left beside the restored file would be replayed into it) and media dir
// aside into DATA_DIR/replaced-<time>-*, never deleting them, then moves the
// staged ones in. It undoes its moves if one fails.
func swapIn(dataDir, stage string, withMedia bool) (string, error) {
	names := []string{backupDBName, backupDBName + "-wal", backupDBName + "-shm", backupDBName + "-journal"}
	if withMedia {
		names = append(names, "media")
	}
	type move struct{ from, to string }
	var done []move
	rename := func(from, to string) error {
		if err := os.Rename(from, to); err != nil {
			for i := len(done) - 1; i >= 0; i-- {
				os.Rename(done[i].to, done[i].from)
			}
			return fmt.Errorf("put the restored files in place (the data dir is as it was): %w", err)
		}
		done = append(done, move{from, to})
		return nil
	}
	var aside string
	for _, name := range names {
		p := filepath.Join(dataDir, name)
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if aside == "" {
			var err error
			if aside, err = os.MkdirTemp(dataDir, "replaced-"+time.Now().UTC().Format("20060102T150405Z")+"-"); err != nil {
				return "", fmt.Errorf("make room for the replaced files: %w", err)
			}
		}
		if err := rename(p, filepath.Join(aside, name)); err != nil {
			return "", err
		}
	}
	for _, name := range names {
		p := filepath.Join(stage, name)
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := rename(p, filepath.Join(dataDir, name)); err != nil {
			return "", err
		}
	}
	for _, dir := range []string{aside, dataDir} {
		if dir == "" {
			continue
		}
		if err := syncDir(dir); err != nil {
			return aside, err
		}
	}
	return aside, nil
}

func hashFile(p string) (backupFile, error) {
	f, err := os.Open(p)
	if err != nil {
		return backupFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return backupFile{}, fmt.Errorf("hash %s: %w", p, err)
	}
	return backupFile{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func writeSynced(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o440)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func humanSize(n int64) string {
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

func isPostgres(dbURL string) bool {
	return strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://")
}

// postgresCommands are the command lines that back up and restore a
// PostgreSQL installation: the help texts print them and the tests run
// them. The restore goes to a new database beside the old one, which stays
// until the operator drops it.
type postgresCommands struct {
	Dump, CreateDB, Restore, NewEpoch []string
	RestoredURL                       string
}

func newPostgresCommands(dbURL, dumpFile string) (postgresCommands, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return postgresCommands{}, fmt.Errorf("database URL: %w", err)
	}
	if u.User != nil {
		// Printed commands end up in shell histories: the password comes
		// from PGPASSWORD or ~/.pgpass instead.
		u.User = url.User(u.User.Username())
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		name = "returnbench"
	}
	restored := *u
	restored.Path = "/" + name + "_restored"
	return postgresCommands{
		Dump:        []string{"pg_dump", "--format=custom", "--file=" + dumpFile, u.String()},
		CreateDB:    []string{"createdb", "--maintenance-db=" + u.String(), name + "_restored"},
		Restore:     []string{"pg_restore", "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges", "--dbname=" + restored.String(), dumpFile},
		NewEpoch:    []string{"returnbench", "restore", "--new-epoch", "--database-url", restored.String()},
		RestoredURL: restored.String(),
	}, nil
}

func postgresBackupHelp(cfg server.Config, out string, now time.Time) (string, error) {
	dump := out
	if dump == "" {
		dump = "returnbench-" + now.UTC().Format("20060102-150405") + ".dump"
	}
	c, err := newPostgresCommands(cfg.DatabaseURL, dump)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("returnbench backup copies a SQLite data dir. This installation runs on PostgreSQL, whose own tools\n")
	b.WriteString("take a consistent copy while the servers keep running:\n\n")
	fmt.Fprintf(&b, "  %s\n\n", shellJoin(c.Dump))
	restore, err := postgresRestoreHelp(cfg, dump)
	if err != nil {
		return "", err
	}
	b.WriteString(restore)
	return b.String(), nil
}

func postgresRestoreHelp(cfg server.Config, dump string) (string, error) {
	c, err := newPostgresCommands(cfg.DatabaseURL, dump)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "To restore %s, stop every returnbench instance, restore it into a new database (the old one\n", dump)
	b.WriteString("stays until you drop it) and start a new sync epoch there:\n\n")
	for _, cmd := range [][]string{c.CreateDB, c.Restore, c.NewEpoch} {
		fmt.Fprintf(&b, "  %s\n", shellJoin(cmd))
	}
	b.WriteString("\nthen set RETURNBENCH_DATABASE_URL to the restored database and start the instances. The new epoch\n")
	b.WriteString("makes every device's cursor get 410, so each device pulls everything again. Passwords are left out of\n")
	b.WriteString("these lines: give them in PGPASSWORD or ~/.pgpass.\n\n")
	if cfg.S3Endpoint != "" {
		b.WriteString("Evidence files are not in the dump: they stay in S3. Protect them there: turn on versioning for the\n")
		b.WriteString("bucket, and for tamper evidence create it through returnbench with RETURNBENCH_S3_OBJECT_LOCK=compliance\n")
		b.WriteString("and RETURNBENCH_RETENTION_DAYS (Object Lock can only be enabled when a bucket is created).\n")
	} else {
		media := filepath.Join(cfg.DataDir, "media")
		fmt.Fprintf(&b, "Evidence files are not in the dump: they are under %s. Copy that directory after pg_dump has\n", media)
		b.WriteString("finished (files are written once, before the database refers to them, so a copy taken after the dump\n")
		b.WriteString("holds every file the dump refers to), and put the copy back in its place when you restore.\n")
	}
	return b.String(), nil
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./=:@,+-]+$`)

// shellJoin quotes a command line for a POSIX shell.
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if shellSafe.MatchString(a) {
			quoted[i] = a
		} else {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}
