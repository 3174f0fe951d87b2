package devnet

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mainframe/mf/pkg/identity"
)

func TestKademliaLinks(t *testing.T) {
	var overlays []identity.Overlay
	for i := range 20 {
		overlays = append(overlays, identity.Overlay{byte(i * 13), byte(i)})
	}
	for _, k := range []int{1, 2, 3} {
		links := kademliaLinks(overlays, k, rand.New(rand.NewPCG(1, 2)))
		total := 0
		for a, l := range links {
			total += len(l)
			if len(l) == 0 || slices.Contains(l, a) || !slices.IsSorted(l) {
				t.Fatalf("k=%d: node %d links %v", k, a, l)
			}
			// Every bucket that has candidates has at least one link, and
			// links go both ways.
			have := map[int]int{}
			for _, b := range l {
				have[sharedBits(overlays[a], overlays[b])]++
				if !slices.Contains(links[b], a) {
					t.Fatalf("k=%d: %d links %d but not back", k, a, b)
				}
			}
			for b := range overlays {
				if b != a && have[sharedBits(overlays[a], overlays[b])] == 0 {
					t.Fatalf("k=%d: node %d has no peer in bucket %d", k, a, sharedBits(overlays[a], overlays[b]))
				}
			}
		}
		// Sparse: most pairs are not linked, so packets cross relays.
		if k <= 2 && total >= len(overlays)*(len(overlays)-1)*3/4 {
			t.Errorf("k=%d: %d of %d possible links", k, total, len(overlays)*(len(overlays)-1))
		}
	}
}

func TestGraphConnected(t *testing.T) {
	st := &State{Topology: Line, Nodes: make([]Node, 5)}
	g := st.Graph()
	down := make([]bool, 5)
	if !g.Connected(0, 4, down) {
		t.Error("a line is connected end to end")
	}
	down[2] = true
	if g.Connected(0, 4, down) || !g.Connected(0, 1, down) || !g.Connected(3, 4, down) {
		t.Error("a line cut in the middle")
	}
	st = &State{Topology: Kademlia, Nodes: []Node{{Name: "a", Links: []string{"b"}}, {Name: "b", Links: []string{"a", "c"}}, {Name: "c", Links: []string{"b"}}}}
	if g := st.Graph(); !g.Connected(0, 2, make([]bool, 3)) || g.Connected(0, 2, []bool{false, true, false}) {
		t.Errorf("kademlia graph %v", g)
	}
}
