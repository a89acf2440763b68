package sync

// Fuzz targets for what a device controls before anything touches the
// database: the pull cursor it sends back and the push request's envelope.
// The mutation payloads themselves are fuzzed through the real server
// (server/sync_fuzz_test.go), where they meet the database.
//
//	go test -run '^$' -fuzz FuzzPushRequest -fuzztime 1m -parallel 2 ./sync

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/returnbench/returnbench/inspection"
)

// FuzzCursor: any cursor is refused or read back as a position that
// encodes to a cursor meaning the same.
func FuzzCursor(f *testing.F) {
	for _, seed := range []string{
		cursor{Epoch: "9b2f3c4d5e6f", Seq: 1234}.encode(), cursor{Epoch: "e", Seq: 0}.encode(),
		"", "not base64!", "e30", "eyJlIjoiIiwicyI6MX0", "eyJlIjoieCIsInMiOi0xfQ", "eyJlIjoieCIsInMiOjFlMzAwfQ",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			if inspection.ErrorCode(err) != inspection.EINVALID {
				t.Fatalf("cursor %q refused with %v, want invalid", s, err)
			}
			return
		}
		if s == "" {
			return
		}
		if c.Epoch == "" || c.Seq < 0 {
			t.Fatalf("cursor %q read as %+v", s, c)
		}
		again, err := decodeCursor(c.encode())
		if err != nil || again != c {
			t.Fatalf("cursor %+v does not survive a round trip: %+v %v", c, again, err)
		}
	})
}

// FuzzPushRequest: whatever a push body decodes to, validation refuses it
// with a client error or passes only what the protocol allows.
func FuzzPushRequest(f *testing.F) {
	for _, seed := range []string{
		`{"client_id":"dev-1a2b3c4d","mutations":[{"id":"0b6f5a2e-6c1d-4f7e-9a8b-1c2d3e4f5a6b","seq":1,"type":"inspection.save","payload":{"id":"7d9e1f20-3a4b-4c5d-8e6f-7a8b9c0d1e2f","scanned_code":"1Z5R89390357567127"}}]}`,
		`{"client_id":"dev-1a2b3c4d","mutations":[{"id":"0b6f5a2e-6c1d-4f7e-9a8b-1c2d3e4f5a6b","seq":2,"type":"inspection.complete","payload":{"id":"7d9e1f20-3a4b-4c5d-8e6f-7a8b9c0d1e2f","base_version":2},"actor_id":"u1"}]}`,
		`{"client_id":"dev","mutations":[{"id":"0B6F5A2E-6C1D-4F7E-9A8B-1C2D3E4F5A6B","seq":1},{"id":"0b6f5a2e-6c1d-4f7e-9a8b-1c2d3e4f5a6b","seq":1}]}`,
		`{"client_id":"a b","mutations":[]}`,
		`{"client_id":"` + strings.Repeat("d", 65) + `"}`,
		`{"client_id":"dev","mutations":[{"id":"x","seq":-1,"payload":null}]}`,
		`{}`, `null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req PushRequest
		if json.Unmarshal(body, &req) != nil {
			return
		}
		if err := req.validate(); err != nil {
			if code := inspection.ErrorCode(err); code != inspection.EINVALID && code != inspection.ETOOLARGE {
				t.Fatalf("push refused with %v, want invalid or too large", err)
			}
			return
		}
		if req.ClientID == "" || len(req.ClientID) > 64 || strings.ContainsAny(req.ClientID, " \t\n") || len(req.Mutations) > MaxMutations {
			t.Fatalf("client %q with %d mutations passed", req.ClientID, len(req.Mutations))
		}
		seen := map[string]bool{}
		for _, m := range req.Mutations {
			id := strings.ToLower(m.ID)
			if !isUUID(m.ID) || seen[id] || m.Seq < 0 || len(m.Payload) > MaxPayloadSize {
				t.Fatalf("mutation %+v passed", m)
			}
			seen[id] = true
		}
	})
}
