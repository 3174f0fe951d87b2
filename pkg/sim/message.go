package sim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/route"
	"github.com/mainframe/mf/pkg/seal"
)

// Topic is the topic simulated packets carry.
const Topic = "sim"

// outcome is what happened to one message.
type outcome struct {
	delivered   bool
	hops        int
	copies      int64
	bytes       int64
	packetBytes int
	anonymity   int
	zone        int
	offline     int64
	duplicates  int64
	expired     int64
	noRoute     int64
	backtracked int64
}

// transmission is one copy of a packet on the in-memory transport.
type transmission struct {
	to, from int32 // from is -1 for the packet the sender hands itself
	ttl      byte  // the ttl the copy carries
	// again: the copy reaches a node that has the packet already. Outside
	// the zone it may be one given back, or one that came round a loop,
	// and the node acts on it (route.Trail).
	again bool
}

// sender simulates one message at a time; each worker has its own, so it
// needs no locks. Per-node state is stamped with the message's epoch rather
// than cleared, so starting a message costs nothing per node.
type sender struct {
	n     *Network
	epoch uint32
	// offline[v] == epoch: node v is offline for this message.
	offline []uint32
	// seen[v] == epoch: node v has this message's packet id in its seen
	// set. A node's seen set holds many ids; with one packet in flight per
	// sender, one stamp per node stands for it.
	seen []uint32
	perm []int32
	// The copies arriving at the current hop and at the next one.
	cur, next []transmission
	// peers holds the overlay addresses of one node's peers, the list
	// route.Decide indexes.
	peers []identity.Overlay
	// online holds one node's online peers, with Config.NoticeOffline.
	online []int32
	// trails holds, for each node that passed the packet on outside its
	// zone, what route.Trail remembers there: the daemon's backtracking
	// rule, with node numbers for peer IDs.
	trails  map[int32]*route.Trail[int32]
	payload []byte
	// lastFrom and lastTo are the sender and recipient of the last
	// message, for tests.
	lastFrom, lastTo int32
}

func (n *Network) newSender() *sender {
	nodes := len(n.overlays)
	return &sender{
		n:       n,
		offline: make([]uint32, nodes),
		seen:    make([]uint32, nodes),
		perm:    make([]int32, nodes),
		trails:  map[int32]*route.Trail[int32]{},
		payload: make([]byte, n.cfg.PayloadSize),
	}
}

// send simulates message number msg at luminosity bits.
//
// The packet spreads hop by hop: every copy sent at hop h arrives at hop
// h+1, in the order it was sent, as if every link had the same delay. A
// node handles the first copy to reach it the way the daemon's
// handlePacket does. Inside the zone it drops the rest as duplicates: a
// zone copy that arrives after another at the same node would be dropped on
// arrival, so it is counted and dropped when it is sent, which keeps the
// queue no longer than the number of nodes. Outside the zone one copy walks
// at a time, and one that reaches a node again (given back, or round a
// loop) is delivered to it, to act on as the daemon does.
func (s *sender) send(msg int, bits uint16) (outcome, error) {
	var out outcome
	n := s.n
	nodes := len(n.overlays)
	s.epoch++
	clear(s.trails)
	rng := rand.New(rand.NewPCG(uint64(n.cfg.Seed), 0x6d7367<<32|uint64(msg)))

	// Churn: a fresh random set of nodes is offline for each message.
	for i := range s.perm {
		s.perm[i] = int32(i)
	}
	off := offlineCount(nodes, n.cfg.Churn)
	for i := 0; i < off; i++ {
		j := i + rng.IntN(nodes-i)
		s.perm[i], s.perm[j] = s.perm[j], s.perm[i]
		s.offline[s.perm[i]] = s.epoch
	}
	online := s.perm[off:]
	a, b := rng.IntN(len(online)), rng.IntN(len(online)-1)
	if b >= a {
		b++
	}
	from, to := online[a], online[b]
	s.lastFrom, s.lastTo = from, to
	for i := 0; i < len(s.payload); i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], rng.Uint64())
		copy(s.payload[i:], w[:])
	}

	p, err := route.SealPacket(n.ids[from], n.pubs[to], bits, byte(n.cfg.TTL), Topic, 0, s.payload)
	if err != nil {
		return out, err
	}
	raw := p.Marshal()
	// Nodes work on the packet as decoded from the wire, as relays do.
	pkt, err := route.UnmarshalPacket(raw)
	if err != nil {
		return out, fmt.Errorf("sim: a sealed packet does not decode: %w", err)
	}
	out.packetBytes = len(raw)
	dest := pkt.Dest()
	for _, v := range online {
		if v != from && dest.Matches(n.overlays[v]) {
			out.zone++
		}
	}

	s.seen[from] = s.epoch
	s.cur = append(s.cur[:0], transmission{to: from, from: -1, ttl: pkt.TTL})
	for hop := 0; len(s.cur) > 0; hop++ {
		s.next = s.next[:0]
		for _, t := range s.cur {
			if t.again {
				s.again(t, dest, &out)
				continue
			}
			if err := s.handle(t, hop, pkt, dest, from, to, &out); err != nil {
				return out, err
			}
		}
		s.cur, s.next = s.next, s.cur
	}
	return out, nil
}

// handle is one node receiving the first copy of a packet: the daemon's
// handlePacket after its seen-set check, with the in-memory transport in
// place of peer streams. hop is how many transmissions the copy took from
// the sender; from and to are the message's sender and recipient.
func (s *sender) handle(t transmission, hop int, pkt *route.Packet, dest route.Dest, from, to int32, out *outcome) error {
	n := s.n
	v := t.to
	peers := s.neighbours(v)
	prev := -1
	if t.from >= 0 {
		prev, _ = slices.BinarySearch(peers, t.from)
	}
	dec := route.Decide(n.overlays[v], s.peers, prev, dest)
	if dec.InZone {
		// Every zone member tries to open: this is the anonymity set.
		if v != from {
			out.anonymity++
		}
		env, err := route.OpenPacket(n.openers[v], pkt)
		switch {
		case err == nil:
			if v != to || !bytes.Equal(env.Payload, s.payload) {
				return fmt.Errorf("sim: a packet for node %d opened at node %d", to, v)
			}
			out.delivered, out.hops = true, hop
		case errors.Is(err, seal.ErrOpen):
			// Someone else's: dropped without a trace.
		default:
			return fmt.Errorf("sim: node %d opening a packet: %w", v, err)
		}
		if pkt.Bits == 256 {
			return nil
		}
	}
	ttl := t.ttl
	if t.from >= 0 {
		if ttl <= 1 {
			out.expired++
			return nil
		}
		ttl--
	}
	if len(dec.Next) == 0 {
		if !dec.InZone {
			out.noRoute++
		}
		return nil
	}
	if !dec.InZone {
		// Outside the zone the packet goes to one peer. A write to a peer
		// that is offline fails, and the node offers the packet to the
		// next-closest peer, as the daemon does; with none left it goes
		// back to the peer it came from (route.Trail).
		tr := &route.Trail[int32]{Prev: t.from, Origin: t.from < 0}
		s.trails[v] = tr
		tr.Offered(peers[dec.Next[0]])
		if !s.transmit(peers[dec.Next[0]], v, ttl, true, out) {
			s.onward(v, tr, ttl, dest, out)
		}
		return nil
	}
	// In the zone every zone peer gets a copy: one lost at an offline
	// peer leaves the others.
	for _, i := range dec.Next {
		s.transmit(peers[i], v, ttl, false, out)
	}
	return nil
}

// neighbours lists node v's peers as it routes with them, and puts their
// overlay addresses in s.peers, the list route.Decide indexes.
func (s *sender) neighbours(v int32) []int32 {
	n := s.n
	peers := n.peers(v)
	if n.cfg.NoticeOffline {
		// The connections to offline peers have closed: they are not in
		// the list the node routes with.
		s.online = s.online[:0]
		for _, q := range peers {
			if s.offline[q] != s.epoch {
				s.online = append(s.online, q)
			}
		}
		peers = s.online
	}
	s.peers = s.peers[:0]
	for _, q := range peers {
		s.peers = append(s.peers, n.overlays[q])
	}
	return peers
}

// again is node v receiving a copy of the packet it has already, as the
// daemon's cameAgain: outside the zone, a copy given back goes on to the
// next option and one that came round a loop goes back to its sender; the
// rest are dropped.
func (s *sender) again(t transmission, dest route.Dest, out *outcome) {
	v := t.to
	tr := s.trails[v]
	if dest.Matches(s.n.overlays[v]) || tr == nil {
		out.duplicates++
		return
	}
	arr := tr.Arrived(t.from)
	if arr == route.Drop {
		out.duplicates++
		return
	}
	if t.ttl <= 1 {
		out.expired++
		return
	}
	if arr == route.Looped {
		out.backtracked++
		s.transmit(t.from, v, t.ttl-1, true, out)
		return
	}
	s.onward(v, tr, t.ttl-1, dest, out)
}

// onward moves the packet on from node v after a failed write or a
// hand-back: to the next-closest untried peer while writes fail, else back
// to the peer it came from, else (at the sender) nowhere.
func (s *sender) onward(v int32, tr *route.Trail[int32], ttl byte, dest route.Dest, out *outcome) {
	peers := s.neighbours(v)
	for {
		i, back := tr.Next(peers, s.peers, dest)
		switch {
		case i >= 0:
			if s.transmit(peers[i], v, ttl, true, out) {
				return
			}
		case back:
			out.backtracked++
			s.transmit(tr.Prev, v, ttl, true, out)
			return
		default:
			out.noRoute++
			return
		}
	}
}

// transmit sends a copy from node v to node q and reports whether the write
// succeeded: it fails when q is offline. A copy to a node that already has
// the packet is written, and dropped there; one walking outside the zone
// (walk) is delivered, for the node to act on.
func (s *sender) transmit(q, v int32, ttl byte, walk bool, out *outcome) bool {
	out.copies++
	out.bytes += int64(out.packetBytes)
	switch {
	case s.offline[q] == s.epoch:
		out.offline++
		return false
	case s.seen[q] == s.epoch && walk:
		s.next = append(s.next, transmission{to: q, from: v, ttl: ttl, again: true})
	case s.seen[q] == s.epoch:
		out.duplicates++
	default:
		s.seen[q] = s.epoch
		s.next = append(s.next, transmission{to: q, from: v, ttl: ttl})
	}
	return true
}
