package route

import (
	"context"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
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
		if n.speaks(p) {
			out = append(out, p)
		}
	}
	return out
}

func (n *Node) speaks(p peer.ID) bool {
	ok, err := n.host.Peerstore().SupportsProtocols(p, ProtocolID)
	return err == nil && len(ok) > 0
}

// probe asks a peer whose identify failed whether it speaks /mf/route/1, by
// opening a stream on it: on a loaded machine identify can take longer than
// its 5 s limit, and a peer left unidentified would never become a
// neighbour. A few tries, while the peer stays connected.
func (n *Node) probe(ctx context.Context, p peer.ID) {
	for try, wait := 0, time.Second; try < 3; try, wait = try+1, wait*4 {
		if !live(n.host.Network().Connectedness(p)) || n.speaks(p) {
			return
		}
		sctx, cancel := context.WithTimeout(network.WithAllowLimitedConn(ctx, "mf probe"), 20*time.Second)
		s, err := n.host.NewStream(sctx, p, ProtocolID)
		cancel()
		if err == nil {
			// The stream was negotiated: the peer speaks the protocol (the
			// host notes it in the peerstore; so do we, to be sure).
			s.Close()
			_ = n.host.Peerstore().AddProtocols(p, ProtocolID)
			n.refreshNeighbours()
			return
		}
		n.log.Debug("probing a peer whose identify failed", "peer", p, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
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
