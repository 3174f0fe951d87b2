package route

import (
	"testing"

	"github.com/mainframe/mf/pkg/identity"
)

// A peer that shares as many bits with the destination as this node (a
// tie), or fewer, still takes the packet: on a line it is the only way on.
// Certified packets follow the same decision, so Next, not Closest, says
// whether a packet can go on.
func TestDecideTieGoesOn(t *testing.T) {
	self := identity.Overlay{0x80} // 1000…
	dest := Dest{Bits: 256, Prefix: []byte{0xc0, 0xff}}
	tie := identity.Overlay{0xa0}    // shares 1 bit, as self does
	fewer := identity.Overlay{0x00}  // shares none
	closer := identity.Overlay{0xc1} // shares 15 bits
	prev := identity.Overlay{0xc0}

	d := Decide(self, []identity.Overlay{prev, tie}, 0, dest)
	if len(d.Next) != 1 || d.Next[0] != 1 || !d.Closest || d.InZone {
		t.Fatalf("a tie: %+v, want next [1], closest", d)
	}
	d = Decide(self, []identity.Overlay{prev, fewer}, 0, dest)
	if len(d.Next) != 1 || d.Next[0] != 1 || !d.Closest {
		t.Fatalf("a peer sharing fewer bits: %+v, want next [1], closest", d)
	}
	d = Decide(self, []identity.Overlay{fewer, closer, tie}, -1, dest)
	if len(d.Next) != 1 || d.Next[0] != 1 || d.Closest {
		t.Fatalf("a closer peer: %+v, want next [1], not closest", d)
	}
	// Only the previous hop: a plain packet is dropped here, and so a
	// certified one is stated unreachable.
	if d := Decide(self, []identity.Overlay{prev}, 0, dest); len(d.Next) != 0 {
		t.Fatalf("only the previous hop: %+v", d)
	}
}
