package server

import (
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/account"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/labels"
)

// A badge QR carries only who you are; the PIN is the secret, typed.
const badgePrefix = "returnbench:badge:"

// A PIN is short, so it gets its own, stricter limit: this many wrong PINs
// in a day lock the PIN until the user signs in with their password.
const (
	maxPinFailures = 10
	pinWindow      = 24 * time.Hour
)

var pinPattern = regexp.MustCompile(`^[0-9]{4,8}$`)

type pinRequest struct {
	PIN string `json:"pin"`
}

func (s *Server) handleSetPin(c *fiber.Ctx) error {
	var req pinRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	if !pinPattern.MatchString(req.PIN) {
		return inspection.Errorf(inspection.EINVALID, "A PIN is 4 to 8 digits.")
	}
	hash, err := account.HashPassword(req.PIN, account.DefaultParams)
	if err != nil {
		return err
	}
	u := currentUser(c)
	if err := s.store.SetPin(c.UserContext(), u.ID, hash); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// handleBadgePNG is the signed-in user's badge: a QR of their user id.
func (s *Server) handleBadgePNG(c *fiber.Ctx) error {
	png, err := labels.QRPNG(badgePrefix+currentUser(c).ID, 512)
	if err != nil {
		return err
	}
	c.Type("png")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(png)
}

type badgeRequest struct {
	Badge string `json:"badge"`
	PIN   string `json:"pin"`
}

// handleBadgeLogin signs in with a scanned badge and a PIN.
func (s *Server) handleBadgeLogin(c *fiber.Ctx) error {
	var req badgeRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	userID, ok := strings.CutPrefix(strings.TrimSpace(req.Badge), badgePrefix)
	if !ok || userID == "" || len(userID) > 64 || !pinPattern.MatchString(req.PIN) {
		return inspection.Errorf(inspection.EINVALID, "Scan your badge and type your PIN (4 to 8 digits).")
	}
	ctx := c.UserContext()
	pinKey, addressKey := "pin:"+userID, "ip:"+s.clientIP(c)
	if err := s.checkThrottle(c, addressKey, maxFailuresPerAddress); err != nil {
		return err
	}
	if n, err := s.store.LoginFailures(ctx, pinKey, s.cfg.Now().Add(-pinWindow)); err != nil {
		return err
	} else if n >= maxPinFailures {
		return inspection.Errorf(inspection.ETHROTTLED, "Too many wrong PINs: sign in with your password to unlock your badge.")
	}
	if err := s.checkThrottle(c, pinKey, maxFailuresPerAccount); err != nil {
		return err
	}
	u, err := s.store.UserByID(ctx, userID)
	if inspection.ErrorCode(err) == inspection.ENOTFOUND || (err == nil && (u.PinHash == "" || u.Disabled)) {
		account.BurnTime(req.PIN)
		return s.badgeFailed(c, pinKey, addressKey)
	} else if err != nil {
		return err
	}
	ok, err = account.VerifyPassword(u.PinHash, req.PIN)
	if err != nil {
		return err
	}
	if !ok {
		return s.badgeFailed(c, pinKey, addressKey)
	}
	return s.startSession(c, u, fiber.StatusOK)
}

func (s *Server) badgeFailed(c *fiber.Ctx, keys ...string) error {
	if err := s.store.RecordLoginFailure(c.UserContext(), keys...); err != nil {
		return err
	}
	return inspection.Errorf(inspection.EUNAUTHORIZED, "Wrong badge or PIN.")
}
