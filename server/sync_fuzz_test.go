package server_test

// Fuzzing the sync protocol through the real server: arbitrary mutation
// payloads, and arbitrary push bodies, are pushed to an in-process server
// on SQLite. Whatever arrives, the answer is never a 5xx, every mutation
// gets one of the protocol's answers, and the audit chain still verifies.
// The seed corpus is run on SQLite and PostgreSQL by
// TestSecuritySyncPayloads.
//
//	go test -run '^$' -fuzz FuzzSyncPush -fuzztime 1m -parallel 2 ./server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/server"
	"github.com/returnbench/returnbench/store"
	rbsync "github.com/returnbench/returnbench/sync"
)

// syncWorld is a server with records for fuzzed payloads to name:
// placeholders in a payload ($DRAFT, $DONE, $RETURN, $MEDIA, $UNIT,
// $OTHER for another site's draft, $LEAD for a user id, $NEW for a fresh
// UUID) become their ids.
type syncWorld struct {
	*testServer
	insp, lead string
	ids        map[string]string
}

// mustSyncWorld builds the records through the API, as devices would.
func mustSyncWorld(tb testing.TB, dialect string) *syncWorld {
	tb.Helper()
	ts := mustStart(tb, dialect, nil)
	w := &syncWorld{testServer: ts, ids: map[string]string{}}
	admin := ts.mustUser(tb, "root", inspection.RoleAdmin)
	w.insp = ts.mustUser(tb, "insp", inspection.RoleInspector)
	w.lead = ts.mustUser(tb, "lead", inspection.RoleLead)
	if res := ts.do(tb, request{method: "POST", path: "/api/v1/sites", token: admin,
		body: map[string]string{"id": "east", "name": "East warehouse"}}); res.status != 201 {
		tb.Fatalf("create site: %d %s", res.status, res.body)
	}
	u, err := server.NewUser("east", "password-east", "inspector")
	if err != nil {
		tb.Fatal(err)
	}
	u.SiteID = "east"
	if err := ts.Store().CreateUser(context.Background(), u, ""); err != nil {
		tb.Fatal(err)
	}
	east := ts.mustLogin(tb, "east", "password-east")
	lead, err := ts.Store().UserByUsername(context.Background(), "lead")
	if err != nil {
		tb.Fatal(err)
	}
	w.ids["$LEAD"] = lead.ID

	res := ts.do(tb, request{method: "POST", path: "/api/v1/returns", token: w.lead,
		body: map[string]any{"order_id": "111-8888888-9999999", "sku": "SKU-F", "order_amount": "20.00"}})
	var ret struct{ ID string }
	res.json(tb, &ret)
	w.ids["$RETURN"] = ret.ID

	w.ids["$DRAFT"], w.ids["$DONE"], w.ids["$OTHER"], w.ids["$MEDIA"] = uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	w.mustApply(tb, w.insp, "inspection.save", `{"id":"$DRAFT","scanned_code":"TBA123456789012","return_id":"$RETURN"}`)
	w.mustApply(tb, w.insp, "media.declare", `{"id":"$MEDIA","inspection_id":"$DRAFT","kind":"damage","content_type":"image/jpeg","size":2048,"sha256":"`+strings.Repeat("ab", 32)+`","filename":"damage.jpg"}`)
	w.mustApply(tb, w.insp, "inspection.save", `{"id":"$DONE","scanned_code":"1Z5R89390357567127"}`)
	w.mustApply(tb, w.insp, "inspection.save", `{"id":"$DONE","base_version":1,"grade":"resellable","disposition":"relabel_restock","verdict":"not_applicable"}`)
	w.mustApply(tb, w.insp, "inspection.complete", `{"id":"$DONE","base_version":2}`)
	w.mustApply(tb, east, "inspection.save", `{"id":"$OTHER","scanned_code":"TBA999999999999"}`)
	unit, err := ts.Store().UnitOfInspection(context.Background(), w.ids["$DONE"])
	if err != nil {
		tb.Fatal(err)
	}
	w.ids["$UNIT"] = unit.ID
	return w
}

// fill replaces the placeholders of a payload.
func (w *syncWorld) fill(payload string) string {
	for k, v := range w.ids {
		payload = strings.ReplaceAll(payload, k, v)
	}
	for strings.Contains(payload, "$NEW") {
		payload = strings.Replace(payload, "$NEW", uuid.NewString(), 1)
	}
	return payload
}

func (w *syncWorld) mustApply(tb testing.TB, token, typ, payload string) {
	tb.Helper()
	status, results := w.pushOne(tb, token, typ, w.fill(payload), 1, "")
	if status != 200 || len(results) != 1 || results[0].Status != rbsync.StatusApplied {
		tb.Fatalf("push %s %s: %d %+v", typ, payload, status, results)
	}
}

// pushOne pushes one mutation with a fresh id and returns the answer.
func (w *syncWorld) pushOne(tb testing.TB, token, typ, payload string, seq int64, actor string) (int, []rbsync.Result) {
	tb.Helper()
	body, err := json.Marshal(map[string]any{"client_id": "fuzz-device", "mutations": []map[string]any{{
		"id": uuid.NewString(), "seq": seq, "type": typ, "payload": json.RawMessage(payload), "actor_id": actor}}})
	if err != nil {
		// Not JSON: send it as a string payload instead, which the server
		// must refuse as cleanly.
		body, _ = json.Marshal(map[string]any{"client_id": "fuzz-device", "mutations": []map[string]any{{
			"id": uuid.NewString(), "seq": seq, "type": typ, "payload": payload, "actor_id": actor}}})
	}
	res := w.do(tb, request{method: "POST", path: "/api/v1/sync/push", token: token, body: string(body)})
	if res.status >= 500 {
		tb.Fatalf("push %s %q: %d %s", typ, payload, res.status, res.body)
	}
	var out rbsync.PushResponse
	if res.status == 200 {
		res.json(tb, &out)
	}
	return res.status, out.Results
}

// mustAuditChain re-hashes the audit chain through the API.
func (w *syncWorld) mustAuditChain(tb testing.TB) {
	tb.Helper()
	res := w.do(tb, request{method: "GET", path: "/api/v1/audit/verify", token: w.lead})
	var v struct {
		OK bool `json:"ok"`
	}
	res.json(tb, &v)
	if res.status != 200 || !v.OK {
		tb.Fatalf("audit verify: %d %s", res.status, res.body)
	}
}

// syncSeed is one real mutation, or a hostile variation of one.
type syncSeed struct {
	typ, payload string
	seq          int64
	asLead       bool
	actor        string
}

var syncSeeds = []syncSeed{
	// Real mutations, as the bench app sends them.
	{"inspection.save", `{"id":"$NEW","scanned_code":"1Z5R89390357567127","captured_at":"2026-03-02T10:00:00Z"}`, 1, false, ""},
	{"inspection.save", `{"id":"$DRAFT","base_version":1,"checklist":{"outer_package_intact":true,"same_item":false},"notes":"dent on lid"}`, 2, false, ""},
	{"inspection.save", `{"id":"$DRAFT","base_version":1,"grade":"refurbished_used","used_condition":"good","disposition":"list_used","verdict":"claim_disputed","restocking_fee_percent":15}`, 3, false, ""},
	{"inspection.complete", `{"id":"$DRAFT","base_version":2}`, 4, false, ""},
	{"inspection.reopen", `{"id":"$DONE","reason":"wrong grade"}`, 5, true, ""},
	{"inspection.discard", `{"id":"$NEW","base_version":1,"reason":"opened by mistake"}`, 6, false, ""},
	{"media.declare", `{"id":"$NEW","inspection_id":"$DRAFT","kind":"label_closeup","content_type":"image/jpeg","size":123456,"sha256":"` + strings.Repeat("0a", 32) + `","filename":"label_closeup-20260302T100000Z.jpg","captured_at":"2026-03-02T10:00:00Z"}`, 7, false, ""},
	{"return.receive", `{"return_id":"$RETURN","received_at":"2026-03-02T09:00:00Z"}`, 8, false, ""},
	{"inspection.save", `{"id":"$DRAFT","base_version":9,"notes":"x"}`, 9, true, "$LEAD"},
	// Hostile variations.
	{"inspection.save", `{"id":"$OTHER","base_version":1,"notes":"not yours"}`, 1, false, ""},
	{"inspection.save", `{"id":"$NEW","return_id":"' OR '1'='1"}`, 1, false, ""},
	{"inspection.save", `{"id":"$NEW","scanned_code":"` + strings.Repeat("Z9", 30_000) + `"}`, 1, false, ""},
	{"inspection.save", `{"id":"$NEW","notes":"a\u0000b","scanned_code":"\u0000"}`, 1, false, ""},
	{"inspection.save", "{\"id\":\"$NEW\",\"notes\":\"\xff\xfe\",\"scanned_code\":\"\xc0\xaf\"}", 1, false, ""},
	{"inspection.save", `{"id":"$NEW","restocking_fee_percent":99999999999999999999,"base_version":-1}`, 1, false, ""},
	{"inspection.save", `{"id":"$NEW","captured_at":"99999-01-01T00:00:00Z"}`, 1, false, ""},
	{"inspection.save", `{"id":"$NEW","checklist":[true],"grade":{"x":1}}`, 1, false, ""},
	{"inspection.save", `{"id":"../../etc/passwd"}`, 1, false, ""},
	{"inspection.save", `null`, 1, false, ""},
	{"inspection.save", `[]`, 1, false, ""},
	{"inspection.save", `"x"`, 1, false, ""},
	{"inspection.save", `{"id":"$NEW"`, 1, false, ""},
	{"inspection.save", `{"id":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`, 1, false, ""},
	{"inspection.complete", `{"id":"$DONE","base_version":9223372036854775807}`, 1, false, ""},
	{"inspection.reopen", `{"id":"$DONE","reason":"` + strings.Repeat("r", 5000) + `"}`, 1, true, ""},
	{"inspection.reopen", `{"id":"$DONE","reason":"x"}`, 1, false, ""},
	{"inspection.discard", `{"id":"$DRAFT","base_version":1}`, 1, false, ""},
	{"media.declare", `{"id":"$MEDIA","inspection_id":"$OTHER","kind":"damage","content_type":"image/jpeg","size":1,"sha256":"` + strings.Repeat("ab", 32) + `"}`, 1, false, ""},
	{"media.declare", `{"id":"$NEW","inspection_id":"$DRAFT","kind":"damage","content_type":"text/html","size":-5,"sha256":"x","filename":"../../a.html"}`, 1, false, ""},
	{"media.declare", `{"id":"$NEW","inspection_id":"$DRAFT","kind":"unboxing_video","content_type":"video/webm","size":9223372036854775807,"sha256":"` + strings.Repeat("cd", 32) + `"}`, 1, false, ""},
	{"return.receive", `{"return_id":"' UNION SELECT password_hash FROM users --","received_at":"1970-01-01T00:00:00Z"}`, 1, false, ""},
	{"return.receive", `{"return_id":"$RETURN","received_at":"2999-01-01T00:00:00Z"}`, 1, false, ""},
	{"unit.delete", `{"id":"$UNIT"}`, 1, true, ""},
	{"", `{}`, 1, false, ""},
	{"inspection.save", `{"id":"$NEW"}`, -1, false, ""},
	{"inspection.save", `{"id":"$NEW"}`, 1, false, "' OR 1=1 --"},
	{"inspection.save", `{"id":"$NEW"}`, 1, true, "$NEW"},
}

// applySyncSeed pushes one fuzzed mutation, checks the answer and tells
// whether the mutation was refused (a 4xx, or rejected or held back).
func (w *syncWorld) applySyncSeed(tb testing.TB, s syncSeed) (refused bool) {
	tb.Helper()
	token := w.insp
	if s.asLead {
		token = w.lead
	}
	status, results := w.pushOne(tb, token, s.typ, w.fill(s.payload), s.seq, w.fill(s.actor))
	switch {
	case status == 200:
		if len(results) != 1 {
			tb.Fatalf("push: %d results, want 1", len(results))
		}
		r := results[0]
		switch r.Status {
		case rbsync.StatusApplied, rbsync.StatusDuplicate:
		case rbsync.StatusRejected, rbsync.StatusRetry:
			refused = true
			if r.Error == nil || r.Error.Code == "" || r.Error.Code == inspection.EINTERNAL {
				tb.Fatalf("a %s answer without a proper error: %+v", r.Status, r.Error)
			}
		default:
			tb.Fatalf("answer %q is none of the protocol's", r.Status)
		}
	case status < 400:
		tb.Fatalf("push: %d, want 200 or a 4xx", status)
	default:
		refused = true
	}
	w.mustAuditChain(tb)
	return refused
}

func FuzzSyncPush(f *testing.F) {
	for _, s := range syncSeeds {
		f.Add(s.typ, s.payload, s.seq, s.asLead, s.actor)
	}
	w := mustSyncWorld(f, store.SQLite)
	f.Fuzz(func(t *testing.T, typ, payload string, seq int64, asLead bool, actor string) {
		w.applySyncSeed(t, syncSeed{typ: typ, payload: payload, seq: seq, asLead: asLead, actor: actor})
	})
}

// FuzzSyncPushBody sends arbitrary push bodies, seeded with real ones.
func FuzzSyncPushBody(f *testing.F) {
	id := uuid.NewString()
	for _, body := range []string{
		`{"client_id":"dev-1a2b3c4d","mutations":[{"id":"` + uuid.NewString() + `","seq":1,"type":"inspection.save","payload":{"id":"` + id + `","scanned_code":"1Z5R89390357567127"}}]}`,
		`{"client_id":"dev-1a2b3c4d","mutations":[{"id":"` + uuid.NewString() + `","seq":2,"type":"inspection.save","payload":{"id":"` + id + `","base_version":1,"notes":"box dented"}},` +
			`{"id":"` + uuid.NewString() + `","seq":3,"type":"inspection.complete","payload":{"id":"` + id + `","base_version":2}}]}`,
		`{"client_id":"dev-1a2b3c4d","mutations":[]}`,
		`{"client_id":"","mutations":[{"id":"x","seq":-1}]}`,
		`{"client_id":"dev","mutations":[{"id":"` + id + `","seq":1,"type":"a"},{"id":"` + strings.ToUpper(id) + `","seq":1,"type":"a"}]}`,
		`{"client_id":"d\u0000","mutations":null}`,
		`{}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(body))
	}
	w := mustSyncWorld(f, store.SQLite)
	f.Fuzz(func(t *testing.T, body []byte) {
		res := w.do(t, request{method: "POST", path: "/api/v1/sync/push", token: w.insp, body: string(body)})
		if res.status >= 500 || (res.status != 200 && res.status < 400) {
			t.Fatalf("push %q: %d %s", body, res.status, res.body)
		}
		w.mustAuditChain(t)
	})
}

// TestSecuritySyncPayloads runs the fuzz seeds on SQLite and PostgreSQL.
func TestSecuritySyncPayloads(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := mustSyncWorld(t, dialect)
		for i, s := range syncSeeds {
			refused := w.applySyncSeed(t, s)
			if i >= 9 { // the first nine are real mutations, not attacks
				secCase(refused)
			}
		}
	})
}
