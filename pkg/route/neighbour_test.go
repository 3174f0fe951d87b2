package route

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	p2pcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
)

// startNode runs a real node on 127.0.0.1 that accepts connections from the
// allowed peers only (none: from anyone).
func startNode(t *testing.T, id *identity.Identity, allow ...peer.ID) *Node {
	t.Helper()
	db, err := kv.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	o := Options{Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Logger: slog.New(slog.DiscardHandler), CertTimeout: 5 * time.Second}
	for _, p := range allow {
		o.AllowPeers = append(o.AllowPeers, p.String())
	}
	n, err := New(context.Background(), id, db, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// link connects a to b and waits until each has identified the other.
func link(t *testing.T, a, b *Node) {
	t.Helper()
	if err := a.host.Connect(context.Background(), peer.AddrInfo{ID: b.host.ID(), Addrs: b.host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	waitIdentified(t, b, a.host.ID())
}

// waitIdentified waits until n knows p's protocols.
func waitIdentified(t *testing.T, n *Node, p peer.ID) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if ps, _ := n.host.Peerstore().GetProtocols(p); len(ps) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never identified %s", n.host.ID(), p)
		}
	}
}

// waitFor polls cond until it holds, failing after a generous limit: the
// tests wait for things to happen, not for them to happen fast.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
	}
}

// A plain libp2p host (no /mf/route/1, like a kubo node after ipfs swarm
// connect) connected to a node is no routing neighbour: a packet goes
// through the mf peer even though the foreign host shares more bits with
// the recipient.
//
//	foreign ── a ── c ── b
func TestForeignPeerIsNoNeighbour(t *testing.T) {
	ia, ib, ic := newIdentity(t), newIdentity(t), newIdentity(t)
	bo := ib.Public().Overlay()
	dest := Dest{Bits: 256, Prefix: bo[:]}
	// A foreign key closer to b than c is: the greedy step would pick it.
	var fk p2pcrypto.PrivKey
	var fid peer.ID
	for {
		k, _, err := p2pcrypto.GenerateEd25519Key(nil)
		if err != nil {
			t.Fatal(err)
		}
		fid, _ = peer.IDFromPrivateKey(k)
		if dest.Proximity(identity.OverlayOf(fid)) > dest.Proximity(ic.Public().Overlay()) {
			fk = k
			break
		}
	}
	b := startNode(t, ib, ic.Public().PeerID())
	c := startNode(t, ic, ia.Public().PeerID(), ib.Public().PeerID())
	a := startNode(t, ia, ic.Public().PeerID(), fid)
	link(t, c, a)
	link(t, c, b)
	foreign, err := libp2p.New(libp2p.Identity(fk), libp2p.Transport(tcp.NewTCPTransport), libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableRelay(), libp2p.DisableMetrics())
	if err != nil {
		t.Fatal(err)
	}
	defer foreign.Close()
	if err := foreign.Connect(context.Background(), peer.AddrInfo{ID: a.host.ID(), Addrs: a.host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	waitIdentified(t, a, fid)

	for i := range 3 {
		if _, err := a.Send(context.Background(), b.Card(), SendOptions{Topic: "t", Payload: []byte("hello"), Luminosity: 256}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "b delivers the packet", func() bool { return b.stats.Delivered.Load() == uint64(i+1) })
	}
	if f := a.stats.SendFailed.Load(); f != 0 {
		t.Fatalf("a failed to send %d packets", f)
	}

	// A peer whose identify failed (it can time out on a loaded machine)
	// is asked directly: an mf peer becomes a neighbour, a foreign one
	// does not.
	cid := c.host.ID()
	if err := a.host.Peerstore().RemoveProtocols(cid, ProtocolID); err != nil {
		t.Fatal(err)
	}
	a.refreshNeighbours()
	if a.speaks(cid) || slices.Contains(a.neighbours.Load().peers, cid) {
		t.Fatal("c is still a neighbour without its protocol")
	}
	a.probe(context.Background(), cid)
	if !slices.Contains(a.neighbours.Load().peers, cid) {
		t.Fatal("a probed c and did not take it back as a neighbour")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	a.probe(ctx, fid)
	if slices.Contains(a.neighbours.Load().peers, fid) {
		t.Fatal("a probed the foreign host and took it as a neighbour")
	}
}
