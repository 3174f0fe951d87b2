package route

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	"github.com/libp2p/go-libp2p/p2p/host/autorelay"
	relayv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	"github.com/libp2p/go-libp2p/p2p/protocol/holepunch"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/mainframe/mf/pkg/identity"
)

// NAT traversal. Most nodes sit behind a home router or a company firewall
// and cannot be dialled. libp2p's pieces, wired here:
//
//   - AutoNAT (v1 for the node's reachability, v2 for each address) asks
//     peers to dial the node back. Every node answers such requests while it
//     is reachable itself, so a network of mf nodes needs no one else's.
//   - A publicly reachable node offers circuit relay v2 slots, with limits
//     large enough to carry a conversation (NATOptions).
//   - A private node reserves slots on a few relays, found among its peers
//     and through the DHT (relayCandidates), and its card then carries the
//     relay addresses (cardAddrs).
//   - DCUtR hole punching turns a relayed connection into a direct one
//     where the NATs allow it; the packet writer moves to it (forward.go).
//   - The DHT runs in client mode while the node is private
//     (dht.ModeAutoServer), so that others' routing tables hold only peers
//     they can reach.

// NATOptions configure NAT traversal; the zero value is a node that offers
// no relay, maps no ports and lets AutoNAT decide its reachability.
type NATOptions struct {
	// RelayService offers circuit relay v2 slots while AutoNAT finds the
	// node publicly reachable.
	RelayService bool
	// RelayReservations bounds the slots given out at once (0: 128).
	RelayReservations int
	// RelayCircuit and RelayCircuitBytes bound each relayed connection, in
	// time and in bytes each way (0: 30 minutes, 32 MiB).
	RelayCircuit      time.Duration
	RelayCircuitBytes int64
	// PortMap asks the router for a port mapping (UPnP, NAT-PMP).
	PortMap bool
	// MDNS finds nodes on the same LAN by multicast DNS.
	MDNS bool
	// Reachability is "public" or "private" to override AutoNAT; "" or
	// "auto" lets it decide.
	Reachability string
}

// Relay limits a node offers unless told otherwise; config.Default holds
// the same numbers for the daemon.
const (
	defaultRelayReservations = 128
	defaultRelayCircuit      = 30 * time.Minute
	defaultRelayCircuitBytes = 32 << 20
)

// Auto-relay timings. libp2p's defaults (a 3 minute boot delay, an hour of
// backoff for a relay that failed, 30 s between candidate searches) leave a
// node that lost its relay unreachable for minutes; mf repairs that within
// 30 s: a search at most every 5 s, a dead relay retried after 15 s.
const (
	autoRelayNum          = 2
	autoRelayMinInterval  = 5 * time.Second
	autoRelayBackoff      = 15 * time.Second
	autoRelayBootDelay    = 5 * time.Second
	autoRelayMaxCandidate = 8
)

// maxCardRelayAddrs is how many of a card's addresses are kept for relay
// addresses, however many direct ones the node has.
const maxCardRelayAddrs = identity.MaxCardAddrs / 2

// mdnsService is the name mf nodes announce themselves under on a LAN.
const mdnsService = "mf-route"

// relayResources are the relay v2 resources o asks for.
func (o NATOptions) relayResources() relayv2.Resources {
	rc := relayv2.DefaultResources()
	rc.MaxReservations = cmpOr(o.RelayReservations, defaultRelayReservations)
	rc.Limit = &relayv2.RelayLimit{
		Duration: cmpOr(o.RelayCircuit, defaultRelayCircuit),
		Data:     cmpOr(o.RelayCircuitBytes, defaultRelayCircuitBytes),
	}
	return rc
}

func cmpOr[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// natHostOptions are the libp2p options for NAT traversal.
func (n *Node) natHostOptions(o NATOptions) ([]libp2p.Option, error) {
	opts := []libp2p.Option{
		libp2p.EnableRelay(),
		// Answer others' AutoNAT v1 requests (the node's overall
		// reachability, which the DHT, the relay service and auto-relay
		// follow); v2 confirms single addresses.
		libp2p.EnableNATService(),
		libp2p.EnableAutoNATv2(),
		// The tracer lets mf's own punch retries wait for libp2p's
		// punches to end; the filter offers both transports (punch.go).
		libp2p.EnableHolePunching(holepunch.WithTracer(&n.punch), holepunch.WithAddrFilter(punchAddrs{n})),
		libp2p.EnableAutoRelayWithPeerSource(n.relayCandidates,
			autorelay.WithNumRelays(autoRelayNum),
			autorelay.WithMinCandidates(1),
			autorelay.WithMaxCandidates(autoRelayMaxCandidate),
			autorelay.WithBootDelay(autoRelayBootDelay),
			autorelay.WithBackoff(autoRelayBackoff),
			autorelay.WithMinInterval(autoRelayMinInterval),
			autorelay.WithMaxCandidateAge(5*time.Minute),
		),
	}
	if o.RelayService {
		opts = append(opts, libp2p.EnableRelayService(relayv2.WithResources(o.relayResources())))
	}
	if o.PortMap {
		opts = append(opts, libp2p.NATPortMap())
	}
	switch o.Reachability {
	case "", "auto":
	case "public":
		opts = append(opts, libp2p.ForceReachabilityPublic())
	case "private":
		opts = append(opts, libp2p.ForceReachabilityPrivate())
	default:
		return nil, fmt.Errorf("route: reachability must be auto, public or private, not %q", o.Reachability)
	}
	return opts, nil
}

// dhtMode is how the DHT follows AutoNAT. Either way it is a server while
// AutoNAT finds the node public and a client while it finds it private, so
// that no one keeps the node in a routing table it cannot be reached from.
// The two differ while AutoNAT has not decided: a node with no public
// address of its own that joins through public peers is almost surely
// behind a NAT, and waits as a client (were it a server for those first
// seconds, peers would keep it in their tables and send lookups its way
// long after); any other (a public server, a LAN, a devnet on loopback,
// where AutoNAT has no public address to test and never decides) is a
// server.
func (n *Node) dhtMode() dht.ModeOpt { return n.dhtModeWith(n.opts.Bootstrap) }

// dhtModeWith is dhtMode for a given bootstrap list.
func (n *Node) dhtModeWith(bootstrap []string) dht.ModeOpt {
	if hasPublic(n.host.Addrs()) {
		return dht.ModeAutoServer
	}
	var peers []peer.AddrInfo
	for _, s := range bootstrap {
		if ai, err := parseBootstrap(s); err == nil {
			peers = append(peers, ai)
		}
	}
	peers = append(peers, n.loadPeers()...)
	for _, ai := range peers {
		if hasPublic(ai.Addrs) {
			return dht.ModeAuto
		}
	}
	return dht.ModeAutoServer
}

// dhtRole is "server" while the DHT answers queries (its protocol is
// registered on the host), else "client".
func (n *Node) dhtRole() string {
	if slices.Contains(n.host.Mux().Protocols(), protocol.ID(dhtPrefix+"/kad/1.0.0")) {
		return "server"
	}
	return "client"
}

// hasPublic tells whether addrs hold a public address that is not a relay's.
func hasPublic(addrs []ma.Multiaddr) bool {
	return slices.ContainsFunc(addrs, func(a ma.Multiaddr) bool { return !isRelayAddr(a) && manet.IsPublicAddr(a) })
}

// Reachability is what AutoNAT last found: "public", "private" or
// "unknown".
func (n *Node) Reachability() string {
	return reachName(network.Reachability(n.reach.Load()))
}

// Relays are the relays the node holds a slot on: those named in its own
// circuit addresses.
func (n *Node) Relays() []string {
	var out []string
	for _, a := range n.host.Addrs() {
		if !isRelayAddr(a) {
			continue
		}
		ai, err := peer.AddrInfoFromP2pAddr(relayOf(a))
		if err == nil && !slices.Contains(out, ai.ID.String()) {
			out = append(out, ai.ID.String())
		}
	}
	slices.Sort(out)
	return out
}

// relayOf is the part of a circuit address before /p2p-circuit: the
// relay's own address.
func relayOf(a ma.Multiaddr) ma.Multiaddr {
	relay, _ := ma.SplitFunc(a, func(c ma.Component) bool { return c.Code() == ma.P_CIRCUIT })
	return relay
}

func isRelayAddr(a ma.Multiaddr) bool {
	_, err := a.ValueForProtocol(ma.P_CIRCUIT)
	return err == nil
}

// cardAddrs picks the addresses a card and the DHT record carry: those
// others can use. A node with a public address (its own, observed or
// mapped, or a relay's) lists only public ones; loopback and private
// addresses are of use to no one then, and would be dialled in vain. Only a
// node with none at all (a LAN, a devnet on loopback) lists what it has.
// Relay addresses keep up to half of the card's slots, so that a node with
// many interfaces cannot crowd out the only addresses that reach it behind
// a NAT.
func cardAddrs(addrs []ma.Multiaddr) []ma.Multiaddr {
	var relays, public, local []ma.Multiaddr
	for _, a := range ma.Unique(addrs) {
		switch {
		case isRelayAddr(a):
			if manet.IsPublicAddr(relayOf(a)) {
				relays = append(relays, a)
			}
		case manet.IsPublicAddr(a):
			public = append(public, a)
		case manet.IsIPUnspecified(a):
		default:
			local = append(local, a)
		}
	}
	if len(relays)+len(public) == 0 {
		return local[:min(len(local), identity.MaxCardAddrs)]
	}
	relays = relays[:min(len(relays), maxCardRelayAddrs)]
	public = public[:min(len(public), identity.MaxCardAddrs-len(relays))]
	return append(public, relays...)
}

// watchNAT follows AutoNAT's verdict and the host's addresses: the card is
// signed anew, written to the home and republished whenever the addresses
// it carries change (a relay slot won or lost, an address observed).
func (n *Node) watchNAT(ctx context.Context, sub event.Subscription) {
	defer sub.Close()
	// Address updates come in bursts (each relay, each observation); one
	// new card per burst is enough.
	var settle <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-sub.Out():
			switch e := ev.(type) {
			case event.EvtLocalReachabilityChanged:
				if old := network.Reachability(n.reach.Swap(int32(e.Reachability))); old != e.Reachability {
					n.log.Info("reachability", "now", n.Reachability(), "was", reachName(old))
				}
			case event.EvtLocalAddressesUpdated:
				if settle == nil {
					settle = time.After(500 * time.Millisecond)
				}
			}
		case <-settle:
			settle = nil
			n.addrsChanged()
		}
	}
}

func reachName(r network.Reachability) string {
	switch r {
	case network.ReachabilityPublic:
		return "public"
	case network.ReachabilityPrivate:
		return "private"
	}
	return "unknown"
}

// addrsChanged re-signs the card when the addresses it would carry differ
// from the current card's, and has it published again.
func (n *Node) addrsChanged() {
	want := cardAddrs(n.host.Addrs())
	if old := n.Card(); old != nil && slices.EqualFunc(old.Addrs, want, ma.Multiaddr.Equal) {
		return
	}
	if err := n.refreshCard(); err != nil {
		n.log.Warn("signing a new card", "err", err)
		return
	}
	n.log.Info("card addresses changed", "addrs", fmt.Sprint(n.Card().Addrs))
	if n.opts.Home != "" {
		if err := writeCard(n.opts.Home, n.id, n.Card().Addrs); err != nil {
			n.log.Warn("writing card file", "err", err)
		}
	}
	n.askRepublish()
}

// askRepublish has the join loop publish the card now, unless a request
// is already waiting.
func (n *Node) askRepublish() {
	select {
	case n.republish <- struct{}{}:
	default:
	}
}

// relayCandidates is auto-relay's source of relays: connected peers that
// offer the relay protocol first, then the DHT's servers (publicly
// reachable nodes, most of which offer it), then peers near a random key,
// which widens the search when the known ones are exhausted or dead.
// Auto-relay connects to each and keeps those that grant a slot.
func (n *Node) relayCandidates(ctx context.Context, num int) <-chan peer.AddrInfo {
	out := make(chan peer.AddrInfo, num)
	go func() {
		defer close(out)
		if !n.ready.Load() {
			return
		}
		h := n.host
		sent := map[peer.ID]bool{h.ID(): true}
		count := 0
		// offer sends p, and tells whether more are wanted.
		offer := func(p peer.ID) bool {
			addrs := h.Peerstore().Addrs(p)
			if sent[p] || len(addrs) == 0 {
				return true
			}
			sent[p] = true
			select {
			case out <- peer.AddrInfo{ID: p, Addrs: addrs}:
				count++
			case <-ctx.Done():
				return false
			}
			return count < num
		}
		var rest []peer.ID
		for _, p := range h.Network().Peers() {
			if ok, _ := h.Peerstore().SupportsProtocols(p, relayHopProtocol); len(ok) > 0 {
				if !offer(p) {
					return
				}
			} else {
				rest = append(rest, p)
			}
		}
		for _, p := range n.kad.RoutingTable().ListPeers() {
			if !offer(p) {
				return
			}
		}
		var key [32]byte
		_, _ = rand.Read(key[:])
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if ps, err := n.kad.GetClosestPeers(qctx, string(key[:])); err == nil {
			rest = append(ps, rest...)
		}
		for _, p := range rest {
			if !offer(p) {
				return
			}
		}
	}()
	return out
}

// relayHopProtocol is the circuit relay v2 protocol a relay serves.
const relayHopProtocol = "/libp2p/circuit/relay/0.2.0/hop"

// startMDNS announces the node on the LAN and connects to mf nodes found
// there.
func (n *Node) startMDNS() error {
	s := mdns.NewMdnsService(n.host, mdnsService, newMDNSNotifee(n))
	if err := s.Start(); err != nil {
		return fmt.Errorf("route: mdns: %w", err)
	}
	n.mdns = s
	return nil
}

// maxLANDials bounds the dials to peers found on the LAN under way at once.
// Anyone on the LAN may send mDNS answers, each naming a peer and its
// addresses, and each was dialled in a goroutine of its own for up to 5 s:
// a flood of answers held a goroutine and a connection each. A peer passed
// over while the dials are taken is found again at its next announcement.
const maxLANDials = 4

type mdnsNotifee struct {
	n     *Node
	dials chan struct{} // a slot per dial under way
}

func newMDNSNotifee(n *Node) mdnsNotifee {
	return mdnsNotifee{n: n, dials: make(chan struct{}, maxLANDials)}
}

func (m mdnsNotifee) HandlePeerFound(ai peer.AddrInfo) {
	n := m.n
	if ai.ID == n.host.ID() || n.ctx.Err() != nil || live(n.host.Network().Connectedness(ai.ID)) {
		return
	}
	select {
	case m.dials <- struct{}{}:
	default:
		n.log.Debug("peer found on the LAN left for later: dials busy", "peer", ai.ID)
		return
	}
	n.goLoop(func() {
		defer func() { <-m.dials }()
		if err := n.connect(n.ctx, ai); err != nil {
			n.log.Debug("peer found on the LAN unreachable", "peer", ai.ID, "err", err)
			return
		}
		n.log.Info("found a peer on the LAN", "peer", ai.ID)
	})
}
