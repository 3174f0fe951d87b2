package route

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
)

// A peer that goes silent without closing anything (its machine lost power,
// its network went away) is disconnected within seconds on every
// transport. Without the liveness check, QUIC waits out a 30 s idle timeout
// and TCP its keepalives, and packets written meanwhile are lost. The peer
// is reached through a proxy on loopback that is then told to drop
// everything, both ways.
func TestDeadPeerNoticed(t *testing.T) {
	for _, tt := range []struct{ name, listen string }{
		{"tcp", "/ip4/127.0.0.1/tcp/0"},
		{"quic", "/ip4/127.0.0.1/udp/0/quic-v1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			node := testRelay(t, ctx, tt.listen)
			var target string
			for _, a := range node.host.Addrs() {
				if strings.HasPrefix(a.String(), "/ip4/127.0.0.1/") {
					target = a.String()
				}
			}
			var silent atomic.Bool
			proxied := blackholeProxy(t, ctx, tt.name, target, &silent)

			h, err := libp2p.New(libp2p.Transport(tcp.NewTCPTransport), libp2p.Transport(quic.NewTransport), libp2p.NoListenAddrs, libp2p.DisableRelay(), libp2p.DisableMetrics())
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			if err := h.Connect(ctx, peer.AddrInfo{ID: node.host.ID(), Addrs: []ma.Multiaddr{ma.StringCast(proxied)}}); err != nil {
				t.Fatal(err)
			}
			connected := func() bool { return node.host.Network().Connectedness(h.ID()) == network.Connected }
			// A live peer answers and stays.
			time.Sleep(2 * pingEvery)
			if !connected() || node.stats.DeadPeers.Load() != 0 {
				t.Fatalf("a live peer was disconnected (dead_peers %d)", node.stats.DeadPeers.Load())
			}

			silent.Store(true)
			// Well inside the transports' own 30 s timeouts.
			deadline := time.Now().Add(15 * time.Second)
			for connected() && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if connected() || node.stats.DeadPeers.Load() != 1 {
				t.Fatalf("silent peer still connected after 15 s (dead_peers %d)", node.stats.DeadPeers.Load())
			}
			for _, p := range node.neighbours.Load().peers {
				if p == h.ID() {
					t.Fatal("the silent peer is still a neighbour")
				}
			}
		})
	}
}

// blackholeProxy forwards a loopback port to target (a multiaddr of this
// machine, TCP or QUIC) until silent is set, then drops everything both ways
// without closing anything. It returns the multiaddr to dial instead.
func blackholeProxy(t *testing.T, ctx context.Context, kind, target string, silent *atomic.Bool) string {
	t.Helper()
	a := ma.StringCast(target)
	if kind == "tcp" {
		port, _ := a.ValueForProtocol(ma.P_TCP)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				up, err := net.Dial("tcp", "127.0.0.1:"+port)
				if err != nil {
					c.Close()
					continue
				}
				context.AfterFunc(ctx, func() { c.Close(); up.Close() })
				go pump(c, up, silent)
				go pump(up, c, silent)
			}
		}()
		return fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", l.Addr().(*net.TCPAddr).Port)
	}
	port, _ := a.ValueForProtocol(ma.P_UDP)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up, err := net.Dial("udp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close(); up.Close() })
	var client atomic.Pointer[net.Addr]
	go func() {
		buf := make([]byte, 65536)
		for {
			k, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			client.Store(&from)
			if !silent.Load() {
				up.Write(buf[:k])
			}
		}
	}()
	go func() {
		buf := make([]byte, 65536)
		for {
			k, err := up.Read(buf)
			if err != nil {
				return
			}
			if c := client.Load(); c != nil && !silent.Load() {
				pc.WriteTo(buf[:k], *c)
			}
		}
	}()
	return fmt.Sprintf("/ip4/127.0.0.1/udp/%d/quic-v1", pc.LocalAddr().(*net.UDPAddr).Port)
}

// pump copies src to dst until src fails, dropping what it reads once
// silent is set.
func pump(dst, src net.Conn, silent *atomic.Bool) {
	buf := make([]byte, 32<<10)
	for {
		k, err := src.Read(buf)
		if err != nil {
			return
		}
		if !silent.Load() {
			if _, err := dst.Write(buf[:k]); err != nil {
				return
			}
		}
	}
}

// A peer nothing is sent to is pinged at the idle pace, so an idle node
// does not wake every second for each peer; the first packet queued for it
// brings the pinging back at once. (pingIdle is a minute here: any ping
// after the node turned idle came from the packet.)
func TestIdlePeerPingedWhenUsed(t *testing.T) {
	defer func(i, a int64) { pingIdleNs.Store(i); idleAfterNs.Store(a) }(pingIdleNs.Load(), idleAfterNs.Load())
	pingIdleNs.Store(int64(time.Minute))
	idleAfterNs.Store(int64(time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	node := testRelay(t, ctx)
	h, err := libp2p.New(libp2p.Transport(tcp.NewTCPTransport), libp2p.NoListenAddrs, libp2p.DisableRelay(), libp2p.DisableMetrics())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var pings atomic.Int64
	ps := &ping.PingService{Host: h}
	h.SetStreamHandler(ping.ID, func(s network.Stream) {
		pings.Add(1)
		ps.PingHandler(s)
	})
	if err := h.Connect(ctx, peer.AddrInfo{ID: node.host.ID(), Addrs: node.host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	// Pinged at first, then idle: nothing was sent to h.
	waitFor(t, "a first ping", func() bool { return pings.Load() > 0 })
	waitFor(t, "the watcher to turn idle", func() bool {
		v, ok := node.live.Load(h.ID())
		return ok && v.(*liveState).idle.Load()
	})
	before := pings.Load()
	time.Sleep(3 * pingEvery)
	if got := pings.Load() - before; got > 1 {
		t.Fatalf("an idle peer was pinged %d times in %v", got, 3*pingEvery)
	}
	// A packet for h (it does not speak mf; the ping is what counts).
	before = pings.Load()
	_ = node.writer(h.ID()).send(ctx, []byte("x"))
	waitFor(t, "a ping after the packet", func() bool { return pings.Load() > before })
}
