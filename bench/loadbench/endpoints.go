package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/google/uuid"

	"github.com/returnbench/returnbench/bench/benchkit"
)

// endpoint is one kind of request the bench offers at a rate.
type endpoint struct {
	name  string
	what  string  // what one request is, for the report
	unit  float64 // items per request (mutations per push, changes per pull), for the report
	units string
	// do sends request number n and checks the answer; a failure says
	// what kind of error it was.
	do func(ctx context.Context, n int64) error
}

// Error kinds, as the report counts them.
const (
	kindShed    = "shed"    // due while -max-in-flight requests were out: never sent
	kindTimeout = "timeout" // no answer within -timeout
	kindConn    = "conn"    // refused, reset or closed by the server
	kindWrong   = "wrong"   // 200, but not the answer the request should get
	kindCut     = "cut"     // still out when the step ended and its drain time ran out
)

// failure is a request that did not get the answer it should.
type failure struct {
	kind   string // one of the kinds above, or "http <status>"
	detail string // the first words of the body or the error
}

func (f *failure) Error() string { return f.kind + ": " + f.detail }

// kindOf names the kind of a request's error.
func kindOf(err error) (kind, detail string) {
	var f *failure
	if errors.As(err, &f) {
		return f.kind, f.detail
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return kindTimeout, err.Error()
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE):
		return kindConn, err.Error()
	}
	return "other", err.Error()
}

// client sends the load requests of one server as one signed-in user.
type client struct {
	srv   *rbServer
	token string
}

// answer is what came back: status, headers and the body read to its end
// (so the connection goes back to the pool).
type answer struct {
	status int
	header http.Header
	body   []byte
}

// send makes one request and wants status want; any other status is a
// failure of kind "http <status>" carrying the start of the body.
func (c *client) send(ctx context.Context, req *http.Request, want int) (answer, error) {
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := c.srv.http.Do(req.WithContext(ctx))
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{}, err
	}
	if res.StatusCode != want {
		return answer{}, &failure{kind: "http " + strconv.Itoa(res.StatusCode), detail: string(body[:min(len(body), 300)])}
	}
	return answer{status: res.StatusCode, header: res.Header, body: body}, nil
}

func wrong(format string, args ...any) error {
	return &failure{kind: kindWrong, detail: fmt.Sprintf(format, args...)}
}

// scanEndpoint looks up the report's codes in turn: a present code must
// find at least one return, an absent one none.
func scanEndpoint(c *client, codes []scanCode) endpoint {
	return endpoint{name: epScan, what: "GET /api/v1/scan/{code}", unit: 1, units: "scans",
		do: func(ctx context.Context, n int64) error {
			code := codes[n%int64(len(codes))]
			req, _ := http.NewRequest("GET", c.srv.base+"/api/v1/scan/"+url.PathEscape(code.value), nil)
			a, err := c.send(ctx, req, http.StatusOK)
			if err != nil {
				return err
			}
			var res struct {
				Returns []struct {
					ID string `json:"id"`
				} `json:"returns"`
			}
			if err := json.Unmarshal(a.body, &res); err != nil {
				return wrong("scan %s: %v", code.value, err)
			}
			if (len(res.Returns) > 0) != code.present {
				return wrong("scan %s (present: %t) found %d returns", code.value, code.present, len(res.Returns))
			}
			return nil
		}}
}

// Pages of the pull ladder, the protocol's default.
const pullPage = defaultPullLimit

// pullEndpoint reads full pages from cursors drawn at random over the
// feed up to head, as devices that last synced at different times do.
func pullEndpoint(c *client, head feedCursor, seed uint64) endpoint {
	last := max(1, head.Seq-pullPage-1) // every page is full and has more after it
	changeStart := []byte(`{"entity":`)
	return endpoint{name: epPull, what: fmt.Sprintf("GET /api/v1/sync/pull, %d changes from a random cursor", pullPage),
		unit: pullPage, units: "changes",
		do: func(ctx context.Context, n int64) error {
			rng := rand.New(rand.NewPCG(seed, uint64(n)))
			cur := feedCursor{Epoch: head.Epoch, Seq: rng.Int64N(last)}
			req, _ := http.NewRequest("GET", c.srv.base+"/api/v1/sync/pull?limit="+strconv.Itoa(pullPage)+"&cursor="+cur.encode(), nil)
			a, err := c.send(ctx, req, http.StatusOK)
			if err != nil {
				return err
			}
			// Counted, not decoded: the bench shares the server's two cores,
			// and decoding half a megabyte per page would take its share.
			if got := bytes.Count(a.body, changeStart); got != pullPage {
				return wrong("pull after %d: %d changes, want %d", cur.Seq, got, pullPage)
			}
			if !bytes.HasSuffix(bytes.TrimSpace(a.body), []byte(`"more":true}`)) {
				return wrong("pull after %d: the page does not say more follow", cur.Seq)
			}
			return nil
		}}
}

// pushBatch is how many inspection.save one push carries.
const pushBatch = 50

// pushEndpoint pushes batches of new draft inspections, each batch from a
// device of its own (so batches never wait on each other's seq order), and
// wants every mutation applied at version 1.
func pushEndpoint(c *client, codes []scanCode, dialect string) endpoint {
	var device atomic.Int64
	return endpoint{name: epPush, what: fmt.Sprintf("POST /api/v1/sync/push, %d new inspection.save", pushBatch),
		unit: pushBatch, units: "mutations",
		do: func(ctx context.Context, n int64) error {
			req := pushRequest{ClientID: fmt.Sprintf("loadbench-%s-%d", strings.ToLower(dialect), device.Add(1)),
				Mutations: make([]mutation, pushBatch)}
			for i := range req.Mutations {
				code := codes[(n*pushBatch+int64(i))%int64(len(codes))]
				payload, _ := json.Marshal(map[string]any{"id": uuid.NewString(), "scanned_code": code.value,
					"notes": "loadbench", "checklist": map[string]bool{"outer_package_intact": true}})
				req.Mutations[i] = mutation{ID: uuid.NewString(), Seq: int64(i + 1), Type: "inspection.save", Payload: payload}
			}
			body, _ := json.Marshal(req)
			hreq, _ := http.NewRequest("POST", c.srv.base+"/api/v1/sync/push", bytes.NewReader(body))
			hreq.Header.Set("Content-Type", "application/json")
			a, err := c.send(ctx, hreq, http.StatusOK)
			if err != nil {
				return err
			}
			var res pushResponse
			if err := json.Unmarshal(a.body, &res); err != nil {
				return wrong("push: %v", err)
			}
			if len(res.Results) != pushBatch {
				return wrong("push: %d results for %d mutations", len(res.Results), pushBatch)
			}
			for _, r := range res.Results {
				if r.Status != statusApplied || r.Version != 1 {
					msg := ""
					if r.Error != nil {
						msg = r.Error.Code + ": " + r.Error.Message
					}
					return wrong("push: a mutation is %s at version %d: %s", r.Status, r.Version, msg)
				}
			}
			return nil
		}}
}

// photo is the file every upload sends: a JPEG's first bytes (the server
// reads the type from them), then random bytes, which no layer compresses.
type photo struct {
	data     []byte
	sha256   string // hex, declared in Upload-Metadata
	checksum string // the Upload-Checksum header of the one PATCH
}

func makePhoto(size int64, seed uint64) photo {
	var key [32]byte
	copy(key[:], "loadbench photo")
	key[31] = byte(seed)
	b := make([]byte, size)
	rand.NewChaCha8(key).Read(b)
	copy(b, []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00})
	sum := sha256.Sum256(b)
	return photo{data: b, sha256: hex.EncodeToString(sum[:]),
		checksum: "sha256 " + base64.StdEncoding.EncodeToString(sum[:])}
}

// uploadEndpoint sends one photo per request pair, as the app does with
// tus: POST to create the upload, then one PATCH with all its bytes and
// their checksum. The PATCH's answer comes after the server has stored the
// file and checked its SHA-256, so the pair is the whole upload.
func uploadEndpoint(c *client, inspections []string, p photo) endpoint {
	size := strconv.Itoa(len(p.data))
	return endpoint{name: epUpload, what: fmt.Sprintf("tus POST /api/v1/uploads + PATCH of a %s photo", benchkit.Human(int64(len(p.data)))),
		unit: float64(len(p.data)) / (1 << 20), units: "MiB",
		do: func(ctx context.Context, n int64) error {
			m := benchkit.Media{InspectionID: inspections[n%int64(len(inspections))], Kind: "package",
				ContentType: "image/jpeg", SHA256: p.sha256, Filename: "package.jpg"}
			create, _ := http.NewRequest("POST", c.srv.base+"/api/v1/uploads", nil)
			create.Header.Set("Tus-Resumable", benchkit.TusVersion)
			create.Header.Set("Upload-Length", size)
			create.Header.Set("Upload-Metadata", m.TusMetadata(uuid.NewString()))
			a, err := c.send(ctx, create, http.StatusCreated)
			if err != nil {
				return err
			}
			loc := a.header.Get("Location")
			if !strings.HasPrefix(loc, "/api/v1/uploads/") {
				return wrong("tus create: Location %q", loc)
			}
			patch, _ := http.NewRequest("PATCH", c.srv.base+loc, bytes.NewReader(p.data))
			patch.Header.Set("Tus-Resumable", benchkit.TusVersion)
			patch.Header.Set("Content-Type", "application/offset+octet-stream")
			patch.Header.Set("Upload-Offset", "0")
			patch.Header.Set("Upload-Checksum", p.checksum)
			if a, err = c.send(ctx, patch, http.StatusNoContent); err != nil {
				return err
			}
			if got := a.header.Get("Upload-Offset"); got != size {
				return wrong("tus PATCH: Upload-Offset %s, want %s", got, size)
			}
			return nil
		}}
}
