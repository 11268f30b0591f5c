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
{"Action":"fail","Package":"vlogd/b","Test":"TestBad","Elapsed":1.5}
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
		"=== RUN   TestFast\n",  // output passes through
		"ok  \tvlogd/a\t3.1s\n", // including the package lines
		"FAIL\tvlogd/b\t1.6s\n",
		"slowest tests:\n      3.0s  vlogd/a TestSlow\n      1.5s  vlogd/b TestBad\nslowest packages:\n",
		"tests: 3 passed, 1 failed, 1 skipped\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report output lacks %q; got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "TestSlow/sub") {
		t.Errorf("subtests are listed among the slowest tests:\n%s", got)
	}
	if s.pkgFails != 1 || s.failed != 1 {
		t.Errorf("pkgFails = %d, failed = %d, want 1 and 1", s.pkgFails, s.failed)
	}
}
