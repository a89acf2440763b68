package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/account"
	"github.com/returnbench/returnbench/inspection"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type userView struct {
	ID       string          `json:"id"`
	Username string          `json:"username"`
	Role     inspection.Role `json:"role"`
	SiteID   string          `json:"site_id"`
}

func viewUser(u *inspection.User) userView {
	return userView{ID: u.ID, Username: u.Username, Role: u.Role, SiteID: u.SiteID}
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userView  `json:"user"`
}

// parseJSON reads a JSON request body into v with a clear error for bad input.
func parseJSON(c *fiber.Ctx, v any) error { return decodeJSON(c.Body(), v) }

func decodeJSON(body []byte, v any) error {
	if len(body) == 0 {
		return inspection.Errorf(inspection.EINVALID, "The request needs a JSON body.")
	}
	if nulEscapeAt(body, 0) >= 0 {
		return inspection.Errorf(inspection.EINVALID, "The request body holds a NUL character (\\u0000), which no field may contain.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var appErr *inspection.Error
		if errors.As(err, &appErr) {
			return appErr
		}
		return inspection.Errorf(inspection.EINVALID, "The request body is not valid JSON for this call: %s.", jsonProblem(err))
	}
	return nil
}

// nulEscapeAt finds the first \u0000 escape at or after from in a JSON
// text: a NUL character in a string, which PostgreSQL cannot store (the
// write would fail as an internal error) and no field of ours has a use
// for. An escaped backslash followed by "u0000" is text, not a NUL.
func nulEscapeAt(b []byte, from int) int {
	for i := from; ; i++ {
		j := bytes.Index(b[i:], []byte(`\u0000`))
		if j < 0 {
			return -1
		}
		i += j
		slashes := 0
		for k := i; k >= 0 && b[k] == '\\'; k-- {
			slashes++
		}
		if slashes%2 == 1 {
			return i
		}
	}
}

// replaceNULEscapes turns each \u0000 escape into \ufffd, the
// replacement character, as JSON decoding already does for bytes that are
// not UTF-8.
func replaceNULEscapes(b []byte) []byte {
	i := nulEscapeAt(b, 0)
	if i < 0 {
		return b
	}
	out := bytes.Clone(b)
	for ; i >= 0; i = nulEscapeAt(out, i+6) {
		copy(out[i:], `\ufffd`)
	}
	return out
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return "field " + typeErr.Field + " must be " + typeErr.Type.String()
	}
	return "malformed JSON"
}

func (s *Server) handleLogin(c *fiber.Ctx) error {
	var req loginRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	if req.Username == "" || req.Password == "" || len(req.Username) > 64 || len(req.Password) > 1024 {
		return inspection.Errorf(inspection.EINVALID, "Enter a username and a password.")
	}
	ctx := c.UserContext()
	accountKey, addressKey := "user:"+strings.ToLower(req.Username), "ip:"+s.clientIP(c)
	if err := s.checkThrottle(c, accountKey, maxFailuresPerAccount); err != nil {
		return err
	}
	if err := s.checkThrottle(c, addressKey, maxFailuresPerAddress); err != nil {
		return err
	}
	u, err := s.store.UserByUsername(ctx, req.Username)
	switch {
	case inspection.ErrorCode(err) == inspection.ENOTFOUND:
		account.BurnTime(req.Password)
		return s.loginFailed(ctx, accountKey, addressKey)
	case err != nil:
		return err
	}
	ok, err := account.VerifyPassword(u.PasswordHash, req.Password)
	if err != nil {
		return err
	}
	if !ok || u.Disabled {
		return s.loginFailed(ctx, accountKey, addressKey)
	}
	// A good password also unlocks a badge locked by wrong PINs.
	for _, key := range []string{accountKey, "pin:" + u.ID} {
		if err := s.store.ClearLoginFailures(ctx, key); err != nil {
			return err
		}
	}
	return s.startSession(c, u, fiber.StatusOK)
}

func (s *Server) loginFailed(ctx context.Context, keys ...string) error {
	if err := s.store.RecordLoginFailure(ctx, keys...); err != nil {
		return err
	}
	return inspection.Errorf(inspection.EUNAUTHORIZED, "Wrong username or password.")
}

// checkThrottle refuses a login while key has too many recent failures.
func (s *Server) checkThrottle(c *fiber.Ctx, key string, limit int64) error {
	n, err := s.store.LoginFailures(c.UserContext(), key, s.cfg.Now().Add(-throttleWindow))
	if err != nil {
		return err
	}
	if n >= limit {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(throttleWindow.Seconds())))
		return inspection.Errorf(inspection.ETHROTTLED, "Too many failed sign-ins. Wait %d minutes and try again.", int(throttleWindow.Minutes()))
	}
	return nil
}

// startSession creates a session for u and hands its token to the client,
// both in the body (for Bearer use) and as an HttpOnly cookie (for the PWA).
func (s *Server) startSession(c *fiber.Ctx, u *inspection.User, status int) error {
	token, hash, err := account.NewToken()
	if err != nil {
		return err
	}
	sess := &inspection.Session{TokenHash: hash, UserID: u.ID, ExpiresAt: s.cfg.Now().Add(s.cfg.SessionTTL).UTC()}
	if err := s.store.CreateSession(c.UserContext(), sess, s.clientIP(c)); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: sess.ExpiresAt,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: s.cfg.secureCookies(),
	})
	return c.Status(status).JSON(loginResponse{Token: token, ExpiresAt: sess.ExpiresAt, User: viewUser(u)})
}

func (s *Server) handleLogout(c *fiber.Ctx) error {
	if err := s.store.RevokeSession(c.UserContext(), currentSession(c)); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0),
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: s.cfg.secureCookies()})
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) handleMe(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"user": viewUser(currentUser(c)), "expires_at": currentSession(c).ExpiresAt})
}

// setupLinkTTL is how long a printed setup link stays usable.
const setupLinkTTL = 24 * time.Hour

// announceSetup prints a one-time link that creates the first admin, when
// there is no user yet. The token travels in the URL fragment, which
// browsers never send to a server, so it stays out of access logs; only its
// hash is stored, and it dies as soon as any account exists.
func (s *Server) announceSetup(ctx context.Context) error {
	n, err := s.store.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	token, hash, err := account.NewToken()
	if err != nil {
		return err
	}
	if err := s.store.CreateSetupToken(ctx, hash, s.cfg.Now().Add(setupLinkTTL)); err != nil {
		return err
	}
	s.log.Warn("No user yet. Open this one-time link within 24 hours to create the first admin: " +
		s.publicLink("/setup#token="+token))
	return nil
}

type setupRequest struct {
	Token    string `json:"token"`
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *Server) handleSetup(c *fiber.Ctx) error {
	var req setupRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	if err := inspection.ValidateNewUser(req.Username, req.Password, inspection.RoleAdmin); err != nil {
		return err
	}
	hash, err := account.HashPassword(req.Password, account.DefaultParams)
	if err != nil {
		return err
	}
	u := &inspection.User{Username: req.Username, PasswordHash: hash, Role: inspection.RoleAdmin}
	if err := s.store.CreateFirstAdmin(c.UserContext(), account.HashToken(req.Token), u); err != nil {
		return err
	}
	return s.startSession(c, u, fiber.StatusCreated)
}
