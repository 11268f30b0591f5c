package cluster

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// The handshake every cluster connection performs inside TLS 1.3, before a
// single raft or forwarding byte flows (see the package doc):
//
//	dialer   → acceptor   hello:  "VLGC" version(1) nonceD(32)
//	acceptor → dialer     proof:  nonceA(32) HMAC(key, "acceptor" ‖ exporter ‖ nonceD ‖ nonceA)
//	dialer   → acceptor   proof:  HMAC(key, "dialer" ‖ exporter ‖ nonceD ‖ nonceA) channel(1)
//	acceptor → dialer     ok:     0x01
//
// exporter is 32 bytes of TLS keying material (RFC 8446 §7.5) of this very
// TLS session, so a proof made for one session is worthless on another: a
// man in the middle holding two TLS sessions cannot relay it. The role
// labels stop a proof from being reflected back to its maker.
const (
	helloMagic     = "VLGC"
	authVersion    = 1
	nonceSize      = 32
	macSize        = sha256.Size
	exporterLabel  = "EXPORTER-vlogd-cluster-v1"
	authOK         = 0x01
	minSecretBytes = 16
)

// Channels: the byte a dialer sends after its proof says what the
// connection carries.
const (
	chanRaft = 'R' // hashicorp/raft's NetworkTransport RPCs
	chanRPC  = 'F' // vlogd's own requests: forwarded proposals, join, remove
)

// keyFromSecret turns the shared secret into the HMAC key. The secret file
// may end with a newline, which is not part of the secret.
func keyFromSecret(secret []byte) ([]byte, error) {
	for len(secret) > 0 && (secret[len(secret)-1] == '\n' || secret[len(secret)-1] == '\r') {
		secret = secret[:len(secret)-1]
	}
	if len(secret) < minSecretBytes {
		return nil, fmt.Errorf("%w: %d bytes, want at least %d", ErrWeakSecret, len(secret), minSecretBytes)
	}
	mac := hmac.New(sha256.New, []byte("vlogd cluster key v1"))
	mac.Write(secret)
	return mac.Sum(nil), nil
}

func proof(key []byte, role string, exporter, nonceD, nonceA []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(role))
	mac.Write(exporter)
	mac.Write(nonceD)
	mac.Write(nonceA)
	return mac.Sum(nil)
}

func exporterOf(c *tls.Conn) ([]byte, error) {
	cs := c.ConnectionState()
	if cs.Version != tls.VersionTLS13 {
		return nil, fmt.Errorf("tls version %#x, want 1.3", cs.Version)
	}
	return cs.ExportKeyingMaterial(exporterLabel, nil, 32)
}

// handshakeDialer runs the dialer's side on raw, within deadline, and
// returns the TLS connection ready for channel ch.
func handshakeDialer(raw net.Conn, key []byte, ch byte, deadline time.Time) (net.Conn, error) {
	if err := raw.SetDeadline(deadline); err != nil {
		return nil, err
	}
	c := tls.Client(raw, &tls.Config{
		MinVersion: tls.VersionTLS13,
		// The peer's certificate is not what proves who it is: the HMAC
		// proof below, bound to this session's keys, is.
		InsecureSkipVerify: true,
		ServerName:         "vlogd-cluster",
	})
	if err := c.Handshake(); err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	exp, err := exporterOf(c)
	if err != nil {
		return nil, err
	}
	hello := make([]byte, 0, len(helloMagic)+1+nonceSize)
	hello = append(hello, helloMagic...)
	hello = append(hello, authVersion)
	nonceD := make([]byte, nonceSize)
	rand.Read(nonceD)
	hello = append(hello, nonceD...)
	if _, err := c.Write(hello); err != nil {
		return nil, err
	}
	var resp [nonceSize + macSize]byte
	if _, err := io.ReadFull(c, resp[:]); err != nil {
		return nil, fmt.Errorf("%w: peer closed before its proof: %v", ErrAuth, err)
	}
	nonceA := resp[:nonceSize]
	if !hmac.Equal(resp[nonceSize:], proof(key, "acceptor", exp, nonceD, nonceA)) {
		return nil, fmt.Errorf("%w: the peer does not know the cluster secret", ErrAuth)
	}
	out := append(proof(key, "dialer", exp, nonceD, nonceA), ch)
	if _, err := c.Write(out); err != nil {
		return nil, err
	}
	var ok [1]byte
	if _, err := io.ReadFull(c, ok[:]); err != nil || ok[0] != authOK {
		return nil, fmt.Errorf("%w: the peer refused our proof", ErrAuth)
	}
	if err := raw.SetDeadline(time.Time{}); err != nil {
		return nil, err
	}
	return c, nil
}

// handshakeAcceptor runs the acceptor's side on raw, within deadline, and
// returns the TLS connection and the channel the dialer asked for. On any
// failure the caller closes raw; nothing the peer sent reaches raft.
func handshakeAcceptor(raw net.Conn, key []byte, cfg *tls.Config, deadline time.Time) (net.Conn, byte, error) {
	if err := raw.SetDeadline(deadline); err != nil {
		return nil, 0, err
	}
	c := tls.Server(raw, cfg)
	if err := c.Handshake(); err != nil {
		return nil, 0, fmt.Errorf("tls: %w", err)
	}
	exp, err := exporterOf(c)
	if err != nil {
		return nil, 0, err
	}
	var hello [len(helloMagic) + 1 + nonceSize]byte
	if _, err := io.ReadFull(c, hello[:]); err != nil {
		return nil, 0, fmt.Errorf("hello: %w", err)
	}
	if string(hello[:len(helloMagic)]) != helloMagic || hello[len(helloMagic)] != authVersion {
		return nil, 0, errors.New("hello: not a vlogd cluster peer of this version")
	}
	nonceD := hello[len(helloMagic)+1:]
	nonceA := make([]byte, nonceSize)
	rand.Read(nonceA)
	if _, err := c.Write(append(nonceA, proof(key, "acceptor", exp, nonceD, nonceA)...)); err != nil {
		return nil, 0, err
	}
	var resp [macSize + 1]byte
	if _, err := io.ReadFull(c, resp[:]); err != nil {
		return nil, 0, fmt.Errorf("proof: %w", err)
	}
	if !hmac.Equal(resp[:macSize], proof(key, "dialer", exp, nonceD, nonceA)) {
		return nil, 0, fmt.Errorf("%w: the dialer does not know the cluster secret", ErrAuth)
	}
	ch := resp[macSize]
	if ch != chanRaft && ch != chanRPC {
		return nil, 0, fmt.Errorf("unknown channel %q", ch)
	}
	if _, err := c.Write([]byte{authOK}); err != nil {
		return nil, 0, err
	}
	if err := raw.SetDeadline(time.Time{}); err != nil {
		return nil, 0, err
	}
	return c, ch, nil
}
