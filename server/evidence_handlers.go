package server

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/evidence"
	"github.com/returnbench/returnbench/inspection"
)

// packTimeout bounds building one evidence pack (a zip with a long video
// streams for a while).
const packTimeout = 30 * time.Minute

// facts gathers what an evidence document says about an inspection the
// user may see: the record, its return, its files, its audit trail and
// the state of the whole audit chain.
func (s *Server) facts(ctx context.Context, user *inspection.User, id string) (*evidence.Facts, error) {
	in, err := s.store.InspectionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canSeeSite(user, in.SiteID) {
		return nil, inspection.Errorf(inspection.ENOTFOUND, "Inspection not found.")
	}
	f := &evidence.Facts{Inspection: *in, PublicURL: s.cfg.PublicURL, Now: s.cfg.Now().UTC()}
	if in.ReturnID != nil {
		if f.Return, err = s.store.ReturnByID(ctx, *in.ReturnID); err != nil {
			return nil, err
		}
	}
	f.Policy = s.policies.For(marketplace(f.Return))
	if inspector, err := s.store.UserByID(ctx, in.InspectorID); err == nil {
		f.Inspector = inspector.Username
	}
	if f.Media, err = s.store.MediaOf(ctx, in.ID); err != nil {
		return nil, err
	}
	if f.Events, err = s.store.AuditEvents(ctx, "inspection", in.ID); err != nil {
		return nil, err
	}
	for _, m := range f.Media {
		evs, err := s.store.AuditEvents(ctx, "media", m.ID)
		if err != nil {
			return nil, err
		}
		f.Events = append(f.Events, evs...)
	}
	sort.Slice(f.Events, func(i, j int) bool { return f.Events[i].Seq < f.Events[j].Seq })
	v, err := s.store.VerifyAudit(ctx)
	if err != nil {
		return nil, err
	}
	f.AuditOK, f.AuditCount = v.OK, v.Events
	return f, nil
}

func marketplace(r *inspection.Return) string {
	if r == nil {
		return ""
	}
	return r.Marketplace
}

// source opens stored originals for the evidence documents.
func (s *Server) source() evidence.Source {
	return func(ctx context.Context, m inspection.Media) (io.ReadCloser, error) {
		return s.uploads.Backend().Open(ctx, m.StorageKey)
	}
}

// caseOf reads ?case=, defaulting to what the verdict suggests.
// caseFacts loads the facts of the inspection in the URL and the case the
// request asks for (?case=, else the one the facts suggest).
func (s *Server) caseFacts(c *fiber.Ctx) (*evidence.Facts, evidence.Case, error) {
	f, err := s.facts(c.UserContext(), currentUser(c), c.Params("id"))
	if err != nil {
		return nil, "", err
	}
	cs, err := caseOf(c, f)
	return f, cs, err
}

func caseOf(c *fiber.Ctx, f *evidence.Facts) (evidence.Case, error) {
	if q := c.Query("case"); q != "" {
		return evidence.ParseCase(q)
	}
	return evidence.DefaultCase(f), nil
}

func (s *Server) handleLabelCard(c *fiber.Ctx) error {
	f, err := s.facts(c.UserContext(), currentUser(c), c.Params("id"))
	if err != nil {
		return err
	}
	var jpg bytes.Buffer
	res, err := evidence.LabelCard(c.UserContext(), f, s.source(), &jpg)
	if err != nil {
		return err
	}
	c.Set("X-Label-Check", res.Summary())
	c.Set(fiber.HeaderContentDisposition, `inline; filename="label-card-`+f.Inspection.ID+`.jpg"`)
	c.Type("jpg")
	return c.Send(jpg.Bytes())
}

// handleEvidence answers what a filing needs: the case types, what each
// still lacks, the label check and the dispute message in both languages.
func (s *Server) handleEvidence(c *fiber.Ctx) error {
	f, chosen, err := s.caseFacts(c)
	if err != nil {
		return err
	}
	missing := map[evidence.Case][]evidence.Requirement{}
	for _, cs := range evidence.Cases {
		missing[cs] = evidence.Missing(f, cs)
	}
	out := fiber.Map{"case": chosen, "default_case": evidence.DefaultCase(f), "missing": missing,
		"message": evidence.Messages(f, chosen), "audit_ok": f.AuditOK}
	if res, err := evidence.LabelCard(c.UserContext(), f, s.source(), io.Discard); err == nil {
		out["label_check"] = res
	} else {
		out["label_check_error"] = inspection.ErrorMessage(err)
	}
	return c.JSON(out)
}

func (s *Server) handleEvidencePDF(c *fiber.Ctx) error {
	f, cs, err := s.caseFacts(c)
	if err != nil {
		return err
	}
	var pdf bytes.Buffer
	if err := evidence.PDF(c.UserContext(), f, cs, s.source(), &pdf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="evidence-`+f.Inspection.ID+`.pdf"`)
	c.Type("pdf")
	return c.Send(pdf.Bytes())
}

// handleEvidenceZip streams the pack: originals go from the store into the
// zip and out to the client without being held whole anywhere.
func (s *Server) handleEvidenceZip(c *fiber.Ctx) error {
	f, cs, err := s.caseFacts(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="evidence-`+f.Inspection.ID+`.zip"`)
	c.Type("zip")
	src, log := s.source(), s.log
	// The writer runs after this handler returns, so it gets its own context.
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), packTimeout)
		defer cancel()
		if err := evidence.Zip(ctx, f, cs, src, w); err != nil {
			// The status is sent already; a broken zip tells the client.
			log.Error("evidence zip", "inspection", f.Inspection.ID, "err", err)
		}
		w.Flush()
	})
	return nil
}
