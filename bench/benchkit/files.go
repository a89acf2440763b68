package benchkit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// Cached makes the file at path with write, unless it exists already: test
// files that take minutes to generate are made once and kept in a cache
// dir between runs. write writes a temporary name (with path's extension,
// for tools that go by it) that is renamed into place, so an interrupted
// run leaves no short file that a later run would take for whole.
func Cached(path string, write func(tmp string) error) (made bool, err error) {
	if _, err := os.Stat(path); err == nil {
		return false, nil
	}
	tmp := path + ".tmp-" + strconv.Itoa(os.Getpid()) + filepath.Ext(path)
	defer os.Remove(tmp)
	if err := write(tmp); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, path)
}

// HashFile returns the size and SHA-256 (hex) of the file at path: what
// the server must say it holds once the file is uploaded.
func HashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	n, sum, err := HashReader(f)
	if err != nil {
		return 0, "", fmt.Errorf("hash %s: %w", path, err)
	}
	return n, sum, nil
}

// HashReader reads r to the end and returns its length and SHA-256 (hex).
func HashReader(r io.Reader) (int64, string, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return n, hex.EncodeToString(h.Sum(nil)), err
}

// MakeTempDir makes a run's own temp dir, prefix followed by random
// digits: the server's data and logs and the bench's files all go in it,
// so one RemoveTempDir leaves nothing behind.
func MakeTempDir(prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", fmt.Errorf("create temp dir: %w", err)
	}
	return dir, nil
}

// RemoveTempDir removes a run's temp dir at its end; with keep (the -keep
// flag) it leaves it and prints where it is and what it holds, for a look
// at the logs and data.
func RemoveTempDir(dir string, keep bool, out io.Writer, holds string) error {
	if keep {
		fmt.Fprintf(out, "\nkept %s (%s)\n", dir, holds)
		return nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove temp dir: %w", err)
	}
	return nil
}
