package server

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/labels"
)

// unitFor returns the unit label of an inspection the user may see.
func (s *Server) unitFor(c *fiber.Ctx) (*inspection.UnitLabel, error) {
	ctx := c.UserContext()
	in, err := s.store.InspectionByID(ctx, c.Params("id"))
	if err != nil {
		return nil, err
	}
	if !canSeeSite(currentUser(c), in.SiteID) {
		return nil, inspection.Errorf(inspection.ENOTFOUND, "Inspection not found.")
	}
	u, err := s.store.UnitOfInspection(ctx, in.ID)
	if inspection.ErrorCode(err) == inspection.ENOTFOUND {
		return nil, inspection.Errorf(inspection.ECONFLICT, "Only a completed inspection graded resellable has a unit label.")
	}
	return u, err
}

// labelUnit is what a printed label shows of a unit.
func labelUnit(u *inspection.UnitLabel) labels.Unit {
	condition := u.Condition
	if condition == "" || condition == "new" {
		condition = "New"
	}
	return labels.Unit{ID: u.ID, GTIN: u.GTIN, SKU: u.SKU, Condition: condition, Date: u.CreatedAt}
}

func (s *Server) handleRelabelPNG(c *fiber.Ctx) error {
	u, err := s.unitFor(c)
	if err != nil {
		return err
	}
	png, err := labels.LabelPNG(s.cfg.PublicURL, labelUnit(u))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+u.ID+`.png"`)
	c.Type("png")
	return c.Send(png)
}

// zplOptions reads ?size=2x1|4x6&dpi=203|300 (defaults: the 2x1 in unit label at 203 dpi).
func zplOptions(c *fiber.Ctx) (string, int) {
	size := c.Query("size", "2x1")
	dpi, err := strconv.Atoi(c.Query("dpi", "203"))
	if err != nil {
		dpi = -1
	}
	return size, dpi
}

func (s *Server) handleRelabelZPL(c *fiber.Ctx) error {
	u, err := s.unitFor(c)
	if err != nil {
		return err
	}
	size, dpi := zplOptions(c)
	zpl, err := labels.ZPL(s.cfg.PublicURL, labelUnit(u), size, dpi)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+u.ID+`.zpl"`)
	c.Set(fiber.HeaderContentType, "application/zpl; charset=utf-8")
	return c.SendString(zpl)
}

func (s *Server) handleRelabelPDF(c *fiber.Ctx) error {
	u, err := s.unitFor(c)
	if err != nil {
		return err
	}
	return s.sendSheet(c, []inspection.UnitLabel{*u}, c.Query("paper", "letter"), u.ID)
}

type sheetRequest struct {
	UnitIDs []string `json:"unit_ids"`
	Paper   string   `json:"paper"`
}

// handleLabelSheet prints many units' labels on office label sheets.
func (s *Server) handleLabelSheet(c *fiber.Ctx) error {
	var req sheetRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	if len(req.UnitIDs) == 0 || len(req.UnitIDs) > 3000 {
		return inspection.Errorf(inspection.EINVALID, "Name 1 to 3000 unit_ids.")
	}
	units, err := s.store.FindUnits(c.UserContext(), siteScope(currentUser(c)), req.UnitIDs)
	if err != nil {
		return err
	}
	if len(units) != len(nonEmptyUnique(req.UnitIDs)) {
		return inspection.Errorf(inspection.ENOTFOUND, "%d of the %d units were not found.", len(nonEmptyUnique(req.UnitIDs))-len(units), len(req.UnitIDs))
	}
	if req.Paper == "" {
		req.Paper = "letter"
	}
	return s.sendSheet(c, units, req.Paper, "labels")
}

func (s *Server) sendSheet(c *fiber.Ctx, units []inspection.UnitLabel, paper, name string) error {
	ls := make([]labels.Unit, len(units))
	for i := range units {
		ls[i] = labelUnit(&units[i])
	}
	pdf, err := labels.SheetPDF(s.cfg.PublicURL, ls, paper)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+name+`.pdf"`)
	c.Type("pdf")
	return c.Send(pdf)
}

type printRequest struct {
	Size string `json:"size"`
	DPI  int    `json:"dpi"`
}

// handlePrintRelabel sends the unit's ZPL to the configured network label
// printer (raw TCP, the Zebra's port 9100).
func (s *Server) handlePrintRelabel(c *fiber.Ctx) error {
	if s.cfg.PrinterAddr == "" {
		return inspection.Errorf(inspection.EUNAVAILABLE, "No label printer is configured (RETURNBENCH_PRINTER_ADDR): print the PDF or PNG instead.")
	}
	u, err := s.unitFor(c)
	if err != nil {
		return err
	}
	req := printRequest{Size: "2x1", DPI: s.cfg.PrinterDPI}
	if len(c.Body()) > 0 {
		if err := parseJSON(c, &req); err != nil {
			return err
		}
	}
	if req.DPI == 0 {
		req.DPI = 203
	}
	zpl, err := labels.ZPL(s.cfg.PublicURL, labelUnit(u), req.Size, req.DPI)
	if err != nil {
		return err
	}
	if err := sendToPrinter(c.UserContext(), s.cfg.PrinterAddr, zpl); err != nil {
		s.log.Warn("label printer", "addr", s.cfg.PrinterAddr, "err", err)
		return inspection.Errorf(inspection.EUNAVAILABLE, "The label printer at %s did not take the label: check that it is on and on the network.", s.cfg.PrinterAddr)
	}
	if err := s.store.RecordPrint(c.UserContext(), u, currentUser(c).ID, s.cfg.PrinterAddr, req.Size); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"unit_id": u.ID, "printer": s.cfg.PrinterAddr, "size": req.Size, "dpi": req.DPI})
}

func sendToPrinter(ctx context.Context, addr, zpl string) error {
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(zpl)); err != nil {
		return fmt.Errorf("write to printer: %w", err)
	}
	return nil
}

// handleUnit shows a unit's history: where it came from and how it was judged.
func (s *Server) handleUnit(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u, err := s.store.UnitByID(ctx, strings.ToUpper(c.Params("id")))
	if err != nil {
		return err
	}
	if !canSeeSite(currentUser(c), u.SiteID) {
		return inspection.Errorf(inspection.ENOTFOUND, "Unit not found.")
	}
	in, err := s.store.InspectionByID(ctx, u.InspectionID)
	if err != nil {
		return err
	}
	out := fiber.Map{"unit": u, "inspection": in}
	if in.ReturnID != nil {
		if r, err := s.store.ReturnByID(ctx, *in.ReturnID); err == nil {
			out["return"] = r
		}
	}
	media, err := s.store.MediaOf(ctx, in.ID)
	if err != nil {
		return err
	}
	out["evidence"] = summarizeEvidence(media)
	return c.JSON(out)
}

func nonEmptyUnique(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
