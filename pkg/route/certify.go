package route

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
)

// Certified delivery (whitepaper, "Incentivized packet delivery"). The
// sender offers a bond with a packet and asks for proof of delivery. Each
// hop passes the packet on with a smaller bond (it keeps its fee) and
// remembers where it came from. The recipient signs a receipt over the
// packet id; the receipt travels back hop by hop, and every hop keeps it as
// proof that it passed the packet on. A certified packet is forwarded by
// the same rule as a plain one (Decide); a hop signs a statement that the
// recipient is unreachable only where that rule would drop a plain packet
// too: no peer to pass it to, the ttl run out, or the packet come round a
// loop (finger pointing); that goes back instead. A sender that
// hears nothing in time names its first hop as the one that showed no proof.
//
// In dark mode (luminosity < 256) the recipient must not stand out, so only
// a random fraction of zone members (at least one) are asked for receipts,
// and every asked member signs the same kind of receipt whether or not it
// could open the packet. The sender recognises the recipient's receipt by
// its key.
//
// Bonds are recorded in the ledger (ledger/<id>); no token moves here: mf-swap
// settles them.

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

// ReceiptInfo is a receipt as the API shows it.
type ReceiptInfo struct {
	Signer    identity.Overlay `json:"signer"`
	PeerID    string           `json:"peer_id"`
	Kind      string           `json:"kind"`
	Proximity int              `json:"proximity,omitempty"`
	Receipt   string           `json:"receipt"` // hex of the signed receipt
}

func receiptInfo(rc *Receipt) ReceiptInfo {
	kind := "received"
	if rc.Kind == ReceiptUnreachable {
		kind = "unreachable"
	}
	return ReceiptInfo{Signer: rc.Signer.Overlay(), PeerID: rc.Signer.PeerID().String(), Kind: kind, Proximity: int(rc.Proximity), Receipt: hex.EncodeToString(rc.Marshal())}
}

// SentRecord is what a sender knows about a certified packet.
type SentRecord struct {
	ID        string           `json:"id"`
	To        identity.Overlay `json:"to"`
	Bits      int              `json:"luminosity"`
	Topic     string           `json:"topic"`
	Bond      uint64           `json:"bond"`
	FirstHops []string         `json:"first_hops"`
	SentAt    time.Time        `json:"sent_at"`
	Status    string           `json:"status"`
	DoneAt    *time.Time       `json:"done_at,omitempty"`
	// Receipt is the recipient's signed receipt, once delivered.
	Receipt *ReceiptInfo `json:"receipt,omitempty"`
	// ZoneReceipts are receipts of other zone members (dark mode).
	ZoneReceipts []ReceiptInfo `json:"zone_receipts,omitempty"`
	// FailedHop names the hop that could not show proof of delivery, and
	// Statement is its signed answer when it gave one.
	FailedHop *identity.Overlay `json:"failed_hop,omitempty"`
	Statement *ReceiptInfo      `json:"statement,omitempty"`
	Reason    string            `json:"reason,omitempty"`
}

// LedgerEntry is what a relay records for a certified packet it passed on.
type LedgerEntry struct {
	ID      string            `json:"id"`
	Prev    *identity.Overlay `json:"prev,omitempty"`
	Next    []string          `json:"next"`
	BondIn  uint64            `json:"bond_in"`
	BondOut uint64            `json:"bond_out"`
	At      time.Time         `json:"at"`
	Proofs  []ReceiptInfo     `json:"proofs,omitempty"`
}

// relayEntry routes receipts back: who gave us the packet ("" for this
// node's own packets).
type relayEntry struct {
	prev   peer.ID
	at     time.Time
	signed map[[2]any]bool
	// next are the peers this node asked for proof: receipts are taken
	// from them only.
	next map[peer.ID]bool
}

// maxReceipts bounds the receipts one packet collects.
const maxReceipts = 64

type certifier struct {
	n       *Node
	mu      sync.Mutex
	relays  map[[32]byte]*relayEntry
	pending map[[32]byte]*SentRecord
}

func newCertifier(n *Node) *certifier {
	c := &certifier{n: n, relays: map[[32]byte]*relayEntry{}, pending: map[[32]byte]*SentRecord{}}
	// Pending records of an earlier run are settled by the sweeper.
	_ = n.db.Scan([]byte(sentPrefix), func(k, v []byte) error {
		var r SentRecord
		if json.Unmarshal(v, &r) == nil && r.Status == StatusPending && len(k) == len(sentPrefix)+32 {
			c.pending[[32]byte(k[len(sentPrefix):])] = &r
		}
		return nil
	})
	return c
}

// track remembers where a certified packet came from; it reports false for
// a packet already tracked.
func (c *certifier) track(id [32]byte, from peer.ID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.relays[id]; ok {
		return false
	}
	c.relays[id] = &relayEntry{prev: from, at: time.Now(), signed: map[[2]any]bool{}, next: map[peer.ID]bool{}}
	return true
}

// loopedBack reports whether certified packet id, already handled here,
// came again from a peer other than the one that first handed it over (or,
// at its sender, came back at all): it went round a loop. A copy from the
// same peer is a resend after a broken stream.
func (c *certifier) loopedBack(id [32]byte, from peer.ID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.relays[id]
	return e != nil && e.prev != from
}

// askedFor notes that peers were handed the certified packet id.
func (c *certifier) askedFor(id [32]byte, peers []peer.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.relays[id]; e != nil {
		for _, p := range peers {
			e.next[p] = true
		}
	}
}

func (c *certifier) save(key []byte, v any) {
	b, _ := json.Marshal(v)
	if err := c.n.db.Set(key, b); err != nil {
		c.n.log.Warn("certified delivery record", "err", err)
	}
}

// started records a certified packet this node sends.
func (c *certifier) started(id [32]byte, r *SentRecord) {
	c.mu.Lock()
	c.pending[id] = r
	c.mu.Unlock()
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
	return total, nil
}

// receipt handles a receipt for a packet this node took part in: it is kept
// as proof and passed back toward the sender, or, at the sender, settles the
// packet's status.
func (c *certifier) receipt(rc *Receipt, from peer.ID) {
	c.mu.Lock()
	e := c.relays[rc.ID]
	key := [2]any{rc.Signer.Overlay(), rc.Kind}
	// A receipt counts only from a peer this node handed the packet to
	// (or from this node itself), and a packet collects a bounded number.
	if e == nil || e.signed[key] || (from != "" && !e.next[from]) || len(e.signed) >= maxReceipts {
		c.mu.Unlock()
		c.n.stats.StrayReceipts.Add(1)
		return
	}
	e.signed[key] = true
	prev := e.prev
	c.mu.Unlock()
	if prev != "" {
		c.addProof(rc)
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
	e.Proofs = append(e.Proofs, receiptInfo(rc))
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
		r = new(SentRecord)
		if json.Unmarshal(b, r) != nil {
			return
		}
	}
	info := receiptInfo(rc)
	now := time.Now()
	switch {
	case r.Status == StatusDelivered:
		return
	case rc.Kind == ReceiptReceived && r.Bits == 256 && rc.Signer.Overlay() != r.To:
		// Only the recipient can take a fully addressed packet: a relay
		// signing "received" is trying to dodge blame.
		return
	case rc.Kind == ReceiptReceived && rc.Signer.Overlay() == r.To:
		r.Status, r.Receipt, r.DoneAt = StatusDelivered, &info, &now
		r.FailedHop, r.Statement, r.Reason = nil, nil, ""
		delete(c.pending, rc.ID)
	case rc.Kind == ReceiptReceived:
		// A zone member took it: that settles a dark packet as far as
		// the sender can know, unless the recipient's own receipt follows.
		r.ZoneReceipts = append(r.ZoneReceipts, info)
		if r.Status == StatusPending {
			r.Status, r.DoneAt = StatusZone, &now
			r.Reason = "zone members took it; the recipient's receipt has not come (it may not have been asked)"
			delete(c.pending, rc.ID)
		}
	case r.Status == StatusPending || r.Status == StatusZone && len(r.ZoneReceipts) == 0:
		o := rc.Signer.Overlay()
		r.Status, r.FailedHop, r.Statement, r.DoneAt = StatusFailed, &o, &info, &now
		r.Reason = "the hop closest to the recipient could not reach it"
		delete(c.pending, rc.ID)
	}
	c.save(key, r)
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
		if len(r.ZoneReceipts) > 0 {
			r.Status = StatusZone
			r.Reason = "zone members took it; the recipient was not among those asked for a receipt"
		} else {
			r.Status = StatusFailed
			r.Reason = "no proof of delivery within " + timeout.String()
			if len(r.FirstHops) > 0 {
				if p, err := peer.Decode(r.FirstHops[0]); err == nil {
					o := identity.OverlayOf(p)
					r.FailedHop = &o
				}
			}
		}
		r.DoneAt = &now
		delete(c.pending, id)
		c.save(append([]byte(sentPrefix), id[:]...), r)
	}
	for id, e := range c.relays {
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
	p, err := UnmarshalPacket(raw)
	if err != nil {
		return
	}
	n.sign(PacketID(raw), ReceiptUnreachable, uint16(p.Dest().Proximity(n.self)))
}

// askReceipt decides whether a zone member is asked for a receipt.
func askReceipt(fraction float64) bool { return rand.Float64() < fraction }
