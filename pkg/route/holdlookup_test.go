package route

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/kv"
)

// A sender whose recipient's delegates cannot be looked up (a network
// with no holders table) keeps sending at full speed: one search, with its
// retries, per recipient, and the packets sent meanwhile wait on it instead
// of each searching and retrying for two minutes in a slot of the backlog,
// which filled it and stalled Send (a 10,000-packet stream once took 115 s
// instead of 7).
func TestUnfindableDelegatesDoNotStallSend(t *testing.T) {
	db, err := kv.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	n, err := New(context.Background(), newIdentity(t), db, Options{
		Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Home: t.TempDir(), Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	to := newIdentity(t).Public()
	var lookups atomic.Int64
	// A search of the DHT for the table's providers that finds none takes
	// a while (up to its 10 s timeout). The node's own hold loop looks
	// its own row up too; only the recipient's are counted.
	n.hold.mu.Lock()
	n.hold.lookupRow = func(ctx context.Context, addr common.Address) ([]holdapi.RowDelegate, error) {
		if addr == to.Address() {
			lookups.Add(1)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
		return nil, errors.New("route: no provider of the holders table found")
	}
	n.hold.mu.Unlock()
	const packets = 3 * holdBacklog
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range packets {
			var id [32]byte
			id[0], id[1] = byte(i), byte(i>>8)
			n.hold.sent(to, []byte("sealed packet"), id, false)
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("handing %d packets to unfindable delegates stalled: %d slots of the backlog of %d taken, %d lookups", packets, len(n.hold.backlog), holdBacklog, lookups.Load())
	}
	// One search holds its slot while it retries; every other packet is
	// queued on it, at most holdChainQueue of them.
	waitFor(t, "the backlog down to the one search", func() bool { return len(n.hold.backlog) == 1 })
	n.hold.mu.Lock()
	chains, waiting := len(n.hold.chains), n.hold.waiting
	n.hold.mu.Unlock()
	if chains != 1 || waiting != holdChainQueue {
		t.Fatalf("%d searches with %d packets waiting; want 1 and %d", chains, waiting, holdChainQueue)
	}
	if got := lookups.Load(); got > 2 {
		t.Fatalf("%d lookups for one recipient within its first retry; want one search", got)
	}
}
