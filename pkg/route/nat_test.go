package route

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
	pbv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/pb"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
)

func TestCardAddrs(t *testing.T) {
	relay := func(ip string, i int) string {
		return "/ip6/" + ip + "/tcp/4001/p2p/16Uiu2HAm9ya7KF8mKsfmLaX4vtYAtpPBJTQavC4kB6oH18TipvWu/p2p-circuit"
	}
	many := func(n int, f func(i int) string) []string {
		var out []string
		for i := range n {
			out = append(out, f(i))
		}
		return out
	}
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"loopback only: a devnet keeps it", []string{"/ip4/127.0.0.1/tcp/1", "/ip6/::1/tcp/1"}, []string{"/ip4/127.0.0.1/tcp/1", "/ip6/::1/tcp/1"}},
		{"public drops loopback and private",
			[]string{"/ip4/127.0.0.1/tcp/1", "/ip6/fd00:1::2/tcp/1", "/ip4/192.168.1.2/tcp/1", "/ip6/2001:2::1/tcp/1", "/ip6/fe80::1/tcp/1"},
			[]string{"/ip6/2001:2::1/tcp/1"}},
		{"relay addresses count as public",
			[]string{"/ip6/fd00:1::2/tcp/4001", relay("2001:2::1", 0)},
			[]string{relay("2001:2::1", 0)}},
		{"a relay on a private address is of no use", []string{"/ip4/10.0.0.2/tcp/1", relay("fd00::1", 0)}, []string{"/ip4/10.0.0.2/tcp/1"}},
		{"unspecified addresses never", []string{"/ip6/::/tcp/1", "/ip4/0.0.0.0/tcp/1"}, nil},
		{"relays keep half the slots however many direct ones",
			append(many(20, func(i int) string { return fmt.Sprintf("/ip6/2001:2::%x/tcp/1", i+1) }), relay("2001:2::99", 0), "/ip6/2001:2::99/udp/1/quic-v1/p2p/16Uiu2HAm9ya7KF8mKsfmLaX4vtYAtpPBJTQavC4kB6oH18TipvWu/p2p-circuit"),
			append(many(14, func(i int) string { return fmt.Sprintf("/ip6/2001:2::%x/tcp/1", i+1) }), relay("2001:2::99", 0), "/ip6/2001:2::99/udp/1/quic-v1/p2p/16Uiu2HAm9ya7KF8mKsfmLaX4vtYAtpPBJTQavC4kB6oH18TipvWu/p2p-circuit")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in []ma.Multiaddr
			for _, s := range tt.in {
				in = append(in, ma.StringCast(s))
			}
			var got []string
			for _, a := range cardAddrs(in) {
				got = append(got, a.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("cardAddrs(%v)\n got %v\nwant %v", tt.in, got, tt.want)
			}
			if len(got) > identity.MaxCardAddrs {
				t.Fatalf("%d addresses, over the card's %d", len(got), identity.MaxCardAddrs)
			}
		})
	}
}

const testPeerAddr = "/ip4/192.0.2.1/tcp/4001/p2p/16Uiu2HAm9ya7KF8mKsfmLaX4vtYAtpPBJTQavC4kB6oH18TipvWu"

func TestBootstrapFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "# the network's public nodes\n\n  "+testPeerAddr+"  \n")
	got, err := expandBootstrap([]string{good, "/ip4/127.0.0.1/tcp/1/p2p/16Uiu2HAm9ya7KF8mKsfmLaX4vtYAtpPBJTQavC4kB6oH18TipvWu"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != testPeerAddr {
		t.Fatalf("expanded to %q", got)
	}
	for _, tt := range []struct{ name, body, want string }{
		{"bad line", "# ok\n" + testPeerAddr + "\n/ip4/1.2.3.4/tcp/1\n", "line 3"},
		{"garbage", "hello\n", "line 1"},
		{"too big", strings.Repeat("#", maxBootstrapFile+1), "over"},
		{"too many", strings.Repeat(testPeerAddr+"\n", maxBootstrapEntries+1), "entries"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := expandBootstrap([]string{write(tt.name, tt.body)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one naming %q", err, tt.want)
			}
		})
	}
	// An entry that is neither an address, a card nor a readable file stops
	// the daemon too: a typo must not leave a node quietly alone.
	for _, e := range []string{"nonsense", filepath.Join(dir, "no-such-file"), dir, "/ip4/999.1.1.1/tcp/1"} {
		if got, err := expandBootstrap([]string{e}); err == nil || !strings.Contains(err.Error(), "not a multiaddr, a card or a readable file") {
			t.Fatalf("entry %q: got %q, %v; want an error", e, got, err)
		}
	}
	// So does an address without its peer id, as it does in a file.
	if got, err := expandBootstrap([]string{"/ip4/192.0.2.1/tcp/4001"}); err == nil || !strings.Contains(err.Error(), "/p2p/PEER-ID") {
		t.Fatalf("address without peer id: got %q, %v; want an error", got, err)
	}
}

// FuzzBootstrapFile: whatever a bootstrap file holds, parsing it never
// panics and everything it accepts is a usable entry.
func FuzzBootstrapFile(f *testing.F) {
	f.Add([]byte("# comment\n" + testPeerAddr + "\n"))
	f.Add([]byte("\n\n\r\n"))
	f.Add([]byte("mfc1AAAA\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := parseBootstrapList("fuzz", b)
		if err != nil {
			return
		}
		for _, e := range entries {
			if _, err := parseBootstrap(e); err != nil {
				t.Fatalf("accepted %q, which does not parse: %v", e, err)
			}
		}
	})
}

// TestRelayLimits: a relay refuses reservations beyond its limit, and a
// circuit carries no more than its configured bytes and lives no longer
// than its configured time.
func TestRelayLimits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	db, err := kv.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	const (
		maxBytes = 64 << 10
		maxTime  = 2 * time.Second
	)
	n, err := New(ctx, id, db, Options{
		Listen: []string{"/ip4/127.0.0.1/tcp/0"},
		Logger: slog.New(slog.DiscardHandler),
		// Loopback has no public address for AutoNAT to test: say so.
		NAT: NATOptions{RelayService: true, Reachability: "public", RelayReservations: 2, RelayCircuit: maxTime, RelayCircuitBytes: maxBytes},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	for i := 0; !slices.Contains(n.host.Mux().Protocols(), protocol.ID(relayHopProtocol)); i++ {
		if i > 200 {
			t.Fatal("the relay service never started on a public node")
		}
		time.Sleep(25 * time.Millisecond)
	}
	relayInfo := peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()}
	newHost := func() host.Host {
		h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableMetrics())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		return h
	}
	a, b, c := newHost(), newHost(), newHost()
	for _, h := range []host.Host{a, b} {
		if _, err := client.Reserve(ctx, h, relayInfo); err != nil {
			t.Fatalf("reservation within the limit refused: %v", err)
		}
	}
	_, err = client.Reserve(ctx, c, relayInfo)
	var rerr client.ReservationError
	if !errors.As(err, &rerr) || rerr.Status != pbv2.Status_RESERVATION_REFUSED {
		t.Fatalf("third reservation on a relay with 2 slots: got %v, want it refused", err)
	}

	// a sinks whatever comes on the test protocol, counting it.
	const proto = "/mf-test/sink"
	var received atomic.Int64
	started := make(chan struct{}, 4)
	sunk := make(chan struct{}, 4)
	a.SetStreamHandler(proto, func(s network.Stream) {
		started <- struct{}{}
		k, _ := io.Copy(io.Discard, s)
		received.Add(k)
		s.Reset()
		sunk <- struct{}{}
	})
	circuit := ma.StringCast(relayInfo.Addrs[0].String() + "/p2p/" + n.host.ID().String() + "/p2p-circuit")
	dial := func() network.Stream {
		t.Helper()
		// Forget the direct addresses identify taught b: only the
		// circuit is to be dialled.
		b.Network().ClosePeer(a.ID())
		b.Peerstore().ClearAddrs(a.ID())
		if err := b.Connect(ctx, peer.AddrInfo{ID: a.ID(), Addrs: []ma.Multiaddr{circuit}}); err != nil {
			t.Fatalf("connect through the relay: %v", err)
		}
		s, err := b.NewStream(network.WithAllowLimitedConn(ctx, "test"), a.ID(), proto)
		if err != nil {
			t.Fatalf("stream through the relay: %v", err)
		}
		if !s.Conn().Stat().Limited {
			t.Fatal("the connection through the relay is not marked limited")
		}
		// Let the stream reach a's handler before the test pushes at
		// the limits (a circuit cut within microseconds of its opening
		// would take the stream with it, unseen).
		if _, err := s.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("a stream through the relay never reached its handler")
		}
		return s
	}

	// Bytes: write 16 times the limit; the relay resets the circuit before
	// more than the limit reaches a.
	s := dial()
	chunk := make([]byte, 4096)
	var wrote int
	for wrote < 16*maxBytes {
		k, err := s.Write(chunk)
		wrote += k
		if err != nil {
			break
		}
	}
	s.Close()
	select {
	case <-sunk:
	case <-time.After(10 * time.Second):
		t.Fatalf("the sink never saw the stream end (wrote %d, received %d)", wrote, received.Load())
	}
	if got := received.Load(); got > maxBytes || got < 1 {
		t.Fatalf("a circuit limited to %d bytes carried %d (of %d written)", maxBytes, got, wrote)
	}

	// Time: a circuit that carries a trickle ends after the limit.
	s = dial()
	start := time.Now()
	for {
		if _, err := s.Write([]byte("x")); err != nil {
			break
		}
		if time.Since(start) > 5*maxTime {
			t.Fatalf("a circuit limited to %v still carried data after %v", maxTime, time.Since(start))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if took := time.Since(start); took < maxTime/2 {
		t.Fatalf("the circuit ended after %v, well before its %v limit", took, maxTime)
	}
}

// TestDHTMode: a node with no public address that joins through a public
// peer waits as a DHT client until AutoNAT decides; one on loopback (a
// devnet) stays a server.
func TestDHTMode(t *testing.T) {
	n := testRelay(t, context.Background())
	if m := n.dhtMode(); m != dht.ModeAutoServer {
		t.Fatalf("a node on loopback with no public peers: mode %v, want ModeAutoServer", m)
	}
	if r := n.dhtRole(); r != "server" {
		t.Fatalf("a node on loopback is a DHT %s, want server", r)
	}
	// Not by setting n.opts.Bootstrap: the node's join loop reads it.
	if m := n.dhtModeWith([]string{"/ip6/2001:2::1/tcp/4001/p2p/16Uiu2HAm9ya7KF8mKsfmLaX4vtYAtpPBJTQavC4kB6oH18TipvWu"}); m != dht.ModeAuto {
		t.Fatalf("a node with only private addresses joining through a public peer: mode %v, want ModeAuto (client until AutoNAT decides)", m)
	}
}

// A flood of mDNS answers (anyone on the LAN may send them) naming peers
// that never answer holds at most maxLANDials dials at once, not one per
// answer.
func TestMDNSFloodBounded(t *testing.T) {
	n := testRelay(t, context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The listener accepts and never answers: each dial hangs in its
	// handshake until its timeout.
	var mu sync.Mutex
	var conns []net.Conn
	var open atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			open.Add(1)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	addr := ma.StringCast(fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", ln.Addr().(*net.TCPAddr).Port))
	m := newMDNSNotifee(n)
	const flood = 32
	for range flood {
		id, err := identity.Generate()
		if err != nil {
			t.Fatal(err)
		}
		m.HandlePeerFound(peer.AddrInfo{ID: id.Public().PeerID(), Addrs: []ma.Multiaddr{addr}})
	}
	// Wait until more than the bound are dialling (the fault) or a
	// second has passed (every dial allowed has long connected).
	for deadline := time.Now().Add(time.Second); open.Load() <= maxLANDials && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if got := open.Load(); got > maxLANDials || got == 0 {
		t.Fatalf("%d mDNS answers: %d dials at once, want 1 to %d", flood, got, maxLANDials)
	}
}
