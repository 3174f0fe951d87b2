package route

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/wire"
)

// BenchmarkRelay measures one mf-route node relaying 1 KiB packets: a bare
// libp2p host writes packets addressed to another bare host over the node's
// /mf/route/1 protocol, and the node passes each on (parse, id, duplicate
// filter, forwarding decision, queue, write). The figure to read is
// packets/s; the target (docs/benchmarks.md) is 50,000. The two bare hosts
// only write and count frames, but they share the machine's cores with the
// relay. With peers=32, thirty more bare hosts are connected to the relay,
// as a node in a real network would have them: the forwarding decision
// looks at them all.
func BenchmarkRelay(b *testing.B) {
	for _, peers := range []int{2, 32} {
		b.Run(fmt.Sprintf("peers=%d", peers), func(b *testing.B) { benchmarkRelay(b, peers) })
	}
}

func benchmarkRelay(b *testing.B, npeers int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id, err := identity.Generate()
	if err != nil {
		b.Fatal(err)
	}
	db, err := kv.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	relay, err := New(ctx, id, db, Options{
		Listen: []string{"/ip4/127.0.0.1/tcp/0"},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer relay.Close()

	bare := func() host.Host {
		h, err := libp2p.New(libp2p.Transport(tcp.NewTCPTransport), libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableRelay(), libp2p.DisableMetrics())
		if err != nil {
			b.Fatal(err)
		}
		if err := h.Connect(ctx, peer.AddrInfo{ID: relay.host.ID(), Addrs: relay.host.Addrs()}); err != nil {
			b.Fatal(err)
		}
		return h
	}
	sender, receiver := bare(), bare()
	defer sender.Close()
	defer receiver.Close()
	for range npeers - 2 {
		h := bare()
		defer h.Close()
	}
	var got atomic.Int64
	done := make(chan struct{}, 1)
	var want atomic.Int64
	receiver.SetStreamHandler(ProtocolID, func(s network.Stream) {
		br := bufio.NewReaderSize(s, 64<<10)
		var buf []byte
		for {
			f, err := wire.ReadFrame(br, buf, MaxPacket)
			if err != nil {
				if err != io.EOF {
					s.Reset()
				}
				return
			}
			buf = f[:0]
			if got.Add(1) == want.Load() {
				done <- struct{}{}
			}
		}
	})

	// The relay routes to the receiver once it knows that it speaks
	// /mf/route/1 (its identify push, after the handler was set).
	for deadline := time.Now().Add(10 * time.Second); !slices.Contains(relay.refreshNeighbours().peers, receiver.ID()); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("the relay never took the receiver as a neighbour")
		}
	}

	// One packet to the receiver; copies differ in their ephemeral key
	// field (a counter), so each has its own id. The relay is not in the
	// destination zone and does not listen on the topic, so it never
	// tries to open them.
	payload := make([]byte, 1024)
	rand.Read(payload)
	dst := identity.OverlayOf(receiver.ID())
	tmpl := (&Packet{Kind: KindData, TTL: 16, Bits: 256, Prefix: dst[:], Topic: TopicID("relay"), Body: payload}).Marshal()
	ephOffset := 3 + 2 + 32 + 4
	s, err := sender.NewStream(ctx, relay.host.ID(), ProtocolID)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	bw := bufio.NewWriterSize(s, 64<<10)
	pkt := make([]byte, len(tmpl))
	var seq uint64
	b.SetBytes(int64(len(tmpl)))
	b.ResetTimer()
	start := time.Now()
	want.Store(got.Load() + int64(b.N))
	for range b.N {
		copy(pkt, tmpl)
		seq++
		binary.BigEndian.PutUint64(pkt[ephOffset:], seq)
		if err := wire.WriteFrame(bw, pkt); err != nil {
			b.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		b.Fatalf("relayed %d of %d packets (%+v)", got.Load(), b.N, relay.stats.Snapshot())
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "packets/s")
}
