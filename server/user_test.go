package server_test

import (
	"testing"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
)

func TestUsersAPI(t *testing.T) {
	ts := mustStart(t, store.SQLite, nil)
	admin := ts.mustUser(t, "root", inspection.RoleAdmin)
	create := func(body map[string]string) response {
		return ts.do(t, request{method: "POST", path: "/api/v1/users", token: admin, body: body})
	}
	t.Run("OK", func(t *testing.T) {
		res := create(map[string]string{"username": "ana", "password": "ana-password", "role": "lead"})
		var u struct{ ID, Username, Role string }
		res.json(t, &u)
		if res.status != 201 || u.ID == "" || u.Role != "lead" {
			t.Fatalf("got %d %s", res.status, res.body)
		}
		if tok := ts.mustLogin(t, "ana", "ana-password"); tok == "" {
			t.Fatal("the new user cannot sign in")
		}
	})
	for name, tt := range map[string]struct {
		body   map[string]string
		status int
	}{
		"ErrDuplicate":     {map[string]string{"username": "ana", "password": "ana-password", "role": "lead"}, 409},
		"ErrUnknownRole":   {map[string]string{"username": "bo", "password": "bo-password", "role": "boss"}, 400},
		"ErrShortPassword": {map[string]string{"username": "bo", "password": "short", "role": "lead"}, 400},
		"ErrBadUsername":   {map[string]string{"username": "bo bo", "password": "bo-password", "role": "lead"}, 400},
	} {
		t.Run(name, func(t *testing.T) {
			res := create(tt.body)
			var body errorBody
			res.json(t, &body)
			if res.status != tt.status || body.Error.Message == "" {
				t.Fatalf("got %d %s, want %d with a message", res.status, res.body, tt.status)
			}
		})
	}
	t.Run("ListHidesHashes", func(t *testing.T) {
		res := ts.do(t, request{method: "GET", path: "/api/v1/users", token: admin})
		var out struct{ Users []map[string]any }
		res.json(t, &out)
		if res.status != 200 || len(out.Users) != 2 {
			t.Fatalf("got %d %s, want two users", res.status, res.body)
		}
		for _, u := range out.Users {
			if _, ok := u["password_hash"]; ok {
				t.Fatal("the user list shows password hashes")
			}
		}
	})
}
