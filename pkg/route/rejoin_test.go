package route

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/kv"
)

// A node whose bootstrap peer is down when it starts joins it once it
// comes up, without a restart: it keeps dialling its bootstrap peers while
// its DHT has no one to ask.
func TestRejoinWhenBootstrapComesUp(t *testing.T) {
	ia, ib := newIdentity(t), newIdentity(t)
	bID, err := peer.IDFromPrivateKey(ib.P2PKey())
	if err != nil {
		t.Fatal(err)
	}
	// A port nothing listens on yet, for b later.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bAddr := fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", l.Addr().(*net.TCPAddr).Port)
	l.Close()

	dbA, err := kv.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dbA.Close() })
	a, err := New(context.Background(), ia, dbA, Options{
		Listen:    []string{"/ip4/127.0.0.1/tcp/0"},
		Bootstrap: []string{bAddr + "/p2p/" + bID.String()},
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	// Let a's first join fail.
	time.Sleep(3 * time.Second)
	if got := len(a.host.Network().Peers()); got != 0 {
		t.Fatalf("a has %d peers before b started", got)
	}

	dbB, err := kv.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dbB.Close() })
	b, err := New(context.Background(), ib, dbB, Options{Listen: []string{bAddr}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	waitFor(t, "a joining b once b is up", func() bool {
		return len(a.kad.RoutingTable().ListPeers()) > 0 && live(a.host.Network().Connectedness(bID))
	})
}
