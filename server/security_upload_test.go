package server_test

// Malicious uploads: bytes that are not what they claim, polyglots, names
// that try to climb out of a folder or hide their extension, tus metadata
// that tries the same, and sizes past what was declared. What is refused
// must leave nothing behind; what is accepted must be served so that no
// browser runs it.

import (
	"io/fs"
	"mime"
	"net/http"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
)

// secHTML is a page with a script, the payload of the polyglots below.
const secHTML = "<!doctype html><html><body><script>fetch('/api/v1/users').then(r=>r.text()).then(alert)</script></body></html>"

var jfif = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")

func secBytes(parts ...string) []byte { return []byte(strings.Join(parts, "")) }

// zipOf is a minimal zip archive holding one stored file (no compression).
func zipOf(name, body string) string {
	le16 := func(n int) string { return string([]byte{byte(n), byte(n >> 8)}) }
	le32 := func(n int) string { return le16(n&0xffff) + le16(n>>16) }
	local := "PK\x03\x04" + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) +
		le32(len(body)) + le32(len(body)) + le16(len(name)) + le16(0) + name + body
	central := "PK\x01\x02" + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) +
		le32(len(body)) + le32(len(body)) + le16(len(name)) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(0) + name
	end := "PK\x05\x06" + le16(0) + le16(0) + le16(1) + le16(1) + le32(len(central)) + le32(len(local)) + le16(0)
	return local + central + end
}

// TestSecurityUploadContent sends files whose bytes are not the photo or
// video they claim to be. The declared type must match the magic number;
// a file that truly is a JPEG but also carries a page (a polyglot) may be
// kept as evidence, and is then served as a JPEG that no browser renders
// as a page.
func TestSecurityUploadContent(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ts := mustStartMedia(t, dialect, onDisk, nil)
		b := mustBench(t, ts, "insp", inspection.RoleInspector)
		pdfZip := "%PDF-1.4\n1 0 obj<<>>endobj\n" + zipOf("index.html", secHTML) + "\n%%EOF\n"
		for _, tc := range []struct {
			name, kind, contentType string
			data                    []byte
			keep                    bool // a real file of its type: kept, and served safely
		}{
			{"ErrHTMLAsJPEG", inspection.MediaDamage, "image/jpeg", secBytes(secHTML), false},
			{"ErrSVGScriptAsPNG", inspection.MediaDamage, "image/png", secBytes(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), false},
			{"ErrPDFAsJPEG", inspection.MediaDamage, "image/jpeg", secBytes("%PDF-1.7\n", secHTML), false},
			{"ErrPDFZipPolyglotAsJPEG", inspection.MediaDamage, "image/jpeg", secBytes(pdfZip), false},
			{"ErrZipAsPNG", inspection.MediaDamage, "image/png", secBytes(zipOf("a.html", secHTML)), false},
			{"ErrGIFAsJPEG", inspection.MediaDamage, "image/jpeg", secBytes("GIF89a\x01\x00\x01\x00\x00\x00\x00;", secHTML), false},
			{"ErrPNGAsJPEG", inspection.MediaDamage, "image/jpeg", secBytes("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", secHTML), false},
			{"ErrJPEGAsWebM", inspection.MediaUnboxingVideo, "video/webm", secBytes(string(jfif), secHTML), false},
			{"ErrELFAsMP4", inspection.MediaUnboxingVideo, "video/mp4", secBytes("\x7fELF\x02\x01\x01\x00", strings.Repeat("\x00", 64)), false},
			{"ErrShortOfMagic", inspection.MediaDamage, "image/jpeg", []byte{0xff, 0xd8}, false},
			{"KeptJPEGThenHTML", inspection.MediaDamage, "image/jpeg", secBytes(string(jfif), secHTML), true},
			{"KeptJPEGThenZip", inspection.MediaDamage, "image/jpeg", secBytes(string(jfif), zipOf("index.html", secHTML)), true},
			{"KeptJPEGWithPDFInside", inspection.MediaDamage, "image/jpeg", secBytes(string(jfif), pdfZip), true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := b.newEvidence(tc.kind, tc.contentType, "file.bin", tc.data)
				res := b.create(t, e, e.data)
				secStatus(res.status)
				if !tc.keep {
					if res.status != http.StatusUnsupportedMediaType {
						t.Fatalf("create with the bytes: %d %s, want 415", res.status, res.body)
					}
					if m := b.mustMeta(t, e.mediaID); m.Status == inspection.MediaVerified {
						t.Fatalf("refused file has status %q, want it not verified", m.Status)
					}
					if res := b.do(t, request{method: "GET", path: "/api/v1/media/" + e.mediaID, token: b.token}); res.status == 200 {
						t.Fatalf("refused file downloads: %d", res.status)
					}
					return
				}
				if res.status != http.StatusCreated {
					t.Fatalf("create with the bytes: %d %s, want 201 (the file is a %s)", res.status, res.body, tc.contentType)
				}
				mustServedSafely(t, b, e.mediaID, tc.contentType)
			})
		}
		t.Run("ErrDeclaredTypeNotAllowed", func(t *testing.T) {
			for _, ct := range []string{"text/html", "image/svg+xml", "application/pdf", "application/zip", "image/jpeg; charset=utf-8",
				"image/jpeg\r\nX-Evil: 1", "image/jpeg\x00", "image/*", "video/webm;codecs=<script>", ""} {
				e := b.newEvidence(inspection.MediaDamage, ct, "a.jpg", secBytes(string(jfif), secHTML))
				res := b.create(t, e, nil)
				secStatus(res.status)
				if res.status != http.StatusUnsupportedMediaType {
					t.Errorf("content_type %q: %d %s, want 415", ct, res.status, res.body)
				}
			}
		})
	})
}

// mustServedSafely downloads a kept file and checks that a browser would
// neither sniff it into a page nor save it under a name that opens as one.
func mustServedSafely(t *testing.T, b *bench, mediaID, contentType string) {
	t.Helper()
	res := b.do(t, request{method: "GET", path: "/api/v1/media/" + mediaID, token: b.token})
	if res.status != 200 {
		t.Fatalf("download: %d %s", res.status, res.body)
	}
	if got := res.header.Get("Content-Type"); got != contentType {
		t.Errorf("Content-Type %q, want exactly %q", got, contentType)
	}
	if got := res.header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options %q, want nosniff", got)
	}
	if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "object-src 'none'") {
		t.Errorf("Content-Security-Policy %q, want the app's policy on files too", csp)
	}
	disp, params, err := mime.ParseMediaType(res.header.Get("Content-Disposition"))
	if err != nil || (disp != "inline" && disp != "attachment") {
		t.Fatalf("Content-Disposition %q does not parse (%v)", res.header.Get("Content-Disposition"), err)
	}
	mustSafeName(t, "served filename", params["filename"], contentType, false)
}

// mustSafeName checks a file name a browser or a user might save under.
func mustSafeName(t *testing.T, what, name, contentType string, mayBeEmpty bool) {
	t.Helper()
	if name == "" {
		if !mayBeEmpty {
			t.Errorf("%s is empty", what)
		}
		return
	}
	if !utf8.ValidString(name) || len(name) > 200 {
		t.Errorf("%s %q: not valid UTF-8 or longer than 200 bytes (%d)", what, name, len(name))
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || unicode.Is(unicode.Cf, r) || strings.ContainsRune("\u2044\u2215\u29f8\u29f9\uff0f\uff3c", r) {
			t.Errorf("%s %q holds %U", what, name, r)
		}
	}
	if name == "." || name == ".." {
		t.Errorf("%s is %q", what, name)
	}
	want := map[string][]string{"image/jpeg": {".jpg", ".jpeg"}, "image/png": {".png"}, "video/webm": {".webm"}}[contentType]
	if len(want) > 0 && !slices.Contains(want, strings.ToLower(path.Ext(name))) {
		t.Errorf("%s %q does not end in an extension of %s %v: saved, it would open as something else", what, name, contentType, want)
	}
}

// TestSecurityUploadNames sends names that try to climb out of a folder,
// hide their real extension or break a header, in the tus metadata and in
// a sync declaration. The file is stored under its key, never its name; the
// name kept for display and download is safe.
func TestSecurityUploadNames(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ts := mustStartMedia(t, dialect, onDisk, nil)
		b := mustBench(t, ts, "insp", inspection.RoleInspector)
		names := []string{
			"photo.jpg.html",
			"photo.html",
			"../../../../../../etc/passwd",
			"/etc/cron.d/evil.jpg",
			`..\..\..\windows\system32\evil.jpg`,
			`C:\Users\Public\evil.jpg`,
			"evil\x00.jpg.html",
			"evil\u202egpj.html",
			"evil\u200b.jpg\u200b.html",
			"\uff0e\uff0e\uff0f\uff0e\uff0e\uff0fevil.jpg",
			"..\u2215..\u2215evil.jpg",
			"%2e%2e%2f%2e%2e%2fevil.jpg",
			"evil\r\nSet-Cookie: rb_session=x.jpg",
			`evil"; filename="x.html`,
			"\xff\xfe\xfd.jpg",
			strings.Repeat("a", 199) + "\u00e9\u00e9\u00e9.jpg",
			strings.Repeat("\u6587", 3000) + ".jpg",
			strings.Repeat("../", 1500) + "evil.jpg",
			"..",
			".",
			"/",
			"",
			"   ",
			"CON.jpg",
		}
		for i, name := range names {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				data := secBytes(string(jfif), secHTML, strconv.Itoa(i))
				e := b.newEvidence(inspection.MediaDamage, "image/jpeg", name, data)
				if len(name) > 2000 {
					// Past the server's header buffer: refused whole, the
					// connection closed while the headers may still be going
					// out, so the answer is read from a plain connection.
					res := b.rawBody(t, "POST", "/api/v1/uploads", b.token, map[string]string{"Tus-Resumable": "1.0.0",
						"Upload-Length": strconv.Itoa(len(data)), "Upload-Metadata": tusMetadata(e.metadata())}, nil, false)
					secStatus(res.status)
					if res.status != http.StatusBadRequest && res.status != http.StatusRequestHeaderFieldsTooLarge {
						t.Fatalf("upload named %.80q: %d %s, want 400 or 431", name, res.status, res.body)
					}
					return
				}
				res := b.create(t, e, e.data)
				secStatus(res.status)
				if res.status != http.StatusCreated {
					t.Fatalf("upload named %.80q: %d %s, want 201 with the name made safe (or 400)", name, res.status, res.body)
				}
				m := b.mustMeta(t, e.mediaID)
				mustSafeName(t, "stored filename", m.Filename, "image/jpeg", true)
				mustServedSafely(t, b, e.mediaID, "image/jpeg")
			})
		}
		t.Run("Declared", func(t *testing.T) {
			d := newDevice()
			for _, name := range names[:16] {
				id := uuid.NewString()
				ts.mustPush(t, b.token, d.id, []string{applied}, d.mut("media.declare", map[string]any{"id": id, "inspection_id": b.inspectionID,
					"kind": "damage", "content_type": "image/jpeg", "size": 100, "sha256": strings.Repeat("ef", 32), "filename": name}))
				secCase(false) // accepted, with its name made safe
				mustSafeName(t, "declared filename", b.mustMeta(t, id).Filename, "image/jpeg", true)
			}
		})
		t.Run("NothingOutsideItsKey", func(t *testing.T) {
			root := filepath.Dir(ts.cfg.DataDir)
			filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return nil
				}
				base := strings.ToLower(d.Name())
				for _, bad := range []string{"passwd", "evil", "cron", "system32", "photo", "con.jpg", "gpj"} {
					if strings.Contains(base, bad) {
						t.Errorf("a client's name reached the disk: %s", p)
					}
				}
				return nil
			})
		})
	})
}

// TestSecurityUploadMetadata tries path tricks and malformed values in
// each tus header: every one is refused before anything is stored.
func TestSecurityUploadMetadata(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ts := mustStartMedia(t, dialect, onDisk, nil)
		b := mustBench(t, ts, "insp", inspection.RoleInspector)
		data := secBytes(string(jfif), "x")
		for _, tc := range []struct {
			name   string
			md     func(md map[string]string)
			header []string
			status int
		}{
			{"MediaIDClimbs", func(md map[string]string) { md["media_id"] = "../../../../etc/passwd" }, nil, 400},
			{"MediaIDUUIDThenPath", func(md map[string]string) { md["media_id"] = uuid.NewString() + "/../../x" }, nil, 400},
			{"MediaIDNUL", func(md map[string]string) { md["media_id"] = uuid.NewString() + "\x00" }, nil, 400},
			{"MediaIDNewline", func(md map[string]string) { md["media_id"] = uuid.NewString() + "\n" }, nil, 400},
			{"InspectionIDClimbs", func(md map[string]string) { md["inspection_id"] = "../main" }, nil, 400},
			{"InspectionIDAbsolute", func(md map[string]string) { md["inspection_id"] = "/" + b.inspectionID }, nil, 400},
			{"KindClimbs", func(md map[string]string) { md["kind"] = "../damage" }, nil, 400},
			{"SHA256Path", func(md map[string]string) { md["sha256"] = "../" + strings.Repeat("a", 61) }, nil, 400},
			{"SHA256Quote", func(md map[string]string) { md["sha256"] = strings.Repeat("a", 63) + "'" }, nil, 400},
			// Past the server's header buffer: refused before any handler.
			{"MetadataTooLong", nil, []string{"Upload-Metadata", tusMetadata(map[string]string{"filename": strings.Repeat("x", 9000)})}, 431},
			{"MetadataNotBase64URL", nil, []string{"Upload-Metadata", "media_id " + strings.Repeat("_-", 8)}, 400},
			{"MetadataKeyOnlyCommas", nil, []string{"Upload-Metadata", ",,,,"}, 400},
			{"LengthOverflows", nil, []string{"Upload-Length", "99999999999999999999999"}, 400},
			{"LengthNegative", nil, []string{"Upload-Length", "-1"}, 400},
			{"LengthHex", nil, []string{"Upload-Length", "0x10"}, 400},
			{"LengthFloat", nil, []string{"Upload-Length", "1e3"}, 400},
			{"LengthMaxInt64", nil, []string{"Upload-Length", "9223372036854775807"}, 413},
			{"ConcatFinalNoLength", nil, []string{"Upload-Length", "", "Upload-Concat", "final;/api/v1/uploads/" + strings.Repeat("0", 32)}, 400},
			{"DeferLength", nil, []string{"Upload-Length", "", "Upload-Defer-Length", "1"}, 400},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := b.newEvidence(inspection.MediaDamage, "image/jpeg", "a.jpg", data)
				md := e.metadata()
				if tc.md != nil {
					tc.md(md)
				}
				// A refusal may close the connection: none is reused after it.
				h := append([]string{"Connection", "close", "Upload-Length", strconv.Itoa(len(data)), "Upload-Metadata", tusMetadata(md)}, tc.header...)
				var res response
				if tc.status == http.StatusRequestHeaderFieldsTooLarge {
					// Closed while the headers may still be going out: the
					// answer is read from a plain connection.
					hm := map[string]string{"Tus-Resumable": "1.0.0"}
					for i := 0; i < len(h); i += 2 {
						hm[h[i]] = h[i+1]
					}
					res = b.rawBody(t, "POST", "/api/v1/uploads", b.token, hm, nil, false)
				} else {
					res = b.tus(t, "POST", "/api/v1/uploads", nil, h...)
				}
				secStatus(res.status)
				if res.status != tc.status || res.header.Get("Location") != "" {
					t.Fatalf("got %d %s (Location %q), want %d and no upload", res.status, res.body, res.header.Get("Location"), tc.status)
				}
			})
		}
		t.Run("ChunkHeaders", func(t *testing.T) {
			e := b.newEvidence(inspection.MediaDamage, "image/jpeg", "a.jpg", secBytes(string(jfif), strings.Repeat("z", 5000)))
			loc := b.mustCreate(t, e)
			for _, h := range [][]string{
				{"Upload-Offset", "-1"},
				{"Upload-Offset", "99999999999999999999999"},
				{"Upload-Offset", "1"},
				{"Upload-Offset", "0x0"},
				{"Upload-Checksum", "sha256 " + strings.Repeat("!", 44)},
				{"Upload-Checksum", "md5 " + b64("0123456789abcdef")},
				{"Upload-Checksum", "sha256"},
				{"Upload-Checksum", "sha1 " + b64("short")},
				{"Content-Type", "text/html"},
			} {
				res := b.patch(t, loc, 0, e.data, h...)
				secStatus(res.status)
				if res.status < 400 || res.status >= 500 {
					t.Errorf("PATCH with %q: %d %s, want a 4xx", h, res.status, res.body)
				}
			}
			if got := b.mustOffset(t, loc); got != 0 {
				t.Fatalf("offset %d after refused chunks, want 0", got)
			}
		})
	})
}

func b64(s string) string { return tusMetadata(map[string]string{"k": s})[2:] }

// TestSecurityUploadOversize sends more than was declared, at once and in
// a chunk of unknown length: the server never keeps more than the
// declared length, and what it keeps is exactly the declared file.
func TestSecurityUploadOversize(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ts := mustStartMedia(t, dialect, onDisk, nil)
		b := mustBench(t, ts, "insp", inspection.RoleInspector)
		for _, chunked := range []bool{false, true} {
			t.Run("Chunked="+strconv.FormatBool(chunked), func(t *testing.T) {
				file := secBytes(string(jfif), strings.Repeat("k", 3000))
				e := b.newEvidence(inspection.MediaDamage, "image/jpeg", "a.jpg", file)
				loc := b.mustCreate(t, e)
				extra := append(append([]byte{}, file...), secBytes(secHTML, strings.Repeat("x", 64<<10))...)
				var res response
				if chunked {
					res = b.chunkedPatch(t, loc, 0, extra)
				} else {
					res = b.patch(t, loc, 0, extra)
				}
				secStatus(res.status)
				if res.status != http.StatusBadRequest {
					t.Errorf("a chunk past Upload-Length: %d %s, want 400", res.status, res.body)
				}
				m := b.mustMeta(t, e.mediaID)
				if m.Size != int64(len(file)) {
					t.Fatalf("size %d, want the declared %d", m.Size, len(file))
				}
				if m.Status == inspection.MediaVerified {
					got := b.do(t, request{method: "GET", path: "/api/v1/media/" + e.mediaID, token: b.token})
					if string(got.body) != string(file) {
						t.Fatalf("the kept file is %d bytes and not the declared one", len(got.body))
					}
				}
			})
		}
		t.Run("DeclaredPastLimit", func(t *testing.T) {
			for _, n := range []int{maxPhoto + 1, 1 << 40} {
				e := b.newEvidence(inspection.MediaDamage, "image/jpeg", "a.jpg", []byte("x"))
				res := b.tus(t, "POST", "/api/v1/uploads", nil, "Upload-Length", strconv.Itoa(n), "Upload-Metadata", tusMetadata(e.metadata()))
				secStatus(res.status)
				if res.status != http.StatusRequestEntityTooLarge {
					t.Errorf("Upload-Length %d: %d %s, want 413", n, res.status, res.body)
				}
			}
		})
		t.Run("DeclaredSmallSentLargeInCreate", func(t *testing.T) {
			file := secBytes(string(jfif), "y")
			e := b.newEvidence(inspection.MediaDamage, "image/jpeg", "a.jpg", file)
			res := b.create(t, e, append(append([]byte{}, file...), make([]byte, 3*mib)...))
			secStatus(res.status)
			if res.status != http.StatusBadRequest {
				t.Errorf("creation-with-upload past its length: %d %s, want 400", res.status, res.body)
			}
			if m := b.mustMeta(t, e.mediaID); m.Size != int64(len(file)) {
				t.Errorf("size %d, want %d", m.Size, len(file))
			}
		})
	})
}

// chunkedPatch sends a chunk without Content-Length (chunked encoding).
func (b *bench) chunkedPatch(tb testing.TB, loc string, offset int, chunk []byte) response {
	tb.Helper()
	hr, err := http.NewRequest("PATCH", b.URL+loc, strings.NewReader(string(chunk)))
	if err != nil {
		tb.Fatal(err)
	}
	hr.ContentLength = -1
	hr.TransferEncoding = []string{"chunked"}
	hr.Header.Set("Tus-Resumable", "1.0.0")
	hr.Header.Set("Authorization", "Bearer "+b.token)
	hr.Header.Set("Content-Type", "application/offset+octet-stream")
	hr.Header.Set("Upload-Offset", strconv.Itoa(offset))
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		tb.Fatalf("PATCH %s: %v", loc, err)
	}
	defer res.Body.Close()
	var body strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		body.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return response{status: res.StatusCode, header: res.Header, body: []byte(body.String())}
}

// TestSecurityUndecodablePhoto: a file with a JPEG's magic number and
// anything after it is kept as evidence (its bytes are what arrived), but
// the documents made from photos must then say they cannot render it, not
// fail as internal errors.
func TestSecurityUndecodablePhoto(t *testing.T) {
	ts := mustStartMedia(t, "sqlite", onDisk, nil)
	b := mustBench(t, ts, "lead", inspection.RoleLead)
	for _, kind := range []string{inspection.MediaLabelCloseup, inspection.MediaContents} {
		e := b.newEvidence(kind, "image/jpeg", "label.jpg", secBytes(string(jfif), secHTML))
		if res := b.create(t, e, e.data); res.status != http.StatusCreated {
			t.Fatalf("upload: %d %s", res.status, res.body)
		}
	}
	for _, doc := range []string{"label-card.jpg", "evidence", "evidence.pdf", "evidence.zip"} {
		res := b.do(t, request{method: "GET", path: "/api/v1/inspections/" + b.inspectionID + "/" + doc, token: b.token})
		secStatus(res.status)
		if res.status >= 500 {
			t.Errorf("%s with an undecodable photo: %d %.300s, want a document or a 4xx that says why", doc, res.status, res.body)
		}
	}
}

// TestSecurityLabelCheckHeader: the texts read from a label photo go into
// the X-Label-Check header of the label card. A barcode that encodes line
// breaks must not add headers of its own (response splitting).
func TestSecurityLabelCheckHeader(t *testing.T) {
	ts := mustStartMedia(t, "sqlite", onDisk, nil)
	b := mustBench(t, ts, "lead", inspection.RoleLead)
	code := "TBA1\r\nSet-Cookie: rb_session=planted\r\nX-Injected: 1"
	e := b.newEvidence(inspection.MediaLabelCloseup, "image/jpeg", "label.jpg", labelPhoto(t, code))
	if res := b.create(t, e, e.data); res.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", res.status, res.body)
	}
	res := b.do(t, request{method: "GET", path: "/api/v1/inspections/" + b.inspectionID + "/label-card.jpg", token: b.token})
	injected := res.header.Get("X-Injected") != "" || res.header.Get("Set-Cookie") != ""
	secCase(!injected)
	if res.status != 200 || injected || strings.ContainsAny(res.header.Get("X-Label-Check"), "\r\n") {
		t.Fatalf("label card: %d headers %v, want the barcode's text kept inside X-Label-Check", res.status, res.header)
	}
	t.Logf("X-Label-Check: %q", res.header.Get("X-Label-Check"))
}
