package server_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/server"
	"github.com/returnbench/returnbench/store"
)

// TestOtherSiteIsInvisible checks every id-bearing route against a user of
// another warehouse: the records exist, but for them they do not.
func TestOtherSiteIsInvisible(t *testing.T) {
	ts := mustStart(t, store.SQLite, nil)
	ctx := context.Background()
	admin := ts.mustUser(t, "root", inspection.RoleAdmin)
	if res := ts.do(t, request{method: "POST", path: "/api/v1/sites", token: admin,
		body: map[string]string{"id": "east", "name": "East warehouse", "marketplace": "us"}}); res.status != 201 {
		t.Fatalf("create site: %d %s", res.status, res.body)
	}
	t.Run("ErrBadSite", func(t *testing.T) {
		res := ts.do(t, request{method: "POST", path: "/api/v1/sites", token: admin, body: map[string]string{"id": "../x", "name": "x"}})
		if res.status != 400 {
			t.Fatalf("got %d, want 400", res.status)
		}
	})
	// A lead of the main site records a return and an inspection with a file.
	lead := ts.mustUser(t, "lead", inspection.RoleLead)
	var ret struct{ ID string }
	ts.do(t, request{method: "POST", path: "/api/v1/returns", token: lead, body: map[string]any{"order_id": "111-9999999-0000001"}}).json(t, &ret)
	leadUser, _ := ts.Store().UserByUsername(ctx, "lead")
	in := &inspection.Inspection{ID: uuid.NewString(), InspectorID: leadUser.ID, ReturnID: &ret.ID}
	if err := ts.Store().CreateInspection(ctx, in, leadUser.ID); err != nil {
		t.Fatal(err)
	}
	// A lead of the east site.
	u, _ := server.NewUser("eastlead", "password-eastlead", "lead")
	u.SiteID = "east"
	if err := ts.Store().CreateUser(ctx, u, ""); err != nil {
		t.Fatal(err)
	}
	east := ts.mustLogin(t, "eastlead", "password-eastlead")
	for _, path := range []string{"/api/v1/returns/" + ret.ID, "/api/v1/inspections/" + in.ID} {
		if got := ts.do(t, request{method: "GET", path: path, token: east}).status; got != 404 {
			t.Errorf("GET %s as another site: %d, want 404", path, got)
		}
		if got := ts.do(t, request{method: "GET", path: path, token: lead}).status; got != 200 {
			t.Errorf("GET %s as its own site: %d, want 200", path, got)
		}
	}
	t.Run("ScanFindsNothing", func(t *testing.T) {
		var out scanResult
		ts.do(t, request{method: "GET", path: "/api/v1/scan/111-9999999-0000001", token: east}).json(t, &out)
		if len(out.Returns) != 0 {
			t.Fatalf("another site's scan found %d returns", len(out.Returns))
		}
	})
	t.Run("UploadRefused", func(t *testing.T) {
		md := func(k, v string) string { return k + " " + base64.StdEncoding.EncodeToString([]byte(v)) }
		res := ts.do(t, request{method: "POST", path: "/api/v1/uploads", token: east, header: map[string]string{
			"Tus-Resumable": "1.0.0", "Upload-Length": "100",
			"Upload-Metadata": strings.Join([]string{md("media_id", uuid.NewString()), md("inspection_id", in.ID),
				md("kind", "label_closeup"), md("content_type", "image/jpeg"), md("sha256", strings.Repeat("a", 64))}, ","),
		}})
		if res.status != 404 {
			t.Fatalf("upload into another site's inspection: %d %s, want 404", res.status, res.body)
		}
	})
	t.Run("PullSeesNothing", func(t *testing.T) {
		changes, _ := ts.pullAll(t, east, "")
		if len(changes) != 0 {
			t.Fatalf("another site pulled %d changes", len(changes))
		}
	})
}
