// Package network tests returnbench over bad networks. A fault proxy sits
// on each of the server's three paths (phone to server, server to S3,
// server to PostgreSQL) and adds latency, cuts, resets, refusals and
// silence while phones upload evidence and sync. The tests want every
// upload verified with the right SHA-256, every mutation applied exactly
// once and seen once in the feed, and a clear, prompt error from the
// server while a store it needs is gone. Its device package is the phone.
package network
