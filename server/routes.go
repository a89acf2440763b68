package server

import (
	"context"
	"fmt"
	"strings"
	"time"

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
	// stream marks handlers that read the request body as a stream with
	// limits of their own; every other route gets limitBody(maxBody).
	stream bool
	// timeout bounds the handler (not a body it streams out afterwards):
	// a database or S3 server that stops answering makes the request fail
	// with 503 in time instead of holding the device, and work the device
	// gave up on stops. Streamed routes bound each read and store call
	// instead.
	timeout time.Duration
}

// Handler time limits: most calls answer in milliseconds; generating
// documents and lists over a site's history may take minutes.
const (
	apiTimeout  = 15 * time.Second
	slowTimeout = 5 * time.Minute
)

// api is a route whose JSON body, if any, is read whole (up to maxBody).
func api(method, path string, a allow, h fiber.Handler) route {
	return route{method: method, path: path, allow: a, handler: h, timeout: apiTimeout}
}

// slow is an api route that builds a document or a long list.
func slow(method, path string, a allow, h fiber.Handler) route {
	r := api(method, path, a, h)
	r.timeout = slowTimeout
	return r
}

// streamed is a route whose handler reads the body as a stream itself.
func streamed(method, path string, a allow, h fiber.Handler) route {
	return route{method: method, path: path, allow: a, handler: h, stream: true}
}

// routes is the whole HTTP API in one table: the role x route test walks it.
func (s *Server) routes() []route {
	return []route{
		api("GET", "/healthz", allowPublic, s.handleHealth),
		api("GET", "/readyz", allowPublic, s.handleReady),
		api("GET", "/metrics", allowPublic, s.handleMetrics()), // loopback or metrics token, checked inside

		api("POST", "/api/v1/auth/login", allowPublic, s.handleLogin),
		api("POST", "/api/v1/setup", allowPublic, s.handleSetup), // needs the one-time setup token
		api("POST", "/api/v1/auth/logout", allowInspector, s.handleLogout),
		api("GET", "/api/v1/auth/me", allowInspector, s.handleMe),
		api("POST", "/api/v1/auth/badge", allowPublic, s.handleBadgeLogin), // badge + PIN, throttled
		api("POST", "/api/v1/auth/pin", allowInspector, s.handleSetPin),
		api("GET", "/api/v1/auth/badge.png", allowInspector, s.handleBadgePNG),

		api("GET", "/api/v1/users", allowAdmin, s.handleListUsers),
		api("POST", "/api/v1/users", allowAdmin, s.handleCreateUser),
		api("GET", "/api/v1/sites", allowAdmin, s.handleListSites),
		api("POST", "/api/v1/sites", allowAdmin, s.handleCreateSite),
		api("GET", "/api/v1/webhooks", allowAdmin, s.handleListWebhooks),
		api("POST", "/api/v1/webhooks", allowAdmin, s.handleCreateWebhook),
		api("DELETE", "/api/v1/webhooks/:id", allowAdmin, s.handleDeleteWebhook),
		api("GET", "/api/v1/webhooks/:id/deliveries", allowAdmin, s.handleWebhookDeliveries),

		api("GET", "/api/v1/scan", allowInspector, s.handleScan),
		api("GET", "/api/v1/scan/*", allowInspector, s.handleScan),

		api("GET", "/api/v1/returns", allowInspector, s.handleListReturns),
		api("POST", "/api/v1/returns", allowLead, s.handleCreateReturn),
		streamed("POST", "/api/v1/imports", allowLead, s.handleImport),
		api("GET", "/api/v1/returns/:id", allowInspector, s.handleGetReturn),
		streamed("POST", "/api/v1/refunds/import", allowLead, s.handleRefundImport),
		api("POST", "/api/v1/refunds", allowLead, s.handleCreateRefund),

		api("GET", "/api/v1/inspections/:id", allowInspector, s.handleGetInspection),
		slow("GET", "/api/v1/inspections/:id/label-card.jpg", allowInspector, s.handleLabelCard),
		slow("GET", "/api/v1/inspections/:id/evidence", allowLead, s.handleEvidence),
		slow("GET", "/api/v1/inspections/:id/evidence.pdf", allowLead, s.handleEvidencePDF),
		slow("GET", "/api/v1/inspections/:id/evidence.zip", allowLead, s.handleEvidenceZip),
		api("GET", "/api/v1/inspections/:id/relabel.png", allowInspector, s.handleRelabelPNG),
		api("GET", "/api/v1/inspections/:id/relabel.zpl", allowInspector, s.handleRelabelZPL),
		slow("GET", "/api/v1/inspections/:id/relabel.pdf", allowInspector, s.handleRelabelPDF),
		api("POST", "/api/v1/inspections/:id/relabel/print", allowInspector, s.handlePrintRelabel),
		slow("POST", "/api/v1/labels/sheet", allowInspector, s.handleLabelSheet),
		api("GET", "/api/v1/units/:id", allowInspector, s.handleUnit),

		api("OPTIONS", "/api/v1/uploads", allowPublic, s.handleTusOptions), // protocol discovery only
		streamed("POST", "/api/v1/uploads", allowInspector, s.handleTusCreate),
		api("HEAD", "/api/v1/uploads/:id", allowInspector, s.handleTusHead),
		streamed("PATCH", "/api/v1/uploads/:id", allowInspector, s.handleTusPatch),
		api("DELETE", "/api/v1/uploads/:id", allowInspector, s.handleTusDelete),

		api("GET", "/api/v1/media/:id", allowInspector, s.handleGetMedia),
		api("GET", "/api/v1/media/:id/meta", allowInspector, s.handleGetMediaMeta),

		api("POST", "/api/v1/sync/push", allowInspector, s.handlePush),
		api("GET", "/api/v1/sync/pull", allowInspector, s.handlePull),

		api("GET", "/api/v1/policies", allowInspector, s.handlePolicies),
		slow("GET", "/api/v1/audit/verify", allowLead, s.handleVerifyAudit),

		slow("GET", "/api/v1/watch/refunded-not-returned", allowLead, s.handleWatchUnreturned),
		slow("GET", "/api/v1/watch/refund-due", allowInspector, s.handleWatchRefundDue), // the bench shows the refund clock
		slow("GET", "/api/v1/watch/atoz", allowLead, s.handleWatchAtoZ),
		slow("GET", "/api/v1/watch/safet", allowLead, s.handleWatchSafeT),
		slow("GET", "/api/v1/watch/disputes", allowLead, s.handleWatchDisputes),
		slow("GET", "/api/v1/dashboard", allowLead, s.handleDashboard),
	}
}

func (s *Server) mountRoutes(app *fiber.App) {
	for _, r := range s.routes() {
		var chain []fiber.Handler
		if !r.stream {
			chain = append(chain, limitBody(maxBody))
		}
		if r.timeout > 0 {
			chain = append(chain, withDeadline(r.timeout))
		}
		switch r.allow {
		case allowNobody:
			panic(fmt.Sprintf("route %s %s does not say who may call it", r.method, r.path))
		case allowPublic:
			if !safeMethod(r.method) {
				chain = append(chain, s.refuseOtherSites)
			}
		default:
			chain = append(chain, s.requireSession, requireRole(r.allow.role()))
		}
		if strings.HasPrefix(r.path, "/api/v1/uploads") {
			chain = append(chain, requireTus)
		}
		app.Add(r.method, r.path, append(chain, r.handler)...)
	}
	// Anything else under /api is unknown: a JSON 404, never the app shell.
	app.Use("/api", func(c *fiber.Ctx) error {
		return inspection.Errorf(inspection.ENOTFOUND, "No such API route: %s %s.", c.Method(), c.Path())
	})
	// The PWA's files: public by nature, they hold no data.
	web.Mount(app)
}

// withDeadline gives the handler's context a deadline (see route.timeout).
func withDeadline(d time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), d)
		defer cancel()
		c.SetUserContext(ctx)
		return c.Next()
	}
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
