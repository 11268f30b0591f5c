package cluster

import (
	"math"
	"testing"

	"github.com/anishathalye/porcupine"
)

// TestModelRejects shows the linearizability check can fail: histories
// that no order explains are Illegal, and an unknown outcome is allowed
// either way.
func TestModelRejects(t *testing.T) {
	op := func(client int, in toyOp, res toyResult, call, ret int64) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: in, Output: toyOutput{res: res}, Call: call, Return: ret}
	}
	unknown := func(client int, in toyOp, call int64) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: in, Output: toyOutput{unknown: true}, Call: call, Return: math.MaxInt64}
	}
	for _, tc := range []struct {
		name string
		ops  []porcupine.Operation
		want porcupine.CheckResult
	}{
		{"ids in order", []porcupine.Operation{
			op(0, toyOp{Kind: "create", Value: "a"}, toyResult{ID: 1, Value: "a", Found: true}, 0, 1),
			op(1, toyOp{Kind: "create", Value: "b"}, toyResult{ID: 2, Value: "b", Found: true}, 2, 3),
		}, porcupine.Ok},
		{"an id given twice", []porcupine.Operation{
			op(0, toyOp{Kind: "create", Value: "a"}, toyResult{ID: 1, Value: "a", Found: true}, 0, 1),
			op(1, toyOp{Kind: "create", Value: "b"}, toyResult{ID: 1, Value: "b", Found: true}, 2, 3),
		}, porcupine.Illegal},
		{"stale read after an acknowledged edit", []porcupine.Operation{
			op(0, toyOp{Kind: "create", Value: "a"}, toyResult{ID: 1, Value: "a", Found: true}, 0, 1),
			op(0, toyOp{Kind: "edit", ID: 1, Value: "b"}, toyResult{ID: 1, Value: "b", Found: true}, 2, 3),
			op(1, toyOp{Kind: "get", ID: 1}, toyResult{ID: 1, Value: "a", Found: true}, 4, 5),
		}, porcupine.Illegal},
		{"lost delete", []porcupine.Operation{
			op(0, toyOp{Kind: "create", Value: "a"}, toyResult{ID: 1, Value: "a", Found: true}, 0, 1),
			op(0, toyOp{Kind: "delete", ID: 1}, toyResult{ID: 1, Found: true}, 2, 3),
			op(1, toyOp{Kind: "get", ID: 1}, toyResult{ID: 1, Value: "a", Found: true}, 4, 5),
		}, porcupine.Illegal},
		{"unknown create may come later", []porcupine.Operation{
			unknown(0, toyOp{Kind: "create", Value: "a"}, 0),
			op(1, toyOp{Kind: "create", Value: "b"}, toyResult{ID: 1, Value: "b", Found: true}, 2, 3),
		}, porcupine.Ok},
	} {
		if got := porcupine.CheckOperations(toyModel, tc.ops); (got == true) != (tc.want == porcupine.Ok) {
			t.Errorf("%s: linearizable = %v, want %v", tc.name, got, tc.want)
		}
	}
}
