package server

import (
	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/account"
	"github.com/returnbench/returnbench/inspection"
)

type createUserRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Role     string `json:"role"`
	SiteID   string `json:"site_id"`
}

func (s *Server) handleListUsers(c *fiber.Ctx) error {
	users, err := s.store.ListUsers(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]userView, len(users))
	for i := range users {
		out[i] = viewUser(&users[i])
	}
	return c.JSON(fiber.Map{"users": out})
}

func (s *Server) handleCreateUser(c *fiber.Ctx) error {
	var req createUserRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	u, err := NewUser(req.Username, req.Password, req.Role)
	if err != nil {
		return err
	}
	u.SiteID = req.SiteID
	if err := s.store.CreateUser(c.UserContext(), u, currentUser(c).ID); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(viewUser(u))
}

// NewUser validates a new account and hashes its password; the command
// line's `user add` and the admin API both make users through it.
func NewUser(username, password, role string) (*inspection.User, error) {
	r, err := inspection.ParseRole(role)
	if err != nil {
		return nil, err
	}
	if err := inspection.ValidateNewUser(username, password, r); err != nil {
		return nil, err
	}
	hash, err := account.HashPassword(password, account.DefaultParams)
	if err != nil {
		return nil, err
	}
	return &inspection.User{Username: username, PasswordHash: hash, Role: r}, nil
}
