package devnet

import (
	"math/rand/v2"
	"testing"
)

// TestKillOrderLeavesTheSenderAPeer: with --peers-first, a sender with no
// more peers than the kill keeps one (CI once drew a 10-node topology in
// which node1 had three peers, and --kill 3 cut it off).
func TestKillOrderLeavesTheSenderAPeer(t *testing.T) {
	// Node 0 links to 1, 2 and 3; those link on to 4 and 5.
	g := Graph{{1, 2, 3}, {0, 4}, {0, 5}, {0, 4}, {1, 3}, {2}}
	for seed := range uint64(50) {
		order := killOrder(g, 0, 3, true, rand.New(rand.NewPCG(seed, 1)))
		if len(order) != 5 {
			t.Fatalf("seed %d: order %v, want the 5 other nodes", seed, order)
		}
		down := make([]bool, len(g))
		peersKilled := 0
		for _, i := range order[:3] {
			down[i] = true
			if i >= 1 && i <= 3 {
				peersKilled++
			}
		}
		if peersKilled != 2 {
			t.Fatalf("seed %d: killed %v, want two of node 0's three peers", seed, order[:3])
		}
		alive := false
		for _, i := range order[3:] {
			alive = alive || g.Connected(0, i, down)
		}
		if !alive {
			t.Fatalf("seed %d: killing %v cuts node 0 off", seed, order[:3])
		}
	}
	// With more peers than the kill, only peers die.
	g = Graph{{1, 2, 3, 4}, {0}, {0}, {0}, {0}}
	order := killOrder(g, 0, 3, true, rand.New(rand.NewPCG(7, 1)))
	for _, i := range order[:3] {
		if i == 0 || i > 4 {
			t.Fatalf("killed %v", order[:3])
		}
	}
}
