package route

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// Certified delivery (whitepaper, "Incentivized packet delivery"). The
// sender offers a bond with a packet and asks for proof of delivery. Each
// hop passes the packet on with a smaller bond (it keeps its fee) and
// remembers where it came from. The recipient signs a receipt over the
// packet id; the receipt travels back hop by hop, and every hop keeps it as
// proof that it passed the packet on. A certified packet is forwarded by
// the same rule as a plain one (Decide, and backtracking: backtrack.go); a
// hop signs a statement that the recipient is unreachable only where a
// plain packet would be dropped too: the ttl run out, or the write handing
// it on or back failed (finger pointing); that goes back instead. A hop
// that hands the packet back (no untried peer left, or a copy that came
// round a loop) signs that it did (ReceiptReturned): it no longer holds the
// packet, and the walk goes on elsewhere. When every way leads back to the
// sender, the sender settles the packet as failed and names the farthest
// hop that gave it back, with that statement.
//
// Every hop handed a certified packet first signs that it took it, naming
// the peer it took it from, and that goes back too. The sender trusts only
// what it can check: a statement counts if its signer was handed the
// packet (it is on the chain of such acceptances that starts at the
// sender's own first hops); how close the signer is to the recipient is
// computed from its address; a dark packet's zone receipt counts only from
// a zone member. A sender that hears nothing in time follows the chain to
// its end: the last hop that took the packet, did not give it back, and
// cannot show a receipt or a statement from a next hop (the recipient
// itself, when it took the packet but its inbox was full) is named.
//
// A hop that signs that it gave the packet back but kept it shifts that
// blame to the hop before it, which cannot prove that the packet never came
// back; it gains nothing by it (it earns no fee for a packet it gave back),
// and the statement it signed stays in that hop's ledger.
//
// In dark mode (luminosity < 256) the recipient must not stand out, so only
// a random fraction of zone members (at least one) are asked for receipts,
// and every asked member signs the same kind of receipt whether or not it
// could open the packet. The sender recognises the recipient's receipt by
// its key.
//
// Bonds are recorded in the ledger (ledger/<id>), and each link of a
// packet's path settles its bond from the receipts (bond.go): mf-swap books
// the outcomes in the SWAP balances with the peers.

// Store keys. The records are kept for recordRetention; the time indexes
// (<kind>at/<unix nanoseconds, 8 bytes big-endian><id> → nothing) let the
// pruner find the old ones without reading the rest.
const (
	sentPrefix     = "sent/"     // sent/<id>: SentRecord of a certified packet this node sent
	ledgerPrefix   = "ledger/"   // ledger/<id>: LedgerEntry of a certified packet this node relayed
	sentAtPrefix   = "sentat/"   // the index of sent/ by send time
	ledgerAtPrefix = "ledgerat/" // the index of ledger/ by relay time

	// recordRetention is how long receipts, ledger entries and their proofs
	// are kept: long enough for any settlement or dispute about them.
	recordRetention = 30 * 24 * time.Hour
)

func timeKey(prefix string, at time.Time, id [32]byte) []byte {
	k := binary.BigEndian.AppendUint64([]byte(prefix), uint64(max(0, at.UnixNano())))
	return append(k, id[:]...)
}

// Statuses of a certified packet.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusZone      = "zone" // dark: zone members took it; the recipient was not among those asked
	StatusFailed    = "failed"
)

// relayEntry routes receipts back: who gave us the packet ("" for this
// node's own packets).
type relayEntry struct {
	prev   peer.ID
	at     time.Time
	signed map[[3]any]bool
	// next are the peers this node asked for proof: receipts are taken
	// from them only.
	next map[peer.ID]bool
	// bond is what the links of this packet through this node settle.
	bond bondState
}

// maxReceipts bounds the receipts one packet collects.
const maxReceipts = 64

type certifier struct {
	n       *Node
	mu      sync.Mutex
	relays  map[[32]byte]*relayEntry
	pending map[[32]byte]*sentRecord
	// bondSeq numbers bond events (bond.go).
	bondSeq uint64
}

func newCertifier(n *Node) *certifier {
	c := &certifier{n: n, relays: map[[32]byte]*relayEntry{}, pending: map[[32]byte]*sentRecord{}}
	// Pending records of an earlier run are settled by the sweeper.
	_ = n.db.Scan([]byte(sentPrefix), func(k, v []byte) error {
		var r sentRecord
		if json.Unmarshal(v, &r) == nil && r.Status == StatusPending && len(k) == len(sentPrefix)+32 {
			c.pending[[32]byte(k[len(sentPrefix):])] = &r
		}
		return nil
	})
	c.bondSeq = c.lastBondSeq()
	return c
}

// track remembers where a certified packet came from, with the bond it
// was offered; it reports false for a packet already tracked.
func (c *certifier) track(id [32]byte, from peer.ID, bond uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.relays[id]; ok {
		return false
	}
	c.relays[id] = &relayEntry{prev: from, at: time.Now(), signed: map[[3]any]bool{}, next: map[peer.ID]bool{}, bond: bondState{in: bond}}
	if len(c.relays) == 1 {
		c.n.wakeUpkeep() // the sweeps start again
	}
	return true
}

// busy reports whether certified packets are tracked: sent by this node
// and waiting for receipts, or relayed and waiting for their bonds to
// settle. The upkeep loop sweeps once a second while they are.
func (c *certifier) busy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) > 0 || len(c.relays) > 0
}

// askedFor notes that peers were handed the certified packet id. For this
// node's own packet they are its first hops, where the chain of
// acceptances starts: the first call (handlePacket) replaces the estimate
// Send made, later ones (a reroute after a failed write) add to it.
func (c *certifier) askedFor(id [32]byte, peers []peer.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.relays[id]; e != nil {
		for _, p := range peers {
			e.next[p] = true
		}
	}
	if r := c.pending[id]; r != nil {
		if !r.asked {
			r.FirstHops, r.asked = nil, true
		}
		for _, p := range peers {
			if !slices.Contains(r.FirstHops, p.String()) {
				r.FirstHops = append(r.FirstHops, p.String())
			}
		}
	}
}

// prevOf is the overlay address of the peer that handed this node packet
// id (zero for its own packets and packets it does not know).
func (c *certifier) prevOf(id [32]byte) identity.Overlay {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.relays[id]; e != nil && e.prev != "" {
		return identity.OverlayOf(e.prev)
	}
	return identity.Overlay{}
}

func (c *certifier) save(key []byte, v any) {
	b, _ := json.Marshal(v)
	if err := c.n.db.Set(key, b); err != nil {
		c.n.log.Warn("certified delivery record", "err", err)
	}
}

// started records a certified packet this node sends.
func (c *certifier) started(id [32]byte, r *sentRecord) {
	c.mu.Lock()
	c.pending[id] = r
	first := len(c.pending) == 1
	c.mu.Unlock()
	if first {
		c.n.wakeUpkeep() // the sweeps start again
	}
	c.saveIndexed(append([]byte(sentPrefix), id[:]...), timeKey(sentAtPrefix, r.SentAt, id), r)
}

// relayed records a certified packet passed on, in the ledger.
func (c *certifier) relayed(id [32]byte, from peer.ID, next []peer.ID, bondIn, bondOut uint64) {
	e := LedgerEntry{ID: hex.EncodeToString(id[:]), BondIn: bondIn, BondOut: bondOut, At: nowFunc()}
	if from != "" {
		o := identity.OverlayOf(from)
		e.Prev = &o
	}
	for _, p := range next {
		e.Next = append(e.Next, p.String())
	}
	c.saveIndexed(append([]byte(ledgerPrefix), id[:]...), timeKey(ledgerAtPrefix, e.At, id), e)
}

// saveIndexed stores a new record together with its time index entry.
func (c *certifier) saveIndexed(key, index []byte, v any) {
	b, _ := json.Marshal(v)
	batch := c.n.db.NewBatch()
	batch.Set(key, b)
	batch.Set(index, nil)
	if err := batch.Commit(); err != nil {
		c.n.log.Warn("certified delivery record", "err", err)
	}
}

// errStopScan ends a scan early.
var errStopScan = errors.New("stop")

// prune deletes the records (sent and ledger) made before cutoff, oldest
// first, and reports how many went.
func (c *certifier) prune(cutoff time.Time) (int, error) {
	const chunk = 10000
	total := 0
	for _, ix := range [][2]string{{sentAtPrefix, sentPrefix}, {ledgerAtPrefix, ledgerPrefix}} {
		at, rec := ix[0], ix[1]
		for {
			batch := c.n.db.NewBatch()
			n := 0
			err := c.n.db.Scan([]byte(at), func(k, _ []byte) error {
				if n == chunk {
					return errStopScan
				}
				if len(k) == len(at)+8+32 {
					if int64(binary.BigEndian.Uint64(k[len(at):])) >= cutoff.UnixNano() {
						return errStopScan
					}
					batch.Delete(append([]byte(rec), k[len(at)+8:]...))
				}
				batch.Delete(bytes.Clone(k))
				n++
				return nil
			})
			if err != nil && !errors.Is(err, errStopScan) {
				return total, err
			}
			if n == 0 {
				break
			}
			if err := batch.Commit(); err != nil {
				return total, err
			}
			total += n
			if n < chunk {
				break
			}
		}
	}
	k, err := c.pruneBonds(cutoff)
	return total + k, err
}

// receipt handles a receipt for a packet this node took part in: it is kept
// as proof and passed back toward the sender, or, at the sender, settles the
// packet's status.
func (c *certifier) receipt(rc *Receipt, from peer.ID) {
	c.mu.Lock()
	e := c.relays[rc.ID]
	// A hop may hand a packet back more than once (a looped copy to one
	// peer, its own copy to its previous hop): the key names the peer too.
	key := [3]any{rc.Signer.Overlay(), rc.Kind, rc.Prev}
	// A receipt counts only from a peer this node handed the packet to
	// (or from this node itself), and a packet collects a bounded number.
	if e == nil || e.signed[key] || (from != "" && !e.next[from]) || len(e.signed) >= maxReceipts {
		c.mu.Unlock()
		c.n.stats.StrayReceipts.Add(1)
		return
	}
	e.signed[key] = true
	prev := e.prev
	c.bondReceipt(e, rc, from)
	c.mu.Unlock()
	if prev != "" {
		// An acceptance is this relay's proof only from the hop it handed
		// the packet to; those of hops further on just pass through.
		if rc.Kind != ReceiptTaken || rc.Prev == c.n.self {
			c.addProof(rc)
		}
		frame := append([]byte{frameReceipt}, rc.Marshal()...)
		if err := c.n.writer(prev).send(c.n.ctx, frame); err != nil {
			c.n.log.Debug("receipt not passed back", "err", err)
		}
		return
	}
	c.settle(rc)
}

func (c *certifier) addProof(rc *Receipt) {
	key := append([]byte(ledgerPrefix), rc.ID[:]...)
	b, err := c.n.db.Get(key)
	if err != nil {
		return
	}
	var e LedgerEntry
	if json.Unmarshal(b, &e) != nil {
		return
	}
	e.Proofs = append(e.Proofs, routeapi.ReceiptInfoOf(rc))
	c.save(key, e)
}

// settle applies a receipt to this node's own packet.
func (c *certifier) settle(rc *Receipt) {
	key := append([]byte(sentPrefix), rc.ID[:]...)
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.pending[rc.ID]
	if r == nil {
		// Already final: a late receipt can still upgrade a timed-out or
		// zone-only packet to delivered.
		b, err := c.n.db.Get(key)
		if err != nil {
			return
		}
		r = new(sentRecord)
		if json.Unmarshal(b, r) != nil {
			return
		}
	}
	if c.apply(r, rc, time.Now()) {
		if r.Status != StatusPending {
			delete(c.pending, rc.ID)
		}
		c.save(key, r)
	}
}

// apply updates r with receipt rc and reports whether r changed. The
// sender checks every receipt against what it knows itself (whom it handed
// the packet, the recipient's address) and takes nothing on the signer's
// word but the signature.
func (c *certifier) apply(r *sentRecord, rc *Receipt, now time.Time) bool {
	info := routeapi.ReceiptInfoOf(rc)
	signer := rc.Signer.Overlay()
	dest := Dest{Bits: uint16(r.Bits), Prefix: AddressPrefix(r.To, uint16(r.Bits))}
	switch {
	case r.Status == StatusDelivered:
		return false
	case rc.Kind == ReceiptTaken:
		if len(r.Hops) >= maxReceipts {
			return false
		}
		r.Hops = append(r.Hops, info)
		// A statement that came before its signer's acceptance counts now.
		held := r.held
		r.held = nil
		for _, h := range held {
			c.apply(r, h, now)
		}
		return true
	case rc.Kind == ReceiptReceived && signer == r.To:
		r.Status, r.Receipt, r.DoneAt = StatusDelivered, &info, &now
		r.FailedHop, r.Statement, r.Reason = nil, nil, ""
		return true
	case rc.Kind == ReceiptReceived && (r.Bits == 256 || !dest.Matches(signer)):
		// Only the recipient can take a fully addressed packet, and only a
		// zone member a dark one: anyone else signing "received" is trying
		// to dodge blame.
		c.n.stats.StrayReceipts.Add(1)
		return false
	case rc.Kind == ReceiptReceived:
		// A zone member took it: that settles a dark packet as far as
		// the sender can know, unless the recipient's own receipt follows.
		r.ZoneReceipts = append(r.ZoneReceipts, info)
		if r.Status == StatusPending {
			r.Status, r.DoneAt = StatusZone, &now
			r.Reason = "zone members took it; the recipient's receipt has not come (it may not have been asked)"
		}
		return true
	case r.Status != StatusPending:
		return false
	case signer != c.n.self && !r.chain(c.n.self).took[signer]:
		// Not signed by a hop the packet was handed to, or not yet known
		// to be one: it counts once that hop's acceptance comes, if it does.
		if len(r.held) < maxReceipts {
			r.held = append(r.held, rc)
		}
		return false
	case rc.Kind == ReceiptReturned:
		// The hop gave the packet back, and its walk goes on elsewhere:
		// nothing is settled until it ends (exhausted) or times out.
		if len(r.Returned) >= maxReceipts {
			return false
		}
		info.Proximity = dest.Proximity(signer)
		r.Returned = append(r.Returned, info)
		return true
	default:
		info.Proximity = dest.Proximity(signer)
		r.Status, r.FailedHop, r.Statement, r.DoneAt = StatusFailed, &signer, &info, &now
		r.Reason = fmt.Sprintf("hop %s could not pass it on (it shares %d bits with the recipient)", signer.String()[:16], info.Proximity)
		return true
	}
}

// hopChain is what the acceptances of a sent packet show.
type hopChain struct {
	// took holds the hops known to have been handed the packet: the first
	// hops that accepted it, the hops those handed it to, and so on.
	took map[identity.Overlay]bool
	// end is the last hop of the longest chain (the first to answer among
	// equals) that still holds the packet: a hop that gave it back (a
	// ReceiptReturned naming the peer it took the packet from) has shown
	// what became of it. nil when no such hop accepted the packet.
	end *identity.Overlay
	// farthest is the statement of the hop farthest along the chain among
	// those that gave the packet back (the first to answer among equals),
	// nil when none did.
	farthest *ReceiptInfo
}

// exhausted settles this node's certified packet id when it came back to
// it and no peer was left to try: every way the packet was offered led
// back. The hop named is the farthest one that gave it back, with its
// signed statement.
func (c *certifier) exhausted(id [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.pending[id]
	if r == nil {
		return
	}
	now := time.Now()
	r.Status, r.DoneAt = StatusFailed, &now
	if st := r.chain(c.n.self).farthest; st != nil {
		signer := st.Signer
		r.FailedHop, r.Statement = &signer, st
		r.Reason = fmt.Sprintf("no way on: every peer the packet was offered to gave it back or could not be reached; the farthest hop that gave it back, %s, had no untried peer left (it shares %d bits with the recipient)", signer.String()[:16], st.Proximity)
	} else {
		r.Reason = "no way on: every peer the packet was offered to gave it back or could not be reached"
	}
	delete(c.pending, id)
	c.save(append([]byte(sentPrefix), id[:]...), r)
}

// sweep settles packets that got no answer in time, and forgets old relay
// state.
func (c *certifier) sweep(timeout time.Duration) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, r := range c.pending {
		if now.Sub(r.SentAt) < timeout {
			continue
		}
		if len(r.HeldBy) > 0 {
			// heldBy settles it; a record saved before that is kept.
			continue
		}
		if len(r.ZoneReceipts) > 0 {
			r.Status = StatusZone
			r.Reason = "zone members took it; the recipient was not among those asked for a receipt"
		} else {
			r.Status = StatusFailed
			r.FailedHop, r.Reason = r.blame(c.n.self, timeout)
		}
		r.DoneAt = &now
		delete(c.pending, id)
		c.save(append([]byte(sentPrefix), id[:]...), r)
	}
	for id, e := range c.relays {
		c.bondSweep(id, e, now, timeout)
		if now.Sub(e.at) > 10*time.Minute {
			delete(c.relays, id)
		}
	}
}

// sent lists this node's certified packets, newest first.
func (c *certifier) sent() ([]SentRecord, error) {
	var out []SentRecord
	err := c.n.db.Scan([]byte(sentPrefix), func(_, v []byte) error {
		var r SentRecord
		if json.Unmarshal(v, &r) == nil {
			out = append(out, r)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].SentAt.After(out[j].SentAt) })
	return out, err
}

// ledger lists the certified packets this node relayed.
func (c *certifier) ledger() ([]LedgerEntry, error) {
	var out []LedgerEntry
	err := c.n.db.Scan([]byte(ledgerPrefix), func(_, v []byte) error {
		var e LedgerEntry
		if json.Unmarshal(v, &e) == nil {
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// record returns one sent record.
func (c *certifier) record(id [32]byte) (*SentRecord, error) {
	b, err := c.n.db.Get(append([]byte(sentPrefix), id[:]...))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	var r SentRecord
	return &r, json.Unmarshal(b, &r)
}

// undeliverable is called for a certified frame that could not be written
// to the next hop: this node states, signed, that it could not pass the
// packet on.
func (n *Node) undeliverable(frame []byte) {
	if len(frame) == 0 || frame[0] != frameCertified {
		return
	}
	_, raw, err := decodeCertified(frame[1:])
	if err != nil {
		return
	}
	if _, err := UnmarshalPacket(raw); err != nil {
		return
	}
	n.sign(PacketID(raw), ReceiptUnreachable)
}

// askReceipt decides whether a zone member is asked for a receipt.
func askReceipt(fraction float64) bool { return rand.Float64() < fraction }

// sentRecord is a certified packet this node sent: the record the API
// shows, and what the certifier keeps beside it while it waits.
type sentRecord struct {
	SentRecord
	// held are statements whose signer is not (yet) known to have been
	// handed the packet; one counts once its signer's acceptance comes.
	held []*Receipt
	// asked is set once FirstHops lists the peers actually handed it.
	asked bool
}

// chain follows the acceptances from the sender self: its first hops, the
// hops each of them named as taking it from them, and so on. An acceptance
// that names a hop not on the chain proves nothing: anybody can sign one.
func (r *sentRecord) chain(self identity.Overlay) hopChain {
	first := map[identity.Overlay]bool{}
	for _, s := range r.FirstHops {
		if p, err := peer.Decode(s); err == nil {
			first[identity.OverlayOf(p)] = true
		}
	}
	next := map[identity.Overlay][]identity.Overlay{}
	for _, h := range r.Hops {
		if h.Prev != nil {
			next[*h.Prev] = append(next[*h.Prev], h.Signer)
		}
	}
	// gaveBack: the hop's statement that it gave back the packet it took
	// from prev (its own copy, not a looped one).
	gaveBack := map[[2]identity.Overlay]*ReceiptInfo{}
	for i, h := range r.Returned {
		if h.Prev != nil {
			if k := [2]identity.Overlay{h.Signer, *h.Prev}; gaveBack[k] == nil {
				gaveBack[k] = &r.Returned[i]
			}
		}
	}
	hc := hopChain{took: map[identity.Overlay]bool{self: true}}
	level := []identity.Overlay{self}
	for len(level) > 0 {
		var deeper []identity.Overlay
		var holds *identity.Overlay
		var back *ReceiptInfo
		for _, o := range level {
			for _, h := range next[o] {
				if hc.took[h] || o == self && !first[h] {
					continue
				}
				hc.took[h] = true
				deeper = append(deeper, h)
				if b := gaveBack[[2]identity.Overlay{h, o}]; b != nil {
					if back == nil {
						back = b
					}
				} else if holds == nil {
					holds = &h
				}
			}
		}
		if holds != nil {
			hc.end = holds
		}
		if back != nil {
			hc.farthest = back
		}
		level = deeper
	}
	delete(hc.took, self)
	return hc
}

// blame names the hop at the end of the chain of proofs of a packet that
// got no answer: the last one that took the packet and showed neither a
// receipt nor a statement from a next hop. With no acceptance at all, that
// is the first hop it was handed to.
func (r *sentRecord) blame(self identity.Overlay, timeout time.Duration) (*identity.Overlay, string) {
	hc := r.chain(self)
	switch {
	case hc.end == nil && hc.farthest != nil:
		return &hc.farthest.Signer, fmt.Sprintf("every hop that took the packet gave it back, and no proof of delivery came within %s; the farthest was %s", timeout, hc.farthest.Signer.String()[:16])
	case hc.end != nil && *hc.end == r.To:
		return hc.end, fmt.Sprintf("the recipient took the packet but gave no receipt within %s (its inbox may be full)", timeout)
	case hc.end != nil:
		return hc.end, fmt.Sprintf("hop %s took the packet and showed no proof of delivery within %s", hc.end.String()[:16], timeout)
	}
	for _, s := range r.FirstHops {
		if p, err := peer.Decode(s); err == nil {
			o := identity.OverlayOf(p)
			return &o, fmt.Sprintf("first hop %s never confirmed taking the packet, and no proof of delivery came within %s", o.String()[:16], timeout)
		}
	}
	return nil, "no proof of delivery within " + timeout.String()
}

// sendCertified routes a packet this node sealed, with a bond, and records
// it as sent so that its receipts are collected under its id: session
// packets (SendSessionCertified), which name their recipient by the
// session, not by a card.
func (n *Node) sendCertified(ctx context.Context, p *Packet, raw []byte, to identity.Overlay, topic string) ([32]byte, error) {
	id := PacketID(raw)
	rec := &sentRecord{SentRecord: SentRecord{
		ID: fmt.Sprintf("%x", id), To: to, Bits: int(p.Bits), Topic: topic,
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
		if rc, serr := routeapi.SignReceipt(n.id, id, ReceiptUnreachable, identity.Overlay{}); serr == nil {
			n.certs.settle(rc)
		}
		return id, err
	}
	return id, nil
}
