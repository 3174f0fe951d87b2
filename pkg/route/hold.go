package route

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/par"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/swap/swapapi"
)

// Packet holding (whitepaper, "Incentivized packet holding"; mf-hold is
// the delegates' side, docs/hold.md the design). mf-route does the part
// that needs packets:
//
//   - Sending: a data packet sent with Send, and a session packet
//     (SendSession, SendSessionCertified), also goes to each of the
//     recipient's delegates (HoldAlways), or only when the recipient is not
//     connected (HoldUnreachable). The delegates come from the packet
//     holders table, an mf-db network table read from its providers over
//     the network (no local mf-db needed) and cached for holdRowTTL. A
//     delegate answers with a signed hold receipt; a certified packet with
//     receipts settles as held instead of failing at the timeout. A group
//     packet (SendGroup, SendGroupCertified) goes to every other member's
//     delegates as the copy narrowed to that member (sentGroup), which has
//     the packet's id.
//   - Receiving: at start, whenever a delegate (re)connects and every
//     holdFetchEvery, the node fetches what its delegates hold for it. Each
//     packet goes into the inbox once: delivered ids are kept in the store
//     (hrcv/), for direct and fetched packets alike, for holdMaxAge, and
//     the fetched ones of a round are delivered oldest first, which is
//     every sender's order. A fetched packet is past the freshness window
//     by nature; the stored record is its replay protection instead, and a
//     packet older than holdMaxAge, which the record no longer covers, is
//     refused.
//   - Received-lists: every holdListEvery and after each fetch, the node
//     signs, for each delegate, the ids delivered since the last list that
//     delegate took; the delegate deletes them and charges for the time
//     held, which this node books with mf-swap as the same figure.
//
// Store keys:
//
//	hrcv/<id 32>               delivered at (unix ms, 8 bytes)
//	hrct/<ms 8><id 32>         the same, by time (received-lists, pruning)
//	hcur/<delegate address 20> time of the last id a delegate's list covered (ms, 8 bytes)

// Hold modes: when a sender also sends a packet to the recipient's
// delegates.
const (
	HoldAlways      = "always"
	HoldUnreachable = "unreachable"
	HoldOff         = "off"
)

const (
	holdRowTTL      = 2 * time.Minute
	holdMissTTL     = 30 * time.Second
	holdFetchEvery  = 2 * time.Minute
	holdListEvery   = 30 * time.Second
	holdRetryEvery  = 15 * time.Second
	holdMaxAge      = 30 * 24 * time.Hour
	holdCallTimeout = 30 * time.Second
	// holdMaxPages bounds the pages one fetch round takes from one
	// delegate (a page is at most holdapi.MaxFetch packets); the rest
	// waits for the next round.
	holdMaxPages = 200
)

// holdPoll is how often the loop looks at the delegates (a variable for
// tests).
var holdPoll = 3 * time.Second

// holdStartPoll is how soon the loop looks again when it has not yet
// found the delegates; it doubles up to holdPoll.
const holdStartPoll = 250 * time.Millisecond

// HoldReceiptTopic carries a recipient's receipt for a certified packet it
// fetched from a delegate back to the sender, sealed like any packet: the
// receipt's own signature is what the sender checks.
const HoldReceiptTopic = "mf/hold/receipt"

type holdRow struct {
	delegates []holdapi.RowDelegate
	until     time.Time
}

// holding is the node's packet-holding state.
type holding struct {
	n    *Node
	api  *routeapi.Client
	swap *swapapi.Client
	mine *holdapi.Client
	db   *dbapi.Client // this node's mf-db, for when it is a table provider

	mu   sync.Mutex
	rows map[common.Address]holdRow
	// keys are group members' public keys (memberKey).
	keys map[identity.Overlay]identity.Public
	meta *dbapi.Meta
	// provs are the table's providers found last, until provsUntil.
	provs      []dbapi.Provider
	provsUntil time.Time
	// active: this node has delegates, so it keeps delivered ids.
	active bool
	// connected: the delegates connected at the last poll.
	connected map[peer.ID]bool
	fetchMu   sync.Mutex
	listMu    sync.Mutex
	// isConnected says whether a peer is connected now (the host's
	// view; tests set another).
	isConnected func(peer.ID) bool
	// lookupRow reads a row of the holders table (lookup; tests set
	// another, under mu, while the node runs).
	lookupRow func(context.Context, common.Address) ([]holdapi.RowDelegate, error)

	// Sending to delegates (sent): calls paced per delegate, a delegate
	// that failed passed over for holdDownFor, and at most holdBacklog
	// packets on their way to delegates at once.
	pacer     routeapi.Pacer
	down      map[string]time.Time
	backlog   chan struct{}
	lastOrder atomic.Uint64
	// chains are the delegate lookups under way, by recipient, and
	// waiting the packets queued on them all (h.mu).
	chains  map[common.Address]*lookupChain
	waiting int
}

const (
	// holdBacklog bounds the packets being handed to delegates at once;
	// a sender that runs further ahead waits (Send blocks) rather than
	// have packets dropped or held in memory without bound.
	holdBacklog = 4096
	// holdDownFor is how long a delegate whose daemon did not answer is
	// passed over, so that one dead delegate does not hold the others up.
	holdDownFor = 30 * time.Second
)

func newHolding(n *Node) *holding {
	h := &holding{n: n, rows: map[common.Address]holdRow{}, keys: map[identity.Overlay]identity.Public{}, connected: map[peer.ID]bool{},
		down: map[string]time.Time{}, backlog: make(chan struct{}, holdBacklog), chains: map[common.Address]*lookupChain{}}
	h.isConnected = func(p peer.ID) bool { return n.host.Network().Connectedness(p) == network.Connected }
	h.lookupRow = h.lookup
	if n.db != nil {
		// A node that sent its delegates a received-list had delegates
		// then: it keeps delivered ids from its first packet on, not
		// only once its first look finds them (a live copy delivered in
		// between would be fetched again from a delegate).
		_ = n.db.Scan([]byte("hcur/"), func(_, _ []byte) error {
			h.active = true
			return errHoldStop
		})
	}
	if n.opts.Home != "" {
		h.api = routeapi.NewClient(n.opts.Home)
		h.swap = swapapi.NewClient(n.opts.Home)
		h.mine = holdapi.NewClient(n.opts.Home)
		h.db = dbapi.NewClient(n.opts.Home)
	}
	return h
}

// delegatesOf returns addr's delegates from the holders table, cached.
func (h *holding) delegatesOf(ctx context.Context, addr common.Address) ([]holdapi.RowDelegate, error) {
	h.mu.Lock()
	r, ok := h.rows[addr]
	h.mu.Unlock()
	if ok && time.Now().Before(r.until) {
		return r.delegates, nil
	}
	h.mu.Lock()
	look := h.lookupRow
	h.mu.Unlock()
	ds, err := look(ctx, addr)
	ttl := holdRowTTL
	if err != nil || len(ds) == 0 {
		ttl = holdMissTTL
	}
	h.mu.Lock()
	if len(h.rows) > 4096 {
		h.rows = map[common.Address]holdRow{}
	}
	h.rows[addr] = holdRow{delegates: ds, until: time.Now().Add(ttl)}
	h.mu.Unlock()
	return ds, err
}

// forget drops addr's cached row.
func (h *holding) forget(addr common.Address) {
	h.mu.Lock()
	delete(h.rows, addr)
	h.mu.Unlock()
}

// tableProviders are the db providers nearest the holders table, the ones
// its placement names (mf-db places a network table on the R providers
// nearest its id), and a few more in case the views of the network differ.
func (h *holding) tableProviders(ctx context.Context) []dbapi.Provider {
	h.mu.Lock()
	if time.Now().Before(h.provsUntil) {
		defer h.mu.Unlock()
		return h.provs
	}
	h.mu.Unlock()
	id, _ := dbapi.ParseID(holdapi.HoldersTableID)
	var cands []dbapi.Candidate
	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	seen := map[peer.ID]bool{}
	found := h.n.kad.FindProvidersAsync(fctx, ServiceKey("db"), maxProviders)
	// The search ends when the DHT has no more to say, which may take
	// the whole timeout; a second after the first answer is enough for
	// the nearest providers, which answer first.
	var settle <-chan time.Time
	for {
		var ai peer.AddrInfo
		var ok bool
		select {
		case ai, ok = <-found:
		case <-settle:
		}
		if !ok {
			break
		}
		if settle == nil {
			settle = time.After(time.Second)
		}
		if seen[ai.ID] {
			continue
		}
		seen[ai.ID] = true
		pub, err := publicOfPeer(ai.ID)
		if err != nil {
			continue
		}
		if len(ai.Addrs) > 0 && ai.ID != h.n.host.ID() {
			h.n.host.Peerstore().AddAddrs(ai.ID, ai.Addrs, 10*time.Minute)
		}
		cands = append(cands, dbapi.Candidate{Provider: dbapi.Provider{Address: pub.Address(), PeerID: ai.ID.String()}, Overlay: identity.OverlayOf(ai.ID)})
	}
	// This node may announce db itself; the DHT does not name it to itself.
	if h.db != nil {
		sctx, scancel := context.WithTimeout(ctx, 2*time.Second)
		if _, err := h.db.Meta(sctx, holdapi.HoldersTableID); err == nil && !seen[h.n.host.ID()] {
			cands = append(cands, dbapi.Candidate{Provider: dbapi.Provider{Address: h.n.pub.Address(), PeerID: h.n.host.ID().String()}, Overlay: h.n.self})
		}
		scancel()
	}
	out := dbapi.NearestProviders(id, cands, 2*holdapi.HoldersTableRedundancy)
	if len(out) > 0 {
		h.mu.Lock()
		h.provs, h.provsUntil = out, time.Now().Add(holdRowTTL)
		h.mu.Unlock()
	}
	return out
}

// lookup reads addr's row from the table's providers, checking it
// against the table's rules: a row only addr signed is taken.
func (h *holding) lookup(ctx context.Context, addr common.Address) ([]holdapi.RowDelegate, error) {
	if h.api == nil {
		return nil, errors.New("route: no home, so no gateway")
	}
	key := strings.ToLower(addr.Hex())
	var errs []error
	missing := false
	for _, pr := range h.tableProviders(ctx) {
		self := pr.PeerID == h.n.host.ID().String()
		if self && h.db == nil {
			continue
		}
		m, err := h.tableMeta(ctx, pr)
		if err != nil {
			h.n.log.Debug("holders table meta", "provider", pr.PeerID, "err", err)
			errs = append(errs, err)
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, holdCallTimeout)
		var c dbapi.Change
		if self {
			// This node is one of the table's providers: its own
			// mf-db has the row (the gateway does not call itself).
			var got *dbapi.Change
			if got, err = h.db.Get(cctx, holdapi.HoldersTableID, key); err == nil {
				c = *got
			}
		} else {
			err = h.api.CallService(cctx, pr.PeerID, "db", http.MethodGet, "/v0/datasets/"+holdapi.HoldersTableID+"/row?key="+key, nil, &c)
		}
		cancel()
		var le *localapi.Error
		h.n.log.Debug("holders row lookup", "provider", pr.PeerID, "addr", key, "err", err)
		if errors.As(err, &le) && le.Status == http.StatusNotFound && le.Code == "not_found" {
			// No row here; another provider may have it (a write
			// reaches a quorum of them first).
			missing = true
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := dbapi.VerifyRow(m, key, &c); err != nil || c.Writer != addr {
			errs = append(errs, fmt.Errorf("provider %s answered with a row that does not verify: %v", pr.PeerID, err))
			continue
		}
		if c.Op == dbapi.OpDelete {
			return nil, nil
		}
		var row holdapi.HoldersRow
		if err := json.Unmarshal(c.Value, &row); err != nil {
			return nil, fmt.Errorf("route: the holders row of %s is not a list of delegates: %v", addr.Hex(), err)
		}
		var out []holdapi.RowDelegate
		for _, d := range row.Delegates {
			if len(out) < holdapi.MaxDelegates && common.IsHexAddress(d.Address) {
				out = append(out, d)
			}
		}
		return out, nil
	}
	if missing {
		return nil, nil // no row: no delegates
	}
	if len(errs) == 0 {
		// No provider to ask: no mf-db on the network sells the table yet
		// (the DHT had no provider record), or this node is its only one
		// and has no mf-db of its own.
		return nil, errors.New("route: no provider of the holders table found")
	}
	return nil, fmt.Errorf("route: no provider of the holders table answered: %w", errors.Join(errs...))
}

// tableMeta is the table's metadata, taken once from a provider and
// checked: a network table's id is the hash of its definition.
func (h *holding) tableMeta(ctx context.Context, pr dbapi.Provider) (*dbapi.Meta, error) {
	h.mu.Lock()
	m := h.meta
	h.mu.Unlock()
	if m != nil {
		return m, nil
	}
	cctx, cancel := context.WithTimeout(ctx, holdCallTimeout)
	defer cancel()
	var ref dbapi.Ref
	if pr.PeerID == h.n.host.ID().String() {
		got, err := h.db.Meta(cctx, holdapi.HoldersTableID)
		if err != nil {
			return nil, err
		}
		ref.Meta = got
	} else if err := h.api.CallService(cctx, pr.PeerID, "db", http.MethodGet, "/v0/datasets/"+holdapi.HoldersTableID+"/meta", nil, &ref); err != nil {
		return nil, err
	}
	if ref.Meta == nil || ref.Meta.Verify() != nil || ref.Meta.ID.String() != holdapi.HoldersTableID {
		return nil, fmt.Errorf("provider %s answered with other metadata for the holders table", pr.PeerID)
	}
	h.mu.Lock()
	h.meta = ref.Meta
	h.mu.Unlock()
	return ref.Meta, nil
}

// sent hands a packet just sent to the recipient's delegates, in the
// background; a certified one's receipts go to the certifier.
func (h *holding) sent(to identity.Public, raw []byte, id [32]byte, certified bool) {
	if !h.wants(to, certified) {
		return
	}
	// The order is taken here, in the order Send was called, before the
	// calls to the delegates go their own ways.
	h.handOver(func(context.Context) (identity.Public, error) { return to, nil }, bytes.Clone(raw), id, certified, h.nextOrder())
}

// wants reports whether a packet to `to` goes to its delegates too, by the
// hold mode: always, or when `to` is not connected (a certified packet
// always: the delegates are its fallback proof).
func (h *holding) wants(to identity.Public, certified bool) bool {
	mode := h.n.opts.HoldMode
	if mode == HoldOff || h.api == nil || to.PeerID() == h.n.host.ID() {
		return false
	}
	return mode != HoldUnreachable || certified || h.n.host.Network().Connectedness(to.PeerID()) != network.Connected
}

// sentGroup hands group packet p, just sent to group x, to the delegates
// of every member but this node: each member's delegates get the copy
// narrowed to that member's destination (what a relay forwards where the
// members' paths part), whose id is the packet's. A member that was away
// fetches it like a 1:1 packet, and one that got it live names the id in
// its received-list, which deletes its delegates' copy. Every copy has the
// packet's one place in this node's order. The hold mode applies to each
// member as to a recipient of Send.
func (h *holding) sentGroup(x *group, p *Packet) {
	if h.n.opts.HoldMode == HoldOff || h.api == nil {
		return
	}
	id := p.ID()
	order := h.nextOrder()
	// The destinations are the members but this node, in the order of
	// the group's record (groups.sealTo).
	i := 0
	for _, m := range x.Members {
		if m.Overlay == h.n.self {
			continue
		}
		if i == len(p.Dests) {
			break
		}
		d := p.Dests[i]
		i++
		if !matchesPrefix(m.Overlay, d.Prefix, d.Bits) {
			continue
		}
		q := *p
		q.Dests = []Dest{d}
		raw := q.Marshal()
		h.handOver(func(ctx context.Context) (identity.Public, error) {
			to, err := h.memberKey(ctx, m)
			if err == nil && !h.wants(to, false) {
				err = errNotHeld
			}
			return to, err
		}, raw, id, false, order)
	}
}

// errNotHeld: the hold mode does not send this packet to the delegates.
var errNotHeld = errors.New("not held")

// memberKey is a group member's public key, whose address names its row
// in the holders table: from the card the owner keeps, or the member's
// contact card, or its card in the DHT; kept once known (an overlay
// address is the hash of the key, which never changes).
func (h *holding) memberKey(ctx context.Context, m GroupMember) (identity.Public, error) {
	h.mu.Lock()
	pub, ok := h.keys[m.Overlay]
	h.mu.Unlock()
	if ok {
		return pub, nil
	}
	var c *identity.Card
	if m.Card != "" {
		c, _ = h.n.cards.parse(m.Card)
	}
	if c == nil || c.Overlay() != m.Overlay {
		t, err := h.n.resolveOverlay(ctx, m.Overlay)
		if err != nil {
			return identity.Public{}, err
		}
		c = t.Card
	}
	h.mu.Lock()
	if len(h.keys) > 4096 {
		h.keys = map[identity.Overlay]identity.Public{}
	}
	h.keys[m.Overlay] = c.Public
	h.mu.Unlock()
	return c.Public, nil
}

// handOver hands raw (packet id) in the background to the delegates of
// the node recipient names, with the packet's place in this node's order.
// recipient runs in the background too: a group member's key may take a
// DHT lookup. A sender that runs more than holdBacklog packets ahead waits
// here.
func (h *holding) handOver(recipient func(context.Context) (identity.Public, error), raw []byte, id [32]byte, certified bool, order uint64) {
	select {
	case h.backlog <- struct{}{}:
	case <-h.n.ctx.Done():
		return
	}
	go func() {
		defer func() { <-h.backlog }()
		// Up to two minutes: a node that has just started (the one that
		// comes back and answers what it fetched, for one) may not reach
		// the holders table's providers for a while.
		ctx, cancel := context.WithTimeout(h.n.ctx, 4*holdCallTimeout)
		defer cancel()
		to, err := recipient(ctx)
		if err != nil {
			if !errors.Is(err, errNotHeld) {
				h.n.log.Info("cannot find a recipient's key to look its delegates up", "err", err)
			}
			return
		}
		mode := h.n.opts.HoldMode
		ds, ok := h.lookUpOnce(ctx, to, holdJob{raw: raw, id: id, certified: certified, order: order})
		if !ok || len(ds) == 0 {
			return
		}
		if mode == HoldUnreachable && h.n.host.Network().Connectedness(to.PeerID()) == network.Connected && certified {
			// Certified: the delegates are the fallback proof, so they
			// get it unless the recipient is plainly there.
			return
		}
		var mu sync.Mutex
		var held []string
		var claims []*holdapi.Receipt
		var wg sync.WaitGroup
		live := make([]holdapi.RowDelegate, 0, len(ds))
		for _, d := range ds {
			if d.PeerID == h.n.host.ID().String() {
				// This node is one of the recipient's delegates: the
				// gateway does not call itself, and the others hold it.
				continue
			}
			if !h.isDown(d.PeerID) {
				live = append(live, d)
			}
		}
		if len(live) == 0 {
			// All failed lately: try them all rather than none.
			for _, d := range ds {
				if d.PeerID != h.n.host.ID().String() {
					live = append(live, d)
				}
			}
		}
		for _, d := range live {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// The wait for a free call to d is not bounded by the
				// lookup's timeout: under load packets queue here.
				rc, err := h.holdAt(h.n.ctx, d, to.Address(), raw, id, certified, order)
				if err != nil {
					var le *localapi.Error
					if !errors.As(err, &le) || le.Status >= 500 {
						h.markDown(d.PeerID)
					}
					h.n.log.Info("a delegate did not take a packet", "delegate", d.PeerID, "err", err)
					return
				}
				mu.Lock()
				held = append(held, rc.Delegate.Hex())
				if rc.Claim != nil {
					claims = append(claims, rc)
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		if len(claims) > 0 && h.mine != nil {
			// The delegates' court promises: this node's mf-hold keeps
			// them and passes them on to the recipient, which can take
			// a delegate that drops the packet to court.
			// Its own timeout: the calls to the delegates may have
			// waited their turn past the lookup's.
			kctx, kcancel := context.WithTimeout(h.n.ctx, holdCallTimeout)
			defer kcancel()
			if err := h.mine.Keep(kctx, to.PeerID().String(), claims); err != nil {
				h.n.log.Debug("the delegates' claims were not kept", "err", err)
			}
		}
		if certified && len(held) > 0 {
			sort.Strings(held)
			h.n.certs.heldBy(id, held)
		}
	}()
}

// holdJob is a packet on its way to its recipient's delegates.
type holdJob struct {
	raw       []byte
	id        [32]byte
	certified bool
	order     uint64
}

// lookupChain is the one search, with its retries, for a recipient's
// delegates while they cannot be found; the packets sent to the recipient
// meanwhile wait on it. Were each packet to search and retry on its own,
// a sender whose recipient's delegates cannot be looked up (a network
// with no holders table, or a node that has just started) would fill the
// backlog with packets each waiting up to two minutes, and Send would
// stall: a 10,000-packet stream once took 115 s instead of 7.
type lookupChain struct {
	waiting []holdJob
	dropped int
}

// holdChainQueue bounds the packets waiting on one chain, and holdBacklog
// those waiting on all chains together; beyond that the oldest go to the
// recipient alone (they were sent to it live too).
const holdChainQueue = 1024

// lookUpOnce finds to's delegates for job. The cached row answers at once.
// Otherwise the first packet searches, retrying for as long as its context
// allows, while the packets sent to the same recipient meanwhile wait on
// its search (ok false: the searcher hands them over when it is done).
func (h *holding) lookUpOnce(ctx context.Context, to identity.Public, job holdJob) (ds []holdapi.RowDelegate, ok bool) {
	addr := to.Address()
	h.mu.Lock()
	if c := h.chains[addr]; c != nil {
		if len(c.waiting) >= holdChainQueue || h.waiting >= holdBacklog {
			if len(c.waiting) == 0 {
				c.dropped++
				h.mu.Unlock()
				return nil, false
			}
			c.waiting = c.waiting[1:]
			c.dropped++
			h.waiting--
		}
		c.waiting = append(c.waiting, job)
		h.waiting++
		h.mu.Unlock()
		return nil, false
	}
	if r, cached := h.rows[addr]; cached && time.Now().Before(r.until) {
		h.mu.Unlock()
		return r.delegates, true
	}
	c := &lookupChain{}
	h.chains[addr] = c
	h.mu.Unlock()

	ds, err := h.delegatesOf(ctx, addr)
	for try := 0; err != nil && try < 6; try++ {
		h.n.log.Info("cannot look the recipient's delegates up", "to", addr.Hex(), "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(2<<try) * time.Second):
		}
		if ctx.Err() != nil {
			break
		}
		h.forget(addr)
		ds, err = h.delegatesOf(ctx, addr)
	}
	h.mu.Lock()
	delete(h.chains, addr)
	waiting, dropped := c.waiting, c.dropped
	h.waiting -= len(waiting)
	h.mu.Unlock()
	if err != nil || len(ds) == 0 {
		if n := len(waiting) + dropped; n > 0 && err != nil {
			h.n.log.Info("the recipient's delegates could not be looked up; packets sent meanwhile went to the recipient alone", "to", addr.Hex(), "packets", n+1)
		}
		return nil, true
	}
	if dropped > 0 {
		h.n.log.Info("more packets waited on a delegates lookup than are kept; the oldest went to the recipient alone", "to", addr.Hex(), "packets", dropped)
	}
	// The row is cached now: each waiting packet takes the fast path. They
	// are handed over from a goroutine of their own, which holds no slot
	// of the backlog while it waits for one (this one holds a slot).
	if len(waiting) > 0 {
		go func() {
			for _, j := range waiting {
				h.handOver(func(context.Context) (identity.Public, error) { return to, nil }, j.raw, j.id, j.certified, j.order)
			}
		}()
	}
	return ds, true
}

// nextOrder is the place of a packet in the order this node sends: the
// time in nanoseconds, made to grow by at least one each time, so that it
// keeps growing across restarts too. Delegates keep it with the packet,
// and a fetch orders by it what one sender sent within a millisecond.
func (h *holding) nextOrder() uint64 {
	for {
		last := h.lastOrder.Load()
		next := max(uint64(time.Now().UnixNano()), last+1)
		if h.lastOrder.CompareAndSwap(last, next) {
			return next
		}
	}
}

// isDown reports a delegate that failed lately (markDown).
func (h *holding) isDown(p string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	until, ok := h.down[p]
	return ok && time.Now().Before(until)
}

// markDown passes delegate p over for holdDownFor: its daemon or the way
// to it failed, not its answer.
func (h *holding) markDown(p string) {
	h.mu.Lock()
	h.down[p] = time.Now().Add(holdDownFor)
	h.mu.Unlock()
}

// holdAt sends a packet to one delegate and checks its receipt.
func (h *holding) holdAt(ctx context.Context, d holdapi.RowDelegate, client common.Address, raw []byte, id [32]byte, certified bool, order uint64) (*holdapi.Receipt, error) {
	path := "/v0/hold/" + client.Hex() + "?order=" + strconv.FormatUint(order, 10)
	if certified {
		path += "&certified=1"
	}
	var rc holdapi.Receipt
	err := h.pacer.Do(ctx, d.PeerID, func() error {
		cctx, cancel := context.WithTimeout(ctx, holdCallTimeout)
		defer cancel()
		resp, err := h.api.CallServiceStream(cctx, routeapi.ServiceCall{Peer: d.PeerID, Service: holdapi.Service, Method: http.MethodPost, Path: path,
			ContentType: localapi.OctetStream, Body: bytes.NewReader(raw), Length: int64(len(raw))})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&rc); err != nil {
			return fmt.Errorf("bad receipt: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if rc.ID != id || rc.Client != client || rc.Delegate != common.HexToAddress(d.Address) ||
		rc.Hash != sha256.Sum256(raw) || int(rc.Size) != len(raw) {
		return nil, fmt.Errorf("the receipt is for another packet, client or delegate")
	}
	if rc.Claim != nil {
		root, chunks := holdapi.PromiseOf(raw)
		if rc.Claim.Key != holdapi.PromiseKey(client, id) || rc.Claim.Root != root || rc.Claim.Chunks != chunks {
			return nil, fmt.Errorf("the receipt's court claim promises another packet")
		}
	}
	return &rc, nil
}

// myDelegates are this node's delegates: from its mf-hold when it runs
// (with their agreements, which received-lists release packets under),
// else from the holders table.
func (h *holding) myDelegates(ctx context.Context) []holdapi.Delegate {
	if h.mine == nil {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	out, err := h.mine.Delegates(cctx)
	cancel()
	if err != nil && ctx.Err() != nil {
		return nil // stopping
	}
	if err != nil {
		out = nil
		row, _ := h.delegatesOf(ctx, h.n.pub.Address())
		for _, d := range row {
			out = append(out, holdapi.Delegate{PeerID: d.PeerID, Address: d.Address, Price: d.Price})
		}
	}
	h.mu.Lock()
	h.active = h.active || len(out) > 0
	h.mu.Unlock()
	return out
}

// loop fetches from each delegate at start, when it (re)connects and
// every holdFetchEvery (one that did not answer is tried again after
// holdRetryEvery), and sends received-lists every holdListEvery and after
// each fetch. Each delegate keeps its own time: one that is away does not
// make the others be fetched from at every poll.
func (h *holding) loop(ctx context.Context) {
	if h.api == nil || h.n.opts.HoldMode == HoldOff {
		return
	}
	type fetchState struct {
		last time.Time // the last fetch tried
		ok   bool      // it was answered
	}
	state := map[string]*fetchState{}
	var lastList time.Time
	// The first round runs at once, and is tried again after
	// holdStartPoll, twice that, and so on up to holdPoll, until it has
	// run (this node's mf-hold, which names the delegates, may start
	// after it): a node that comes back gets what was held for it without
	// waiting a poll interval, and a node with no delegates at all (no
	// mf-hold, or none hired) does not ask four times a second forever.
	started := false
	wait := min(holdStartPoll, holdPoll)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if started {
			t.Reset(holdPoll)
		} else {
			t.Reset(wait)
			// Capped here, not only at the Reset: doubled without end it
			// would overflow within two minutes and fire at once, forever.
			wait = min(2*wait, holdPoll)
		}
		ds := h.myDelegates(ctx)
		if len(ds) == 0 {
			continue
		}
		started = true
		now := time.Now()
		var due []holdapi.Delegate
		for _, d := range ds {
			pid, err := peer.Decode(d.PeerID)
			if err != nil {
				continue
			}
			st := state[d.PeerID]
			if st == nil {
				st = &fetchState{}
				state[d.PeerID] = st
			}
			up := h.isConnected(pid)
			h.mu.Lock()
			was := h.connected[pid]
			h.connected[pid] = up
			h.mu.Unlock()
			switch {
			case st.last.IsZero(), up && !was, now.Sub(st.last) >= holdFetchEvery,
				!st.ok && now.Sub(st.last) >= holdRetryEvery:
				// A delegate not connected is dialled by the fetch.
				due = append(due, d)
				st.last = now
			}
		}
		if len(due) > 0 {
			failed := h.fetch(ctx, due)
			for _, d := range due {
				state[d.PeerID].ok = !failed[d.PeerID]
			}
			lastList = time.Time{}
		}
		if now.Sub(lastList) >= holdListEvery {
			lastList = now
			h.sendLists(ctx, ds)
		}
	}
}

// fetched is a packet fetched from a delegate, opened.
type fetched struct {
	id    [32]byte
	env   *Envelope
	flags byte
	// order, from and seq: its place in its sender's order
	// (holdapi.Held.Order), the delegate (its place in the round's list)
	// and its place in that delegate's queue. Send times are
	// milliseconds, and a sender's burst puts several packets in one:
	// the sender's order breaks the tie, else (a sender that gave none)
	// the order a delegate took them in.
	order uint64
	from  int
	seq   uint64
	// group: a group packet, delivered on its group's stream; claimed:
	// its delivery entry in the duplicate filter is taken (claim).
	group, claimed bool
}

// fetch takes what the delegates hold for this node and delivers it; it
// returns the delegates (by peer ID) that did not answer.
func (h *holding) fetch(ctx context.Context, ds []holdapi.Delegate) map[string]bool {
	h.fetchMu.Lock()
	defer h.fetchMu.Unlock()
	var mu sync.Mutex
	byID := map[[32]byte]*fetched{}
	failed := map[string]bool{}
	var wg sync.WaitGroup
	for di, d := range ds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var after uint64
			for page := 0; ; page++ {
				hs, err := h.fetchPage(ctx, d, after)
				if err == nil && len(hs) > 0 && hs[0].Seq <= after {
					// Each page must move on: a delegate that answers
					// again with what it sent would hold this loop, and
					// every fetch behind fetchMu, for ever.
					err = fmt.Errorf("a delegate answered with packets at or before %d again", after)
				}
				if err == nil && page == holdMaxPages {
					err = fmt.Errorf("a delegate has more than %d pages of packets", holdMaxPages)
				}
				if err != nil {
					h.n.log.Debug("fetching held packets", "delegate", d.PeerID, "err", err)
					mu.Lock()
					failed[d.PeerID] = true
					mu.Unlock()
					return
				}
				// Opened on every core (a packet costs an X25519 and a
				// signature check); a copy another delegate gave, or one
				// delivered before, is not opened again.
				fs := make([]*fetched, len(hs))
				par.Each(len(hs), func(i int) {
					id := heldID(hs[i].Packet)
					mu.Lock()
					g := byID[id]
					dup := g != nil && g.from <= di
					mu.Unlock()
					if !dup && !h.received(id) {
						if fs[i] = h.open(hs[i]); fs[i] != nil {
							fs[i].order, fs[i].from, fs[i].seq = hs[i].Order, di, hs[i].Seq
						}
					}
				})
				for _, f := range fs {
					if f == nil {
						continue
					}
					mu.Lock()
					// The first delegate's copy, so that ties are broken
					// in one delegate's order where it can be.
					if g := byID[f.id]; g == nil || f.from < g.from {
						byID[f.id] = f
					}
					mu.Unlock()
				}
				if len(hs) == 0 {
					return
				}
				after = hs[len(hs)-1].Seq
			}
		}()
	}
	wg.Wait()
	all := make([]*fetched, 0, len(byID))
	for _, f := range byID {
		all = append(all, f)
	}
	// Oldest first: every sender's packets in the order it sent them.
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		switch {
		case !a.env.Sent.Equal(b.env.Sent):
			return a.env.Sent.Before(b.env.Sent)
		case a.order != b.order:
			return a.order < b.order
		case a.from != b.from:
			return a.from < b.from
		case a.seq != b.seq:
			return a.seq < b.seq
		}
		return bytes.Compare(a.id[:], b.id[:]) < 0
	})
	n := h.deliverAll(all)
	if n > 0 {
		h.n.log.Info("delivered packets held by delegates", "packets", n)
	}
	return failed
}

// heldID is the id a held packet is recorded by: a group packet's is its
// group id (Packet.ID), which every member's narrowed copy shares with
// the live packet.
func heldID(raw []byte) [32]byte {
	if len(raw) > 1 && raw[1] == KindGroup {
		if p, err := UnmarshalPacket(raw); err == nil {
			return p.ID()
		}
	}
	return PacketID(raw)
}

// claim drops from fs the group packets whose live copy was taken for
// delivery in the last minutes (its entry in the duplicate filter, which
// handleGroupPacket takes before it opens a copy), and takes that entry
// for the rest, so that a live copy that comes later is a duplicate.
// Between the two paths the entry, taken once, decides which delivers;
// the delivered-id record (received) does across restarts. A group packet
// dropped here whose live copy was not delivered after all (it found the
// inbox full) is fetched again once the entry is forgotten: it is not
// recorded as delivered.
func (h *holding) claim(fs []*fetched) []*fetched {
	out := fs[:0:0]
	for _, f := range fs {
		if f.group && !f.claimed {
			if !h.n.seen.add(groupDeliveryKey(f.id)) {
				h.n.stats.Duplicates.Add(1)
				continue
			}
			f.claimed = true
		}
		out = append(out, f)
	}
	return out
}

// fetchedBatch is how many fetched packets share one synced batch.
const fetchedBatch = 500

// deliverAll delivers a round's fetched packets in order: those for
// listeners in pages of fetchedBatch, each page's inbox entries and the
// records of its ids in one synced batch (one disk sync a page, not one
// a packet: 10,000 held packets took 13 s one by one); those for the
// node's own topics one by one. It returns how many it delivered.
func (h *holding) deliverAll(all []*fetched) int {
	n := 0
	var page []*fetched
	// flush delivers page, waiting for room while listeners drain the
	// inbox. It reports false when the inbox stayed full for inboxWait:
	// the round stops, and what is left is fetched again later, so that
	// nothing overtakes what found no room.
	flush := func() bool {
		progress := time.Now()
		for len(page) > 0 {
			k, rest := h.deliverPage(page)
			n += k
			if k > 0 {
				progress = time.Now()
			}
			page = rest
			if len(page) == 0 {
				break
			}
			if time.Since(progress) > inboxWait {
				return false
			}
			select {
			case <-time.After(50 * time.Millisecond):
			case <-h.n.ctx.Done():
				return false
			}
		}
		return true
	}
	for _, f := range all {
		if h.received(f.id) {
			continue
		}
		if !forListeners(f.env) {
			if !flush() {
				return n
			}
			if h.deliverFetched(f) {
				n++
			}
			continue
		}
		page = append(page, f)
		if len(page) == fetchedBatch && !flush() {
			return n
		}
	}
	flush()
	return n
}

// inboxWait is how long a round of fetched packets waits for room in an
// inbox that listeners are not draining.
const inboxWait = 5 * time.Second

// deliverPage stores fs, packets for listeners not delivered before, in
// the inbox with the records of their ids, in one batch, and then hands
// them to the listeners in order. It returns how many it delivered, and
// those the inbox had no room for (storeMany), in order.
func (h *holding) deliverPage(fs []*fetched) (int, []*fetched) {
	fs = h.claim(fs)
	if len(fs) == 0 {
		return 0, nil
	}
	ms := make([]*Message, len(fs))
	for i, f := range fs {
		// A direct copy that comes later is a duplicate.
		h.n.seen.add(f.id)
		ms[i] = newMessage(f.id, f.env)
	}
	keys, err := h.n.subs.storeMany(ms, func(b *kv.Batch, i int) { h.markBatch(b, fs[i].id) })
	if err != nil {
		h.n.log.Warn("delivering held packets", "err", err)
		return 0, nil
	}
	n := 0
	var rest []*fetched
	for i, m := range ms {
		if keys[i] == nil {
			rest = append(rest, fs[i])
			continue
		}
		n++
		h.n.stats.Delivered.Add(1)
		if afterHeldDelivery != nil {
			afterHeldDelivery()
		}
		m.InboxKey = keys[i]
		h.n.subs.handOut(m, true)
		h.receipt(fs[i])
	}
	return n, rest
}

// receipt signs what the sender of a fetched packet asked for: a 1:1
// certified packet's receipt, or a member's receipt for a group packet
// that asks every member for one (groupreceipt.go).
func (h *holding) receipt(f *fetched) {
	switch {
	case f.group && f.env.Flags&FlagGroupReceipt != 0:
		h.n.grcpts.owe(f.id, f.env)
	case !f.group && f.flags&holdapi.FlagCertified != 0:
		h.signFetched(f)
	}
}

// afterHeldDelivery, when set (tests), runs between a fetched packet's
// delivery and the rest of its bookkeeping: where a crash would strike.
var afterHeldDelivery func()

// deliverFetched delivers a fetched packet unless it was delivered
// already, and reports whether it did. Its id is recorded in the same
// batch as its inbox entry: a crash at any point leaves either both or
// neither, so a restart neither loses it nor delivers it twice.
func (h *holding) deliverFetched(f *fetched) bool {
	if h.received(f.id) || len(h.claim([]*fetched{f})) == 0 {
		return false
	}
	// A direct copy that comes later is a duplicate.
	h.n.seen.add(f.id)
	recorded := false
	ok := h.n.deliverWith(f.id, f.env, true, func(b *kv.Batch) {
		h.markBatch(b, f.id)
		recorded = true
	})
	if !ok {
		return false
	}
	if afterHeldDelivery != nil {
		afterHeldDelivery()
	}
	if !recorded {
		// Taken by the node itself (a control topic), not the inbox.
		h.markReceived(f.id)
	}
	h.receipt(f)
	return true
}

func (h *holding) fetchPage(ctx context.Context, d holdapi.Delegate, after uint64) ([]holdapi.Held, error) {
	cctx, cancel := context.WithTimeout(ctx, 2*holdCallTimeout)
	defer cancel()
	resp, err := h.api.CallServiceStream(cctx, routeapi.ServiceCall{Peer: d.PeerID, Service: holdapi.Service, Method: http.MethodGet,
		Path: "/v0/fetch?after=" + strconv.FormatUint(after, 10)})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 2*holdapi.MaxFetch*(holdapi.MaxPacket+32)))
	if err != nil {
		return nil, err
	}
	return holdapi.DecodeHeld(b)
}

// open checks a fetched packet as tryOpen checks one that arrived: a data,
// session or group packet for this node, that opens, from a sender allowed
// on its topic (a group packet: from a member, on its group's stream), and
// not older than the delivered-id record reaches back.
func (h *holding) open(x holdapi.Held) *fetched {
	p, err := UnmarshalPacket(x.Packet)
	if err != nil || !h.forMe(p) {
		h.n.stats.BadPackets.Add(1)
		return nil
	}
	id := PacketID(x.Packet)
	var env *Envelope
	switch p.Kind {
	case KindSession:
		// Sealed with a session key this node holds (the sender keeps
		// sealing with an epoch until this node answers its proposal,
		// so a packet held while this node was away opens); its rekey
		// message is not acted on, since the packet is not fresh.
		env, err = h.n.sess.openPacket(p)
	case KindGroup:
		// Sealed with a group key this node holds: the current epoch's,
		// or a replaced one's within its KeyGrace, as a live copy.
		id = p.ID()
		env, err = h.n.groups.openPacket(p)
	default:
		env, err = OpenPacket(h.n.opener, p)
	}
	switch {
	case err != nil:
		h.n.stats.NotForUs.Add(1)
		return nil
	case !admitted(p.Kind, env), p.Kind == KindGroup && env.Flags&FlagReceiptBatch != 0:
		// A batch of group receipts travels to one member live only;
		// held, it would reach the group's stream as a message.
		h.n.stats.Forged.Add(1)
		return nil
	case env.Sent.Before(nowFunc().Add(-holdMaxAge)) || env.Sent.After(nowFunc().Add(maxSkewAhead)):
		h.n.stats.Stale.Add(1)
		return nil
	}
	return &fetched{id: id, env: env, flags: x.Flags, group: p.Kind == KindGroup}
}

// forMe reports whether packet p addresses this node: its destination, or
// for a group packet one of them.
func (h *holding) forMe(p *Packet) bool {
	if p.Kind != KindGroup {
		return p.Matches(h.n.self)
	}
	for _, d := range p.Dests {
		if matchesPrefix(h.n.self, d.Prefix, d.Bits) {
			return true
		}
	}
	return false
}

// signFetched signs the recipient's receipt for a certified packet
// fetched from a delegate and sends it to the sender, which turns the
// packet from held to delivered.
func (h *holding) signFetched(f *fetched) {
	rc, err := routeapi.SignReceipt(h.n.id, f.id, ReceiptReceived, identity.Overlay{})
	if err != nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(h.n.ctx, holdCallTimeout)
		defer cancel()
		to := f.env.Sender
		if t, err := h.n.Resolve(ctx, to.Overlay().String()); err == nil {
			to = t.Card.Public
		}
		if err := h.n.sendTo(ctx, to, HoldReceiptTopic, rc.Marshal()); err != nil {
			h.n.log.Debug("receipt for a held packet not sent", "err", err)
		}
	}()
}

// takeReceipt is the sender's side of signFetched.
func (h *holding) takeReceipt(env *Envelope) {
	rc, err := routeapi.DecodeReceipt(env.Payload)
	if err != nil || rc.Kind != ReceiptReceived || rc.Signer.Overlay() != env.Sender.Overlay() {
		h.n.stats.StrayReceipts.Add(1)
		return
	}
	h.n.certs.settle(rc)
}

// received reports whether packet id was delivered here already.
func (h *holding) received(id [32]byte) bool {
	_, err := h.n.db.Get(append([]byte("hrcv/"), id[:]...))
	return err == nil
}

// delivered records a data packet delivered directly, while this node has
// delegates: its id goes into the next received-lists.
func (h *holding) delivered(id [32]byte) {
	h.mu.Lock()
	active := h.active
	h.mu.Unlock()
	if active {
		h.markReceived(id)
	}
}

func (h *holding) markReceived(id [32]byte) {
	b := h.n.db.NewBatch()
	h.markBatch(b, id)
	if err := b.Commit(); err != nil {
		h.n.log.Warn("recording a delivered packet", "err", err)
	}
}

// markBatch adds the record of id's delivery to b.
func (h *holding) markBatch(b *kv.Batch, id [32]byte) {
	ms := binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixMilli()))
	b.Set(append([]byte("hrcv/"), id[:]...), ms)
	b.Set(append(append([]byte("hrct/"), ms...), id[:]...), nil)
}

// sendLists sends each delegate the ids delivered since its last list.
func (h *holding) sendLists(ctx context.Context, ds []holdapi.Delegate) {
	h.listMu.Lock()
	defer h.listMu.Unlock()
	for _, d := range ds {
		if err := h.sendList(ctx, d); err != nil {
			h.n.log.Debug("received-list not taken", "delegate", d.PeerID, "err", err)
		}
	}
	h.prune()
}

func (h *holding) sendList(ctx context.Context, d holdapi.Delegate) error {
	da := common.HexToAddress(d.Address)
	ck := append([]byte("hcur/"), da[:]...)
	var from uint64
	if v, err := h.n.db.Get(ck); err == nil && len(v) == 8 {
		from = binary.BigEndian.Uint64(v)
	}
	for {
		l := &holdapi.ReceivedList{Delegate: da, AtMs: uint64(time.Now().UnixMilli())}
		var last uint64
		lower := binary.BigEndian.AppendUint64([]byte("hrct/"), from)
		err := h.n.db.ScanRange(lower, []byte("hrct0"), func(k, _ []byte) error {
			var id [32]byte
			copy(id[:], k[len(k)-32:])
			l.IDs = append(l.IDs, id)
			last = binary.BigEndian.Uint64(k[5:13])
			if len(l.IDs) == holdapi.MaxReceived {
				return errHoldStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errHoldStop) {
			return err
		}
		if len(l.IDs) == 0 {
			return nil
		}
		if err := releaseFor(l, d, h.n.id.Key); err != nil {
			return err
		}
		if err := l.Sign(h.n.id.Key); err != nil {
			return err
		}
		body := l.Encode()
		cctx, cancel := context.WithTimeout(ctx, holdCallTimeout)
		resp, err := h.api.CallServiceStream(cctx, routeapi.ServiceCall{Peer: d.PeerID, Service: holdapi.Service, Method: http.MethodPost,
			Path: "/v0/received", ContentType: localapi.OctetStream, Body: bytes.NewReader(body), Length: int64(len(body))})
		if err != nil {
			cancel()
			return err
		}
		var res holdapi.ReceivedResult
		err = json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&res)
		resp.Body.Close()
		cancel()
		if err != nil {
			return err
		}
		h.book(d, l, &res)
		// Ids recorded in the same millisecond as the last one may come
		// after this scan: the next list starts at that millisecond again
		// (a repeated id deletes nothing and costs nothing).
		from = last
		if len(l.IDs) < holdapi.MaxReceived {
			from = last + 1
		}
		if err := h.n.db.Set(ck, binary.BigEndian.AppendUint64(nil, from)); err != nil {
			return err
		}
		if len(l.IDs) < holdapi.MaxReceived {
			return nil
		}
	}
}

var errHoldStop = errors.New("stop")

// releaseFor signs, into l, the court release of its ids when delegate d
// staked for this node: d deletes nothing without it, since it could be
// taken to court over what it deleted.
func releaseFor(l *holdapi.ReceivedList, d holdapi.Delegate, key *ecdsa.PrivateKey) error {
	if d.Agreement == "" {
		return nil
	}
	ag, ok1 := new(big.Int).SetString(d.Agreement, 10)
	chainID, ok2 := new(big.Int).SetString(d.ChainID, 10)
	if !ok1 || !ok2 || !common.IsHexAddress(d.Court) {
		// An agreement made before delegates named their court: the
		// list goes without a release, and a staked delegate keeps the
		// packets (mf-hold delegates add again renews it).
		return nil
	}
	return l.SignRelease(key, chainID, common.HexToAddress(d.Court), ag)
}

// book books what the delegate charged for the list as owed to it, the
// same figure on both ledgers: each deleted packet's charge is worked out
// again from its size, when it was taken, the time the list was signed
// and the price the delegate agreed to; a charge that does not add up is
// not booked.
func (h *holding) book(d holdapi.Delegate, l *holdapi.ReceivedList, res *holdapi.ReceivedResult) {
	price, ok := holdapi.ParseAmount(d.Price)
	if !ok || h.swap == nil {
		return
	}
	asked := map[string]bool{}
	for _, id := range l.IDs {
		asked[hex.EncodeToString(id[:])] = true
	}
	total := new(big.Int)
	for _, x := range res.Deleted {
		if !asked[x.ID] || x.TakenMs < 0 || uint64(x.TakenMs) > l.AtMs || x.Size < 1 || x.Size > holdapi.MaxPacket {
			h.n.log.Warn("a delegate charged for a packet it was not asked about", "delegate", d.PeerID, "id", x.ID)
			continue
		}
		want := holdapi.Charge(price, x.Size, time.Duration(l.AtMs-uint64(x.TakenMs))*time.Millisecond)
		if want.String() != x.Charge {
			h.n.log.Warn("a delegate's charge does not add up", "delegate", d.PeerID, "id", x.ID, "charged", x.Charge, "due", want)
			continue
		}
		total.Add(total, want)
	}
	if total.Sign() == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(h.n.ctx, 10*time.Second)
	defer cancel()
	if _, err := h.swap.AddUsage(ctx, d.PeerID, new(big.Int).Neg(total)); err != nil {
		h.n.log.Debug("cannot book holding with mf-swap", "delegate", d.PeerID, "err", err)
	}
}

// prune forgets delivered ids older than holdMaxAge: fetched packets that
// old are refused anyway.
func (h *holding) prune() {
	cut := binary.BigEndian.AppendUint64([]byte("hrct/"), uint64(time.Now().Add(-holdMaxAge).UnixMilli()))
	var keys [][]byte
	_ = h.n.db.ScanRange([]byte("hrct/"), cut, func(k, _ []byte) error {
		keys = append(keys, bytes.Clone(k))
		return nil
	})
	if len(keys) == 0 {
		return
	}
	b := h.n.db.NewBatch()
	for _, k := range keys {
		b.Delete(k)
		b.Delete(append([]byte("hrcv/"), k[len(k)-32:]...))
	}
	_ = b.Commit()
}

// StatusHeld: a certified packet the recipient has not signed for yet,
// which its delegates signed hold receipts for; it turns delivered when
// the recipient signs.
const StatusHeld = "held"

// heldBy records the delegates that signed hold receipts for this node's
// certified packet id: a packet pending or failed for want of a route is
// held, not lost.
func (c *certifier) heldBy(id [32]byte, delegates []string) {
	key := append([]byte(sentPrefix), id[:]...)
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.pending[id]
	if r == nil {
		b, err := c.n.db.Get(key)
		if err != nil {
			return
		}
		r = new(sentRecord)
		if json.Unmarshal(b, r) != nil {
			return
		}
	}
	r.HeldBy = delegates
	if r.Status != StatusDelivered {
		now := time.Now()
		r.Status, r.DoneAt, r.FailedHop, r.Statement = StatusHeld, &now, nil, nil
		r.Reason = "held by " + strings.Join(delegates, ", ")
		delete(c.pending, id)
	}
	c.save(key, r)
}
