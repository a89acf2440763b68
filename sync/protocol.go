package sync

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/returnbench/returnbench/inspection"
)

// Result statuses of a pushed mutation.
const (
	// Applied: done now, with its feed row and audit event.
	StatusApplied = "applied"
	// Duplicate: seen before; not applied again. First says what happened then.
	StatusDuplicate = "duplicate"
	// Rejected: refused for good (invalid, not allowed, lost a conflict); the
	// reason is kept and a repeat gets the same answer.
	StatusRejected = "rejected"
	// Retry: not processed, not recorded: something it needs has not arrived
	// yet (an earlier mutation of a reordered batch), or it waits for the
	// user it was made by to sign in. The device keeps it and sends it again.
	StatusRetry = "retry"
)

// Limits on one push.
const (
	MaxMutations   = 500
	MaxPayloadSize = 64 << 10
)

// PushRequest is the body of POST /api/v1/sync/push.
type PushRequest struct {
	ClientID  string     `json:"client_id"`
	Mutations []Mutation `json:"mutations"`
}

// Mutation is one change made on a device. ID is the device's UUID for it;
// Seq orders a device's mutations. ActorID names the user who made it on
// the device when that is not the user pushing (a shared phone).
type Mutation struct {
	ID      string          `json:"id"`
	Seq     int64           `json:"seq"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
	ActorID string          `json:"actor_id,omitempty"`
}

// Result is the answer to one mutation.
type Result struct {
	ID      string       `json:"id"`
	Status  string       `json:"status"`
	First   string       `json:"first_status,omitempty"`
	Error   *ResultError `json:"error,omitempty"`
	Version int64        `json:"version,omitempty"`
	// Waiting counts an inspection's files still on their way when it completes.
	Waiting *int `json:"waiting_files,omitempty"`
}

// ResultError says why a mutation was rejected or must be retried.
type ResultError struct {
	Code     string               `json:"code"`
	Message  string               `json:"message"`
	Problems []inspection.Problem `json:"problems,omitempty"`
	// CurrentVersion is the server's version after a lost conflict, so the
	// device can pull and show what changed.
	CurrentVersion int64 `json:"current_version,omitempty"`
}

// PushResponse is the answer to a push.
type PushResponse struct {
	Results []Result `json:"results"`
}

// Change is one entry of a pull.
type Change struct {
	Entity string          `json:"entity"`
	ID     string          `json:"id"`
	Op     string          `json:"op"`
	Data   json.RawMessage `json:"data"`
}

// PullResponse is the answer to GET /api/v1/sync/pull.
type PullResponse struct {
	Changes []Change `json:"changes"`
	Cursor  string   `json:"cursor"`
	More    bool     `json:"more"`
}

// cursor is a position in the feed of one epoch. Clients treat it as opaque.
type cursor struct {
	Epoch string `json:"e"`
	Seq   int64  `json:"s"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	if s == "" {
		return c, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Epoch == "" || c.Seq < 0 {
		return c, inspection.Errorf(inspection.EINVALID, "The sync cursor is not valid: pull again without one.")
	}
	return c, nil
}

func (r *PushRequest) validate() error {
	switch {
	case r.ClientID == "" || len(r.ClientID) > 64 || strings.ContainsAny(r.ClientID, " \t\n"):
		return inspection.Errorf(inspection.EINVALID, "client_id must be 1-64 characters without spaces.")
	case len(r.Mutations) > MaxMutations:
		return inspection.Errorf(inspection.ETOOLARGE, "A push may carry at most %d mutations; send the rest in another.", MaxMutations)
	}
	seen := map[string]bool{}
	for i, m := range r.Mutations {
		switch {
		case !isUUID(m.ID):
			return inspection.Errorf(inspection.EINVALID, "Mutation %d: id must be a UUID.", i)
		case seen[strings.ToLower(m.ID)]:
			return inspection.Errorf(inspection.EINVALID, "Mutation %s appears twice in one push.", m.ID)
		case len(m.Payload) > MaxPayloadSize:
			return inspection.Errorf(inspection.ETOOLARGE, "Mutation %s: payload is larger than %d bytes.", m.ID, MaxPayloadSize)
		case m.Seq < 0:
			return inspection.Errorf(inspection.EINVALID, "Mutation %s: seq must not be negative.", m.ID)
		}
		seen[strings.ToLower(m.ID)] = true
	}
	return nil
}

func rejected(err error) Result {
	return Result{Status: StatusRejected, Error: &ResultError{Code: inspection.ErrorCode(err),
		Message: inspection.ErrorMessage(err), Problems: inspection.ProblemsOf(err)}}
}

func retry(code, format string, args ...any) Result {
	return Result{Status: StatusRetry, Error: &ResultError{Code: code, Message: fmt.Sprintf(format, args...)}}
}
