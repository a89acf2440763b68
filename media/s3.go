package media

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/returnbench/returnbench/inspection"
)

// S3Config says how to reach an S3-compatible server.
type S3Config struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Bucket    string
	Region    string
	UseTLS    bool
	// LockMode is "", "compliance" or "governance": verified evidence gets
	// S3 Object Lock retention of that mode. The bucket is created with
	// locking when it does not exist yet.
	LockMode string
}

// S3 keeps evidence in a bucket through plain S3 calls only, so MinIO, AWS
// S3, R2, SeaweedFS and versitygw all serve.
type S3 struct {
	core   minio.Core
	bucket string
	mode   minio.RetentionMode
}

// NewS3 connects and makes sure the bucket exists.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.UseTLS,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client: %w", err)
	}
	s := &S3{core: minio.Core{Client: client}, bucket: cfg.Bucket}
	switch cfg.LockMode {
	case "":
	case "compliance":
		s.mode = minio.Compliance
	case "governance":
		s.mode = minio.Governance
	default:
		return nil, inspection.Errorf(inspection.EINVALID, "S3 object lock mode must be compliance or governance, not %q.", cfg.LockMode)
	}
	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 bucket %s: %w", cfg.Bucket, err)
	}
	if !exists {
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region, ObjectLocking: s.mode != ""})
		// Another instance starting at the same moment made it first.
		if err != nil && minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
			return nil, fmt.Errorf("create s3 bucket %s: %w", cfg.Bucket, err)
		}
	}
	return s, nil
}

func (s *S3) Describe() string { return "s3:" + s.core.EndpointURL().Host + "/" + s.bucket }

// s3CallTimeout bounds one S3 call that moves little data: an S3 server
// that stops answering must fail the request, which the client retries.
const s3CallTimeout = 10 * time.Second

// partTimeout bounds one part's PUT: the call's allowance plus the part at
// 1 MiB/s.
func partTimeout(n int) time.Duration { return s3CallTimeout + time.Duration(n>>20)*time.Second }

func (s *S3) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s3CallTimeout)
	defer cancel()
	_, err := s.core.BucketExists(ctx, s.bucket)
	return translateS3(err, "Bucket")
}

// StartMultipart declares CRC32C as the upload's part checksum.
func (s *S3) StartMultipart(ctx context.Context, key, contentType string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s3CallTimeout)
	defer cancel()
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, key, minio.PutObjectOptions{ContentType: contentType,
		UserMetadata: map[string]string{"X-Amz-Checksum-Algorithm": "CRC32C"}})
	return id, translateS3(err, "Upload")
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// PutPart sends one part with its CRC32C, which the S3 server checks (a
// part damaged in transit is refused) and which buckets with Object Lock
// accept in place of Content-MD5. The payload is not hashed again for the
// request signature: CRC32C costs next to nothing, and the file's own
// SHA-256, computed as it arrives, is what proves the evidence intact.
func (s *S3) PutPart(ctx context.Context, key, uploadID string, number int, offset int64, data []byte) (Part, error) {
	ctx, cancel := context.WithTimeout(ctx, partTimeout(len(data)))
	defer cancel()
	var crc [4]byte
	binary.BigEndian.PutUint32(crc[:], crc32.Checksum(data, castagnoli))
	sum := base64.StdEncoding.EncodeToString(crc[:])
	h := http.Header{}
	h.Set("X-Amz-Checksum-Crc32c", sum)
	part, err := s.core.PutObjectPart(ctx, s.bucket, key, uploadID, number, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectPartOptions{CustomHeader: h, DisableContentSha256: true})
	if err != nil {
		return Part{}, translateS3(err, "Upload")
	}
	return Part{Number: number, ETag: part.ETag, Size: int64(len(data)), CRC32C: sum}, nil
}

// CompleteMultipart joins the parts. If the upload is already gone because
// an earlier attempt completed it just before a crash, an object of the
// right size counts as done.
func (s *S3) CompleteMultipart(ctx context.Context, key, uploadID string, parts []Part) error {
	ctx, cancel := context.WithTimeout(ctx, s3CallTimeout)
	defer cancel()
	cps := make([]minio.CompletePart, len(parts))
	var total int64
	for i, p := range parts {
		cps[i] = minio.CompletePart{PartNumber: p.Number, ETag: p.ETag, ChecksumCRC32C: p.CRC32C}
		total += p.Size
	}
	_, err := s.core.CompleteMultipartUpload(ctx, s.bucket, key, uploadID, cps, minio.PutObjectOptions{})
	if err != nil && minio.ToErrorResponse(err).Code == "NoSuchUpload" {
		info, serr := s.core.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
		switch {
		case serr == nil && info.Size == total:
			return nil
		case serr != nil && minio.ToErrorResponse(serr).Code != "NoSuchKey":
			// Cannot tell whether it was completed: not a lost upload, an outage.
			return translateS3(serr, "Upload")
		}
	}
	return translateS3(err, "Upload")
}

func (s *S3) AbortMultipart(ctx context.Context, key, uploadID string) error {
	ctx, cancel := context.WithTimeout(ctx, s3CallTimeout)
	defer cancel()
	err := s.core.AbortMultipartUpload(ctx, s.bucket, key, uploadID)
	if minio.ToErrorResponse(err).Code == "NoSuchUpload" {
		return nil
	}
	return translateS3(err, "Upload")
}

func (s *S3) PutScratch(ctx context.Context, key string, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s3CallTimeout)
	defer cancel()
	sum := md5.Sum(data)
	_, err := s.core.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)),
		base64.StdEncoding.EncodeToString(sum[:]), "", minio.PutObjectOptions{})
	return translateS3(err, "Upload data")
}

func (s *S3) GetScratch(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s3CallTimeout)
	defer cancel()
	r, _, _, err := s.core.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, translateS3(err, "Upload data")
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return b, translateS3(err, "Upload data")
}

func (s *S3) DeleteScratch(ctx context.Context, key string) error { return s.Delete(ctx, key) }

type s3Object struct {
	*minio.Object
	size int64
}

func (o s3Object) Size() int64 { return o.size }

func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	statCtx, cancel := context.WithTimeout(ctx, s3CallTimeout)
	info, err := s.core.StatObject(statCtx, s.bucket, key, minio.StatObjectOptions{})
	cancel()
	if err != nil {
		return nil, translateS3(err, "Media file")
	}
	obj, err := s.core.Client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, translateS3(err, "Media file")
	}
	return s3Object{Object: obj, size: info.Size}, nil
}

// Delete removes an object for good. In a versioned bucket (Object Lock
// needs one) a plain delete only hides the bytes behind a delete marker, so
// the current version is removed by its id; a retained version refuses.
func (s *S3) Delete(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, s3CallTimeout)
	defer cancel()
	info, err := s.core.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if minio.ToErrorResponse(err).Code == "NoSuchKey" {
		return nil
	} else if err != nil {
		return translateS3(err, "Media file")
	}
	err = s.core.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{VersionID: info.VersionID})
	return translateS3(err, "Media file")
}

// Retain puts Object Lock retention on the object when a lock mode is set.
func (s *S3) Retain(ctx context.Context, key string, until time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, s3CallTimeout)
	defer cancel()
	if s.mode == "" {
		return nil
	}
	until = until.UTC()
	err := s.core.PutObjectRetention(ctx, s.bucket, key, minio.PutObjectRetentionOptions{Mode: &s.mode, RetainUntilDate: &until})
	return translateS3(err, "Media file")
}

// translateS3 maps S3 answers to application errors: a missing key is not
// found; a server that does not answer is unavailable, which clients retry.
func translateS3(err error, what string) error {
	if err == nil {
		return nil
	}
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchKey", "NoSuchUpload":
		return inspection.Errorf(inspection.ENOTFOUND, "%s not found in the evidence store.", what)
	case "InvalidPart":
		// A part the store once acknowledged is gone (an S3 server that
		// lost it in a crash): the upload cannot be finished, like one
		// whose multipart upload is gone.
		return inspection.Errorf(inspection.ENOTFOUND, "%s: a stored part is missing from the evidence store.", what)
	case "SlowDown", "ServiceUnavailable", "InternalError", "XMinioServerNotInitialized":
		return unavailable(err)
	}
	var netErr net.Error
	var opErr *net.OpError
	if errors.As(err, &netErr) || errors.As(err, &opErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, context.DeadlineExceeded) {
		return unavailable(err)
	}
	return fmt.Errorf("s3: %w", err)
}

// unavailable marks a store outage: clients get 503 and retry later; the
// log keeps the cause.
func unavailable(cause error) error {
	return fmt.Errorf("%w (%v)", errStoreDown, cause)
}

var errStoreDown = inspection.Errorf(inspection.EUNAVAILABLE,
	"The evidence store does not answer right now; the upload will resume when it is back.")
