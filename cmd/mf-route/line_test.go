package main

import (
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mainframe/mf/pkg/route"
)

// linestall DIR N SRC DST: on an N-node line devnet, set SRC and DST to the
// numbers of two nodes at least three apart such that a relay on the way
// from SRC to DST passes the packet to a peer that shares no more bits with
// DST than the relay itself does: the layout where certified delivery used
// to stop with "recipient unreachable" while plain delivery went through.
// node1 to nodeN is preferred; with no such pair the layout cannot be
// tested on these identities and the command fails.
func cmdLineStall(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: linestall DIR N SRC DST")
	}
	n, _ := strconv.Atoi(args[1])
	os := nodeOverlays(ts, args[0], n)
	stalls := func(src, dst int) bool {
		d := route.Dest{Bits: 256, Prefix: os[dst][:]}
		step := 1
		if dst < src {
			step = -1
		}
		for k := src + step; k+step != dst; k += step {
			if d.Proximity(os[k+step]) <= d.Proximity(os[k]) {
				return true
			}
		}
		return false
	}
	pairs := [][2]int{{0, n - 1}, {n - 1, 0}}
	for src := 0; src < n; src++ {
		for dst := 0; dst < n; dst++ {
			if src-dst >= 3 || dst-src >= 3 {
				pairs = append(pairs, [2]int{src, dst})
			}
		}
	}
	for _, p := range pairs {
		if stalls(p[0], p[1]) {
			ts.Logf("node%d to node%d crosses a relay whose next hop is no closer", p[0]+1, p[1]+1)
			ts.Setenv(args[2], strconv.Itoa(p[0]+1))
			ts.Setenv(args[3], strconv.Itoa(p[1]+1))
			return
		}
	}
	ts.Fatalf("no pair of nodes on this line crosses a relay whose next hop is no closer; run again for new identities")
}
