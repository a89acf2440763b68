package server

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/media"
)

// maxBody is the largest request body accepted by the JSON API. Routes that
// take files (imports, uploads) stream and set their own limits.
const maxBody = 1 << 20

// contentSecurityPolicy allows only our own origin: the PWA is served from
// the binary, and the barcode decoder's wasm needs 'wasm-unsafe-eval'.
const contentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
	"style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; " +
	"worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

func (s *Server) newApp() *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:      "returnbench",
		ErrorHandler: s.handleError,
		BodyLimit:    maxBody,
		// A streamed upload chunk counts against the read timeout: 8 MiB over
		// a bench's weak Wi-Fi (1 Mbit/s) takes about a minute.
		ReadTimeout:           5 * time.Minute,
		WriteTimeout:          10 * time.Minute,
		IdleTimeout:           2 * time.Minute,
		DisableStartupMessage: true,
		// Bodies over BodyLimit are handed to handlers as streams instead of
		// being read into memory; limitBody guards every route that does not
		// read its stream itself.
		StreamRequestBody: true,
		// Reports arrive as multipart forms: the import handler reads the
		// parts as a stream instead of fasthttp spooling them first.
		DisablePreParseMultipartForm: true,
		// Client addresses come from clientIP, which believes X-Forwarded-For
		// only from configured proxies; Fiber's own IP logic stays off.
		ProxyHeader: "",
	})
	app.Use(closeUnreadBody)
	app.Use(requestid.New(requestid.Config{ContextKey: "requestid"}))
	app.Use(recover.New(recover.Config{
		EnableStackTrace: true,
		StackTraceHandler: func(c *fiber.Ctx, e any) {
			s.log.Error("panic", "request_id", requestID(c), "panic", fmt.Sprint(e), "stack", string(debug.Stack()))
		},
	}))
	app.Use(s.logRequests)
	app.Use(helmet.New(helmet.Config{
		ContentSecurityPolicy: contentSecurityPolicy,
		ReferrerPolicy:        "no-referrer",
		HSTSMaxAge:            31536000,
		// The camera is needed by the bench app on our own origin only.
		PermissionPolicy: "camera=(self), microphone=(self), geolocation=()",
	}))
	if origins := strings.TrimSpace(s.cfg.CORSOrigins); origins != "" {
		app.Use(cors.New(cors.Config{AllowOrigins: origins, AllowCredentials: false,
			AllowHeaders: "Authorization, Content-Type, Tus-Resumable, Upload-Length, Upload-Offset, Upload-Metadata, Upload-Checksum"}))
	}
	app.Use("/api", refuseBinaryURL)
	s.mountRoutes(app)
	return app
}

// refuseBinaryURL refuses an API request whose path or query holds a NUL
// or bytes that are not UTF-8. No id, code or search is made of them, and
// PostgreSQL refuses to compare text with them: passed on, they would
// end as internal errors instead of a clear 400.
func refuseBinaryURL(c *fiber.Ctx) error {
	text := func(b []byte) bool { return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 }
	ok := text(c.Request().URI().Path())
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) { ok = ok && text(k) && text(v) })
	if !ok {
		return inspection.Errorf(inspection.EINVALID, "The request's URL holds a NUL or bytes that are not UTF-8 text.")
	}
	return c.Next()
}

// requestID returns the id the requestid middleware gave this request.
func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals("requestid").(string)
	return id
}

// logRequests writes one structured line per request and counts it. It
// logs the route pattern and path, never the query string or headers,
// so no token or cursor lands in the logs.
func (s *Server) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		// Let the error handler set the status before we read it.
		if herr := s.handleError(c, err); herr != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	route := c.Route().Path
	elapsed := time.Since(start)
	s.metrics.observe(c.Method(), route, status, elapsed)
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.Log(c.UserContext(), level, "request", "method", c.Method(), "path", c.Path(), "route", route,
		"status", status, "ms", elapsed.Milliseconds(), "ip", s.clientIP(c), "request_id", requestID(c))
	return nil
}

// apiError is the JSON body of every error response.
type apiError struct {
	Error struct {
		Code      string               `json:"code"`
		Message   string               `json:"message"`
		RequestID string               `json:"request_id"`
		Problems  []inspection.Problem `json:"problems,omitempty"`
	} `json:"error"`
}

// statusOf maps application error codes to HTTP statuses: the one place this happens.
var statusOf = map[string]int{
	inspection.EINVALID:       fiber.StatusBadRequest,
	inspection.EUNAUTHORIZED:  fiber.StatusUnauthorized,
	inspection.EFORBIDDEN:     fiber.StatusForbidden,
	inspection.ENOTFOUND:      fiber.StatusNotFound,
	inspection.ECONFLICT:      fiber.StatusConflict,
	inspection.ETOOLARGE:      fiber.StatusRequestEntityTooLarge,
	inspection.EUNSUPPORTED:   fiber.StatusUnsupportedMediaType,
	inspection.ETHROTTLED:     fiber.StatusTooManyRequests,
	inspection.EGONE:          fiber.StatusGone,
	inspection.EUNPROCESSABLE: fiber.StatusUnprocessableEntity,
	inspection.EUNAVAILABLE:   fiber.StatusServiceUnavailable,
	inspection.EINTERNAL:      fiber.StatusInternalServerError,
}

// handleError turns any error a handler returns into the JSON error body.
// Internal errors are logged with their details and shown as a generic message.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	var body apiError
	body.Error.RequestID = requestID(c)
	var fe *fiber.Error
	var pe protocolError
	switch {
	case errors.As(err, &pe):
		// tus errors carry the status their protocol prescribes.
		c.Status(pe.HTTPStatus())
		body.Error.Code, body.Error.Message = pe.Code, pe.Message
	case asFiberError(err, &fe):
		// Routing and body-limit errors raised by Fiber itself.
		c.Status(fe.Code)
		body.Error.Code, body.Error.Message = fiberErrorCode(fe.Code), fe.Message
		if fe.Code == fiber.StatusRequestEntityTooLarge {
			body.Error.Message = fmt.Sprintf("The request body is larger than %d bytes.", maxBody)
		}
	case errors.Is(err, context.DeadlineExceeded):
		// A store that stopped answering (see route.timeout): the device
		// tries again later.
		c.Status(statusOf[inspection.EUNAVAILABLE])
		body.Error.Code, body.Error.Message = inspection.EUNAVAILABLE, "The server could not finish in time; try again shortly."
		s.log.Warn("request ran out of time", "request_id", body.Error.RequestID, "path", c.Path(), "err", err)
	case inspection.ErrorCode(err) == inspection.EINTERNAL && unreachable(err):
		// The database (or another store) cannot be reached: the device
		// keeps its work and tries again later.
		c.Status(statusOf[inspection.EUNAVAILABLE])
		body.Error.Code, body.Error.Message = inspection.EUNAVAILABLE, "The server cannot reach its database right now; try again shortly."
		s.log.Warn("store unreachable", "request_id", body.Error.RequestID, "path", c.Path(), "err", err)
	default:
		code := inspection.ErrorCode(err)
		c.Status(statusOf[code])
		body.Error.Code, body.Error.Message = code, inspection.ErrorMessage(err)
		body.Error.Problems = inspection.ProblemsOf(err)
		if code == inspection.EINTERNAL {
			s.log.Error("internal error", "request_id", body.Error.RequestID, "path", c.Path(), "err", err)
		}
	}
	return c.JSON(body)
}

// unreachable says whether err comes from a connection that could not be
// made or broke: the store is down or the network to it is, which is a
// reason to try again, not a fault of the request or of the server.
func unreachable(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// protocolError is an error that names its own HTTP status (tus errors).
type protocolError = *media.Error

func asFiberError(err error, target **fiber.Error) bool { return errors.As(err, target) }

// fiberErrorCode names the statuses Fiber itself raises with our codes.
func fiberErrorCode(status int) string {
	for code, st := range statusOf {
		if st == status {
			return code
		}
	}
	switch status {
	case fiber.StatusMethodNotAllowed:
		return "method_not_allowed"
	case fiber.StatusRequestTimeout:
		return "timeout"
	}
	return inspection.EINVALID
}

// limitBody refuses a request body larger than max before anything reads
// it. A body of unknown length (chunked) is read up to max and no further.
func limitBody(max int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		n := c.Request().Header.ContentLength()
		tooLarge := inspection.Errorf(inspection.ETOOLARGE, "The request body is larger than %d bytes.", max)
		switch {
		case n > max:
			return tooLarge
		case n == -1: // chunked: read at most max+1 bytes
			if r := c.Context().RequestBodyStream(); r != nil {
				b, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
				if err != nil {
					return inspection.Errorf(inspection.EINVALID, "The request body could not be read.")
				}
				if len(b) > max {
					return tooLarge
				}
				c.Request().SetBodyRaw(b)
			}
		}
		return c.Next()
	}
}

// maxDrain is how much of a refused request's unread body the server reads
// and discards so that its answer arrives on a clean connection: a tus
// chunk of a usual size. Anything larger ends the connection instead.
const maxDrain = 32 << 20

// closeUnreadBody deals with a request whose streamed body was not read to
// its end (a refusal before the body, a chunk cut short by an error).
// fasthttp would otherwise parse the unread bytes as the next request on
// the connection: the client's next call would get a garbage answer, and a
// body could smuggle a request past a proxy. The rest of the body is read
// and dropped, up to maxDrain; past that, or for a 413, the connection
// closes. Handlers that read the stream do it through requestBody, which
// notes its end.
func closeUnreadBody(c *fiber.Ctx) error {
	err := c.Next()
	r := c.Context().RequestBodyStream()
	n := c.Request().Header.ContentLength()
	if r == nil || n == 0 || c.Locals(bodyReadKey) != nil {
		return err
	}
	if n <= maxDrain && c.Response().StatusCode() != fiber.StatusRequestEntityTooLarge {
		if _, derr := io.CopyN(io.Discard, r, maxDrain+1); derr == io.EOF {
			return err
		}
	}
	c.Response().Header.SetConnectionClose()
	return err
}
