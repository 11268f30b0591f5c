// Package loadcompare is a benchmark tool, not part of the server: it
// compares HTTP/1.1 servers under load over loopback, each server in its
// own process, so that the CPU time a server spends per request is
// measured apart from the load generator's.
//
// It is a test harness: only _test.go files import it (httpraw's
// BenchmarkLoadCompare for a static file, web's for the rendered list
// page). It is a package of its own, not a _test.go file, because Go test
// files cannot be shared between packages, and the two comparisons must
// measure the same way. It imports nothing of vlogd's and not net/http: the
// servers under test are set up by the calling test, and the client speaks
// HTTP/1.1 on raw sockets.
//
// # How a comparison runs
//
// A benchmark calls Compare with the names of its servers, and StartAll
// starts a process for each, all at once: the running test binary
// (os.Args[0]) again, with -test.run=^TestHelperServer$ and the name in the
// LOADCOMPARE_SERVER environment variable. The calling package's
// TestHelperServer sees the variable and calls Serve with the server of
// that name, which listens on 127.0.0.1:0 and prints its address. When pinning is on and taskset(1) is
// installed the server runs under "taskset -c 1", and the load generator's
// threads are pinned to CPU 0, so client and server never take each other's
// CPU.
//
// The servers are then measured in turns, round after round (A, B, A, B,
// ...), so that a burst of outside load hits both alike. In a round the
// load generator opens Config.Conns keep-alive connections, each sending the same
// request, waiting for the whole response (no pipelining), and sending it
// again; after a warm-up it counts responses and records their latency for a
// fixed time, and reads the server's utime+stime from /proc/<pid>/stat at
// both ends. A comparison reports, per server, the medians over its rounds
// of requests per second, server CPU time per request, and p50/p99 latency,
// and the ratios to a baseline server.
//
// # fasthttp as a reference
//
// The nested module in fasthttpref/ (its own go.mod, so fasthttp never
// becomes a dependency of vlogd) is a server that answers every request
// with one fixed response. BuildReference compiles it; a TestHelperServer
// hands it the bytes to send with ExecReference, which replaces the helper
// process with it, so it is measured like every other server process.
package loadcompare
