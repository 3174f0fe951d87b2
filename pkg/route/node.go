// Package route is mf-route: the node's network daemon. It holds the libp2p
// host and the Kademlia DHT, carries sealed packets to their recipients over
// the /mf/route/1 protocol, keeps contacts and known peers in Pebble, and
// serves the local API that the mf-route commands (and every other mf
// service) use.
package route

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p-kad-dht/records"
	record "github.com/libp2p/go-libp2p-record"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/mainframe/mf/pkg/buildinfo"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/seal"
)

// ProtocolID is the libp2p protocol packets travel on.
const ProtocolID = "/mf/route/1"

// dhtPrefix keeps mf's DHT apart from IPFS's.
const dhtPrefix = "/mf"

// Options configure a Node.
type Options struct {
	Listen     []string
	Bootstrap  []string
	AllowPeers []string
	TTL        int
	Logger     *slog.Logger
	// Luminosity is the default number of destination bits a packet
	// discloses (256: fully addressed).
	Luminosity int
	// Bond is what a certified packet offers its first hop; each relay
	// keeps BondFee of it.
	Bond, BondFee uint64
	// ReceiptFraction is the share of zone members asked for a receipt
	// when a dark packet is certified.
	ReceiptFraction float64
	// CertTimeout is how long a sender waits for proof of delivery.
	CertTimeout time.Duration
	// Home is the node directory, where the gateway finds the other
	// services' sockets.
	Home string
	// DropCertified is a fault for tests only: the node takes certified
	// packets, signs its acceptance and drops them, so that a test can show
	// such a relay charged its bond. The daemon sets it from
	// MF_TEST_DROP_CERTIFIED=1.
	DropCertified bool
	// HoldMode says when a packet sent also goes to the recipient's
	// delegates (hold.go): HoldAlways (""), HoldUnreachable or HoldOff.
	HoldMode string
	// MaxListeners bounds concurrent listen streams, and MaxTopics the
	// topics watched for listeners (streams.go); 0: the defaults.
	MaxListeners, MaxTopics int
	// MaxCallsPerPeer bounds the gateway calls one peer may have open on
	// this node at once, and MaxCalls those of all peers (gateway.go);
	// 0: the defaults.
	MaxCallsPerPeer, MaxCalls int
	// NAT configures reachability, relays, hole punching, port mapping
	// and LAN discovery (nat.go).
	NAT NATOptions
}

// Node is a running mf-route node.
type Node struct {
	id     *identity.Identity
	pub    identity.Public
	self   identity.Overlay
	opener *seal.Opener
	host   host.Host
	kad    *dht.IpfsDHT
	db     *kv.DB
	log    *slog.Logger
	opts   Options
	start  time.Time

	card      atomic.Pointer[identity.Card]
	published atomic.Bool // the card is in the DHT
	// republish asks the join loop to publish the card now: its
	// addresses changed (nat.go).
	republish chan struct{}
	// reach is AutoNAT's last verdict, a network.Reachability.
	reach atomic.Int32
	// ready is set once host and DHT exist (auto-relay may ask for
	// candidates while the host is being built).
	ready atomic.Bool
	mdns  interface{ Close() error }

	cards cardCache
	// contactSet caches the contacts' overlays (isContact); nil: reload.
	contactMu  sync.Mutex
	contactSet map[identity.Overlay]bool
	meter      meter
	calls      gateCalls
	ann        *announcer
	provs      *boundedProviders
	svcMu      sync.Mutex
	svcClients map[string]*http.Client
	hints      routeHints
	seen       *seenSet
	trails     *trailStore
	subs       *subscriptions
	stats      Stats
	bench      *benchAcker
	certs      *certifier
	grcpts     *groupReceipts
	hold       *holding
	punch      punchRetry
	sess       *sessions
	groups     *groups
	prekeys    *prekeys
	upkeep     keyUpkeep // owned by the maintenance loop
	purgeFlag  atomic.Bool
	// upkeepKick wakes the maintenance loop, which sleeps until the next
	// key upkeep while nothing else is due (upkeepLoop).
	upkeepKick chan struct{}
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup

	mu      sync.Mutex
	writers map[peer.ID]*peerWriter

	neighbours   atomic.Pointer[neighbours] // nil: read them anew
	neighboursMu sync.Mutex
	// peersChanged is signalled when the set of connected peers may have
	// changed (liveness.go).
	peersChanged chan struct{}
	// live is each watched peer's *liveState (liveness.go).
	live sync.Map
	// act moves with traffic and bond events, for mf-swap (activity.go).
	act activity
	// changes moves when contacts, sessions or groups change, for mf-chat
	// (GET /v0/changes).
	changes activity

	// listenStreams counts open listen streams, streamPeak the most since
	// they were last all closed (streams.go).
	listenStreams, streamPeak atomic.Int64
}

// New starts the libp2p host and DHT for id, storing state in db.
func New(ctx context.Context, id *identity.Identity, db *kv.DB, opts Options) (*Node, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.TTL <= 0 || opts.TTL > 255 {
		opts.TTL = 16
	}
	if opts.Luminosity < 0 || opts.Luminosity > 256 {
		return nil, fmt.Errorf("route: luminosity must be 0..256, not %d", opts.Luminosity)
	}
	if opts.CertTimeout <= 0 {
		opts.CertTimeout = 20 * time.Second
	}
	if opts.MaxListeners <= 0 {
		opts.MaxListeners = DefaultMaxListeners
	}
	if opts.MaxTopics <= 0 {
		opts.MaxTopics = DefaultMaxTopics
	}
	if opts.MaxCallsPerPeer <= 0 {
		opts.MaxCallsPerPeer = DefaultMaxCallsPerPeer
	}
	if opts.MaxCalls <= 0 {
		opts.MaxCalls = DefaultMaxCalls
	}
	if opts.ReceiptFraction <= 0 || opts.ReceiptFraction > 1 {
		opts.ReceiptFraction = 0.5
	}
	switch opts.HoldMode {
	case "":
		opts.HoldMode = HoldAlways
	case HoldAlways, HoldUnreachable, HoldOff:
	default:
		return nil, fmt.Errorf("route: hold mode must be always, unreachable or off, not %q", opts.HoldMode)
	}
	n := &Node{
		id:           id,
		upkeepKick:   make(chan struct{}, 1),
		pub:          id.Public(),
		opener:       seal.NewOpener(id.Enc),
		db:           db,
		log:          opts.Logger,
		opts:         opts,
		start:        nowFunc(),
		seen:         newSeenSet(seenMemory),
		trails:       newTrailStore(seenMemory),
		writers:      make(map[peer.ID]*peerWriter),
		peersChanged: make(chan struct{}, 1),

		republish: make(chan struct{}, 1),
	}
	n.self = n.pub.Overlay()
	n.subs = newSubscriptions(n)
	n.bench = newBenchAcker(n)
	n.ann = newAnnouncer()
	n.provs = newBoundedProviders(maxProviderRecords, maxProviderKeysPerPeer)
	n.certs = newCertifier(n)
	n.grcpts = newGroupReceipts(n)
	n.hold = newHolding(n)
	n.prekeys = newPrekeys(n)
	if _, err := n.prekeys.maintain(nowFunc()); err != nil {
		return nil, fmt.Errorf("route: prekey: %w", err)
	}
	n.sess = newSessions(n)
	n.groups = newGroups(n)

	bootstrap, err := expandBootstrap(opts.Bootstrap)
	if err != nil {
		return nil, err
	}
	n.opts.Bootstrap = bootstrap
	natOpts, err := n.natHostOptions(opts.NAT)
	if err != nil {
		return nil, err
	}
	rm, err := resourceManager()
	if err != nil {
		return nil, fmt.Errorf("route: resource manager: %w", err)
	}
	hopts := []libp2p.Option{
		libp2p.Identity(id.P2PKey()),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(quic.NewTransport),
		libp2p.ListenAddrStrings(opts.Listen...),
		// Other libp2p software sees what it talks to (identify's agent
		// version); libp2p's default is the module path with no version.
		libp2p.UserAgent(buildinfo.AgentVersion()),
		// mf exposes its own counters; prometheus metrics cost memory on
		// every node for nobody.
		libp2p.DisableMetrics(),
		libp2p.SwarmOpts(swarm.WithDialRanker(preferTCP)),
		rm,
	}
	hopts = append(hopts, natOpts...)
	if len(opts.Listen) == 0 {
		hopts = append(hopts, libp2p.NoListenAddrs)
	}
	if len(opts.AllowPeers) > 0 {
		g := allowGater{}
		for _, s := range opts.AllowPeers {
			p, err := peer.Decode(s)
			if err != nil {
				return nil, fmt.Errorf("route: allowed peer %q is not a peer ID", s)
			}
			g[p] = true
		}
		hopts = append(hopts, libp2p.ConnectionGater(g))
	}
	h, err := libp2p.New(hopts...)
	if err != nil {
		return nil, fmt.Errorf("route: start host: %w", err)
	}
	n.host = h
	n.kad, err = dht.New(h,
		dht.Mode(n.dhtMode()),
		dht.ProtocolPrefix(dhtPrefix),
		dht.Validator(record.NamespacedValidator{cardNamespace: cardValidator{}, prekeyNamespace: prekeyValidator{}}),
		// Provider records announce services (discovery.go); they lapse
		// after providerValidity unless announced again.
		dht.ProviderManagerOpts(records.ProvideValidity(providerValidity)),
		dht.ProviderDatastore(n.provs),
	)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("route: start dht: %w", err)
	}
	h.SetStreamHandler(ProtocolID, n.handleStream)
	h.Network().Notify(&network.NotifyBundle{
		ConnectedF:    func(network.Network, network.Conn) { n.refreshNeighbours() },
		DisconnectedF: func(network.Network, network.Conn) { n.refreshNeighbours() },
	})
	n.startGateway()
	n.ready.Store(true)

	ctx, n.cancel = context.WithCancel(context.WithoutCancel(ctx))
	n.ctx = ctx
	if err := n.refreshCard(); err != nil {
		n.Close()
		return nil, err
	}
	// Subscribe before reading the neighbours, so that no peer identified
	// in between is missed.
	idEvents, err := h.EventBus().Subscribe([]any{new(event.EvtPeerIdentificationCompleted), new(event.EvtPeerIdentificationFailed), new(event.EvtPeerProtocolsUpdated)})
	if err != nil {
		n.Close()
		return nil, fmt.Errorf("route: event bus: %w", err)
	}
	natEvents, err := h.EventBus().Subscribe([]any{new(event.EvtLocalReachabilityChanged), new(event.EvtLocalAddressesUpdated)})
	if err != nil {
		idEvents.Close()
		n.Close()
		return nil, fmt.Errorf("route: event bus: %w", err)
	}
	n.goLoop(func() { n.watchNAT(ctx, natEvents) })
	n.watchRelayed(ctx)
	if opts.NAT.MDNS {
		if err := n.startMDNS(); err != nil {
			idEvents.Close()
			n.Close()
			return nil, err
		}
	}
	n.refreshNeighbours()
	n.goLoop(func() { n.watchIdentify(ctx, idEvents) })
	n.goLoop(func() { n.join(ctx) })
	n.goLoop(func() { n.bench.run(ctx) })
	n.goLoop(func() { n.grcpts.run(ctx) })
	n.goLoop(func() { n.announceLoop(ctx) })
	n.goLoop(func() { n.watchLiveness(ctx) })
	n.goLoop(func() { n.hold.loop(ctx) })
	n.goLoop(func() { n.upkeepLoop(ctx) })
	return n, nil
}

// upkeepLoop settles certified packets whose receipts are overdue, looks
// after keys, and prunes old delivery records. It runs once a second while
// certified packets are in flight or deleted keys wait to be purged, and
// otherwise sleeps until the next key upkeep: an idle node has nothing to
// sweep, and a laptop pays for every wake-up. A certified packet sent or
// relayed, or a key deleted, wakes it (wakeUpkeep).
func (n *Node) upkeepLoop(ctx context.Context) {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	var pruned time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.upkeepKick:
			if !t.Stop() {
				<-t.C
			}
		}
		now := time.Now()
		n.certs.sweep(n.opts.CertTimeout)
		n.maintainKeys(ctx, now)
		if now.Sub(pruned) > time.Hour {
			pruned = now
			if k, err := n.certs.prune(now.Add(-recordRetention)); err != nil {
				n.log.Warn("pruning certified delivery records", "err", err)
			} else if k > 0 {
				n.log.Info("pruned certified delivery records", "records", k, "older_than", recordRetention)
			}
		}
		t.Reset(n.upkeepWait(now))
	}
}

// upkeepWait is how long upkeepLoop may sleep after a round at now: a
// second while certified packets are tracked (their receipts fall due) or
// deleted keys wait to be purged, else until the next key upkeep.
func (n *Node) upkeepWait(now time.Time) time.Duration {
	if n.certs.busy() || n.purgeFlag.Load() {
		return time.Second
	}
	return max(time.Second, keyUpkeepEvery-now.Sub(n.upkeep.last))
}

// wakeUpkeep wakes upkeepLoop for something newly due.
func (n *Node) wakeUpkeep() {
	select {
	case n.upkeepKick <- struct{}{}:
	default:
	}
}

func (n *Node) goLoop(f func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
}

// Close stops the node: peers are saved, streams closed, the host shut down.
// The database stays open; its owner closes it.
func (n *Node) Close() error {
	n.cancel()
	n.savePeers()
	n.mu.Lock()
	for _, w := range n.writers {
		w.close()
	}
	n.mu.Unlock()
	n.subs.closeAll()
	n.punch.stop()
	if n.mdns != nil {
		n.mdns.Close()
	}
	err := errors.Join(n.kad.Close(), n.host.Close())
	n.wg.Wait()
	return err
}

// Identity is the node's public identity.
func (n *Node) Identity() identity.Public { return n.pub }

// Card is the node's current signed contact card.
func (n *Node) Card() *identity.Card { return n.card.Load() }

// Host is the libp2p host.
func (n *Node) Host() host.Host { return n.host }

// refreshCard signs a card with the host's current addresses, those that
// others can use (cardAddrs).
func (n *Node) refreshCard() error {
	addrs := cardAddrs(n.host.Addrs())
	c, err := n.id.NewCard(addrs, time.Now())
	if err != nil {
		return err
	}
	n.card.Store(c)
	return nil
}

// join connects to the configured bootstrap peers and to every peer the node
// knew before it stopped, then bootstraps the DHT and publishes the card, and
// keeps republishing it.
func (n *Node) join(ctx context.Context) {
	var targets []peer.AddrInfo
	for _, s := range n.opts.Bootstrap {
		ai, err := parseBootstrap(s)
		if err != nil {
			n.log.Warn("ignoring bootstrap entry", "entry", s, "err", err)
			continue
		}
		targets = append(targets, ai)
	}
	targets = append(targets, n.loadPeers()...)
	connected := n.dialAll(ctx, targets)
	n.log.Info("joined", "peers", connected, "known", len(targets))
	if len(targets) == 0 && !n.opts.NAT.MDNS && len(n.host.Network().Peers()) == 0 {
		n.log.Warn("this node is alone: it has no bootstrap peers and knows no one; join a network with --bootstrap MULTIADDR/p2p/PEER-ID, a contact card or a file of them (or --mdns on a LAN), or let others bootstrap through this node's card (mf-route id --card)")
	}
	// join holds a count on n.wg, so adding to it here is safe.
	n.goLoop(func() { n.keepJoined(ctx, targets) })
	if err := n.kad.Bootstrap(ctx); err != nil {
		n.log.Warn("dht bootstrap", "err", err)
	}
	// Publish the card so that others can find this node by its overlay
	// address; retry quickly until it lands, then refresh it regularly.
	delay := 250 * time.Millisecond
	for {
		wait := 30 * time.Minute
		if err := n.publishCard(ctx); err != nil {
			n.log.Debug("card not published yet", "err", err)
			wait = delay
			delay = min(delay*3/2, time.Minute)
		} else {
			n.published.Store(true)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		case <-n.republish:
			delay = 250 * time.Millisecond
		}
	}
}

// dialAll connects to targets, eight at a time, and tells how many it
// reached.
func (n *Node) dialAll(ctx context.Context, targets []peer.AddrInfo) int {
	var wg sync.WaitGroup
	var connected atomic.Int32
	sem := make(chan struct{}, 8)
	for _, ai := range targets {
		if ai.ID == n.host.ID() {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := n.host.Connect(cctx, ai); err != nil {
				n.log.Debug("peer unreachable", "peer", ai.ID, "err", err)
				return
			}
			connected.Add(1)
		}()
	}
	wg.Wait()
	return int(connected.Load())
}

// Rejoin timings: how often a node checks it still has DHT peers, and how
// long it waits between tries while it has none.
const (
	rejoinCheck    = 10 * time.Second
	rejoinFirst    = 2 * time.Second
	rejoinMaxPause = time.Minute
)

// keepJoined dials the bootstrap peers, and those known before, again
// whenever the DHT has no peer to ask: a node whose bootstrap peers were
// down or refused it when it started, or that lost every peer (its link
// went down), would otherwise stay alone until it was restarted. Between
// failed tries the wait doubles up to a minute.
func (n *Node) keepJoined(ctx context.Context, targets []peer.AddrInfo) {
	if len(targets) == 0 {
		return
	}
	wait, pause := rejoinFirst, rejoinFirst
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if len(n.kad.RoutingTable().ListPeers()) > 0 {
			wait, pause = rejoinCheck, rejoinFirst
			continue
		}
		if got := n.dialAll(ctx, targets); got > 0 {
			n.log.Info("rejoined", "peers", got, "known", len(targets))
			if err := n.kad.Bootstrap(ctx); err != nil {
				n.log.Debug("dht bootstrap", "err", err)
			}
			n.askRepublish()
			wait, pause = rejoinCheck, rejoinFirst
			continue
		}
		wait, pause = pause, min(2*pause, rejoinMaxPause)
	}
}

func (n *Node) publishCard(ctx context.Context) error {
	if len(n.kad.RoutingTable().ListPeers()) == 0 {
		return errors.New("no dht peers")
	}
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := n.kad.PutValue(pctx, cardKey(n.self), n.Card().Bytes()); err != nil {
		return err
	}
	return n.publishPrekey(ctx)
}

// parseBootstrap accepts a multiaddr ending in /p2p/ID or a contact card.
func parseBootstrap(s string) (peer.AddrInfo, error) {
	if identity.LooksLikeCard(s) {
		c, err := identity.ParseCard(s)
		if err != nil {
			return peer.AddrInfo{}, err
		}
		return peer.AddrInfo{ID: c.PeerID(), Addrs: c.Addrs}, nil
	}
	a, err := ma.NewMultiaddr(s)
	if err != nil {
		return peer.AddrInfo{}, fmt.Errorf("not a card or multiaddr: %w", err)
	}
	ai, err := peer.AddrInfoFromP2pAddr(a)
	if err != nil {
		return peer.AddrInfo{}, fmt.Errorf("multiaddr must end in /p2p/PEER-ID: %w", err)
	}
	return *ai, nil
}

// watchIdentify records every identified peer's listen addresses, so the
// node can find its peers again after a restart, and reads the neighbours
// anew once a peer's protocols are known (see speakers).
func (n *Node) watchIdentify(ctx context.Context, sub event.Subscription) {
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-sub.Out():
			switch e := ev.(type) {
			case event.EvtPeerIdentificationCompleted:
				n.savePeer(e.Peer, e.ListenAddrs)
			case event.EvtPeerIdentificationFailed:
				n.goLoop(func() { n.probe(ctx, e.Peer) })
			}
			n.refreshNeighbours()
		}
	}
}

// connect makes sure there is a connection to ai, dialing if needed. A
// relayed connection will do: it carries mf's streams, and hole punching
// may turn it into a direct one.
func (n *Node) connect(ctx context.Context, ai peer.AddrInfo) error {
	if live(n.host.Network().Connectedness(ai.ID)) {
		return nil
	}
	ctx = network.WithAllowLimitedConn(ctx, "mf")
	if len(ai.Addrs) > 0 {
		n.host.Peerstore().AddAddrs(ai.ID, ai.Addrs, peerstore.TempAddrTTL)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return n.host.Connect(cctx, ai)
}

// allowGater admits only the listed peers.
type allowGater map[peer.ID]bool

func (g allowGater) InterceptPeerDial(p peer.ID) bool                 { return g[p] }
func (g allowGater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return g[p] }
func (g allowGater) InterceptAccept(network.ConnMultiaddrs) bool      { return true }
func (g allowGater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return g[p]
}
func (g allowGater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) {
	return true, 0
}

// live tells whether a connectedness is a usable connection: a direct one,
// or a relayed one (limited by the relay, but mf's streams are allowed on
// it).
func live(c network.Connectedness) bool {
	return c == network.Connected || c == network.Limited
}
