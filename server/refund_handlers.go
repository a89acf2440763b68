package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/labels"
	"github.com/returnbench/returnbench/reports"
	"github.com/returnbench/returnbench/store"
)

// refundBatch is how many refunds go into one transaction.
const refundBatch = 200

// SkippedMessage names a message of an import that held no usable refund.
type SkippedMessage struct {
	Message int    `json:"message"` // 1-based, in file order
	Reason  string `json:"reason"`
}

// RefundImportResult is what POST /api/v1/refunds/import answers.
type RefundImportResult struct {
	Format   string `json:"format"` // "eml" or "mbox"
	Messages int    `json:"messages"`
	Refunds  int    `json:"refunds"`
	// Applied refunds were new: recorded and applied to their returns.
	Applied int `json:"applied"`
	// Unchanged refunds were recorded before (the same email again).
	Unchanged      int              `json:"unchanged"`
	ReturnsUpdated int              `json:"returns_updated"`
	ReturnsCreated int              `json:"returns_created"`
	Skipped        []SkippedMessage `json:"skipped"`
	SkippedCount   int              `json:"skipped_count"`
	SHA256         string           `json:"sha256"`
}

// ImportRefunds reads refund notification emails from r, as they arrive:
// one RFC 5322 message (.eml) or a mailbox export (mbox), told apart by
// the first line. Messages that hold no refund are skipped with a reason;
// batches stored before a fatal error (a broken upload) stay stored.
func (s *Server) ImportRefunds(ctx context.Context, user *inspection.User, r io.Reader, filename string) (RefundImportResult, error) {
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(r, h), 64<<10)
	head, _ := br.Peek(1024)
	if len(bytes.TrimSpace(head)) == 0 {
		return RefundImportResult{}, inspection.Errorf(inspection.EINVALID, "The file is empty.")
	}
	if format := reports.Compressed(head); format != "" {
		return RefundImportResult{}, reports.ErrCompressed(format)
	}
	res := RefundImportResult{Format: inspection.RefundSourceEML, Skipped: []SkippedMessage{}}
	var batch []inspection.Refund
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		outcomes, err := s.store.RecordRefunds(ctx, user.SiteID, user.ID, batch)
		batch = batch[:0]
		for _, o := range outcomes {
			if !o.New {
				res.Unchanged++
				continue
			}
			res.Applied++
			res.ReturnsUpdated += len(o.Updated)
			if o.Created != "" {
				res.ReturnsCreated++
			}
		}
		return err
	}
	skip := func(i int, err error) {
		res.SkippedCount++
		if len(res.Skipped) < maxListedRejections {
			res.Skipped = append(res.Skipped, SkippedMessage{Message: i, Reason: inspection.ErrorMessage(err)})
		}
	}
	// one reads a message; only a failure to read the upload is fatal.
	one := func(i int, msg io.Reader) error {
		res.Messages++
		email, err := reports.ParseRefundEmail(msg)
		var appErr *inspection.Error
		switch {
		case errors.As(err, &appErr):
			skip(i, err)
			return nil
		case err != nil:
			return err
		}
		for _, rf := range email.Refunds {
			rf.Source = res.Format
			batch = append(batch, rf)
		}
		res.Refunds += len(email.Refunds)
		if len(batch) >= refundBatch {
			return flush()
		}
		return nil
	}
	if reports.LooksLikeMbox(head) {
		res.Format = inspection.RefundSourceMbox
		mr := reports.NewMboxReader(br)
		for i := 1; ; i++ {
			raw, err := mr.Next()
			switch {
			case err == io.EOF:
			case errors.Is(err, reports.ErrMessageTooLarge):
				res.Messages++
				skip(i, err)
				continue
			case err != nil:
				return res, err
			case len(bytes.TrimSpace(raw)) == 0:
				res.Messages++
				skip(i, inspection.Errorf(inspection.EUNPROCESSABLE, "The message is empty."))
				continue
			default:
				if err := one(i, bytes.NewReader(raw)); err != nil {
					return res, err
				}
				continue
			}
			break
		}
	} else if err := one(1, br); err != nil {
		return res, err
	}
	if err := flush(); err != nil {
		return res, err
	}
	if _, err := io.Copy(io.Discard, br); err != nil { // the rest, for the file's hash
		return res, err
	}
	res.SHA256 = hex.EncodeToString(h.Sum(nil))
	rec := &store.ImportRecord{SiteID: user.SiteID, UserID: user.ID, Format: "refunds_" + res.Format, Filename: filename,
		SHA256: res.SHA256, RowsTotal: int64(res.Messages), Inserted: int64(res.Applied), Unchanged: int64(res.Unchanged),
		Rejected: int64(res.SkippedCount)}
	return res, s.store.RecordImport(ctx, rec)
}

// handleRefundImport takes refund emails as multipart form field "file"
// (from the app) or as the raw body (from scripts), read while they arrive.
func (s *Server) handleRefundImport(c *fiber.Ctx) error {
	return importUpload(s, c, "A mailbox export", s.ImportRefunds)
}

// refundRequest is the body of POST /api/v1/refunds: a refund a lead
// learnt of some other way.
type refundRequest struct {
	OrderID    string           `json:"order_id"`
	Amount     inspection.Cents `json:"amount"`
	Currency   string           `json:"currency"`
	RefundedAt *time.Time       `json:"refunded_at"`
	SKU        string           `json:"sku"`
	ASIN       string           `json:"asin"`
	ItemName   string           `json:"item_name"`
	Channel    string           `json:"channel"`
}

// refundAnswer is what recording one refund did.
type refundAnswer struct {
	Refund         *inspection.Refund `json:"refund"`
	UpdatedReturns []string           `json:"updated_returns"`
	CreatedReturn  *string            `json:"created_return"`
}

// handleCreateRefund records a refund entered by hand; the same refund
// entered twice is a conflict.
func (s *Server) handleCreateRefund(c *fiber.Ctx) error {
	var req refundRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	if req.RefundedAt == nil {
		return inspection.Errorf(inspection.EINVALID, "refunded_at is required (RFC 3339, e.g. 2025-07-10T14:00:00Z).")
	}
	if req.RefundedAt.After(s.cfg.Now().Add(24 * time.Hour)) {
		return inspection.Errorf(inspection.EINVALID, "refunded_at is in the future.")
	}
	r := inspection.Refund{OrderID: labels.Normalize(req.OrderID), SKU: strings.TrimSpace(req.SKU),
		ASIN: labels.Normalize(req.ASIN), ItemName: strings.TrimSpace(req.ItemName), Amount: req.Amount,
		Currency: strings.ToUpper(strings.TrimSpace(req.Currency)), RefundedAt: req.RefundedAt.UTC(),
		Channel: strings.ToLower(strings.TrimSpace(req.Channel)), Source: inspection.RefundSourceManual}
	user := currentUser(c)
	outcomes, err := s.store.RecordRefunds(c.UserContext(), user.SiteID, user.ID, []inspection.Refund{r})
	if err != nil {
		return err
	}
	o := outcomes[0]
	if !o.New {
		return inspection.Errorf(inspection.ECONFLICT, "This refund (order %s, the same item and time) is already recorded.", r.OrderID)
	}
	ans := refundAnswer{Refund: o.Refund, UpdatedReturns: o.Updated}
	if ans.UpdatedReturns == nil {
		ans.UpdatedReturns = []string{}
	}
	if o.Created != "" {
		ans.CreatedReturn = &o.Created
	}
	return c.Status(fiber.StatusCreated).JSON(ans)
}
