package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/labels"
)

// dateLayouts are the date forms the reports use: ISO-8601 with an offset
// (FBA downloads), the seller-fulfilled report's 10-Jul-2025, and a few
// plain forms seen in exports.
var dateLayouts = []string{
	time.RFC3339, "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05 MST",
	"2006-01-02 15:04:05", "2006-01-02T15:04:05", "02-Jan-2006", "02-Jan-06", "2006-01-02", "01/02/2006", "Jan 2, 2006",
}

// parseDate reads a report date; "" stays nil.
func parseDate(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, fmt.Errorf("date %q is in no known form", s)
}

func parseInt(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil || n < 0 || n > 100000 {
		return 0, fmt.Errorf("quantity %q is not a whole number from 0 to 100000", s)
	}
	return n, nil
}

// parseAmount reads "19.99", "$19.99" or "USD 19.99".
func parseAmount(s string) (inspection.Cents, error) {
	s = strings.TrimSpace(strings.TrimLeft(s, "$€£¥ "))
	if f := strings.Fields(s); len(f) == 2 && len(f[0]) == 3 {
		s = f[1]
	}
	c, err := inspection.ParseCents(s)
	if err != nil {
		return 0, fmt.Errorf("amount %q is not a number", s)
	}
	return c, nil
}

func yes(s string) bool {
	switch strings.ToLower(s) {
	case "y", "yes", "true", "1":
		return true
	}
	return false
}

// ReturnRow is a return read from a report, with the key that identifies
// its row across re-deliveries and the hash of what it says.
type ReturnRow struct {
	Return *inspection.Return
	Key    string
	Hash   string
}

// ReturnOf turns a returns-report row into a return. Errors are RowErrors.
func (r *Reader) ReturnOf(row Row) (ReturnRow, error) {
	var ret *inspection.Return
	var key string
	var err error
	switch r.Format {
	case FBACustomerReturns:
		ret, key, err = fbaReturn(row)
	case MFNReturns:
		ret, key, err = mfnReturn(row)
	default:
		return ReturnRow{}, fmt.Errorf("%s rows are not returns", r.Format)
	}
	if err == nil {
		err = ret.Validate()
	}
	if err != nil {
		return ReturnRow{}, &RowError{Line: row.Line, Reason: inspection.ErrorMessageOrText(err)}
	}
	ret.Source = string(r.Format)
	return ReturnRow{Return: ret, Key: key, Hash: hashOf(ret)}, nil
}

func fbaReturn(row Row) (*inspection.Return, string, error) {
	returned, err := parseDate(row.Get("return-date"))
	if err != nil {
		return nil, "", err
	}
	qty, err := parseInt(row.Get("quantity"), 1)
	if err != nil {
		return nil, "", err
	}
	ret := &inspection.Return{
		Channel: inspection.ChannelFBA, OrderID: labels.Normalize(row.Get("order-id")), SKU: row.Get("sku"),
		ASIN: labels.Normalize(row.Get("asin")), FNSKU: labels.Normalize(row.Get("fnsku")), ProductName: row.Get("product-name"),
		Quantity: qty, FulfillmentCenter: row.Get("fulfillment-center-id"), FCDisposition: strings.ToUpper(row.Get("detailed-disposition")),
		ReasonRaw: row.Get("reason"), Reason: inspection.NormalizeReason(row.Get("reason")), RequestStatus: row.Get("status"),
		LPN: labels.Normalize(row.Get("license-plate-number")), BuyerComment: row.Get("customer-comments"), FCReturnedAt: returned,
	}
	if ret.OrderID == "" {
		return nil, "", fmt.Errorf("order-id is empty")
	}
	// A licence plate names one returned unit; without one, the order, the
	// SKU and the day identify the row.
	key := "lpn:" + ret.LPN
	if ret.LPN == "" {
		key = fmt.Sprintf("row:%s|%s|%s", ret.OrderID, ret.SKU, row.Get("return-date"))
	}
	return ret, key, nil
}

func mfnReturn(row Row) (*inspection.Return, string, error) {
	var err error
	dates := map[string]**time.Time{}
	ret := &inspection.Return{
		Channel: inspection.ChannelMFN, OrderID: labels.Normalize(row.Get("order-id")), RMAID: labels.Normalize(row.Get("amazon-rma-id")),
		MerchantRMAID: row.Get("merchant-rma-id"), Currency: strings.ToUpper(row.Get("currency-code")),
		Carrier: strings.ToLower(row.Get("return-carrier")), TrackingID: labels.Normalize(row.Get("tracking-id")),
		AtoZClaim: yes(row.Get("a-to-z-claim")), ASIN: labels.Normalize(row.Get("asin")), SKU: row.Get("merchant-sku"),
		ProductName: row.Get("item-name"), ReasonRaw: row.Get("return-reason"), Reason: inspection.NormalizeReason(row.Get("return-reason")),
		RequestStatus: row.Get("return-request-status"), Resolution: row.Get("resolution"),
		SafeTClaimID: row.Get("safet-claim-id"), SafeTClaimState: row.Get("safet-claim-state"),
	}
	dates["return-request-date"] = &ret.RequestedAt
	dates["return-delivery-date"] = &ret.ArrivedAt
	for col, dst := range dates {
		if *dst, err = parseDate(row.Get(col)); err != nil {
			return nil, "", err
		}
	}
	if ret.Quantity, err = parseInt(row.Get("return-quantity"), 1); err != nil {
		return nil, "", err
	}
	if ret.OrderAmount, err = parseAmount(row.Get("order-amount")); err != nil {
		return nil, "", err
	}
	if ret.RefundAmount, err = parseAmount(row.Get("refunded-amount")); err != nil {
		return nil, "", err
	}
	if m := labels.Classify(ret.TrackingID); len(m) > 0 && m[0].Carrier {
		ret.TrackingID = m[0].Value // as a scan will read it
	}
	if ret.OrderID == "" {
		return nil, "", fmt.Errorf("order-id is empty")
	}
	key := "rma:" + ret.RMAID
	if ret.RMAID == "" {
		key = fmt.Sprintf("row:%s|%s|%s", ret.OrderID, ret.ASIN, row.Get("return-request-date"))
	}
	return ret, key, nil
}

// ReimbursementOf turns a reimbursements-report row into a reimbursement.
func (r *Reader) ReimbursementOf(row Row) (*inspection.Reimbursement, error) {
	if r.Format != FBAReimbursements {
		return nil, fmt.Errorf("%s rows are not reimbursements", r.Format)
	}
	fail := func(err error) (*inspection.Reimbursement, error) {
		return nil, &RowError{Line: row.Line, Reason: err.Error()}
	}
	m := &inspection.Reimbursement{
		ReimbursementID: row.Get("reimbursement-id"), SKU: row.Get("sku"), CaseID: row.Get("case-id"),
		OrderID: labels.Normalize(row.Get("order-id")), Reason: row.Get("reason"), FNSKU: labels.Normalize(row.Get("fnsku")),
		ASIN: labels.Normalize(row.Get("asin")), ProductName: row.Get("product-name"), Condition: row.Get("condition"),
		Currency: strings.ToUpper(row.Get("currency-unit")), OriginalID: row.Get("original-reimbursement-id"),
		OriginalType: row.Get("original-reimbursement-type"),
	}
	if m.ReimbursementID == "" {
		return fail(fmt.Errorf("reimbursement-id is empty"))
	}
	var err error
	if m.ApprovalDate, err = parseDate(row.Get("approval-date")); err != nil {
		return fail(err)
	}
	if m.AmountPerUnit, err = parseAmount(row.Get("amount-per-unit")); err != nil {
		return fail(err)
	}
	if m.AmountTotal, err = parseAmount(row.Get("amount-total")); err != nil {
		return fail(err)
	}
	for col, dst := range map[string]*int{"quantity-reimbursed-cash": &m.QuantityCash,
		"quantity-reimbursed-inventory": &m.QuantityInventory, "quantity-reimbursed-total": &m.QuantityTotal} {
		if *dst, err = parseInt(row.Get(col), 0); err != nil {
			return fail(err)
		}
	}
	m.SourceHash = hashOf(m)
	return m, nil
}

// hashOf is the SHA-256 of a record's JSON: equal for equal report facts.
func hashOf(v any) string {
	b, _ := json.Marshal(v)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:16])
}
