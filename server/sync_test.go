package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/server"
	"github.com/returnbench/returnbench/store"
	rbsync "github.com/returnbench/returnbench/sync"
)

// device is one installed app: a client id and a counter for its mutations.
type device struct {
	id  string
	seq int64
}

func newDevice() *device { return &device{id: "dev-" + uuid.NewString()[:8]} }

func (d *device) mut(typ string, payload map[string]any) rbsync.Mutation {
	d.seq++
	b, _ := json.Marshal(payload)
	return rbsync.Mutation{ID: uuid.NewString(), Seq: d.seq, Type: typ, Payload: b}
}

func (ts *testServer) push(t *testing.T, token, clientID string, muts ...rbsync.Mutation) (int, []rbsync.Result) {
	t.Helper()
	res := ts.do(t, request{method: "POST", path: "/api/v1/sync/push", token: token,
		body: rbsync.PushRequest{ClientID: clientID, Mutations: muts}})
	if res.status != 200 {
		return res.status, nil
	}
	var out rbsync.PushResponse
	res.json(t, &out)
	return res.status, out.Results
}

// mustPush pushes and checks each result's status in order.
func (ts *testServer) mustPush(t *testing.T, token, clientID string, want []string, muts ...rbsync.Mutation) []rbsync.Result {
	t.Helper()
	status, results := ts.push(t, token, clientID, muts...)
	if status != 200 || len(results) != len(want) {
		t.Fatalf("push: %d %+v, want 200 with %d results", status, results, len(want))
	}
	for i, r := range results {
		if r.Status != want[i] || r.ID != muts[i].ID {
			t.Fatalf("result %d = %+v (error %+v), want %s for %s", i, r, r.Error, want[i], muts[i].ID)
		}
	}
	return results
}

// pullAll pages through the feed from a cursor and returns the changes
// (without the policies entry) and the final cursor.
func (ts *testServer) pullAll(t *testing.T, token, cursor string) ([]rbsync.Change, string) {
	t.Helper()
	var all []rbsync.Change
	for range 1000 {
		res := ts.do(t, request{method: "GET", path: "/api/v1/sync/pull?limit=100&cursor=" + cursor, token: token})
		if res.status != 200 {
			t.Fatalf("pull: %d %s", res.status, res.body)
		}
		var page rbsync.PullResponse
		res.json(t, &page)
		for _, c := range page.Changes {
			if c.Entity != "policies" {
				all = append(all, c)
			}
		}
		cursor = page.Cursor
		if !page.More {
			return all, cursor
		}
	}
	t.Fatal("pull never ended")
	return nil, ""
}

func (ts *testServer) inspection(t *testing.T, token, id string) inspection.Inspection {
	t.Helper()
	res := ts.do(t, request{method: "GET", path: "/api/v1/inspections/" + id, token: token})
	var out struct{ Inspection inspection.Inspection }
	res.json(t, &out)
	if res.status != 200 {
		t.Fatalf("get inspection: %d %s", res.status, res.body)
	}
	return out.Inspection
}

func save(d *device, id string, base int64, fields map[string]any) rbsync.Mutation {
	p := map[string]any{"id": id}
	if base > 0 {
		p["base_version"] = base
	}
	for k, v := range fields {
		p[k] = v
	}
	return d.mut("inspection.save", p)
}

const (
	applied   = rbsync.StatusApplied
	duplicate = rbsync.StatusDuplicate
	rejected  = rbsync.StatusRejected
	retry     = rbsync.StatusRetry
)

func TestSyncPush(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ts := mustStart(t, dialect, nil)
		tok := ts.mustUser(t, "ana", inspection.RoleInspector)

		t.Run("DuplicateAndLostAck", func(t *testing.T) {
			d, id := newDevice(), uuid.NewString()
			batch := []rbsync.Mutation{save(d, id, 0, map[string]any{"scanned_code": "1Z5R89390357567127"}),
				save(d, id, 1, map[string]any{"notes": "box dented"})}
			ts.mustPush(t, tok, d.id, []string{applied, applied}, batch...)
			// The answer was lost on the way: the device sends the batch again.
			again := ts.mustPush(t, tok, d.id, []string{duplicate, duplicate}, batch...)
			if again[0].First != applied {
				t.Fatalf("first_status %q, want applied", again[0].First)
			}
			if got := ts.inspection(t, tok, id); got.Version != 2 || got.Notes != "box dented" {
				t.Fatalf("inspection %+v, want version 2 (applied once)", got)
			}
		})

		t.Run("SameBatchSentTwiceAtOnce", func(t *testing.T) {
			// A slow answer: the device sends the batch again while the first
			// attempt is still being applied. Each change lands once; every
			// attempt gets an answer for all of it.
			d := newDevice()
			var batch []rbsync.Mutation
			ids := make([]string, 10)
			for i := range ids {
				ids[i] = uuid.NewString()
				batch = append(batch, save(d, ids[i], 0, map[string]any{"scanned_code": "1Z5R89390357567127"}),
					save(d, ids[i], 1, map[string]any{"notes": "seen twice"}))
			}
			const attempts = 4
			statuses := make([]int, attempts)
			results := make([][]rbsync.Result, attempts)
			var wg sync.WaitGroup
			for a := range attempts {
				wg.Go(func() { statuses[a], results[a] = ts.push(t, tok, d.id, batch...) })
			}
			wg.Wait()
			appliedBy := map[string]int{}
			for a := range attempts {
				if statuses[a] != 200 || len(results[a]) != len(batch) {
					t.Fatalf("attempt %d: %d with %d results, want 200 with %d", a, statuses[a], len(results[a]), len(batch))
				}
				for _, r := range results[a] {
					switch r.Status {
					case applied:
						appliedBy[r.ID]++
					case duplicate:
					default:
						t.Fatalf("attempt %d: %+v, want applied or duplicate", a, r)
					}
				}
			}
			for _, m := range batch {
				if appliedBy[m.ID] != 1 {
					t.Errorf("mutation %s applied by %d attempts, want 1", m.ID, appliedBy[m.ID])
				}
			}
			for _, id := range ids {
				if got := ts.inspection(t, tok, id); got.Version != 2 || got.Notes != "seen twice" {
					t.Errorf("inspection %+v, want version 2", got)
				}
			}
		})

		t.Run("ReorderedBatches", func(t *testing.T) {
			d, id := newDevice(), uuid.NewString()
			first := save(d, id, 0, map[string]any{"scanned_code": "TBA123456789012"})
			second := save(d, id, 1, map[string]any{"grade": "destroy", "disposition": "dispose", "verdict": "not_applicable"})
			third := d.mut("inspection.complete", map[string]any{"id": id, "base_version": 2})
			// The later batch overtakes the first: it waits, unconsumed.
			ts.mustPush(t, tok, d.id, []string{retry, retry}, second, third)
			ts.mustPush(t, tok, d.id, []string{applied}, first)
			ts.mustPush(t, tok, d.id, []string{applied, applied}, second, third)
			if got := ts.inspection(t, tok, id); got.Status != inspection.StatusCompleted {
				t.Fatalf("status %q, want completed", got.Status)
			}
		})

		t.Run("ReorderedWithinBatch", func(t *testing.T) {
			d, id := newDevice(), uuid.NewString()
			a := save(d, id, 0, map[string]any{"scanned_code": "LPNNC5N165ZVR"})
			b := save(d, id, 1, map[string]any{"notes": "n1"})
			c := save(d, id, 2, map[string]any{"notes": "n2"})
			ts.mustPush(t, tok, d.id, []string{applied, applied, applied}, c, a, b)
			if got := ts.inspection(t, tok, id); got.Notes != "n2" || got.Version != 3 {
				t.Fatalf("inspection %+v, want notes n2 at version 3", got)
			}
		})

		t.Run("BadMutationInTheMiddle", func(t *testing.T) {
			d := newDevice()
			ok1, ok2 := uuid.NewString(), uuid.NewString()
			batch := []rbsync.Mutation{
				save(d, ok1, 0, nil),
				save(d, uuid.NewString(), 0, map[string]any{"grade": "like_new_ish"}),
				save(d, ok2, 0, nil),
			}
			res := ts.mustPush(t, tok, d.id, []string{applied, rejected, applied}, batch...)
			if res[1].Error == nil || res[1].Error.Code != inspection.EINVALID || res[1].Error.Message == "" {
				t.Fatalf("rejection %+v, want an invalid error with a message", res[1].Error)
			}
			again := ts.mustPush(t, tok, d.id, []string{duplicate, duplicate, duplicate}, batch...)
			if again[1].First != rejected || again[1].Error == nil || again[1].Error.Message != res[1].Error.Message {
				t.Fatalf("repeat of the bad one: %+v, want the same rejection", again[1])
			}
		})

		t.Run("TwoDevicesOneDraft", func(t *testing.T) {
			phone, tablet, id := newDevice(), newDevice(), uuid.NewString()
			ts.mustPush(t, tok, phone.id, []string{applied}, save(phone, id, 0, nil))
			ts.mustPush(t, tok, phone.id, []string{applied}, save(phone, id, 1, map[string]any{"notes": "from phone"}))
			res := ts.mustPush(t, tok, tablet.id, []string{rejected}, save(tablet, id, 1, map[string]any{"notes": "from tablet"}))
			if res[0].Error.Code != inspection.ECONFLICT || res[0].Error.CurrentVersion != 2 {
				t.Fatalf("loser's answer %+v, want conflict naming version 2", res[0].Error)
			}
			if got := ts.inspection(t, tok, id); got.Notes != "from phone" {
				t.Fatalf("notes %q, want the first writer's", got.Notes)
			}
		})

		t.Run("ReinstalledClient", func(t *testing.T) {
			old, id := newDevice(), uuid.NewString()
			m := save(old, id, 0, nil)
			ts.mustPush(t, tok, old.id, []string{applied}, m)
			// Reinstalled: a new client id, seq from 1 again, old mutations resent.
			fresh := newDevice()
			ts.mustPush(t, tok, fresh.id, []string{duplicate}, m)
			ts.mustPush(t, tok, fresh.id, []string{applied}, save(fresh, id, 1, map[string]any{"notes": "after reinstall"}))
		})

		t.Run("CompletedIsImmutable", func(t *testing.T) {
			d, id := newDevice(), uuid.NewString()
			ts.mustPush(t, tok, d.id, []string{applied, applied, applied},
				save(d, id, 0, nil),
				save(d, id, 1, map[string]any{"grade": "destroy", "disposition": "donate", "verdict": "not_applicable"}),
				d.mut("inspection.complete", map[string]any{"id": id, "base_version": 2}))
			res := ts.mustPush(t, tok, d.id, []string{rejected}, save(d, id, 3, map[string]any{"notes": "late"}))
			if res[0].Error.Code != inspection.ECONFLICT {
				t.Fatalf("edit of a completed inspection: %+v, want conflict", res[0].Error)
			}
			// An inspector cannot reopen; a lead can, and it is audited.
			ts.mustPush(t, tok, d.id, []string{rejected}, d.mut("inspection.reopen", map[string]any{"id": id, "reason": "regrade"}))
			lead := ts.mustUser(t, "lead-"+dialect, inspection.RoleLead)
			ts.mustPush(t, lead, d.id, []string{applied}, d.mut("inspection.reopen", map[string]any{"id": id, "reason": "regrade"}))
			evs, _ := ts.Store().AuditEvents(context.Background(), "inspection", id)
			if last := evs[len(evs)-1]; last.Action != "inspection.reopen" {
				t.Fatalf("last audit event %q, want inspection.reopen", last.Action)
			}
		})

		t.Run("CompletionRules", func(t *testing.T) {
			d, id := newDevice(), uuid.NewString()
			lead := ts.mustUser(t, "lead2-"+dialect, inspection.RoleLead)
			res := ts.do(t, request{method: "POST", path: "/api/v1/returns", token: lead,
				body: map[string]any{"order_id": "114-1234567-7654321", "reason": "DEFECTIVE", "order_amount": 40}})
			var ret struct{ ID string }
			res.json(t, &ret)
			ts.mustPush(t, tok, d.id, []string{applied, applied},
				save(d, id, 0, map[string]any{"return_id": ret.ID}),
				save(d, id, 1, map[string]any{"grade": "resellable", "disposition": "relabel_restock", "verdict": "claim_disputed"}))
			got := ts.mustPush(t, tok, d.id, []string{rejected}, d.mut("inspection.complete", map[string]any{"id": id, "base_version": 2}))
			if len(got[0].Error.Problems) == 0 || got[0].Error.Problems[0].Code != inspection.ErrLabelPhotoRequired {
				t.Fatalf("problems %+v, want the label photo rule", got[0].Error)
			}
			// Declaring the label close-up (bytes still to come) satisfies the rule.
			ts.mustPush(t, tok, d.id, []string{applied}, d.mut("media.declare", map[string]any{
				"id": uuid.NewString(), "inspection_id": id, "kind": "label_closeup", "content_type": "image/jpeg",
				"size": 200000, "sha256": fmt.Sprintf("%064x", 1)}))
			done := ts.mustPush(t, tok, d.id, []string{applied}, d.mut("inspection.complete", map[string]any{"id": id, "base_version": 2}))
			if done[0].Waiting == nil || *done[0].Waiting != 1 {
				t.Fatalf("waiting files %v, want 1", done[0].Waiting)
			}
			changes, _ := ts.pullAll(t, tok, "")
			units := 0
			for _, c := range changes {
				if c.Entity == "unit" {
					units++
				}
			}
			if units != 1 {
				t.Fatalf("%d unit labels in the feed, want 1 for the resellable unit", units)
			}
		})

		t.Run("ReceiveReturn", func(t *testing.T) {
			d := newDevice()
			lead := ts.mustUser(t, "lead3-"+dialect, inspection.RoleLead)
			res := ts.do(t, request{method: "POST", path: "/api/v1/returns", token: lead,
				body: map[string]any{"order_id": "115-1234567-7654321", "channel": "mfn"}})
			var ret struct{ ID string }
			res.json(t, &ret)
			scanned := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Second)
			ts.mustPush(t, tok, d.id, []string{applied}, d.mut("return.receive", map[string]any{"return_id": ret.ID, "received_at": scanned}))
			var got struct {
				Return    inspection.Return
				Deadlines []inspection.Deadline
			}
			ts.do(t, request{method: "GET", path: "/api/v1/returns/" + ret.ID, token: tok}).json(t, &got)
			if got.Return.ArrivedAt == nil || !got.Return.ArrivedAt.Equal(scanned) || len(got.Deadlines) == 0 {
				t.Fatalf("return %+v deadlines %+v, want arrival at the scan time and a refund clock", got.Return, got.Deadlines)
			}
		})

		t.Run("ActorMustBeThePusher", func(t *testing.T) {
			d := newDevice()
			other := ts.mustUser(t, "ben-"+dialect, inspection.RoleInspector)
			var me struct{ User struct{ ID string } }
			ts.do(t, request{method: "GET", path: "/api/v1/auth/me", token: other}).json(t, &me)
			m := save(d, uuid.NewString(), 0, nil)
			m.ActorID = me.User.ID
			// ana may not push ben's work; it waits until ben signs in.
			ts.mustPush(t, tok, d.id, []string{retry}, m)
			ts.mustPush(t, other, d.id, []string{applied}, m)
		})

		t.Run("ErrBadPush", func(t *testing.T) {
			for name, body := range map[string]any{
				"NoClientID":  rbsync.PushRequest{Mutations: []rbsync.Mutation{}},
				"BadUUID":     rbsync.PushRequest{ClientID: "x", Mutations: []rbsync.Mutation{{ID: "nope", Type: "inspection.save"}}},
				"NotJSON":     "{{",
				"UnknownType": nil,
			} {
				t.Run(name, func(t *testing.T) {
					if body == nil {
						d := newDevice()
						ts.mustPush(t, tok, d.id, []string{rejected}, d.mut("inspection.teleport", map[string]any{}))
						return
					}
					if got := ts.do(t, request{method: "POST", path: "/api/v1/sync/push", token: tok, body: body}).status; got != 400 {
						t.Fatalf("got %d, want 400", got)
					}
				})
			}
		})
	})
}

func TestSyncSessionExpiresMidOutbox(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		clk := &clock{t: time.Now().UTC()}
		ts := mustStart(t, dialect, func(c *server.Config) { c.Now = clk.Now })
		tok := ts.mustUser(t, "ana", inspection.RoleInspector)
		d, id := newDevice(), uuid.NewString()
		ts.mustPush(t, tok, d.id, []string{applied}, save(d, id, 0, nil))
		outbox := []rbsync.Mutation{save(d, id, 1, map[string]any{"notes": "a"}), save(d, id, 2, map[string]any{"notes": "b"})}
		clk.Add(2 * time.Hour) // the phone was offline longer than a session lasts
		if status, _ := ts.push(t, tok, d.id, outbox...); status != 401 {
			t.Fatalf("push with an expired session: %d, want 401", status)
		}
		tok = ts.mustLogin(t, "ana", "password-ana")
		ts.mustPush(t, tok, d.id, []string{applied, applied}, outbox...)
	})
}

func TestSyncPull(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ts := mustStart(t, dialect, nil)
		tok := ts.mustUser(t, "ana", inspection.RoleInspector)
		d := newDevice()
		var ids []string
		for range 5 {
			id := uuid.NewString()
			ids = append(ids, id)
			ts.mustPush(t, tok, d.id, []string{applied}, save(d, id, 0, nil))
		}
		changes, cursor := ts.pullAll(t, tok, "")
		if len(changes) != 5 {
			t.Fatalf("%d changes, want 5", len(changes))
		}
		for i, c := range changes {
			if c.Entity != "inspection" || c.ID != ids[i] || c.Op != "upsert" {
				t.Fatalf("change %d = %+v, want inspection %s in push order", i, c, ids[i])
			}
		}
		t.Run("FirstPageCarriesPolicies", func(t *testing.T) {
			var page rbsync.PullResponse
			ts.do(t, request{method: "GET", path: "/api/v1/sync/pull", token: tok}).json(t, &page)
			if len(page.Changes) == 0 || page.Changes[0].Entity != "policies" {
				t.Fatalf("first change %+v, want the policies", page.Changes)
			}
		})
		t.Run("IncrementalWithTombstone", func(t *testing.T) {
			ts.mustPush(t, tok, d.id, []string{applied}, d.mut("inspection.discard", map[string]any{"id": ids[0], "base_version": 1, "reason": "wrong scan"}))
			more, _ := ts.pullAll(t, tok, cursor)
			if len(more) != 1 || more[0].Op != "delete" || more[0].ID != ids[0] {
				t.Fatalf("changes since the cursor %+v, want one tombstone for %s", more, ids[0])
			}
		})
		t.Run("Err410AfterRestore", func(t *testing.T) {
			if err := ts.Store().NewEpoch(context.Background()); err != nil {
				t.Fatal(err)
			}
			res := ts.do(t, request{method: "GET", path: "/api/v1/sync/pull?cursor=" + cursor, token: tok})
			if res.status != 410 {
				t.Fatalf("old cursor after a restore: %d %s, want 410", res.status, res.body)
			}
			if again, _ := ts.pullAll(t, tok, ""); len(again) != 6 {
				t.Fatalf("resync from zero: %d changes, want 6 (5 creates, then a tombstone)", len(again))
			}
		})
		t.Run("Err410PastHorizon", func(t *testing.T) {
			_, fresh := ts.pullAll(t, tok, "")
			stale := base64.RawURLEncoding.EncodeToString(mustJSON(map[string]any{"e": cursorEpoch(t, fresh), "s": 0}))
			if _, err := ts.Store().CompactChanges(context.Background(), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if got := ts.do(t, request{method: "GET", path: "/api/v1/sync/pull?cursor=" + stale, token: tok}).status; got != 410 {
				t.Fatalf("cursor older than a compacted tombstone: %d, want 410", got)
			}
			if got := ts.do(t, request{method: "GET", path: "/api/v1/sync/pull?cursor=" + fresh, token: tok}).status; got != 200 {
				t.Fatalf("current cursor after compaction: %d, want 200", got)
			}
		})
		t.Run("ErrGarbageCursor", func(t *testing.T) {
			if got := ts.do(t, request{method: "GET", path: "/api/v1/sync/pull?cursor=%%%", token: tok}).status; got != 400 {
				t.Fatalf("got %d, want 400", got)
			}
		})
	})
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func cursorEpoch(t *testing.T, c string) string {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ E string }
	json.Unmarshal(b, &v)
	return v.E
}

// TestSyncTwoInstancesNoMissedChanges runs two server instances on one
// PostgreSQL with many concurrent pushers and one puller polling all along:
// the puller must receive every change exactly once. With plain sequence
// numbers a change committed late (a lower seq after a higher one was
// visible) would be skipped by a cursor already past it.
func TestSyncTwoInstancesNoMissedChanges(t *testing.T) {
	a := mustStart(t, store.Postgres, nil)
	b := mustStart(t, store.Postgres, func(c *server.Config) { c.DatabaseURL = a.cfgDatabaseURL(t) })
	tokA := a.mustUser(t, "ana", inspection.RoleInspector)
	tokB := b.mustLogin(t, "ana", "password-ana")

	const pushers, batches, perBatch = 8, 10, 10
	var wg sync.WaitGroup
	created := make(chan string, pushers*batches*perBatch)
	for p := range pushers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts, tok := a, tokA
			if p%2 == 1 {
				ts, tok = b, tokB
			}
			d := newDevice()
			for range batches {
				var muts []rbsync.Mutation
				for range perBatch {
					id := uuid.NewString()
					muts = append(muts, save(d, id, 0, nil))
					created <- id
				}
				if status, res := ts.push(t, tok, d.id, muts...); status != 200 || res[0].Status != applied {
					t.Errorf("push: %d %+v", status, res)
					return
				}
			}
		}()
	}
	seen := map[string]int{}
	cursor := ""
	pushing := make(chan struct{})
	go func() { wg.Wait(); close(pushing) }()
	for done := false; !done; {
		select {
		case <-pushing:
			done = true // one last pull after the pushers finish
		default:
		}
		changes, next := a.pullAll(t, tokA, cursor)
		for _, c := range changes {
			seen[c.ID]++
		}
		cursor = next
	}
	close(created)
	n := 0
	for id := range created {
		n++
		if seen[id] != 1 {
			t.Errorf("inspection %s seen %d times, want exactly once", id, seen[id])
		}
	}
	if n != pushers*batches*perBatch || len(seen) != n {
		t.Fatalf("created %d, pulled %d distinct, want %d", n, len(seen), pushers*batches*perBatch)
	}
}
