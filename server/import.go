package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/reports"
	"github.com/returnbench/returnbench/store"
)

// importBatch is how many rows go into one transaction: large enough to
// amortise the commit, small enough to keep memory flat.
const importBatch = 1000

// analyzeAfter is how many new returns make an import refresh the
// planner's statistics first; it does again each time the count doubles,
// and at the end. A planner that still believes the table empty reads all
// of it for every batch's key look-up (PostgreSQL does), and an import
// slows down as it goes.
const analyzeAfter = 5_000

// maxListedRejections bounds the rejected rows named in an answer; the
// count covers them all.
const maxListedRejections = 1000

// ImportResult is what an import did, as POST /api/v1/imports answers.
type ImportResult struct {
	Format        reports.Format     `json:"format"`
	Rows          int64              `json:"rows"`
	Inserted      int64              `json:"inserted"`
	Updated       int64              `json:"updated"`
	Unchanged     int64              `json:"unchanged"`
	Rejected      []reports.RowError `json:"rejected"`
	RejectedCount int64              `json:"rejected_count"`
	SHA256        string             `json:"sha256"`
}

// Import reads a report from r, as it arrives, into the store of the
// user's site. Bad rows are named by line and the rest lands; batches that
// were stored before a fatal error (a broken file) stay stored.
func (s *Server) Import(ctx context.Context, user *inspection.User, r io.Reader, filename string) (ImportResult, error) {
	h := sha256.New()
	rd, err := reports.NewReader(io.TeeReader(r, h))
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Format: rd.Format, Rejected: []reports.RowError{}}
	var returns []reports.ReturnRow
	var reimbursements []*inspection.Reimbursement
	nextAnalyze, analyzed := int64(analyzeAfter), int64(0)
	analyze := func() {
		if err := s.store.AnalyzeReturns(ctx); err != nil {
			s.log.Warn("refresh returns statistics during import", "err", err)
		}
		analyzed = res.Inserted
	}
	flush := func() error {
		var counts store.ImportCounts
		var err error
		if len(returns) > 0 {
			counts, err = s.store.ImportReturns(ctx, user.SiteID, returns)
		} else if len(reimbursements) > 0 {
			counts, err = s.store.ImportReimbursements(ctx, user.SiteID, reimbursements)
		}
		res.Inserted, res.Updated, res.Unchanged = res.Inserted+counts.Inserted, res.Updated+counts.Updated, res.Unchanged+counts.Unchanged
		returns, reimbursements = returns[:0], reimbursements[:0]
		if err == nil && res.Inserted >= nextAnalyze {
			analyze()
			nextAnalyze *= 2
		}
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return res, err // the client went away
		}
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err == nil {
			res.Rows++
			if rd.Format == reports.FBAReimbursements {
				var m *inspection.Reimbursement
				if m, err = rd.ReimbursementOf(row); err == nil {
					reimbursements = append(reimbursements, m)
				}
			} else {
				var rr reports.ReturnRow
				if rr, err = rd.ReturnOf(row); err == nil {
					returns = append(returns, rr)
				}
			}
		}
		var rowErr *reports.RowError
		switch {
		case errors.As(err, &rowErr):
			res.RejectedCount++
			if len(res.Rejected) < maxListedRejections {
				res.Rejected = append(res.Rejected, *rowErr)
			}
		case err != nil:
			return res, err
		}
		if len(returns)+len(reimbursements) >= importBatch {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	if res.Inserted > analyzed && res.Inserted >= analyzeAfter {
		analyze()
	}
	res.SHA256 = hex.EncodeToString(h.Sum(nil))
	rec := &store.ImportRecord{SiteID: user.SiteID, UserID: user.ID, Format: string(res.Format), Filename: filename,
		SHA256: res.SHA256, RowsTotal: res.Rows, Inserted: res.Inserted, Updated: res.Updated,
		Unchanged: res.Unchanged, Rejected: res.RejectedCount}
	return res, s.store.RecordImport(ctx, rec)
}
