package cluster

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	in := rpcRequest{Kind: rpcPropose, Data: []byte("payload"), ID: "n1", Addr: "127.0.0.1:7000"}
	if err := writeFrame(&buf, in); err != nil {
		t.Fatal(err)
	}
	var out rpcRequest
	if err := readFrame(&buf, &out); err != nil {
		t.Fatal(err)
	}
	if out.Kind != in.Kind || string(out.Data) != string(in.Data) || out.ID != in.ID || out.Addr != in.Addr {
		t.Fatalf("readFrame = %+v, want %+v", out, in)
	}
	if err := readFrame(&buf, &out); !errors.Is(err, io.EOF) {
		t.Fatalf("readFrame at a clean end: err = %v, want io.EOF", err)
	}
}

func TestReadFrameRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
	}{
		{"zero length", "\x00\x00\x00\x00"},
		{"over the maximum", "\x02\x00\x00\x01"},
		{"torn header", "\x00\x00"},
		{"torn body", "\x00\x00\x00\x09\x81"},
		{"not msgpack", "\x00\x00\x00\x01\xc1"},
		{"wrong type", "\x00\x00\x00\x01\xa0"},
	} {
		var req rpcRequest
		err := readFrame(bytes.NewReader([]byte(tc.in)), &req)
		if err == nil || errors.Is(err, io.EOF) {
			t.Errorf("%s: readFrame(%q) err = %v, want an error other than io.EOF", tc.name, tc.in, err)
		}
	}
}

// FuzzReadFrame feeds arbitrary bytes to the frame reader a member runs on
// every authenticated rpc connection: it must never panic or allocate
// beyond the frame limit, and what it accepts must round-trip.
func FuzzReadFrame(f *testing.F) {
	var buf bytes.Buffer
	writeFrame(&buf, rpcRequest{Kind: rpcJoin, ID: "n3", Addr: "127.0.0.1:7003"})
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		var req rpcRequest
		if err := readFrame(bytes.NewReader(b), &req); err != nil {
			return
		}
		var again bytes.Buffer
		if err := writeFrame(&again, req); err != nil {
			t.Fatalf("writeFrame of an accepted request: %v", err)
		}
		var back rpcRequest
		if err := readFrame(&again, &back); err != nil || back.Kind != req.Kind || back.ID != req.ID || back.Addr != req.Addr || !bytes.Equal(back.Data, req.Data) {
			t.Fatalf("round trip of %+v: %+v, %v", req, back, err)
		}
	})
}
