package route

import (
	"slices"
	"testing"

	"github.com/mainframe/mf/pkg/identity"
)

func TestNextClosest(t *testing.T) {
	o := func(b byte) identity.Overlay { return identity.Overlay{b} }
	// The destination is 1010 0000...; the peers share 0, 1, 4, 2 and 4 of
	// its first bits.
	d := Dest{Bits: 8, Prefix: []byte{0xa0}}
	peers := []identity.Overlay{o(0x00), o(0xc0), o(0xa8), o(0x80), o(0xaf)}
	for _, tt := range []struct {
		name string
		skip []int
		want int
	}{
		{"closest, lower index first", nil, 2},
		{"the tie next", []int{2}, 4},
		{"then fewer shared bits", []int{2, 4}, 3},
		{"then one bit", []int{2, 4, 3}, 1},
		{"then none", []int{2, 4, 3, 1}, 0},
		{"all tried", []int{0, 1, 2, 3, 4}, -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := NextClosest(peers, d, func(i int) bool { return slices.Contains(tt.skip, i) })
			if got != tt.want {
				t.Errorf("NextClosest skipping %v = %d, want %d", tt.skip, got, tt.want)
			}
		})
	}
	// The first choice is Decide's.
	if dec := Decide(o(0x10), peers, -1, d); len(dec.Next) != 1 || dec.Next[0] != NextClosest(peers, d, nil) {
		t.Errorf("Decide chose %v, NextClosest %d", dec.Next, NextClosest(peers, d, nil))
	}
}
