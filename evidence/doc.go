// Package evidence turns an inspection into the documents a seller files:
// the label close-up card, the evidence PDF and zip, and the dispute message.
//
// It works on domain values only (inspection.Inspection, Return, Media,
// AuditEvent) and reads stored originals through a Source the caller
// supplies, so it knows nothing of HTTP, the database or the media store.
// Originals are streamed, never held whole in memory: a video can be
// gigabytes.
package evidence
