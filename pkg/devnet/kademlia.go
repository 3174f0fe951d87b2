package devnet

import (
	"math/bits"
	"math/rand/v2"
	"slices"

	"github.com/mainframe/mf/pkg/identity"
)

// DefaultBucketSize is how many peers a node of a kademlia devnet keeps per
// bucket: few enough that most pairs are not linked and packets cross
// relays, enough that losing a third of the nodes rarely cuts a node off.
const DefaultBucketSize = 2

// kademliaLinks picks each node's peers as a Kademlia routing table with k
// entries per bucket would: for every length of prefix it shares with the
// others, up to k of the nodes sharing exactly that many leading bits,
// chosen at random. A link is a connection both ends use, so the lists are
// made symmetric. It returns, for each node, the indexes of its peers in
// increasing order.
func kademliaLinks(overlays []identity.Overlay, k int, rng *rand.Rand) [][]int {
	links := make([][]int, len(overlays))
	for a := range overlays {
		buckets := map[int][]int{}
		for b := range overlays {
			if b != a {
				cpl := sharedBits(overlays[a], overlays[b])
				buckets[cpl] = append(buckets[cpl], b)
			}
		}
		for _, bucket := range buckets {
			rng.Shuffle(len(bucket), func(i, j int) { bucket[i], bucket[j] = bucket[j], bucket[i] })
			for _, b := range bucket[:min(k, len(bucket))] {
				links[a] = append(links[a], b)
				links[b] = append(links[b], a)
			}
		}
	}
	for a := range links {
		slices.Sort(links[a])
		links[a] = slices.Compact(links[a])
	}
	return links
}

// sharedBits is how many leading bits two overlay addresses share.
func sharedBits(a, b identity.Overlay) int {
	for i := range a {
		if x := a[i] ^ b[i]; x != 0 {
			return i*8 + bits.LeadingZeros8(x)
		}
	}
	return len(a) * 8
}

// Graph is which nodes of a devnet may connect to which: node i's
// neighbours are Graph[i], as indexes into State.Nodes.
type Graph [][]int

// Graph returns the devnet's topology.
func (st *State) Graph() Graph {
	g := make(Graph, len(st.Nodes))
	index := map[string]int{}
	for i, n := range st.Nodes {
		index[n.Name] = i
	}
	for i, n := range st.Nodes {
		switch st.Topology {
		case Line:
			for _, j := range []int{i - 1, i + 1} {
				if j >= 0 && j < len(st.Nodes) {
					g[i] = append(g[i], j)
				}
			}
		case Kademlia:
			for _, name := range n.Links {
				g[i] = append(g[i], index[name])
			}
		default:
			for j := range st.Nodes {
				if j != i {
					g[i] = append(g[i], j)
				}
			}
		}
	}
	return g
}

// Connected reports whether a path joins nodes a and b that avoids the
// nodes down marks.
func (g Graph) Connected(a, b int, down []bool) bool {
	seen := make([]bool, len(g))
	stack := []int{a}
	seen[a] = true
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if v == b {
			return true
		}
		for _, w := range g[v] {
			if !seen[w] && !down[w] {
				seen[w] = true
				stack = append(stack, w)
			}
		}
	}
	return false
}
