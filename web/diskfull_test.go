package web

import (
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"vlogd/wal"
)

// fullFile fails writes with ENOSPC while full is set.
type fullFile struct {
	wal.File
	full *atomic.Bool
}

func (f fullFile) Write(p []byte) (int, error) {
	if f.full.Load() {
		return 0, syscall.ENOSPC
	}
	return f.File.Write(p)
}

// A full disk answers 507 with a page that says the storage is full and to
// retry, not a 500 that claims nothing was lost; once space returns the
// same write succeeds without a restart.
func TestFullDiskAnswers507AndRecovers(t *testing.T) {
	var full atomic.Bool
	ts := mustServeSite(t, func(c *siteConfig) {
		c.store.WrapLogFile = func(_ string, f wal.File) wal.File { return fullFile{File: f, full: &full} }
	})
	alice := ts.signUp(t, "alice")
	full.Store(true)
	resp, page := alice.post(t, "/vlogs", url.Values{"title": {"no room"}, "body": {"b"}})
	wantStatus(t, resp, 507)
	wantContains(t, page, "storage is full")
	wantContains(t, page, "retry")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("507 without Retry-After")
	}
	full.Store(false)
	loc := alice.createVlog(t, "room again", "written after space returned")
	if resp, page := alice.get(t, loc); resp.StatusCode != 200 || !strings.Contains(page, "written after space returned") {
		t.Fatalf("GET %s = %d after recovery", loc, resp.StatusCode)
	}
	if resp, body := alice.get(t, "/healthz"); resp.StatusCode != 200 || !strings.HasPrefix(body, "ok\n") {
		t.Fatalf("healthz after recovery = %d %q", resp.StatusCode, body)
	}
}

// /healthz and /metrics report the data directory's free space and the
// warning threshold, and warn when free space is below it.
func TestHealthzAndMetricsReportFreeSpace(t *testing.T) {
	ts := mustServeSite(t, func(c *siteConfig) { c.web.LowSpace = 1 << 62 }) // always "low"
	c := ts.newClient(t)
	resp, body := c.get(t, "/healthz")
	if resp.StatusCode != 200 || !strings.Contains(body, "bytes free of") || !strings.Contains(body, "warning: storage is low") {
		t.Fatalf("healthz = %d %q, want 200 with free space and a low-space warning", resp.StatusCode, body)
	}
	_, metrics := c.get(t, "/metrics")
	for _, want := range []string{"vlogd_storage_free_bytes ", "vlogd_storage_size_bytes ", "vlogd_storage_low_threshold_bytes 4611686018427387904\n", "vlogd_storage_low 1\n"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	ts2 := mustServeSite(t)
	if _, body := ts2.newClient(t).get(t, "/healthz"); strings.Contains(body, "warning:") {
		t.Fatalf("healthz warns with the default threshold on a roomy disk: %q", body)
	}
}
