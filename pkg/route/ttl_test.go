package route

import (
	"bufio"
	"context"
	"io"
	"log/slog"
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

// relayRig is a real node between two bare libp2p hosts: the sender writes
// frames to the node over /mf/route/1, and the receiver collects the
// packets the node passes on.
type relayRig struct {
	node            *Node
	sender          network.Stream
	received        chan *Packet
	receiverOverlay identity.Overlay
}

func newRelayRig(t *testing.T) *relayRig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db, err := kv.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	n, err := New(ctx, newIdentity(t), db, Options{Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	bare := func() host.Host {
		h, err := libp2p.New(libp2p.Transport(tcp.NewTCPTransport), libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableRelay(), libp2p.DisableMetrics())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		if err := h.Connect(ctx, peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()}); err != nil {
			t.Fatal(err)
		}
		return h
	}
	sender, receiver := bare(), bare()
	r := &relayRig{node: n, received: make(chan *Packet, 100)}
	receiver.SetStreamHandler(ProtocolID, func(s network.Stream) {
		br := bufio.NewReader(s)
		for {
			f, err := wire.ReadFrame(br, nil, MaxPacket)
			if err != nil {
				if err != io.EOF {
					s.Reset()
				}
				return
			}
			if p, err := UnmarshalPacket(f); err == nil {
				r.received <- p
			}
		}
	})
	// The node must see both hosts before it can route between them.
	for deadline := time.Now().Add(10 * time.Second); len(n.connectedPeers()) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the node never saw its two peers")
		}
	}
	if r.sender, err = sender.NewStream(ctx, n.host.ID(), ProtocolID); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.sender.Close() })
	r.receiverOverlay = identity.OverlayOf(receiver.ID())
	return r
}

// write sends p to the node with the given ttl.
func (r *relayRig) write(t *testing.T, p *Packet, ttl byte) {
	t.Helper()
	q := *p
	q.TTL = ttl
	if err := wire.WriteFrame(r.sender, q.Marshal()); err != nil {
		t.Fatal(err)
	}
}

// through writes the packets (with their ttls), then a marker packet, and
// returns what the receiver got before the marker: the node handles one
// stream's frames in order and passes them on in order, so once the
// marker is through, everything written before it has been dealt with.
func (r *relayRig) through(t *testing.T, copies []*Packet, ttls []byte) []*Packet {
	t.Helper()
	for i, p := range copies {
		r.write(t, p, ttls[i])
	}
	marker := &Packet{Kind: KindData, TTL: 8, Bits: 256, Prefix: r.receiverOverlay[:], Topic: TopicID("marker"), Body: []byte(time.Now().String())}
	r.write(t, marker, 8)
	var got []*Packet
	for {
		select {
		case p := <-r.received:
			if p.Topic == marker.Topic {
				return got
			}
			got = append(got, p)
		case <-time.After(30 * time.Second):
			t.Fatalf("the marker never came through (%+v)", r.node.stats.Snapshot())
		}
	}
}

// TestTTLCopyDoesNotSuppress: a relay that sends a packet ahead with ttl 1
// (which dies at the next hop) does not stop the genuine packet there: the
// copy with more ttl is passed on. A copy with no more ttl than one seen is
// still a duplicate.
func TestTTLCopyDoesNotSuppress(t *testing.T) {
	r := newRelayRig(t)
	dst := r.receiverOverlay
	t.Run("data", func(t *testing.T) {
		p := &Packet{Kind: KindData, Bits: 256, Prefix: dst[:], Topic: TopicID("ttl"), Body: []byte("genuine")}
		got := r.through(t, []*Packet{p, p, p}, []byte{1, 8, 8})
		if len(got) != 1 || got[0].TTL != 7 {
			t.Fatalf("the receiver got %d copies, want the genuine one (%+v)", len(got), r.node.stats.Snapshot())
		}
	})
	t.Run("group", func(t *testing.T) {
		p := &Packet{Kind: KindGroup, Dests: []Dest{{Bits: 256, Prefix: dst[:]}}, Topic: TopicID("g/ttl"), Body: []byte("genuine")}
		p.commitDests()
		got := r.through(t, []*Packet{p, p, p}, []byte{1, 8, 8})
		if len(got) != 1 || got[0].TTL != 7 || got[0].ID() != p.ID() {
			t.Fatalf("the receiver got %d copies, want the genuine one (%+v)", len(got), r.node.stats.Snapshot())
		}
	})
}

// TestTTLCopyDeliversOnce: a dark packet's zone member takes the packet
// from the copy sent ahead with ttl 1; the genuine copy still goes on to
// the rest of the zone, and the member's listener gets the packet once.
func TestTTLCopyDeliversOnce(t *testing.T) {
	r := newRelayRig(t)
	sub, _, _, err := r.node.subs.subscribe("ttl")
	if err != nil {
		t.Fatal(err)
	}
	// Luminosity 0: the node and the receiver are both in the zone.
	p, err := SealPacket(newIdentity(t), r.node.pub, 0, 8, "ttl", 0, []byte("dark"))
	if err != nil {
		t.Fatal(err)
	}
	got := r.through(t, []*Packet{p, p}, []byte{1, 8})
	if len(got) != 1 || got[0].TTL != 7 {
		t.Fatalf("the rest of the zone got %d copies, want 1 (%+v)", len(got), r.node.stats.Snapshot())
	}
	if d := r.node.stats.Delivered.Load(); d != 1 {
		t.Fatalf("delivered %d times", d)
	}
	if len(sub.ch) != 1 {
		t.Fatalf("the listener holds %d messages", len(sub.ch))
	}
}
