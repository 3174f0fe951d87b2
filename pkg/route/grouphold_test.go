package route

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/seal"
)

// narrowed is the copy of group packet p a member's delegates get: its
// destination i alone (sentGroup).
func narrowed(p *Packet, i int) []byte {
	q := *p
	q.Dests = []Dest{p.Dests[i]}
	return q.Marshal()
}

// TestGroupCopyForADelegate: the copy narrowed to one member has the id of
// the packet (mf-hold computes it as mf-route does, so hold receipts,
// received-lists and the recipient's record all name one packet), and a
// delegate takes it for that member only. A copy whose destination was
// rewritten does not parse at all.
func TestGroupCopyForADelegate(t *testing.T) {
	for _, lum := range []int{256, 12, 0} {
		p, x := groupPacketOf(t, 5)
		x.Luminosity = lum
		p, err := (&groups{n: &Node{id: newIdentity(t), self: x.Owner}}).seal(x, 16, 0, []byte("hello"))
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range x.Members {
			raw := narrowed(p, i)
			id, err := holdapi.PacketID(raw)
			if err != nil || id != p.ID() {
				t.Fatalf("luminosity %d, member %d: delegate's id %x (%v), mf-route's %x", lum, i, id, err, p.ID())
			}
			if err := holdapi.CheckAddressed(raw, m.Overlay); err != nil {
				t.Fatalf("luminosity %d: the copy for member %d refused for it: %v", lum, i, err)
			}
			other := x.Members[(i+1)%len(x.Members)].Overlay
			err = holdapi.CheckAddressed(raw, other)
			if lum == 0 && err != nil {
				t.Fatalf("a broadcast group's copy refused: %v", err)
			}
			if lum == 256 && !errors.Is(err, holdapi.ErrNotAddressed) {
				t.Fatalf("the copy for member %d taken for another member: %v", i, err)
			}
		}
		if lum != 256 {
			continue
		}
		// A relay's own destination, with the path of another, does not
		// check against the root.
		q := *p
		d := p.Dests[0]
		d.Prefix = AddressPrefix(newIdentity(t).Public().Overlay(), d.Bits)
		q.Dests = []Dest{d}
		if _, err := holdapi.PacketID(q.Marshal()); !errors.Is(err, holdapi.ErrPacket) {
			t.Fatalf("a rewritten destination was taken: %v", err)
		}
	}
}

// groupHoldNode is a member of group x (sealed by its owner) that can open
// its packets, with a delivered-id record (it has delegates).
func groupHoldNode(t *testing.T, me *identity.Identity, x *group) *Node {
	db, err := kv.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	n := &Node{id: me, pub: me.Public(), self: me.Public().Overlay(), db: db, log: slog.New(slog.DiscardHandler)}
	n.opener = seal.NewOpener(me.Enc)
	n.subs = newSubscriptions(n)
	n.seen = newSeenSet(seenMemory)
	n.groups = &groups{n: n, byName: map[string]*group{}, byID: map[[4]byte][]*group{}}
	y := *x
	y.Key = ""
	y.keys = []groupKey{{topic: x.Topic, key: x.key}}
	n.groups.index(&y)
	if err := n.subs.watch(x.Topic); err != nil {
		t.Fatal(err)
	}
	n.hold = newHolding(n)
	n.hold.active = true
	return n
}

// arriveLive is handleGroupPacket's delivery of a copy that came on the network.
func arriveLive(n *Node, p *Packet) bool {
	id := p.ID()
	return n.seen.add(groupDeliveryKey(id)) && n.tryOpen(id, p, "", false)
}

// TestGroupPacketLiveAndHeldOnce: a group packet that arrives live and
// from a member's delegate is delivered once, whichever copy comes first,
// and also after a restart (the duplicate filter forgotten).
func TestGroupPacketLiveAndHeldOnce(t *testing.T) {
	owner, me := newIdentity(t), newIdentity(t)
	key, _ := seal.NewSymKey()
	x := &group{Name: "team", Topic: "g/held", key: key, Owner: owner.Public().Overlay(), Luminosity: 256,
		Members: []GroupMember{{Overlay: newIdentity(t).Public().Overlay()}, {Overlay: me.Public().Overlay()}}}
	seal := func() *Packet {
		p, err := (&groups{n: &Node{id: owner, self: x.Owner}}).seal(x, 16, 0, []byte("once"))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	inbox := func(n *Node) int {
		_, waiting, _, err := n.subs.subscribe(GroupListenTopic("team"))
		if err != nil {
			t.Fatal(err)
		}
		return len(waiting)
	}
	fetch := func(n *Node, p *Packet) int {
		f := n.hold.open(holdapi.Held{Packet: narrowed(p, 1)})
		if f == nil {
			t.Fatal("the held copy did not open")
		}
		return n.hold.deliverAll([]*fetched{f})
	}
	restart := func(n *Node) {
		n.seen = newSeenSet(seenMemory)
		n.hold = newHolding(n)
		n.hold.active = true
	}

	t.Run("live first", func(t *testing.T) {
		n, p := groupHoldNode(t, me, x), seal()
		if !arriveLive(n, p) {
			t.Fatal("the live copy was not delivered")
		}
		if fetch(n, p) != 0 {
			t.Fatal("the held copy was delivered after the live one")
		}
		restart(n)
		if fetch(n, p) != 0 {
			t.Fatal("the held copy was delivered after a restart")
		}
		if k := inbox(n); k != 1 {
			t.Fatalf("%d messages on the group's stream, want 1", k)
		}
	})
	t.Run("held first", func(t *testing.T) {
		n, p := groupHoldNode(t, me, x), seal()
		if fetch(n, p) != 1 {
			t.Fatal("the held copy was not delivered")
		}
		if arriveLive(n, p) {
			t.Fatal("the live copy was delivered after the held one")
		}
		restart(n)
		if arriveLive(n, p) {
			t.Fatal("the live copy was delivered after a restart")
		}
		if k := inbox(n); k != 1 {
			t.Fatalf("%d messages on the group's stream, want 1", k)
		}
	})
	t.Run("another member's copy", func(t *testing.T) {
		n, p := groupHoldNode(t, me, x), seal()
		if n.hold.open(holdapi.Held{Packet: narrowed(p, 0)}) != nil {
			t.Fatal("a copy narrowed to another member was opened")
		}
	})
}

// FuzzHeldGroupID: mf-hold reads a group packet as mf-route does. What
// mf-route takes, mf-hold takes under the same id, for a client that any
// of its destinations names.
func FuzzHeldGroupID(f *testing.F) {
	p := fixedGroupPacket(5)
	f.Add(p.Marshal())
	f.Add(narrowed(p, 3))
	f.Add(narrowed(fixedGroupPacket(64), 63))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := UnmarshalPacket(b)
		if err != nil || p.Kind != KindGroup || len(b) > holdapi.MaxPacket {
			return
		}
		id, err := holdapi.PacketID(b)
		if err != nil || id != p.ID() {
			t.Fatalf("mf-hold's id %x (%v), mf-route's %x", id, err, p.ID())
		}
		for _, d := range p.Dests {
			var o identity.Overlay
			copy(o[:], d.Prefix)
			if err := holdapi.CheckAddressed(b, o); err != nil {
				t.Fatalf("a client in destination %d's zone refused: %v", d.Index, err)
			}
		}
	})
}
