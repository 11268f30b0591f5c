package cluster

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/raft"

	"vlogd/internal/testdeadline"
)

// raft's NetworkTransport wire: one type byte, then the request in msgpack.
const (
	wireAppendEntries = 0
	wireRequestVote   = 1
	wireTimeoutNow    = 3
)

// forgedRPCs are raft requests that would disrupt the cluster if a node
// accepted them: a vote request and entries in a far higher term, and an
// order to start an election now.
func forgedRPCs(t *testing.T, term uint64) [][]byte {
	hdr := raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("mallory"), Addr: []byte("127.0.0.1:1")}
	reqs := []struct {
		kind byte
		v    any
	}{
		{wireRequestVote, &raft.RequestVoteRequest{RPCHeader: hdr, Term: term, LastLogIndex: 1 << 40, LastLogTerm: term}},
		{wireAppendEntries, &raft.AppendEntriesRequest{RPCHeader: hdr, Term: term, PrevLogEntry: 0, LeaderCommitIndex: 1 << 40,
			Entries: []*raft.Log{{Index: 1 << 40, Term: term, Type: raft.LogCommand, Data: encodeOp(toyOp{Kind: "create", Value: "injected"})}}}},
		{wireTimeoutNow, &raft.TimeoutNowRequest{RPCHeader: hdr}},
	}
	var out [][]byte
	for _, r := range reqs {
		var buf bytes.Buffer
		buf.WriteByte(r.kind)
		if err := codec.NewEncoder(&buf, &codec.MsgpackHandle{}).Encode(r.v); err != nil {
			t.Fatal(err)
		}
		out = append(out, buf.Bytes())
	}
	return out
}

// expectClosed reads from c until the peer closes it, failing if it
// answers with anything.
func expectClosed(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.SetReadDeadline(testdeadline.Time(t))
	got, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: connection still open at the test's deadline", what)
	}
	if len(got) > 0 {
		t.Fatalf("%s: the node answered %q", what, got)
	}
}

// TestForgedRaftRPCRefused sends raft requests that would depose the
// leader to a member's cluster port without the secret: in clear, and
// inside TLS after a bogus proof. Each connection is closed without an
// answer and no member's term, leader or state moves. As a control, the
// same requests over a properly authenticated connection do move the
// term, so the check can fail.
func TestForgedRaftRPCRefused(t *testing.T) {
	c := startCluster(t, 3, nil)
	before := c.node(0).Status()
	target := c.addrs[1]
	forged := forgedRPCs(t, before.Term+100)

	for i, rpc := range forged {
		// In clear, as raft's own transport would speak it.
		raw, err := net.Dial("tcp", target)
		if err != nil {
			t.Fatal(err)
		}
		raw.Write(rpc)
		expectClosed(t, raw, "clear-text forged rpc")
		raw.Close()

		// Inside TLS, with a made-up proof (the secret is unknown).
		raw, err = net.Dial("tcp", target)
		if err != nil {
			t.Fatal(err)
		}
		tc := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
		tc.SetDeadline(testdeadline.Time(t))
		if err := tc.Handshake(); err != nil {
			t.Fatalf("tls handshake: %v", err)
		}
		hello := append([]byte(helloMagic), authVersion)
		nonce := make([]byte, nonceSize)
		rand.Read(nonce)
		tc.Write(append(hello, nonce...))
		if _, err := io.ReadFull(tc, make([]byte, nonceSize+macSize)); err != nil {
			t.Fatalf("reading the acceptor's proof: %v", err)
		}
		bogus := make([]byte, macSize)
		rand.Read(bogus)
		tc.Write(append(append(bogus, chanRaft), rpc...))
		expectClosed(t, tc, "forged rpc after a bogus proof")
		tc.Close()
		t.Logf("forged rpc %d refused both ways", i)
	}

	// A dialer with another secret is refused by the acceptor, and itself
	// refuses the acceptor's proof.
	wrongKey, _ := keyFromSecret([]byte("some other secret, long enough"))
	s, err := newStreamLayer("127.0.0.1:0", wrongKey, 0, slogDiscard())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.dial(target, chanRaft, testdeadline.Time(t)); !errors.Is(err, ErrAuth) {
		t.Fatalf("dial with the wrong secret: err = %v, want ErrAuth", err)
	}

	for i := range 3 {
		st := c.node(i).Status()
		if st.Term != before.Term || st.LeaderID != before.LeaderID {
			t.Fatalf("n%d after forged rpcs: term %d leader %q; before term %d leader %q", i, st.Term, st.LeaderID, before.Term, before.LeaderID)
		}
		if m, _, _ := c.fsm(i).copyState(); len(m) != 0 {
			t.Fatalf("n%d state after forged rpcs: %v", i, m)
		}
	}

	// Control: with the secret, a heartbeat in a higher term reaches raft
	// and the member adopts the term.
	goodKey, _ := keyFromSecret(testSecret)
	s.key = goodKey
	conn, err := s.dial(target, chanRaft, testdeadline.Time(t))
	if err != nil {
		t.Fatalf("authenticated dial: %v", err)
	}
	defer conn.Close()
	w := bufio.NewWriter(conn)
	w.WriteByte(wireAppendEntries)
	hdr := raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("control"), Addr: []byte("127.0.0.1:1")}
	if err := codec.NewEncoder(w, &codec.MsgpackHandle{}).Encode(&raft.AppendEntriesRequest{RPCHeader: hdr, Term: before.Term + 100}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	testdeadline.Poll(t, "the control heartbeat to raise n1's term", func() bool {
		return c.node(1).Status().Term >= before.Term+100
	})
}

// TestHandshakeBounded: a peer that connects and says nothing is dropped
// after the handshake timeout instead of holding a goroutine forever.
func TestHandshakeBounded(t *testing.T) {
	key, _ := keyFromSecret(testSecret)
	s, err := newStreamLayer("127.0.0.1:0", key, 200*time.Millisecond, slogDiscard())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	raw, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	expectClosed(t, raw, "silent peer")
}
