package route

import (
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/identity"
)

// Backtracking. Outside its zone a packet goes to one peer at a time
// (Decide), and greedy forwarding alone can get stuck where the graph still
// has a way on: a tie in shared bits sends it down the wrong branch, or it
// reaches a node whose only live link is the one it came in on. So every
// node remembers, per packet, the peer it came from and the peers it handed
// it to (a Trail), and the packet walks the overlay depth first:
//
//   - a node with no untried peer left (a dead end, or every peer it tried
//     gave the packet back) hands the packet back to the peer it came from,
//     which then tries its next-closest untried peer;
//   - a node that gets a copy it already has from a peer it did not hand it
//     to (the packet came round a loop) gives that copy back to that peer,
//     which then tries its next option, as after a dead end;
//   - the sender, with nobody to hand it back to, gives up.
//
// The daemon (Node) and the simulator (pkg/sim) share this rule, as they
// share Decide. Every transmission, a hand-back included, costs the packet
// one ttl, so one walk is at most ttl transmissions long; it is delivered
// once, since the seen set drops every later copy at the recipient.
//
// What a hostile peer can do with it is bounded per packet and per node: a
// node offers a packet to at most MaxAttempts peers, takes back a hand-back
// only from a peer it handed the packet to and only once from each, gives a
// looped copy back at most once to each peer (and to at most MaxAttempts
// peers), and hands a packet back to its previous hop at most once. So a
// peer that returns everything, or sends copies round in circles, makes a
// node send at most 2·MaxAttempts+1 copies of one packet, all within its
// ttl (a copy with more ttl than any before it is another matter, bounded
// by the seen set: forward.go); each copy that comes in makes at most one
// go out, so nothing is amplified. A peer that gives back a packet it could
// carry only does what dropping it would, less: the walk goes on elsewhere. The trails themselves are bounded like the seen set: kept for
// the seen set's window, in two generations that rotate early when a flood
// of packets would grow them past maxTrails, so a peer inventing packets
// cannot grow a node's memory; a packet whose trail was forgotten is dropped
// when it comes back, as every duplicate was before.

// Trail is what one node remembers of one packet it passed on outside the
// packet's zone. K names a peer: a peer ID in the daemon, a node number in
// the simulator.
type Trail[K comparable] struct {
	// Prev is the peer the packet first came from; Origin is set instead
	// at its sender.
	Prev   K
	Origin bool
	// Tried are the peers the packet was offered to, in order.
	Tried []K
	// back are the tried peers whose hand-back was taken; bounced the
	// peers a looped copy was given back to.
	back, bounced []K
	// returned is set once the packet went back to Prev.
	returned bool
}

// Arrival says what a node does with a copy of a packet it already has.
type Arrival int

const (
	// Drop: a resend from the previous hop after a broken stream, or a
	// hand-back or loop already answered.
	Drop Arrival = iota
	// CameBack: a peer the packet was handed to gave it back: offer it to
	// the next-closest untried peer (Trail.Next).
	CameBack
	// Looped: the copy came round a loop from a peer that was not handed
	// it: give it back to that peer, so that it tries its next option.
	Looped
)

// Arrived classifies a copy of the packet that came again from peer from,
// and records it.
func (t *Trail[K]) Arrived(from K) Arrival {
	switch {
	case slices.Contains(t.Tried, from):
		if slices.Contains(t.back, from) {
			return Drop
		}
		t.back = append(t.back, from)
		return CameBack
	case !t.Origin && from == t.Prev, slices.Contains(t.bounced, from), len(t.bounced) >= MaxAttempts:
		return Drop
	default:
		t.bounced = append(t.bounced, from)
		return Looped
	}
}

// Offered records that the packet was handed to peer k.
func (t *Trail[K]) Offered(k K) {
	if !slices.Contains(t.Tried, k) {
		t.Tried = append(t.Tried, k)
	}
}

// Next picks where the packet goes now, among peers (named by keys, with
// their overlay addresses): the index of the closest peer to d not yet
// offered it, not its previous hop and not one that sent it round a loop,
// and records it as offered. With none left (or MaxAttempts peers offered)
// it returns -1, and back reports whether the packet goes back to Prev: it
// does, once, except at its sender, which gives up.
func (t *Trail[K]) Next(keys []K, peers []identity.Overlay, d Dest) (i int, back bool) {
	if len(t.Tried) < MaxAttempts {
		i = NextClosest(peers, d, func(j int) bool {
			k := keys[j]
			return !t.Origin && k == t.Prev || slices.Contains(t.Tried, k) || slices.Contains(t.bounced, k)
		})
		if i >= 0 {
			t.Tried = append(t.Tried, keys[i])
			return i, false
		}
	}
	if t.Origin || t.returned {
		return -1, false
	}
	t.returned = true
	return -1, true
}

// maxTrails bounds one generation of the trail store. A trail lives as long
// as its packet walks (seconds); under a flood the store rotates early, and
// the trails of the previous generation still answer for a while.
const maxTrails = 1 << 15

// trailStore holds the trails of packets this node passed on, in two
// generations like the seen set.
type trailStore struct {
	mu       sync.Mutex
	cur, old map[[32]byte]*Trail[peer.ID]
	window   time.Duration
	rotated  time.Time
}

func newTrailStore(window time.Duration) *trailStore {
	return &trailStore{cur: map[[32]byte]*Trail[peer.ID]{}, old: map[[32]byte]*Trail[peer.ID]{}, window: window, rotated: time.Now()}
}

// with runs fn on packet id's trail, under the store's lock. A missing
// trail is made, with prev as the previous hop ("" at the sender), when
// create is set; else fn gets nil.
func (s *trailStore) with(id [32]byte, create bool, prev peer.ID, fn func(t *Trail[peer.ID])) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.rotated) > s.window || len(s.cur) >= maxTrails {
		s.old, s.cur, s.rotated = s.cur, make(map[[32]byte]*Trail[peer.ID], len(s.cur)), time.Now()
	}
	t := s.cur[id]
	if t == nil {
		if t = s.old[id]; t != nil {
			s.cur[id] = t
		} else if create {
			t = &Trail[peer.ID]{Prev: prev, Origin: prev == ""}
			s.cur[id] = t
		}
	}
	fn(t)
}
