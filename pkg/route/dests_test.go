package route

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"github.com/mainframe/mf/pkg/seal"
)

// TestDestCommitment: every subset of the sender's destinations that a
// relay may forward decodes, with the same id, and still opens; a list
// added to, rewritten (a 0-bit broadcast) or re-committed by a relay is
// refused or does not open.
func TestDestCommitment(t *testing.T) {
	for _, members := range []int{1, 2, 3, 5, 8, 33, MaxDests} {
		t.Run(fmt.Sprint(members), func(t *testing.T) {
			p, x := groupPacketOf(t, members)
			if len(p.Dests) != members || int(p.Depth) != int(destDepth(members)) {
				t.Fatalf("%d destinations in a tree of depth %d", len(p.Dests), p.Depth)
			}
			g := &groups{byID: map[[4]byte][]*group{TopicID(x.Topic): {x}}}
			// Relays split: each destination alone, every prefix and suffix.
			var subsets [][]Dest
			for i := range p.Dests {
				subsets = append(subsets, p.Dests[i:i+1], p.Dests[:i+1], p.Dests[i:])
			}
			for _, sub := range subsets {
				q := *p
				q.Dests = sub
				got, err := UnmarshalPacket(q.Marshal())
				if err != nil {
					t.Fatalf("subset of %d refused: %v", len(sub), err)
				}
				if got.ID() != p.ID() {
					t.Fatal("a subset changed the id")
				}
				if _, err := g.openPacket(got); err != nil {
					t.Fatalf("a subset does not open: %v", err)
				}
			}
		})
	}
}

func TestDestCommitmentRefuses(t *testing.T) {
	p, x := groupPacketOf(t, 5)
	g := &groups{byID: map[[4]byte][]*group{TopicID(x.Topic): {x}}}
	other := newIdentity(t).Public().Overlay()
	tests := []struct {
		name   string
		change func(q *Packet)
	}{
		{"added with another's proof", func(q *Packet) {
			d := q.Dests[0]
			d.Prefix = other[:]
			q.Dests = append(q.Dests, Dest{Index: 7, Bits: 256, Prefix: other[:], Path: d.Path})
		}},
		{"added at a padding leaf", func(q *Packet) {
			q.Dests = append(q.Dests, Dest{Index: 6, Bits: 256, Prefix: other[:], Path: q.Dests[4].Path})
		}},
		{"rewritten prefix", func(q *Packet) {
			q.Dests[2].Prefix = other[:]
		}},
		{"rewritten into a 0-bit broadcast", func(q *Packet) {
			q.Dests = []Dest{{Index: 0, Bits: 0, Path: q.Dests[0].Path}}
		}},
		{"narrowed luminosity", func(q *Packet) {
			q.Dests[1].Bits, q.Dests[1].Prefix = 8, q.Dests[1].Prefix[:1]
		}},
		{"moved to another index", func(q *Packet) {
			q.Dests = []Dest{q.Dests[1]}
			q.Dests[0].Index = 0
		}},
		{"duplicated", func(q *Packet) {
			q.Dests = []Dest{q.Dests[1], q.Dests[1]}
		}},
		{"proof cut short", func(q *Packet) {
			q.Dests[0].Path = q.Dests[0].Path[1:]
			q.Depth--
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := clonePacket(p)
			for i := range q.Dests {
				q.Dests[i].Prefix = bytes.Clone(q.Dests[i].Prefix)
				q.Dests[i].Path = append([][32]byte(nil), q.Dests[i].Path...)
			}
			tt.change(q)
			if _, err := UnmarshalPacket(q.Marshal()); !errors.Is(err, ErrPacket) {
				t.Fatalf("accepted: %v", err)
			}
		})
	}
	// A relay may commit to a list of its own: that packet decodes, but it
	// has another id and no member can open it.
	q := clonePacket(p)
	q.Dests = []Dest{{Bits: 0}}
	q.commitDests()
	got, err := UnmarshalPacket(q.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if got.ID() == p.ID() {
		t.Fatal("a re-committed list kept the id")
	}
	if _, err := g.openPacket(got); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("a re-committed packet opened: %v", err)
	}
}

// groupPacketOf seals a packet of a group of n members besides its owner.
func groupPacketOf(t testing.TB, n int) (*Packet, *group) {
	owner := newIdentity(t)
	key, _ := seal.NewSymKey()
	x := &group{Name: "team", Topic: "g/test", key: key, Owner: owner.Public().Overlay(), Luminosity: 256}
	for i := 0; i < n; i++ {
		x.Members = append(x.Members, GroupMember{Overlay: newIdentity(t).Public().Overlay()})
	}
	g := &groups{n: &Node{id: owner, self: owner.Public().Overlay()}}
	p, err := g.seal(x, 16, 0, []byte("hello group"))
	if err != nil {
		t.Fatal(err)
	}
	return p, x
}

// fixedGroupPacket is a group packet to n destinations that is the same in
// every process, as fuzz seeds must be.
func fixedGroupPacket(n int) *Packet {
	p := &Packet{Kind: KindGroup, TTL: 8, Topic: TopicID("g/fuzz"), Body: []byte("body")}
	for i := 0; i < n; i++ {
		o := sha256.Sum256([]byte{byte(i)})
		bits := uint16(256 - 37*i%256)
		p.Dests = append(p.Dests, Dest{Bits: bits, Prefix: AddressPrefix(o, bits)})
	}
	p.commitDests()
	return p
}

// FuzzVerifyDest: the proof check never panics and accepts only what the
// tree holds.
func FuzzVerifyDest(f *testing.F) {
	p := fixedGroupPacket(5)
	for _, d := range p.Dests {
		var path []byte
		for _, s := range d.Path {
			path = append(path, s[:]...)
		}
		f.Add(p.Depth, d.Index, d.Bits, d.Prefix, path)
	}
	f.Add(byte(7), byte(0), uint16(0), []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, depth, index byte, bits uint16, prefix, path []byte) {
		x := Dest{Index: index, Bits: bits, Prefix: prefix}
		for len(path) >= 32 {
			x.Path = append(x.Path, [32]byte(path[:32]))
			path = path[32:]
		}
		if !verifyDest(p.Root, depth, x) {
			return
		}
		if int(index) >= len(p.Dests) || depth != p.Depth || x.Bits != p.Dests[index].Bits || !bytes.Equal(x.Prefix, p.Dests[index].Prefix) {
			t.Fatalf("accepted %+v, not in the list", x)
		}
	})
}

// BenchmarkUnmarshalGroupPacket decodes a group packet to MaxDests
// members, checking every destination's proof: what a relay pays per group
// packet for the commitment.
func BenchmarkUnmarshalGroupPacket(b *testing.B) {
	raw := fixedGroupPacket(MaxDests).Marshal()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnmarshalPacket(raw); err != nil {
			b.Fatal(err)
		}
	}
}
