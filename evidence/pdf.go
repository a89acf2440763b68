package evidence

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"

	"github.com/returnbench/returnbench/inspection"
)

// Photos go into the PDF scaled down and recompressed, so that the PDF
// stays under 10 MB with a dozen photos and uploads to Seller Central: a
// dozen 12-megapixel originals would be 60 MB. The originals, untouched,
// are in the zip.
const (
	pdfPhotoMax      = 1600 // px, longer side
	pdfPhotoQuality  = 75
	pdfPhotoBudget   = 650 << 10 // bytes; a busier photo is scaled further
	pdfPhotoFallback = 1200
	pdfCardBudget    = 1500 << 10
)

// Page geometry in millimetres (US Letter: the US marketplace first).
const (
	pageMargin = 15.0
	lineH      = 5.2
)

// PDF writes the evidence PDF for case c: the return's facts, what the
// buyer said against what the bench found, the checklist, grade and
// verdict, the label card, every photo scaled down with its SHA-256, stills
// from the unboxing video (when ffmpeg is installed), the timeline, a table
// of every original, what is still missing for the case and the state of
// the audit chain.
func PDF(ctx context.Context, f *Facts, c Case, open Source, w io.Writer) error {
	cd := makeCard(ctx, f, open)
	return writePDF(ctx, f, c, open, cd, w)
}

// pdfCard is the label card, made once for the zip and the PDF, or why it
// could not be made.
type pdfCard struct {
	JPEG   []byte
	Result CardResult
	Err    error
}

// makeCard renders the card as a JPEG; its error is kept, not returned, so
// that the caller can decide whether a pack without a card may still be made.
func makeCard(ctx context.Context, f *Facts, open Source) pdfCard {
	img, res, err := renderCard(ctx, f, open)
	if err != nil {
		return pdfCard{Result: res, Err: err}
	}
	var buf bytes.Buffer
	if err := encodeJPEG(&buf, img, cardQuality); err != nil {
		return pdfCard{Result: res, Err: err}
	}
	return pdfCard{JPEG: buf.Bytes(), Result: res}
}

// pdfDoc wraps fpdf with the few layout helpers the evidence PDF uses.
type pdfDoc struct {
	*fpdf.Fpdf
	f      *Facts
	images int
}

func writePDF(ctx context.Context, f *Facts, c Case, open Source, card pdfCard, w io.Writer) error {
	if code := inspection.ErrorCode(card.Err); code != "" && code != inspection.ENOTFOUND && code != inspection.EUNSUPPORTED {
		return card.Err // storage failed: better no PDF than one silently missing the label
	}
	p := fpdf.New("P", "mm", "Letter", "")
	d := &pdfDoc{Fpdf: p, f: f}
	p.AddUTF8FontFromBytes("go", "", goregular.TTF)
	p.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	p.AddUTF8FontFromBytes("mono", "", gomono.TTF)
	p.SetMargins(pageMargin, pageMargin, pageMargin)
	p.SetAutoPageBreak(true, pageMargin+4)
	p.SetTitle(clean("Evidence: "+c.Title()+" - order "+orDash(f.ret().OrderID)), true)
	p.SetCreator("returnbench", true)
	p.SetCreationDate(f.now())
	p.SetModificationDate(f.now())
	p.AliasNbPages("{nb}")
	p.SetFooterFunc(func() {
		p.SetY(-pageMargin)
		p.SetFont("go", "", 7.5)
		p.SetTextColor(110, 110, 110)
		p.CellFormat(0, 4, clean(fmt.Sprintf("returnbench evidence · inspection %s · generated %s · page %d of {nb}",
			f.Inspection.ID, utc(f.now()), p.PageNo())), "", 0, "C", false, 0, "")
	})
	p.AddPage()

	d.title(c)
	d.missing(c)
	d.returnFacts()
	d.buyerVsUs()
	d.inspectionFacts()
	d.labelCard(card)
	if err := d.photos(ctx, open); err != nil {
		return err
	}
	d.videos(ctx, open)
	d.timeline()
	d.originals()
	d.verification()

	if err := ctx.Err(); err != nil {
		return err
	}
	if err := p.Output(w); err != nil {
		return fmt.Errorf("write evidence pdf: %w", err)
	}
	return nil
}

// heading starts a section, on a new page when less than need mm are left.
func (d *pdfDoc) heading(s string, need float64) {
	_, pageH := d.GetPageSize()
	if d.GetY()+need > pageH-pageMargin-4 {
		d.AddPage()
	} else if d.GetY() > pageMargin+1 {
		d.Ln(4)
	}
	d.SetFont("go", "B", 12.5)
	d.SetTextColor(20, 20, 20)
	d.CellFormat(0, 7, clean(s), "", 1, "L", false, 0, "")
	x, y := d.GetX(), d.GetY()
	d.SetDrawColor(200, 200, 200)
	d.SetLineWidth(0.3)
	d.Line(x, y, x+d.width(), y)
	d.Ln(2)
	d.body()
}

func (d *pdfDoc) body() {
	d.SetFont("go", "", 9.5)
	d.SetTextColor(25, 25, 25)
}

// width is the printable width of a page.
func (d *pdfDoc) width() float64 {
	w, _ := d.GetPageSize()
	return w - 2*pageMargin
}

// kv prints a label and its (wrapped) value.
func (d *pdfDoc) kv(label, value string) {
	const lw = 46.0
	d.SetFont("go", "", 9)
	d.SetTextColor(95, 99, 104)
	d.CellFormat(lw, lineH, clean(label), "", 0, "L", false, 0, "")
	d.body()
	d.MultiCell(d.width()-lw, lineH, clean(orDash(value)), "", "L", false)
}

func (d *pdfDoc) para(s string) {
	d.body()
	d.MultiCell(0, lineH, clean(s), "", "L", false)
}

func (d *pdfDoc) note(s string) {
	d.SetFont("go", "", 8.5)
	d.SetTextColor(95, 99, 104)
	d.MultiCell(0, 4.4, clean(s), "", "L", false)
	d.body()
}

func (d *pdfDoc) title(c Case) {
	r := d.f.ret()
	d.SetFont("go", "B", 18)
	d.SetTextColor(15, 15, 15)
	d.MultiCell(0, 9, clean("Evidence: "+c.Title()), "", "L", false)
	d.SetFont("go", "", 10)
	d.SetTextColor(70, 70, 70)
	d.MultiCell(0, 5.5, clean(fmt.Sprintf("Order %s · inspection %s · generated %s",
		orDash(r.OrderID), d.f.Inspection.ID, utc(d.f.now()))), "", "L", false)
	d.Ln(1)
	d.auditLine()
	d.body()
}

// auditLine states whether the audit chain verified.
func (d *pdfDoc) auditLine() {
	d.SetFont("go", "B", 9.5)
	if d.f.AuditOK {
		d.SetTextColor(19, 115, 51)
		d.CellFormat(0, 5.5, fmt.Sprintf("Audit chain: %d events verified OK", d.f.AuditCount), "", 1, "L", false, 0, "")
	} else {
		d.SetTextColor(179, 38, 30)
		d.CellFormat(0, 5.5, fmt.Sprintf("Audit chain: FAILED verification (%d events checked)", d.f.AuditCount), "", 1, "L", false, 0, "")
	}
	d.body()
}

func (d *pdfDoc) missing(c Case) {
	reqs := Missing(d.f, c)
	var blocking, warnings []Requirement
	for _, r := range reqs {
		if r.Warning {
			warnings = append(warnings, r)
		} else {
			blocking = append(blocking, r)
		}
	}
	d.heading("Before filing", 20)
	if len(blocking) == 0 {
		d.SetFont("go", "B", 9.5)
		d.SetTextColor(19, 115, 51)
		d.MultiCell(0, lineH, "Nothing is missing: this pack has the evidence a "+clean(c.Title())+" filing needs.", "", "L", false)
	} else {
		d.SetFont("go", "B", 9.5)
		d.SetTextColor(179, 38, 30)
		d.MultiCell(0, lineH, "Missing evidence for this case:", "", "L", false)
		d.body()
		for _, r := range blocking {
			d.MultiCell(0, lineH, clean("•  "+r.Message), "", "L", false)
		}
	}
	d.body()
	for _, r := range warnings {
		d.MultiCell(0, lineH, clean("Note: "+r.Message), "", "L", false)
	}
}

func (d *pdfDoc) returnFacts() {
	f := d.f
	d.heading("The return", 40)
	if f.Return == nil {
		d.para("Unexpected return: this parcel is not matched to any expected return.")
		d.kv("Scanned code", f.Inspection.ScannedCode)
		return
	}
	r := f.Return
	money := func(c inspection.Cents) string {
		if c == 0 {
			return "-"
		}
		return strings.TrimSpace(c.String() + " " + r.Currency)
	}
	reason := f.reason()
	if r.ReasonRaw != "" && r.ReasonRaw != reason {
		reason += " (as reported: " + r.ReasonRaw + ")"
	}
	channel := map[string]string{inspection.ChannelFBA: "Fulfilled by Amazon (FBA)", inspection.ChannelMFN: "Seller-fulfilled"}[r.Channel]
	rows := [][2]string{
		{"Order", r.OrderID},
		{"Marketplace", strings.TrimSpace(r.Marketplace + " · " + orDash(channel))},
		{"Amazon RMA", r.RMAID},
		{"Merchant RMA", r.MerchantRMAID},
		{"Tracking", strings.TrimSpace(r.TrackingID + " " + parens(r.Carrier))},
		{"Scanned at the bench", f.Inspection.ScannedCode},
		{"SKU / ASIN", strings.Join(nonEmpty(r.SKU, r.ASIN, r.FNSKU, r.LPN), " / ")},
		{"Product", r.ProductName},
		{"Quantity", fmt.Sprint(r.Quantity)},
		{"Return reason", reason},
		{"Buyer comment", r.BuyerComment},
		{"Order amount", money(r.OrderAmount)},
		{"Refunded", strings.TrimSpace(money(r.RefundAmount) + " " + onDate(r.RefundedAt))},
		{"Return requested", utcp(r.RequestedAt)},
		{"Parcel received", utcp(r.ArrivedAt)},
		{"A-to-z claim", map[bool]string{true: "Yes", false: "No"}[r.AtoZClaim]},
	}
	for _, row := range rows {
		d.kv(row[0], row[1])
	}
}

func parens(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func onDate(t *time.Time) string {
	if t == nil {
		return ""
	}
	return "on " + utc(*t)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return []string{"-"}
	}
	return out
}

// buyerVsUs sets the buyer's claim beside the bench's findings.
func (d *pdfDoc) buyerVsUs() {
	f := d.f
	r := f.ret()
	reason := f.reason()
	said := fmt.Sprintf("Reason: %s (%s).", orDash(reason), reasonWords(reason).EN)
	if inspection.BlamesSeller(reason) {
		said += " This reason puts the fault on the seller."
	}
	if c := strings.TrimSpace(r.BuyerComment); c != "" {
		said += "\n\n\u201c" + c + "\u201d"
	}
	var found []string
	for _, fd := range findings(&f.Inspection) {
		found = append(found, "•  "+upperFirst(fd.EN)+".")
	}
	found = append(found, "Verdict: "+verdictWords(f.Inspection.Verdict)+".")

	colW := (d.width() - 6) / 2
	d.SetFont("go", "", 9.5)
	leftLines := d.SplitText(clean(said), colW-2)
	rightLines := d.SplitText(clean(strings.Join(found, "\n")), colW-2)
	need := float64(max(len(leftLines), len(rightLines))+1)*lineH + 12
	d.heading("What the buyer said, and what we found", need)

	x0 := d.GetX()
	d.SetFont("go", "B", 10)
	d.SetFillColor(241, 243, 244)
	d.CellFormat(colW, 6.5, "The buyer said", "", 0, "L", true, 0, "")
	d.SetX(x0 + colW + 6)
	d.CellFormat(colW, 6.5, "We found", "", 1, "L", true, 0, "")
	d.body()
	top := d.GetY() + 1
	d.SetXY(x0, top)
	d.MultiCell(colW, lineH, clean(said), "", "L", false)
	yl := d.GetY()
	d.SetXY(x0+colW+6, top)
	d.MultiCell(colW, lineH, clean(strings.Join(found, "\n")), "", "L", false)
	d.SetXY(x0, max(yl, d.GetY()))
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func verdictWords(v inspection.Verdict) string {
	switch v {
	case inspection.VerdictClaimDisputed:
		return "claim disputed: the item is not as the buyer claimed"
	case inspection.VerdictItemSwapped:
		return "item swapped: a different item or an empty box was returned"
	case inspection.VerdictClaimSupported:
		return "claim supported: the buyer's claim is borne out"
	case inspection.VerdictNotApplicable:
		return "not applicable: the buyer made no claim against the seller"
	}
	return orDash(string(v))
}

func (d *pdfDoc) inspectionFacts() {
	f := d.f
	in := &f.Inspection
	d.heading("The inspection", 30)
	d.kv("Inspector", f.Inspector)
	d.kv("Inspected", utcp(in.CapturedAt)+completed(in.CompletedAt))
	d.Ln(1)
	for _, it := range checklistItems(in.Checklist) {
		d.kv(it.Question, yesNo(it.Answer))
	}
	d.Ln(1)
	grade := string(in.Grade)
	if in.UsedCondition != "" {
		grade += " (" + strings.ReplaceAll(string(in.UsedCondition), "_", " ") + ")"
	}
	d.kv("Grade", grade)
	d.kv("Disposition", strings.ReplaceAll(string(in.Disposition), "_", " "))
	d.kv("Verdict", string(in.Verdict))
	fee := "None"
	if in.RestockingFeePercent > 0 {
		amount := in.RestockingFeeAmount
		if amount == 0 && f.Return != nil {
			amount = inspection.RestockingFee(f.Return.OrderAmount, in.RestockingFeePercent)
		}
		fee = fmt.Sprintf("%d%% = %s %s", in.RestockingFeePercent, amount, f.ret().Currency)
	}
	d.kv("Restocking fee", fee)
	if strings.TrimSpace(in.Notes) != "" {
		d.kv("Notes", in.Notes)
	}
}

func completed(t *time.Time) string {
	if t == nil {
		return ""
	}
	return ", completed " + utc(*t)
}

func (d *pdfDoc) labelCard(card pdfCard) {
	d.AddPage()
	d.heading("Label close-up card", 0)
	if card.Err != nil {
		d.para("The label card could not be made: " + inspection.ErrorMessage(card.Err))
		return
	}
	b := card.JPEG
	if len(b) > pdfCardBudget {
		if img, err := jpegDecode(b); err == nil {
			var buf bytes.Buffer
			if encodeJPEG(&buf, img, 80) == nil {
				b = buf.Bytes()
			}
		}
	}
	d.note("The return label photo as taken at the bench, scaled but neither cropped nor retouched; " +
		"the caption beneath it is added by the server, which also read the label's barcodes from the photo.")
	d.Ln(1)
	res := card.Result
	switch {
	case res.Match:
		d.SetTextColor(19, 115, 51)
	case res.Checked:
		d.SetTextColor(179, 38, 30)
	default:
		d.SetTextColor(138, 83, 0)
	}
	d.SetFont("go", "B", 9.5)
	d.MultiCell(0, lineH, clean(res.Summary()), "", "L", false)
	if len(res.Decoded) > 0 {
		d.note("Codes read from the photo: " + strings.Join(res.Decoded, ", "))
	}
	d.Ln(1)
	_, pageH := d.GetPageSize()
	if name, iw, ih := d.register(b, d.width(), pageH-pageMargin-6-d.GetY()); name != "" {
		d.place(name, iw, ih)
	}
}

// kindOrder is the order photos appear in: the label first, as at the bench.
var kindOrder = []string{inspection.MediaLabelCloseup, inspection.MediaPackage, inspection.MediaContents,
	inspection.MediaAccessories, inspection.MediaSerial, inspection.MediaDamage, inspection.MediaOther}

func kindRank(k string) int {
	if i := slices.Index(kindOrder, k); i >= 0 {
		return i
	}
	return len(kindOrder)
}

// photosInOrder returns the verified still photos, label first.
func photosInOrder(media []inspection.Media) []inspection.Media {
	var ps []inspection.Media
	for _, m := range verifiedMedia(media) {
		if !isVideo(m) {
			ps = append(ps, m)
		}
	}
	slices.SortStableFunc(ps, func(a, b inspection.Media) int { return kindRank(a.Kind) - kindRank(b.Kind) })
	return ps
}

func (d *pdfDoc) photos(ctx context.Context, open Source) error {
	ps := photosInOrder(d.f.Media)
	if len(ps) == 0 {
		return nil
	}
	d.AddPage()
	d.heading("Photos", 0)
	d.note("Photos are scaled down for this document. The originals, byte for byte as uploaded, are in the evidence zip; " +
		"each is identified by the SHA-256 printed under it.")
	for _, m := range ps {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := pdfPhoto(ctx, open, m)
		if err != nil && inspection.ErrorCode(err) != inspection.EUNSUPPORTED {
			return err
		}
		// Keep the caption with its photo: place both on a new page when
		// they do not fit on this one.
		const capH = 11.5
		var name string
		var iw, ih float64
		if err == nil {
			if name, iw, ih = d.register(b, d.width(), photoMaxH); name == "" {
				err = inspection.Errorf(inspection.EUNSUPPORTED, "The photo %s could not be placed in this document.", orDash(m.Filename))
			}
		}
		if err != nil {
			ih = 10
		}
		_, pageH := d.GetPageSize()
		if d.GetY()+capH+ih > pageH-pageMargin-4 {
			d.AddPage()
		}
		d.Ln(2)
		d.SetFont("go", "B", 9.5)
		d.CellFormat(0, 5, clean(fmt.Sprintf("%s · %s · taken %s", kindWords(m.Kind), orDash(m.Filename), utc(takenAt(m)))), "", 1, "L", false, 0, "")
		d.hash(m.SHA256)
		if err != nil {
			d.note(inspection.ErrorMessage(err)) // HEIC: cited here, the original is in the zip
			continue
		}
		d.place(name, iw, ih)
	}
	return nil
}

// photoMaxH keeps two landscape photos with their captions on a page.
const photoMaxH = 98.0

// register adds a JPEG to the document and returns its name and its size
// fitted into w x h mm; the name is "" when the bytes are not a JPEG.
func (d *pdfDoc) register(jpegBytes []byte, w, h float64) (string, float64, float64) {
	d.images++
	name := fmt.Sprintf("img%d", d.images)
	info := d.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "JPG"}, bytes.NewReader(jpegBytes))
	if info == nil || d.Err() {
		return "", 0, 0
	}
	iw, ih := info.Extent()
	scale := min(w/iw, h/ih)
	return name, iw * scale, ih * scale
}

// place draws a registered image centred at the current position and moves below it.
func (d *pdfDoc) place(name string, iw, ih float64) {
	x := pageMargin + (d.width()-iw)/2
	d.ImageOptions(name, x, d.GetY(), iw, ih, false, fpdf.ImageOptions{ImageType: "JPG"}, 0, "")
	d.SetY(d.GetY() + ih + 1.5)
}

// hash prints a full SHA-256 in the monospaced font.
func (d *pdfDoc) hash(h string) {
	d.SetFont("mono", "", 8)
	d.SetTextColor(60, 64, 67)
	d.CellFormat(0, 4.5, "SHA-256 "+orDash(h), "", 1, "L", false, 0, "")
	d.body()
}

// pdfPhoto returns a photo as the PDF shows it: upright, at most
// pdfPhotoMax px, JPEG quality pdfPhotoQuality, scaled further when a busy
// photo would take more than its share of the size budget.
func pdfPhoto(ctx context.Context, open Source, m inspection.Media) ([]byte, error) {
	rc, err := open(ctx, m)
	if err != nil {
		return nil, fmt.Errorf("open photo %s: %w", m.ID, err)
	}
	img, orientation, err := decodeOriginal(m, rc)
	rc.Close()
	if err != nil {
		if inspection.ErrorCode(err) == inspection.EINTERNAL {
			return nil, inspection.Errorf(inspection.EUNSUPPORTED, "The photo %s could not be decoded; the original is in the evidence zip.", orDash(m.Filename))
		}
		return nil, err
	}
	small := fitScale(img, orientation, pdfPhotoMax, pdfPhotoMax, bilinear)
	var buf bytes.Buffer
	if err := encodeJPEG(&buf, small, pdfPhotoQuality); err != nil {
		return nil, fmt.Errorf("encode photo %s: %w", m.ID, err)
	}
	if buf.Len() > pdfPhotoBudget {
		smaller := fitScale(small, 1, pdfPhotoFallback, pdfPhotoFallback, bilinear)
		buf.Reset()
		if err := encodeJPEG(&buf, smaller, pdfPhotoQuality-10); err != nil {
			return nil, fmt.Errorf("encode photo %s: %w", m.ID, err)
		}
	}
	return buf.Bytes(), nil
}

func kindWords(k string) string {
	switch k {
	case inspection.MediaLabelCloseup:
		return "Label close-up"
	case inspection.MediaUnboxingVideo:
		return "Unboxing video"
	}
	return upperFirst(strings.ReplaceAll(k, "_", " "))
}

func (d *pdfDoc) videos(ctx context.Context, open Source) {
	vs := verifiedMedia(d.f.Media, inspection.MediaUnboxingVideo)
	if len(vs) == 0 {
		return
	}
	d.AddPage()
	d.heading("Video stills", 0)
	d.note("Video is kept in storage and cited here by frame stills and its SHA-256; the original file is in the evidence zip and at " +
		d.f.inspectionURL() + ".")
	for _, v := range vs {
		d.Ln(2)
		d.SetFont("go", "B", 9.5)
		d.CellFormat(0, 5, clean(fmt.Sprintf("Unboxing video · %s · %s · recorded %s", orDash(v.Filename), sizeWords(v.Size), utc(takenAt(v)))), "", 1, "L", false, 0, "")
		d.hash(v.SHA256)
		stills, why := videoStills(ctx, open, v)
		if why != "" {
			d.note(why)
			continue
		}
		// Two stills per row.
		colW := (d.width() - 6) / 2
		for i, s := range stills {
			col := i % 2
			if col == 0 {
				_, pageH := d.GetPageSize()
				if d.GetY()+colW*0.75+8 > pageH-pageMargin-4 {
					d.AddPage()
				}
			}
			x := pageMargin + float64(col)*(colW+6)
			y := d.GetY()
			d.images++
			name := fmt.Sprintf("img%d", d.images)
			info := d.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "JPG"}, bytes.NewReader(s.JPEG))
			if info == nil || d.Err() {
				continue
			}
			iw, ih := info.Extent()
			scale := min(colW/iw, colW*0.75/ih)
			d.ImageOptions(name, x, y, iw*scale, ih*scale, false, fpdf.ImageOptions{ImageType: "JPG"}, 0, "")
			d.SetXY(x, y+ih*scale+0.5)
			d.SetFont("go", "", 8)
			d.CellFormat(colW, 4, "at "+clock(s.At), "", 0, "L", false, 0, "")
			d.body()
			if col == 1 || i == len(stills)-1 {
				d.SetXY(pageMargin, y+ih*scale+6)
			} else {
				d.SetXY(pageMargin, y)
			}
		}
	}
}

func sizeWords(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func (d *pdfDoc) timeline() {
	f := d.f
	d.heading("Timeline", 30)
	if len(f.Events) == 0 {
		d.para("No audit events recorded.")
		return
	}
	cols := []float64{36, 30, 48, d.width() - 36 - 30 - 48}
	d.tableHead(cols, "Time (UTC)", "Who", "What", "Record")
	d.SetFont("go", "", 8.5)
	for i, e := range f.Events {
		actor := e.ActorID
		if actor == f.Inspection.InspectorID && f.Inspector != "" {
			actor = f.Inspector
		}
		d.row(cols, i%2 == 1, e.At.UTC().Format("2006-01-02 15:04:05"), orDash(actor), e.Action, strings.TrimSpace(e.Entity+" "+e.EntityID))
	}
}

func (d *pdfDoc) tableHead(cols []float64, titles ...string) {
	d.SetFont("go", "B", 8.5)
	d.SetFillColor(232, 234, 237)
	for i, t := range titles {
		ln := 0
		if i == len(titles)-1 {
			ln = 1
		}
		d.CellFormat(cols[i], 6, t, "", ln, "L", true, 0, "")
	}
}

// row prints one table row, each value cut to its column.
func (d *pdfDoc) row(cols []float64, shaded bool, values ...string) {
	d.SetFillColor(248, 249, 250)
	for i, v := range values {
		ln := 0
		if i == len(values)-1 {
			ln = 1
		}
		d.CellFormat(cols[i], 5, d.fit(clean(v), cols[i]-2), "", ln, "L", shaded, 0, "")
	}
}

// fit cuts s with an ellipsis to w mm in the current font.
func (d *pdfDoc) fit(s string, w float64) string {
	if d.GetStringWidth(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && d.GetStringWidth(string(rs)+"…") > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

func (d *pdfDoc) originals() {
	f := d.f
	d.heading("Original files", 30)
	d.note("Every file recorded for this inspection. Verified files are in the evidence zip under originals/, byte for byte; " +
		"anyone can recompute a file's SHA-256 (sha256sum, shasum -a 256, certutil -hashfile) and compare it with this table.")
	d.Ln(1)
	ms := slices.Clone(f.Media)
	slices.SortStableFunc(ms, byTime)
	hashW := 94.0
	cols := []float64{0, 27, 17, 16, hashW}
	cols[0] = d.width() - cols[1] - cols[2] - cols[3] - hashW
	d.tableHead(cols, "File", "Kind", "Size", "Status", "SHA-256")
	for i, m := range ms {
		_, pageH := d.GetPageSize()
		if d.GetY()+5 > pageH-pageMargin-4 {
			d.AddPage()
			d.tableHead(cols, "File", "Kind", "Size", "Status", "SHA-256")
		}
		shaded := i%2 == 1
		d.SetFont("go", "", 8.5)
		d.SetFillColor(248, 249, 250)
		status := m.Status
		if status == inspection.MediaUploading || status == inspection.MediaDeclared {
			status = "uploading"
		}
		for j, v := range []string{orDash(m.Filename), kindWords(m.Kind), sizeWords(m.Size), status} {
			d.CellFormat(cols[j], 5, d.fit(clean(v), cols[j]-2), "", 0, "L", shaded, 0, "")
		}
		d.SetFont("mono", "", 6.7)
		d.CellFormat(cols[4], 5, orDash(m.SHA256), "", 1, "L", shaded, 0, "")
	}
	d.body()
}

func (d *pdfDoc) verification() {
	d.heading("Verification", 24)
	d.auditLine()
	d.note("Every change to this inspection and its files is written to an append-only audit log in which each event carries the " +
		"SHA-256 of the one before it, so that altering, removing or reordering any past event breaks every hash after it. " +
		"The full record is at " + d.f.inspectionURL() + ".")
}

// glyphs reports which runes the Go fonts can draw.
var glyphs = sync.OnceValue(func() func(rune) bool {
	f, err := sfnt.Parse(goregular.TTF)
	if err != nil {
		panic(err)
	}
	var have [0x10000]bool
	var buf sfnt.Buffer
	for r := range rune(0x10000) {
		if i, err := f.GlyphIndex(&buf, r); err == nil && i != 0 {
			have[r] = true
		}
	}
	return func(r rune) bool { return r == '\n' || (r < 0x10000 && have[r]) }
})

// clean replaces what the PDF's font cannot draw (CJK, emoji) with "?",
// so a buyer's comment never breaks the document.
func clean(s string) string {
	has := glyphs()
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case r == '\r':
			return -1
		case !has(r):
			return '?'
		}
		return r
	}, s)
}

func jpegDecode(b []byte) (image.Image, error) {
	img, _, err := image.Decode(bytes.NewReader(b))
	return img, err
}
