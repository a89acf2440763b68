package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/inspection"
)

func (s *Server) handleListSites(c *fiber.Ctx) error {
	sites, err := s.store.ListSites(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"sites": sites})
}

func (s *Server) handleCreateSite(c *fiber.Ctx) error {
	var site inspection.Site
	if err := parseJSON(c, &site); err != nil {
		return err
	}
	site.ID = strings.TrimSpace(site.ID)
	site.Marketplace = inspection.MarketplaceKey(site.Marketplace)
	if err := s.store.CreateSite(c.UserContext(), &site, currentUser(c).ID); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(site)
}
