package route

import (
	"testing"

	ma "github.com/multiformats/go-multiaddr"
)

// A peer's TCP addresses are dialled first and its QUIC and relayed ones
// a while after; a peer without TCP gets libp2p's own order.
func TestPreferTCP(t *testing.T) {
	m := func(s string) ma.Multiaddr { return ma.StringCast(s) }
	addrs := []ma.Multiaddr{
		m("/ip4/127.0.0.1/udp/4001/quic-v1"),
		m("/ip4/127.0.0.1/tcp/4001"),
		m("/ip6/2001:2::1/udp/4001/quic-v1"),
		m("/ip6/2001:2::1/tcp/4001"),
		m("/ip4/127.0.0.1/tcp/4002/ws"),
		m("/ip6/2001:2::9/tcp/4001/p2p/16Uiu2HAm9ya7KF8mKsfmLaX4vtYAtpPBJTQavC4kB6oH18TipvWu/p2p-circuit"),
	}
	ranked := preferTCP(addrs)
	if len(ranked) != len(addrs) {
		t.Fatalf("ranked %d of %d addresses", len(ranked), len(addrs))
	}
	var lastTCP, firstOther = -1, -1
	for _, d := range ranked {
		ms := int(d.Delay.Milliseconds())
		if isDirectTCP(d.Addr) {
			lastTCP = max(lastTCP, ms)
		} else if firstOther < 0 || ms < firstOther {
			firstOther = ms
		}
	}
	if lastTCP < 0 || firstOther < lastTCP+int(quicAfterTCP.Milliseconds()) {
		t.Fatalf("TCP dialled by %d ms, the rest from %d ms: %v", lastTCP, firstOther, ranked)
	}
	quicOnly := preferTCP(addrs[:1])
	if len(quicOnly) != 1 || quicOnly[0].Delay != 0 {
		t.Fatalf("a QUIC-only peer: %v", quicOnly)
	}
}
