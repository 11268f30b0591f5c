package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"vlogd/internal/testdeadline"
)

// writeSelfSigned writes a certificate for 127.0.0.1 and its key as PEM
// files in dir.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile
}

// With --tls-cert and --tls-key the binary serves HTTPS, and the session
// cookie it sets is Secure.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeSelfSigned(t, dir)
	p, m := startProcess(t, regexp.MustCompile(`msg=listening addr=(https://127\.0\.0\.1:\d+)`),
		"--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--tls-cert", certFile, "--tls-key", keyFile)
	defer p.kill(t)
	base := m[1]
	jar, _ := cookiejar.New(nil)
	client := &http.Client{
		Jar:           jar,
		Timeout:       testdeadline.Remaining(t), // only catches a hang
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	c := &siteClient{http: client}
	c.refreshToken(t, base)
	resp, err := c.post(t.Context(), base, "/signup", url.Values{"username": {"tls"}, "password": {"a long enough password"}})
	if err != nil || resp.StatusCode != 303 || resp.TLS == nil {
		t.Fatalf("sign up over TLS: %v %v", resp, err)
	}
	var session string
	for _, v := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "vlogd_session=") {
			session = v
		}
	}
	if !strings.Contains(session, "; Secure") || !strings.Contains(session, "; HttpOnly") {
		t.Fatalf("session cookie over TLS = %q, want Secure and HttpOnly", session)
	}
}
