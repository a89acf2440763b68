package server

import (
	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/inspection"
)

// evidenceStatus summarises an inspection's files for the bench and the office.
type evidenceStatus struct {
	Files    int `json:"files"`
	Verified int `json:"verified"`
	Waiting  int `json:"waiting"`
	Rejected int `json:"rejected"`
}

func summarizeEvidence(media []inspection.Media) evidenceStatus {
	st := evidenceStatus{Files: len(media)}
	for _, m := range media {
		switch m.Status {
		case inspection.MediaVerified:
			st.Verified++
		case inspection.MediaRejected:
			st.Rejected++
		default:
			st.Waiting++
		}
	}
	return st
}

func (s *Server) handleGetInspection(c *fiber.Ctx) error {
	ctx := c.UserContext()
	in, err := s.store.InspectionByID(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	// Another site's record is reported as missing, not forbidden, so ids
	// cannot be probed.
	if !canSeeSite(currentUser(c), in.SiteID) {
		return inspection.Errorf(inspection.ENOTFOUND, "Inspection not found.")
	}
	media, err := s.store.MediaOf(ctx, in.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"inspection": in, "media": media, "evidence": summarizeEvidence(media)})
}
