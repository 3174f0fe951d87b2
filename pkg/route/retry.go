package route

import (
	"context"
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"
)

// outFrame is one frame queued for a peer. retry is set for a packet that
// another peer may carry instead: one outside its zone, which Decide gave
// to a single peer. Frames without it (receipts, zone copies, group
// packets) are lost with the stream they were written to.
type outFrame struct {
	b     []byte
	retry *retry
}

// retry is what rerouting a frame needs besides its bytes: the previous hop,
// which must not get the packet back, and the peers already offered it.
// Only the goroutine that holds the frame touches it.
type retry struct {
	from  peer.ID
	tried []peer.ID
}

// failed handles a frame that could not be written to peer p: the stream
// reset, the connection closed, or no stream would open. It is offered to
// the next-closest peer if it may be; else it is lost, counted, and a
// certified packet's hop states that it could not pass the packet on.
func (n *Node) failed(f outFrame, p peer.ID) {
	// A node shutting down empties its writers' queues here: nothing is
	// rerouted then, which would start new writers.
	if f.retry != nil && n.ctx.Err() == nil && n.reroute(n.ctx, f, p) {
		return
	}
	n.stats.SendFailed.Add(1)
	n.undeliverable(f.b)
}

// reroute offers frame f, whose write to peer failed, to the connected peer
// closest to its destination that has not had it yet (NextClosest), and on
// to the next while writes fail, up to MaxAttempts peers in all. It reports
// whether some peer took it. The frame is written unchanged: the ttl was
// already decremented for this hop, and a certified frame keeps its bond; the
// new peer is noted as asked for proof, so that its receipt counts.
func (n *Node) reroute(ctx context.Context, f outFrame, failed peer.ID) bool {
	r := f.retry
	r.tried = append(r.tried, failed)
	id, p, certified, ok := frameDest(f.b)
	if !ok {
		return false
	}
	d := p.Dest()
	for len(r.tried) < MaxAttempts {
		peers, overlays, _ := n.neighbourhood("")
		i := NextClosest(overlays, d, func(i int) bool { return peers[i] == r.from || slices.Contains(r.tried, peers[i]) })
		if i < 0 {
			return false
		}
		next := peers[i]
		if certified {
			n.certs.askedFor(id, []peer.ID{next})
		}
		n.stats.Rerouted.Add(1)
		n.log.Debug("offering packet to the next-closest peer", "id", shortID(id), "failed", failed, "next", next)
		if err := n.writer(next).sendFrame(ctx, f); err == nil {
			return true
		}
		r.tried = append(r.tried, next)
	}
	return false
}

// frameDest reads the packet id and packet (for its destination) back out of
// a data frame, plain or certified.
func frameDest(frame []byte) (id [32]byte, p *Packet, certified bool, ok bool) {
	raw := frame
	if len(frame) > 0 && frame[0] == frameCertified {
		_, r, err := decodeCertified(frame[1:])
		if err != nil {
			return id, nil, false, false
		}
		raw, certified = r, true
	}
	p, err := UnmarshalPacket(raw)
	if err != nil {
		return id, nil, false, false
	}
	return PacketID(raw), p, certified, true
}
