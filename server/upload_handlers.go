package server

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/media"
)

// The tus upload routes: POST creates (optionally with the first chunk),
// HEAD tells the offset, PATCH appends, DELETE abandons. They read the
// request body as a stream, so a chunk of any size costs one part of memory.

// requireTus answers the protocol's version check and sets its headers.
func requireTus(c *fiber.Ctx) error {
	c.Set("Tus-Resumable", media.TusVersion)
	if c.Method() != fiber.MethodOptions && c.Get("Tus-Resumable") != media.TusVersion {
		c.Set("Tus-Version", media.TusVersion) // the protocol asks for the versions we speak
		return media.ErrTusVersion
	}
	return c.Next()
}

func (s *Server) handleTusOptions(c *fiber.Ctx) error {
	c.Set("Tus-Resumable", media.TusVersion)
	c.Set("Tus-Version", media.TusVersion)
	c.Set("Tus-Extension", media.TusExtensions)
	c.Set("Tus-Checksum-Algorithm", media.TusChecksums)
	c.Set("Tus-Max-Size", itoa(s.uploads.Limits().MaxVideo))
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) handleTusCreate(c *fiber.Ctx) error {
	if c.Get("Upload-Defer-Length") != "" {
		return inspection.Errorf(inspection.EINVALID, "Upload-Defer-Length is not supported: send Upload-Length.")
	}
	length, err := media.ParseOffset("Upload-Length", c.Get("Upload-Length"))
	if err != nil {
		return err
	}
	md, err := media.ParseMetadata(c.Get("Upload-Metadata"))
	if err != nil {
		return err
	}
	n := media.NewUpload{
		MediaID: md["media_id"], InspectionID: md["inspection_id"], Kind: md["kind"],
		Filename: md["filename"], ContentType: md["content_type"], SHA256: md["sha256"], Length: length,
	}
	if v := md["captured_at"]; v != "" {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			t = t.UTC()
			n.CapturedAt = &t
		}
	}
	user := currentUser(c)
	up, err := s.uploads.Create(c.UserContext(), user, n)
	if err != nil {
		return err
	}
	c.Location("/api/v1/uploads/" + up.ID)
	// creation-with-upload: the first chunk may ride on the POST. A repeated
	// POST for an upload already under way carries the file from its first
	// byte again: it is not written, and the answer says where to resume.
	if c.Get(fiber.HeaderContentType) == media.OffsetContentType && c.Request().Header.ContentLength() != 0 && up.Offset == 0 {
		if up, err = s.uploads.Write(c.UserContext(), user, up.ID, up.Offset, requestBody(c), nil); err != nil {
			return err
		}
	}
	setUploadHeaders(c, up)
	return c.SendStatus(fiber.StatusCreated)
}

func (s *Server) handleTusHead(c *fiber.Ctx) error {
	up, err := s.uploads.Get(c.UserContext(), currentUser(c), c.Params("id"))
	if err != nil {
		return err
	}
	if up.Status == media.UploadRejected || up.Status == media.UploadAborted {
		return media.ErrUploadGone
	}
	c.Set("Upload-Length", itoa(up.Length))
	c.Set(fiber.HeaderCacheControl, "no-store")
	setUploadHeaders(c, up)
	return c.SendStatus(fiber.StatusOK)
}

func (s *Server) handleTusPatch(c *fiber.Ctx) error {
	if c.Get(fiber.HeaderContentType) != media.OffsetContentType {
		return inspection.Errorf(inspection.EUNSUPPORTED, "A chunk's Content-Type must be %s.", media.OffsetContentType)
	}
	offset, err := media.ParseOffset("Upload-Offset", c.Get("Upload-Offset"))
	if err != nil {
		return err
	}
	sum, err := media.ParseChecksum(c.Get("Upload-Checksum"))
	if err != nil {
		return err
	}
	up, err := s.uploads.Write(c.UserContext(), currentUser(c), c.Params("id"), offset, requestBody(c), sum)
	if err != nil {
		return err
	}
	setUploadHeaders(c, up)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) handleTusDelete(c *fiber.Ctx) error {
	if err := s.uploads.Terminate(c.UserContext(), currentUser(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func setUploadHeaders(c *fiber.Ctx, up *media.Upload) {
	c.Set("Upload-Offset", itoa(up.Offset))
	if up.Status == media.UploadOpen {
		c.Set("Upload-Expires", up.ExpiresAt.UTC().Format(http.TimeFormat))
	}
}

// requestBody is the request's body as a stream: fasthttp hands large
// bodies over while they arrive instead of buffering them. Reading it to
// its end lets the connection serve the next request (see closeUnreadBody).
func requestBody(c *fiber.Ctx) io.Reader {
	if r := c.Context().RequestBodyStream(); r != nil {
		return &endNotingReader{r: r, c: c}
	}
	return bytes.NewReader(c.Body())
}

// bodyReadKey is set in a request's locals once its body stream has ended.
const bodyReadKey = "body_read"

type endNotingReader struct {
	r io.Reader
	c *fiber.Ctx
}

// bodyIdleTimeout is how long a streamed body may stall. The server's read
// timeout counts from the start of a request; a long upload or a large
// report keeps its connection for as long as bytes keep coming.
const bodyIdleTimeout = 2 * time.Minute

func (e *endNotingReader) Read(p []byte) (int, error) {
	if conn := e.c.Context().Conn(); conn != nil {
		conn.SetReadDeadline(time.Now().Add(bodyIdleTimeout))
	}
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.c.Locals(bodyReadKey, true)
	}
	return n, err
}
