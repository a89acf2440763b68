// Package labels owns codes in and out: it classifies scanned identifiers and
// renders QR / Code 128 / ZPL labels. It knows nothing of HTTP or the
// database.
package labels
