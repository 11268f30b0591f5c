package memstore

import (
	"fmt"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// opKind names an operation in the log. The numbers are part of the on-disk
// format: never renumber or reuse one.
type opKind uint8

const (
	opCreateVlog opKind = 1
	opDeleteVlog opKind = 2
)

func (k opKind) String() string {
	switch k {
	case opCreateVlog:
		return "create-vlog"
	case opDeleteVlog:
		return "delete-vlog"
	}
	return fmt.Sprintf("op(%d)", uint8(k))
}

// op is one change to the state, as written to the log. It is a flat record
// rather than one type per kind so that the encoding stays a single msgpack
// map whose absent fields cost nothing; apply reads only the fields its kind
// uses.
//
// An op carries everything apply needs to be deterministic: the time it was
// made and its inputs. New IDs are not in the record: apply takes them from
// the counters in the state, which replay reproduces exactly.
type op struct {
	Kind  opKind    `msgpack:"k"`
	At    time.Time `msgpack:"at"`
	ID    uint64    `msgpack:"id,omitempty"`
	Title string    `msgpack:"title,omitempty"`
	Body  string    `msgpack:"body,omitempty"`
}

func encodeOp(o *op) ([]byte, error) {
	b, err := msgpack.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("memstore: encode %v: %w", o.Kind, err)
	}
	return b, nil
}

func decodeOp(b []byte) (*op, error) {
	var o op
	if err := msgpack.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("memstore: decode op: %w", err)
	}
	return &o, nil
}
