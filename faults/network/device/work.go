package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/google/uuid"
	rbsync "github.com/returnbench/returnbench/sync"
)

// Written is what a device's pushes should have left on the server: every
// inspection it wrote and the version each must end at.
type Written map[string]int64

// PushRounds is a bench's day in miniature: each round is one push that
// creates perRound inspections and updates, on version 1, the ones the
// round before created. Every mutation must come back applied, or as a
// duplicate of one applied the first time it arrived: anything else
// means a mutation was lost or applied twice.
func (d *Device) PushRounds(ctx context.Context, rounds, perRound int) (Written, error) {
	written := Written{}
	var previous []string
	for round := range rounds {
		var muts []rbsync.Mutation
		var created []string
		for _, id := range previous {
			muts = append(muts, d.Mutation("inspection.save", map[string]any{
				"id": id, "base_version": 1, "notes": notes(id, 2)}))
			written[id] = 2
		}
		for range perRound {
			id := uuid.NewString()
			muts = append(muts, d.Mutation("inspection.save", map[string]any{
				"id": id, "scanned_code": "1Z999AA10123456784", "notes": notes(id, 1)}))
			created = append(created, id)
			written[id] = 1
		}
		results, err := d.Push(ctx, muts...)
		if err != nil {
			return written, fmt.Errorf("round %d: %w", round, err)
		}
		for i, r := range results {
			if r.ID != muts[i].ID {
				return written, fmt.Errorf("round %d: result %d answers %s, want %s", round, i, r.ID, muts[i].ID)
			}
			ok := r.Status == rbsync.StatusApplied || (r.Status == rbsync.StatusDuplicate && r.First == rbsync.StatusApplied)
			if !ok {
				return written, fmt.Errorf("round %d: mutation %s came back %+v (error %+v), want applied once", round, r.ID, r, r.Error)
			}
		}
		previous = created
	}
	return written, nil
}

// CreateInspection saves a new draft inspection, as a phone does before
// it sends the inspection's files, and returns its id. It counts in
// Written as version 1.
func (d *Device) CreateInspection(ctx context.Context) (string, error) {
	id := uuid.NewString()
	res, err := d.Push(ctx, d.Mutation("inspection.save", map[string]any{
		"id": id, "scanned_code": "1Z999AA10123456784", "notes": notes(id, 1)}))
	if err != nil {
		return "", err
	}
	if res[0].Status != rbsync.StatusApplied {
		return "", fmt.Errorf("create inspection: %+v", res[0])
	}
	return id, nil
}

// notes is what an inspection's notes say at a version, so that a change
// in the feed can be checked against the write that made it.
func notes(id string, version int64) string { return fmt.Sprintf("%s v%d", id, version) }

// Merge adds other's inspections.
func (w Written) Merge(other Written) {
	for id, v := range other {
		w[id] = v
	}
}

// Changes counts the inspection versions in a feed, and fails on a
// change whose data does not match the write it claims to be.
func Changes(changes []rbsync.Change) (map[string]map[int64]int, error) {
	seen := map[string]map[int64]int{}
	for _, c := range changes {
		if c.Entity != "inspection" {
			continue
		}
		var in struct {
			ID      string `json:"id"`
			Version int64  `json:"version"`
			Notes   string `json:"notes"`
		}
		if err := json.Unmarshal(c.Data, &in); err != nil {
			return nil, fmt.Errorf("inspection change %s: %w", c.ID, err)
		}
		if in.ID != c.ID || in.Notes != notes(in.ID, in.Version) {
			return nil, fmt.Errorf("inspection change %s: data %s does not match its write", c.ID, c.Data)
		}
		if seen[in.ID] == nil {
			seen[in.ID] = map[int64]int{}
		}
		seen[in.ID][in.Version]++
	}
	return seen, nil
}

// ExactlyOnce checks a feed read from the start against what was
// written: every version of every inspection appears exactly once, and
// nothing else does.
func ExactlyOnce(changes []rbsync.Change, want Written) error {
	seen, err := Changes(changes)
	if err != nil {
		return err
	}
	var problems []string
	for id, final := range want {
		for v := int64(1); v <= final; v++ {
			if n := seen[id][v]; n != 1 {
				problems = append(problems, fmt.Sprintf("inspection %s version %d seen %d times", id, v, n))
			}
		}
		for v := range seen[id] {
			if v < 1 || v > final {
				problems = append(problems, fmt.Sprintf("inspection %s has version %d, want at most %d", id, v, final))
			}
		}
	}
	for id := range seen {
		if _, ok := want[id]; !ok {
			problems = append(problems, fmt.Sprintf("inspection %s was never written", id))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	if len(problems) > 10 {
		problems = append(problems[:10], fmt.Sprintf("and %d more", len(problems)-10))
	}
	return errors.New(fmt.Sprint(problems))
}

// Versions is how many inspection versions were written in all.
func (w Written) Versions() int {
	n := 0
	for _, v := range w {
		n += int(v)
	}
	return n
}
