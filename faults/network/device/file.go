package device

import (
	"fmt"
	"math/rand/v2"

	"github.com/google/uuid"
)

// webmHeader starts a WebM file as a browser's MediaRecorder writes it:
// the server checks a file's first bytes against its declared type.
var webmHeader = []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08" +
	"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02")

// Video is an unboxing video of size bytes for an inspection: a WebM
// header, then bytes drawn from seed, so a test sends the same file on
// every run.
func Video(inspectionID string, size int, seed byte) *File {
	b := make([]byte, size)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	copy(b, webmHeader)
	return &File{MediaID: uuid.NewString(), InspectionID: inspectionID, Kind: "unboxing_video",
		ContentType: "video/webm", Filename: fmt.Sprintf("unboxing-%d.webm", seed), Data: b}
}
