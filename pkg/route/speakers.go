package route

import (
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"
)

// speakers keeps the peers that said, in identify, that they speak
// /mf/route/1. Anything else that connects (a kubo node dialled with ipfs
// swarm connect, a DHT crawler) cannot take packets: picked as the next hop,
// it would lose every packet sent its way. A peer whose identify has not
// finished yet is left out until it has (watchIdentify refreshes the
// neighbours then).
func (n *Node) speakers(ps []peer.ID) []peer.ID {
	out := ps[:0]
	for _, p := range ps {
		if ok, err := n.host.Peerstore().SupportsProtocols(p, ProtocolID); err == nil && len(ok) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// ensureNeighbour reads the neighbours anew when p, just connected and
// identified, is not among them yet: the identify event that would add it
// is handled asynchronously, and a packet sent right after the dial should
// take the direct connection.
func (n *Node) ensureNeighbour(p peer.ID) {
	if nb := n.neighbours.Load(); nb == nil || !slices.Contains(nb.peers, p) {
		n.refreshNeighbours()
	}
}
