package server

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/web"
)

// allow says who may call a route. Its zero value allows nobody, so a route
// added without a decision is refused at start, never left open.
type allow int

const (
	allowNobody allow = iota
	allowPublic
	allowInspector
	allowLead
	allowAdmin
)

func (a allow) role() inspection.Role {
	switch a {
	case allowInspector:
		return inspection.RoleInspector
	case allowLead:
		return inspection.RoleLead
	case allowAdmin:
		return inspection.RoleAdmin
	}
	return ""
}

// route is one entry of the API: who may call it and what answers.
type route struct {
	method  string
	path    string
	allow   allow
	handler fiber.Handler
}

// routes is the whole HTTP API in one table: the role x route test walks it.
func (s *Server) routes() []route {
	return []route{
		{"GET", "/healthz", allowPublic, s.handleHealth},
		{"GET", "/readyz", allowPublic, s.handleReady},
		{"GET", "/metrics", allowPublic, s.handleMetrics()}, // loopback or metrics token, checked inside

		{"POST", "/api/v1/auth/login", allowPublic, s.handleLogin},
		{"POST", "/api/v1/setup", allowPublic, s.handleSetup}, // needs the one-time setup token
		{"POST", "/api/v1/auth/logout", allowInspector, s.handleLogout},
		{"GET", "/api/v1/auth/me", allowInspector, s.handleMe},

		{"GET", "/api/v1/users", allowAdmin, s.handleListUsers},
		{"POST", "/api/v1/users", allowAdmin, s.handleCreateUser},

		{"GET", "/api/v1/scan", allowInspector, s.handleScan},
		{"GET", "/api/v1/scan/*", allowInspector, s.handleScan},

		{"GET", "/api/v1/returns", allowInspector, s.handleListReturns},
		{"POST", "/api/v1/returns", allowLead, s.handleCreateReturn},
		{"GET", "/api/v1/returns/:id", allowInspector, s.handleGetReturn},

		{"GET", "/api/v1/inspections/:id", allowInspector, s.handleGetInspection},

		{"GET", "/api/v1/policies", allowInspector, s.handlePolicies},
		{"GET", "/api/v1/audit/verify", allowLead, s.handleVerifyAudit},
	}
}

func (s *Server) mountRoutes(app *fiber.App) {
	for _, r := range s.routes() {
		switch r.allow {
		case allowNobody:
			panic(fmt.Sprintf("route %s %s does not say who may call it", r.method, r.path))
		case allowPublic:
			app.Add(r.method, r.path, r.handler)
		default:
			app.Add(r.method, r.path, s.requireSession, requireRole(r.allow.role()), r.handler)
		}
	}
	// Anything else under /api is unknown: a JSON 404, never the app shell.
	app.Use("/api", func(c *fiber.Ctx) error {
		return inspection.Errorf(inspection.ENOTFOUND, "No such API route: %s %s.", c.Method(), c.Path())
	})
	// The PWA's files: public by nature, they hold no data.
	web.Mount(app)
}

// RouteInfo describes one API route for documentation and the access test.
type RouteInfo struct {
	Method string
	Path   string
	// Role is the least role that may call the route; "" means public.
	Role inspection.Role
}

// RouteTable lists every API route with who may call it.
func (s *Server) RouteTable() []RouteInfo {
	var out []RouteInfo
	for _, r := range s.routes() {
		out = append(out, RouteInfo{Method: r.method, Path: r.path, Role: r.allow.role()})
	}
	return out
}
