package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
)

// header is the FBA Customer Returns report's header line, exactly as
// Seller Central writes it (DOMAIN.md).
const header = "return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\t" +
	"detailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments"

// recipe versions the generator: change what it writes, bump it, and files
// cached by an older recipe are not reused.
const recipe = "v1"

// report is a generated report file on disk.
type report struct {
	path   string
	rows   int
	size   int64
	sha256 string
	made   time.Duration // 0 when it came from the cache
}

// reportFile makes (or finds in dir) the report of rows rows for seed.
func reportFile(ctx context.Context, dir string, rows int, seed uint64) (report, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return report{}, fmt.Errorf("report dir: %w", err)
	}
	r := report{path: filepath.Join(dir, fmt.Sprintf("fba-customer-returns-%d-seed%d-%s.tsv", rows, seed, recipe)), rows: rows}
	start := time.Now()
	made, err := benchkit.Cached(r.path, func(tmp string) error { return writeReport(ctx, tmp, rows, seed) })
	if err != nil {
		return report{}, err
	}
	if made {
		r.made = time.Since(start)
	}
	r.size, r.sha256, err = benchkit.HashFile(r.path)
	return r, err
}

func writeReport(ctx context.Context, path string, rows int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	g := newRowGen(seed, rows)
	w.WriteString(header + "\n")
	var line []byte
	for i := range rows {
		if i%100_000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		line = g.appendRow(line[:0], i)
		if _, err := w.Write(line); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// product is one catalogue entry: returns repeat products, as they do.
type product struct {
	sku, asin, fnsku, name string
}

// rowGen writes realistic FBA returns rows from one seeded generator.
type rowGen struct {
	rng      *rand.Rand
	products []product
	epoch    time.Time
	lpnSalt  uint64
	order    string // the previous row's order: some orders return several units
}

const (
	digits     = "0123456789"
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// Marketplace offsets the downloads carry (US Pacific and Eastern, summer
// and winter; UK; Germany).
var zones = []*time.Location{
	time.FixedZone("PDT", -7*3600), time.FixedZone("PST", -8*3600), time.FixedZone("EDT", -4*3600),
	time.FixedZone("EST", -5*3600), time.UTC, time.FixedZone("CET", 3600),
}

var fulfillmentCenters = []string{"PHX7", "ONT8", "SBD1", "MDW2", "BFI4", "TPA1", "DFW7", "LAS1", "AVP1", "CLT2",
	"JAX3", "MKE1", "SMF3", "IND9", "LGB8", "RDU1"}

// dispositions with their share of rows, in percent.
var dispositions = []struct {
	name  string
	share int
}{{"SELLABLE", 45}, {"CUSTOMER_DAMAGED", 20}, {"DEFECTIVE", 18}, {"DAMAGED", 8}, {"CARRIER_DAMAGED", 6}, {"EXPIRED", 3}}

var reasonCodes = []string{"DEFECTIVE", "NOT_AS_DESCRIBED", "QUALITY_UNACCEPTABLE", "MISSING_PARTS", "SWITCHEROO",
	"DAMAGED_BY_CARRIER", "DAMAGED_BY_FC", "UNWANTED_ITEM", "ORDERED_WRONG_ITEM", "NO_REASON_GIVEN",
	"FOUND_BETTER_PRICE", "NOT_COMPATIBLE", "MISSED_ESTIMATED_DELIVERY", "EXTRA_ITEM", "WARRANTY",
	"UNAUTHORIZED_PURCHASE", "UNDELIVERABLE_REFUSED", "APPAREL_TOO_SMALL", "APPAREL_STYLE", "MISORDERED", "OTHER"}

var statuses = []string{"Unit returned to inventory", "Unit returned to inventory", "Unit returned to inventory",
	"Reimbursed", "Pending repackaging", "Repackaged Successfully", "IMMEDIATE_DONATION"}

var comments = []string{
	"Stopped heating after a week", "Does not match the photos", "Too small", "Arrived too late",
	"Bought by mistake", "Item is defective or does not work", "Missing the charger",
	`said "too small", fine`, "Better price available elsewhere", "Not compatible with my phone",
	"Box was crushed, item scratched", "Wrong colour sent", "Received an empty box", "Does not fit my car",
	"Smells strange", "Came without the manual", "Changed my mind", "Screen flickers",
	`The 12" one is too big`, "Quality is worse than expected",
}

var brands = []string{"Acme", "Northwind", "Kestrel", "Bluefin", "Oakridge", "Vantage", "Lumen", "Tidewater", "Granite", "Pioneer"}

var items = []string{"Electric kettle 1.7 L", "Mug set, 4 pieces", "Desk lamp", "USB-C cable 2 m", "Cast iron skillet",
	"Bluetooth speaker", "Yoga mat", "Phone case", "Hiking backpack 30 L", "Stainless water bottle",
	"Wireless mouse", "LED strip 5 m", "Toy car", "Kitchen scale", "Running shoes", "Air fryer 4 qt",
	"Baby monitor", "Dog harness", "Screwdriver set, 32 pieces", "Noise cancelling headphones"}

var variants = []string{"Black", "White", "Blue", "Red", "Large", "Small", "2-Pack", "Stoneware", "Matte grey"}

func newRowGen(seed uint64, rows int) *rowGen {
	g := &rowGen{
		rng: rand.New(rand.NewPCG(seed, 0x1f2e3d4c5b6a7988)),
		// A fixed epoch, not the clock: one seed always writes the same file.
		epoch: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	g.lpnSalt = g.rng.Uint64N(benchkit.LicencePlates)
	// A seller with a catalogue of a few thousand products.
	g.products = make([]product, min(20_000, max(1, rows/20)))
	for i := range g.products {
		g.products[i] = g.newProduct(i)
	}
	return g
}

func (g *rowGen) newProduct(i int) product {
	r := g.rng
	name := brands[r.IntN(len(brands))] + " " + items[r.IntN(len(items))] + " " + variants[r.IntN(len(variants))]
	switch p := r.IntN(100); {
	case p < 6: // a bare inch mark inside the name, as many listings have
		name = fmt.Sprintf(`%s %d" wide`, name, 6+r.IntN(30))
	case p < 10: // a name the report quotes, with doubled quotes inside
		name = fmt.Sprintf(`"%s, ""%s"" edition"`, name, variants[r.IntN(len(variants))])
	}
	return product{
		sku:   fmt.Sprintf("%s-%05d", strings.ToUpper(brands[i%len(brands)][:3]), i),
		asin:  "B0" + benchkit.RandomString(r, upperAlnum, 8),
		fnsku: "X00" + benchkit.RandomString(r, upperAlnum, 7),
		name:  name,
	}
}

// lpnStep is odd and not a multiple of 3, so prime to 36^10: i*step+salt
// visits every LPN body once, and row i's licence plate is unique.
const lpnStep = 25_214_903_917

// lpn is row i's licence plate: LPN and ten base-36 characters that look
// random but never repeat within a file.
func (g *rowGen) lpn(i int) string { return benchkit.LicencePlate(uint64(i)*lpnStep + g.lpnSalt) }

// appendRow appends row i, tab-separated, with its line end.
func (g *rowGen) appendRow(b []byte, i int) []byte {
	r := g.rng
	at := g.epoch.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Second)
	b = at.In(zones[r.IntN(len(zones))]).AppendFormat(b, time.RFC3339)
	b = append(b, '\t')
	if g.order == "" || r.IntN(100) >= 8 { // 8% are another unit of the previous row's order
		g.order = fmt.Sprintf("%03d-%07d-%07d", 111+r.IntN(4), r.IntN(10_000_000), r.IntN(10_000_000))
	}
	p := g.products[r.IntN(len(g.products))]
	b = append(b, g.order...)
	b = appendFields(b, p.sku, p.asin, p.fnsku, p.name)
	b = append(b, '\t')
	qty := 1
	if q := r.IntN(100); q >= 99 {
		qty = 3
	} else if q >= 94 {
		qty = 2
	}
	b = strconv.AppendInt(b, int64(qty), 10)
	disp, n := dispositions[0].name, r.IntN(100)
	for _, d := range dispositions {
		if n < d.share {
			disp = d.name
			break
		}
		n -= d.share
	}
	reason := reasonCodes[r.IntN(len(reasonCodes))]
	switch p := r.IntN(100); {
	case p < 60:
		reason = "CR-" + reason
	case p < 65:
		reason = "AMZ-PG-" + reason
	}
	comment := ""
	if r.IntN(100) < 45 {
		comment = comments[r.IntN(len(comments))]
	}
	b = appendFields(b, fulfillmentCenters[r.IntN(len(fulfillmentCenters))], disp, reason,
		statuses[r.IntN(len(statuses))], g.lpn(i), comment)
	return append(b, '\n')
}

func appendFields(b []byte, fields ...string) []byte {
	for _, f := range fields {
		b = append(b, '\t')
		b = append(b, f...)
	}
	return b
}
