package server_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/server"
	"github.com/returnbench/returnbench/store"
)

// clock is a settable time for tests of expiry and windows.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func login(ts *testServer, t *testing.T, name, password string, header map[string]string) response {
	return ts.do(t, request{method: "POST", path: "/api/v1/auth/login",
		body: map[string]string{"username": name, "password": password}, header: header})
}

func TestSetupLink(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ts := mustStart(t, dialect, nil)
		var token string
		for range 50 { // Serve prints the link as it starts
			if m := regexp.MustCompile(`/setup#token=([A-Za-z0-9_-]+)`).FindStringSubmatch(ts.log.String()); m != nil {
				token = m[1]
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if token == "" {
			t.Fatalf("no setup link in the log:\n%s", ts.log.String())
		}
		setup := func(tok, name string) response {
			return ts.do(t, request{method: "POST", path: "/api/v1/setup",
				body: map[string]string{"token": tok, "username": name, "password": "first-admin-pw"}})
		}
		t.Run("ErrWrongToken", func(t *testing.T) {
			if got := setup("wrong", "boss").status; got != 401 {
				t.Fatalf("got %d, want 401", got)
			}
		})
		t.Run("OK", func(t *testing.T) {
			res := setup(token, "boss")
			if res.status != 201 {
				t.Fatalf("got %d %s, want 201", res.status, res.body)
			}
			tok := ts.mustLogin(t, "boss", "first-admin-pw")
			var me struct{ User struct{ Role string } }
			ts.do(t, request{method: "GET", path: "/api/v1/auth/me", token: tok}).json(t, &me)
			if me.User.Role != "admin" {
				t.Fatalf("role %q, want admin", me.User.Role)
			}
		})
		t.Run("ErrUsedTwice", func(t *testing.T) {
			if got := setup(token, "intruder").status; got != 401 && got != 409 {
				t.Fatalf("got %d, want 401 or 409", got)
			}
		})
	})
}

func TestLogin(t *testing.T) {
	ts := mustStart(t, store.SQLite, nil)
	ts.mustUser(t, "ana", inspection.RoleInspector)

	t.Run("OK", func(t *testing.T) {
		res := login(ts, t, "ana", "password-ana", nil)
		var out struct {
			Token string
			User  struct{ ID, Username, Role string }
		}
		res.json(t, &out)
		if res.status != 200 || out.Token == "" || out.User.Username != "ana" || out.User.Role != "inspector" || out.User.ID == "" {
			t.Fatalf("got %d %s", res.status, res.body)
		}
		cookie := res.header.Get("Set-Cookie")
		for _, want := range []string{"rb_session=", "HttpOnly", "SameSite=Strict"} {
			if !strings.Contains(cookie, want) {
				t.Errorf("cookie %q lacks %s", cookie, want)
			}
		}
		if strings.Contains(strings.ToLower(cookie), "; secure") {
			t.Errorf("cookie %q is Secure on plain HTTP: the browser would drop it", cookie)
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		res := login(ts, t, "ana", "nope-nope", nil)
		var body errorBody
		res.json(t, &body)
		if res.status != 401 || body.Error.Message != "Wrong username or password." {
			t.Fatalf("got %d %s", res.status, res.body)
		}
	})
	t.Run("ErrUnknownUserLooksTheSame", func(t *testing.T) {
		res := login(ts, t, "nobody", "nope-nope", nil)
		var body errorBody
		res.json(t, &body)
		if res.status != 401 || body.Error.Message != "Wrong username or password." {
			t.Fatalf("got %d %s", res.status, res.body)
		}
	})
	t.Run("ErrBadJSON", func(t *testing.T) {
		res := ts.do(t, request{method: "POST", path: "/api/v1/auth/login", body: "{nope"})
		if res.status != 400 {
			t.Fatalf("got %d, want 400", res.status)
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	t.Run("PerAccount", func(t *testing.T) {
		clk := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
		ts := mustStart(t, store.SQLite, func(c *server.Config) { c.Now = clk.Now })
		ts.mustUser(t, "ana", inspection.RoleInspector)
		for i := range 5 {
			// A forged X-Forwarded-For on every try changes nothing: no proxy is trusted.
			hdr := map[string]string{"X-Forwarded-For": fmt.Sprintf("10.0.0.%d", i)}
			if got := login(ts, t, "ana", "wrong-password", hdr).status; got != 401 {
				t.Fatalf("try %d: got %d, want 401", i, got)
			}
		}
		res := login(ts, t, "ana", "password-ana", nil)
		if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
			t.Fatalf("right password while throttled: got %d (Retry-After %q), want 429 with Retry-After", res.status, res.header.Get("Retry-After"))
		}
		clk.Add(16 * time.Minute)
		if got := login(ts, t, "ana", "password-ana", nil).status; got != 200 {
			t.Fatalf("after the window: got %d, want 200", got)
		}
	})
	t.Run("PerAddressForgedXFF", func(t *testing.T) {
		ts := mustStart(t, store.SQLite, nil)
		// Twenty different accounts from one address, each try with a new
		// forged X-Forwarded-For: the address is still throttled.
		for i := range 20 {
			hdr := map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i)}
			if got := login(ts, t, fmt.Sprintf("user%d", i), "wrong-password", hdr).status; got != 401 {
				t.Fatalf("try %d: got %d, want 401", i, got)
			}
		}
		hdr := map[string]string{"X-Forwarded-For": "198.51.100.7"}
		if got := login(ts, t, "someone-else", "wrong-password", hdr).status; got != 429 {
			t.Fatalf("got %d, want 429", got)
		}
	})
	t.Run("TrustedProxyRightmostHop", func(t *testing.T) {
		ts := mustStart(t, store.SQLite, func(c *server.Config) { c.TrustedProxies = "127.0.0.1/32" })
		// Behind a trusted proxy the client is the hop the proxy appended
		// (the rightmost); what the client wrote to the left is ignored.
		for i := range 20 {
			hdr := map[string]string{"X-Forwarded-For": fmt.Sprintf("1.1.1.%d, 192.0.2.50", i)}
			if got := login(ts, t, fmt.Sprintf("u%d", i), "wrong-password", hdr).status; got != 401 {
				t.Fatalf("try %d: got %d, want 401", i, got)
			}
		}
		if got := login(ts, t, "x", "wrong-password", map[string]string{"X-Forwarded-For": "9.9.9.9, 192.0.2.50"}).status; got != 429 {
			t.Fatalf("same client behind the proxy: got %d, want 429", got)
		}
		if got := login(ts, t, "x", "wrong-password", map[string]string{"X-Forwarded-For": "192.0.2.51"}).status; got != 401 {
			t.Fatalf("another client behind the proxy: got %d, want 401", got)
		}
	})
}

func TestSessionEnd(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	ts := mustStart(t, store.SQLite, func(c *server.Config) { c.Now = clk.Now })
	t.Run("Logout", func(t *testing.T) {
		tok := ts.mustUser(t, "ana", inspection.RoleInspector)
		if got := ts.do(t, request{method: "POST", path: "/api/v1/auth/logout", token: tok}).status; got != 204 {
			t.Fatalf("logout: got %d, want 204", got)
		}
		if got := ts.do(t, request{method: "GET", path: "/api/v1/auth/me", token: tok}).status; got != 401 {
			t.Fatalf("after logout: got %d, want 401", got)
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		tok := ts.mustUser(t, "ben", inspection.RoleInspector)
		clk.Add(59 * time.Minute)
		if got := ts.do(t, request{method: "GET", path: "/api/v1/auth/me", token: tok}).status; got != 200 {
			t.Fatalf("before expiry: got %d, want 200", got)
		}
		clk.Add(2 * time.Minute)
		if got := ts.do(t, request{method: "GET", path: "/api/v1/auth/me", token: tok}).status; got != 401 {
			t.Fatalf("after expiry: got %d, want 401", got)
		}
	})
}

func TestCookieSession(t *testing.T) {
	ts := mustStart(t, store.SQLite, func(c *server.Config) { c.PublicURL = "https://bench.example.com" })
	ts.mustUser(t, "lee", inspection.RoleLead)
	res := login(ts, t, "lee", "password-lee", nil)
	cookie := res.header.Get("Set-Cookie")
	if !strings.Contains(strings.ToLower(cookie), "; secure") {
		t.Errorf("cookie %q is not Secure behind an https public URL", cookie)
	}
	value := strings.SplitN(strings.SplitN(cookie, ";", 2)[0], "=", 2)[1]
	withCookie := func(origin string) map[string]string {
		h := map[string]string{"Cookie": "rb_session=" + value}
		if origin != "" {
			h["Origin"] = origin
		}
		return h
	}
	body := map[string]string{"order_id": "111-2222222-3333333"}
	t.Run("OKReadWithCookie", func(t *testing.T) {
		if got := ts.do(t, request{method: "GET", path: "/api/v1/auth/me", header: withCookie("")}).status; got != 200 {
			t.Fatalf("got %d, want 200", got)
		}
	})
	t.Run("OKSameOriginWrite", func(t *testing.T) {
		res := ts.do(t, request{method: "POST", path: "/api/v1/returns", body: body, header: withCookie(ts.URL)})
		if res.status != 201 {
			t.Fatalf("got %d %s, want 201", res.status, res.body)
		}
	})
	t.Run("ErrCrossSiteWrite", func(t *testing.T) {
		res := ts.do(t, request{method: "POST", path: "/api/v1/returns", body: body, header: withCookie("https://evil.example")})
		if res.status != 403 {
			t.Fatalf("got %d %s, want 403", res.status, res.body)
		}
	})
}
