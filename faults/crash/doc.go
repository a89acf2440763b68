// Package crash is the crash harness: it runs the real returnbench binary,
// drives it with several simulated bench devices (sync pushes and tus
// uploads, each acknowledged write logged by the device that got the
// answer), kills a process with SIGKILL at seeded random moments, restarts
// it on the same data, and then checks that nothing acknowledged was lost
// or applied twice and that no half-written file is marked verified.
//
// Two modes: the server itself is killed (SQLite and local-disk media), or
// the S3 server under it (MinIO) is killed while returnbench keeps running.
//
// The short form runs in `go test ./faults/crash` with a fixed seed. The long
// form keeps killing until a duration ends:
//
//	go test ./faults/crash -run TestCrash -soak 10m -timeout 40m -v   (or RETURNBENCH_SOAK=10m)
//
// -soak applies to each mode, so the test takes twice as long; the test
// timeout must cover that. The seed is printed; -seed N (or
// RETURNBENCH_CRASH_SEED) replays the same choices (kill delays, file sizes,
// batch shapes); the scheduler's timing is the machine's. -keep keeps the
// run's directory (data, logs, the devices' journal) after a failure.
// RETURNBENCH_BIN names the binary to test; without it the package builds
// one. The package knows the product only through its public interfaces:
// the HTTP API, the command line and, after a clean stop, the data files.
package crash
