package route

import (
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/holepunch"
	ma "github.com/multiformats/go-multiaddr"
)

// TestPunchTraceBusy checks that libp2p's hole punch events hold back a
// retry for a peer while a punch with it may be running: from a start
// until its end (or punchBusyStart without one), then punchBusyGap more.
func TestPunchTraceBusy(t *testing.T) {
	p, other := peer.ID("p"), peer.ID("other")
	r := &punchRetry{peers: map[peer.ID]*punchState{p: {wait: punchRetryFirst}}}
	t0 := time.Unix(1000, 0)
	ev := func(typ string, at time.Time, who peer.ID) {
		r.Trace(&holepunch.Event{Timestamp: at.UnixNano(), Remote: who, Type: typ})
	}
	busy := func(now time.Time) time.Duration {
		if u := r.peers[p].busyUntil; now.Before(u) {
			return u.Sub(now)
		}
		return 0
	}
	if got := busy(t0); got != 0 {
		t.Fatalf("busy %v before any punch", got)
	}
	ev(holepunch.StartHolePunchEvtT, t0, p)
	if got := busy(t0.Add(10 * time.Second)); got != punchBusyStart-10*time.Second {
		t.Fatalf("10 s into a punch with no end seen: busy %v more, want %v", got, punchBusyStart-10*time.Second)
	}
	ev(holepunch.EndHolePunchEvtT, t0.Add(4*time.Second), p)
	if got := busy(t0.Add(4 * time.Second)); got != punchBusyGap {
		t.Fatalf("at a punch's end: busy %v, want the gap %v", got, punchBusyGap)
	}
	if got := busy(t0.Add(4*time.Second + punchBusyGap)); got != 0 {
		t.Fatalf("after the gap: busy %v, want 0", got)
	}
	// A protocol error only extends; events for peers with no retry
	// scheduled are ignored (and not kept).
	ev(holepunch.StartHolePunchEvtT, t0.Add(20*time.Second), p)
	ev(holepunch.ProtocolErrorEvtT, t0.Add(21*time.Second), p)
	if got := busy(t0.Add(21 * time.Second)); got != punchBusyStart-time.Second {
		t.Fatalf("a protocol error during a punch shortened it: busy %v", got)
	}
	ev(holepunch.StartHolePunchEvtT, t0, other)
	if _, ok := r.peers[other]; ok {
		t.Fatal("an event for a peer with no retry scheduled was kept")
	}
}

// TestPunchAddrs checks the addresses a hole punch offers and accepts: the
// other transport on the same port is added, for the node's own addresses
// only where it listens on it.
func TestPunchAddrs(t *testing.T) {
	m := func(s string) ma.Multiaddr { return ma.StringCast(s) }
	strs := func(as []ma.Multiaddr) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.String())
		}
		return out
	}
	remote := withOtherTransport([]ma.Multiaddr{
		m("/ip6/2001:2::12/tcp/4001"),
		m("/ip4/203.0.113.7/udp/5000/quic-v1"),
		m("/ip4/203.0.113.7/udp/5000/quic-v1/webtransport"),
		m("/dns4/example.com/tcp/4001"),
	}, func(ma.Multiaddr) bool { return true })
	want := []string{
		"/ip6/2001:2::12/tcp/4001",
		"/ip4/203.0.113.7/udp/5000/quic-v1",
		"/ip4/203.0.113.7/udp/5000/quic-v1/webtransport",
		"/dns4/example.com/tcp/4001",
		"/ip6/2001:2::12/udp/4001/quic-v1",
		"/ip4/203.0.113.7/tcp/5000",
	}
	if got := strs(remote); !slices.Equal(got, want) {
		t.Fatalf("peer's addresses completed to\n%v\nwant\n%v", got, want)
	}
	// Both transports already there: nothing added twice.
	both := []ma.Multiaddr{m("/ip6/2001:2::12/tcp/4001"), m("/ip6/2001:2::12/udp/4001/quic-v1")}
	if got := withOtherTransport(both, func(ma.Multiaddr) bool { return true }); len(got) != 2 {
		t.Fatalf("duplicates added: %v", strs(got))
	}

	listen := []ma.Multiaddr{m("/ip6/::/tcp/4001"), m("/ip6/::/udp/4001/quic-v1"), m("/ip4/0.0.0.0/tcp/4002")}
	own := withOtherTransport([]ma.Multiaddr{
		m("/ip6/2001:2::11/tcp/4001"),   // listens on udp 4001 too: QUIC added
		m("/ip4/198.51.100.1/tcp/4002"), // no QUIC listener on 4002
	}, func(g ma.Multiaddr) bool { return listensOn(listen, g) })
	want = []string{"/ip6/2001:2::11/tcp/4001", "/ip4/198.51.100.1/tcp/4002", "/ip6/2001:2::11/udp/4001/quic-v1"}
	if got := strs(own); !slices.Equal(got, want) {
		t.Fatalf("own addresses completed to\n%v\nwant\n%v", got, want)
	}
}
