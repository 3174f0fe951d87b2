package route

import (
	"reflect"
	"testing"

	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	ma "github.com/multiformats/go-multiaddr"
)

// A peer's TCP addresses are dialled first and its QUIC ones a while
// after. Behind a NAT, a node dials only loopback and LAN addresses that
// way, so that its public peers see it over UDP, which hole punching
// needs. A peer without TCP, or one behind a NAT (it offers relayed
// addresses), gets libp2p's own order.
func TestPreferTCP(t *testing.T) {
	m := func(s string) ma.Multiaddr { return ma.StringCast(s) }
	public := []ma.Multiaddr{
		m("/ip6/2001:2::1/udp/4001/quic-v1"),
		m("/ip6/2001:2::1/tcp/4001"),
	}
	local := []ma.Multiaddr{
		m("/ip4/127.0.0.1/udp/4001/quic-v1"),
		m("/ip4/127.0.0.1/tcp/4001"),
		m("/ip6/fd00:1::2/udp/4001/quic-v1"),
		m("/ip6/fd00:1::2/tcp/4001"),
		m("/ip4/127.0.0.1/tcp/4002/ws"),
	}
	all := append(append([]ma.Multiaddr{}, public...), local...)
	relayed := append(append([]ma.Multiaddr{}, all...),
		m("/ip6/2001:2::9/tcp/4001/p2p/16Uiu2HAm9ya7KF8mKsfmLaX4vtYAtpPBJTQavC4kB6oH18TipvWu/p2p-circuit"))
	for _, pub := range []bool{true, false} {
		if got, want := preferTCP(relayed, pub), swarm.DefaultDialRanker(relayed); !reflect.DeepEqual(got, want) {
			t.Errorf("a peer behind a NAT (public %v): %v, libp2p's order is %v", pub, got, want)
		}
		if got, want := preferTCP(all[:1], pub), swarm.DefaultDialRanker(all[:1]); !reflect.DeepEqual(got, want) {
			t.Errorf("a QUIC-only peer (public %v): %v", pub, got)
		}
	}
	if got, want := preferTCP(public, false), swarm.DefaultDialRanker(public); !reflect.DeepEqual(got, want) {
		t.Errorf("a public peer of a NATed node: %v, libp2p's order is %v", got, want)
	}
	for _, c := range []struct {
		public bool
		first  []ma.Multiaddr // the addresses dialled first
	}{
		{true, []ma.Multiaddr{public[1], local[1], local[3]}},
		{false, []ma.Multiaddr{local[1], local[3]}},
	} {
		ranked := preferTCP(all, c.public)
		if len(ranked) != len(all) {
			t.Fatalf("ranked %d of %d addresses", len(ranked), len(all))
		}
		lastFirst, firstOther := -1, -1
		for _, d := range ranked {
			ms := int(d.Delay.Milliseconds())
			isFirst := false
			for _, a := range c.first {
				isFirst = isFirst || a.Equal(d.Addr)
			}
			if isFirst {
				lastFirst = max(lastFirst, ms)
			} else if firstOther < 0 || ms < firstOther {
				firstOther = ms
			}
		}
		if lastFirst < 0 || firstOther < lastFirst+int(quicAfterTCP.Milliseconds()) {
			t.Errorf("public %v: %v dialled by %d ms, the rest from %d ms: %v", c.public, c.first, lastFirst, firstOther, ranked)
		}
	}
}
