package server

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/media"
)

// maxImportBytes bounds one uploaded report; a million-row FBA returns
// report is about 200 MB.
const maxImportBytes = 1 << 30

// handleImport takes a report as multipart form field "file" (from the
// app) or as the raw body (from scripts), and imports it while it arrives.
func (s *Server) handleImport(c *fiber.Ctx) error {
	return importUpload(s, c, "A report", s.Import)
}

// importer reads one uploaded file into the store and says what it did.
type importer[R any] func(ctx context.Context, user *inspection.User, r io.Reader, filename string) (R, error)

// importUpload streams an uploaded file, bounded to maxImportBytes, into
// an importer and answers with its result. what names the file in errors.
func importUpload[R any](s *Server, c *fiber.Ctx, what string, run importer[R]) error {
	if c.Request().Header.ContentLength() > maxImportBytes {
		return inspection.Errorf(inspection.ETOOLARGE, "%s may be at most 1 GiB.", what)
	}
	// A compressed body is never inflated: a small one can hold a huge file.
	if enc := strings.TrimSpace(c.Get(fiber.HeaderContentEncoding)); enc != "" && !strings.EqualFold(enc, "identity") {
		return inspection.Errorf(inspection.EUNSUPPORTED, "Send the file without a Content-Encoding: it is read as plain text only.")
	}
	body := io.LimitReader(requestBody(c), maxImportBytes)
	filename := ""
	mediaType, params, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if mediaType == "multipart/form-data" {
		part, err := filePart(multipart.NewReader(body, params["boundary"]))
		if err != nil {
			return err
		}
		body, filename = part, media.CleanFilename(part.FileName())
	}
	res, err := run(c.UserContext(), currentUser(c), body, filename)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, body) // read to the end, so the connection stays clean
	return c.JSON(res)
}

// filePart finds the form field "file" without reading the others into memory.
func filePart(mr *multipart.Reader) (*multipart.Part, error) {
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, inspection.Errorf(inspection.EINVALID, "Send the report as the form field \"file\".")
		}
		if part.FormName() == "file" {
			return part, nil
		}
		if strings.HasPrefix(part.FormName(), "file") {
			continue
		}
	}
}
