package route

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/seal"
	"github.com/mainframe/mf/pkg/wire"
)

// How packets move. Each node keeps at most one outgoing /mf/route/1 stream
// per peer and writes packets to it as varint-length frames; the other side
// reads frames until the stream ends. A packet is handled the same way
// wherever it comes from (the local API or a peer):
//
//  1. drop it if its id was seen in the last minutes (loops, duplicates),
//     unless this copy has more ttl than every earlier one: then it only
//     goes on again (step 3), so that a copy sent ahead with ttl 1 cannot
//     stop the genuine packet;
//  2. if this node lies in the addressed zone, try to open it: if it opens,
//     deliver it; a fully addressed packet that does not open was altered
//     and is dropped and counted;
//  3. otherwise pass it on, ttl-1, to the connected peer closest to the
//     destination prefix, never back to the peer it came from; if the write
//     to that peer fails, or the packet comes back, to the next-closest
//     (retry.go), and with none left back to the peer it came from
//     (backtrack.go).
//
// A relay that listens on the packet's topic tries to open it too (it might
// be a zone member later; see the dark-routing issue) and counts the
// failure: it holds the ciphertext but cannot read it.

// ErrNoRoute means no connected peer can take a packet on.
var ErrNoRoute = errors.New("route: no route: no connected peer to pass the packet to")

// handleStream reads packets from a peer until the stream ends. Bytes that do
// not parse as a frame end the stream; frames that do not parse as packets
// are dropped and counted.
func (n *Node) handleStream(s network.Stream) {
	from := s.Conn().RemotePeer()
	br := bufio.NewReaderSize(s, 64<<10)
	var buf []byte
	for {
		frame, err := wire.ReadFrame(br, buf, MaxPacket)
		if err == io.EOF {
			s.Close()
			return
		}
		if err != nil {
			// An oversized or cut-off frame, or a reset: the rest of the
			// stream cannot be trusted to be in step.
			if !errors.Is(err, network.ErrReset) {
				n.stats.BadFrames.Add(1)
				n.log.Debug("closing stream after bad frame", "peer", from, "err", err)
			}
			s.Reset()
			return
		}
		buf = frame[:0]
		n.stats.Received.Add(1)
		if n.blocked(from) {
			n.stats.Refused.Add(1)
			continue
		}
		n.meter.of(from).in.Add(uint64(len(frame)))
		n.act.bump()
		if err := n.handleFrame(frame, from); err != nil {
			n.stats.BadPackets.Add(1)
			n.log.Debug("dropping malformed frame", "peer", from, "err", err)
		}
	}
}

// handleFrame dispatches one frame from a peer. The frame buffer is reused
// for the next read: everything kept is copied.
func (n *Node) handleFrame(frame []byte, from peer.ID) error {
	if len(frame) == 0 {
		return ErrPacket
	}
	switch frame[0] {
	case frameCertified:
		bond, raw, err := decodeCertified(frame[1:])
		if err != nil {
			return err
		}
		p, err := UnmarshalPacket(raw)
		if err != nil {
			return err
		}
		n.handlePacket(n.ctx, p, raw, from, &bond)
	case frameReceipt:
		rc, err := routeapi.DecodeReceipt(frame[1:])
		if err != nil {
			return err
		}
		n.certs.receipt(rc, from)
	default:
		p, err := UnmarshalPacket(frame)
		if err != nil {
			return err
		}
		n.handlePacket(n.ctx, p, frame, from, nil)
	}
	return nil
}

// handlePacket routes one packet; raw is its encoding, and from is empty for
// packets sent locally. bond is not nil for a certified packet. Neither p nor
// raw is kept after it returns.
func (n *Node) handlePacket(ctx context.Context, p *Packet, raw []byte, from peer.ID, bond *uint64) error {
	if p.Kind == KindGroup {
		return n.handleGroupPacket(ctx, p, from)
	}
	id := PacketID(raw)
	// again: a copy of a packet already handled that carries more ttl than
	// any before it. It goes on again, but is not delivered twice.
	first, more := n.seen.see(id, p.TTL)
	again := !first
	if again && !more {
		n.stats.Duplicates.Add(1)
		switch {
		case from == "":
		case p.Matches(n.self):
			if bond != nil && p.Bits < 256 {
				// A zone member asked for proof of a dark packet it
				// already took (another member's copy came first) signs
				// all the same, for the peer that asked: else that peer
				// waits in vain.
				n.signFor(id, from, ReceiptReceived, *bond)
			}
		default:
			// Outside the zone a copy may come back: given back by a
			// peer that could not take it on, or round a loop
			// (backtrack.go).
			n.cameAgain(ctx, id, p, raw, from, bond)
		}
		return nil
	}
	if bond != nil && from != "" && n.certs.track(id, from, *bond) {
		// This hop answers for the packet from now on, and says so first:
		// a sender that hears nothing more can follow these to the hop
		// that went silent.
		n.sign(id, ReceiptTaken)
		if n.opts.DropCertified {
			// The test-only fault: a relay that takes the packet and
			// then drops it, showing nothing.
			return nil
		}
	}
	peers, overlays, fromIdx := n.neighbourhood(from)
	dec := Decide(n.self, overlays, fromIdx, p.Dest())
	if from == "" && p.Bits == 256 && !dec.InZone {
		// A reply goes back the way the peer's packets came, when that
		// neighbour is still here: it found a path once.
		if hop, ok := n.hints.lookup(identity.Overlay(p.Prefix)); ok {
			for i, pid := range peers {
				if pid == hop {
					dec.Next = []int{i}
				}
			}
		}
	}
	opened := false
	if dec.InZone {
		opened = !again && n.tryOpen(id, p, from, bond != nil)
		// A zone member asked for proof signs that it took the packet; in
		// a dark zone every asked member does, recipient or not.
		if bond != nil && (opened || from != "" && p.Bits < 256) {
			n.sign(id, ReceiptReceived)
		} else if bond != nil && again && from != "" {
			n.signFor(id, from, ReceiptReceived, *bond) // it took the earlier copy
		}
		if p.Bits == 256 {
			return nil
		}
	} else if from != "" && !again && p.Kind == KindData && n.subs.listening(p.Topic) {
		// Trial decryption on a watched topic: a relay holds the bytes but,
		// not being the recipient, cannot open them.
		if _, err := OpenPacket(n.opener, p); err != nil {
			n.stats.NotForUs.Add(1)
		}
	}
	if from != "" {
		if p.TTL <= 1 {
			n.stats.Expired.Add(1)
			if bond != nil && !dec.InZone {
				n.sign(id, ReceiptUnreachable)
			}
			return nil
		}
		p.TTL--
	}
	if len(dec.Next) == 0 {
		if dec.InZone && (from != "" || opened) {
			return nil // a zone with no other member here
		}
		if from == "" {
			return ErrNoRoute
		}
		// A dead end: no peer but the previous hop. The packet goes back
		// to it, to try its next option (backtrack.go); a certified one
		// too, with this hop's statement that it handed it back. A peer
		// that shares no more bits than this node still takes a packet,
		// certified or not: on a sparse topology that is the way on.
		out := append([]byte(nil), raw...)
		out[ttlOffset] = p.TTL
		if bond != nil {
			out = certifiedFrame(*bond, out)
		}
		n.onward(ctx, outFrame{b: out, retry: &retry{from: from}}, from)
		return nil
	}
	if from != "" {
		n.stats.Relayed.Add(1)
	}
	var firstErr error
	var bondOut uint64
	if bond != nil {
		bondOut = *bond
		if from != "" {
			bondOut -= min(bondOut, n.opts.BondFee)
		}
	}
	var certified []peer.ID
	outs := make([][]byte, len(dec.Next))
	ask := make([]bool, len(dec.Next))
	if bond != nil {
		asked := false
		for k := range ask {
			ask[k] = !dec.InZone || askReceipt(n.opts.ReceiptFraction)
			asked = asked || ask[k]
		}
		if !asked && len(ask) > 0 {
			// Inside a dark zone only a random share is asked, but never
			// none: a packet nobody may answer for cannot be certified.
			ask[rand.IntN(len(ask))] = true
		}
	}
	for k, i := range dec.Next {
		out := append([]byte(nil), raw...)
		out[ttlOffset] = p.TTL
		if ask[k] {
			out = certifiedFrame(bondOut, out)
			certified = append(certified, peers[i])
		}
		outs[k] = out
	}
	// Record who was asked for proof before anything leaves: a fast
	// receipt must find its entry.
	if bond != nil {
		n.certs.offer(id, bondOut)
		n.certs.askedFor(id, certified)
		if from != "" {
			n.certs.relayed(id, from, certified, *bond, bondOut)
		}
	}
	// Outside the zone one peer carries the packet; should the write to it
	// fail, or the packet come back, the next-closest peer is offered it,
	// and so on (onward).
	var rt *retry
	if !dec.InZone {
		rt = &retry{from: from}
		n.trails.with(id, true, from, func(t *Trail[peer.ID]) { t.Offered(peers[dec.Next[0]]) })
	}
	for k, i := range dec.Next {
		f := outFrame{b: outs[k], retry: rt}
		if err := n.writer(peers[i]).sendFrame(ctx, f); err != nil {
			if rt != nil {
				return n.onward(ctx, f, from)
			}
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	return firstErr
}

// cameAgain handles a copy of a packet outside its zone that this node
// passed on already: one given back by a peer it handed it to goes on to
// the next option, one that came round a loop goes back to the peer that
// sent it, and the rest (resends, and copies answered already) are
// dropped, as every duplicate was before backtracking. See backtrack.go for
// the bounds.
func (n *Node) cameAgain(ctx context.Context, id [32]byte, p *Packet, raw []byte, from peer.ID, bond *uint64) {
	arr := Drop
	var prev peer.ID
	n.trails.with(id, false, "", func(t *Trail[peer.ID]) {
		if t != nil {
			arr, prev = t.Arrived(from), t.Prev
		}
	})
	if arr == Drop {
		return
	}
	if p.TTL <= 1 {
		// A plain packet is dropped here, and so a certified one is
		// stated unreachable, by the hop the walk ends at.
		n.stats.Expired.Add(1)
		if bond != nil && arr == Looped {
			n.signFor(id, from, ReceiptUnreachable, *bond)
		} else if bond != nil {
			n.sign(id, ReceiptUnreachable)
		}
		return
	}
	out := append([]byte(nil), raw...)
	out[ttlOffset] = p.TTL - 1
	if bond != nil {
		out = certifiedFrame(*bond, out)
	}
	if arr == CameBack {
		n.onward(ctx, outFrame{b: out, retry: &retry{from: prev}}, prev)
		return
	}
	n.stats.Backtracked.Add(1)
	if bond != nil {
		// The peer that sent it asked this node for proof: it hears that
		// the copy went back, signed, before the copy does.
		n.signFor(id, from, ReceiptReturned, *bond)
	}
	if err := n.writer(from).send(ctx, out); err != nil {
		n.log.Debug("looped copy not given back", "err", err)
	}
}

// handleGroupPacket routes a multicast packet: members among the
// destinations open it, and the rest of the destinations go on grouped by
// next hop, one copy per next hop.
func (n *Node) handleGroupPacket(ctx context.Context, p *Packet, from peer.ID) error {
	id := p.ID()
	// Copies of one packet may carry different destination lists after a
	// split, so forwarding dedupes on the id plus the list, and delivery on
	// the id alone.
	var w wire.Writer
	w.Fixed(id[:])
	for _, d := range p.Dests {
		w.Uint16(d.Bits)
		w.Fixed(d.Prefix)
	}
	// A copy with more ttl than the one seen goes on again (see
	// handlePacket); delivery stays once, on the id alone.
	if first, more := n.seen.see(sha256.Sum256(w.B), p.TTL); !first && !more {
		n.stats.Duplicates.Add(1)
		return nil
	}
	peers, overlays, fromIdx := n.neighbourhood(from)
	inZone := false
	byHop := map[int][]Dest{}
	var order []int
	for _, d := range p.Dests {
		dec := Decide(n.self, overlays, fromIdx, d)
		inZone = inZone || dec.InZone
		for _, i := range dec.Next {
			if _, ok := byHop[i]; !ok {
				order = append(order, i)
			}
			byHop[i] = append(byHop[i], d)
		}
		if !dec.InZone && len(dec.Next) == 0 && from != "" {
			n.stats.NoRoute.Add(1)
		}
	}
	if inZone && n.seen.add(groupDeliveryKey(id)) {
		n.tryOpen(id, p, from, false)
	}
	if from != "" {
		if p.TTL <= 1 {
			n.stats.Expired.Add(1)
			return nil
		}
		p.TTL--
	}
	if from == "" && len(p.Dests) == 1 && p.Dests[0].Bits == 256 && !inZone {
		// A packet of this node's to one member (group receipts) goes
		// back the way that member's packets came, when that neighbour
		// is still here, as a reply does (handlePacket).
		if hop, ok := n.hints.lookup(identity.Overlay(p.Dests[0].Prefix)); ok {
			if i := slices.Index(peers, hop); i >= 0 {
				order, byHop = []int{i}, map[int][]Dest{i: p.Dests}
			}
		}
	}
	if len(order) == 0 {
		if from == "" && !inZone {
			return ErrNoRoute
		}
		return nil
	}
	if from != "" {
		n.stats.Relayed.Add(1)
	}
	var firstErr error
	for _, i := range order {
		q := *p
		q.Dests = byHop[i]
		if err := n.writer(peers[i]).send(ctx, q.Marshal()); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// sign issues a receipt for packet id and sends it back the way the packet
// came, naming the peer that handed it over.
func (n *Node) sign(id [32]byte, kind byte) {
	rc, err := routeapi.SignReceipt(n.id, id, kind, n.certs.prevOf(id))
	if err != nil {
		n.log.Warn("signing receipt", "err", err)
		return
	}
	n.certs.receipt(rc, "")
}

// signFor signs a receipt of kind for packet id and sends it to the peer
// that asked, whichever way the packet first came; bond is what that peer
// offered with its copy.
func (n *Node) signFor(id [32]byte, to peer.ID, kind byte, bond uint64) {
	rc, err := routeapi.SignReceipt(n.id, id, kind, identity.OverlayOf(to))
	if err != nil {
		n.log.Warn("signing receipt", "err", err)
		return
	}
	n.certs.signedFor(rc, to, bond)
	if err := n.writer(to).send(n.ctx, append([]byte{frameReceipt}, rc.Marshal()...)); err != nil {
		n.log.Debug("receipt not sent", "err", err)
	}
}

// tryOpen is a zone member's trial decryption: a packet that opens is
// delivered; a fully addressed one that does not was altered; a dark one
// that does not is simply someone else's, dropped without a trace. Dark
// packets are only tried on watched topics, which keeps trial decryption
// cheap.
//
// It reports whether the packet opened and was taken; durable (certified
// packets) stores it before that answer, since a receipt follows.
func (n *Node) tryOpen(id [32]byte, p *Packet, from peer.ID, durable bool) bool {
	if p.Bits < 256 && !n.subs.watches(p.Topic) {
		return false
	}
	var env *Envelope
	var err error
	switch p.Kind {
	case KindSession:
		env, err = n.sess.openPacket(p)
	case KindGroup:
		env, err = n.groups.openPacket(p)
	default:
		env, err = OpenPacket(n.opener, p)
	}
	switch {
	case err == nil && !n.fresh(env.Sent):
		n.stats.Stale.Add(1)
		n.log.Debug("dropping stale packet", "id", shortID(id), "sent", env.Sent, "from", from)
	case err == nil && !admitted(p.Kind, env):
		n.stats.Forged.Add(1)
		n.log.Debug("dropping packet on a reserved topic it was not sealed for", "id", shortID(id), "topic", env.Topic, "from", from)
	case err == nil:
		if from != "" {
			n.hints.learn(env.Sender.Overlay(), from)
		}
		if p.Kind == KindGroup && env.Flags&FlagReceiptBatch != 0 {
			return n.grcpts.deliverCertified(id, env) // groupreceipt.go
		}
		if n.hold.received(id) {
			// Fetched from a delegate already (hold.go): a group packet
			// too, whose members' delegates hold a copy each.
			n.stats.Duplicates.Add(1)
			return false
		}
		var ok bool
		if p.Kind == KindGroup && env.Flags&FlagGroupReceipt != 0 {
			ok = n.grcpts.deliverCertified(id, env)
		} else {
			ok = n.deliver(id, env, durable)
		}
		if ok {
			n.hold.delivered(id)
		}
		return ok
	case errors.Is(err, seal.ErrOpen) && p.Bits == 256:
		n.stats.Tampered.Add(1)
		n.log.Debug("dropping packet that does not open", "id", shortID(id), "from", from)
	case errors.Is(err, seal.ErrOpen):
		n.stats.NotForUs.Add(1)
	default:
		n.stats.BadPackets.Add(1)
	}
	return false
}

// groupDeliveryKey is the duplicate filter's entry for delivering group
// packet id (forwarding dedupes on the id with the destination list, and
// delivery on the id alone); a copy fetched from a delegate takes it too,
// so that one packet is delivered once, whichever copy comes first.
func groupDeliveryKey(id [32]byte) [32]byte {
	return sha256.Sum256(append(id[:], 'd'))
}

// neighbourhood is what the forwarding rule looks at: the connected peers,
// their overlay addresses, and the index of the previous hop (-1 for none).
func (n *Node) neighbourhood(from peer.ID) ([]peer.ID, []identity.Overlay, int) {
	nb := n.neighbours.Load()
	if nb == nil {
		nb = n.refreshNeighbours()
	}
	fromIdx := -1
	if from != "" {
		fromIdx = slices.Index(nb.peers, from)
	}
	return nb.peers, nb.overlays, fromIdx
}

// neighbours is the connected peers with their overlay addresses, made
// again whenever a connection opens or closes rather than for every packet:
// listing the swarm's peers and hashing each peer ID to its address was most
// of a relay's per-packet work with many peers. The slices are shared and
// never changed.
type neighbours struct {
	peers    []peer.ID
	overlays []identity.Overlay
}

// refreshNeighbours reads the connected peers anew. The lock makes the
// snapshot stored last one read after the last change.
func (n *Node) refreshNeighbours() *neighbours {
	n.neighboursMu.Lock()
	defer n.neighboursMu.Unlock()
	// In a fixed order (the swarm lists its peers in map order): a tie in
	// the forwarding rule goes to the lower index, and should go the same
	// way for every packet, not change whenever a connection comes or goes.
	nb := &neighbours{peers: n.speakers(n.connectedPeers())}
	slices.Sort(nb.peers)
	nb.overlays = make([]identity.Overlay, len(nb.peers))
	for i, p := range nb.peers {
		nb.overlays[i] = identity.OverlayOf(p)
	}
	n.neighbours.Store(nb)
	select {
	case n.peersChanged <- struct{}{}:
	default:
	}
	return nb
}

// connectedPeers lists the peers with a live connection, direct or
// relayed.
func (n *Node) connectedPeers() []peer.ID {
	all := n.host.Network().Peers()
	out := all[:0]
	for _, p := range all {
		if live(n.host.Network().Connectedness(p)) {
			out = append(out, p)
		}
	}
	return out
}

// peerWriter owns the outgoing stream to one peer. Packets queue in a
// channel; the writer goroutine batches them into the stream and flushes
// when the queue runs dry, so a burst costs one syscall, not one per packet.
type peerWriter struct {
	n     *Node
	meter *peerMeter
	p     peer.ID
	q     chan outFrame
	room  *queueBudget // bounds the bytes in q by time (queue.go)
	done  chan struct{}
	once  sync.Once
}

// writerQueue bounds the frames in a queue; its bytes are bounded by room.
const writerQueue = 4096

var (
	errWriterClosed = errors.New("route: connection closed")
	errQueueTimeout = errors.New("route: peer is not keeping up")
)

// queueFullWaitNs is how long a sender waits for room in a peer's queue
// before the packet fails: a peer that answers pings but does not read its
// stream must not hold a relay's reader for ever. Atomic, since a test
// that stalls a peer on purpose lengthens it while other nodes run.
var queueFullWaitNs atomic.Int64

func init() { queueFullWaitNs.Store(int64(5 * time.Second)) }

func (n *Node) writer(p peer.ID) *peerWriter {
	n.mu.Lock()
	defer n.mu.Unlock()
	w := n.writers[p]
	if w == nil {
		w = &peerWriter{n: n, p: p, q: make(chan outFrame, writerQueue), room: newQueueBudget(), done: make(chan struct{}), meter: n.meter.of(p)}
		n.writers[p] = w
		n.goLoop(w.run)
	}
	return w
}

// send queues b; it waits while the queue is full, up to a limit, so that a
// slow peer slows its senders instead of losing packets.
func (w *peerWriter) send(ctx context.Context, b []byte) error {
	return w.sendFrame(ctx, outFrame{b: b})
}

// sendFrame is send for a frame that may carry what rerouting it needs.
// It waits for room in the queue (queue.go): the time a sender is held
// back here is time its packets do not spend waiting in the queue.
func (w *peerWriter) sendFrame(ctx context.Context, b outFrame) error {
	waited, err := w.room.take(ctx, w.done, time.Duration(queueFullWaitNs.Load()), len(b.b))
	if waited > 0 {
		w.n.stats.QueueWaits.Add(1)
		w.n.stats.QueueWaitNanos.Add(uint64(waited))
	}
	if err == nil {
		// The frame count is a second bound, for floods of tiny frames;
		// the writer empties the channel, so this wait is short.
		select {
		case w.q <- b:
			w.afterQueue()
			return nil
		case <-w.done:
			err = errWriterClosed
		case <-ctx.Done():
			err = ctx.Err()
		}
		w.room.give(len(b.b))
	}
	switch {
	case errors.Is(err, errWriterClosed):
		return fmt.Errorf("route: connection to %s closed", w.p)
	case errors.Is(err, errQueueTimeout):
		w.n.stats.QueueFull.Add(1)
		return fmt.Errorf("route: peer %s is not keeping up; packet dropped", w.p)
	}
	return err
}

func (w *peerWriter) close() { w.once.Do(func() { close(w.done) }) }

// afterQueue runs after a packet entered the queue. The writer closes done
// and then empties the queue; a packet queued after that last emptying would
// sit there unseen, so a sender that finds done closed empties it itself.
func (w *peerWriter) afterQueue() {
	w.n.sentTo(w.p)
	select {
	case <-w.done:
		w.drain()
	default:
	}
}

// drain counts what is still queued as failed, and answers for the
// certified packets among it.
func (w *peerWriter) drain() {
	for {
		select {
		case f := <-w.q:
			w.room.give(len(f.b))
			w.n.failed(f, w.p)
		default:
			return
		}
	}
}

func (w *peerWriter) run() {
	defer func() {
		w.n.mu.Lock()
		if w.n.writers[w.p] == w {
			delete(w.n.writers, w.p)
		}
		w.n.mu.Unlock()
		w.close()
		// Whatever is still queued can no longer go out.
		w.drain()
	}()
	var s network.Stream
	var bw *bufio.Writer
	// unflushed holds the frames written since the last successful flush:
	// if the stream breaks they are written again on a new one. Receivers
	// drop duplicates by packet id, so a resend is harmless.
	var unflushed []outFrame
	idle := time.NewTimer(2 * time.Minute)
	defer idle.Stop()
	// The bytes written and the time spent writing them since the last
	// flush: the pace that sizes the queue (queue.go).
	var busyBytes int
	var busy time.Duration
	open := func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// A relayed connection carries packets until a direct one is made.
		ctx = network.WithAllowLimitedConn(ctx, "mf packets")
		var err error
		s, err = w.n.host.NewStream(ctx, w.p, ProtocolID)
		if err != nil {
			w.n.log.Debug("cannot open stream", "peer", w.p, "err", err)
			return false
		}
		bw = bufio.NewWriterSize(s, 64<<10)
		return true
	}
	// write sends the frames in unflushed, retrying once on a new stream.
	write := func(flush bool) bool {
		for attempt := 0; attempt < 2; attempt++ {
			if s == nil && !open() {
				continue
			}
			err := error(nil)
			if attempt > 0 {
				for _, f := range unflushed[:len(unflushed)-1] {
					if err = wire.WriteFrame(bw, f.b); err != nil {
						break
					}
				}
			}
			if err == nil {
				err = wire.WriteFrame(bw, unflushed[len(unflushed)-1].b)
			}
			if err == nil && flush {
				err = bw.Flush()
			}
			if err == nil {
				return true
			}
			w.n.log.Debug("stream write failed", "peer", w.p, "err", err)
			s.Reset()
			s = nil
		}
		return false
	}
	for {
		var b outFrame
		select {
		case <-w.done:
			if s != nil {
				bw.Flush()
				s.Close()
			}
			return
		case <-idle.C:
			// An idle writer gives its stream back; the next packet opens
			// a new one.
			if s != nil {
				s.Close()
			}
			return
		case b = <-w.q:
		}
		t0 := time.Now()
		idle.Reset(2 * time.Minute)
		if s != nil && len(unflushed) == 0 && s.Conn().Stat().Limited && w.n.host.Network().Connectedness(w.p) == network.Connected {
			// Hole punching made a direct connection: leave the relay,
			// whose circuit is bounded in time and bytes.
			bw.Flush()
			s.Close()
			s = nil
		}
		unflushed = append(unflushed, b)
		// Flush when the queue runs dry, and at least every 64 frames so
		// that a busy peer does not pin every frame in memory.
		flush := len(w.q) == 0 || len(unflushed) >= 64
		ok := write(flush)
		// The frame has left the queue (for the stream, or for failed):
		// its room goes to the next sender, and the time it took counts
		// toward the pace that sizes the queue, told at each flush.
		w.room.give(len(b.b))
		busyBytes += len(b.b)
		busy += time.Since(t0)
		if flush || !ok {
			w.room.wrote(busyBytes, busy)
			busyBytes, busy = 0, 0
		}
		if !ok {
			for _, f := range unflushed {
				w.n.failed(f, w.p)
			}
			return
		}
		w.n.stats.Sent.Add(1)
		w.meter.out.Add(uint64(len(b.b)))
		w.n.act.bump()
		if flush {
			unflushed = unflushed[:0]
		}
	}
}

// routeHints remembers, for senders whose packets this node opened, the
// neighbour they last came through. Only an endpoint learns this, about its
// own correspondents, so it reveals nothing to anyone else; it keeps replies
// on a known path where greedy routing alone could run into a dead end (a
// sparse or fixed topology).
type routeHints struct {
	mu sync.Mutex
	m  map[identity.Overlay]peer.ID
}

func (h *routeHints) learn(o identity.Overlay, via peer.ID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil || len(h.m) > 10000 {
		h.m = map[identity.Overlay]peer.ID{}
	}
	h.m[o] = via
}

func (h *routeHints) lookup(o identity.Overlay) (peer.ID, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.m[o]
	return p, ok
}

// maxSeen bounds one generation of the duplicate filter (32 bytes an id).
const maxSeen = 1 << 20

// seenSet remembers packet ids for at least the given window, in two
// generations so that forgetting is O(1), each with the most ttl a copy of
// it arrived with.
type seenSet struct {
	mu       sync.Mutex
	cur, old map[[32]byte]byte
	window   time.Duration
	rotated  time.Time
}

func newSeenSet(window time.Duration) *seenSet {
	return &seenSet{cur: map[[32]byte]byte{}, old: map[[32]byte]byte{}, window: window, rotated: time.Now()}
}

// add records id and reports whether it was new.
func (s *seenSet) add(id [32]byte) bool {
	first, _ := s.see(id, 0)
	return first
}

// see records a copy of id that arrived with ttl. first: the id is new.
// more: it is not, but this copy has more ttl than every earlier one. The
// ttl changes at every hop and cannot be signed, so a copy sent ahead with
// ttl 1 must not stop the genuine packet: one with more ttl goes on again.
// Each copy that does has more ttl than the last, so a packet goes on at
// most 255 times from one node.
func (s *seenSet) see(id [32]byte, ttl byte) (first, more bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Rotate on time, or early when a flood of ids would otherwise grow the
	// set without bound.
	if time.Since(s.rotated) > s.window || len(s.cur) > maxSeen {
		s.old, s.cur, s.rotated = s.cur, make(map[[32]byte]byte, len(s.cur)), time.Now()
	}
	was, inCur := s.cur[id]
	if !inCur {
		var inOld bool
		if was, inOld = s.old[id]; !inOld {
			s.cur[id] = ttl
			return true, false
		}
	}
	if ttl <= was {
		return false, false
	}
	s.cur[id] = ttl
	return false, true
}

func shortID(id [32]byte) string { return fmt.Sprintf("%x", id[:6]) }
