package media

import (
	"bytes"
	"slices"

	"github.com/returnbench/returnbench/inspection"
)

// Content types the bench may upload. Photos from phones are JPEG, PNG,
// WebP or HEIC/HEIF; videos are WebM (Chrome, Android) or MP4/QuickTime
// (Safari, iOS).
var (
	imageTypes = []string{"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"}
	videoTypes = []string{"video/webm", "video/mp4", "video/quicktime"}
)

// AllowedTypes lists the content types accepted for a media kind.
func AllowedTypes(kind string) []string {
	switch kind {
	case inspection.MediaUnboxingVideo:
		return videoTypes
	case inspection.MediaOther:
		return append(slices.Clone(imageTypes), videoTypes...)
	}
	return imageTypes
}

// IsVideo tells whether a content type is one of the video types.
func IsVideo(contentType string) bool { return slices.Contains(videoTypes, contentType) }

// sniffLen is how many leading bytes Sniff needs to decide.
const sniffLen = 64

// isoBrands maps ISO base media file brands (the "ftyp" box) to types.
var isoBrands = map[string]string{
	"heic": "image/heic", "heix": "image/heic", "hevc": "image/heic", "hevx": "image/heic",
	"heim": "image/heic", "heis": "image/heic", "hevm": "image/heic", "hevs": "image/heic",
	"mif1": "image/heif", "msf1": "image/heif",
	"qt  ": "video/quicktime",
	"isom": "video/mp4", "iso2": "video/mp4", "iso4": "video/mp4", "iso5": "video/mp4", "iso6": "video/mp4",
	"mp41": "video/mp4", "mp42": "video/mp4", "avc1": "video/mp4", "M4V ": "video/mp4", "dash": "video/mp4",
	"3gp4": "video/mp4", "3gp5": "video/mp4", "3gp6": "video/mp4",
}

// Sniff names the type of a file from its first bytes (magic numbers), or
// "" when it is none of the allowed types. A client's declared type is
// never trusted on its own.
func Sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return "image/webp"
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}) && bytes.Contains(head, []byte("webm")):
		return "video/webm"
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return isoBrands[string(head[8:12])]
	case len(head) >= 8 && slices.Contains([]string{"moov", "mdat", "wide", "free", "pnot"}, string(head[4:8])):
		return "video/quicktime" // QuickTime files older than the ftyp box
	}
	return ""
}

// sameFamily lets a declared type match bytes of its close sibling: HEIC vs
// HEIF and MP4 vs QuickTime share one container and phones label them loosely.
func sameFamily(declared, detected string) bool {
	if declared == detected {
		return true
	}
	pair := func(a, b string) bool {
		return (declared == a && detected == b) || (declared == b && detected == a)
	}
	return pair("image/heic", "image/heif") || pair("video/mp4", "video/quicktime")
}
