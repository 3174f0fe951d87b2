package route

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
)

// Liveness. A peer whose process died or whose network went away can leave
// a connection that still looks open: QUIC waits out its 30 s idle timeout,
// TCP its keepalives, and writes to the connection succeed into buffers
// meanwhile, so the forwarding rule keeps choosing a peer that loses every
// packet. So every connected peer that packets go to is pinged (libp2p's
// ping protocol) about once a second, and a peer that has not answered for
// deadAfter is disconnected: it leaves the neighbour snapshot, and frames
// queued for it are offered to the next-closest peer. A dead peer is
// noticed within pingEvery + deadAfter of a packet sent to it, on every
// transport.
//
// A peer nothing was sent to for idleAfter is pinged every pingIdle only:
// an idle node otherwise wakes for pings all day, and a laptop running
// mf-chat pays for each wake-up. The first packet queued for an idle peer
// wakes its watcher, which pings at once and goes back to pingEvery.
const (
	pingEvery = time.Second
	deadAfter = 3500 * time.Millisecond
)

// The idle pace: pingIdle and idleAfter, in nanoseconds. Atomic, for the
// test that shortens them while other tests' nodes still run.
var pingIdleNs, idleAfterNs atomic.Int64

func init() {
	pingIdleNs.Store(int64(5 * time.Second))
	idleAfterNs.Store(int64(10 * time.Second))
}

// liveState is what the senders to a peer and its watcher share: whether
// the watcher is pinging at the idle pace, and a way to wake it.
type liveState struct {
	idle atomic.Bool
	wake chan struct{}
}

// sentTo runs for every packet queued for p: it wakes p's watcher if it
// is pinging at the idle pace. An atomic load per packet otherwise.
func (n *Node) sentTo(p peer.ID) {
	v, ok := n.live.Load(p)
	if !ok {
		return
	}
	ls := v.(*liveState)
	if ls.idle.Load() && ls.idle.CompareAndSwap(true, false) {
		select {
		case ls.wake <- struct{}{}:
		default:
		}
	}
}

// watchLiveness keeps one watchPeer running per connected peer until ctx
// ends.
func (n *Node) watchLiveness(ctx context.Context) {
	type watch struct {
		cancel context.CancelFunc
		done   chan struct{}
	}
	watching := map[peer.ID]watch{}
	defer func() {
		for _, w := range watching {
			w.cancel()
			<-w.done
		}
	}()
	// Peers come and go with connections and identify (refreshNeighbours
	// signals peersChanged); the slow ticker is a safety net only.
	t := time.NewTicker(10 * time.Duration(pingIdleNs.Load()))
	defer t.Stop()
	for {
		live := map[peer.ID]bool{}
		for _, p := range n.connectedPeers() {
			live[p] = true
			if w, ok := watching[p]; ok {
				select {
				case <-w.done:
					// It ended: the peer does not speak ping, or was
					// disconnected and is back.
					if !n.speaksPing(p) {
						continue
					}
				default:
					continue
				}
			}
			wctx, cancel := context.WithCancel(ctx)
			w := watch{cancel, make(chan struct{})}
			watching[p] = w
			go func() {
				defer close(w.done)
				n.watchPeer(wctx, p)
			}()
		}
		for p, w := range watching {
			if !live[p] {
				w.cancel()
				<-w.done
				delete(watching, p)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-n.peersChanged:
		case <-t.C:
		}
	}
}

// watchPeer pings p until ctx ends, and disconnects it if it stays silent
// for deadAfter.
//
// Each ping has a stream of its own, closed when it is answered: a stream
// held open per peer would run into the resource manager's limit on ping
// streams (64 to a few hundred in all) on a node with hundreds of peers.
// Any answer counts, an error from the other side included (a refused or
// reset stream): only silence means dead.
func (n *Node) watchPeer(ctx context.Context, p peer.ID) {
	ls := &liveState{wake: make(chan struct{}, 1)}
	n.live.Store(p, ls)
	defer n.live.CompareAndDelete(p, ls)
	// Spread the peers' pings over the interval.
	select {
	case <-ctx.Done():
		return
	case <-time.After(rand.N(pingEvery)):
	}
	alive := time.Now()
	// Whether packets went to p lately: its meter's count of bytes out,
	// and when that last moved.
	pm := n.meter.of(p)
	out, moved := pm.out.Load(), time.Now()
	t := time.NewTimer(pingEvery)
	defer t.Stop()
	for {
		answered := n.pingOnce(ctx, p)
		switch {
		case ctx.Err() != nil:
			return
		case answered:
			alive = time.Now()
		case time.Since(alive) > deadAfter:
			n.stats.DeadPeers.Add(1)
			n.log.Info("peer stopped answering; disconnecting it", "peer", p, "silent", time.Since(alive).Round(time.Millisecond))
			_ = n.host.Network().ClosePeer(p)
			return
		}
		if n.host.Network().Connectedness(p) != network.Connected || !n.speaksPing(p) {
			return
		}
		if o := pm.out.Load(); o != out {
			out, moved = o, time.Now()
		}
		wait := pingEvery
		if answered && time.Since(moved) > time.Duration(idleAfterNs.Load()) {
			wait = time.Duration(pingIdleNs.Load())
			ls.idle.Store(true)
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-ls.wake:
		case <-t.C:
		}
		ls.idle.Store(false)
	}
}

// pingOnce pings p and reports whether anything came back within
// deadAfter: an answer, or an error while the connection is still up (a
// refused or reset stream: something is there to refuse; a local stream
// limit, which says nothing either way).
func (n *Node) pingOnce(ctx context.Context, p peer.ID) bool {
	pctx, cancel := context.WithTimeout(ctx, deadAfter)
	defer cancel()
	// ping.Ping pings until pctx ends; the first result is all we need,
	// and cancel then resets the stream.
	res, ok := <-ping.Ping(pctx, n.host, p)
	if !ok || pctx.Err() != nil {
		return false
	}
	return res.Error == nil || n.host.Network().Connectedness(p) == network.Connected
}

// speaksPing reports whether p may answer pings: it announced the ping
// protocol, or has not announced its protocols yet.
func (n *Node) speaksPing(p peer.ID) bool {
	protos, err := n.host.Peerstore().GetProtocols(p)
	if err != nil || len(protos) == 0 {
		return true
	}
	ok, _ := n.host.Peerstore().SupportsProtocols(p, ping.ID)
	return len(ok) > 0
}
