package route

import (
	"context"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Hole punching again. libp2p's DCUtR runs once per inbound relayed
// connection: a few tries within a second or two, timed by the round trip
// it measures through the relay. When they all fail (a NAT slow to open
// its mapping, a round trip that jumped while it was measured, a loaded
// machine), the two peers stay relayed for as long as that connection
// lives, through a relay with a byte and time limit. So the node that
// dialled through the relay, once it has had only relayed connections to
// the peer for a while, closes them and dials again through the relay: the
// peer sees a new inbound relayed connection and punches again. Between
// tries the wait doubles, up to punchRetryMax; a NAT that never lets a
// hole through (one that picks a new port for every mapping) costs a
// reconnection every ten minutes.
const (
	punchRetryFirst = 20 * time.Second
	punchRetryMax   = 10 * time.Minute
)

// punchRetry is the schedule of those tries: a timer and the next wait
// per peer, kept only while the peer is reached through relays alone.
type punchRetry struct {
	mu    sync.Mutex
	peers map[peer.ID]*punchState
}

type punchState struct {
	timer *time.Timer
	wait  time.Duration
}

// watchRelayed has n follow its connections, and schedule a new hole
// punch for peers it dials through a relay.
func (n *Node) watchRelayed(ctx context.Context) {
	n.punch.peers = map[peer.ID]*punchState{}
	n.host.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			if c.Stat().Direction == network.DirOutbound && isRelayAddr(c.RemoteMultiaddr()) {
				n.schedulePunch(ctx, c.RemotePeer())
			}
		},
	})
}

// stop cancels the tries scheduled; the node is closing.
func (r *punchRetry) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for p, st := range r.peers {
		if st.timer != nil {
			st.timer.Stop()
		}
		delete(r.peers, p)
	}
}

func (n *Node) schedulePunch(ctx context.Context, p peer.ID) {
	n.punch.mu.Lock()
	defer n.punch.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	st := n.punch.peers[p]
	if st == nil {
		st = &punchState{wait: punchRetryFirst}
		n.punch.peers[p] = st
	}
	if st.timer != nil {
		return
	}
	st.timer = time.AfterFunc(st.wait, func() { n.punchAgain(ctx, p) })
}

// punchAgain closes the relayed connections to p and dials it through the
// relay again, unless a direct connection came meanwhile or p is gone.
func (n *Node) punchAgain(ctx context.Context, p peer.ID) {
	var relayed []network.Conn
	direct := false
	for _, c := range n.host.Network().ConnsToPeer(p) {
		if isRelayAddr(c.RemoteMultiaddr()) {
			relayed = append(relayed, c)
		} else {
			direct = true
		}
	}
	n.punch.mu.Lock()
	st := n.punch.peers[p]
	if st == nil {
		n.punch.mu.Unlock()
		return
	}
	st.timer = nil
	if direct || len(relayed) == 0 || ctx.Err() != nil {
		delete(n.punch.peers, p)
		n.punch.mu.Unlock()
		return
	}
	st.wait = min(2*st.wait, punchRetryMax)
	n.punch.mu.Unlock()
	n.stats.PunchRetries.Add(1)
	n.log.Debug("still relayed to a peer; dialling it through the relay again for another hole punch", "peer", p)
	for _, c := range relayed {
		_ = c.Close()
	}
	// The peer's relay addresses stay in the peerstore (its card, the
	// DHT record), so this dial goes through a relay again; its new
	// connection schedules the next try. The resource manager limits the
	// rate of new connections per address (the relay's), so a dial right
	// after the close may be refused: it is tried again a few times.
	var err error
	for try, pause := 0, time.Second; try < 5; try, pause = try+1, 2*pause {
		if err = n.connect(ctx, peer.AddrInfo{ID: p}); err == nil {
			return
		}
		n.log.Debug("dialling a peer through the relay again failed", "peer", p, "try", try+1, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
	n.log.Info("lost the relayed connection to a peer after a hole punch retry", "peer", p, "err", err)
	n.punch.mu.Lock()
	delete(n.punch.peers, p)
	n.punch.mu.Unlock()
}
