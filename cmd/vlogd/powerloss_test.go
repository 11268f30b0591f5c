package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"vlogd/internal/powerfs"
)

var (
	powerRounds = flag.Int("powerloss.rounds", 50, "power-loss rounds in TestPowerLoss (1000 for a long run)")
	powerTiming = flag.Bool("powerloss.timing", false, "log how long each part of a power-loss round took")
)

// moment is a point in the server's life that a power loss must survive,
// hit on purpose by a trap on the file system: the trap stops the k-th
// matching operation (and everything after it) before it takes effect.
type moment struct {
	name  string
	match func(op powerfs.Op) bool
	upTo  int // k is drawn from 1..upTo
}

var (
	segRE  = regexp.MustCompile(`^data/wal/[0-9a-f]+\.wal$`)
	snapRE = regexp.MustCompile(`^data/snap/[0-9a-f]+-[0-9a-f]+\.snap`)
	blobRE = regexp.MustCompile(`^data/blobs/[0-9a-f]{2}/[0-9a-f]{64}$`)
)

var moments = []moment{
	{"group commit", func(op powerfs.Op) bool { return op.Kind == "fsync" && segRE.MatchString(op.Path) }, 40},
	{"log write", func(op powerfs.Op) bool { return op.Kind == "write" && segRE.MatchString(op.Path) }, 40},
	{"segment roll", func(op powerfs.Op) bool { return op.Kind == "rename" && segRE.MatchString(op.Path) }, 2},
	{"new segment fsync", func(op powerfs.Op) bool { return op.Kind == "fsync" && op.Path == "data/wal" }, 3},
	{"snapshot write", func(op powerfs.Op) bool {
		return op.Kind == "write" && snapRE.MatchString(op.Path) && strings.HasSuffix(op.Path, ".tmp")
	}, 2},
	{"snapshot rename", func(op powerfs.Op) bool {
		return op.Kind == "rename" && snapRE.MatchString(op.Path) && !strings.HasSuffix(op.Path, ".tmp")
	}, 1},
	{"snapshot directory fsync", func(op powerfs.Op) bool { return op.Kind == "fsync" && op.Path == "data/snap" }, 2},
	{"old segment removal", func(op powerfs.Op) bool { return op.Kind == "unlink" && segRE.MatchString(op.Path) }, 2},
	{"blob write", func(op powerfs.Op) bool {
		return op.Kind == "write" && strings.HasPrefix(op.Path, "data/blobs/put-")
	}, 3},
	{"blob rename into place", func(op powerfs.Op) bool { return op.Kind == "rename" && blobRE.MatchString(op.Path) }, 2},
	{"blob directory fsync", func(op powerfs.Op) bool {
		return op.Kind == "fsync" && strings.HasPrefix(op.Path, "data/blobs/")
	}, 2},
	{"backup copy", func(op powerfs.Op) bool {
		return (op.Kind == "write" || op.Kind == "rename") && strings.HasPrefix(op.Path, "backup/")
	}, 6},
	{"backup fsync", func(op powerfs.Op) bool { return op.Kind == "fsync" && strings.HasPrefix(op.Path, "backup/") }, 20},
}

// losses cycle through the rounds: strict loss, and the kinds that keep a
// random part of what was pending.
var losses = []struct {
	name string
	loss powerfs.Loss
}{
	{"strict", powerfs.Loss{}},
	{"partial", powerfs.Loss{Partial: true}},
	{"torn", powerfs.Loss{Torn: true}},
	{"partial+torn", powerfs.Loss{Partial: true, Torn: true}},
}

// Invariants 1–4 under power loss, with the real binary on a file system
// that forgets what was not fsynced: concurrent writers create, edit and
// delete vlogs, comment, like, sign up and upload videos while a continuous
// backup runs; at a trapped moment (or at random) the process is killed and
// the power cut. After each restart every acknowledged change is there,
// nothing unacknowledged is half-applied, IDs are never reused, every
// acknowledged video is byte-exact and vlogd verify passes. At the end the
// backup restores to the same site, and a power loss right after the
// restore loses nothing of it.
func TestPowerLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("power-loss test runs the real binary many times; skipped in -short")
	}
	f := powerfs.MustMount(t)
	mnt := f.Mountpoint()
	data, backupDir := filepath.Join(mnt, "data"), filepath.Join(mnt, "backup")
	// Small thresholds, so segment rolls, snapshots and segment removal
	// happen every few dozen writes.
	t.Setenv("VLOGD_TEST_SEGMENT_SIZE", "4096")
	t.Setenv("VLOGD_TEST_SNAPSHOT_BYTES", "16384")
	// Videos stay as uploaded: a transcode makes rounds many times longer,
	// and TestCrashDuringTranscode covers the jobs' durability.
	t.Setenv("VLOGD_TEST_NO_TRANSCODE", "1")
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 16))
	clip, err := os.ReadFile(filepath.Join("..", "..", "testdata", "media", "clip.webm"))
	if err != nil {
		t.Fatal(err)
	}

	lg := newPowerLedger()
	fired := map[string]int{}
	var dropped powerfs.Report
	var owner *siteClient
	for round := range *powerRounds {
		t0 := time.Now()
		p := startPowerVlogd(t, data, "--backup-to", backupDir)
		if owner == nil {
			owner = signUp(t, p.URL, "owner")
		}
		t1 := time.Now()
		lg.check(t, owner, p.URL, round)
		t2 := time.Now()

		mo := moments[round%len(moments)]
		trapped := round%2 == 0 // every other round at a chosen moment, the rest at random
		if trapped {
			k := 1 + rng.IntN(mo.upTo)
			n := 0
			f.SetTrap(func(op powerfs.Op) bool {
				if mo.match(op) {
					n++
				}
				return n >= k
			})
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		signedUp := make(chan struct{}, 1)
		for _, w := range lg.writers(owner, p.URL, clip, round, signedUp) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w(ctx)
			}()
		}
		if trapped {
			select {
			case <-f.Tripped():
				fired[mo.name]++
			case <-time.After(30 * time.Second):
				// The moment did not come in this round; the kill is
				// still a power loss at a random instant.
			}
		} else {
			if round%6 == 1 {
				// Let a sign-up finish first (a ceiling, not a timing
				// assumption: the kill comes either way).
				select {
				case <-signedUp:
				case <-time.After(60 * time.Second):
				}
			}
			time.Sleep(time.Duration(20+rng.IntN(800)) * time.Millisecond)
		}
		// SIGKILL first, then cut the power: a thread stuck in a trapped
		// file operation can only die once that operation is answered.
		p.cmd.Process.Signal(syscall.SIGKILL)
		f.Cut()
		<-p.done
		cancel()
		wg.Wait()
		if strings.Contains(p.logs.String(), "backup stopped") {
			t.Fatalf("round %d: the continuous backup stopped:\n%s", round, p.logs)
		}
		l := losses[round%len(losses)]
		rep, err := f.PowerLoss(l.loss)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		dropped.DroppedWrites += rep.DroppedWrites
		dropped.DroppedNames += rep.DroppedNames
		t3 := time.Now()
		mustVerify(t, data, round)
		if *powerTiming {
			t.Logf("round %d: start %v, check %v, run+kill+loss %v, verify %v", round, t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), time.Since(t3))
		}
	}

	p := startPowerVlogd(t, data, "--backup-to", backupDir)
	lg.check(t, owner, p.URL, *powerRounds)
	live := listAll(t, owner, p.URL)
	// A clean stop makes the backup copy the whole log.
	if err := p.stop(t); err != nil {
		t.Fatalf("clean stop: %v\n%s", err, p.logs)
	}
	restored := filepath.Join(mnt, "restored")
	mustRestore(t, backupDir, restored)
	// Power loss right after a restore that said it succeeded: the restored
	// directory must be durable.
	if _, err := f.PowerLoss(powerfs.Loss{}); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, restored, -1)
	p = startPowerVlogd(t, restored)
	if got := listAll(t, owner, p.URL); len(got) != len(live) {
		t.Fatalf("the restored site lists %d vlogs, the live one %d", len(got), len(live))
	} else {
		for id, title := range live {
			if got[id] != title {
				t.Fatalf("restored vlog %d is %q, live %q", id, got[id], title)
			}
		}
	}
	p.kill(t)
	testRestoreInterrupted(t, f, backupDir, rng)

	// Honest coverage: the moments were reached and the losses dropped
	// something; otherwise the test proved less than it claims.
	for i, mo := range moments {
		if fired[mo.name] == 0 && *powerRounds >= 2*len(moments) {
			t.Errorf("moment %q (%d) never reached in %d rounds", mo.name, i, *powerRounds)
		}
	}
	for _, kind := range []string{"create", "edit", "delete", "comment", "like", "signup", "video"} {
		if lg.acks[kind] == 0 && *powerRounds >= 2*len(moments) {
			t.Errorf("no %s was acknowledged in %d rounds", kind, *powerRounds)
		}
	}
	if dropped.DroppedWrites == 0 || dropped.DroppedNames == 0 {
		t.Errorf("power losses dropped %d writes and %d name changes: nothing was at risk", dropped.DroppedWrites, dropped.DroppedNames)
	}
	t.Logf("%d rounds; moments reached %v; dropped %d pending writes and %d name changes; %s",
		*powerRounds, fired, dropped.DroppedWrites, dropped.DroppedNames, lg.summary())
}

// testRestoreInterrupted cuts the power in the middle of a restore, then
// restores again into a new directory: the interrupted restore must not
// have harmed the backup, and its half-written directory must not pass for
// a data directory.
func testRestoreInterrupted(t *testing.T, f *powerfs.FS, backupDir string, rng *rand.Rand) {
	t.Helper()
	mnt := f.Mountpoint()
	half := filepath.Join(mnt, "half-restored")
	k, n := 1+rng.IntN(6), 0
	f.SetTrap(func(op powerfs.Op) bool {
		if strings.HasPrefix(op.Path, "half-restored/") && (op.Kind == "write" || op.Kind == "rename" || op.Kind == "fsync") {
			n++
		}
		return n >= k
	})
	cmd := exec.Command(powerBin(t), "restore", "--from", backupDir, "--data", half)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-f.Tripped():
		cmd.Process.Signal(syscall.SIGKILL)
	case err := <-exited:
		t.Fatalf("restore finished (%v) before the trap at its write %d", err, k)
	}
	f.Cut()
	<-exited
	if _, err := f.PowerLoss(powerfs.Loss{Partial: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(half); err == nil {
		out, err := exec.Command(powerBin(t), "verify", "--data", half).CombinedOutput()
		if err == nil {
			// It verifies: then it must hold everything, or be refused.
			start := exec.Command(powerBin(t), "--addr", "127.0.0.1:0", "--data", half)
			start.Env = append(os.Environ(), "VLOGD_BACKUP_TO=")
			sout, serr := runBriefly(start)
			if serr == nil {
				t.Fatalf("vlogd starts on a directory whose restore was interrupted:\n%s\n%s", out, sout)
			}
		}
	}
	mustRestore(t, backupDir, filepath.Join(mnt, "restored-again"))
}

// runBriefly starts cmd and reports whether it was still running (nil) or
// exited with an error, and what it printed.
func runBriefly(cmd *exec.Cmd) (string, error) {
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case err := <-done:
			if err == nil {
				err = fmt.Errorf("exited 0")
			}
			return out.String(), err
		case <-deadline:
			cmd.Process.Kill()
			<-done
			return out.String(), nil
		case <-time.After(20 * time.Millisecond):
			if strings.Contains(out.String(), "msg=listening") {
				cmd.Process.Kill()
				<-done
				return out.String(), nil
			}
		}
	}
}

// mustVerify runs vlogd verify on dir, in this process (the same code as
// the binary's subcommand, without the cost of starting it each round).
var (
	powerBinOnce sync.Once
	powerBinPath string
	powerBinErr  error
)

// powerBin is vlogd built without the race detector, for this test alone:
// it starts the server hundreds of times, and under -race the one argon2
// hash each start computes costs seconds. The crash test runs the -race
// build.
func powerBin(tb testing.TB) string {
	tb.Helper()
	powerBinOnce.Do(func() {
		powerBinPath = filepath.Join(filepath.Dir(vlogdBin), "vlogd-norace")
		out, err := exec.Command("go", "build", "-o", powerBinPath, ".").CombinedOutput()
		if err != nil {
			powerBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if powerBinErr != nil {
		tb.Fatal(powerBinErr)
	}
	return powerBinPath
}

// startPowerVlogd is MustStartVlogd with powerBin.
func startPowerVlogd(tb testing.TB, dataDir string, extraArgs ...string) *proc {
	tb.Helper()
	// Open sign-up: the writers sign new people up every round.
	args := append([]string{"--addr", "127.0.0.1:0", "--data", dataDir, "--signup", "open"}, extraArgs...)
	p, m := startBinary(tb, powerBin(tb), listeningRE, args...)
	p.URL = m[1]
	return p
}

// mustVerify runs vlogd verify on what the power loss left. A torn tail of
// the last segment is what a power loss during a write leaves, and the next
// start cuts it off (Invariant 4), so verify's report of one is accepted;
// any damage, or a media blob missing or wrong, fails the round.
func mustVerify(tb testing.TB, dir string, round int) {
	tb.Helper()
	var out syncBuffer
	err := Run(context.Background(), []string{"verify", "--data", dir}, func(string) string { return "" }, &out, &out)
	if err == nil {
		return
	}
	report := out.String()
	onlyTorn := strings.Contains(report, "\ntorn     segment ") &&
		!strings.Contains(report, "DAMAGED") && !strings.Contains(report, "media: not checked")
	if !onlyTorn {
		tb.Fatalf("round %d: vlogd verify --data %s: %v\n%s", round, dir, err, report)
	}
}

func mustRestore(tb testing.TB, from, to string) {
	tb.Helper()
	out, err := exec.Command(powerBin(tb), "restore", "--from", from, "--data", to).CombinedOutput()
	if err != nil {
		tb.Fatalf("vlogd restore --from %s --data %s: %v\n%s", from, to, err, out)
	}
}
