package route

import (
	"bufio"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/wire"
)

// testRelay starts an mf-route node on loopback TCP with nothing else
// running, for tests of its forwarding.
func testRelay(t *testing.T, ctx context.Context, listen ...string) *Node {
	t.Helper()
	if len(listen) == 0 {
		listen = []string{"/ip4/127.0.0.1/tcp/0"}
	}
	id, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	db, err := kv.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	n, err := New(ctx, id, db, Options{Listen: listen, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// countingPeer is a bare libp2p host connected to n that counts the mf
// frames it is sent.
func countingPeer(t *testing.T, ctx context.Context, n *Node) (host.Host, *atomic.Int64) {
	t.Helper()
	h, err := libp2p.New(libp2p.Transport(tcp.NewTCPTransport), libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableRelay(), libp2p.DisableMetrics())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	var got atomic.Int64
	h.SetStreamHandler(ProtocolID, func(s network.Stream) {
		br := bufio.NewReader(s)
		for {
			if _, err := wire.ReadFrame(br, nil, MaxPacket); err != nil {
				if err != io.EOF {
					s.Reset()
				}
				return
			}
			got.Add(1)
		}
	})
	if err := h.Connect(ctx, peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	return h, &got
}

// A packet whose write to the peer closest to its destination failed goes to
// the next-closest peer, never back to the peer it came from; with no other
// peer left, it goes back to the peer it came from, which tries its next
// option (backtracking).
func TestRerouteOnFailedWrite(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	relay := testRelay(t, ctx)
	prev, gotPrev := countingPeer(t, ctx, relay)
	dead, _ := countingPeer(t, ctx, relay)
	_, got := countingPeer(t, ctx, relay)
	deadline := time.Now().Add(10 * time.Second)
	for len(relay.neighbours.Load().peers) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}

	// Addressed next to dead (all but the last bit), so that the forwarding
	// rule picks it first.
	dst := identity.OverlayOf(dead.ID())
	dst[31] ^= 1
	body := make([]byte, 64)
	rand.Read(body)
	frame := (&Packet{Kind: KindData, TTL: 8, Bits: 256, Prefix: dst[:], Topic: TopicID("retry"), Body: body}).Marshal()
	peers, overlays, from := relay.neighbourhood(prev.ID())
	dec := Decide(relay.self, overlays, from, Dest{Bits: 256, Prefix: dst[:]})
	if len(dec.Next) != 1 || peers[dec.Next[0]] != dead.ID() {
		t.Fatalf("the rule picks %v, not the peer next to the destination", dec.Next)
	}

	// The write to dead failed.
	relay.failed(outFrame{b: frame, retry: &retry{from: prev.ID()}}, dead.ID())
	for got.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	st := relay.stats.Snapshot()
	if got.Load() != 1 || st.Rerouted != 1 || st.SendFailed != 0 {
		t.Fatalf("next-closest peer got %d frames; rerouted %d, send_failed %d", got.Load(), st.Rerouted, st.SendFailed)
	}

	// The write to that one failed too: with the previous hop the only
	// other peer left, the packet goes back to it, once.
	var next peer.ID
	for _, p := range relay.neighbours.Load().peers {
		if p != prev.ID() && p != dead.ID() {
			next = p
		}
	}
	relay.failed(outFrame{b: frame, retry: &retry{from: prev.ID()}}, next)
	for gotPrev.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := relay.stats.Snapshot(); gotPrev.Load() != 1 || st.Backtracked != 1 || st.SendFailed != 0 {
		t.Fatalf("previous hop got %d frames; backtracked %d, send_failed %d; want the packet handed back", gotPrev.Load(), st.Backtracked, st.SendFailed)
	}
	// Nothing is left to try: a third failure loses the packet, counted.
	relay.failed(outFrame{b: frame, retry: &retry{from: prev.ID()}}, prev.ID())
	if st := relay.stats.Snapshot(); st.NoRoute != 1 || st.Backtracked != 1 {
		t.Fatalf("no_route %d, backtracked %d; want the packet dropped", st.NoRoute, st.Backtracked)
	}

	// Frames that may not go elsewhere (zone copies, receipts) are lost with
	// their stream.
	relay.failed(outFrame{b: frame}, dead.ID())
	if st := relay.stats.Snapshot(); st.SendFailed != 1 || st.Rerouted != 1 {
		t.Fatalf("rerouted %d, send_failed %d; want the zone copy dropped", st.Rerouted, st.SendFailed)
	}
}
