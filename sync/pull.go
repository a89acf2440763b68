package sync

import (
	"context"
	"encoding/json"

	"github.com/returnbench/returnbench/inspection"
)

// Page sizes of a pull.
const (
	DefaultPullLimit = 500
	MaxPullLimit     = 1000
)

// ErrResync answers a cursor from another epoch (the database was
// restored) or older than the tombstone horizon: the device must drop its
// copy and pull from the start.
var ErrResync = inspection.Errorf(inspection.EGONE, "Your copy is out of date (the server was restored or your last sync is too old): pull again from the start.")

// Pull returns the changes after a cursor that the user may see: the
// records of their site (every site for an admin), in feed order. The
// first page of a sync from the start also carries the policies in force.
func (s *Service) Pull(ctx context.Context, user *inspection.User, cursorText string, limit int) (PullResponse, error) {
	if limit <= 0 {
		limit = DefaultPullLimit
	}
	limit = min(limit, MaxPullLimit)
	cur, err := decodeCursor(cursorText)
	if err != nil {
		return PullResponse{}, err
	}
	meta, err := s.Store.SyncState(ctx)
	if err != nil {
		return PullResponse{}, err
	}
	if cursorText != "" && (cur.Epoch != meta.Epoch || cur.Seq < meta.HorizonSeq) {
		return PullResponse{}, ErrResync
	}
	site := user.SiteID
	if user.Role == inspection.RoleAdmin {
		site = ""
	}
	rows, more, err := s.Store.Changes(ctx, site, cur.Seq, limit)
	if err != nil {
		return PullResponse{}, err
	}
	out := PullResponse{Changes: make([]Change, 0, len(rows)+1), More: more}
	if cursorText == "" {
		policies, _ := json.Marshal(s.Policies)
		out.Changes = append(out.Changes, Change{Entity: "policies", ID: "current", Op: "upsert", Data: policies})
	}
	next := cur.Seq
	for _, r := range rows {
		out.Changes = append(out.Changes, Change{Entity: r.Entity, ID: r.EntityID, Op: r.Op, Data: json.RawMessage(r.Data)})
		next = r.Seq
	}
	out.Cursor = cursor{Epoch: meta.Epoch, Seq: next}.encode()
	return out, nil
}
