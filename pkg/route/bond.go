package route

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// Bonds of certified delivery move through SWAP balances (docs/bonds.md).
//
// Every link of a certified packet's path, from a hop P to the next hop H,
// carries the bond P offered H in the certified frame; both ends know it.
// The link settles one of three ways, each decided from signed receipts:
//
//   - H shows proof that it did its part: a receipt signed by another node
//     that names H as the peer that handed it the packet (that node's
//     acceptance, its "unreachable" statement, its own receipt as the
//     recipient, or, with mf-hold, a delegate's hold receipt), or H's own
//     receipt as the recipient. Then P owes H the bond: H earns it.
//   - H took the packet (its signed acceptance names P) and, within the
//     certify timeout, showed neither proof nor a statement of its own that
//     it could not pass the packet on: the chain of proofs ends at H, and H
//     owes P the bond: H is charged.
//   - H stated that it could not pass the packet on (finger pointing), or
//     gave it back to P to try another way (ReceiptReturned, backtrack.go):
//     the recipient is unreachable from there, which is no fault; nothing
//     moves.
//
// A relay is paid the bond it was offered and pays the smaller bond it
// offered on, so it keeps its fee; the sender pays the first bond; the
// recipient earns the last one for its receipt. A hop that drops a packet
// it took loses the bond it was offered to the hop before it.
//
// Each end decides its side of a link from the receipts it holds and
// writes the outcome as a BondEvent; mf-swap reads the events (GET
// /v0/bonds) and books each link once (by packet id and peer), after
// checking the signed evidence itself. The two ends see the same receipts
// (every receipt passes back through P), so they book the same figure.
// Each end's deadline runs from the moment it handled the packet, and H
// handled it a moment after P: a proof that reaches H within that moment
// (and its way back) of the deadline counts at H and not at P. That, a
// stream that broke while carrying a proof back, and a restart while a
// packet was in flight are where the two ends can differ.

// Store keys of bond events.
const (
	bondEvPrefix   = "bondev/"   // bondev/<seq, 8 bytes big-endian>: BondEvent
	bondMarkPrefix = "bondmark/" // bondmark/<id><in|out><peer id>: the link is settled
)

// bondGrace is how long after the certify timeout the links settle: the
// sender has judged its packet by then, and a receipt still on its way
// back at the timeout is counted.
const bondGrace = 3 * time.Second

// bondLink is what a node knows about one next hop of a certified packet.
type bondLink struct {
	taken  *Receipt // its acceptance naming this node
	proved *Receipt // its proof of handover
	stated bool     // it said it could not pass the packet on
}

// bondState is the bond side of a relay entry.
type bondState struct {
	in       uint64   // the bond the previous hop offered this node
	out      uint64   // the bond this node offered its next hops
	ownTaken *Receipt // this node's acceptance
	proved   *Receipt // proof of this node's handover
	stated   bool     // this node said it could not pass the packet on
	links    map[peer.ID]*bondLink
	done     bool // the deadline passed and what was left is settled
}

func (b *bondState) link(p peer.ID) *bondLink {
	if b.links == nil {
		b.links = map[peer.ID]*bondLink{}
	}
	l := b.links[p]
	if l == nil {
		l = &bondLink{}
		b.links[p] = l
	}
	return l
}

// offer notes the bond this node offers the next hops of packet id.
func (c *certifier) offer(id [32]byte, bond uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.relays[id]; e != nil {
		e.bond.out = bond
	}
}

// bondReceipt applies an accepted receipt (from next hop from, or signed
// here when from is empty) to the bonds of its packet. c.mu is held.
func (c *certifier) bondReceipt(e *relayEntry, rc *Receipt, from peer.ID) {
	b := &e.bond
	self := c.n.self
	signer := rc.Signer.Overlay()
	if from == "" && signer == self {
		switch rc.Kind {
		case ReceiptTaken:
			b.ownTaken = rc
		case ReceiptUnreachable, ReceiptReturned:
			// Gave up the packet, or gave it back to try another way
			// (backtrack.go): no fault, nothing moves.
			b.stated = true
		}
	}
	// Proof for this node's own link with the hop before it.
	if e.prev != "" && b.proved == nil && routeapi.ProvesHandover(rc, self) {
		b.proved = rc
		if !b.done {
			c.bondEvent(rc.ID, e.prev, BondEarned, b.in, rc)
		}
	}
	if from == "" {
		return
	}
	// The next hop's link: its acceptance, its statement, or its proof.
	l := b.link(from)
	hop := identity.OverlayOf(from)
	switch {
	case signer == hop && rc.Kind == ReceiptTaken && rc.Prev == self:
		l.taken = rc
	case signer == hop && (rc.Kind == ReceiptUnreachable || rc.Kind == ReceiptReturned):
		// A hop that gave the packet back does not count as proof of
		// handover (it could give it back for an accomplice that then
		// drops it), only as a statement: nothing moves on this link.
		l.stated = true
	}
	if l.proved == nil && routeapi.ProvesHandover(rc, hop) {
		l.proved = rc
		c.bondEvent(rc.ID, from, BondPaid, b.out, rc)
	}
}

// bondSweep settles the links of packets past their deadline: a hop that
// took a packet and showed nothing is charged. c.mu is held.
func (c *certifier) bondSweep(id [32]byte, e *relayEntry, now time.Time, timeout time.Duration) {
	b := &e.bond
	if b.done || now.Sub(e.at) < timeout+bondGrace {
		return
	}
	b.done = true
	if e.prev != "" && b.proved == nil && !b.stated && b.ownTaken != nil {
		c.bondEvent(id, e.prev, BondForfeit, b.in, b.ownTaken)
	}
	for p, l := range b.links {
		if l.proved == nil && !l.stated && l.taken != nil {
			c.bondEvent(id, p, BondCharged, b.out, l.taken)
		}
	}
}

// signedFor books the bond of a receipt this node signed for a peer that
// handed it a copy of a packet it had already handled (signFor): a
// receipt it signed as the recipient earns that peer's bond too.
func (c *certifier) signedFor(rc *Receipt, to peer.ID, bond uint64) {
	if rc.Kind != ReceiptReceived {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bondEvent(rc.ID, to, BondEarned, bond, rc)
}

// bondEvent records a settled link once. c.mu is held.
func (c *certifier) bondEvent(id [32]byte, p peer.ID, role string, bond uint64, proof *Receipt) {
	if bond == 0 {
		return
	}
	ev := BondEvent{Packet: hex.EncodeToString(id[:]), Peer: p.String(), Role: role, Bond: bond, Proof: hex.EncodeToString(proof.Marshal()), At: nowFunc()}
	mark := append(append([]byte(bondMarkPrefix), id[:]...), ev.Link()...)
	mark = append(mark, p...)
	if _, err := c.n.db.Get(mark); err == nil {
		return // settled already (by the other outcome, or before a restart)
	}
	c.bondSeq++
	ev.Seq = c.bondSeq
	b, _ := json.Marshal(ev)
	batch := c.n.db.NewBatch()
	batch.Set(binary.BigEndian.AppendUint64([]byte(bondEvPrefix), ev.Seq), b)
	batch.Set(mark, nil)
	if err := batch.Commit(); err != nil {
		c.n.log.Warn("bond event", "err", err)
		return
	}
	c.n.act.bump()
	c.n.log.Info("certified delivery bond", "packet", ev.Packet[:12], "peer", ev.Peer, "role", role, "bond", bond)
}

// lastBondSeq finds the sequence number of the newest bond event.
func (c *certifier) lastBondSeq() uint64 {
	var last uint64
	_ = c.n.db.Scan([]byte(bondEvPrefix), func(k, _ []byte) error {
		if len(k) == len(bondEvPrefix)+8 {
			last = max(last, binary.BigEndian.Uint64(k[len(bondEvPrefix):]))
		}
		return nil
	})
	return last
}

// maxBondEvents bounds one answer of GET /v0/bonds.
const maxBondEvents = 1000

var errEnough = errors.New("enough")

// bondEvents lists the events after seq, oldest first.
func (c *certifier) bondEvents(after uint64) ([]BondEvent, error) {
	out := []BondEvent{}
	start := binary.BigEndian.AppendUint64([]byte(bondEvPrefix), after+1)
	err := c.n.db.Scan([]byte(bondEvPrefix), func(k, v []byte) error {
		if string(k) < string(start) {
			return nil
		}
		if len(out) == maxBondEvents {
			return errEnough
		}
		var ev BondEvent
		if json.Unmarshal(v, &ev) == nil {
			out = append(out, ev)
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		err = nil
	}
	return out, err
}

func (n *Node) apiBonds(w http.ResponseWriter, r *http.Request) (any, error) {
	var after uint64
	if a := r.URL.Query().Get("after"); a != "" {
		v, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			return nil, localapi.BadRequest("after must be an event number, not %q", a)
		}
		after = v
	}
	return n.certs.bondEvents(after)
}

// pruneBonds deletes bond events (and their links' marks) recorded before
// cutoff: by then mf-swap has long booked them.
func (c *certifier) pruneBonds(cutoff time.Time) (int, error) {
	batch := c.n.db.NewBatch()
	k := 0
	err := c.n.db.Scan([]byte(bondEvPrefix), func(key, v []byte) error {
		var ev BondEvent
		if json.Unmarshal(v, &ev) == nil && !ev.At.Before(cutoff) {
			return errEnough // events are in time order
		}
		batch.Delete(append([]byte(nil), key...))
		if id, err := hex.DecodeString(ev.Packet); err == nil {
			if p, err := peer.Decode(ev.Peer); err == nil {
				mark := append(append([]byte(bondMarkPrefix), id...), ev.Link()...)
				batch.Delete(append(mark, p...))
			}
		}
		k++
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return 0, err
	}
	if k == 0 {
		return 0, nil
	}
	return k, batch.Commit()
}
