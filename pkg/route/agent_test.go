package route

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
)

// TestAgentVersion connects a plain libp2p host to a node, as other libp2p
// software would, and reads what identify told it: mf-route and a version.
func TestAgentVersion(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := testRelay(t, ctx)

	h, err := libp2p.New(libp2p.Transport(tcp.NewTCPTransport), libp2p.NoListenAddrs, libp2p.DisableRelay(), libp2p.DisableMetrics())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Connect(ctx, peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	// Identify runs right after the connection is up; its answer lands in
	// the peerstore a moment later.
	var got any
	for ctx.Err() == nil {
		if got, err = h.Peerstore().Get(n.host.ID(), "AgentVersion"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A test binary has no module version: the fallback is "devel".
	if got != "mf-route/devel" {
		t.Fatalf("agent version %q (%v), want mf-route/devel", got, err)
	}
}
