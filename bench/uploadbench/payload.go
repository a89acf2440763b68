package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
)

// payload is a test file on disk and what the server must find in it.
type payload struct {
	path   string
	size   int64
	sha256 string
}

// webmHeader is the start of a real WebM file: an EBML header whose
// DocType is "webm", which the server's sniffing accepts as video/webm.
var webmHeader = []byte{
	0x1A, 0x45, 0xDF, 0xA3, 0x9F, // EBML, size 31
	0x42, 0x86, 0x81, 0x01, // EBMLVersion 1
	0x42, 0xF7, 0x81, 0x01, // EBMLReadVersion 1
	0x42, 0xF2, 0x81, 0x04, // EBMLMaxIDLength 4
	0x42, 0xF3, 0x81, 0x08, // EBMLMaxSizeLength 8
	0x42, 0x82, 0x84, 'w', 'e', 'b', 'm', // DocType "webm"
	0x42, 0x87, 0x81, 0x04, // DocTypeVersion 4
	0x42, 0x85, 0x81, 0x02, // DocTypeReadVersion 2
}

// writePayload writes size bytes to path: the WebM header, then bytes from
// a ChaCha8 stream seeded by seed, so the same flags give the same file (and
// SHA-256) on every run. Random bytes do not compress, so no layer between
// the bench and the disk can make them cheaper than a real video.
func writePayload(path string, size int64, seed byte) (payload, error) {
	f, err := os.Create(path)
	if err != nil {
		return payload{}, fmt.Errorf("create test file: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	var key [32]byte
	key[0] = seed
	src := io.MultiReader(bytes.NewReader(webmHeader), rand.NewChaCha8(key))
	if _, err := io.CopyN(w, src, size); err != nil {
		return payload{}, fmt.Errorf("write test file: %w", err)
	}
	if err := w.Flush(); err != nil {
		return payload{}, fmt.Errorf("write test file: %w", err)
	}
	if err := f.Close(); err != nil {
		return payload{}, fmt.Errorf("write test file: %w", err)
	}
	return payload{path: path, size: size, sha256: hex.EncodeToString(h.Sum(nil))}, nil
}
