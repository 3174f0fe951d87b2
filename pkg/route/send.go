package route

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/seal"
)

// SendOptions describe one packet to send.
type SendOptions struct {
	Topic   string
	Payload []byte
	Flags   byte
	// Luminosity is how many bits of the recipient's overlay address the
	// packet discloses: 256 is direct delivery, 0 a broadcast.
	Luminosity int
	// Certify asks for proof of delivery (see certify.go).
	Certify bool
}

// Send seals a packet to the target and routes it; it returns the packet id
// once the packet is queued on its first hop(s).
func (n *Node) Send(ctx context.Context, to *identity.Card, o SendOptions) ([32]byte, error) {
	if o.Luminosity < 0 || o.Luminosity > 256 {
		return [32]byte{}, fmt.Errorf("route: luminosity must be 0..256, not %d", o.Luminosity)
	}
	bits := uint16(o.Luminosity)
	p, err := SealPacket(n.id, to.Public, bits, byte(n.opts.TTL), o.Topic, o.Flags, o.Payload)
	if err != nil {
		return [32]byte{}, err
	}
	if bits == 256 && to.PeerID() != n.host.ID() {
		// A direct connection is the shortest path; where it cannot be had
		// (firewalls, fixed topologies) the packet goes through relays. A
		// dark packet never dials its recipient: that would name it.
		if n.connect(ctx, peer.AddrInfo{ID: to.PeerID(), Addrs: to.Addrs}) == nil {
			n.ensureNeighbour(to.PeerID())
		}
	}
	raw := p.Marshal()
	id := PacketID(raw)
	n.hold.sent(to.Public, raw, id, o.Certify)
	if !o.Certify {
		return id, n.handlePacket(ctx, p, raw, "", nil)
	}
	rec := &sentRecord{SentRecord: SentRecord{
		ID: fmt.Sprintf("%x", id), To: to.Overlay(), Bits: int(bits), Topic: o.Topic,
		Bond: n.opts.Bond, SentAt: time.Now(), Status: StatusPending,
	}}
	for _, pid := range n.firstHops(p) {
		rec.FirstHops = append(rec.FirstHops, pid.String())
	}
	n.certs.track(id, "", 0)
	n.certs.started(id, rec)
	bond := n.opts.Bond
	if err := n.handlePacket(ctx, p, raw, "", &bond); err != nil {
		// Nothing left this node: it is the hop without proof.
		rc, serr := routeapi.SignReceipt(n.id, id, ReceiptUnreachable, identity.Overlay{})
		if serr == nil {
			n.certs.settle(rc)
		}
		return id, err
	}
	return id, nil
}

// SendSession sends payload inside a session: sealed with the session key,
// addressed to the session peer at the session's luminosity.
func (n *Node) SendSession(ctx context.Context, topic string, flags byte, payload []byte) ([32]byte, error) {
	x := n.sess.get(topic)
	if x == nil {
		return [32]byte{}, fmt.Errorf("%w: %s", ErrNoSession, topic)
	}
	x = n.sess.propose(x, false)
	p, err := sealSession(x, byte(n.opts.TTL), uint16(x.Luminosity), flags, x.control(), true, payload)
	if err != nil {
		return [32]byte{}, err
	}
	raw := p.Marshal()
	id := PacketID(raw)
	// A session packet goes to the peer's delegates too, as a Send does:
	// a peer that is offline gets it from them when it is back (hold.go).
	n.hold.sent(x.peer, raw, id, false)
	return id, n.handlePacket(ctx, p, raw, "", nil)
}

// SendGroup multicasts payload to a group's members.
func (n *Node) SendGroup(ctx context.Context, name string, flags byte, payload []byte) ([32]byte, int, error) {
	x, err := n.groups.get(name)
	if err != nil {
		return [32]byte{}, 0, err
	}
	p, err := n.groups.seal(x, byte(n.opts.TTL), flags, payload)
	if err != nil {
		return [32]byte{}, 0, err
	}
	// Each member's delegates get the copy for that member (hold.go).
	n.hold.sentGroup(x, p)
	return p.ID(), len(p.Dests), n.handlePacket(ctx, p, nil, "", nil)
}

// firstHops are the peers a packet will leave this node through.
func (n *Node) firstHops(p *Packet) []peer.ID {
	peers, overlays, _ := n.neighbourhood("")
	var out []peer.ID
	for _, i := range Decide(n.self, overlays, -1, p.Dest()).Next {
		out = append(out, peers[i])
	}
	return out
}

// sendTo is Send for a recipient known only by its public keys (a reply).
func (n *Node) sendTo(ctx context.Context, to identity.Public, topic string, payload []byte) error {
	p, err := SealPacket(n.id, to, 256, byte(n.opts.TTL), topic, 0, payload)
	if err != nil {
		return err
	}
	return n.handlePacket(ctx, p, p.Marshal(), "", nil)
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
	// wake rouses an idle acker at the first ack; full cuts a gathering
	// short when a batch fills. They are apart because the first ack after
	// each flush is "first" again: with one channel it cut every wait
	// short, and acks went out one or two a packet, doubling the traffic
	// being measured and the sealing at both ends.
	wake, full chan struct{}
	sent       atomic.Int64 // ack packets sent, for tests
}

type benchBatch struct {
	to      identity.Public
	entries []byte
}

const benchBatchMax = 256

func newBenchAcker(n *Node) *benchAcker {
	return &benchAcker{n: n, pending: map[identity.Overlay]*benchBatch{}, wake: make(chan struct{}, 1), full: make(chan struct{}, 1)}
}

func (b *benchAcker) ack(id [32]byte, env *Envelope, at time.Time) {
	o := env.Sender.Overlay()
	b.mu.Lock()
	first := len(b.pending) == 0
	bb := b.pending[o]
	if bb == nil {
		bb = &benchBatch{to: env.Sender}
		b.pending[o] = bb
	}
	bb.entries = append(bb.entries, id[:8]...)
	bb.entries = binary.BigEndian.AppendUint64(bb.entries, uint64(at.UnixNano()))
	full := len(bb.entries) >= benchBatchMax*16
	b.mu.Unlock()
	kick := func(c chan struct{}) {
		select {
		case c <- struct{}{}:
		default:
		}
	}
	if first {
		kick(b.wake)
	}
	if full {
		kick(b.full)
	}
}

// sealTo is the key to seal acks to: the sender's, as its packet named
// it, or its card's when the packet did not carry its encryption key (a
// session packet names only the peer's identity key).
func (b *benchAcker) sealTo(ctx context.Context, to identity.Public) identity.Public {
	if to.Enc != (seal.PublicKey{}) {
		return to
	}
	if t, err := b.n.Resolve(ctx, to.Overlay().String()); err == nil {
		return t.Card.Public
	}
	return to
}

// run sends the pending acks in batches. An idle node sleeps until the
// first ack (wake); acks then go out every benchAckEvery, or at once when
// a batch is full, until none are left. (A ticker that ran all the time
// woke every daemon 50 times a second for nothing.)
func (b *benchAcker) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		}
		for busy := true; busy; {
			select {
			case <-ctx.Done():
				return
			case <-time.After(benchAckEvery):
			case <-b.full:
			}
			busy = b.flush(ctx)
		}
	}
}

// benchAckEvery is how long acks gather before they go out.
const benchAckEvery = 20 * time.Millisecond

// flush sends every pending ack, and reports whether there were any.
func (b *benchAcker) flush(ctx context.Context) bool {
	b.mu.Lock()
	batches := b.pending
	b.pending = map[identity.Overlay]*benchBatch{}
	b.mu.Unlock()
	for _, bb := range batches {
		for len(bb.entries) > 0 {
			k := min(len(bb.entries), benchBatchMax*16)
			b.sent.Add(1)
			if err := b.n.sendTo(ctx, b.sealTo(ctx, bb.to), BenchAckTopic, bb.entries[:k]); err != nil {
				b.n.log.Debug("bench ack", "err", err)
			}
			bb.entries = bb.entries[k:]
		}
	}
	return len(batches) > 0
}
