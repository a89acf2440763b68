package reports

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/labels"
)

// RefundEmail is what one refund notification says.
type RefundEmail struct {
	MessageID string
	Subject   string
	Date      time.Time // the Date header; zero when it is missing or unreadable
	Refunds   []inspection.Refund
}

// MaxMessageBytes bounds one email: refund notices are a few KiB, and a
// larger message in a mailbox export is something else (an attachment).
const MaxMessageBytes = 10 << 20

const (
	maxPartBytes = 2 << 20 // text read from one MIME part
	maxMIMEDepth = 6       // nesting of multiparts and forwarded messages
)

// notRefund rejects one message with a reason a lead can act on.
func notRefund(format string, args ...any) error {
	return &inspection.Error{Code: inspection.EUNPROCESSABLE, Message: fmt.Sprintf(format, args...)}
}

// ParseRefundEmail reads one RFC 5322 message (MIME multiparts, quoted-
// printable and base64 bodies, encoded-word headers) and returns the
// refunds it announces. The wording of Amazon's notices varies, so the
// text is read for labelled fields ("SKU:", "Refund amount:", "Refund
// date:"), falling back to sentences that mention the refund. A message
// that is not a refund notice is an EUNPROCESSABLE error saying why.
func ParseRefundEmail(r io.Reader) (*RefundEmail, error) {
	lr := &io.LimitedReader{R: r, N: MaxMessageBytes + 1}
	msg, err := mail.ReadMessage(bufio.NewReader(lr))
	if err != nil {
		return nil, notRefund("This is not an email message: its header could not be read.")
	}
	out := &RefundEmail{
		MessageID: strings.Trim(strings.TrimSpace(msg.Header.Get("Message-Id")), "<>"),
		Subject:   decodeHeader(msg.Header.Get("Subject")),
	}
	if d, err := msg.Header.Date(); err == nil {
		out.Date = d
	}
	if len(msg.Header) == 0 || (msg.Header.Get("From") == "" && msg.Header.Get("Subject") == "" && msg.Header.Get("Date") == "") {
		return nil, notRefund("This is not an email message: it has no From, Subject or Date header.")
	}
	plain, htmlText, err := textOf(textproto.MIMEHeader(msg.Header), msg.Body, 0)
	if lr.N <= 0 {
		return nil, notRefund("The message is larger than %d MiB.", MaxMessageBytes>>20)
	}
	body := plain
	if strings.TrimSpace(body) == "" {
		body = htmlToText(htmlText)
	}
	if strings.TrimSpace(body) == "" {
		if err != nil {
			return nil, notRefund("The message's text could not be decoded.")
		}
		return nil, notRefund("The message has no text.")
	}
	lines := append([]string{out.Subject}, textLines(body)...)
	out.Refunds, err = refundsIn(lines, out.Date)
	if err != nil {
		return nil, err
	}
	for i := range out.Refunds {
		out.Refunds[i].MessageID = out.MessageID
	}
	return out, nil
}

// --- MIME ---

var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, in io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(io.LimitReader(in, 64<<10))
	if err != nil {
		return nil, err
	}
	s, ok := toUTF8(charset, b)
	if !ok {
		return nil, fmt.Errorf("charset %q is not supported", charset)
	}
	return strings.NewReader(s), nil
}}

// decodeHeader decodes RFC 2047 encoded words; a header it cannot decode
// is kept as it came.
func decodeHeader(s string) string {
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

// textOf walks a MIME entity and returns its first text/plain and first
// text/html bodies, decoded to UTF-8. Attachments are passed over, except
// a forwarded message (message/rfc822), which is read like the outer one.
func textOf(h textproto.MIMEHeader, body io.Reader, depth int) (plain, htmlText string, err error) {
	if depth > maxMIMEDepth {
		return "", "", nil
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mt, params, perr := mime.ParseMediaType(ct)
	if perr != nil {
		mt, params = "text/plain", map[string]string{} // a sloppy header: read it as text
	}
	if disp, _, _ := mime.ParseMediaType(h.Get("Content-Disposition")); disp == "attachment" && mt != "message/rfc822" {
		return "", "", nil
	}
	body = transferDecoder(h.Get("Content-Transfer-Encoding"), body)
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		if params["boundary"] == "" {
			return "", "", errors.New("multipart without a boundary")
		}
		// multipart/alternative holds one text in several forms: keep the
		// first of each. Any other multipart (mixed, related) holds several
		// texts, such as a note and a forwarded notice: keep them all.
		alternative := mt == "multipart/alternative"
		var texts []string
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// Raw parts: the transfer encoding is decoded here, the same way
			// for the top level and every part.
			p, perr := mr.NextRawPart()
			if perr == io.EOF {
				break
			}
			if perr != nil {
				err = perr
				break
			}
			pl, ht, perr := textOf(p.Header, p, depth+1)
			if perr != nil {
				err = perr
			}
			switch {
			case !alternative && strings.TrimSpace(pl) != "":
				texts = append(texts, pl)
			case !alternative && strings.TrimSpace(ht) != "":
				texts = append(texts, htmlToText(ht))
			case alternative && plain == "":
				plain = pl
			}
			if alternative && htmlText == "" {
				htmlText = ht
			}
		}
		if !alternative {
			plain = strings.Join(texts, "\n")
		}
		return plain, htmlText, err
	case mt == "message/rfc822":
		inner, err := mail.ReadMessage(bufio.NewReader(body))
		if err != nil {
			return "", "", err
		}
		pl, ht, err := textOf(textproto.MIMEHeader(inner.Header), inner.Body, depth+1)
		if strings.TrimSpace(pl) == "" {
			pl = htmlToText(ht)
		}
		// The forwarded notice's subject often holds its order id.
		return "Subject: " + decodeHeader(inner.Header.Get("Subject")) + "\n" + pl, "", err
	case mt == "text/plain", mt == "text/html":
		b, err := io.ReadAll(io.LimitReader(body, maxPartBytes))
		if err != nil {
			return "", "", err
		}
		s, ok := toUTF8(params["charset"], b)
		if !ok {
			s, _ = toUTF8("utf-8", b) // an unknown charset: keep what reads as UTF-8
		}
		if mt == "text/plain" {
			return s, "", nil
		}
		return "", s, nil
	}
	return "", "", nil
}

// transferDecoder undoes a Content-Transfer-Encoding.
func transferDecoder(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &dropSpace{r: r})
	}
	return r
}

// dropSpace removes the blanks that some mailers leave around base64 lines
// (the decoder itself skips only CR and LF).
type dropSpace struct{ r io.Reader }

func (d *dropSpace) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	j := 0
	for _, b := range p[:n] {
		if b != ' ' && b != '\t' {
			p[j] = b
			j++
		}
	}
	return j, err
}

// cp1252 maps Windows-1252's 0x80-0x9F to Unicode; the rest of the range
// is Latin-1. Undefined bytes keep their Latin-1 code point.
var cp1252 = [32]rune{
	0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
	0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
}

// latin9 lists where ISO-8859-15 differs from Latin-1.
var latin9 = map[byte]rune{0xA4: 0x20AC, 0xA6: 0x0160, 0xA8: 0x0161, 0xB4: 0x017D, 0xB8: 0x017E, 0xBC: 0x0152, 0xBD: 0x0153, 0xBE: 0x0178}

// toUTF8 decodes the charsets marketplace mail uses (UTF-8 and the Latin
// family). ok is false for any other charset.
func toUTF8(charset string, b []byte) (string, bool) {
	var conv func(byte) rune
	switch strings.ToLower(strings.Trim(strings.TrimSpace(charset), `"`)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return strings.ToValidUTF8(string(b), "\uFFFD"), true
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1":
		conv = func(c byte) rune { return rune(c) }
	case "windows-1252", "cp1252", "x-cp1252":
		conv = func(c byte) rune {
			if c >= 0x80 && c < 0xA0 {
				return cp1252[c-0x80]
			}
			return rune(c)
		}
	case "iso-8859-15", "iso8859-15", "latin-9", "latin9":
		conv = func(c byte) rune {
			if r, ok := latin9[c]; ok {
				return r
			}
			return rune(c)
		}
	default:
		return "", false
	}
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(conv(c))
	}
	return sb.String(), true
}

var (
	htmlDropped  = regexp.MustCompile(`(?is)<(script|style|head|title)\b.*?</(script|style|head|title)\s*>|<!--.*?-->`)
	htmlBreaks   = regexp.MustCompile(`(?i)<br\s*/?>|</?(p|div|tr|td|th|li|ul|ol|table|tbody|thead|h[1-6]|blockquote|section|article|header|footer)\b[^>]*>`)
	htmlTags     = regexp.MustCompile(`(?s)<[^>]*>`)
	blankPattern = regexp.MustCompile(`[\t \x{00A0}\x{200B}]+`)
)

// htmlToText keeps the words of an HTML mail, one block or table cell per
// line, so "<td>SKU</td><td>ABC</td>" reads as a label and its value.
func htmlToText(s string) string {
	s = htmlDropped.ReplaceAllString(s, " ")
	s = htmlBreaks.ReplaceAllString(s, "\n")
	s = htmlTags.ReplaceAllString(s, " ")
	return html.UnescapeString(s)
}

// textLines splits text into trimmed, non-empty lines with single spaces.
func textLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(blankPattern.ReplaceAllString(l, " "))
		l = strings.TrimLeft(l, "> ") // quoted in a reply or forward
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// --- fields ---

type field int

const (
	fieldName field = iota + 1
	fieldSKU
	fieldASIN
	fieldAmount
	fieldTotal
	fieldLooseTotal // "Total:" might be the order's total; used only when nothing better is said
	fieldDate
	fieldQuantity
)

type label struct {
	name  string
	field field
}

// fieldLabels are the field names refund notices use, longest first so
// that "refund total" wins over "refund".
var fieldLabels = func() []label {
	ls := []label{}
	add := func(f field, names ...string) {
		for _, n := range names {
			ls = append(ls, label{n, f})
		}
	}
	add(fieldTotal, "total refund amount", "total amount refunded", "total refunded", "total refund", "refund total",
		"refunded total", "amount refunded in total")
	add(fieldLooseTotal, "total", "grand total")
	add(fieldAmount, "refund amount", "amount refunded", "refunded amount", "item refund", "refund for this item",
		"refund subtotal", "item subtotal", "refund", "amount", "item price refunded")
	add(fieldDate, "refund date", "date of refund", "refund issued on", "refund initiated on", "refund processed on",
		"refunded on", "date refunded", "refund issued", "refund initiated", "refund processed", "date")
	add(fieldSKU, "merchant sku", "seller sku", "your sku", "msku", "sku")
	add(fieldASIN, "asin")
	add(fieldName, "item name", "product name", "item description", "item title", "product", "item", "title", "description")
	add(fieldQuantity, "quantity refunded", "quantity", "qty")
	sort.SliceStable(ls, func(i, j int) bool { return len(ls[i].name) > len(ls[j].name) })
	return ls
}()

var itemNumber = regexp.MustCompile(`^\s*(?:#\s*)?\d{1,3}\b`)

// labelOf reads "Label: value" (also "Label # value", a tab, or a label
// alone on its line, whose value is on the next line). Sentences that
// merely start with a label word ("Refund initiated for ...") are not
// labels.
func labelOf(line string) (field, string, bool) {
	lower := strings.ToLower(line)
	for _, l := range fieldLabels {
		if !strings.HasPrefix(lower, l.name) {
			continue
		}
		rest := line[len(l.name):]
		if l.field == fieldName {
			rest = itemNumber.ReplaceAllString(rest, "") // "Item 2: ..."
		}
		trimmed := strings.TrimLeft(rest, " ")
		switch {
		case trimmed == "":
			return l.field, "", true
		case strings.HasPrefix(trimmed, ":"), strings.HasPrefix(trimmed, "#"), strings.HasPrefix(rest, "\t"),
			strings.HasPrefix(trimmed, "-") && !strings.HasPrefix(trimmed, "-$"), strings.HasPrefix(trimmed, "–"):
			v := strings.TrimLeft(trimmed, ":#-– \t")
			return l.field, strings.TrimSpace(v), true
		}
		if len(rest) > 0 && (rest[0] == ' ') && l.field != fieldName {
			// "Refund amount $12.34", "SKU ABC-1": a value right after the
			// label when it looks like one.
			v := strings.TrimSpace(rest)
			if ok := valueLooksLike(l.field, v); ok {
				return l.field, v, true
			}
		}
		return 0, "", false
	}
	return 0, "", false
}

func valueLooksLike(f field, v string) bool {
	switch f {
	case fieldAmount, fieldTotal, fieldLooseTotal:
		_, _, ok := findAmount(v)
		return ok && len(strings.Fields(v)) <= 3
	case fieldDate:
		_, ok := findDate(v)
		return ok
	case fieldASIN:
		return asinPattern.MatchString(strings.ToUpper(strings.Fields(v)[0]))
	case fieldSKU:
		return len(strings.Fields(v)) == 1
	}
	return false
}

var (
	orderIDPattern = regexp.MustCompile(`\b\d{3}-\d{7}-\d{7}\b`)
	asinPattern    = regexp.MustCompile(`^(?:B0[A-Z0-9]{8}|\d{9}[0-9X])$`)
	inlineIDs      = regexp.MustCompile(`(?i)[(\[,;]?\s*\b(SKU|ASIN)\s*[:#]\s*([A-Za-z0-9][A-Za-z0-9._/-]*)\s*[)\]]?`)
)

// --- amounts ---

var (
	amountBefore = regexp.MustCompile(`(?i)(CDN\$|CA\$|C\$|AU\$|A\$|US\$|MX\$|R\$|\$|£|€|¥|₹|\b(?:USD|CAD|AUD|GBP|EUR|JPY|MXN|INR|BRL|SEK|PLN|SGD|AED|SAR|TRY|NZD|CHF)\b)\s?-?\s?(\d[\d,.]*)`)
	amountAfter  = regexp.MustCompile(`(?i)(\d[\d,.]*)\s?(€|£|\b(?:USD|CAD|AUD|GBP|EUR|JPY|MXN|INR|BRL|SEK|PLN|SGD|AED|SAR|TRY|NZD|CHF)\b)`)
	currencyOf   = map[string]string{"$": "USD", "US$": "USD", "CDN$": "CAD", "CA$": "CAD", "C$": "CAD", "AU$": "AUD", "A$": "AUD",
		"MX$": "MXN", "R$": "BRL", "£": "GBP", "€": "EUR", "¥": "JPY", "₹": "INR"}
)

// findAmount finds the first amount with a currency in s: "$12.34",
// "USD 12.34", "12,34 €", "CDN$ 1,234.50".
func findAmount(s string) (inspection.Cents, string, bool) {
	type hit struct {
		at       int
		num, cur string
	}
	var hits []hit
	if m := amountBefore.FindStringSubmatchIndex(s); m != nil {
		hits = append(hits, hit{m[0], s[m[4]:m[5]], s[m[2]:m[3]]})
	}
	if m := amountAfter.FindStringSubmatchIndex(s); m != nil {
		hits = append(hits, hit{m[0], s[m[2]:m[3]], s[m[4]:m[5]]})
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].at < hits[j].at })
	for _, h := range hits {
		c, err := inspection.ParseCents(normaliseNumber(h.num))
		if err != nil {
			continue
		}
		cur := strings.ToUpper(h.cur)
		if sym, ok := currencyOf[cur]; ok {
			cur = sym
		}
		return c, cur, true
	}
	return 0, "", false
}

// normaliseNumber turns 1,234.56 / 1.234,56 / 12,34 into 1234.56 form:
// the last separator followed by one or two digits is the decimal mark.
func normaliseNumber(n string) string {
	n = strings.TrimRight(n, ".,")
	last := strings.LastIndexAny(n, ".,")
	if last >= 0 && len(n)-last-1 <= 2 {
		whole := strings.NewReplacer(",", "", ".", "").Replace(n[:last])
		return whole + "." + n[last+1:]
	}
	return strings.NewReplacer(",", "", ".", "").Replace(n)
}

// --- dates ---

type ymd struct{ y, m, d int }

var (
	monthNames = `(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`
	dateISO    = regexp.MustCompile(`\b(\d{4})-(\d{2})-(\d{2})\b`)
	dateMDY    = regexp.MustCompile(`(?i)\b` + monthNames + `\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b`)
	dateDMY    = regexp.MustCompile(`(?i)\b(\d{1,2})(?:st|nd|rd|th)?\s+` + monthNames + `\.?,?\s+(\d{4})\b`)
	dateDashed = regexp.MustCompile(`(?i)\b(\d{1,2})-` + monthNames + `-(\d{4})\b`)
	dateSlash  = regexp.MustCompile(`\b(\d{1,2})/(\d{1,2})/(\d{4})\b`)
)

func monthNumber(s string) int {
	s = strings.ToLower(s)
	for i, m := range []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if strings.HasPrefix(s, m) {
			return i + 1
		}
	}
	return 0
}

// findDate finds the first calendar date in s. Slashed dates are read
// month first (amazon.com), unless the first number cannot be a month.
func findDate(s string) (ymd, bool) {
	type hit struct {
		at   int
		date ymd
	}
	var hits []hit
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	if m := dateISO.FindStringSubmatchIndex(s); m != nil {
		hits = append(hits, hit{m[0], ymd{atoi(s[m[2]:m[3]]), atoi(s[m[4]:m[5]]), atoi(s[m[6]:m[7]])}})
	}
	if m := dateMDY.FindStringSubmatchIndex(s); m != nil {
		hits = append(hits, hit{m[0], ymd{atoi(s[m[6]:m[7]]), monthNumber(s[m[2]:m[3]]), atoi(s[m[4]:m[5]])}})
	}
	for _, re := range []*regexp.Regexp{dateDMY, dateDashed} {
		if m := re.FindStringSubmatchIndex(s); m != nil {
			hits = append(hits, hit{m[0], ymd{atoi(s[m[6]:m[7]]), monthNumber(s[m[4]:m[5]]), atoi(s[m[2]:m[3]])}})
		}
	}
	if m := dateSlash.FindStringSubmatchIndex(s); m != nil {
		a, b := atoi(s[m[2]:m[3]]), atoi(s[m[4]:m[5]])
		if a > 12 {
			a, b = b, a
		}
		hits = append(hits, hit{m[0], ymd{atoi(s[m[6]:m[7]]), a, b}})
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].at < hits[j].at })
	for _, h := range hits {
		d := h.date
		t := time.Date(d.y, time.Month(d.m), d.d, 0, 0, 0, 0, time.UTC)
		if d.y >= 2000 && d.y < 2200 && t.Year() == d.y && int(t.Month()) == d.m && t.Day() == d.d {
			return d, true
		}
	}
	return ymd{}, false
}

// refundTime turns the notice's calendar date into an instant. On the
// day the email was sent, the email's own time is the best we know;
// otherwise the start of that day in the sender's zone.
func refundTime(d *ymd, sent time.Time) (time.Time, bool) {
	switch {
	case d == nil && sent.IsZero():
		return time.Time{}, false
	case d == nil:
		return sent.UTC().Truncate(time.Second), true
	case sent.IsZero():
		return time.Date(d.y, time.Month(d.m), d.d, 0, 0, 0, 0, time.UTC), true
	}
	if y, m, day := sent.Date(); y == d.y && int(m) == d.m && day == d.d {
		return sent.UTC().Truncate(time.Second), true
	}
	return time.Date(d.y, time.Month(d.m), d.d, 0, 0, 0, 0, sent.Location()).UTC(), true
}

// headerRow returns the fields of the label-only lines that start lines.
func headerRow(lines []string) []field {
	var cols []field
	for _, l := range lines {
		f, v, ok := labelOf(l)
		if !ok || v != "" {
			break
		}
		cols = append(cols, f)
	}
	return cols
}

// tableRow reports whether row holds values for cols: no cell is a label,
// and amount cells hold amounts.
func tableRow(cols []field, row []string) bool {
	for k, v := range row {
		if _, _, isLabel := labelOf(v); isLabel {
			return false
		}
		if cols[k] == fieldAmount {
			if _, _, ok := findAmount(v); !ok {
				return false
			}
		}
	}
	return true
}

// --- the notice ---

type refundItem struct {
	order, sku, asin, name string
	amount                 inspection.Cents
	currency               string
	hasAmount              bool
}

type money struct {
	amount   inspection.Cents
	currency string
	ok       bool
}

// channelPhrases tell seller-fulfilled orders from FBA ones; the seller-
// fulfilled ones are checked first because FBA boilerplate ("Fulfilled by
// Amazon") can appear in any notice's footer.
var (
	mfnPhrases = []string{"seller fulfilled", "seller-fulfilled", "merchant fulfilled", "merchant-fulfilled", "fulfilled by you",
		"fulfilled by the seller", "self-fulfilled", "self fulfilled", "fulfilled by merchant", "mfn order"}
	fbaPhrases = []string{"fulfilled by amazon", "fulfillment by amazon", "fba order", "(fba)", "fba:"}
)

func channelOf(text string) string {
	for _, p := range mfnPhrases {
		if strings.Contains(text, p) {
			return inspection.ChannelMFN
		}
	}
	for _, p := range fbaPhrases {
		if strings.Contains(text, p) {
			return inspection.ChannelFBA
		}
	}
	return ""
}

// refundsIn reads the lines of a notice (its subject first).
func refundsIn(lines []string, sent time.Time) ([]inspection.Refund, error) {
	lowerAll := strings.ToLower(strings.Join(lines, "\n"))
	if !strings.Contains(lowerAll, "refund") {
		return nil, notRefund("This message is not a refund notification: it never mentions a refund.")
	}
	var (
		orders         []string
		curOrder       string
		items          []*refundItem
		it             *refundItem
		total, loose   money
		date           *ymd
		sentenceAmount money
		sentenceDate   *ymd
	)
	noteOrders := func(line string) {
		for _, id := range orderIDPattern.FindAllString(line, -1) {
			if !slices.Contains(orders, id) {
				orders = append(orders, id)
			}
			curOrder = id
		}
	}
	newItem := func() {
		it = &refundItem{order: curOrder}
		items = append(items, it)
	}
	apply := func(f field, value string) {
		switch f {
		case fieldName:
			name := value
			if orderIDPattern.MatchString(name) && len(strings.Fields(name)) <= 2 {
				return // "Item: 112-..." is an order line, not a product
			}
			var sku, asin string
			for _, m := range inlineIDs.FindAllStringSubmatch(name, -1) {
				if strings.EqualFold(m[1], "sku") {
					sku = m[2]
				} else {
					asin = labels.Normalize(m[2])
				}
			}
			name = strings.TrimSpace(inlineIDs.ReplaceAllString(name, ""))
			if it == nil || it.name != "" {
				newItem()
			}
			it.name = name
			if sku != "" {
				it.sku = sku
			}
			if asin != "" {
				it.asin = asin
			}
		case fieldSKU:
			if it == nil || it.sku != "" {
				newItem()
			}
			it.sku = strings.Fields(value)[0]
		case fieldASIN:
			v := labels.Normalize(strings.Fields(value)[0])
			if !asinPattern.MatchString(v) {
				return
			}
			if it == nil || it.asin != "" {
				newItem()
			}
			it.asin = v
		case fieldAmount:
			a, c, ok := findAmount(value)
			if !ok {
				return
			}
			if it == nil {
				newItem()
			}
			if !it.hasAmount {
				it.amount, it.currency, it.hasAmount = a, c, true
			}
		case fieldTotal, fieldLooseTotal:
			a, c, ok := findAmount(value)
			if !ok {
				return
			}
			if f == fieldTotal && !total.ok {
				total = money{a, c, true}
			} else if f == fieldLooseTotal && !loose.ok {
				loose = money{a, c, true}
			}
		case fieldDate:
			if d, ok := findDate(value); ok && date == nil {
				date = &d
			}
		}
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		noteOrders(line)
		f, value, ok := labelOf(line)
		if !ok {
			if strings.Contains(strings.ToLower(line), "refund") {
				if a, c, ok := findAmount(line); ok && !sentenceAmount.ok {
					sentenceAmount = money{a, c, true}
				}
				if d, ok := findDate(line); ok && sentenceDate == nil {
					sentenceDate = &d
				}
			}
			continue
		}
		if value != "" {
			apply(f, value)
			continue
		}
		// Labels alone on their lines: a table's header row (several in a
		// row, then rows of values), or one label with its value below.
		if cols := headerRow(lines[i:]); len(cols) >= 2 {
			next := i + len(cols)
			for rows := 0; next+len(cols) <= len(lines); rows++ {
				row := lines[next : next+len(cols)]
				if !tableRow(cols, row) || (rows > 0 && !slices.Contains(cols, fieldAmount)) {
					break
				}
				newItem()
				for k, v := range row {
					noteOrders(v)
					apply(cols[k], v)
				}
				next += len(cols)
			}
			i = next - 1
			continue
		}
		if i+1 < len(lines) {
			if _, _, nextIsLabel := labelOf(lines[i+1]); !nextIsLabel {
				i++
				noteOrders(lines[i])
				apply(f, lines[i])
			}
		}
	}
	if len(orders) == 0 {
		return nil, notRefund("No Amazon order id (like 112-1234567-1234567) was found in the message.")
	}
	if len(items) == 0 {
		for _, o := range orders {
			items = append(items, &refundItem{order: o})
		}
	}
	anyAmount := false
	for _, it := range items {
		if it.order == "" {
			it.order = orders[0]
		}
		anyAmount = anyAmount || it.hasAmount
	}
	whole := total
	if !whole.ok {
		whole = loose
	}
	if !whole.ok {
		whole = sentenceAmount
	}
	// One item and only a total: the total is the item's. Several items
	// and only a total: how it splits is unknown, so the amounts stay 0.
	if !anyAmount && len(items) == 1 && whole.ok {
		items[0].amount, items[0].currency, items[0].hasAmount = whole.amount, whole.currency, true
	}
	if date == nil {
		date = sentenceDate
	}
	at, ok := refundTime(date, sent)
	if !ok {
		return nil, notRefund("The message gives no refund date and has no Date header.")
	}
	channel := channelOf(lowerAll)
	out := make([]inspection.Refund, 0, len(items))
	for _, it := range items {
		cur := it.currency
		if cur == "" {
			cur = whole.currency
		}
		r := inspection.Refund{OrderID: it.order, SKU: it.sku, ASIN: it.asin, ItemName: truncateName(it.name),
			Amount: it.amount, Currency: cur, RefundedAt: at, Channel: channel}
		if err := r.Validate(); err != nil {
			return nil, notRefund("A refund in this message is not usable: %s", inspection.ErrorMessage(err))
		}
		out = append(out, r)
	}
	return out, nil
}

func truncateName(s string) string {
	if len(s) <= 500 {
		return s
	}
	cut := 500
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// LooksLikeMbox tells a mailbox export from a single message by its first
// line: an mbox starts with a "From " separator line, an email with a
// header field ("From: ...").
func LooksLikeMbox(head []byte) bool {
	head = bytes.TrimLeft(head, "\r\n\t ")
	return bytes.HasPrefix(head, []byte("From "))
}
