package route

import "time"

// Replays. Every envelope carries its signed send time. Within the window a
// replayed packet is caught by its id (the seen set remembers ids for at
// least two minutes); past it, by its age. So a packet is only delivered
// while
//
//	sent - maxSkewAhead ≤ now ≤ sent + maxAge
//
// a span no longer than the seen set's memory. A restart empties that
// memory, so a node also refuses what was sent before it started (less a
// second for clock granularity): a packet it may have delivered in its last
// run. Clocks of peers must agree to within maxSkewAhead ahead and maxAge
// behind; a sender outside that sees its packets counted as stale. Under a
// flood of over a million distinct packets per window the seen set rotates
// early (maxSeen), and a replay inside the window can then get through once.
const (
	maxAge       = 90 * time.Second
	maxSkewAhead = 30 * time.Second
	seenMemory   = maxAge + maxSkewAhead
)

// fresh reports whether a packet sent at sent may be delivered now.
func (n *Node) fresh(sent time.Time) bool {
	now := nowFunc()
	return !sent.Before(now.Add(-maxAge)) && !sent.After(now.Add(maxSkewAhead)) && !sent.Before(n.start.Add(-time.Second))
}
