package media

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/returnbench/returnbench/inspection"
)

// Disk keeps evidence under a directory: objects/<key> for stored files,
// staging/<upload id> for files being uploaded (each part written at its
// place and synced), scratch/<key> for chunk tails.
type Disk struct {
	root string
}

// NewDisk prepares the directory tree under root.
func NewDisk(root string) (*Disk, error) {
	for _, dir := range []string{"objects", "staging", "scratch"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o750); err != nil {
			return nil, fmt.Errorf("media dir: %w", err)
		}
	}
	return &Disk{root: root}, nil
}

// path joins a generated key under one of the trees, refusing anything that
// could climb out of it. Keys are made by the server, never by clients; this
// is a second line of defence.
func (d *Disk) path(tree, key string) (string, error) {
	clean := filepath.Clean("/" + key)
	if clean == "/" || strings.Contains(key, "..") || strings.ContainsRune(key, 0) {
		return "", fmt.Errorf("bad storage key %q", key)
	}
	return filepath.Join(d.root, tree, clean), nil
}

func (d *Disk) Describe() string { return "disk:" + d.root }

// Ping checks that the directory is there and writable.
func (d *Disk) Ping(ctx context.Context) error {
	f, err := os.CreateTemp(filepath.Join(d.root, "scratch"), "ping-*")
	if err != nil {
		return fmt.Errorf("media dir not writable: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func (d *Disk) StartMultipart(ctx context.Context, key, contentType string) (string, error) {
	id := newID()
	p, _ := d.path("staging", id)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return "", fmt.Errorf("create staging file: %w", err)
	}
	return id, f.Close()
}

// PutPart writes the part at its place in the staging file and syncs it, so
// an acknowledged part survives a crash.
func (d *Disk) PutPart(ctx context.Context, key, uploadID string, number int, offset int64, data []byte) (Part, error) {
	p, err := d.path("staging", uploadID)
	if err != nil {
		return Part{}, err
	}
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		return Part{}, translateDisk(err, "upload")
	}
	defer f.Close()
	if _, err := f.WriteAt(data, offset); err != nil {
		return Part{}, fmt.Errorf("write part: %w", err)
	}
	if err := f.Sync(); err != nil {
		return Part{}, fmt.Errorf("sync part: %w", err)
	}
	return Part{Number: number, ETag: fmt.Sprintf("disk-%d-%d", number, len(data)), Size: int64(len(data))}, nil
}

// CompleteMultipart moves the staging file into place once its size is
// exactly the parts' total. Doing it again after a crash is harmless.
func (d *Disk) CompleteMultipart(ctx context.Context, key, uploadID string, parts []Part) error {
	var total int64
	for _, p := range parts {
		total += p.Size
	}
	dst, err := d.path("objects", key)
	if err != nil {
		return err
	}
	src, _ := d.path("staging", uploadID)
	if err := os.Truncate(src, total); err != nil {
		if st, serr := os.Stat(dst); errors.Is(err, fs.ErrNotExist) && serr == nil && st.Size() == total {
			return nil // completed before a crash
		}
		return fmt.Errorf("finish staging file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return fmt.Errorf("object dir: %w", err)
	}
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("store object: %w", err)
	}
	return syncDir(filepath.Dir(dst))
}

func (d *Disk) AbortMultipart(ctx context.Context, key, uploadID string) error {
	p, err := d.path("staging", uploadID)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (d *Disk) PutScratch(ctx context.Context, key string, data []byte) error {
	p, err := d.path("scratch", key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return err
	}
	return writeFileSync(p, data)
}

func (d *Disk) GetScratch(ctx context.Context, key string) ([]byte, error) {
	p, err := d.path("scratch", key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	return b, translateDisk(err, "Upload data")
}

func (d *Disk) DeleteScratch(ctx context.Context, key string) error {
	p, err := d.path("scratch", key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	os.Remove(filepath.Dir(p)) // the upload's scratch folder, once empty
	return nil
}

type diskObject struct {
	*os.File
	size int64
}

func (o diskObject) Size() int64 { return o.size }

func (d *Disk) Open(ctx context.Context, key string) (Object, error) {
	p, err := d.path("objects", key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, translateDisk(err, "Media file")
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return diskObject{File: f, size: st.Size()}, nil
}

func (d *Disk) Delete(ctx context.Context, key string) error {
	p, err := d.path("objects", key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Retain makes the file read-only. Unlike S3 Object Lock this stops
// mistakes, not a root user; `returnbench verify` re-hashes files to catch
// anything changed behind our back.
func (d *Disk) Retain(ctx context.Context, key string, until time.Time) error {
	p, err := d.path("objects", key)
	if err != nil {
		return err
	}
	return os.Chmod(p, 0o440)
}

func translateDisk(err error, what string) error {
	if errors.Is(err, fs.ErrNotExist) {
		return inspection.Errorf(inspection.ENOTFOUND, "%s not found.", what)
	}
	return err
}

func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
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
	return f.Sync()
}
