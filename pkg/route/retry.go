package route

import (
	"context"

	"github.com/libp2p/go-libp2p/core/peer"
)

// outFrame is one frame queued for a peer. retry is set for a packet that
// another peer may carry instead: one outside its zone, which Decide gave
// to a single peer. Frames without it (receipts, zone copies, group
// packets, hand-backs) are lost with the stream they were written to.
type outFrame struct {
	b     []byte
	retry *retry
}

// retry is what moving a frame on needs besides its bytes and the packet's
// trail (backtrack.go): the previous hop, should the trail have been
// forgotten.
type retry struct {
	from peer.ID
}

// failed handles a frame that could not be written to peer p: the stream
// reset, the connection closed, or no stream would open. It is moved on
// (onward) if it may be; else it is lost, counted, and a certified
// packet's hop states that it could not pass the packet on.
func (n *Node) failed(f outFrame, p peer.ID) {
	// A node shutting down empties its writers' queues here: nothing is
	// rerouted then, which would start new writers.
	if id, _, _, ok := frameDest(f.b); ok && f.retry != nil && n.ctx.Err() == nil {
		n.trails.with(id, true, f.retry.from, func(t *Trail[peer.ID]) { t.Offered(p) })
		n.onward(n.ctx, f, f.retry.from)
		return
	}
	n.stats.SendFailed.Add(1)
	n.undeliverable(f.b)
}

// onward moves a packet on after the peer it was offered to could not take
// it (the write failed) or gave it back: to the connected peer closest to
// its destination that has not had it yet (Trail.Next), and on to the next
// while writes fail, up to MaxAttempts peers in all; with none left, back
// to the peer it came from, so that that one tries its next option; at its
// sender, nowhere: it gave up, and reports ErrNoRoute. The frame is written
// unchanged: the ttl was already decremented for this hop, and a certified
// frame keeps its bond; a new peer is noted as asked for proof, so that its
// receipt counts, and a certified packet handed back is signed for
// (ReceiptReturned). from is the previous hop, used only where the packet's
// trail was forgotten.
func (n *Node) onward(ctx context.Context, f outFrame, from peer.ID) error {
	id, p, certified, ok := frameDest(f.b)
	if !ok {
		n.stats.SendFailed.Add(1)
		return ErrNoRoute
	}
	d := p.Dest()
	for {
		peers, overlays, _ := n.neighbourhood("")
		var next peer.ID
		found, back, origin := false, false, false
		n.trails.with(id, true, from, func(t *Trail[peer.ID]) {
			i, b := t.Next(peers, overlays, d)
			switch {
			case i >= 0:
				next, found = peers[i], true
			case b:
				next, back = t.Prev, true
			}
			origin = t.Origin
		})
		switch {
		case found:
			if certified {
				n.certs.askedFor(id, []peer.ID{next})
			}
			n.stats.Rerouted.Add(1)
			n.log.Debug("offering packet to the next-closest peer", "id", shortID(id), "next", next)
			if err := n.writer(next).sendFrame(ctx, outFrame{b: f.b, retry: &retry{from: from}}); err == nil {
				return nil
			}
		case back:
			n.stats.Backtracked.Add(1)
			n.log.Debug("handing packet back", "id", shortID(id), "to", next)
			if certified {
				// Signed before the packet goes, on the same stream: the
				// sender has it before the packet can come back to it.
				n.sign(id, ReceiptReturned)
			}
			if err := n.writer(next).sendFrame(ctx, outFrame{b: f.b}); err != nil {
				n.stats.SendFailed.Add(1)
				n.undeliverable(f.b)
			}
			return nil
		default:
			n.stats.NoRoute.Add(1)
			n.log.Debug("no way on for packet", "id", shortID(id))
			if certified {
				if origin {
					n.certs.exhausted(id)
				} else {
					// Handed back once already: it is dropped here.
					n.sign(id, ReceiptUnreachable)
				}
			}
			return ErrNoRoute
		}
	}
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
