package loadcompare

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvServer is the environment variable that makes a test binary a server
// process: it holds the name of the server to run.
const EnvServer = "LOADCOMPARE_SERVER"

// HelperTest is the test a server process runs; every package that uses
// Compare defines it and calls ServerName and Serve from it.
const HelperTest = "TestHelperServer"

const announce = "loadcompare: listening on "

// ServerName returns the name of the server this process is asked to run,
// or "" when it is an ordinary test run.
func ServerName() string { return os.Getenv(EnvServer) }

// Serve is the server process's side: it listens on 127.0.0.1:0, tells the
// parent the address on standard output, and runs serve(l) until standard
// input is closed (the parent is done, or gone). serve must return once l is
// closed.
func Serve(serve func(l net.Listener) error) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- serve(l) }()
	fmt.Printf("%s%s gomaxprocs=%d\n", announce, l.Addr(), runtime.GOMAXPROCS(0))
	stdin := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(stdin)
	}()
	select {
	case err := <-served:
		return fmt.Errorf("loadcompare: server stopped early: %w", err)
	case <-stdin:
	}
	l.Close()
	select {
	case <-served:
	case <-time.After(5 * time.Second):
	}
	return nil
}

// Server is a server process started by Start.
type Server struct {
	Name       string
	Addr       string // host:port it listens on
	Pid        int
	Pinned     bool // runs on CPU 1 only
	GOMAXPROCS int  // as the server process reported it

	cmd     *exec.Cmd
	stdin   io.WriteCloser
	listens chan string     // the announced address; closed if the process ends first
	early   strings.Builder // what the process printed before listening
	exited  chan struct{}   // closed when the process has ended; then exitErr is set
	exitErr error
}

// Start runs the server name in a new process: the running test binary
// again, with -test.run=^TestHelperServer$, and returns once it listens.
// With pin, it runs under "taskset -c 1" (when taskset is installed and
// this process may use CPU 1). With cpuprofile set, the server writes a CPU
// profile there when it stops. The process is stopped when tb's test ends.
func Start(tb testing.TB, name string, pin bool, cpuprofile string) *Server {
	tb.Helper()
	return StartAll(tb, []string{name}, pin, func(string) string { return cpuprofile })[0]
}

// StartAll is Start for several servers at once: the processes start
// together, so that they set themselves up in parallel. profile gives
// each one's CPU profile path ("" for none).
func StartAll(tb testing.TB, names []string, pin bool, profile func(name string) string) []*Server {
	tb.Helper()
	servers := make([]*Server, 0, len(names))
	tb.Cleanup(func() {
		var wg sync.WaitGroup
		for _, s := range servers {
			wg.Go(func() {
				if err := s.Stop(); err != nil {
					tb.Errorf("loadcompare: stop %s: %v", s.Name, err)
				}
			})
		}
		wg.Wait()
	})
	for _, name := range names {
		s, err := launch(name, pin, profile(name))
		if err != nil {
			tb.Fatal(err)
		}
		servers = append(servers, s)
	}
	for _, s := range servers {
		if err := s.awaitListening(); err != nil {
			tb.Fatal(err)
		}
	}
	return servers
}

// launch starts the process of server name.
func launch(name string, pin bool, cpuprofile string) (*Server, error) {
	args := []string{"-test.run=^" + HelperTest + "$", "-test.count=1"}
	if cpuprofile != "" {
		abs, err := filepath.Abs(cpuprofile)
		if err != nil {
			return nil, err
		}
		args = append(args, "-test.cpuprofile="+abs)
	}
	prog := os.Args[0]
	s := &Server{Name: name, listens: make(chan string, 1), exited: make(chan struct{})}
	if pin && canPin() {
		if taskset, err := exec.LookPath("taskset"); err == nil {
			args = append([]string{"-c", "1", prog}, args...)
			prog = taskset
			s.Pinned = true
		}
	}
	cmd := exec.Command(prog, args...)
	// A race-enabled server would sleep a second on exit (the race
	// detector's atexit_sleep_ms); there is nothing left to report by then.
	cmd.Env = append(os.Environ(), EnvServer+"="+name,
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if s.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("loadcompare: start %s: %w", name, err)
	}
	s.cmd, s.Pid = cmd, cmd.Process.Pid
	go func() {
		sc := bufio.NewScanner(stdout)
		found := false
		for sc.Scan() {
			line := sc.Text()
			switch rest, ok := strings.CutPrefix(line, announce); {
			case ok && !found:
				found = true
				s.listens <- rest
			case !found:
				s.early.WriteString(line + "\n")
			case line != "PASS":
				fmt.Fprintf(os.Stderr, "loadcompare: %s: %s\n", name, line)
			}
		}
		close(s.listens)
		s.exitErr = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// awaitListening waits for the process to announce its address.
func (s *Server) awaitListening() error {
	select {
	case a, ok := <-s.listens:
		if !ok {
			<-s.exited
			return fmt.Errorf("loadcompare: server %s exited before listening (%v):\n%s", s.Name, s.exitErr, s.early.String())
		}
		host, procs, _ := strings.Cut(a, " gomaxprocs=")
		s.Addr = host
		fmt.Sscan(procs, &s.GOMAXPROCS)
		return nil
	case <-time.After(60 * time.Second):
		return fmt.Errorf("loadcompare: server %s did not start within 60s", s.Name)
	}
}

// Stop closes the server's standard input and waits for it to exit, which
// writes its CPU profile if it was asked for one; after 10 s it is killed.
func (s *Server) Stop() error {
	if s.stdin == nil {
		return nil
	}
	s.stdin.Close()
	s.stdin = nil
	select {
	case <-s.exited:
		if s.exitErr != nil {
			return fmt.Errorf("server process: %w", s.exitErr)
		}
		return nil
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		return errors.New("server process did not exit within 10s; killed")
	}
}

// cpuTime returns the server process's user+system CPU time so far.
func (s *Server) cpuTime() (time.Duration, error) { return procCPUTime(s.Pid) }
