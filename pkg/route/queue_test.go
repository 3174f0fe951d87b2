package route

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
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

// waiting reports how many senders wait for room.
func (b *queueBudget) waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.waiters)
}

func TestQueueBudgetHoldsSendersBack(t *testing.T) {
	ctx := context.Background()
	b := &queueBudget{limit: 10}
	if _, err := b.take(ctx, nil, time.Hour, 6); err != nil {
		t.Fatal(err)
	}
	// 6 + 6 is over the limit: the second sender waits for room.
	got := make(chan error, 1)
	go func() {
		_, err := b.take(ctx, nil, time.Hour, 6)
		got <- err
	}()
	waitFor(t, "the second sender to wait", func() bool { return b.waiting() == 1 })
	// A small frame that would fit does not pass the one waiting.
	small := make(chan error, 1)
	go func() {
		_, err := b.take(ctx, nil, time.Hour, 1)
		small <- err
	}()
	waitFor(t, "the small frame to queue behind", func() bool { return b.waiting() == 2 })
	b.give(6)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if err := <-small; err != nil {
		t.Fatal(err)
	}
	if used, _ := b.queued(); used != 7 {
		t.Fatalf("used %d, want 7", used)
	}
}

func TestQueueBudgetEmptyQueueTakesAnyFrame(t *testing.T) {
	b := &queueBudget{limit: 10}
	if _, err := b.take(context.Background(), nil, time.Hour, 100); err != nil {
		t.Fatal(err)
	}
	if used, _ := b.queued(); used != 100 {
		t.Fatalf("used %d, want 100", used)
	}
}

func TestQueueBudgetGivingUp(t *testing.T) {
	b := &queueBudget{limit: 10}
	if _, err := b.take(context.Background(), nil, time.Hour, 10); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	close(done)
	if _, err := b.take(context.Background(), done, time.Hour, 5); !errors.Is(err, errWriterClosed) {
		t.Fatalf("closed writer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.take(ctx, nil, time.Hour, 5); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if _, err := b.take(context.Background(), nil, time.Nanosecond, 5); !errors.Is(err, errQueueTimeout) {
		t.Fatalf("timeout: %v", err)
	}
	if used, _ := b.queued(); used != 10 || b.waiting() != 0 {
		t.Fatalf("after giving up: used %d, %d waiting", used, b.waiting())
	}
}

func TestQueueBudgetSizedByPace(t *testing.T) {
	b := newQueueBudget()
	if _, limit := b.queued(); limit != maxQueueBytes {
		t.Fatalf("before any pace: limit %d", limit)
	}
	// 1 MB in 1 s of busy time: 1 MB/s, 5 KB in queueTarget, so the floor.
	for range 50 {
		b.wrote(20_000, 20*time.Millisecond)
	}
	if _, limit := b.queued(); limit != minQueueBytes {
		t.Fatalf("slow writer: limit %d, want %d", limit, minQueueBytes)
	}
	// 100 MB/s: 500 KB in queueTarget.
	for range 50 {
		b.wrote(2_000_000, 20*time.Millisecond)
	}
	if _, limit := b.queued(); limit < 400_000 || limit > 500_000 {
		t.Fatalf("fast writer: limit %d, want about 500,000", limit)
	}
}

// TestRelayPushesBackOnStalledPeer stalls the relay's next hop: the relay's
// queue to it stops at its limit (the old queue took 4,096 packets, 16 MiB
// of 4 KiB ones), the relay stops reading from the sender instead, and
// once the next hop reads again every packet arrives.
func TestRelayPushesBackOnStalledPeer(t *testing.T) {
	// However long a loaded machine takes to run the receiver once it
	// reads again, the relay must not give up on it: this test counts
	// losses, not time.
	defer func(d int64) { queueFullWaitNs.Store(d) }(queueFullWaitNs.Load())
	queueFullWaitNs.Store(int64(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	db, err := kv.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	relay, err := New(ctx, id, db, Options{
		Listen: []string{"/ip4/127.0.0.1/tcp/0"},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	bare := func() host.Host {
		h, err := libp2p.New(libp2p.Transport(tcp.NewTCPTransport), libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableRelay(), libp2p.DisableMetrics())
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Connect(ctx, peer.AddrInfo{ID: relay.host.ID(), Addrs: relay.host.Addrs()}); err != nil {
			t.Fatal(err)
		}
		return h
	}
	sender, receiver := bare(), bare()
	defer sender.Close()
	defer receiver.Close()

	const total = 3000
	gate := make(chan struct{})
	var got atomic.Int64
	receiver.SetStreamHandler(ProtocolID, func(s network.Stream) {
		<-gate
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
			got.Add(1)
		}
	})
	waitFor(t, "the relay to take the receiver as a neighbour", func() bool {
		return slices.Contains(relay.refreshNeighbours().peers, receiver.ID())
	})

	payload := make([]byte, 4096)
	rand.Read(payload)
	dst := identity.OverlayOf(receiver.ID())
	tmpl := (&Packet{Kind: KindData, TTL: 16, Bits: 256, Prefix: dst[:], Topic: TopicID("relay"), Body: payload}).Marshal()
	ephOffset := 3 + 2 + 32 + 4
	s, err := sender.NewStream(ctx, relay.host.ID(), ProtocolID)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wrote := make(chan error, 1)
	go func() {
		bw := bufio.NewWriterSize(s, 64<<10)
		pkt := make([]byte, len(tmpl))
		for i := range uint64(total) {
			copy(pkt, tmpl)
			binary.BigEndian.PutUint64(pkt[ephOffset:], i+1)
			if err := wire.WriteFrame(bw, pkt); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- bw.Flush()
	}()

	// The relay's reader waits for room in the stalled peer's queue.
	var w *peerWriter
	waitFor(t, "the relay to hold its reader back", func() bool {
		relay.mu.Lock()
		w = relay.writers[receiver.ID()]
		relay.mu.Unlock()
		return w != nil && w.room.waiting() > 0
	})
	used, limit := w.room.queued()
	if used > limit || used > maxQueueBytes {
		t.Errorf("stalled peer's queue holds %d bytes, over its limit of %d", used, limit)
	}
	if n := len(w.q); n > maxQueueBytes/len(tmpl)+1 {
		t.Errorf("stalled peer's queue holds %d packets", n)
	}
	close(gate)
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every packet to arrive", func() bool { return got.Load() == total })
	st := relay.stats.Snapshot()
	if st.QueueFull != 0 || st.SendFailed != 0 {
		t.Fatalf("lost packets: %+v", st)
	}
	if st.QueueWaits == 0 {
		t.Fatalf("no sender was held back: %+v", st)
	}
}
