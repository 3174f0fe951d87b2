package route

import (
	"math/bits"

	"github.com/mainframe/mf/pkg/identity"
)

// The forwarding rule, kept free of libp2p so that the daemon and the
// network simulator (mf-route sim) run exactly the same code.
//
// A destination is a prefix of an overlay address (its luminosity is the
// number of bits). For each destination a node either
//
//   - lies in the zone (its address starts with the prefix): it is a
//     candidate recipient and tries to open the packet, and passes the
//     packet to every connected peer that also lies in the zone, so that
//     every zone member gets a copy and none stands out as the recipient;
//     a fully addressed packet (256 bits) stops at its one zone member;
//   - or lies outside: it passes the packet to the one connected peer whose
//     address shares the longest prefix with the destination (Kademlia's
//     greedy step), preferring peers closer than itself. Where no peer is
//     closer (a sparse or fixed topology), the closest other peer still
//     takes it; packet ids and the ttl stop loops.
//
// The previous hop never gets the packet back.

// Dest is one destination of a packet: the first Bits bits of an overlay
// address.
type Dest struct {
	Bits   uint16
	Prefix []byte

	// Index and Path prove a group packet's destination against the
	// sender's commitment (dests.go); other packets leave them empty.
	Index uint8
	Path  [][32]byte
}

// Matches reports whether overlay o lies in the destination's zone.
func (d Dest) Matches(o identity.Overlay) bool { return matchesPrefix(o, d.Prefix, d.Bits) }

// Proximity is how many leading bits of o agree with the destination, at most
// its luminosity: higher is closer.
func (d Dest) Proximity(o identity.Overlay) int { return commonPrefix(o, d.Prefix, d.Bits) }

// Decision is what a node does with one destination of a packet.
type Decision struct {
	// InZone: this node is a candidate recipient and should try to open.
	InZone bool
	// Next lists the peers (indexes into the peer list) to pass it to.
	Next []int
	// Closest is true when no peer is closer to the destination than this
	// node (used by certified delivery to point at the recipient's
	// neighbourhood).
	Closest bool
}

// Decide applies the forwarding rule for destination d at a node with
// address self, connected to peers; from is the index of the previous hop
// in peers, or -1.
func Decide(self identity.Overlay, peers []identity.Overlay, from int, d Dest) Decision {
	var dec Decision
	if d.Matches(self) {
		dec.InZone = true
		dec.Closest = true
		if d.Bits == 256 {
			return dec
		}
		for i, p := range peers {
			if i != from && d.Matches(p) {
				dec.Next = append(dec.Next, i)
			}
		}
		return dec
	}
	mine := d.Proximity(self)
	best, bestP := -1, -1
	for i, p := range peers {
		if i == from {
			continue
		}
		if pr := d.Proximity(p); pr > bestP {
			best, bestP = i, pr
		}
	}
	dec.Closest = bestP <= mine
	if best >= 0 {
		dec.Next = []int{best}
	}
	return dec
}

// commonPrefix is how many of the first bits of o agree with the prefix,
// at most nbits.
func commonPrefix(o identity.Overlay, prefix []byte, nbits uint16) int {
	n := 0
	for i := 0; i < len(prefix); i++ {
		x := o[i] ^ prefix[i]
		if x != 0 {
			n += bits.LeadingZeros8(x)
			break
		}
		n += 8
	}
	return min(n, int(nbits))
}
