package server_test

import (
	"bytes"
	"image"
	_ "image/png"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/server"
	"github.com/returnbench/returnbench/store"
)

// fakeZebra stands in for a network label printer: it takes what arrives
// on a raw TCP port, as a Zebra's port 9100 does.
func fakeZebra(t *testing.T) (string, <-chan string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan string, 4)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			b, _ := io.ReadAll(conn)
			conn.Close()
			got <- string(b)
		}
	}()
	return ln.Addr().String(), got
}

// completeResellable pushes an inspection through to completion as a
// resellable unit and returns its id.
func completeResellable(t *testing.T, ts *testServer, tok string) string {
	d, id := newDevice(), uuid.NewString()
	ts.mustPush(t, tok, d.id, []string{applied, applied, applied},
		save(d, id, 0, map[string]any{"scanned_code": "1Z5R89390357567127"}),
		save(d, id, 1, map[string]any{"grade": "resellable", "disposition": "relabel_restock", "verdict": "not_applicable"}),
		d.mut("inspection.complete", map[string]any{"id": id, "base_version": 2}))
	return id
}

func TestRelabel(t *testing.T) {
	printer, printed := fakeZebra(t)
	ts := mustStart(t, store.SQLite, func(c *server.Config) {
		c.PublicURL = "https://bench.example.com"
		c.PrinterAddr, c.PrinterDPI = printer, 203
	})
	tok := ts.mustUser(t, "ana", inspection.RoleInspector)
	id := completeResellable(t, ts, tok)
	base := "/api/v1/inspections/" + id

	var unitURL string
	t.Run("PNGDecodesToUnitURL", func(t *testing.T) {
		res := ts.do(t, request{method: "GET", path: base + "/relabel.png", token: tok})
		if res.status != 200 || res.header.Get("Content-Type") != "image/png" {
			t.Fatalf("got %d %s", res.status, res.header.Get("Content-Type"))
		}
		img, _, err := image.Decode(bytes.NewReader(res.body))
		if err != nil {
			t.Fatal(err)
		}
		bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
		out, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
		if err != nil {
			t.Fatalf("decode the label's QR: %v", err)
		}
		unitURL = out.GetText()
		if !strings.HasPrefix(unitURL, "https://bench.example.com/u/U") {
			t.Fatalf("QR says %q, want the unit URL", unitURL)
		}
	})
	unitID := unitURL[strings.LastIndex(unitURL, "/")+1:]

	t.Run("ZPL", func(t *testing.T) {
		res := ts.do(t, request{method: "GET", path: base + "/relabel.zpl?size=4x6&dpi=300", token: tok})
		if res.status != 200 || !strings.HasPrefix(string(res.body), "^XA") || !strings.Contains(string(res.body), unitID) {
			t.Fatalf("got %d %.200s", res.status, res.body)
		}
		if got := ts.do(t, request{method: "GET", path: base + "/relabel.zpl?size=3x3", token: tok}).status; got != 400 {
			t.Fatalf("unknown size: %d, want 400", got)
		}
	})
	t.Run("PDFAndSheet", func(t *testing.T) {
		res := ts.do(t, request{method: "GET", path: base + "/relabel.pdf", token: tok})
		if res.status != 200 || !bytes.HasPrefix(res.body, []byte("%PDF")) {
			t.Fatalf("relabel.pdf: %d", res.status)
		}
		res = ts.do(t, request{method: "POST", path: "/api/v1/labels/sheet", token: tok, body: map[string]any{"unit_ids": []string{unitID}, "paper": "a4"}})
		if res.status != 200 || !bytes.HasPrefix(res.body, []byte("%PDF")) {
			t.Fatalf("sheet: %d %.200s", res.status, res.body)
		}
		res = ts.do(t, request{method: "POST", path: "/api/v1/labels/sheet", token: tok, body: map[string]any{"unit_ids": []string{"U0000000000"}}})
		if res.status != 404 {
			t.Fatalf("sheet of an unknown unit: %d, want 404", res.status)
		}
	})
	t.Run("PrintToNetworkPrinter", func(t *testing.T) {
		res := ts.do(t, request{method: "POST", path: base + "/relabel/print", token: tok})
		if res.status != 200 {
			t.Fatalf("print: %d %s", res.status, res.body)
		}
		select {
		case zpl := <-printed:
			if !strings.HasPrefix(zpl, "^XA") || !strings.HasSuffix(strings.TrimSpace(zpl), "^XZ") || !strings.Contains(zpl, unitID) {
				t.Fatalf("printer received %.200q", zpl)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the printer received nothing")
		}
	})
	t.Run("UnitHistoryAndScan", func(t *testing.T) {
		var hist struct {
			Unit       inspection.UnitLabel
			Inspection inspection.Inspection
		}
		res := ts.do(t, request{method: "GET", path: "/api/v1/units/" + unitID, token: tok})
		res.json(t, &hist)
		if res.status != 200 || hist.Inspection.ID != id || hist.Inspection.Grade != inspection.GradeResellable {
			t.Fatalf("history: %d %s", res.status, res.body)
		}
		var scan struct {
			Matches     []struct{ Kind string }
			Units       []inspection.UnitLabel
			Inspections []inspection.Inspection
		}
		ts.do(t, request{method: "GET", path: "/api/v1/scan?code=" + url.QueryEscape(unitURL), token: tok}).json(t, &scan)
		if len(scan.Units) != 1 || len(scan.Inspections) == 0 || scan.Inspections[0].ID != id {
			t.Fatalf("scanning the unit label: %+v, want its unit and inspection", scan)
		}
	})
	t.Run("ErrNotResellable", func(t *testing.T) {
		d, other := newDevice(), uuid.NewString()
		ts.mustPush(t, tok, d.id, []string{applied}, save(d, other, 0, nil))
		if got := ts.do(t, request{method: "GET", path: "/api/v1/inspections/" + other + "/relabel.png", token: tok}).status; got != 409 {
			t.Fatalf("draft's relabel: %d, want 409", got)
		}
	})
	t.Run("ErrPrinterDown", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		dead := ln.Addr().String()
		ln.Close()
		ts2 := mustStart(t, store.SQLite, func(c *server.Config) { c.PrinterAddr = dead })
		tok2 := ts2.mustUser(t, "ana", inspection.RoleInspector)
		id2 := completeResellable(t, ts2, tok2)
		res := ts2.do(t, request{method: "POST", path: "/api/v1/inspections/" + id2 + "/relabel/print", token: tok2})
		var body errorBody
		res.json(t, &body)
		if res.status != 503 || !strings.Contains(body.Error.Message, dead) {
			t.Fatalf("printer down: %d %s, want 503 naming the printer", res.status, res.body)
		}
	})
}
