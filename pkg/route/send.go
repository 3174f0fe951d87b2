package route

import (
	"context"
	"encoding/binary"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/identity"
)

// Send seals payload to the target and routes it; it returns the packet id
// once the packet is queued on the first hop.
func (n *Node) Send(ctx context.Context, to *identity.Card, topic string, flags byte, payload []byte) ([32]byte, error) {
	p, err := SealPacket(n.id, to.Public, 256, byte(n.opts.TTL), topic, flags, payload)
	if err != nil {
		return [32]byte{}, err
	}
	if to.PeerID() != n.host.ID() {
		// A direct connection is the shortest path; where it cannot be had
		// (firewalls, fixed topologies) the packet goes through relays.
		_ = n.connect(ctx, peer.AddrInfo{ID: to.PeerID(), Addrs: to.Addrs})
	}
	raw := p.Marshal()
	return PacketID(raw), n.handlePacket(ctx, p, raw, "")
}

// sendTo is Send for a recipient known only by its public keys (a reply).
func (n *Node) sendTo(ctx context.Context, to identity.Public, topic string, payload []byte) error {
	p, err := SealPacket(n.id, to, 256, byte(n.opts.TTL), topic, 0, payload)
	if err != nil {
		return err
	}
	return n.handlePacket(ctx, p, p.Marshal(), "")
}

// BenchAckTopic carries the receiver's acknowledgements of bench packets:
// a list of (first 8 bytes of the packet id, receive time in unix
// nanoseconds) pairs.
const BenchAckTopic = "mf/bench/ack"

// benchAcker batches acknowledgements per sender so that measuring does not
// double the traffic being measured.
type benchAcker struct {
	n       *Node
	mu      sync.Mutex
	pending map[identity.Overlay]*benchBatch
	kick    chan struct{}
}

type benchBatch struct {
	to      identity.Public
	entries []byte
}

const benchBatchMax = 256

func newBenchAcker(n *Node) *benchAcker {
	return &benchAcker{n: n, pending: map[identity.Overlay]*benchBatch{}, kick: make(chan struct{}, 1)}
}

func (b *benchAcker) ack(id [32]byte, env *Envelope, at time.Time) {
	o := env.Sender.Overlay()
	b.mu.Lock()
	bb := b.pending[o]
	if bb == nil {
		bb = &benchBatch{to: env.Sender}
		b.pending[o] = bb
	}
	bb.entries = append(bb.entries, id[:8]...)
	bb.entries = binary.BigEndian.AppendUint64(bb.entries, uint64(at.UnixNano()))
	full := len(bb.entries) >= benchBatchMax*16
	b.mu.Unlock()
	if full {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
}

func (b *benchAcker) run(ctx context.Context) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.kick:
		}
		b.mu.Lock()
		batches := b.pending
		b.pending = map[identity.Overlay]*benchBatch{}
		b.mu.Unlock()
		for _, bb := range batches {
			for len(bb.entries) > 0 {
				k := min(len(bb.entries), benchBatchMax*16)
				if err := b.n.sendTo(ctx, bb.to, BenchAckTopic, bb.entries[:k]); err != nil {
					b.n.log.Debug("bench ack", "err", err)
				}
				bb.entries = bb.entries[k:]
			}
		}
	}
}
