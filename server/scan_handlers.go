package server

import (
	"net/url"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/labels"
)

type scanResponse struct {
	Code        string                  `json:"code"`
	Matches     []labels.Match          `json:"matches"`
	Returns     []inspection.Return     `json:"returns"`
	Inspections []inspection.Inspection `json:"inspections"`
	Units       []inspection.UnitLabel  `json:"units"`
}

// handleScan answers GET /api/v1/scan/{code} and GET /api/v1/scan?code=
// (the query form carries scanned URLs, whose slashes a path would fold):
// every identifier kind the code is, and the returns and inspections it finds.
func (s *Server) handleScan(c *fiber.Ctx) error {
	raw := c.Query("code")
	if raw == "" {
		var err error
		if raw, err = url.PathUnescape(c.Params("*")); err != nil {
			return inspection.Errorf(inspection.EINVALID, "The scanned code is not valid URL encoding.")
		}
	}
	if raw == "" {
		return inspection.Errorf(inspection.EINVALID, "Scan or type a code.")
	}
	if len(raw) > labels.MaxURLLen {
		return inspection.Errorf(inspection.EINVALID, "The scanned code is longer than %d characters.", labels.MaxURLLen)
	}
	code := labels.Normalize(raw)
	matches := labels.Classify(code)
	// Look up the code as scanned and as each kind reads it (a USPS number
	// without its 420+ZIP prefix, a GTIN padded to 14 digits).
	values := []string{code}
	for _, m := range matches {
		values = append(values, m.Value)
	}
	ctx, user := c.UserContext(), currentUser(c)
	returns, err := s.store.FindReturns(ctx, siteScope(user), values)
	if err != nil {
		return err
	}
	ids := make([]string, len(returns))
	for i, r := range returns {
		ids[i] = r.ID
	}
	// A relabelled unit's own label leads to its inspection and return.
	units, err := s.store.FindUnits(ctx, siteScope(user), unitIDs(matches))
	if err != nil {
		return err
	}
	var unitInspections []string
	for _, u := range units {
		unitInspections = append(unitInspections, u.InspectionID)
	}
	inspections, err := s.store.FindInspections(ctx, siteScope(user), values, ids, unitInspections)
	if err != nil {
		return err
	}
	return c.JSON(scanResponse{Code: code, Matches: matches, Returns: returns, Inspections: inspections, Units: units})
}

func unitIDs(matches []labels.Match) []string {
	var out []string
	for _, m := range matches {
		if m.Kind == labels.KindUnit {
			out = append(out, m.Value)
		}
	}
	return out
}
