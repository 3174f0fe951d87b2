package route

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/wire"
)

// Signed receipts for group packets. A certified group packet is sealed
// like any group packet, with FlagGroupReceipt inside its envelope, where
// only members see it: relays cannot tell it from another group packet, and
// the packet id (Packet.ID, the same for every copy however the destination
// list is split) is what each member signs. A member that opened it stores it
// before it signs (a receipt means the node has the message), then signs a
// receipt of kind received over the id and sends it back to the sender, at
// the group's luminosity: in a packet sealed to the sender on
// GroupReceiptTopic when this node has the sender's card (a contact, or
// found in the DHT), which goes the way the sender's packets came and
// backtracks like any packet; else in a packet of the group itself, sealed
// under the group key and addressed to the sender alone, with
// FlagReceiptBatch (a member may know another only by its overlay
// address). Receipts to one sender are batched: a member answers a burst
// of messages with one packet, not one per message.
//
// The sender keeps a record per packet (grsent/<id>) listing the members at
// the moment it sent, and takes a receipt only when its signature is valid,
// it is of kind received, it names a packet it sent, its signer is one of
// those members, and it came in a packet that signer signed itself: nobody
// can answer for another member. The record is delivered once every member
// signed. Nothing else is settled: a member that is down stays without a
// receipt (mf-chat sends again, and the receipt of any copy counts).
//
// Unlike a certified packet to one recipient (certify.go), a group packet
// carries no bond and collects no hop statements: a multicast packet's
// paths part at every split, and there is no single chain to blame along.

// GroupReceiptTopic carries members' receipts of certified group packets
// back to their sender, in packets sealed to it.
const GroupReceiptTopic = "mf/group/receipt"

// Group envelope flags of certified group packets (high bits, so that
// flags added for other uses keep the low ones).
const (
	// FlagGroupReceipt asks every member for a signed receipt.
	FlagGroupReceipt = 1 << 5
	// FlagReceiptBatch marks a group envelope whose payload is a batch of
	// receipts for the one member it is addressed to: it goes to no
	// listener.
	FlagReceiptBatch = 1 << 6
)

const (
	groupSentPrefix   = "grsent/"   // grsent/<id>: GroupSentRecord
	groupSentAtPrefix = "grsentat/" // the index of grsent/ by send time

	// maxGroupReceiptBatch bounds the receipts in one packet.
	maxGroupReceiptBatch = 64
	// groupReceiptEvery is how long receipts gather before they go out.
	groupReceiptEvery   = 50 * time.Millisecond
	groupReceiptVersion = 1
)

// GroupSentRecord and MemberReceipt are routeapi's.
type (
	GroupSentRecord = routeapi.GroupSentRecord
	MemberReceipt   = routeapi.MemberReceipt
)

// groupReceipts is both sides: the sender's records and the member's
// batches of receipts to send.
type groupReceipts struct {
	n *Node
	// mu orders the read-modify-write of sender records.
	mu sync.Mutex

	bmu     sync.Mutex
	pending map[batchKey]*receiptBatch
	kick    chan struct{}
}

// receiptBatch is what a member owes one sender in one group.
type receiptBatch struct {
	to       identity.Overlay
	group    string
	receipts [][]byte
}

// batchKey is a sender in a group.
type batchKey struct {
	to    identity.Overlay
	group string
}

func newGroupReceipts(n *Node) *groupReceipts {
	return &groupReceipts{n: n, pending: map[batchKey]*receiptBatch{}, kick: make(chan struct{}, 1)}
}

// SendGroupCertified is SendGroup with a signed receipt from every member.
// The record is stored before the packet leaves, so a fast receipt finds it.
func (n *Node) SendGroupCertified(ctx context.Context, name string, flags byte, payload []byte) ([32]byte, int, error) {
	x, err := n.groups.get(name)
	if err != nil {
		return [32]byte{}, 0, err
	}
	p, err := n.groups.seal(x, byte(n.opts.TTL), flags|FlagGroupReceipt, payload)
	if err != nil {
		return [32]byte{}, 0, err
	}
	id := p.ID()
	now := time.Now()
	rec := &GroupSentRecord{ID: hex.EncodeToString(id[:]), Group: x.Name, Luminosity: x.Luminosity, SentAt: now, Status: StatusPending}
	for _, m := range x.Members {
		if m.Overlay != n.self {
			rec.Members = append(rec.Members, MemberReceipt{Name: m.Name, Overlay: m.Overlay})
		}
	}
	if err := n.grcpts.save(id, rec, true); err != nil {
		return id, 0, err
	}
	// A member that is away signs when it fetches the copy its
	// delegates hold (hold.go).
	n.hold.sentGroup(x, p)
	return id, len(p.Dests), n.handlePacket(ctx, p, nil, "", nil)
}

func (g *groupReceipts) save(id [32]byte, r *GroupSentRecord, first bool) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	batch := g.n.db.NewBatch()
	batch.Set(append([]byte(groupSentPrefix), id[:]...), b)
	if first {
		batch.Set(timeKey(groupSentAtPrefix, r.SentAt, id), nil)
	}
	return batch.Commit()
}

// record returns the sender's record of group packet id.
func (g *groupReceipts) record(id [32]byte) (*GroupSentRecord, error) {
	b, err := g.n.db.Get(append([]byte(groupSentPrefix), id[:]...))
	if err != nil {
		return nil, err
	}
	var r GroupSentRecord
	return &r, json.Unmarshal(b, &r)
}

// list returns the sender's records, newest first.
func (g *groupReceipts) list() ([]GroupSentRecord, error) {
	out := []GroupSentRecord{}
	err := g.n.db.Scan([]byte(groupSentPrefix), func(_, v []byte) error {
		var r GroupSentRecord
		if json.Unmarshal(v, &r) == nil {
			out = append(out, r)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].SentAt.After(out[j].SentAt) })
	return out, err
}

// prune deletes the records made before cutoff.
func (g *groupReceipts) prune(cutoff time.Time) error {
	batch := g.n.db.NewBatch()
	n := 0
	err := g.n.db.Scan([]byte(groupSentAtPrefix), func(k, _ []byte) error {
		if len(k) != len(groupSentAtPrefix)+8+32 || n == 10000 {
			return errStopScan
		}
		if int64(binary.BigEndian.Uint64(k[len(groupSentAtPrefix):])) >= cutoff.UnixNano() {
			return errStopScan
		}
		batch.Delete(append([]byte(groupSentPrefix), k[len(groupSentAtPrefix)+8:]...))
		batch.Delete(slices.Clone(k))
		n++
		return nil
	})
	if err != nil && !errors.Is(err, errStopScan) {
		return err
	}
	if n == 0 {
		return nil
	}
	return batch.Commit()
}

// deliverCertified takes a group packet of certified delivery: a batch of
// receipts for this node, or a packet that asks for a receipt, stored
// first, then receipted to its sender.
func (g *groupReceipts) deliverCertified(id [32]byte, env *Envelope) bool {
	if env.Flags&FlagReceiptBatch != 0 {
		g.received(env)
		return true
	}
	if !g.n.deliver(id, env, true) {
		return false
	}
	g.owe(id, env)
	return true
}

// owe signs this node's receipt for group packet id, delivered here (live,
// or fetched from a delegate: hold.go), and queues it for its sender.
func (g *groupReceipts) owe(id [32]byte, env *Envelope) {
	if env.Sender.Overlay() == g.n.self {
		return
	}
	rc, err := routeapi.SignReceipt(g.n.id, id, ReceiptReceived, identity.Overlay{})
	if err != nil {
		g.n.log.Warn("signing a group receipt", "err", err)
		return
	}
	k := batchKey{to: env.Sender.Overlay(), group: strings.TrimPrefix(env.Topic, GroupListenTopic(""))}
	g.bmu.Lock()
	b := g.pending[k]
	if b == nil {
		b = &receiptBatch{to: k.to, group: k.group}
		g.pending[k] = b
	}
	b.receipts = append(b.receipts, rc.Marshal())
	g.bmu.Unlock()
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// run sends the owed receipts in batches: it sleeps until the first one,
// then sends every groupReceiptEvery until none are left.
func (g *groupReceipts) run(ctx context.Context) {
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-prune.C:
			if err := g.prune(time.Now().Add(-recordRetention)); err != nil {
				g.n.log.Warn("pruning group receipts", "err", err)
			}
			continue
		case <-g.kick:
		}
		for busy := true; busy; {
			select {
			case <-ctx.Done():
				return
			case <-time.After(groupReceiptEvery):
			}
			busy = g.flush(ctx)
		}
	}
}

// flush sends every owed batch, in a packet of the group addressed to the
// sender alone, and reports whether there were any. A batch for a group
// this node no longer holds, or a sender no longer in it, is dropped: the
// sender sees the member without a receipt.
func (g *groupReceipts) flush(ctx context.Context) bool {
	g.bmu.Lock()
	batches := g.pending
	g.pending = map[batchKey]*receiptBatch{}
	g.bmu.Unlock()
	for _, b := range batches {
		x, err := g.n.groups.get(b.group)
		var card *Target
		if err == nil {
			card, _ = g.n.Resolve(ctx, b.to.String())
		}
		for err == nil && len(b.receipts) > 0 {
			k := min(len(b.receipts), maxGroupReceiptBatch)
			batch := encodeGroupReceipts(b.receipts[:k])
			var p *Packet
			if card != nil {
				p, err = SealPacket(g.n.id, card.Card.Public, uint16(x.Luminosity), byte(g.n.opts.TTL), GroupReceiptTopic, 0, batch)
				if err == nil {
					err = g.n.handlePacket(ctx, p, p.Marshal(), "", nil)
				}
			} else {
				p, err = g.n.groups.sealTo(x, byte(g.n.opts.TTL), FlagReceiptBatch, batch, &b.to)
				if err == nil {
					err = g.n.handlePacket(ctx, p, nil, "", nil)
				}
			}
			b.receipts = b.receipts[k:]
		}
		if err != nil {
			g.n.log.Info("group receipts not sent", "to", b.to.String()[:16], "group", b.group, "err", err)
		}
	}
	return len(batches) > 0
}

// A batch of group receipts on the wire:
//
//	version  1 byte (1)
//	count    varint, 1..maxGroupReceiptBatch
//	receipts count × routeapi.ReceiptLen bytes
func encodeGroupReceipts(rs [][]byte) []byte {
	w := wire.Writer{B: make([]byte, 0, 2+len(rs)*routeapi.ReceiptLen)}
	w.Byte(groupReceiptVersion)
	w.Uvarint(uint64(len(rs)))
	for _, r := range rs {
		w.Fixed(r)
	}
	return w.B
}

// decodeGroupReceipts parses and verifies a batch.
func decodeGroupReceipts(b []byte) ([]*Receipt, error) {
	r := wire.NewReader(b)
	if v := r.Byte(); r.Err() == nil && v != groupReceiptVersion {
		return nil, fmt.Errorf("route: group receipts version %d", v)
	}
	k := r.Uvarint()
	if r.Err() != nil || k == 0 || k > maxGroupReceiptBatch {
		return nil, fmt.Errorf("route: group receipts: bad count")
	}
	out := make([]*Receipt, 0, k)
	for range k {
		rc, err := routeapi.DecodeReceipt(r.Fixed(routeapi.ReceiptLen))
		if err != nil {
			return nil, err
		}
		out = append(out, rc)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("route: group receipts: %w", err)
	}
	return out, nil
}

// received takes a batch from a member, at the sender.
func (g *groupReceipts) received(env *Envelope) {
	rs, err := decodeGroupReceipts(env.Payload)
	if err != nil {
		g.n.stats.BadPackets.Add(1)
		return
	}
	from := env.Sender.Overlay()
	for _, rc := range rs {
		if !g.apply(rc, from) {
			g.n.stats.StrayReceipts.Add(1)
		}
	}
}

// apply records rc, which came in a packet from, and reports whether it
// counted.
func (g *groupReceipts) apply(rc *Receipt, from identity.Overlay) bool {
	if rc.Kind != ReceiptReceived || rc.Signer.Overlay() != from {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	r, err := g.record(rc.ID)
	if errors.Is(err, kv.ErrNotFound) || err != nil {
		return false
	}
	i := slices.IndexFunc(r.Members, func(m MemberReceipt) bool { return m.Overlay == from })
	if i < 0 || r.Members[i].Receipt != nil {
		return false
	}
	info := routeapi.ReceiptInfoOf(rc)
	r.Members[i].Receipt = &info
	if r.Delivered() == len(r.Members) {
		now := time.Now()
		r.Status, r.DoneAt = StatusDelivered, &now
	}
	if err := g.save(rc.ID, r, false); err != nil {
		g.n.log.Warn("storing a group receipt", "err", err)
	}
	return true
}

func (n *Node) apiGroupReceipts(w http.ResponseWriter, r *http.Request) (any, error) {
	return n.grcpts.list()
}

func (n *Node) apiGroupReceipt(w http.ResponseWriter, r *http.Request) (any, error) {
	b, err := hex.DecodeString(r.PathValue("id"))
	if err != nil || len(b) != 32 {
		return nil, localapi.BadRequest("a packet id is 64 hex digits")
	}
	rec, err := n.grcpts.record([32]byte(b))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, localapi.NotFound("no certified group packet %x was sent from this node", b)
	}
	return rec, err
}
