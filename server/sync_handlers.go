package server

import (
	"github.com/gofiber/fiber/v2"
	rbsync "github.com/returnbench/returnbench/sync"
)

// handlePush applies a device's outbox. It runs only with a live session:
// a device whose session expired offline gets 401 and nothing of its batch
// is consumed, so it signs in again and pushes the same batch.
func (s *Server) handlePush(c *fiber.Ctx) error {
	var req rbsync.PushRequest
	// A NUL in a device's text arrives as U+FFFD, as bytes that are not
	// UTF-8 already do: refusing the batch would leave the outbox stuck on
	// it for good, and PostgreSQL stores no NUL.
	if err := decodeJSON(replaceNULEscapes(c.Body()), &req); err != nil {
		return err
	}
	res, err := s.sync.Push(c.UserContext(), currentUser(c), req)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// handlePull pages through the change feed from a cursor.
func (s *Server) handlePull(c *fiber.Ctx) error {
	res, err := s.sync.Pull(c.UserContext(), currentUser(c), c.Query("cursor"), c.QueryInt("limit", rbsync.DefaultPullLimit))
	if err != nil {
		return err
	}
	return c.JSON(res)
}
