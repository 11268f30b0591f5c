package loadcompare

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// Config sets how long and how hard a comparison runs.
type Config struct {
	Conns    int           // keep-alive connections per round
	Warmup   time.Duration // unmeasured load at the start of each round
	Duration time.Duration // measured load per round
	Rounds   int           // rounds per server in one sample
	Pin      bool          // server on CPU 1, load generator on CPU 0
	// CPUProfile, when set, is a path prefix: each server process writes
	// its CPU profile to CPUProfile + "-" + name + ".pprof".
	CPUProfile string
}

// FlagConfig registers the -load.* flags on fs and returns the Config they
// fill in. Call it from a test file's package-level var, before flag parsing.
func FlagConfig(fs *flag.FlagSet) *Config {
	c := &Config{}
	fs.IntVar(&c.Conns, "load.conns", 64, "loadcompare: keep-alive `connections`")
	fs.DurationVar(&c.Warmup, "load.warmup", 500*time.Millisecond, "loadcompare: unmeasured warm-up per round")
	fs.DurationVar(&c.Duration, "load.duration", 2*time.Second, "loadcompare: measured time per round")
	fs.IntVar(&c.Rounds, "load.rounds", 5, "loadcompare: rounds per server in each sample (-count samples)")
	fs.BoolVar(&c.Pin, "load.pin", true, "loadcompare: pin servers to CPU 1 and the load generator to CPU 0")
	fs.StringVar(&c.CPUProfile, "load.cpuprofile", "", "loadcompare: path `prefix` for each server's CPU profile")
	return c
}

// Target is one server of a comparison and the request to send it.
type Target struct {
	Server  string // the name TestHelperServer is started with
	Request []byte // one complete request, without a body
	// Other marks a target that asks for something else than the
	// baseline (another resource, or a 304): it is measured in the same
	// rounds, for its ratio, but not held to the baseline's
	// representation. Its status and length are what its probe got.
	Other bool
}

// Compare measures the targets' servers under the same load, alternating
// rounds between them, and reports one sub-benchmark per server
// ("server=NAME") with the medians of its rounds as req/s, cpu-us/req
// (the server's CPU time), p50-ms and p99-ms, plus one sub-benchmark per
// other server ("ratio=NAME:BASELINE") with the ratios to the baseline
// server: x-req/s (above 1 is faster) and x-cpu/req (below 1 is cheaper).
//
// Before measuring, it probes each server once and fails if a response is
// not a 200 or if the servers do not answer with the same representation:
// the same body bytes and the same fields (names compared
// case-insensitively, in any order, Date excepted).
//
// With -count N, each sub-benchmark reports N samples, each the medians of
// its own cfg.Rounds rounds; all N×Rounds rounds alternate between servers.
// Per-round figures are logged (shown with -v); the first ratio
// sub-benchmark logs a table of the medians over all rounds.
func Compare(b *testing.B, cfg *Config, baseline string, targets ...Target) {
	b.Helper()
	if cfg.Rounds < 1 || cfg.Conns < 1 {
		b.Fatalf("loadcompare: need at least 1 round and 1 connection, have %d and %d", cfg.Rounds, cfg.Conns)
	}
	base := slices.IndexFunc(targets, func(t Target) bool { return t.Server == baseline })
	if base < 0 {
		b.Fatalf("loadcompare: baseline %q is not a target", baseline)
	}
	samples := 1
	if f := flag.Lookup("test.count"); f != nil {
		fmt.Sscan(f.Value.String(), &samples)
		samples = max(samples, 1)
	}
	servers, resps := startServers(b, cfg, targets)
	rounds := measure(b, cfg, servers, targets, resps, samples)
	report(b, cfg, targets, base, rounds)
}

// startServers starts a process for each target and checks that they all
// answer with the same representation; it returns them and the length of
// the body they send.
func startServers(b *testing.B, cfg *Config, targets []Target) ([]*Server, []*Response) {
	b.Helper()
	var names []string
	for _, t := range targets {
		names = append(names, t.Server)
	}
	servers := StartAll(b, names, cfg.Pin, func(name string) string {
		if cfg.CPUProfile == "" {
			return ""
		}
		return cfg.CPUProfile + "-" + name + ".pprof"
	})
	var first *Response
	var resps []*Response
	for i, t := range targets {
		resp, err := Probe(servers[i].Addr, t.Request)
		if err != nil {
			b.Fatalf("loadcompare: probe %s: %v", t.Server, err)
		}
		switch {
		case t.Other && resp.Status != 200 && resp.Status != 304:
			b.Fatalf("loadcompare: probe %s: status %d, want 200 or 304", t.Server, resp.Status)
		case t.Other:
		case resp.Status != 200:
			b.Fatalf("loadcompare: probe %s: status %d, want 200", t.Server, resp.Status)
		case first == nil:
			first = resp
		default:
			if err := SameRepresentation(first, resp); err != nil {
				b.Fatalf("loadcompare: %s and %s differ: %v", targets[0].Server, t.Server, err)
			}
		}
		resps = append(resps, resp)
		b.Logf("%s: pid %d on %s, pinned %v, GOMAXPROCS %d, status %d, response %d bytes (body %d)",
			t.Server, servers[i].Pid, servers[i].Addr, servers[i].Pinned, servers[i].GOMAXPROCS, resp.Status, resp.Size, len(resp.Body))
	}
	return servers, resps
}

// measure runs samples × cfg.Rounds rounds on each server, in turns, and
// returns them indexed [sample][target][round].
func measure(b *testing.B, cfg *Config, servers []*Server, targets []Target, resps []*Response, samples int) [][][]Round {
	b.Helper()
	b.Logf("load: %d connections, %v warm-up + %v measured per round, %d rounds per server per sample, %d samples; load average %s",
		cfg.Conns, cfg.Warmup, cfg.Duration, cfg.Rounds, samples, loadAverage())
	if cfg.Pin && servers[0].Pinned {
		// The servers run on CPU 1; the load generator gets CPU 0, with
		// GOMAXPROCS 1 so that its goroutines do not contend for it.
		prev := runtime.GOMAXPROCS(1)
		defer runtime.GOMAXPROCS(prev)
		restore, err := pinSelf(0)
		if err != nil {
			b.Fatalf("loadcompare: pin load generator: %v", err)
		}
		defer restore()
	}
	rounds := make([][][]Round, samples)
	for s := range samples {
		rounds[s] = make([][]Round, len(targets))
		for r := range cfg.Rounds {
			for i, t := range targets {
				rd, err := servers[i].LoadStatus(t.Request, resps[i].Status, len(resps[i].Body), cfg.Conns, cfg.Warmup, cfg.Duration)
				if err != nil {
					b.Fatal(err)
				}
				rounds[s][i] = append(rounds[s][i], rd)
				b.Logf("sample %d round %d %-13s %8.0f req/s  server %6.1f cpu-us/req (%3.0f%% of a CPU)  client %5.1f cpu-us/req (%3.0f%%)  p50 %6.2f ms  p99 %6.2f ms",
					s+1, r+1, t.Server, rd.ReqPerSec(), rd.ServerCPUPerReq(), 100*rd.ServerUtil(),
					rd.ClientCPUPerReq(), 100*rd.ClientUtil(), ms(rd.P50), ms(rd.P99))
			}
		}
	}
	return rounds
}

// report runs the sub-benchmarks that report the rounds.
//
// A sub-benchmark runs once per -count repetition, each time first with
// b.N == 1 (and with larger b.N after that when -benchtime is a duration),
// so the k-th call with b.N == 1 reports sample k.
func report(b *testing.B, cfg *Config, targets []Target, base int, rounds [][][]Round) {
	samples := len(rounds)
	sums := make([][]summary, samples) // [sample][target]
	for s := range samples {
		for i := range targets {
			sums[s] = append(sums[s], summarize(rounds[s][i]))
		}
	}
	var all []summary // [target], over every round of every sample
	for i := range targets {
		var rs []Round
		for s := range samples {
			rs = append(rs, rounds[s][i]...)
		}
		all = append(all, summarize(rs))
	}

	for i, t := range targets {
		k := -1
		b.Run("server="+t.Server, func(b *testing.B) {
			if b.N == 1 {
				k = min(k+1, samples-1)
			}
			m := sums[k][i]
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(m.reqPerSec, "req/s")
			b.ReportMetric(m.cpuPerReq, "cpu-us/req")
			b.ReportMetric(m.p50, "p50-ms")
			b.ReportMetric(m.p99, "p99-ms")
		})
	}
	logged := false
	for i, t := range targets {
		if i == base {
			continue
		}
		k := -1
		logTable := !logged
		logged = true
		b.Run("ratio="+t.Server+":"+targets[base].Server, func(b *testing.B) {
			if b.N == 1 {
				k = min(k+1, samples-1)
				if logTable && k == samples-1 {
					// At most 10 lines: without -v, go test cuts a
					// benchmark's log there.
					b.Logf("medians of all %d rounds per server:\n%s", samples*cfg.Rounds, table(targets, all, base))
				}
			}
			m, mb := sums[k][i], sums[k][base]
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(m.reqPerSec/mb.reqPerSec, "x-req/s")
			b.ReportMetric(m.cpuPerReq/mb.cpuPerReq, "x-cpu/req")
		})
	}
}

// summary holds the medians of one server's rounds in a sample.
type summary struct {
	rounds                     int
	reqPerSec, cpuPerReq       float64
	p50, p99                   float64 // ms
	srvUtil, cliUtil           float64 // medians of Round.ServerUtil, ClientUtil
	minReqPerSec, maxReqPerSec float64
	minCPUPerReq, maxCPUPerReq float64
}

func summarize(rs []Round) summary {
	var req, cpu, p50, p99, util, cliUtil []float64
	for _, r := range rs {
		req = append(req, r.ReqPerSec())
		cpu = append(cpu, r.ServerCPUPerReq())
		p50 = append(p50, ms(r.P50))
		p99 = append(p99, ms(r.P99))
		util = append(util, r.ServerUtil())
		cliUtil = append(cliUtil, r.ClientUtil())
	}
	return summary{
		rounds:    len(rs),
		reqPerSec: median(req), cpuPerReq: median(cpu),
		p50: median(p50), p99: median(p99), srvUtil: median(util), cliUtil: median(cliUtil),
		minReqPerSec: slices.Min(req), maxReqPerSec: slices.Max(req),
		minCPUPerReq: slices.Min(cpu), maxCPUPerReq: slices.Max(cpu),
	}
}

func table(targets []Target, sums []summary, base int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-13s %6s  %-20s  %-24s  %7s  %7s  %7s  %8s  %8s  %8s\n", "server", "rounds", "req/s (min-max)",
		"cpu-us/req (min-max)", "p50 ms", "p99 ms", "srv cpu", "cli cpu", "x req/s", "x cpu/req")
	for i, t := range targets {
		m, mb := sums[i], sums[base]
		fmt.Fprintf(&sb, "%-13s %6d  %-20s  %-24s  %7.2f  %7.2f  %6.0f%%  %7.0f%%  %8.2f  %8.2f\n",
			t.Server, m.rounds,
			fmt.Sprintf("%.0f (%.0f-%.0f)", m.reqPerSec, m.minReqPerSec, m.maxReqPerSec),
			fmt.Sprintf("%.1f (%.1f-%.1f)", m.cpuPerReq, m.minCPUPerReq, m.maxCPUPerReq),
			m.p50, m.p99, 100*m.srvUtil, 100*m.cliUtil,
			m.reqPerSec/mb.reqPerSec, m.cpuPerReq/mb.cpuPerReq)
	}
	sb.WriteString("(cpu-us/req: the server process's CPU time per request. srv cpu, cli cpu: the server's and the load\n" +
		"generator's CPU time as a share of one CPU; near 100% means that side was the bottleneck.)")
	return sb.String()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// SameRepresentation reports how a and b differ as representations: their
// status, their body bytes, or their fields (names compared
// case-insensitively, order ignored, Date excepted). nil means the same.
func SameRepresentation(a, b *Response) error {
	if a.Status != b.Status {
		return fmt.Errorf("status %d vs %d", a.Status, b.Status)
	}
	if !bytes.Equal(a.Body, b.Body) {
		return fmt.Errorf("bodies differ (%d vs %d bytes)", len(a.Body), len(b.Body))
	}
	fa, fb := fieldSet(a), fieldSet(b)
	if !slices.Equal(fa, fb) {
		return fmt.Errorf("fields differ:\n  %q\n  %q", fa, fb)
	}
	return nil
}

func fieldSet(r *Response) []string {
	var s []string
	for _, f := range r.Fields {
		if !asciiEqualFold(f.Name, "Date") {
			s = append(s, strings.ToLower(f.Name)+": "+f.Value)
		}
	}
	slices.Sort(s)
	return s
}
