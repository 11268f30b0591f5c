// Command testreport reads `go test -json` on standard input, prints what
// go test prints without -json and -v (package results, and the output of
// failing tests only) as it arrives, and ends with the slowest tests and
// packages, so that slow creep in the suite is seen in every CI run instead
// of discovered when it times out.
//
// It exits 1 when a test or package failed (or the input held no result at
// all), so that `go test -json ./... | testreport` fails like go test does.
//
// Usage:
//
//	go test -race -json ./... | go run ./internal/testreport [-top N]
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// event is the part of a test2json event this report uses.
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64 // seconds
	Output  string
}

// timing is how long one test or package took.
type timing struct {
	name    string
	pkg     string
	seconds float64
}

// summary is what the report counts while the output streams by.
type summary struct {
	// held is each running test's output, printed only if it fails:
	// go test -json runs tests verbosely, go test alone shows only
	// failures.
	held     map[string][]string
	tests    []timing // top-level tests that finished
	packages []timing
	passed   int
	failed   int
	skipped  int
	pkgFails int
}

func main() {
	top := flag.Int("top", 15, "how many of the slowest tests to list")
	flag.Parse()
	s, err := report(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testreport: %v\n", err)
		os.Exit(2)
	}
	s.print(os.Stdout, *top)
	if s.failed > 0 || s.pkgFails > 0 || len(s.packages) == 0 {
		os.Exit(1)
	}
}

// report copies each event's output to w and gathers the timings. Lines
// that are not JSON (a build failure's compiler messages) are copied as
// they are.
func report(r io.Reader, w io.Writer) (*summary, error) {
	s := &summary{held: map[string][]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(w, "%s\n", line)
			continue
		}
		s.add(w, e)
	}
	return s, sc.Err()
}

// verboseOnly are the lines that -v adds and go test alone does not print.
var verboseOnly = []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME", "--- PASS", "--- SKIP", "PASS\n"}

// output holds a test's line until the test ends, or prints a package's.
func (s *summary) output(w io.Writer, e event) {
	for _, p := range verboseOnly {
		if strings.HasPrefix(strings.TrimLeft(e.Output, " "), p) {
			return
		}
	}
	if e.Test == "" {
		io.WriteString(w, e.Output)
		return
	}
	key := e.Package + " " + e.Test
	s.held[key] = append(s.held[key], e.Output)
}

// release prints (when show is set) and forgets the held output of the
// tests in pkg named test or, when test is "", of every test in pkg (a
// package that failed without its tests failing, e.g. by a timeout panic).
func (s *summary) release(w io.Writer, pkg, test string, show bool) {
	for key, lines := range s.held {
		p, t, _ := strings.Cut(key, " ")
		if p != pkg || test != "" && t != test {
			continue
		}
		if show {
			io.WriteString(w, strings.Join(lines, ""))
		}
		delete(s.held, key)
	}
}

func (s *summary) add(w io.Writer, e event) {
	switch e.Action {
	case "output":
		s.output(w, e)
		return
	case "pass", "fail", "skip":
		s.release(w, e.Package, e.Test, e.Action == "fail")
	default:
		return
	}
	if e.Test == "" {
		if e.Action == "fail" {
			s.pkgFails++
		}
		if e.Action != "skip" {
			s.packages = append(s.packages, timing{pkg: e.Package, seconds: e.Elapsed})
		}
		return
	}
	switch e.Action {
	case "pass":
		s.passed++
	case "fail":
		s.failed++
	case "skip":
		s.skipped++
	}
	// Subtests are counted but timed only through their parent, so the
	// list names the tests a person would run with -run.
	if !strings.Contains(e.Test, "/") && e.Action != "skip" {
		s.tests = append(s.tests, timing{name: e.Test, pkg: e.Package, seconds: e.Elapsed})
	}
}

func (s *summary) print(w io.Writer, top int) {
	bySeconds := func(a, b timing) int {
		if a.seconds != b.seconds {
			if a.seconds > b.seconds {
				return -1
			}
			return 1
		}
		return strings.Compare(a.pkg+a.name, b.pkg+b.name)
	}
	slices.SortFunc(s.tests, bySeconds)
	slices.SortFunc(s.packages, bySeconds)
	fmt.Fprintf(w, "\nslowest tests:\n")
	for _, t := range s.tests[:min(top, len(s.tests))] {
		fmt.Fprintf(w, "  %7.1fs  %s %s\n", t.seconds, t.pkg, t.name)
	}
	fmt.Fprintf(w, "slowest packages:\n")
	for _, p := range s.packages[:min(5, len(s.packages))] {
		fmt.Fprintf(w, "  %7.1fs  %s\n", p.seconds, p.pkg)
	}
	// The plain closing line counts every test and subtest.
	fmt.Fprintf(w, "tests: %d passed, %d failed, %d skipped\n", s.passed, s.failed, s.skipped)
}
