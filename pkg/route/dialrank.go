package route

import (
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// quicAfterTCP is how long a dial gives a peer's TCP addresses before it
// tries its QUIC ones too.
const quicAfterTCP = 250 * time.Millisecond

// rankDials ranks a peer's addresses for dialling: the direct TCP
// addresses this node does well to take first (preferTCP says which) in
// libp2p's own order, and the rest (QUIC, relayed) in libp2p's order too,
// quicAfterTCP later.
// libp2p's default is the other way round, QUIC first, for its one round
// trip less to connect. mf keeps a connection for hours and moves every
// packet over it, and measured on a 5-node line a hop over QUIC cost a
// relay about twice the CPU of a hop over TCP (quic-go moves each
// 1,200-byte datagram through its own system call and encryption; TCP
// hands the kernel a whole frame): docs/benchmarks.md, "TCP or QUIC". A
// peer with no such address, or whose TCP dial fails (a firewall that lets
// only UDP through), is still reached over QUIC, a quarter of a second
// later. Hole punching is not ranked: libp2p dials every address at once
// for it.
func (n *Node) rankDials(addrs []ma.Multiaddr) []network.AddrDelay {
	return preferTCP(addrs, network.Reachability(n.reach.Load()) == network.ReachabilityPublic)
}

// preferTCP is rankDials for a node that is publicly reachable, or not.
//
// A node behind a NAT dials public peers in libp2p's order, QUIC first:
// the addresses it is seen from on those connections are what a hole
// punch aims at, and UDP's holes open where TCP's do not (ranking TCP
// first there kept two NATed peers on their relay in TestNATNamespaces).
// Loopback and LAN addresses involve no NAT, and are dialled TCP first by
// any node. A peer that offers relayed addresses is behind a NAT itself,
// and is dialled in libp2p's order.
func preferTCP(addrs []ma.Multiaddr, public bool) []network.AddrDelay {
	var tcp, rest []ma.Multiaddr
	for _, a := range addrs {
		if isRelayAddr(a) {
			return swarm.DefaultDialRanker(addrs)
		}
		if isDirectTCP(a) && (public || manet.IsPrivateAddr(a) || manet.IsIPLoopback(a)) {
			tcp = append(tcp, a)
		} else {
			rest = append(rest, a)
		}
	}
	if len(tcp) == 0 {
		return swarm.DefaultDialRanker(addrs)
	}
	out := swarm.DefaultDialRanker(tcp)
	var last time.Duration
	for _, d := range out {
		last = max(last, d.Delay)
	}
	for _, d := range swarm.DefaultDialRanker(rest) {
		d.Delay += last + quicAfterTCP
		out = append(out, d)
	}
	return out
}

// isDirectTCP: a plain TCP address (no relay, no websocket) on an IP.
func isDirectTCP(a ma.Multiaddr) bool {
	if !manet.IsThinWaist(a) {
		return false
	}
	tcp := false
	for _, c := range a {
		switch c.Protocol().Code {
		case ma.P_TCP:
			tcp = true
		case ma.P_CIRCUIT, ma.P_WS, ma.P_WSS, ma.P_TLS, ma.P_SNI:
			return false
		}
	}
	return tcp
}
