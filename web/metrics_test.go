package web

import (
	"bufio"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// promLine is a sample line of the Prometheus text format: a name, optional
// labels, a value.
var promLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$`)

// scrape fetches /metrics and parses every sample, failing on any line that
// is neither a sample nor a HELP/TYPE comment.
func scrape(t *testing.T, c *client) map[string]float64 {
	t.Helper()
	resp, body := c.get(t, "/metrics")
	wantStatus(t, resp, 200)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("Content-Type = %q", ct)
	}
	samples := map[string]float64{}
	typed := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# TYPE ") {
			typed[strings.Fields(line)[2]] = true
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		m := promLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("malformed metrics line %q", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m[1], "_bucket"), "_sum"), "_count")
		if !typed[base] && !typed[m[1]] {
			t.Fatalf("sample %q before its # TYPE", line)
		}
		samples[m[1]+m[2]] = v
	}
	return samples
}

func TestMetrics(t *testing.T) {
	m := NewMetrics()
	ts := mustServeSite(t, func(c *siteConfig) {
		c.web.Metrics = m
		c.web.OpenConns = func() int { return 7 }
		c.store.ObserveCommit = m.ObserveCommit
		c.store.ObserveSnapshot = m.ObserveSnapshot
	})
	alice := ts.signUp(t, "alice")
	alice.createVlog(t, "one", "")
	alice.get(t, "/nope")
	if err := ts.Store.Snapshot(); err != nil {
		t.Fatal(err)
	}
	before := scrape(t, alice)
	for name, min := range map[string]float64{
		`vlogd_http_requests_total{class="2xx"}`:                1,
		`vlogd_http_requests_total{class="3xx"}`:                2, // sign-up and create
		`vlogd_http_requests_total{class="4xx"}`:                1,
		`vlogd_http_request_duration_seconds_count`:             5,
		`vlogd_http_request_duration_seconds_bucket{le="+Inf"}`: 5,
		`vlogd_http_open_connections`:                           7,
		`vlogd_wal_appends_total`:                               3, // user, session, vlog
		`vlogd_wal_batch_size_count`:                            1,
		`vlogd_wal_fsync_duration_seconds_count`:                1,
		`vlogd_snapshot_duration_seconds_count`:                 1,
		`vlogd_vlogs`:                                           1,
		`vlogd_writes_up`:                                       1,
	} {
		if got, ok := before[name]; !ok || got < min {
			t.Errorf("%s = %v (present %v), want at least %v", name, got, ok, min)
		}
	}
	alice.post(t, "/vlogs", url.Values{"title": {"two"}})
	after := scrape(t, alice)
	if after[`vlogd_vlogs`] != 2 || after[`vlogd_wal_appends_total`] != before[`vlogd_wal_appends_total`]+1 {
		t.Fatalf("after one more vlog: vlogs %v, appends %v (was %v)", after[`vlogd_vlogs`], after[`vlogd_wal_appends_total`], before[`vlogd_wal_appends_total`])
	}
}
