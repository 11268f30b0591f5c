package loadcompare

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

// EnvReference names the environment variable through which a benchmark
// tells its server processes where the built fasthttp reference is.
const EnvReference = "LOADCOMPARE_FASTHTTP"

// BuildReference compiles the fasthttp reference server (the nested module
// in fasthttpref/) into a temporary directory of tb, sets EnvReference for
// the server processes started after it, and returns the binary's path. It
// fails when the module cannot be built, for example without its
// dependencies in the module cache and no network: the caller may then
// leave fasthttp out of the comparison.
func BuildReference(tb testing.TB) (string, error) {
	tb.Helper()
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("loadcompare: cannot locate the fasthttp reference's source")
	}
	bin := filepath.Join(tb.TempDir(), "fasthttpref")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(filepath.Dir(self), "fasthttpref")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("loadcompare: build the fasthttp reference: %w\n%s", err, out)
	}
	tb.Setenv(EnvReference, bin)
	return bin, nil
}

// ExecReference is a server process's side: it replaces the running
// process (keeping its pid, standard streams and CPU pinning) with the
// fasthttp reference serving status 200 with fields and body. It returns
// only on failure.
func ExecReference(tb testing.TB, fields []Field, body []byte) error {
	bin := os.Getenv(EnvReference)
	if bin == "" {
		return fmt.Errorf("loadcompare: %s is not set: the benchmark did not build the reference", EnvReference)
	}
	var buf bytes.Buffer
	for _, f := range fields {
		fmt.Fprintf(&buf, "%s: %s\n", f.Name, f.Value)
	}
	buf.WriteString("\n")
	buf.Write(body)
	// Not tb.TempDir: the process is replaced and no cleanup would run.
	f, err := os.CreateTemp("", "loadcompare-response-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return syscall.Exec(bin, []string{bin, f.Name()}, os.Environ())
}
