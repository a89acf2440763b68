package media

import (
	"crypto/sha1"
	"crypto/sha256"
	"hash"
)

// Error is a tus protocol error: it carries the HTTP status the protocol
// prescribes (such as 460 Checksum Mismatch), which the server's error
// handler uses as is.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// HTTPStatus is the status the tus protocol gives this error.
func (e *Error) HTTPStatus() int { return e.Status }

// Protocol errors.
var (
	ErrChecksumMismatch = &Error{Status: 460, Code: "checksum_mismatch", Message: "The chunk does not match its Upload-Checksum; it was discarded. Send it again."}
	ErrUploadGone       = &Error{Status: 410, Code: "upload_gone", Message: "This upload has ended or expired; start a new one."}
	ErrTusVersion       = &Error{Status: 412, Code: "tus_version", Message: "This server speaks tus 1.0.0: send Tus-Resumable: 1.0.0."}
)

func (c *Checksum) newHash() hash.Hash {
	if c.Algorithm == "sha1" {
		return sha1.New()
	}
	return sha256.New()
}
