package memstore

import (
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"vlogd/wal"
)

var scaleN = flag.Int("scale.n", 1_000_000, "vlogs BenchmarkScale builds")

// BenchmarkScale measures the store at scale.n vlogs (text only, about 470
// bytes each, 100 authors), each figure next to the reference it is judged
// by, measured in the same run:
//
//   - start: memstore.Open, and the real binary from exec to the first 200
//     of GET /healthz, GET / and a search, against the time to read and
//     CRC-32C the files recovery reads (the floor);
//   - memory: the heap after start (per vlog) and the binary's RSS,
//     against the snapshot's bytes;
//   - snapshot: the time to write one, against the time to write and
//     fdatasync as many bytes the same way;
//   - a durable writer creating a vlog every 2 ms: its worst and p99
//     latency without and during a snapshot.
//
// Run: go test ./memstore -run '^$' -bench Scale -benchtime 1x -timeout 60m -args -scale.n=1000000
func BenchmarkScale(b *testing.B) {
	n := *scaleN
	dir := b.TempDir()
	data := filepath.Join(dir, "data")
	bin := buildBinary(b, dir)

	genStart := time.Now()
	snapDur := generateStore(b, data, n)
	snapBytes := newestSnapshotSize(b, data)
	b.Logf("generated %d vlogs in %v; snapshot %d MB", n, time.Since(genStart).Round(time.Millisecond), snapBytes>>20)
	writeDur := writeBytesFloor(b, dir, snapBytes)

	floor := readFloor(b, data)
	runtime.GC()
	start := time.Now()
	s, err := Open(data, Options{NoPosters: true})
	if err != nil {
		b.Fatal(err)
	}
	openDur := time.Since(start)
	s.Search("w1x", Cursor{}, 1)
	indexDur := time.Since(start)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap := ms.HeapAlloc
	if s.VlogCount() != n {
		b.Fatalf("opened %d vlogs, want %d", s.VlogCount(), n)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}

	floor2 := readFloor(b, data)
	st := startBinary(b, bin, data)

	s, err = Open(data, Options{NoPosters: true})
	if err != nil {
		b.Fatal(err)
	}
	quiet := measureWriter(b, s, 4*time.Second, nil)
	var loadedSnap time.Duration
	loaded := measureWriter(b, s, 0, func() {
		t0 := time.Now()
		if err := s.Snapshot(); err != nil {
			b.Error(err)
		}
		loadedSnap = time.Since(t0)
	})
	s.Close()

	ratio := func(a, b time.Duration) float64 { return a.Seconds() / b.Seconds() }
	ms1 := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds()*1000, 'f', 0, 64) + " ms" }
	b.Logf("vlogs %d, snapshot %d MB", n, snapBytes>>20)
	b.Logf("read+CRC floor %s / %s (before Open / before the binary)", ms1(floor), ms1(floor2))
	b.Logf("Open %s (%.2f× floor), index ready %s", ms1(openDur), ratio(openDur, floor), ms1(indexDur))
	b.Logf("binary: /healthz 200 after %s (%.2f×), GET / after %s (%.2f×), search after %s",
		ms1(st.healthz), ratio(st.healthz, floor2), ms1(st.list), ratio(st.list, floor2), ms1(st.search))
	b.Logf("heap after start %d MB (%d B/vlog, %.2f× snapshot); binary RSS %d MB (%.2f× snapshot), peak %d MB",
		heap>>20, heap/uint64(n), float64(heap)/float64(snapBytes), st.rss>>20, float64(st.rss)/float64(snapBytes), st.peak>>20)
	b.Logf("snapshot %s, write+fdatasync of its bytes %s (%.2f×); under the writer %s (%.2f×)",
		ms1(snapDur), ms1(writeDur), ratio(snapDur, writeDur), ms1(loadedSnap), ratio(loadedSnap, writeDur))
	b.Logf("writer every 2 ms: without snapshot worst %v p99 %v (%d writes); during snapshot worst %v p99 %v (%d writes)",
		quiet.worst, quiet.p99, quiet.n, loaded.worst, loaded.p99, loaded.n)
	b.ReportMetric(ratio(st.list, floor2), "start/floor")
	b.ReportMetric(float64(st.rss)/float64(snapBytes), "rss/snap")
	b.ReportMetric(float64(heap)/float64(n), "heapB/vlog")
	b.ReportMetric(ratio(snapDur, writeDur), "snap/write")
	b.ReportMetric(float64(loaded.worst.Microseconds())/1000, "snap-worst-ms")
	b.ReportMetric(float64(loaded.p99.Microseconds())/float64(max(1, quiet.p99.Microseconds())), "p99/quiet-p99")
}

// generateStore writes a data directory holding n vlogs by 100 users: the
// users through the log, the vlogs straight into the state (no log, no
// index), then one snapshot, whose duration it returns.
func generateStore(b *testing.B, dir string, n int) time.Duration { return generateStoreT(b, dir, n) }

func generateStoreT(b testing.TB, dir string, n int) time.Duration {
	s, err := Open(dir, Options{NoPosters: true, SnapshotBytes: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	var users []*User
	for i := range 100 {
		u, err := s.CreateUser(fmt.Sprintf("author%02d", i), "$argon2id$not-a-real-hash")
		if err != nil {
			b.Fatal(err)
		}
		users = append(users, u)
	}
	<-s.indexReady
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.07, 2, 4999)
	vocab := make([]string, 5000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%dx", i)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.mu.Lock()
	s.st.index.mode = indexDeferred // this store is only written out
	var body strings.Builder
	for i := range n {
		body.Reset()
		for body.Len() < 420 {
			body.WriteString(vocab[zipf.Uint64()])
			body.WriteByte(' ')
		}
		u := users[i%len(users)]
		t := at.Add(time.Duration(i) * time.Second)
		s.st.insertVlog(&Vlog{ID: s.st.nextVlogID, AuthorID: u.ID, Author: u.Name,
			Title: fmt.Sprintf("Day %d: %s %s", i, vocab[rng.IntN(200)], vocab[rng.IntN(200)]),
			Body:  body.String(), Created: t, Updated: t})
		s.st.nextVlogID++
	}
	s.mu.Unlock()
	runtime.GC()
	start := time.Now()
	if err := s.Snapshot(); err != nil {
		b.Fatal(err)
	}
	d := time.Since(start)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return d
}

func newestSnapshotSize(b *testing.B, dir string) int64 {
	snaps, err := wal.Snapshots(filepath.Join(dir, "snap"))
	if err != nil || len(snaps) == 0 {
		b.Fatalf("snapshots: %v, %v", snaps, err)
	}
	fi, err := os.Stat(snaps[len(snaps)-1].Path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

// readFloor reads and CRC-32Cs the files recovery reads (the newest
// snapshot and the log segments) on one core, as cat into a checksum
// would.
func readFloor(b *testing.B, dir string) time.Duration {
	snaps, _ := wal.Snapshots(filepath.Join(dir, "snap"))
	segs, _ := wal.Segments(filepath.Join(dir, "wal"))
	paths := []string{snaps[len(snaps)-1].Path}
	for _, s := range segs {
		paths = append(paths, s.Path)
	}
	table := crc32.MakeTable(crc32.Castagnoli)
	buf := make([]byte, 1<<20)
	start := time.Now()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		var sum uint32
		for {
			k, err := f.Read(buf)
			sum = crc32.Update(sum, table, buf[:k])
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		f.Close()
	}
	return time.Since(start)
}

// writeBytesFloor writes n bytes to a new file in 1 MiB writes with an
// fdatasync every 4 MiB and an fsync at the end, as a snapshot is written.
func writeBytesFloor(b *testing.B, dir string, n int64) time.Duration {
	p := filepath.Join(dir, "floor.tmp")
	defer os.Remove(p)
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	start := time.Now()
	var unsynced int
	for left := n; left > 0; left -= int64(len(buf)) {
		k, err := f.Write(buf[:min(int64(len(buf)), left)])
		if err != nil {
			b.Fatal(err)
		}
		if unsynced += k; unsynced >= 4<<20 {
			if err := wal.Fdatasync(f); err != nil {
				b.Fatal(err)
			}
			unsynced = 0
		}
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func buildBinary(b *testing.B, dir string) string {
	bin := filepath.Join(dir, "vlogd")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/vlogd").CombinedOutput()
	if err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type binaryStart struct {
	healthz, list, search time.Duration
	rss, peak             int64
}

// startBinary runs the real vlogd on dir and times its first 200s: of
// /healthz, of GET /, and of a search (which waits for the index). Then it
// reads the process's resident memory and stops it.
func startBinary(b *testing.B, bin, dir string) binaryStart {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--data", dir, "--addr", addr, "--log-level", "warn")
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	client := &http.Client{}
	first200 := func(path string) time.Duration {
		for {
			resp, err := client.Get("http://" + addr + path)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return time.Since(start)
				}
			}
			if cmd.ProcessState != nil {
				b.Fatalf("vlogd exited: %v", cmd.ProcessState)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	var st binaryStart
	st.healthz = first200("/healthz")
	st.list = first200("/")
	st.search = first200("/search?q=w1x")
	runtime.GC()
	time.Sleep(time.Second) // let the process settle after its first collection
	st.rss, st.peak = procMemory(b, cmd.Process.Pid)
	return st
}

// procMemory returns a process's resident set and its peak, in bytes.
func procMemory(b *testing.B, pid int) (rss, peak int64) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			switch f[0] {
			case "VmRSS:":
				rss = kb << 10
			case "VmHWM:":
				peak = kb << 10
			}
		}
	}
	return rss, peak
}

type latencies struct {
	n          int
	worst, p99 time.Duration
}

// measureWriter creates a vlog every 2 ms, durably, and reports the
// latencies: for d when during is nil, else for as long as during runs.
func measureWriter(b *testing.B, s *Store, d time.Duration, during func()) latencies {
	done := make(chan struct{})
	var wg sync.WaitGroup
	if during == nil {
		go func() { time.Sleep(d); close(done) }()
	} else {
		wg.Add(1)
		go func() { defer wg.Done(); time.Sleep(200 * time.Millisecond); during(); close(done) }()
	}
	var lat []time.Duration
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	measuring := during == nil
	started := time.Now()
	for {
		select {
		case <-done:
			wg.Wait()
			slices.Sort(lat)
			if len(lat) == 0 {
				return latencies{}
			}
			return latencies{n: len(lat), worst: lat[len(lat)-1], p99: lat[len(lat)*99/100]}
		case <-tick.C:
		}
		if !measuring && time.Since(started) >= 200*time.Millisecond {
			measuring = true // the snapshot has started
		}
		t0 := time.Now()
		if _, err := s.CreateVlog(1, VlogInput{Title: "writer", Body: "one every two milliseconds"}); err != nil {
			b.Fatal(err)
		}
		if measuring {
			lat = append(lat, time.Since(t0))
		}
	}
}
