package server

import (
	"context"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/media"
	"github.com/valyala/fasthttp"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// mediaFor returns a media record the user may see; other sites' records
// are reported missing so that ids cannot be probed.
func (s *Server) mediaFor(c *fiber.Ctx) (*inspection.Media, error) {
	m, err := s.store.MediaByID(c.UserContext(), strings.ToLower(c.Params("id")))
	if err != nil {
		return nil, err
	}
	if !canSeeSite(currentUser(c), m.SiteID) {
		return nil, inspection.Errorf(inspection.ENOTFOUND, "Media not found.")
	}
	return m, nil
}

func (s *Server) handleGetMediaMeta(c *fiber.Ctx) error {
	m, err := s.mediaFor(c)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": m.ID, "inspection_id": m.InspectionID, "kind": m.Kind, "content_type": m.ContentType,
		"size": m.Size, "sha256": m.SHA256, "status": m.Status, "filename": m.Filename,
		"captured_at": m.CapturedAt, "verified_at": m.VerifiedAt})
}

// handleGetMedia streams a verified file with Range support (video
// seeking). Its ETag is its SHA-256, which never changes. Photos and
// videos show inline in the app; anything else downloads.
func (s *Server) handleGetMedia(c *fiber.Ctx) error {
	m, err := s.mediaFor(c)
	if err != nil {
		return err
	}
	if m.Status != inspection.MediaVerified {
		return inspection.Errorf(inspection.ECONFLICT, "This file is %s, not verified yet: it can be downloaded once all of it has arrived and its SHA-256 matched.", m.Status)
	}
	etag := `"` + m.SHA256 + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderCacheControl, "private, max-age=31536000, immutable")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	disposition := "attachment"
	if strings.HasPrefix(m.ContentType, "image/") || media.IsVideo(m.ContentType) {
		disposition = "inline"
	}
	name := media.DownloadName(m.Filename, m.ContentType, m.ID)
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType(disposition, map[string]string{"filename": name}))
	c.Set(fiber.HeaderContentType, m.ContentType)

	obj, err := s.uploads.Backend().Open(context.WithoutCancel(c.UserContext()), m.StorageKey)
	if err != nil {
		return err
	}
	size := obj.Size()
	start, end := int64(0), size-1
	status := fiber.StatusOK
	if rng := c.Get(fiber.HeaderRange); rng != "" && size > 0 {
		s0, e0, err := fasthttp.ParseByteRange([]byte(rng), int(size))
		if err != nil {
			obj.Close()
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", size))
			return inspection.Errorf(inspection.EINVALID, "The Range %q is not satisfiable for a file of %d bytes.", rng, size)
		}
		start, end, status = int64(s0), int64(e0), fiber.StatusPartialContent
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", start, end, size))
	}
	if _, err := obj.Seek(start, io.SeekStart); err != nil {
		obj.Close()
		return err
	}
	c.Status(status)
	// fasthttp closes the stream after sending it.
	c.Context().SetBodyStream(&limitedCloser{Reader: io.LimitReader(obj, end-start+1), c: obj}, int(end-start+1))
	return nil
}

type limitedCloser struct {
	io.Reader
	c io.Closer
}

func (l *limitedCloser) Close() error { return l.c.Close() }
