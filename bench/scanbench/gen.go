package main

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/returnbench/returnbench/bench/benchkit"
)

// Random streams of one seed: the returns, the codes sampled from them and
// the codes that must not exist are drawn independently, so changing how
// many lookups a run makes never changes the data.
const (
	streamReturns uint64 = iota + 1
	streamSample
	streamAbsent
)

const (
	digits     = "0123456789"
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	mixedAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// returnRow is one generated return: the columns a marketplace import fills.
type returnRow struct {
	id, orderID, rmaID, trackingID, carrier, lpn string
	product                                      product
	reasonRaw, reason                            string
	amount                                       int64
	requestedAt, createdAt                       time.Time
	arrivedAt                                    *time.Time
}

// product is a catalogue entry. Returns share products, so an FNSKU scan
// finds every return of that product, as it does in a real warehouse.
type product struct {
	fnsku, asin, sku, name string
}

// returnColumns are the columns the loader fills, in args order.
var returnColumns = []string{
	"id", "site_id", "marketplace", "channel", "order_id", "rma_id", "tracking_id", "carrier",
	"lpn", "fnsku", "asin", "sku", "product_name", "quantity", "reason_raw", "reason",
	"currency", "order_amount", "refund_amount", "requested_at", "request_status",
	"arrived_at", "source", "version", "created_at", "updated_at",
}

func (r returnRow) appendArgs(args []any) []any {
	return append(args,
		r.id, "main", "US", "amazon", r.orderID, r.rmaID, r.trackingID, r.carrier,
		r.lpn, r.product.fnsku, r.product.asin, r.product.sku, r.product.name, 1, r.reasonRaw, r.reason,
		"USD", r.amount, r.amount, r.requestedAt, "Approved",
		r.arrivedAt, "import", 1, r.createdAt, r.createdAt,
	)
}

// returnGen makes realistic returns: every one has an Amazon order id, about
// 40% a UPS tracking number and 20% an Amazon Logistics one, 30% an Amazon
// RMA id, 30% an FBA LPN; products repeat about every 20 returns.
type returnGen struct {
	rng      *rand.Rand
	products []product
	epoch    time.Time
}

var reasons = []string{"DEFECTIVE", "NO_LONGER_NEEDED", "ORDERED_WRONG_ITEM", "DAMAGED_BY_CARRIER", "NOT_AS_DESCRIBED"}

func newReturnGen(seed uint64, rows int) *returnGen {
	g := &returnGen{
		rng: rand.New(rand.NewPCG(seed, streamReturns)),
		// A fixed epoch, not the clock: one seed always builds the same rows.
		epoch: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	g.products = make([]product, max(1, rows/20))
	for i := range g.products {
		g.products[i] = product{
			fnsku: fnsku(g.rng),
			asin:  "B0" + benchkit.RandomString(g.rng, upperAlnum, 8),
			sku:   fmt.Sprintf("SKU-%06d", i),
			name:  fmt.Sprintf("Product %d", i),
		}
	}
	return g
}

func (g *returnGen) next() returnRow {
	r := g.rng
	created := g.epoch.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Microsecond)
	reason := reasons[r.IntN(len(reasons))]
	row := returnRow{
		id:          randomUUID(r),
		orderID:     amazonOrderID(r),
		product:     g.products[r.IntN(len(g.products))],
		reasonRaw:   "CR-" + reason,
		reason:      reason,
		amount:      500 + r.Int64N(20_000),
		requestedAt: created.Add(-time.Duration(r.Int64N(int64(72 * time.Hour)))).Truncate(time.Microsecond),
		createdAt:   created,
	}
	switch p := r.Float64(); {
	case p < 0.4:
		row.trackingID, row.carrier = upsNumber(r), "ups"
	case p < 0.6:
		row.trackingID, row.carrier = amazonLogistics(r), "amazon_logistics"
	}
	if r.Float64() < 0.3 {
		row.rmaID = amazonRMA(r)
	}
	if r.Float64() < 0.3 {
		row.lpn = fbaLPN(r)
	}
	if r.Float64() < 0.5 {
		arrived := created.Add(time.Duration(r.Int64N(int64(14 * 24 * time.Hour)))).Truncate(time.Microsecond)
		row.arrivedAt = &arrived
	}
	return row
}

// anyCode makes a code of a kind a bench scans, for codes that must not be
// found: same shapes as the stored ones, so they take the same query paths.
func anyCode(r *rand.Rand) string {
	switch r.IntN(6) {
	case 0:
		return upsNumber(r)
	case 1:
		return amazonLogistics(r)
	case 2:
		return amazonOrderID(r)
	case 3:
		return amazonRMA(r)
	case 4:
		return fbaLPN(r)
	}
	return fnsku(r)
}

// upsNumber is 1Z, a 6-character shipper account, a 2-digit service, a
// 7-digit package number and the check digit labels.Classify verifies.
func upsNumber(r *rand.Rand) string {
	body := benchkit.RandomString(r, upperAlnum, 6) + benchkit.RandomString(r, digits, 9)
	return "1Z" + body + string(upsCheckDigit(body))
}

// upsCheckDigit is the check over the 15 characters after 1Z: a letter
// counts as (ASCII - 3) mod 10, every second character is doubled, and the
// digit brings the sum to a multiple of 10.
func upsCheckDigit(body string) byte {
	sum := 0
	for i := 0; i < len(body); i++ {
		v := int(body[i] - '0')
		if body[i] > '9' {
			v = (int(body[i]) - 3) % 10
		}
		if i%2 == 1 {
			v *= 2
		}
		sum += v
	}
	return byte('0' + (10-sum%10)%10)
}

func amazonOrderID(r *rand.Rand) string {
	return fmt.Sprintf("%03d-%07d-%07d", 100+r.IntN(900), r.IntN(10_000_000), r.IntN(10_000_000))
}

func amazonLogistics(r *rand.Rand) string { return "TBA" + benchkit.RandomString(r, digits, 12) }

// amazonRMA ends RRMA and keeps mixed case, as Amazon's do.
func amazonRMA(r *rand.Rand) string { return "D" + benchkit.RandomString(r, mixedAlnum, 8) + "RRMA" }

func fbaLPN(r *rand.Rand) string { return "LPN" + benchkit.RandomString(r, upperAlnum, 10) }

func fnsku(r *rand.Rand) string { return "X00" + benchkit.RandomString(r, upperAlnum, 7) }

// randomUUID is a version 4 UUID drawn from the seeded generator, like the
// ids the store makes, but reproducible.
func randomUUID(r *rand.Rand) string {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[:8], r.Uint64())
	binary.BigEndian.PutUint64(u[8:], r.Uint64())
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}
