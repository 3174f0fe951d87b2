package route

import "github.com/mainframe/mf/pkg/identity"

// Retry on another peer. Outside a packet's zone, Decide hands it to one
// peer. When the write to that peer fails or its stream resets (the peer
// went away and the connection has not closed yet), the node offers the
// packet to the next-closest peer, and so on, up to MaxAttempts peers in
// all. The daemon (per-peer writers) and the simulator (offline peers)
// share this rule.

// MaxAttempts bounds how many peers, the first choice included, one node
// offers a packet to before it gives up. With 30 % of peers gone unnoticed,
// eight attempts leave about one packet in 15,000 per hop.
const MaxAttempts = 8

// NextClosest returns the index of the peer closest to destination d among
// those skip does not rule out (the previous hop, the peers already tried),
// or -1 when none is left. Ties go to the lower index, as in Decide.
func NextClosest(peers []identity.Overlay, d Dest, skip func(i int) bool) int {
	best, bestP := -1, -1
	for i, p := range peers {
		if skip != nil && skip(i) {
			continue
		}
		if pr := d.Proximity(p); pr > bestP {
			best, bestP = i, pr
		}
	}
	return best
}
