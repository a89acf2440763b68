package inspection

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// AuditEvent is one entry of the append-only audit log. Each event's Hash is
// SHA-256 over the previous event's hash and this event's canonical content,
// so changing, removing or reordering any past event breaks every hash after it.
type AuditEvent struct {
	Seq      int64     `json:"seq" gorm:"primaryKey;autoIncrement:false"`
	At       time.Time `json:"at"`
	ActorID  string    `json:"actor_id"`
	Action   string    `json:"action"`
	Entity   string    `json:"entity"`
	EntityID string    `json:"entity_id"`
	Data     string    `json:"data"`
	PrevHash string    `json:"prev_hash"`
	Hash     string    `json:"hash"`
}

// GenesisHash is the PrevHash of the first event.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// canonical is the exact byte form hashed: fixed field order, UTC times at
// microsecond precision (what both SQLite and PostgreSQL keep).
func (e *AuditEvent) canonical() []byte {
	b, _ := json.Marshal(struct {
		Seq      int64  `json:"seq"`
		At       string `json:"at"`
		ActorID  string `json:"actor_id"`
		Action   string `json:"action"`
		Entity   string `json:"entity"`
		EntityID string `json:"entity_id"`
		Data     string `json:"data"`
	}{e.Seq, e.At.UTC().Format("2006-01-02T15:04:05.000000Z"), e.ActorID, e.Action, e.Entity, e.EntityID, e.Data})
	return b
}

// ComputeHash returns the hash the event must carry given its PrevHash.
func (e *AuditEvent) ComputeHash() string {
	h := sha256.New()
	h.Write([]byte(e.PrevHash))
	h.Write(e.canonical())
	return hex.EncodeToString(h.Sum(nil))
}

// Seal fills Seq, PrevHash and Hash so that e follows the event (prevSeq, prevHash).
func (e *AuditEvent) Seal(prevSeq int64, prevHash string) {
	e.Seq = prevSeq + 1
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.PrevHash = prevHash
	e.Hash = e.ComputeHash()
}

// ChainVerifier checks events one at a time, in sequence order, so a long
// log can be verified without holding it in memory.
type ChainVerifier struct {
	prevSeq  int64
	prevHash string
	Count    int64
	FirstBad *AuditEvent
}

// NewChainVerifier starts a verification at the beginning of the log.
func NewChainVerifier() *ChainVerifier { return &ChainVerifier{prevHash: GenesisHash} }

// Check verifies the next event and reports whether the chain still holds.
func (v *ChainVerifier) Check(e *AuditEvent) bool {
	if v.FirstBad != nil {
		return false
	}
	if e.Seq != v.prevSeq+1 || e.PrevHash != v.prevHash || e.ComputeHash() != e.Hash {
		v.FirstBad = e
		return false
	}
	v.prevSeq, v.prevHash = e.Seq, e.Hash
	v.Count++
	return true
}
