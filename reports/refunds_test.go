package reports

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/returnbench/returnbench/inspection"
)

// The sample notices live with the server's import tests, which send them
// through the API.
const refundSamples = "../server/testdata/refunds"

type wantRefund struct {
	order, sku, asin, name, amount, currency, at, channel string
}

func checkRefunds(t *testing.T, got []inspection.Refund, want []wantRefund) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d refunds %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.OrderID != w.order || g.SKU != w.sku || g.ASIN != w.asin || g.ItemName != w.name || g.Amount.String() != w.amount ||
			g.Currency != w.currency || g.RefundedAt.Format(time.RFC3339) != w.at || g.Channel != w.channel {
			t.Errorf("refund %d:\n got %s %q %q %q %s %s %s %q\nwant %s %q %q %q %s %s %s %q", i,
				g.OrderID, g.SKU, g.ASIN, g.ItemName, g.Amount, g.Currency, g.RefundedAt.Format(time.RFC3339), g.Channel,
				w.order, w.sku, w.asin, w.name, w.amount, w.currency, w.at, w.channel)
		}
	}
}

func mustParseFile(t *testing.T, name string) *RefundEmail {
	t.Helper()
	f, err := os.Open(filepath.Join(refundSamples, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := ParseRefundEmail(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return e
}

func TestParseRefundEmailSamples(t *testing.T) {
	t.Run("PlainTextFBA", func(t *testing.T) {
		e := mustParseFile(t, "fba_refund_initiated.eml")
		if e.Subject != "Refund initiated for order 112-3456789-0123456" ||
			e.MessageID != "0100019801a2b3c4-5d6e7f80-1111-4a2b-9c3d-aabbccddeeff-000000@email.amazonses.com" {
			t.Errorf("subject %q message id %q", e.Subject, e.MessageID)
		}
		// The body's date is the email's day: the email's own time is kept.
		checkRefunds(t, e.Refunds, []wantRefund{{"112-3456789-0123456", "BCB-L-01", "B07XJ8C8F5", "Bamboo Cutting Board, Large",
			"24.99", "USD", "2025-07-10T21:22:03Z", "fba"}})
	})
	t.Run("QuotedPrintableTwoItemsMFN", func(t *testing.T) {
		e := mustParseFile(t, "mfn_refund_issued_qp.eml")
		if e.Subject != "Refund issued – order 114-2233445-5566778" {
			t.Errorf("subject %q: the encoded word was not decoded", e.Subject)
		}
		checkRefunds(t, e.Refunds, []wantRefund{
			{"114-2233445-5566778", "WB-750-BLK", "B08N5WRWNW", "Stainless Steel Water Bottle – 750 ml, Matte Black", "18.50", "USD", "2025-07-11T09:05:41Z", "mfn"},
			{"114-2233445-5566778", "WB-LID-01", "B08N5LM1K3", "Replacement Lid for Water Bottle", "6.25", "USD", "2025-07-11T09:05:41Z", "mfn"},
		})
	})
	t.Run("HTMLOnlyBase64Windows1252", func(t *testing.T) {
		e := mustParseFile(t, "fba_refund_html_only.eml")
		if e.Subject != "We’ve refunded your customer" {
			t.Errorf("subject %q", e.Subject)
		}
		// The body's date (the day before the email) starts at midnight in the sender's zone.
		checkRefunds(t, e.Refunds, []wantRefund{{"113-9876543-2109876", "CBL-USBC-2M-2P", "B0C1X2Y3Z4",
			"USB-C Charging Cable 2m (2-Pack) – Braided", "12.99", "USD", "2025-07-09T00:00:00Z", "fba"}})
	})
}

// msg builds a plain-text email.
func msg(subject, body string, extra ...string) string {
	h := "Date: Mon, 14 Jul 2025 08:15:00 +0000\r\nFrom: Amazon <no-reply@amazon.com>\r\nSubject: " + subject + "\r\n" +
		"Message-ID: <t@example>\r\n" + strings.Join(extra, "") + "\r\n"
	return h + strings.ReplaceAll(body, "\n", "\r\n")
}

func TestParseRefundEmailWording(t *testing.T) {
	for name, tc := range map[string]struct {
		mail string
		want []wantRefund
	}{
		"SentenceOnly": {msg("Your refund", "We have issued a refund of $8.00 for order 111-1111111-1111111 on July 3, 2025.\n"),
			[]wantRefund{{"111-1111111-1111111", "", "", "", "8.00", "USD", "2025-07-03T00:00:00Z", ""}}},
		"HorizontalHTMLTable": {msg("Refund for order 111-2222222-3333333",
			"<table><tr><th>Item</th><th>SKU</th><th>Refund</th></tr>"+
				"<tr><td>Red Mug</td><td>MUG-R</td><td>$5.00</td></tr>"+
				"<tr><td>Blue Mug</td><td>MUG-B</td><td>$6.50</td></tr></table><p>Thanks</p>",
			"Content-Type: text/html; charset=utf-8\r\n"),
			[]wantRefund{
				{"111-2222222-3333333", "MUG-R", "", "Red Mug", "5.00", "USD", "2025-07-14T08:15:00Z", ""},
				{"111-2222222-3333333", "MUG-B", "", "Blue Mug", "6.50", "USD", "2025-07-14T08:15:00Z", ""},
			}},
		"EuroDecimalCommaAndInlineSKU": {msg("Remboursement / refund 302-1234567-7654321",
			"Item: Kaffeebecher (SKU: KB-01)\nRefund amount: 12,34 €\nRefund date: 2025-07-02\n"),
			[]wantRefund{{"302-1234567-7654321", "KB-01", "", "Kaffeebecher", "12.34", "EUR", "2025-07-02T00:00:00Z", ""}}},
		"CanadianDollarsThousands": {msg("Refund", "Order ID: 702-1234567-1234567\nASIN: B0ABCDEFGH\nRefund total: CDN$ 1,234.50\nMerchant Fulfilled\n"),
			[]wantRefund{{"702-1234567-1234567", "", "B0ABCDEFGH", "", "1234.50", "CAD", "2025-07-14T08:15:00Z", "mfn"}}},
		"SeveralItemsOnlyATotal": {msg("Refund initiated for order 112-5556667-7788990",
			"Item: A\nItem: B\nTotal refund: $31.98\n"),
			[]wantRefund{
				{"112-5556667-7788990", "", "", "A", "0.00", "USD", "2025-07-14T08:15:00Z", ""},
				{"112-5556667-7788990", "", "", "B", "0.00", "USD", "2025-07-14T08:15:00Z", ""},
			}},
		"LooseTotalUsedWhenNothingBetter": {msg("Refund 113-0000000-0000001", "Total: USD 9.99\n"),
			[]wantRefund{{"113-0000000-0000001", "", "", "", "9.99", "USD", "2025-07-14T08:15:00Z", ""}}},
		"ForwardedMessage": {"Date: Tue, 15 Jul 2025 10:00:00 +0000\r\nFrom: lead@example.com\r\nSubject: Fwd: refund\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nFYI\r\n" +
			"--XX\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" +
			msg("Refund initiated for order 114-9999999-0000000", "SKU: FW-1\nRefund amount: $3.00\nRefund date: 07/10/2025\n") +
			"\r\n--XX--\r\n",
			[]wantRefund{{"114-9999999-0000000", "FW-1", "", "", "3.00", "USD", "2025-07-10T00:00:00Z", ""}}},
	} {
		t.Run(name, func(t *testing.T) {
			e, err := ParseRefundEmail(strings.NewReader(tc.mail))
			if err != nil {
				t.Fatal(err)
			}
			checkRefunds(t, e.Refunds, tc.want)
		})
	}
}

func TestParseRefundEmailRejects(t *testing.T) {
	for name, tc := range map[string]struct{ mail, reason string }{
		"ErrGarbage":        {"this line is not a header\n%%% binary %%%\n", "not an email"},
		"ErrNoHeaders":      {"X-Nothing: 1\n\nrefund for 111-1111111-1111111 $5", "no From, Subject or Date"},
		"ErrNotARefund":     {msg("Your order has shipped", "Order 111-1111111-1111111 is on its way.\n"), "never mentions a refund"},
		"ErrNoOrderID":      {msg("Refund issued", "Refund amount: $5.00\n"), "No Amazon order id"},
		"ErrNoDateAnywhere": {"From: a@b\r\nSubject: Refund 111-1111111-1111111\r\n\r\nRefund: $1.00\r\n", "no refund date"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseRefundEmail(strings.NewReader(tc.mail))
			if inspection.ErrorCode(err) != inspection.EUNPROCESSABLE || !strings.Contains(inspection.ErrorMessage(err), tc.reason) {
				t.Fatalf("got %v, want unprocessable saying %q", err, tc.reason)
			}
		})
	}
}

func TestMboxReader(t *testing.T) {
	t.Run("Sample", func(t *testing.T) {
		f, err := os.Open(filepath.Join(refundSamples, "refunds.mbox"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		head := make([]byte, 64)
		f.Read(head)
		if !LooksLikeMbox(head) {
			t.Fatal("the sample is not recognised as an mbox")
		}
		f.Seek(0, io.SeekStart)
		mr := NewMboxReader(f)
		var got []string
		for {
			m, err := mr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			e, err := ParseRefundEmail(bytes.NewReader(m))
			switch {
			case err != nil:
				got = append(got, "skip")
			default:
				got = append(got, e.Refunds[0].OrderID)
			}
			if bytes.Contains(m, []byte("\n>From the buyer")) || !bytes.Contains(m, []byte("Date:")) && err == nil {
				t.Errorf("message %d was not unescaped: %q", len(got), m)
			}
		}
		want := "111-2223334-4455566 114-7788990-1122334 skip 112-5556667-7788990"
		if strings.Join(got, " ") != want {
			t.Fatalf("messages %v, want %s", got, want)
		}
	})
	t.Run("EscapesBlankLinesAndNoFinalNewline", func(t *testing.T) {
		in := "\n\nFrom a@b Mon Jul 14 08:15:00 2025\nSubject: one\n\n>From here\n>>From there\nFrom-less line\n\n" +
			"From c@d Mon Jul 14 08:16:00 2025\r\nSubject: two\r\n\r\nbody"
		mr := NewMboxReader(strings.NewReader(in))
		var got []string
		for {
			m, err := mr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(m))
		}
		want := []string{"Subject: one\n\nFrom here\n>From there\nFrom-less line\n", "Subject: two\r\n\r\nbody"}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("got %q\nwant %q", got, want)
		}
	})
	t.Run("ErrMessageTooLargeThenGoesOn", func(t *testing.T) {
		big := strings.Repeat(strings.Repeat("y", 999)+"\n", MaxMessageBytes/1000+10)
		in := "From a Mon Jul 14 2025\nSubject: big\n\n" + big + "From b Mon Jul 14 2025\nSubject: small\n\nok\n"
		mr := NewMboxReader(strings.NewReader(in))
		if _, err := mr.Next(); !errors.Is(err, ErrMessageTooLarge) {
			t.Fatalf("first: %v, want ErrMessageTooLarge", err)
		}
		if m, err := mr.Next(); err != nil || string(m) != "Subject: small\n\nok" {
			t.Fatalf("second: %q %v", m, err)
		}
		if _, err := mr.Next(); err != io.EOF {
			t.Fatalf("end: %v", err)
		}
	})
	t.Run("OneMessage", func(t *testing.T) {
		if LooksLikeMbox([]byte("From: Amazon <a@b>\r\n")) || !LooksLikeMbox([]byte("\r\nFrom x Mon")) {
			t.Fatal("From: header mistaken for a separator, or the reverse")
		}
	})
}

// FuzzParseRefundEmail: no input makes the parser panic, and whatever it
// accepts is a valid refund.
func FuzzParseRefundEmail(f *testing.F) {
	for _, name := range []string{"fba_refund_initiated.eml", "mfn_refund_issued_qp.eml", "fba_refund_html_only.eml"} {
		if b, err := os.ReadFile(filepath.Join(refundSamples, name)); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("Subject: refund\n\nItem\nSKU\nRefund\nA\nB\n$1\n")
	f.Fuzz(func(t *testing.T, data string) {
		e, err := ParseRefundEmail(strings.NewReader(data))
		if err != nil {
			return
		}
		for _, r := range e.Refunds {
			if err := r.Validate(); err != nil {
				t.Fatalf("accepted an invalid refund %+v: %v", r, err)
			}
		}
	})
}
