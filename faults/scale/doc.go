// Package scale tests the deployment the README's "Running at scale"
// describes: several returnbench processes on one PostgreSQL database and
// one S3 bucket with Object Lock, serving HTTPS behind a round-robin load
// balancer without sticky sessions. Sessions, uploads and the sync feed
// must work whichever instance a request lands on, and survive the loss
// of one instance.
package scale
