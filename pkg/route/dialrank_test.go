package route

import (
	"reflect"
	"testing"

	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	ma "github.com/multiformats/go-multiaddr"
)

// A peer on loopback alone is dialled on its TCP addresses first and on
// the rest a while after; a peer with a LAN or public address, one without
// TCP, and one behind a NAT (it offers relayed addresses) get libp2p's own
// order.
func TestPreferTCP(t *testing.T) {
	m := func(s string) ma.Multiaddr { return ma.StringCast(s) }
	public := []ma.Multiaddr{
		m("/ip6/2001:2::1/udp/4001/quic-v1"),
		m("/ip6/2001:2::1/tcp/4001"),
	}
	local := []ma.Multiaddr{
		m("/ip4/127.0.0.1/udp/4001/quic-v1"),
		m("/ip4/127.0.0.1/tcp/4001"),
		m("/ip6/::1/udp/4001/quic-v1"),
		m("/ip6/::1/tcp/4001"),
		m("/ip4/127.0.0.1/tcp/4002/ws"),
	}
	lan := []ma.Multiaddr{
		m("/ip6/fd00:1::2/udp/4001/quic-v1"),
		m("/ip6/fd00:1::2/tcp/4001"),
	}
	all := append(append([]ma.Multiaddr{}, public...), local...)
	relayed := append(append([]ma.Multiaddr{}, all...),
		m("/ip6/2001:2::9/tcp/4001/p2p/16Uiu2HAm9ya7KF8mKsfmLaX4vtYAtpPBJTQavC4kB6oH18TipvWu/p2p-circuit"))
	for name, addrs := range map[string][]ma.Multiaddr{"behind a NAT": relayed, "QUIC only": local[:1], "public": public, "with a public address": all, "on a LAN": lan} {
		if got, want := preferTCP(addrs), swarm.DefaultDialRanker(addrs); !reflect.DeepEqual(got, want) {
			t.Errorf("a peer %s: %v, libp2p's order is %v", name, got, want)
		}
	}
	ranked := preferTCP(local)
	if len(ranked) != len(local) {
		t.Fatalf("ranked %d of %d addresses", len(ranked), len(local))
	}
	first := []ma.Multiaddr{local[1], local[3]}
	lastFirst, firstOther := -1, -1
	for _, d := range ranked {
		ms := int(d.Delay.Milliseconds())
		isFirst := false
		for _, a := range first {
			isFirst = isFirst || a.Equal(d.Addr)
		}
		if isFirst {
			lastFirst = max(lastFirst, ms)
		} else if firstOther < 0 || ms < firstOther {
			firstOther = ms
		}
	}
	if lastFirst < 0 || firstOther < lastFirst+int(quicAfterTCP.Milliseconds()) {
		t.Errorf("%v dialled by %d ms, the rest from %d ms: %v", first, lastFirst, firstOther, ranked)
	}
}
