// Package media owns evidence bytes: the stores that hold them (S3 or local
// disk), the resumable upload protocol, and hashing from capture to pack.
// It knows the domain's media records but nothing of HTTP routing or SQL.
package media
