package route

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/holepunch"
	ma "github.com/multiformats/go-multiaddr"
)

// Hole punching again. libp2p's DCUtR runs once per inbound relayed
// connection: a few tries within a second or two, timed by the round trip
// it measures through the relay. When they all fail (a NAT slow to open
// its mapping, a round trip that jumped while it was measured, a loaded
// machine), the two peers stay relayed for as long as that connection
// lives, through a relay with a byte and time limit. So the node that
// dialled through the relay, once it has had only relayed connections to
// the peer for a while, closes them and dials again through the relay: the
// peer sees a new inbound relayed connection and punches again. Between
// tries the wait doubles, up to punchRetryMax; a NAT that never lets a
// hole through (one that picks a new port for every mapping) costs a
// reconnection every ten minutes.
//
// A try is not made while a hole punch with the peer may still be running:
// libp2p runs one at a time per peer, and refuses (silently, on the peer's
// side) the one a new relayed connection would start while the last is on.
// One can take 40 s (a direct dial, then three tries, each bounded by a
// 10 s dial timeout), longer on a loaded machine, so a fixed schedule could
// land every try on a busy peer and waste it. The holepunch tracer tells
// this node when a punch starts and ends, and the try waits until the peer
// has been quiet for a moment.
const (
	punchRetryFirst = 20 * time.Second
	punchRetryMax   = 10 * time.Minute
	// punchBusyStart is how long a punch that started is taken to run
	// when its end is not seen: libp2p's direct dial timeout, and some.
	punchBusyStart = 15 * time.Second
	// punchBusyGap is the quiet wanted after a punch's last event: the
	// peer starts its next try (or gives up) within a round trip.
	punchBusyGap = 3 * time.Second
)

// punchRetry is the schedule of those tries: a timer and the next wait
// per peer, kept only while the peer is reached through relays alone.
type punchRetry struct {
	mu    sync.Mutex
	peers map[peer.ID]*punchState
	log   *slog.Logger
}

type punchState struct {
	timer *time.Timer
	wait  time.Duration
	// busyUntil is when the hole punch last seen with the peer is
	// over, as far as this node can tell (see Trace).
	busyUntil time.Time
}

// Trace logs libp2p's hole punches (holepunch.EventTracer), and follows those
// with the peers a try is scheduled for, so that tries wait for them to end.
func (r *punchRetry) Trace(evt *holepunch.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.log != nil {
		r.log.Debug("hole punch", "peer", evt.Remote, "event", evt.Type, "detail", evt.Evt)
	}
	st := r.peers[evt.Remote]
	if st == nil {
		return
	}
	now := time.Unix(0, evt.Timestamp)
	until := now.Add(punchBusyGap)
	if evt.Type == holepunch.StartHolePunchEvtT {
		until = now.Add(punchBusyStart)
	}
	// An end overrides the start it ends; anything else only extends.
	if evt.Type == holepunch.EndHolePunchEvtT || until.After(st.busyUntil) {
		st.busyUntil = until
	}
}

// watchRelayed has n follow its connections, and schedule a new hole
// punch for peers it dials through a relay.
func (n *Node) watchRelayed(ctx context.Context) {
	n.punch.mu.Lock()
	n.punch.peers = map[peer.ID]*punchState{}
	n.punch.log = n.log
	n.punch.mu.Unlock()
	n.host.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			if c.Stat().Direction == network.DirOutbound && isRelayAddr(c.RemoteMultiaddr()) {
				n.schedulePunch(ctx, c.RemotePeer())
			}
		},
	})
}

// stop cancels the tries scheduled; the node is closing.
func (r *punchRetry) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for p, st := range r.peers {
		if st.timer != nil {
			st.timer.Stop()
		}
		delete(r.peers, p)
	}
}

func (n *Node) schedulePunch(ctx context.Context, p peer.ID) {
	n.punch.mu.Lock()
	defer n.punch.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	st := n.punch.peers[p]
	if st == nil {
		st = &punchState{wait: punchRetryFirst}
		n.punch.peers[p] = st
	}
	if st.timer != nil {
		return
	}
	st.timer = time.AfterFunc(st.wait, func() { n.punchAgain(ctx, p) })
}

// punchAgain closes the relayed connections to p and dials it through the
// relay again, unless a direct connection came meanwhile or p is gone.
func (n *Node) punchAgain(ctx context.Context, p peer.ID) {
	var relayed []network.Conn
	direct := false
	for _, c := range n.host.Network().ConnsToPeer(p) {
		if isRelayAddr(c.RemoteMultiaddr()) {
			relayed = append(relayed, c)
		} else {
			direct = true
		}
	}
	n.punch.mu.Lock()
	st := n.punch.peers[p]
	if st == nil {
		n.punch.mu.Unlock()
		return
	}
	st.timer = nil
	if direct || len(relayed) == 0 || ctx.Err() != nil {
		delete(n.punch.peers, p)
		n.punch.mu.Unlock()
		return
	}
	if busy := time.Until(st.busyUntil); busy > 0 {
		// The last punch may still be running: come back when it is
		// over, without counting a try.
		st.timer = time.AfterFunc(busy, func() { n.punchAgain(ctx, p) })
		n.punch.mu.Unlock()
		n.log.Debug("a hole punch with a peer may still be running; trying again after it", "peer", p, "in", busy.Round(time.Millisecond))
		return
	}
	st.wait = min(2*st.wait, punchRetryMax)
	n.punch.mu.Unlock()
	n.stats.PunchRetries.Add(1)
	n.log.Debug("still relayed to a peer; dialling it through the relay again for another hole punch", "peer", p)
	for _, c := range relayed {
		_ = c.Close()
	}
	// The peer's relay addresses stay in the peerstore (its card, the
	// DHT record), so this dial goes through a relay again; its new
	// connection schedules the next try. The resource manager limits the
	// rate of new connections per address (the relay's), so a dial right
	// after the close may be refused: it is tried again a few times.
	var err error
	for try, pause := 0, time.Second; try < 5; try, pause = try+1, 2*pause {
		if err = n.connect(ctx, peer.AddrInfo{ID: p}); err == nil {
			return
		}
		n.log.Debug("dialling a peer through the relay again failed", "peer", p, "try", try+1, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
	n.log.Info("lost the relayed connection to a peer after a hole punch retry", "peer", p, "err", err)
	n.punch.mu.Lock()
	delete(n.punch.peers, p)
	n.punch.mu.Unlock()
}

// punchAddrs completes the addresses a hole punch exchanges
// (holepunch.AddrFilter). Each side offers the public addresses its peers
// have observed, and a node observes only the transports it happens to
// reach public peers over: one that reached them all over TCP offers only
// a TCP address, its peer (which reached them over QUIC) only a QUIC one,
// and the punch has nothing to meet on. Behind a NAT that keeps source
// ports, the only kind a punch can get through, the TCP and the UDP
// mapping of a port share its number, so each side adds, to what it
// offers and to what it is offered, the other transport on the same port:
// for its own addresses only where it listens on both, for the peer's in
// any case (a wrong guess is one dial that fails).
type punchAddrs struct{ n *Node }

func (f punchAddrs) FilterLocal(_ peer.ID, addrs []ma.Multiaddr) []ma.Multiaddr {
	var listen []ma.Multiaddr
	if f.n.host != nil {
		listen = f.n.host.Network().ListenAddresses()
	}
	return withOtherTransport(addrs, func(guess ma.Multiaddr) bool {
		return listensOn(listen, guess)
	})
}

func (punchAddrs) FilterRemote(_ peer.ID, addrs []ma.Multiaddr) []ma.Multiaddr {
	return withOtherTransport(addrs, func(ma.Multiaddr) bool { return true })
}

// withOtherTransport returns addrs and, for each plain TCP or QUIC address
// in it, the same IP and port on the other transport, where keep allows.
func withOtherTransport(addrs []ma.Multiaddr, keep func(ma.Multiaddr) bool) []ma.Multiaddr {
	out := slices.Clone(addrs)
	for _, a := range addrs {
		g := otherTransport(a)
		if g == nil || !keep(g) || slices.ContainsFunc(out, g.Equal) {
			continue
		}
		out = append(out, g)
	}
	return out
}

// otherTransport turns /ipX/A/tcp/P into /ipX/A/udp/P/quic-v1 and back;
// nil for any other address.
func otherTransport(a ma.Multiaddr) ma.Multiaddr {
	if len(a) < 2 || (a[0].Code() != ma.P_IP4 && a[0].Code() != ma.P_IP6) {
		return nil
	}
	var tail string
	switch port := a[1].Value(); {
	case a[1].Code() == ma.P_TCP && len(a) == 2:
		tail = "/udp/" + port + "/quic-v1"
	case a[1].Code() == ma.P_UDP && len(a) == 3 && a[2].Code() == ma.P_QUIC_V1:
		tail = "/tcp/" + port
	default:
		return nil
	}
	t, err := ma.NewMultiaddr(tail)
	if err != nil {
		return nil
	}
	return append(ma.Multiaddr{a[0]}, t...)
}

// listensOn: does one of the listen addresses have g's transport and port
// (on any IP of g's family)?
func listensOn(listen []ma.Multiaddr, g ma.Multiaddr) bool {
	return slices.ContainsFunc(listen, func(l ma.Multiaddr) bool {
		return len(l) >= 2 && l[0].Code() == g[0].Code() && l[1:].Equal(g[1:])
	})
}
