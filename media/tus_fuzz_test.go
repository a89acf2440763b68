package media_test

// Fuzz targets for what a client controls in the tus protocol: its
// headers (Upload-Metadata, Upload-Checksum, Upload-Length and
// Upload-Offset), the declaration they make, and the first bytes that are
// sniffed. The server does not speak the concatenation extension, so
// Upload-Concat is never parsed (the security tests check it is refused).
//
//	go test -run '^$' -fuzz FuzzTusHeaders -fuzztime 1m -parallel 2 ./media

import (
	"bytes"
	"encoding/base64"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/returnbench/returnbench/inspection"
	"github.com/returnbench/returnbench/media"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// FuzzTusHeaders parses the four headers a client writes. Each either
// refuses its input or returns something within the protocol's bounds;
// metadata survives a round trip through its own writer.
func FuzzTusHeaders(f *testing.F) {
	// As the bench app and tus-js-client send them.
	app := strings.Join([]string{"media_id " + b64("0b6f5a2e-6c1d-4f7e-9a8b-1c2d3e4f5a6b"), "inspection_id " + b64("7d9e1f20-3a4b-4c5d-8e6f-7a8b9c0d1e2f"),
		"kind " + b64("label_closeup"), "filename " + b64("label_closeup-20260302T100000Z.jpg"),
		"content_type " + b64("image/jpeg"), "sha256 " + b64(strings.Repeat("0a", 32))}, ",")
	for _, seed := range []struct{ md, sum, length, offset string }{
		{app, "sha256 " + base64.StdEncoding.EncodeToString(make([]byte, 32)), "123456", "0"},
		{"filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential", "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=", "100", "70"},
		{"", "", "0", "0"},
		{"kind ZGFtYWdl,kind ZGFtYWdl", "md5 AAAA", "-1", "+5"},
		{"media_id !!not-base64!!", "sha256", "99999999999999999999", " 42 "},
		{"filename " + b64("../../etc/passwd\x00.jpg"), "sha1 " + b64("short"), "0x10", "1e3"},
		{" , ,", "sha256 " + strings.Repeat("=", 44), "9223372036854775807", "9223372036854775808"},
	} {
		f.Add(seed.md, seed.sum, seed.length, seed.offset)
	}
	f.Fuzz(func(t *testing.T, md, sum, length, offset string) {
		if got, err := media.ParseMetadata(md); err == nil {
			if len(md) > 8192 && strings.TrimSpace(md) != "" {
				t.Fatalf("metadata of %d bytes accepted, want at most 8 KiB", len(md))
			}
			keys := make([]string, 0, len(got))
			for k := range got {
				if k == "" || strings.ContainsAny(k, " ,") {
					t.Fatalf("key %q accepted", k)
				}
				keys = append(keys, k)
			}
			slices.Sort(keys)
			again, err := media.ParseMetadata(media.FormatMetadata(got, keys...))
			if err != nil || len(again) != len(got) {
				t.Fatalf("metadata %q does not survive a round trip: %v %v", md, again, err)
			}
			for k, v := range got {
				if again[k] != v {
					t.Fatalf("key %q: %q after a round trip, want %q", k, again[k], v)
				}
			}
		}
		if c, err := media.ParseChecksum(sum); err == nil && c != nil {
			want := map[string]int{"sha1": 20, "sha256": 32}[c.Algorithm]
			if want == 0 || len(c.Sum) != want {
				t.Fatalf("checksum %q accepted as %s with %d bytes", sum, c.Algorithm, len(c.Sum))
			}
		} else if err == nil && sum != "" {
			t.Fatalf("checksum %q neither refused nor read", sum)
		}
		for name, h := range map[string]string{"Upload-Length": length, "Upload-Offset": offset} {
			n, err := media.ParseOffset(name, h)
			if err != nil {
				continue
			}
			if n < 0 {
				t.Fatalf("%s %q read as %d", name, h, n)
			}
			if want, werr := strconv.ParseInt(strings.TrimSpace(h), 10, 64); werr != nil || want != n {
				t.Fatalf("%s %q read as %d, want %d", name, h, n, want)
			}
		}
	})
}

// FuzzUploadDeclaration checks what a client declares about a file (tus
// metadata or a sync media.declare): whatever it claims, an accepted
// declaration has a known kind and type, a size within the limits, and a
// file name that is safe to show and to save under.
func FuzzUploadDeclaration(f *testing.F) {
	for _, s := range []struct {
		kind, contentType, filename string
		length                      int64
	}{
		{"label_closeup", "image/jpeg", "label_closeup-20260302T100000Z.jpg", 123456},
		{"unboxing_video", "video/webm", "unboxing-20260302T100000Z.webm", 40 << 20},
		{"other", "video/quicktime", "IMG_0001.MOV", 5 << 20},
		{"damage", "IMAGE/JPEG ", "photo.jpg.html", 1},
		{"damage", "image/png", "../../../etc/passwd", 10},
		{"damage", "image/heic", "evil\u202egpj.exe", 10},
		{"damage", "image/webp", "\xff\xfe" + strings.Repeat("\u6587", 100) + ".webp", 10},
		{"damage", "text/html", "a.html", 10},
		{"damage", "image/jpeg", "", 26 << 20},
	} {
		f.Add(s.kind, s.contentType, s.filename, s.length)
	}
	limits := media.DefaultLimits
	f.Fuzz(func(t *testing.T, kind, contentType, filename string, length int64) {
		n := media.NewUpload{MediaID: "0b6f5a2e-6c1d-4f7e-9a8b-1c2d3e4f5a6b", InspectionID: "7d9e1f20-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
			Kind: kind, ContentType: contentType, Filename: filename, SHA256: strings.Repeat("ab", 32), Length: length}
		if err := n.Validate(limits); err != nil {
			if inspection.ErrorCode(err) == inspection.EINTERNAL {
				t.Fatalf("an internal error for a bad declaration: %v", err)
			}
			return
		}
		if !slices.Contains(inspection.MediaKinds, n.Kind) || !slices.Contains(media.AllowedTypes(n.Kind), n.ContentType) {
			t.Fatalf("kind %q with type %q accepted", n.Kind, n.ContentType)
		}
		max := limits.MaxPhoto
		if media.IsVideo(n.ContentType) {
			max = limits.MaxVideo
		}
		if n.Length <= 0 || n.Length > max {
			t.Fatalf("length %d accepted for a %s", n.Length, n.ContentType)
		}
		mustSafeName(t, n.Filename, n.ContentType, true)
		mustSafeName(t, media.DownloadName(n.Filename, n.ContentType, n.MediaID), n.ContentType, false)
	})
}

// mustSafeName checks a name a user may save a download under.
func mustSafeName(t *testing.T, name, contentType string, mayBeEmpty bool) {
	t.Helper()
	if name == "" {
		if !mayBeEmpty {
			t.Fatal("empty name")
		}
		return
	}
	if !utf8.ValidString(name) || len(name) > 200 || name == "." || name == ".." || strings.TrimSpace(name) != name {
		t.Fatalf("name %q: not valid UTF-8, too long, a dot name or padded", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '"' || r == '/' || r == '\\' || unicode.Is(unicode.Cf, r) {
			t.Fatalf("name %q holds %U", name, r)
		}
	}
	ok := false
	for _, ext := range map[string][]string{"image/jpeg": {".jpg", ".jpeg"}, "image/png": {".png"}, "image/webp": {".webp"},
		"image/heic": {".heic", ".heif"}, "image/heif": {".heif", ".heic"}, "video/webm": {".webm"},
		"video/mp4": {".mp4", ".m4v"}, "video/quicktime": {".mov", ".qt"}}[contentType] {
		ok = ok || strings.EqualFold(path.Ext(name), ext)
	}
	if !ok {
		t.Fatalf("name %q does not end in an extension of %s", name, contentType)
	}
}

// FuzzSniff reads first bytes: the answer is one of the allowed types or
// nothing, and never panics on short or odd input.
func FuzzSniff(f *testing.F) {
	for _, head := range [][]byte{
		[]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), []byte("\x89PNG\r\n\x1a\n"), []byte("RIFF\x00\x00\x00\x00WEBPVP8 "),
		[]byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm"), []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"),
		[]byte("\x00\x00\x00\x14ftypqt  "), []byte("\x00\x00\x00\x08wide"), []byte("%PDF-1.7"), []byte("PK\x03\x04"), nil,
	} {
		f.Add(head)
	}
	all := append(media.AllowedTypes(inspection.MediaOther), "")
	f.Fuzz(func(t *testing.T, head []byte) {
		got := media.Sniff(head)
		if !slices.Contains(all, got) {
			t.Fatalf("Sniff(%q) = %q, not an allowed type", head, got)
		}
		if got != "" && media.Sniff(bytes.Clone(head)) != got {
			t.Fatal("Sniff is not deterministic")
		}
	})
}
