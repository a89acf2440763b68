package server_test

// Hostile files posted to the importers: archives and compressed streams
// (zip bombs among them), a line without end, a quote that never closes,
// a message too large, names that are not text. Each is refused with a
// clear 4xx from the first bytes, while the rest of the body is still on
// its way: proof that nothing was inflated or buffered whole.

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/returnbench/returnbench/inspection"
)

// importRoutes are the routes that take a file to import.
var importRoutes = []string{"/api/v1/imports", "/api/v1/refunds/import"}

// gzipped compresses b.
func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// gzipBomb is a small gzip stream of n zero bytes.
func gzipBomb(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	for i := 0; i < n; i += len(zero) {
		zw.Write(zero)
	}
	zw.Close()
	return buf.Bytes()
}

// zipped is a zip archive holding one deflated file.
func zipped(t *testing.T, name string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	zw.Close()
	return buf.Bytes()
}

// formFile wraps data as the multipart field "file", as the app sends it.
func formFile(name string, data []byte) (body []byte, contentType string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// TestSecurityCompressedImports posts archives and compressed streams to
// every importer, raw and as a form: each is refused as compressed (415),
// never inflated. A gzip bomb's answer arrives while most of its bytes are
// still unsent.
func TestSecurityCompressedImports(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ts := mustStart(t, dialect, nil)
		lead := ts.mustUser(t, "lead", inspection.RoleLead)
		report, err := os.ReadFile(filepath.Join("testdata", "reports", "fba_customer_returns.tsv"))
		if err != nil {
			t.Fatal(err)
		}
		mail, err := os.ReadFile(filepath.Join("testdata", "refunds", "fba_refund_initiated.eml"))
		if err != nil {
			t.Fatal(err)
		}
		bomb := gzipBomb(t, 64<<20)
		files := map[string][]byte{
			"gzip report":    gzipped(t, report),
			"gzip mail":      gzipped(t, mail),
			"gzip bomb":      bomb,
			"zip report":     zipped(t, "report.tsv", report),
			"zip of zip":     zipped(t, "inner.zip", zipped(t, "report.tsv", report)),
			"empty zip":      []byte("PK\x05\x06" + strings.Repeat("\x00", 18)),
			"bzip2":          append([]byte("BZh91AY&SY"), report...),
			"xz":             append([]byte("\xfd7zXZ\x00\x00\x04"), report...),
			"zstd":           append([]byte("\x28\xb5\x2f\xfd\x04\x00"), report...),
			"7z":             append([]byte("7z\xbc\xaf\x27\x1c\x00\x04"), report...),
			"rar":            append([]byte("Rar!\x1a\x07\x01\x00"), report...),
			"gzip after BOM": append([]byte("\xef\xbb\xbf"), gzipped(t, report)...),
		}
		for _, route := range importRoutes {
			for name, data := range files {
				for _, form := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s/%s/form=%v", route, name, form), func(t *testing.T) {
						body, ct := data, "application/octet-stream"
						if form {
							body, ct = formFile("returns.tsv.gz", data)
						}
						res := ts.do(t, request{method: "POST", path: route, token: lead, body: string(body),
							header: map[string]string{"Content-Type": ct}})
						secStatus(res.status)
						if res.status != http.StatusUnsupportedMediaType || !strings.Contains(errorMessage(res), "compressed") {
							t.Fatalf("got %d %.300s, want 415 naming the file compressed", res.status, res.body)
						}
					})
				}
			}
			t.Run(route+"/ContentEncodingGzip", func(t *testing.T) {
				res := ts.do(t, request{method: "POST", path: route, token: lead, body: string(gzipped(t, report)),
					header: map[string]string{"Content-Type": "text/tab-separated-values", "Content-Encoding": "gzip"}})
				secStatus(res.status)
				if res.status != http.StatusUnsupportedMediaType {
					t.Fatalf("got %d %.300s, want 415", res.status, res.body)
				}
			})
			t.Run(route+"/BombAnsweredBeforeItsEnd", func(t *testing.T) {
				// Claim a 900 MiB bomb, send its first 64 KiB and wait for the answer.
				head := bomb[:64<<10]
				res := rawPost(t, ts, route, lead, "application/octet-stream", 900<<20, head)
				secStatus(res.status)
				if res.status != http.StatusUnsupportedMediaType {
					t.Fatalf("got %d %.300s, want 415 before the rest was sent", res.status, res.body)
				}
			})
		}
		var list struct{ Returns []inspection.Return }
		ts.do(t, request{method: "GET", path: "/api/v1/returns", token: lead}).json(t, &list)
		if len(list.Returns) != 0 {
			t.Fatalf("%d returns after refused imports, want none", len(list.Returns))
		}
	})
}

// rawPost sends a request that declares length bytes of body but sends
// only head, and reads the answer: a server that needed the whole body
// would still be waiting when the deadline ends the read.
func rawPost(t *testing.T, ts *testServer, path, token, contentType string, length int, head []byte) response {
	t.Helper()
	conn, err := net.Dial("tcp", ts.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		path, ts.Addr(), token, contentType, length)
	go conn.Write(head) // the server may answer, and stop reading, before all of it
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer while the body was still unsent: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return response{status: res.StatusCode, header: res.Header, body: body}
}

// TestSecurityHugeLines sends reports and mailboxes whose lines or fields
// never end: each is refused with a clear 400 once its bound is passed,
// long before the body is all sent, so memory stays bounded.
func TestSecurityHugeLines(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ts := mustStart(t, dialect, nil)
		lead := ts.mustUser(t, "lead", inspection.RoleLead)
		report, err := os.ReadFile(filepath.Join("testdata", "reports", "fba_customer_returns.tsv"))
		if err != nil {
			t.Fatal(err)
		}
		header, _, _ := bytes.Cut(report, []byte("\n"))
		header = append(header, '\n')
		const claimed = 800 << 20
		for _, tc := range []struct {
			name, route string
			head        []byte
			message     string
		}{
			{"HeaderWithoutEnd", "/api/v1/imports", bytes.Repeat([]byte("return-date\t"), 400<<10), "longer than 64 KiB"},
			{"RowWithoutEnd", "/api/v1/imports", append(append([]byte{}, header...), bytes.Repeat([]byte("A"), 4<<20)...), "longer than 64 KiB"},
			{"QuoteThatNeverCloses", "/api/v1/imports", append(append(append([]byte{}, header...), "2025-07-10\t\""...),
				bytes.Repeat([]byte("short line inside a quoted field\n"), 4<<20/33)...), "longer than 256 KiB"},
			{"FieldsWithoutEnd", "/api/v1/imports", append(append([]byte{}, header...), bytes.Repeat([]byte("\t"), 4<<20)...), "longer than 64 KiB"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := rawPost(t, ts, tc.route, lead, "text/tab-separated-values", claimed, tc.head)
				secStatus(res.status)
				if res.status != http.StatusBadRequest || !strings.Contains(errorMessage(res), tc.message) {
					t.Fatalf("got %d %.300s, want 400 saying %q", res.status, res.body, tc.message)
				}
			})
		}
		t.Run("MessageTooLarge", func(t *testing.T) {
			// One mail of 12 MiB (past the 10 MiB a refund notice may be, and
			// the 2 MiB of text read from a part): read in bounded pieces and
			// refused with a reason, or refused whole.
			msg := "From: returns@example.com\r\nSubject: Refund initiated\r\n\r\n" + strings.Repeat("x", 12<<20)
			res := ts.do(t, request{method: "POST", path: "/api/v1/refunds/import", token: lead, body: msg,
				header: map[string]string{"Content-Type": "message/rfc822"}})
			var out struct {
				Applied      int `json:"applied"`
				SkippedCount int `json:"skipped_count"`
				Skipped      []struct{ Reason string }
			}
			refused := res.status == http.StatusRequestEntityTooLarge
			if res.status == 200 {
				res.json(t, &out)
				refused = out.Applied == 0 && out.SkippedCount == 1 && out.Skipped[0].Reason != ""
			}
			secCase(refused)
			if !refused {
				t.Fatalf("got %d %.300s, want the message refused with a reason", res.status, res.body)
			}
		})
		t.Run("MboxLinesWithoutEnd", func(t *testing.T) {
			// A separator line and a message line of 3 MiB each: read past
			// in bounded pieces, the message refused with a reason.
			mbox := "From " + strings.Repeat("x", 3<<20) + "\nFrom: a@example.com\nSubject: Refund\n\n" + strings.Repeat("y", 3<<20) +
				"\nFrom b@example.com Mon Jan  1 00:00:00 2026\n" + strings.Repeat("z", 12<<20) + "\n"
			res := ts.do(t, request{method: "POST", path: "/api/v1/refunds/import", token: lead, body: mbox,
				header: map[string]string{"Content-Type": "application/mbox"}})
			var out struct {
				Applied      int `json:"applied"`
				SkippedCount int `json:"skipped_count"`
			}
			if res.status == 200 {
				res.json(t, &out)
			}
			refused := (res.status >= 400 && res.status < 500) || (res.status == 200 && out.Applied == 0 && out.SkippedCount >= 1)
			secCase(refused)
			if !refused {
				t.Fatalf("got %d %.300s, want the messages refused with reasons", res.status, res.body)
			}
		})
	})
}

// TestSecurityImportFilenames posts a good report under names that are not
// text or try to climb folders: the import lands, and the name kept in
// its record is harmless, on both databases.
func TestSecurityImportFilenames(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ts := mustStart(t, dialect, nil)
		lead := ts.mustUser(t, "lead", inspection.RoleLead)
		report, err := os.ReadFile(filepath.Join("testdata", "reports", "mfn_returns.tsv"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"../../../etc/passwd", "\xff\xfe.tsv", "a\x00b.tsv", "r\u202egpj.tsv", strings.Repeat("é", 2000) + ".tsv"} {
			t.Run(fmt.Sprintf("%.20q", name), func(t *testing.T) {
				var buf bytes.Buffer
				mw := multipart.NewWriter(&buf)
				// Written by hand: the standard writer would escape the name.
				pw, _ := mw.CreatePart(map[string][]string{"Content-Disposition": {`form-data; name="file"; filename="` + name + `"`}})
				pw.Write(report)
				mw.Close()
				res := ts.do(t, request{method: "POST", path: "/api/v1/imports", token: lead, body: buf.String(),
					header: map[string]string{"Content-Type": mw.FormDataContentType()}})
				secCase(res.status != 200 || !strings.Contains(string(res.body), name))
				if res.status >= 500 {
					t.Fatalf("import named %.40q: %d %s", name, res.status, res.body)
				}
			})
		}
	})
}

// TestSecurityImportBytes imports reports whose cells hold a NUL or bytes
// that are not UTF-8 (a report saved in Latin-1): the rows land or are
// refused by line, never as an internal error, on both databases.
func TestSecurityImportBytes(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ts := mustStart(t, dialect, nil)
		lead := ts.mustUser(t, "lead", inspection.RoleLead)
		for name, cell := range map[string]string{"NUL": "Kettle\x00lid", "Latin1": "Caf\xe9 kettle", "Overlong": "\xc0\xaf", "Surrogate": "\xed\xa0\x80"} {
			t.Run(name, func(t *testing.T) {
				tsv := mfnReport(t, map[string]string{"order-id": "114-1111111-" + fmt.Sprintf("%07d", len(name)), "item-name": cell,
					"merchant-sku": cell, "return-reason": cell, "amazon-rma-id": "D" + cell})
				res := ts.do(t, request{method: "POST", path: "/api/v1/imports", token: lead, body: tsv,
					header: map[string]string{"Content-Type": "text/tab-separated-values"}})
				secCase(res.status != 500)
				if res.status >= 500 {
					t.Fatalf("import with %q in its cells: %d %s", cell, res.status, res.body)
				}
			})
		}
	})
}
