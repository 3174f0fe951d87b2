package route

import (
	"math"

	"github.com/mainframe/mf/pkg/identity"
)

// Luminosity advice (whitepaper: "algorithms for determining sensible
// luminosity settings based on network conditions and privacy
// requirements"). A packet with luminosity L reaches every node whose
// address starts with the recipient's first L bits: about N/2^L nodes, the
// anonymity set. Fewer bits hide the recipient among more nodes and cost
// more copies.

// bucketSize is Kademlia's k: how many peers a routing table keeps per
// common-prefix length.
const bucketSize = 20

// EstimateNetworkSize estimates how many nodes the network has from the
// peers a node knows. Peers sharing i leading bits with the node should
// number about N/2^(i+1); buckets that hold fewer than k peers are taken to
// be complete, so from the first such bucket b on, the node knows all M
// nodes that share at least b bits with it, and N ≈ (M+1)·2^b.
func EstimateNetworkSize(self identity.Overlay, peers []identity.Overlay) float64 {
	var buckets [257]int
	seen := map[identity.Overlay]bool{}
	for _, p := range peers {
		if p == self || seen[p] {
			continue
		}
		seen[p] = true
		buckets[commonPrefix(p, self[:], 256)]++
	}
	for b := 0; b <= 256; b++ {
		if buckets[b] >= bucketSize {
			continue
		}
		m := 0
		for j := b; j <= 256; j++ {
			m += buckets[j]
		}
		return float64(m+1) * math.Pow(2, float64(b))
	}
	return float64(len(seen) + 1)
}

// AdviseLuminosity is the largest luminosity that still leaves at least
// anonymity candidate recipients in a network of n nodes (0 when even a
// broadcast cannot reach that many).
func AdviseLuminosity(n float64, anonymity int) int {
	if anonymity <= 1 {
		return 256
	}
	if n <= float64(anonymity) {
		return 0
	}
	return min(256, int(math.Floor(math.Log2(n/float64(anonymity)))))
}

// EstimateCost predicts the copies one packet costs: the hops to reach the
// zone, then, inside it, every member passing it to each zone member it is
// connected to (at most k per bucket, so at most about k·log2 of the zone).
func EstimateCost(n float64, bits int) Estimate {
	zone := math.Max(1, n/math.Pow(2, float64(bits)))
	// Kademlia's greedy route gains about log2(k) bits of prefix per hop
	// until the zone (or the single recipient) is reached.
	outside := math.Max(0, math.Log2(n)-math.Log2(zone))
	hops := math.Ceil(outside / math.Log2(bucketSize))
	if bits == 256 || zone <= 1 {
		return Estimate{NetworkSize: n, Luminosity: bits, ZoneSize: 1, Hops: math.Max(1, hops), ExpectedCopies: math.Max(1, hops)}
	}
	degree := math.Min(zone-1, bucketSize*math.Max(1, math.Log2(zone)))
	return Estimate{NetworkSize: n, Luminosity: bits, ZoneSize: zone, Hops: hops, ExpectedCopies: hops + zone*degree}
}
