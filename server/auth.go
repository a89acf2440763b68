package server

import (
	"context"
	"net/url"
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
	if fromCookie && !safeMethod(c.Method()) && !s.sameOrigin(c) {
		return errOtherSite()
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), apiTimeout)
	sess, user, err := s.store.SessionUser(ctx, account.HashToken(token))
	cancel()
	if err != nil {
		return err
	}
	c.Locals("user", user)
	c.Locals("session", sess)
	return c.Next()
}

func errOtherSite() error {
	return inspection.Errorf(inspection.EFORBIDDEN, "This request came from another site and was refused.")
}

// refuseOtherSites guards the public routes that start a session (sign-in,
// badge, setup): a page of another site posting there would sign the
// victim's browser into an account the attacker chose (login CSRF).
// Origins configured for CORS may call them.
func (s *Server) refuseOtherSites(c *fiber.Ctx) error {
	if !s.sameOrigin(c) && !s.corsAllows(c.Get(fiber.HeaderOrigin)) {
		return errOtherSite()
	}
	return c.Next()
}

// corsAllows tells whether origin is one of the configured CORS origins.
func (s *Server) corsAllows(origin string) bool {
	if origin == "" {
		return false
	}
	for _, o := range strings.Split(s.cfg.CORSOrigins, ",") {
		if o = strings.TrimSpace(o); o == "*" || o == origin {
			return true
		}
	}
	return false
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
// Origin (or, failing that, Sec-Fetch-Site) must name this host, or the
// public URL's (a proxy in front may pass on a Host of its own).
func (s *Server) sameOrigin(c *fiber.Ctx) bool {
	if origin := c.Get(fiber.HeaderOrigin); origin != "" {
		host := strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://")
		return host == string(c.Request().Host()) || origin == publicOrigin(s.cfg.PublicURL)
	}
	site := c.Get("Sec-Fetch-Site")
	return site == "" || site == "same-origin" || site == "none"
}

// publicOrigin is the origin (scheme://host[:port]) of the public URL.
func publicOrigin(publicURL string) string {
	u, err := url.Parse(publicURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
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
