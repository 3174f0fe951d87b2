package route

import (
	"bufio"
	"context"
	"crypto/rand"
	"slices"
	"testing"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/wire"
)

// backtrackLayout is a topology where greedy forwarding alone loses the
// packet although the graph connects s to t:
//
//	s ── r ──┬── c ── b     c: the peer r's tie goes to; b: a dead end
//	         └── o ── t     o: the other peer of the tie
//
// c and o share as many bits with t's address, so r's choice between them
// is a tie (it goes to the lower index); b is wired behind whichever r
// picks, and its only live link is the one the packet came in on.
type backtrackLayout struct {
	s, r, c, o, b, t *Node
}

func newBacktrackLayout(t *testing.T) *backtrackLayout {
	t.Helper()
	is, ir, ib, it := newIdentity(t), newIdentity(t), newIdentity(t), newIdentity(t)
	to := ov(it)
	dest := Dest{Bits: 256, Prefix: to[:]}
	// Two identities that tie in bits shared with t (a third of random
	// pairs do).
	var ix, iy *identity.Identity
	for ix == nil || dest.Proximity(ov(ix)) != dest.Proximity(ov(iy)) {
		ix, iy = newIdentity(t), newIdentity(t)
	}
	pid := func(i *identity.Identity) peer.ID { return i.Public().PeerID() }
	l := &backtrackLayout{}
	l.s = startNode(t, is, pid(ir))
	r := startNode(t, ir, pid(is), pid(ix), pid(iy))
	x := startNode(t, ix, pid(ir), pid(ib), pid(it))
	y := startNode(t, iy, pid(ir), pid(ib), pid(it))
	l.r = r
	link(t, l.s, r)
	link(t, r, x)
	link(t, r, y)
	waitFor(t, "r has three neighbours", func() bool { return len(r.refreshNeighbours().peers) == 3 })
	peers, overlays, from := r.neighbourhood(l.s.host.ID())
	dec := Decide(r.self, overlays, from, dest)
	if len(dec.Next) != 1 {
		t.Fatalf("r decides %+v; want one next hop", dec)
	}
	if peers[dec.Next[0]] == x.host.ID() {
		l.c, l.o = x, y
	} else {
		l.c, l.o = y, x
	}
	l.b = startNode(t, ib, l.c.host.ID())
	l.t = startNode(t, it, l.o.host.ID())
	link(t, l.c, l.b)
	link(t, l.o, l.t)
	waitFor(t, "c and o have two neighbours", func() bool {
		return len(l.c.refreshNeighbours().peers) == 2 && len(l.o.refreshNeighbours().peers) == 2
	})
	return l
}

// A tie at r sends the packet toward a dead end: b hands it back to c,
// which has nothing else and hands it back to r, which tries o, and t gets
// it, once. Without backtracking b dropped it.
func TestBacktrackPastDeadEnd(t *testing.T) {
	l := newBacktrackLayout(t)
	ctx := context.Background()
	for i := range 3 {
		if _, err := l.s.Send(ctx, l.t.Card(), SendOptions{Topic: "bt", Payload: []byte("around"), Luminosity: 256}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "t delivers the packet", func() bool { return l.t.stats.Delivered.Load() == uint64(i+1) })
	}
	// The packets went the greedy way first: b and c each handed every
	// one back, and r offered each to o after that.
	waitFor(t, "the hand-backs are counted", func() bool {
		return l.b.stats.Backtracked.Load() == 3 && l.c.stats.Backtracked.Load() == 3
	})
	if st := l.r.stats.Snapshot(); st.Rerouted != 3 || st.Backtracked != 0 {
		t.Fatalf("r rerouted %d and backtracked %d packets; want 3 and 0", st.Rerouted, st.Backtracked)
	}
	if d := l.t.stats.Delivered.Load(); d != 3 {
		t.Fatalf("t delivered %d packets, want 3 (once each)", d)
	}
}

// Certified packets walk the same way: delivered past the dead end; and with
// t gone, every way leads back to s, which names the farthest hop that gave
// the packet back (b, behind the tie), with its signed statement.
func TestBacktrackCertified(t *testing.T) {
	l := newBacktrackLayout(t)
	ctx := context.Background()
	id, err := l.s.Send(ctx, l.t.Card(), SendOptions{Topic: "bt", Payload: []byte("around"), Luminosity: 256, Certify: true})
	if err != nil {
		t.Fatal(err)
	}
	var r *SentRecord
	waitFor(t, "the packet is settled", func() bool {
		r, err = l.s.certs.record(id)
		return err == nil && r.Status != StatusPending
	})
	if r.Status != StatusDelivered {
		t.Fatalf("%s (%s), want delivered", r.Status, r.Reason)
	}

	gone := l.t.host.ID()
	l.t.Close()
	waitFor(t, "o drops t", func() bool { return !slices.Contains(l.o.refreshNeighbours().peers, gone) })
	id, err = l.s.Send(ctx, l.t.Card(), SendOptions{Topic: "bt", Payload: []byte("nowhere"), Luminosity: 256, Certify: true})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the packet is settled", func() bool {
		r, err = l.s.certs.record(id)
		return err == nil && r.Status != StatusPending
	})
	if r.Status != StatusFailed || r.FailedHop == nil || *r.FailedHop != l.b.self || r.Statement == nil || r.Statement.Kind != "returned" {
		t.Fatalf("%s, failed hop %v (%s); want failed, naming b %s with its statement", r.Status, r.FailedHop, r.Reason, l.b.self)
	}
	if len(r.Returned) != 4 {
		t.Fatalf("%d hops gave the packet back, want 4 (b, c, o, r)", len(r.Returned))
	}
}

// The rule itself: what a node does with copies that come again, and where
// it stops.
func TestTrail(t *testing.T) {
	o := func(b byte) identity.Overlay { return identity.Overlay{b} }
	dest := Dest{Bits: 8, Prefix: []byte{0xff}}
	keys := []string{"prev", "a", "b", "c"}
	peers := []identity.Overlay{o(0xfe), o(0xf0), o(0xe0), o(0x00)}
	tr := &Trail[string]{Prev: "prev"}
	if i, back := tr.Next(keys, peers, dest); i != 1 || back {
		t.Fatalf("first choice %d (back %v), want a", i, back)
	}
	for _, c := range []struct {
		from string
		want Arrival
	}{
		{"prev", Drop},     // a resend from the previous hop
		{"a", CameBack},    // a gave it back
		{"a", Drop},        // only once
		{"c", Looped},      // c was never handed it: a loop
		{"c", Drop},        // given back to c once
		{"b", Looped},      // b neither
		{"nobody", Looped}, // a peer not connected any more still gets it back
	} {
		if got := tr.Arrived(c.from); got != c.want {
			t.Fatalf("a copy from %s: %v, want %v", c.from, got, c.want)
		}
	}
	// b and c sent copies round a loop: they have it. Nothing is left, so
	// the packet goes back to prev, once.
	if i, back := tr.Next(keys, peers, dest); i != -1 || !back {
		t.Fatalf("with nothing left: %d (back %v), want back to prev", i, back)
	}
	if i, back := tr.Next(keys, peers, dest); i != -1 || back {
		t.Fatalf("again: %d (back %v), want nowhere", i, back)
	}
	// A sender has nobody to give it back to.
	src := &Trail[string]{Origin: true}
	for range len(keys) {
		if i, _ := src.Next(keys, peers, dest); i < 0 {
			t.Fatal("the sender ran out before trying every peer")
		}
	}
	if i, back := src.Next(keys, peers, dest); i != -1 || back {
		t.Fatalf("the sender with nothing left: %d (back %v), want nowhere", i, back)
	}
	// Offers stop at MaxAttempts, and loops are given back to at most as
	// many peers.
	many := make([]string, 2*MaxAttempts)
	manyO := make([]identity.Overlay, len(many))
	for i := range many {
		many[i] = string(rune('A' + i))
		manyO[i] = o(byte(i))
	}
	wide := &Trail[string]{Origin: true}
	offers := 0
	for i, _ := wide.Next(many, manyO, dest); i >= 0; i, _ = wide.Next(many, manyO, dest) {
		offers++
	}
	loops := 0
	for i := range 3 * MaxAttempts {
		if wide.Arrived(string(rune('a'+i))) == Looped {
			loops++
		}
	}
	if offers != MaxAttempts || loops != MaxAttempts {
		t.Fatalf("%d offers and %d loops given back, want %d each", offers, loops, MaxAttempts)
	}
}

// Peers that hand a packet back over and over, or send it round in circles,
// get a bounded answer: each hand-back counts once, from a peer the packet
// was handed to; each looped copy is given back once; nothing is
// amplified.
func TestBacktrackHostileBounded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	relay := testRelay(t, ctx)
	prev, gotPrev := countingPeer(t, ctx, relay)
	h1, got1 := countingPeer(t, ctx, relay)
	h2, got2 := countingPeer(t, ctx, relay)
	h3, got3 := countingPeer(t, ctx, relay)
	waitFor(t, "the relay has four neighbours", func() bool { return len(relay.refreshNeighbours().peers) == 4 })

	// Addressed next to h1, so that the rule picks it.
	dst := identity.OverlayOf(h1.ID())
	dst[31] ^= 1
	body := make([]byte, 64)
	rand.Read(body)
	packet := func(ttl byte) []byte {
		return (&Packet{Kind: KindData, TTL: ttl, Bits: 256, Prefix: dst[:], Topic: TopicID("hostile"), Body: body}).Marshal()
	}
	send := func(h host.Host, n int, ttl byte) {
		t.Helper()
		s, err := h.NewStream(ctx, relay.host.ID(), ProtocolID)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		w := bufio.NewWriter(s)
		for range n {
			if err := wire.WriteFrame(w, packet(ttl)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	received := func() uint64 { return relay.stats.Received.Load() }

	send(prev, 1, 30)
	waitFor(t, "h1 gets the packet", func() bool { return got1.Load() == 1 })
	// h1 gives it back twenty times: the relay offers it to the next
	// closest, h2, once.
	send(h1, 20, 28)
	waitFor(t, "the copies are read", func() bool { return received() == 21 })
	waitFor(t, "the next closest gets the packet", func() bool { return got2.Load()+got3.Load() == 1 })
	if got3.Load() == 1 {
		h2, got2, h3, got3 = h3, got3, h2, got2
	}
	// h3, never handed it, sends it twenty times, as from a loop: it gets
	// one copy back.
	send(h3, 20, 20)
	waitFor(t, "the copies are read", func() bool { return received() == 41 })
	waitFor(t, "h3 gets its copy back", func() bool { return got3.Load() == 1 })
	// h2 gives it back twenty times: nothing untried is left (h3 has it),
	// so it goes back to prev, once.
	send(h2, 20, 26)
	waitFor(t, "the copies are read", func() bool { return received() == 61 })
	waitFor(t, "prev gets it back", func() bool { return gotPrev.Load() == 1 })
	// prev itself resending it is a resend, dropped.
	send(prev, 20, 30)
	waitFor(t, "the copies are read", func() bool { return received() == 81 })

	if sent := gotPrev.Load() + got1.Load() + got2.Load() + got3.Load(); sent != 4 {
		t.Fatalf("the relay sent %d copies for 81 it got (prev %d, h1 %d, h2 %d, h3 %d); want 4", sent, gotPrev.Load(), got1.Load(), got2.Load(), got3.Load())
	}
	if st := relay.stats.Snapshot(); st.Backtracked != 2 || st.Rerouted != 1 {
		t.Fatalf("backtracked %d, rerouted %d; want 2 and 1", st.Backtracked, st.Rerouted)
	}
}
