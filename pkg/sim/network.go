package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/seal"
)

// Network is a set of simulated nodes and the links between them. Nodes are
// numbered in the order of their overlay addresses, so the nodes sharing a
// prefix are a contiguous range of numbers.
type Network struct {
	cfg      Config
	ids      []*identity.Identity
	pubs     []identity.Public
	overlays []identity.Overlay
	openers  []*seal.Opener
	// The peers of node i are adj[off[i]:off[i+1]], in increasing order.
	off []int32
	adj []int32
}

// Build makes cfg.Nodes identities and connects them as Kademlia routing
// tables would. It checks cfg; Luminosity is checked but not used.
func Build(ctx context.Context, cfg Config) (*Network, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	n := &Network{cfg: cfg}
	if err := n.makeNodes(ctx); err != nil {
		return nil, err
	}
	n.link()
	return n, nil
}

// Nodes is the number of nodes.
func (n *Network) Nodes() int { return len(n.overlays) }

// PeersMean is the mean number of peers per node.
func (n *Network) PeersMean() float64 { return float64(len(n.adj)) / float64(len(n.overlays)) }

// peers returns node i's peers.
func (n *Network) peers(i int32) []int32 { return n.adj[n.off[i]:n.off[i+1]] }

// makeNodes generates the identities, in parallel: each costs a secp256k1
// key, two X25519 operations (the public key and the opener's cached copy)
// and a peer ID hash. The keys come from the seed rather than from
// crypto/rand so that a seed names one network; they are otherwise made
// exactly like a real node's (identity.FromKey is what identity.Generate
// calls).
func (n *Network) makeNodes(ctx context.Context) error {
	type node struct {
		id     *identity.Identity
		pub    identity.Public
		o      identity.Overlay
		opener *seal.Opener
	}
	nodes := n.cfg.Nodes
	all := make([]node, nodes)
	errs := make([]error, n.cfg.Workers)
	var wg sync.WaitGroup
	for w := 0; w < n.cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < nodes; i += n.cfg.Workers {
				if i%256 == 0 && ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				id, err := seededIdentity(n.cfg.Seed, i)
				if err != nil {
					errs[w] = err
					return
				}
				pub := id.Public()
				all[i] = node{id, pub, pub.Overlay(), seal.NewOpener(id.Enc)}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}

	slices.SortFunc(all, func(a, b node) int { return bytes.Compare(a.o[:], b.o[:]) })
	n.ids = make([]*identity.Identity, nodes)
	n.pubs = make([]identity.Public, nodes)
	n.overlays = make([]identity.Overlay, nodes)
	n.openers = make([]*seal.Opener, nodes)
	for i, a := range all {
		if i > 0 && a.o == all[i-1].o {
			return fmt.Errorf("sim: two nodes share overlay address %s", a.o)
		}
		n.ids[i], n.pubs[i], n.overlays[i], n.openers[i] = a.id, a.pub, a.o, a.opener
	}
	return nil
}

// seededIdentity derives node i's key from the seed.
func seededIdentity(seed int64, i int) (*identity.Identity, error) {
	var b [8 + 8 + 4]byte
	binary.BigEndian.PutUint64(b[0:], uint64(seed))
	binary.BigEndian.PutUint64(b[8:], uint64(i))
	// A hash is a valid secp256k1 scalar but for a chance of about 2^-128;
	// try the next counter then.
	for c := uint32(0); ; c++ {
		binary.BigEndian.PutUint32(b[16:], c)
		h := sha256.Sum256(append([]byte("mf/sim/key/v1"), b[:]...))
		k, err := crypto.ToECDSA(h[:])
		if err != nil {
			continue
		}
		return identity.FromKey(k)
	}
}

// bit is bit i (0 = most significant) of o.
func bit(o *identity.Overlay, i int) byte { return o[i/8] >> (7 - i%8) & 1 }

// link builds each node's routing table and makes the links symmetric.
//
// Kademlia puts a peer in bucket i of a node when their addresses agree on
// exactly the first i bits, and keeps at most k peers per bucket. With the
// nodes sorted by address, the nodes agreeing with node a on at least i bits
// are one range of numbers; splitting it at bit i gives a's own half and the
// candidates for bucket i. Each node keeps k candidates of each bucket
// chosen at random (a real node keeps whichever peers it met first, which is
// as good as random), and a link a kept is a connection both ends use, as
// libp2p connections are.
func (n *Network) link() {
	nodes := len(n.overlays)
	k := n.cfg.BucketSize
	lists := make([][]int32, nodes)
	pick := make([]int, 0, k)
	for a := 0; a < nodes; a++ {
		rng := rand.New(rand.NewPCG(uint64(n.cfg.Seed), 0x6c696e6b<<32|uint64(a)))
		self := &n.overlays[a]
		lo, hi := 0, nodes
		for depth := 0; hi-lo > 1 && depth < 256; depth++ {
			// Within [lo, hi) all agree on the bits before depth, so bit
			// depth is 0 for a prefix of the range and 1 for the rest.
			split := lo + sort.Search(hi-lo, func(j int) bool { return bit(&n.overlays[lo+j], depth) == 1 })
			var bLo, bHi int
			if bit(self, depth) == 0 {
				bLo, bHi, hi = split, hi, split
			} else {
				bLo, bHi, lo = lo, split, split
			}
			pick = sample(rng, bLo, bHi, k, pick[:0])
			for _, b := range pick {
				lists[a] = append(lists[a], int32(b))
				lists[b] = append(lists[b], int32(a))
			}
		}
	}
	n.off = make([]int32, nodes+1)
	total := 0
	for a, l := range lists {
		slices.Sort(l)
		lists[a] = slices.Compact(l)
		total += len(lists[a])
	}
	n.adj = make([]int32, 0, total)
	for a, l := range lists {
		n.adj = append(n.adj, l...)
		n.off[a+1] = int32(len(n.adj))
	}
}

// sample appends to dst up to k distinct numbers from [lo, hi), all of them
// if there are no more than k.
func sample(rng *rand.Rand, lo, hi, k int, dst []int) []int {
	if hi-lo <= k {
		for i := lo; i < hi; i++ {
			dst = append(dst, i)
		}
		return dst
	}
	// Floyd's algorithm: k draws, no rejection loop, no shuffle of the
	// whole range.
	start, m := len(dst), hi-lo
	for j := m - k; j < m; j++ {
		t := lo + rng.IntN(j+1)
		if slices.Contains(dst[start:], t) {
			t = lo + j
		}
		dst = append(dst, t)
	}
	return dst
}
