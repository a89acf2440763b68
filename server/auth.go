package server

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/account"
	"github.com/returnbench/returnbench/inspection"
)

// sessionCookie is the cookie that carries the session token for the PWA.
const sessionCookie = "rb_session"

// Login throttling: failures counted per account and per client address
// within a sliding window, stored in the database so every instance agrees.
const (
	throttleWindow        = 15 * time.Minute
	maxFailuresPerAccount = 5
	maxFailuresPerAddress = 20
)

// currentUser returns the signed-in user set by requireSession.
func currentUser(c *fiber.Ctx) *inspection.User {
	u, _ := c.Locals("user").(*inspection.User)
	return u
}

func currentSession(c *fiber.Ctx) *inspection.Session {
	s, _ := c.Locals("session").(*inspection.Session)
	return s
}

// requireSession accepts a Bearer token or the session cookie. A request
// that rides on the cookie and changes something must come from our own
// origin: SameSite=Strict already stops other sites, and this check also
// covers browsers that ignore it.
func (s *Server) requireSession(c *fiber.Ctx) error {
	token, fromCookie := bearerToken(c), false
	if token == "" {
		token, fromCookie = c.Cookies(sessionCookie), true
	}
	if token == "" {
		return inspection.Errorf(inspection.EUNAUTHORIZED, "Sign in first.")
	}
	if fromCookie && !safeMethod(c.Method()) && !sameOrigin(c) {
		return inspection.Errorf(inspection.EFORBIDDEN, "This request came from another site and was refused.")
	}
	sess, user, err := s.store.SessionUser(c.UserContext(), account.HashToken(token))
	if err != nil {
		return err
	}
	c.Locals("user", user)
	c.Locals("session", sess)
	return c.Next()
}

func bearerToken(c *fiber.Ctx) string {
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// sameOrigin reports whether a browser request came from a page of ours:
// Origin (or, failing that, Sec-Fetch-Site) must name this host.
func sameOrigin(c *fiber.Ctx) bool {
	if origin := c.Get(fiber.HeaderOrigin); origin != "" {
		host := strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://")
		return host == string(c.Request().Host())
	}
	site := c.Get("Sec-Fetch-Site")
	return site == "" || site == "same-origin" || site == "none"
}

// requireRole lets through users whose role includes min.
func requireRole(min inspection.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := currentUser(c)
		if u == nil || !u.Role.Allows(min) {
			return inspection.Errorf(inspection.EFORBIDDEN, "Your role may not do this: it needs %s.", min)
		}
		return c.Next()
	}
}

// siteScope is the site whose records a user sees: their own, or every
// site ("") for an admin.
func siteScope(u *inspection.User) string {
	if u.Role == inspection.RoleAdmin {
		return ""
	}
	return u.SiteID
}

// canSeeSite tells whether u may see a record of siteID.
func canSeeSite(u *inspection.User, siteID string) bool {
	return u.Role == inspection.RoleAdmin || u.SiteID == siteID
}
