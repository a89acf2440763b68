package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"time"

	"github.com/google/uuid"

	"github.com/returnbench/returnbench/bench/benchkit"
)

// reportHeader is the FBA Customer Returns report's header line as Seller
// Central writes it; the server knows the layout by it.
const reportHeader = "return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\t" +
	"detailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments"

const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// lpnStride is odd and not a multiple of 3, so prime to 36^10: i*stride+salt
// reaches every body once, and no two rows share a licence plate.
const lpnStride = 2_654_435_761

// scanCode is a code the scan ladder looks up: present codes must find a
// return, absent ones none.
type scanCode struct {
	value   string
	present bool
}

// report is a generated FBA Customer Returns report, cut into files as a
// seller downloads them week by week, and the codes drawn from it.
type report struct {
	files [][]byte // tab-separated, each with its header
	rows  int
	size  int
	codes []scanCode
}

// Scan mix: most scans are of parcels that are expected (their licence
// plate or order id is in a report); one in ten is a code nothing knows.
const (
	scanSample    = 4000
	absentPercent = 10
)

// makeReport writes rows returns of a seller with a catalogue of rows/20
// products into files reports, and samples the codes to scan.
func makeReport(rows, files int, seed uint64) report {
	rng := rand.New(rand.NewPCG(seed, 0x10adbe7c))
	salt := rng.Uint64N(benchkit.LicencePlates)
	type product struct{ sku, asin, fnsku, name string }
	products := make([]product, max(1, rows/20))
	for i := range products {
		products[i] = product{
			sku:   fmt.Sprintf("LB-%06d", i),
			asin:  "B0" + benchkit.RandomString(rng, upperAlnum, 8),
			fnsku: "X00" + benchkit.RandomString(rng, upperAlnum, 7),
			name:  fmt.Sprintf("Product %d, %s", i, []string{"Black", "White", "Large", "2-Pack"}[i%4]),
		}
	}
	reasons := []string{"CR-DEFECTIVE", "CR-UNWANTED_ITEM", "CR-NOT_AS_DESCRIBED", "CR-DAMAGED_BY_CARRIER", "CR-ORDERED_WRONG_ITEM"}
	dispositions := []string{"SELLABLE", "CUSTOMER_DAMAGED", "DEFECTIVE", "CARRIER_DAMAGED"}
	epoch := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

	var out report
	var buf bytes.Buffer
	lpns := make([]string, rows)
	orders := make([]string, rows)
	for i := range rows {
		if buf.Len() == 0 {
			buf.Grow(rows / files * 180)
			buf.WriteString(reportHeader + "\n")
		}
		at := epoch.Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Second)
		orders[i] = fmt.Sprintf("%03d-%07d-%07d", 111+rng.IntN(4), rng.IntN(10_000_000), rng.IntN(10_000_000))
		lpns[i] = licencePlate(uint64(i), salt)
		p := products[rng.IntN(len(products))]
		comment := ""
		if rng.IntN(2) == 0 {
			comment = "Does not work as described"
		}
		fmt.Fprintf(&buf, "%s\t%s\t%s\t%s\t%s\t%s\t1\tPHX7\t%s\t%s\tUnit returned to inventory\t%s\t%s\n",
			at.Format(time.RFC3339), orders[i], p.sku, p.asin, p.fnsku, p.name,
			dispositions[rng.IntN(len(dispositions))], reasons[rng.IntN(len(reasons))], lpns[i], comment)
		if (i+1)%(rows/files) == 0 && len(out.files) < files-1 || i == rows-1 {
			out.files = append(out.files, bytes.Clone(buf.Bytes()))
			out.size += buf.Len()
			buf.Reset()
		}
	}

	// Half the space away, the same walk makes plates of the same shape
	// that no row has: two rows i and j meet only if (i-j)*stride is half
	// the space, which takes i-j of about 1.8*10^15.
	absentSalt := (salt + benchkit.LicencePlates/2) % benchkit.LicencePlates
	codes := make([]scanCode, 0, scanSample)
	for range scanSample {
		i := rng.IntN(rows)
		switch p := rng.IntN(100); {
		case p < absentPercent:
			codes = append(codes, scanCode{value: licencePlate(uint64(rng.IntN(rows)), absentSalt)})
		case p < 70:
			codes = append(codes, scanCode{value: lpns[i], present: true})
		default:
			codes = append(codes, scanCode{value: orders[i], present: true})
		}
	}
	out.rows, out.codes = rows, codes
	return out
}

// licencePlate is row i's LPN: "LPN" and ten base-36 characters.
func licencePlate(i, salt uint64) string { return benchkit.LicencePlate(i*lpnStride + salt) }

// importResult is the part of the import answer the bench checks.
type importResult struct {
	Format        string `json:"format"`
	Rows          int    `json:"rows"`
	Inserted      int    `json:"inserted"`
	RejectedCount int    `json:"rejected_count"`
}

// importReport posts the report's files to /api/v1/imports one after
// another as the app does, each a multipart form with the field "file",
// and wants every row inserted.
func (s *rbServer) importReport(ctx context.Context, token string, r report) (time.Duration, error) {
	var took time.Duration
	inserted := 0
	for i, f := range r.files {
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		part, err := mw.CreateFormFile("file", fmt.Sprintf("fba-customer-returns-%d.tsv", i+1))
		if err != nil {
			return 0, err
		}
		part.Write(f)
		if err := mw.Close(); err != nil {
			return 0, err
		}
		start := time.Now()
		var res importResult
		if err := s.call(ctx, "POST", "/api/v1/imports", token, mw.FormDataContentType(), &form, &res); err != nil {
			return 0, fmt.Errorf("import report file %d: %w", i+1, err)
		}
		took += time.Since(start)
		if res.Format != "fba_customer_returns" || res.RejectedCount != 0 || res.Inserted != res.Rows {
			return 0, fmt.Errorf("import report file %d: %+v, want every row of fba_customer_returns inserted", i+1, res)
		}
		inserted += res.Inserted
	}
	if inserted != r.rows {
		return 0, fmt.Errorf("import the report: %d returns inserted, want %d", inserted, r.rows)
	}
	return took, nil
}

// createInspections saves n new draft inspections through the sync
// protocol, for the upload ladder to attach photos to, and returns their ids.
func (s *rbServer) createInspections(ctx context.Context, token string, n int, codes []scanCode) ([]string, error) {
	var ids []string
	clientID := "loadbench-setup"
	seq := int64(0)
	for len(ids) < n {
		var req pushRequest
		req.ClientID = clientID
		for range min(maxMutationsPerPush, n-len(ids)) {
			seq++
			id := uuid.NewString()
			payload, _ := json.Marshal(map[string]any{"id": id, "scanned_code": codes[len(ids)%len(codes)].value,
				"notes": "loadbench: photos are uploaded to this one"})
			req.Mutations = append(req.Mutations, mutation{ID: uuid.NewString(), Seq: seq, Type: "inspection.save", Payload: payload})
			ids = append(ids, id)
		}
		body, _ := json.Marshal(req)
		var res pushResponse
		if err := s.call(ctx, "POST", "/api/v1/sync/push", token, "application/json", bytes.NewReader(body), &res); err != nil {
			return nil, fmt.Errorf("create inspections: %w", err)
		}
		for i, r := range res.Results {
			if r.Status != statusApplied {
				return nil, fmt.Errorf("create inspections: mutation %d is %s: %+v", i, r.Status, r.Error)
			}
		}
	}
	return ids, nil
}

// feedCursor is a position in the change feed. The protocol calls cursors
// opaque; the bench makes its own to start pulls anywhere in the feed, in
// the form the server writes (base64 of {"e": epoch, "s": seq}).
type feedCursor struct {
	Epoch string `json:"e"`
	Seq   int64  `json:"s"`
}

func (c feedCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// feedHead finds the feed's epoch and its last position the user sees: a
// first pull gives the epoch, then pulls of one change halve the range.
func (s *rbServer) feedHead(ctx context.Context, token string) (feedCursor, error) {
	var first pullResponse
	if err := s.call(ctx, "GET", "/api/v1/sync/pull?limit=1", token, "", nil, &first); err != nil {
		return feedCursor{}, err
	}
	raw, err := base64.RawURLEncoding.DecodeString(first.Cursor)
	var cur feedCursor
	if err != nil || json.Unmarshal(raw, &cur) != nil || cur.Epoch == "" {
		return feedCursor{}, fmt.Errorf("the first pull's cursor %q is not one the bench can read", first.Cursor)
	}
	// The last seq s with a change after s-1: lo always has one after it,
	// hi never.
	lo, hi := int64(0), int64(1)
	for {
		ok, err := s.changesAfter(ctx, token, feedCursor{Epoch: cur.Epoch, Seq: hi})
		if err != nil {
			return feedCursor{}, err
		}
		if !ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := s.changesAfter(ctx, token, feedCursor{Epoch: cur.Epoch, Seq: mid})
		if err != nil {
			return feedCursor{}, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return feedCursor{Epoch: cur.Epoch, Seq: hi}, nil
}

// changesAfter tells whether the feed has a change after cur.
func (s *rbServer) changesAfter(ctx context.Context, token string, cur feedCursor) (bool, error) {
	var res pullResponse
	err := s.call(ctx, "GET", "/api/v1/sync/pull?limit=1&cursor="+cur.encode(), token, "", nil, &res)
	return len(res.Changes) > 0, err
}
