package main

import (
	"bytes"
	"strings"
	"testing"
)

// A stream as go test -json writes it: two packages, one failing test, a
// subtest, a skip and a non-JSON line from the build.
const stream = `# vlogd/broken
{"Action":"start","Package":"vlogd/a"}
{"Action":"run","Package":"vlogd/a","Test":"TestFast"}
{"Action":"output","Package":"vlogd/a","Test":"TestFast","Output":"=== RUN   TestFast\n"}
{"Action":"pass","Package":"vlogd/a","Test":"TestFast","Elapsed":0.01}
{"Action":"pass","Package":"vlogd/a","Test":"TestSlow/sub","Elapsed":2.5}
{"Action":"pass","Package":"vlogd/a","Test":"TestSlow","Elapsed":3}
{"Action":"skip","Package":"vlogd/a","Test":"TestSkipped","Elapsed":0}
{"Action":"output","Package":"vlogd/a","Output":"ok  \tvlogd/a\t3.1s\n"}
{"Action":"pass","Package":"vlogd/a","Elapsed":3.1}
{"Action":"output","Package":"vlogd/a","Test":"TestFast","Output":"--- PASS: TestFast (0.01s)\n"}
{"Action":"output","Package":"vlogd/a","Test":"TestSlow","Output":"    slow_test.go:9: a passing test's log\n"}
{"Action":"output","Package":"vlogd/b","Test":"TestBad","Output":"    bad_test.go:7: got 1, want 2\n"}
{"Action":"output","Package":"vlogd/b","Test":"TestBad","Output":"--- FAIL: TestBad (1.50s)\n"}
{"Action":"fail","Package":"vlogd/b","Test":"TestBad","Elapsed":1.5}
{"Action":"output","Package":"vlogd/b","Test":"TestHung","Output":"    hung_test.go:3: still waiting\n"}
{"Action":"output","Package":"vlogd/b","Output":"FAIL\tvlogd/b\t1.6s\n"}
{"Action":"fail","Package":"vlogd/b","Elapsed":1.6}
`

func TestReport(t *testing.T) {
	var out bytes.Buffer
	s, err := report(strings.NewReader(stream), &out)
	if err != nil {
		t.Fatal(err)
	}
	s.print(&out, 2)
	got := out.String()
	for _, want := range []string{
		"# vlogd/broken\n",      // non-JSON lines pass through
		"ok  \tvlogd/a\t3.1s\n", // and the package lines
		"FAIL\tvlogd/b\t1.6s\n",
		"    bad_test.go:7: got 1, want 2\n--- FAIL: TestBad (1.50s)\n", // a failing test's output
		"    hung_test.go:3: still waiting\n",                           // a test that never ended in a failed package
		"slowest tests:\n      3.0s  vlogd/a TestSlow\n      1.5s  vlogd/b TestBad\nslowest packages:\n",
		"tests: 3 passed, 1 failed, 1 skipped\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report output lacks %q; got:\n%s", want, got)
		}
	}
	for _, verbose := range []string{"=== RUN", "--- PASS", "a passing test's log"} {
		if strings.Contains(got, verbose) {
			t.Errorf("report output has %q, which go test without -v would not print:\n%s", verbose, got)
		}
	}
	if strings.Contains(got, "TestSlow/sub") {
		t.Errorf("subtests are listed among the slowest tests:\n%s", got)
	}
	if s.pkgFails != 1 || s.failed != 1 {
		t.Errorf("pkgFails = %d, failed = %d, want 1 and 1", s.pkgFails, s.failed)
	}
}
