package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// plainBinary builds vlogd without -race beside the race-enabled one.
func plainBinary(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(filepath.Dir(vlogdBin), "vlogd-plain")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// procStatusKB reads a "Name:   123 kB" line of /proc/PID/status.
func procStatusKB(tb testing.TB, pid int, name string) int {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				tb.Fatalf("%s: %q: %v", name, line, err)
			}
			return kb
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", name, pid)
	return 0
}

// 1,000 concurrent sign-in attempts, for names that do not exist, from 250
// loopback addresses (4 each, under the per-address throttle, so every one
// reaches the password hash, as a botnet's would) against the real server
// process. Password hashing is bounded, so the process's peak RSS stays
// far below what 1,000 argon2id hashes at 19 MiB would take, the refused
// attempts get 503 or 429 with Retry-After, and pages keep being served
// throughout. The figures are logged; the assertions catch only a broken
// bound or a hang.
func TestSignInFloodBoundedMemory(t *testing.T) {
	const attempts, addrs = 1000, 250
	// The memory figure is the product's: a binary built without -race,
	// whose shadow memory would multiply every allocation several times.
	old := vlogdBin
	vlogdBin = plainBinary(t)
	defer func() { vlogdBin = old }()
	p := MustStartVlogd(t, t.TempDir())
	signUp(t, p.URL, "owner")
	anon := newAnonClient(t, p.URL)
	base, _ := url.Parse(p.URL)
	cookies := anon.http.Jar.Cookies(base)
	pid := p.cmd.Process.Pid
	rssBefore := procStatusKB(t, pid, "VmRSS")

	// Readers: the home page and /healthz, one after another, all along.
	ctx, stopReaders := context.WithCancel(context.Background())
	var pages, pageFailures atomic.Int64
	var slowest atomic.Int64
	var readers sync.WaitGroup
	for _, path := range []string{"/", "/healthz"} {
		readers.Add(1)
		go func() {
			defer readers.Done()
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			for ctx.Err() == nil {
				start := time.Now()
				resp, err := client.Get(p.URL + path)
				if err != nil || resp.StatusCode != 200 {
					pageFailures.Add(1)
					if err == nil {
						resp.Body.Close()
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				pages.Add(1)
				if d := int64(time.Since(start)); d > slowest.Load() {
					slowest.Store(d)
				}
			}
		}()
	}

	var statuses sync.Map // status → *atomic.Int64
	var missingRetryAfter, transportErrors atomic.Int64
	var firstTransportError atomic.Value
	var wg sync.WaitGroup
	start := make(chan struct{})
	var cookieHeader []string
	for _, c := range cookies {
		cookieHeader = append(cookieHeader, c.Name+"="+c.Value)
	}
	// Raw connections, all dialled before the flood starts, so that each
	// request is on the wire at once and the client's own work stays small.
	for i := range attempts {
		local := &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(1+i%addrs))}
		conn, err := (&net.Dialer{LocalAddr: local}).Dial("tcp", base.Host)
		if err != nil {
			t.Fatalf("dial %d from %v: %v", i, local, err)
		}
		body := url.Values{"csrf": {anon.csrf}, "username": {"ghost" + strconv.Itoa(i)}, "password": {"not the password at all"}}.Encode()
		req := "POST /login HTTP/1.1\r\nHost: " + base.Host + "\r\nConnection: close\r\n" +
			"Content-Type: application/x-www-form-urlencoded\r\nCookie: " + strings.Join(cookieHeader, "; ") + "\r\n" +
			"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			<-start
			resp, err := func() (*http.Response, error) {
				if _, err := io.WriteString(conn, req); err != nil {
					return nil, err
				}
				return http.ReadResponse(bufio.NewReader(conn), nil)
			}()
			if err != nil {
				transportErrors.Add(1)
				firstTransportError.CompareAndSwap(nil, err.Error())
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			n, _ := statuses.LoadOrStore(resp.StatusCode, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
			if (resp.StatusCode == 503 || resp.StatusCode == 429) && resp.Header.Get("Retry-After") == "" {
				missingRetryAfter.Add(1)
			}
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	took := time.Since(began)
	stopReaders()
	readers.Wait()

	peak := procStatusKB(t, pid, "VmHWM")
	counts := map[int]int64{}
	var total int64
	statuses.Range(func(k, v any) bool {
		counts[k.(int)] = v.(*atomic.Int64).Load()
		total += counts[k.(int)]
		return true
	})
	t.Logf("%d sign-in attempts from %d addresses in %v: statuses %v, transport errors %d (first: %v)", attempts, addrs, took.Round(time.Millisecond), counts, transportErrors.Load(), firstTransportError.Load())
	t.Logf("RSS before %d MiB, peak %d MiB; %d pages served meanwhile (%d failed), slowest %v",
		rssBefore/1024, peak/1024, pages.Load(), pageFailures.Load(), time.Duration(slowest.Load()).Round(time.Millisecond))

	for status := range counts {
		if status != 422 && status != 503 && status != 429 {
			t.Errorf("status %d among the answers %v; want only 422, 429 and 503", status, counts)
		}
	}
	if total+transportErrors.Load() != attempts || transportErrors.Load() > 0 {
		t.Errorf("%d answers and %d transport errors for %d attempts", total, transportErrors.Load(), attempts)
	}
	if missingRetryAfter.Load() > 0 {
		t.Errorf("%d refusals without Retry-After", missingRetryAfter.Load())
	}
	if counts[422] == 0 {
		t.Error("no attempt was checked at all")
	}
	// Unbounded, 1,000 hashes at 19 MiB each would need about 19 GiB.
	if peak > 200*1024 {
		t.Errorf("peak RSS %d MiB, want under 200 MiB", peak/1024)
	}
	if pages.Load() == 0 || pageFailures.Load() > 0 {
		t.Errorf("pages during the flood: %d served, %d failed", pages.Load(), pageFailures.Load())
	}
}
