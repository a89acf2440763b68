// Package sync owns the offline protocol between the bench app and the
// server: pushed mutations applied exactly once, and the ordered change
// feed that devices pull. Import it as rbsync where the standard library's
// sync is also needed.
package sync
