// Package reports reads the marketplace's return reports (tab- or
// comma-separated text) row by row and turns each row into a domain
// record. It streams: a report of any size costs one row of memory. It
// knows nothing of the database or HTTP.
package reports

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/returnbench/returnbench/inspection"
)

// Format names a report layout.
type Format string

// The layouts returnbench reads (headers as in DOMAIN.md).
const (
	FBACustomerReturns Format = "fba_customer_returns"
	MFNReturns         Format = "mfn_returns"
	FBAReimbursements  Format = "fba_reimbursements"
)

// layouts lists the headers each format must have, normalised (lower
// case, words joined by "-"). A report may carry more columns.
var layouts = []struct {
	format  Format
	headers []string
}{
	{FBACustomerReturns, []string{"return-date", "order-id", "sku", "asin", "fnsku", "product-name", "quantity",
		"fulfillment-center-id", "detailed-disposition", "reason", "status", "license-plate-number", "customer-comments"}},
	{MFNReturns, []string{"order-id", "order-date", "return-request-date", "return-request-status", "amazon-rma-id",
		"merchant-rma-id", "label-type", "label-cost", "currency-code", "return-carrier", "tracking-id",
		"label-to-be-paid-by", "a-to-z-claim", "is-prime", "asin", "merchant-sku", "item-name", "return-quantity",
		"return-reason", "in-policy", "return-type", "resolution", "invoice-number", "return-delivery-date",
		"order-amount", "order-quantity", "safet-action-reason", "safet-claim-id", "safet-claim-state",
		"safet-claim-creation-time", "safet-claim-reimbursement-amount", "refunded-amount"}},
	{FBAReimbursements, []string{"approval-date", "reimbursement-id", "case-id", "order-id", "reason", "sku", "fnsku",
		"asin", "product-name", "condition", "currency-unit", "amount-per-unit", "amount-total",
		"quantity-reimbursed-cash", "quantity-reimbursed-inventory", "quantity-reimbursed-total",
		"original-reimbursement-id", "original-reimbursement-type"}},
}

// headerAliases maps other spellings seen in downloads to the names above.
var headerAliases = map[string]string{
	"amazon-order-id":      "order-id",
	"safe-t-action-reason": "safet-action-reason", "safe-t-claim-id": "safet-claim-id",
	"safe-t-claim-state": "safet-claim-state", "safe-t-claim-creation-time": "safet-claim-creation-time",
	"safe-t-claim-reimbursement-amount": "safet-claim-reimbursement-amount",
}

func normaliseHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	h = strings.NewReplacer(" ", "-", "_", "-").Replace(h)
	if a, ok := headerAliases[h]; ok {
		return a
	}
	return h
}

// ErrUnknownLayout names the layouts that were expected.
func errUnknownLayout(got []string) error {
	var names []string
	for _, l := range layouts {
		names = append(names, fmt.Sprintf("%s (%s, …)", l.format, strings.Join(l.headers[:4], ", ")))
	}
	return &inspection.Error{Code: inspection.EUNPROCESSABLE, Message: fmt.Sprintf(
		"This file's header (%s) is not a report returnbench reads. Expected one of: %s.",
		truncate(strings.Join(got, ", "), 200), strings.Join(names, "; "))}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// MaxLineBytes bounds one row; a longer line is a broken file, not a report.
const MaxLineBytes = 64 << 10

// MaxRecordBytes bounds one record, whose quoted fields may span lines: a
// quote that never closes would otherwise swallow the rest of the file
// into one field.
const MaxRecordBytes = 4 * MaxLineBytes

// Reader reads one report, row by row.
type Reader struct {
	Format Format
	csv    *csv.Reader
	limit  *lineLimit
	cols   map[string]int
	line   int
}

// compressedMagic are the first bytes of archive and compression formats.
var compressedMagic = []struct{ name, magic string }{
	{"gzip", "\x1f\x8b"}, {"zip", "PK\x03\x04"}, {"zip", "PK\x05\x06"}, {"zip", "PK\x07\x08"},
	{"bzip2", "BZh"}, {"xz", "\xfd7zXZ\x00"}, {"zstd", "\x28\xb5\x2f\xfd"}, {"7z", "7z\xbc\xaf\x27\x1c"},
	{"rar", "Rar!\x1a\x07"}, {"compress", "\x1f\x9d"}, {"lz4", "\x04\x22\x4d\x18"},
}

// Compressed names the archive or compression format head starts with
// (after a byte order mark, if any), or "" for anything else. Reports and
// mailboxes are read as plain text only: nothing is ever inflated, so a
// small archive cannot become a huge file on the server (a zip bomb).
func Compressed(head []byte) string {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	for _, c := range compressedMagic {
		if bytes.HasPrefix(head, []byte(c.magic)) {
			return c.name
		}
	}
	return ""
}

// ErrCompressed refuses a compressed upload by the format it is in.
func ErrCompressed(format string) error {
	return inspection.Errorf(inspection.EUNSUPPORTED,
		"This file is %s-compressed. Unpack it and send the file inside as plain text (.txt, .tsv, .csv or .eml).", format)
}

// NewReader reads the header line, detects the delimiter (tab or comma)
// and the layout, and is then ready for rows. A UTF-8 byte order mark and
// CRLF line ends are accepted.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	peek, _ := br.Peek(4096)
	peek = bytes.TrimPrefix(peek, []byte("\xef\xbb\xbf"))
	if format := Compressed(peek); format != "" {
		return nil, ErrCompressed(format)
	}
	first, _, _ := bytes.Cut(peek, []byte("\n"))
	if len(bytes.TrimSpace(first)) == 0 {
		return nil, inspection.Errorf(inspection.EINVALID, "The file is empty: it has no header line.")
	}
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	limit := &lineLimit{r: br}
	c := csv.NewReader(limit)
	c.Comma = ','
	if bytes.Count(first, []byte("\t")) > bytes.Count(first, []byte(",")) {
		c.Comma = '\t'
	}
	c.LazyQuotes = true    // bare quotes inside fields are common in product names
	c.FieldsPerRecord = -1 // short rows are reported per row, not fatal
	c.ReuseRecord = true
	header, err := c.Read()
	if err != nil {
		return nil, inspection.Errorf(inspection.EINVALID, "The header line could not be read: %v.", err)
	}
	cols := map[string]int{}
	var got []string
	for i, h := range header {
		n := normaliseHeader(h)
		got = append(got, n)
		if _, dup := cols[n]; !dup {
			cols[n] = i
		}
	}
	for _, l := range layouts {
		if hasAll(cols, l.headers) {
			return &Reader{Format: l.format, csv: c, limit: limit, cols: cols, line: 1}, nil
		}
	}
	sort.Strings(got)
	return nil, errUnknownLayout(got)
}

func hasAll(cols map[string]int, want []string) bool {
	for _, h := range want {
		if _, ok := cols[h]; !ok {
			return false
		}
	}
	return true
}

// Row is one data line of a report.
type Row struct {
	Line   int
	fields []string
	cols   map[string]int
}

// Get returns a column's trimmed value ("" when the row is short).
func (r Row) Get(name string) string {
	i, ok := r.cols[name]
	if !ok || i >= len(r.fields) {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

// Next returns the next non-blank row, or io.EOF. A line that cannot be
// parsed at all comes back as a RowError so the import can go on.
func (r *Reader) Next() (Row, error) {
	for {
		r.limit.record = 0
		rec, err := r.csv.Read()
		r.line++
		if line, _ := r.csv.FieldPos(0); line > 0 {
			r.line = line
		}
		var parseErr *csv.ParseError
		switch {
		case err == io.EOF:
			return Row{}, io.EOF
		case errors.As(err, &parseErr) && !errors.Is(err, errLineTooLong) && !errors.Is(err, errRecordTooLong):
			// One bad line: reject it and go on.
			return Row{}, &RowError{Line: r.line, Reason: "malformed line: " + err.Error()}
		case err != nil:
			// The file itself broke (a cut upload, a line without end):
			// the import stops here.
			return Row{}, err
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		fields := append([]string(nil), rec...)
		return Row{Line: r.line, fields: fields, cols: r.cols}, nil
	}
}

// RowError rejects one row, with its line number, and lets the rest import.
type RowError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

var (
	errLineTooLong   = inspection.Errorf(inspection.EINVALID, "A line is longer than 64 KiB: this is not a report (or it is broken).")
	errRecordTooLong = inspection.Errorf(inspection.EINVALID, "A row is longer than 256 KiB (a quote that never closes?): this is not a report (or it is broken).")
)

// lineLimit fails a read when a single line grows past MaxLineBytes, so a
// file without line breaks cannot make the reader buffer it whole, and
// when the bytes read since record was reset pass MaxRecordBytes, so a
// quoted field cannot either. The CSV reader reads ahead a few KiB, so a
// record is bounded to about MaxRecordBytes, not to the byte.
type lineLimit struct {
	r       *bufio.Reader
	lineLen int
	record  int
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if l.record += n; l.record > MaxRecordBytes {
		return 0, errRecordTooLong
	}
	for _, b := range p[:n] {
		if b == '\n' {
			l.lineLen = 0
		} else if l.lineLen++; l.lineLen > MaxLineBytes {
			return 0, errLineTooLong
		}
	}
	return n, err
}
