package server

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/inspection"
)

// handleHealth says the process is up; a load balancer's liveness check.
func (s *Server) handleHealth(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// handleReady says whether this instance can serve: its database and its
// media store answer.
func (s *Server) handleReady(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("not ready: database", "err", err)
		return inspection.Errorf(inspection.EUNAVAILABLE, "The database does not answer.")
	}
	if err := s.uploads.Backend().Ping(ctx); err != nil {
		s.log.Warn("not ready: media store", "err", err)
		return inspection.Errorf(inspection.EUNAVAILABLE, "The media store does not answer.")
	}
	return c.JSON(fiber.Map{"status": "ready", "database": s.store.Dialect(), "media": s.uploads.Backend().Describe()})
}

func (s *Server) handleVerifyAudit(c *fiber.Ctx) error {
	v, err := s.store.VerifyAudit(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// handlePolicies shows the deadlines and fee rules in force, so the bench
// can compute clocks offline exactly as the server does.
func (s *Server) handlePolicies(c *fiber.Ctx) error {
	return c.JSON(s.policies)
}
