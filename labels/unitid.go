package labels

import "crypto/rand"

// crockford is Crockford's base32 alphabet: no I, L, O or U, so a unit id
// read aloud or typed from a smudged label is hard to get wrong.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// unitIDLen is the length of a unit id: "U" and 10 base32 characters (50 bits).
const unitIDLen = 11

// IsUnitID reports whether s is one of our own unit ids in canonical
// (upper-case) form, so a scan of our relabel sticker is recognised before
// any marketplace or carrier lookup.
func IsUnitID(s string) bool {
	if len(s) != unitIDLen || s[0] != 'U' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isCrockford(s[i]) {
			return false
		}
	}
	return true
}

// NewUnitID returns a fresh random unit id for a relabelled unit. It is
// random rather than sequential so a label never reveals volumes or lets
// someone guess a neighbour's id.
func NewUnitID() string {
	var b [unitIDLen - 1]byte
	// crypto/rand.Read never returns an error (Go 1.24+): it fills b or crashes.
	rand.Read(b[:])
	id := make([]byte, 0, unitIDLen)
	id = append(id, 'U')
	for _, x := range b {
		// 256 is a multiple of 32, so the low 5 bits are uniform.
		id = append(id, crockford[x&31])
	}
	return string(id)
}

func isCrockford(c byte) bool {
	for i := 0; i < len(crockford); i++ {
		if crockford[i] == c {
			return true
		}
	}
	return false
}
