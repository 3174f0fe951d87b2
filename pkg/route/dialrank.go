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

// preferTCP ranks a peer's addresses for dialling. A peer whose addresses
// are all on loopback (a devnet, daemons of one machine) is dialled on its
// TCP addresses first, in libp2p's own order, and on the rest (QUIC) in
// libp2p's order too, quicAfterTCP later. libp2p's default is the other
// way round, QUIC first, for its one round trip less to connect. mf keeps a
// connection for hours and moves every packet over it, and measured on a
// 5-node line a hop over QUIC cost a relay about twice the CPU of a hop
// over TCP (quic-go moves each 1,200-byte datagram through its own system
// call and encryption; TCP hands the kernel a whole frame):
// docs/benchmarks.md, "TCP or QUIC".
//
// Every other peer keeps libp2p's order. Rankers that put TCP first for
// public peers failed TestNATNamespaces (two NATed peers stayed on their
// relay). The cause, found later: a node offers a hole punch only the
// transports its public peers have observed it on, TCP first left both
// NATed nodes with TCP alone, and TCP punches do not get through the
// test's routers where QUIC ones do (the same happened now and then under
// load with libp2p's order, when TCP won a dial race). punchAddrs now adds
// the other transport to what a punch offers, and with it TCP first for
// every peer passed the test once; it is not in, for want of runs.
func preferTCP(addrs []ma.Multiaddr) []network.AddrDelay {
	var tcp, rest []ma.Multiaddr
	for _, a := range addrs {
		if isRelayAddr(a) || !manet.IsIPLoopback(a) {
			// Not loopback alone: libp2p's order for the whole peer.
			return swarm.DefaultDialRanker(addrs)
		}
		if isDirectTCP(a) {
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
