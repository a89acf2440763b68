package media

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/returnbench/returnbench/inspection"
)

// The tus 1.0.0 protocol as this server speaks it.
const (
	TusVersion    = "1.0.0"
	TusExtensions = "creation,creation-with-upload,termination,expiration,checksum"
	TusChecksums  = "sha1,sha256"
	// OffsetContentType is the body type of a chunk.
	OffsetContentType = "application/offset+octet-stream"
)

// ParseMetadata reads Upload-Metadata: comma-separated "key base64value"
// pairs (the value may be absent). Keys must be unique and the header is
// bounded, so a client cannot make the server hold much.
func ParseMetadata(header string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(header) == "" {
		return out, nil
	}
	if len(header) > 8192 {
		return nil, inspection.Errorf(inspection.EINVALID, "Upload-Metadata is longer than 8 KiB.")
	}
	for _, pair := range strings.Split(header, ",") {
		key, value, _ := strings.Cut(strings.TrimSpace(pair), " ")
		if key == "" || strings.ContainsAny(key, " ,") {
			return nil, inspection.Errorf(inspection.EINVALID, "Upload-Metadata has an empty or malformed key.")
		}
		if _, dup := out[key]; dup {
			return nil, inspection.Errorf(inspection.EINVALID, "Upload-Metadata names %q twice.", key)
		}
		decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
		if err != nil {
			return nil, inspection.Errorf(inspection.EINVALID, "Upload-Metadata value of %q is not base64.", key)
		}
		out[key] = string(decoded)
	}
	return out, nil
}

// FormatMetadata writes metadata back in the header's form.
func FormatMetadata(md map[string]string, keys ...string) string {
	var parts []string
	for _, k := range keys {
		if v, ok := md[k]; ok {
			parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(v)))
		}
	}
	return strings.Join(parts, ",")
}

// ParseChecksum reads Upload-Checksum: "<algorithm> <base64 digest>".
func ParseChecksum(header string) (*Checksum, error) {
	if header == "" {
		return nil, nil
	}
	algo, digest, ok := strings.Cut(strings.TrimSpace(header), " ")
	sum, err := base64.StdEncoding.DecodeString(digest)
	if !ok || err != nil {
		return nil, inspection.Errorf(inspection.EINVALID, "Upload-Checksum must be \"<algorithm> <base64 digest>\".")
	}
	want := map[string]int{"sha1": 20, "sha256": 32}[algo]
	if want == 0 {
		return nil, inspection.Errorf(inspection.EINVALID, "Upload-Checksum algorithm %q is not supported: use sha1 or sha256.", algo)
	}
	if len(sum) != want {
		return nil, inspection.Errorf(inspection.EINVALID, "Upload-Checksum %s digest must be %d bytes.", algo, want)
	}
	return &Checksum{Algorithm: algo, Sum: sum}, nil
}

// ParseOffset reads a non-negative Upload-Offset or Upload-Length.
func ParseOffset(name, header string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(header), 10, 64)
	if err != nil || n < 0 {
		return 0, inspection.Errorf(inspection.EINVALID, "%s must be a whole number of bytes, 0 or more.", name)
	}
	return n, nil
}
