package vlogd_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// allowedImports is the architecture of DESIGN.md: which of our packages
// each package may import. A package missing here may import none of ours.
var allowedImports = map[string][]string{
	"vlogd/httpraw":  {},
	"vlogd/wal":      {},
	"vlogd/memstore": {"vlogd/wal", "vlogd/media"},
	"vlogd/media":    {},
	"vlogd/web":      {"vlogd/httpraw", "vlogd/memstore"},
	"vlogd/backup":   {"vlogd/wal"},
	"vlogd/cluster":  {"vlogd/memstore", "vlogd/wal", "vlogd/media"},
	// Test tools: the binary must not import them (cmd/vlogd's list lacks them).
	"vlogd/internal/powerfs": {},
	"vlogd/cmd/vlogd":        {"vlogd/httpraw", "vlogd/wal", "vlogd/media", "vlogd/memstore", "vlogd/web", "vlogd/backup"},
}

// TestImportDirection keeps the layout honest: httpraw and wal import
// nothing of ours, memstore knows no HTTP, web never touches the log.
func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		seen++
		allowed := map[string]bool{}
		for _, a := range allowedImports[p.ImportPath] {
			allowed[a] = true
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, "vlogd/") && !allowed[imp] {
				t.Errorf("%s imports %s, which DESIGN.md forbids", p.ImportPath, imp)
			}
			if imp == "net/http" {
				t.Errorf("%s imports net/http outside tests; the server is httpraw's", p.ImportPath)
			}
		}
	}
	if seen < len(allowedImports) {
		t.Fatalf("go list named %d packages, want at least %d", seen, len(allowedImports))
	}
}
