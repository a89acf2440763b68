package server_test

import (
	"bytes"
	"image"
	_ "image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/store"
)

func TestBadgeLogin(t *testing.T) {
	ts := mustStart(t, store.SQLite, nil)
	tok := ts.mustUser(t, "ana", inspection.RoleInspector)
	var badge string
	t.Run("BadgeQRHoldsNoSecret", func(t *testing.T) {
		res := ts.do(t, request{method: "GET", path: "/api/v1/auth/badge.png", token: tok})
		img, _, err := image.Decode(bytes.NewReader(res.body))
		if err != nil {
			t.Fatal(err)
		}
		bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
		out, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
		if err != nil {
			t.Fatal(err)
		}
		badge = out.GetText()
		var me struct{ User struct{ ID string } }
		ts.do(t, request{method: "GET", path: "/api/v1/auth/me", token: tok}).json(t, &me)
		if badge != "returnbench:badge:"+me.User.ID {
			t.Fatalf("badge says %q, want only the user id", badge)
		}
	})
	badgeLogin := func(pin string) response {
		return ts.do(t, request{method: "POST", path: "/api/v1/auth/badge", body: map[string]string{"badge": badge, "pin": pin}})
	}
	t.Run("ErrNoPinYet", func(t *testing.T) {
		if got := badgeLogin("1234").status; got != 401 {
			t.Fatalf("got %d, want 401", got)
		}
	})
	if res := ts.do(t, request{method: "POST", path: "/api/v1/auth/pin", token: tok, body: map[string]string{"pin": "12a4"}}); res.status != 400 {
		t.Fatalf("letters in a PIN: %d, want 400", res.status)
	}
	if res := ts.do(t, request{method: "POST", path: "/api/v1/auth/pin", token: tok, body: map[string]string{"pin": "4821"}}); res.status != 204 {
		t.Fatalf("set PIN: %d %s", res.status, res.body)
	}
	t.Run("OK", func(t *testing.T) {
		res := badgeLogin("4821")
		var out struct {
			Token string
			User  struct{ Username string }
		}
		res.json(t, &out)
		if res.status != 200 || out.Token == "" || out.User.Username != "ana" {
			t.Fatalf("got %d %s", res.status, res.body)
		}
	})
	t.Run("WrongPinsLockTheBadge", func(t *testing.T) {
		// The try before a PIN was set counts too: five failures in all.
		for i := range 4 {
			if got := badgeLogin("0000").status; got != 401 {
				t.Fatalf("wrong PIN %d: %d, want 401", i, got)
			}
		}
		if got := badgeLogin("4821").status; got != 429 {
			t.Fatalf("right PIN after five failures: %d, want 429", got)
		}
		// The password still works, and unlocks the badge.
		ts.mustLogin(t, "ana", "password-ana")
	})
}
