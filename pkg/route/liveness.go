package route

import (
	"context"
	"errors"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
)

// Liveness. A peer whose process died or whose network went away can leave
// a connection that still looks open: QUIC waits out its 30 s idle timeout,
// TCP its keepalives, and writes to the connection succeed into buffers
// meanwhile, so the forwarding rule keeps choosing a peer that loses every
// packet. So every connected peer is pinged (libp2p's ping protocol, on one
// stream) about once a second, and a peer that has not answered for
// deadAfter is disconnected: it leaves the neighbour snapshot, and frames
// queued for it are offered to the next-closest peer. A dead peer is noticed
// within pingEvery + deadAfter, on every transport.
const (
	pingEvery = time.Second
	deadAfter = 3500 * time.Millisecond
)

// errSilent means a peer stopped answering pings.
var errSilent = errors.New("route: peer stopped answering pings")

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
	t := time.NewTicker(pingEvery / 2)
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
		case <-t.C:
		}
	}
}

// watchPeer pings p until ctx ends, and disconnects it if it stays silent
// for deadAfter.
func (n *Node) watchPeer(ctx context.Context, p peer.ID) {
	alive := time.Now()
	for ctx.Err() == nil {
		err := n.pingUntilSilent(ctx, p, &alive)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, errSilent):
			n.stats.DeadPeers.Add(1)
			n.log.Info("peer stopped answering; disconnecting it", "peer", p, "silent", time.Since(alive).Round(time.Millisecond))
			_ = n.host.Network().ClosePeer(p)
			return
		case n.host.Network().Connectedness(p) != network.Connected:
			return
		case !n.speaksPing(p):
			// A peer without the ping protocol cannot be judged this way.
			return
		}
		// The ping stream ended (the other side closes them after a while)
		// or failed: open another, keeping the deadline.
		select {
		case <-ctx.Done():
			return
		case <-time.After(min(pingEvery/4, time.Until(alive.Add(deadAfter)))):
		}
		if time.Since(alive) > deadAfter {
			n.stats.DeadPeers.Add(1)
			n.log.Info("peer stopped answering; disconnecting it", "peer", p, "err", err)
			_ = n.host.Network().ClosePeer(p)
			return
		}
	}
}

// pingUntilSilent pings p on one stream, one ping per pingEvery, updating
// alive with each answer. It returns errSilent when no answer came for
// deadAfter, or the error that ended the stream.
func (n *Node) pingUntilSilent(ctx context.Context, p peer.ID, alive *time.Time) error {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// ping.Ping sends the next ping as soon as the last answer is read, so
	// reading once per pingEvery paces it.
	results := ping.Ping(pctx, n.host, p)
	timer := time.NewTimer(time.Until(alive.Add(deadAfter)))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return errSilent
		case res, ok := <-results:
			if !ok {
				return errors.New("route: ping stream ended")
			}
			if res.Error != nil {
				return res.Error
			}
			*alive = time.Now()
			timer.Reset(deadAfter)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pingEvery):
			}
		}
	}
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
