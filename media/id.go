package media

import (
	"crypto/rand"
	"encoding/hex"
)

// newID returns 128 random bits in hex: upload ids and lock tokens are
// never guessable, on top of the session and site checks every request gets.
func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
