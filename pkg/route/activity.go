package route

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// activity counts what mf-swap books: bytes to and from peers, and bond
// events. A reader that saw version v may wait until it moves (GET
// /v0/usage?version=v&wait=30s), so that an idle node's mf-swap asks twice
// a minute instead of every second, and still hears of traffic at once.
//
// bump runs for every frame: an atomic add, and an atomic load that is
// false unless someone waits.
type activity struct {
	v       atomic.Uint64
	waiting atomic.Bool
	mu      sync.Mutex
	ch      chan struct{} // closed by the next bump; nil when no one waits
}

func (a *activity) version() uint64 { return a.v.Load() }

func (a *activity) bump() {
	a.v.Add(1)
	if !a.waiting.Load() {
		return
	}
	a.mu.Lock()
	if a.ch != nil {
		close(a.ch)
		a.ch = nil
	}
	a.waiting.Store(false)
	a.mu.Unlock()
}

// wait returns once the version is not since, d has passed, or ctx ends.
// waiting is set before the version is read: a bump either comes before
// that read (and is seen) or sees waiting and wakes the channel.
func (a *activity) wait(ctx context.Context, since uint64, d time.Duration) {
	a.mu.Lock()
	a.waiting.Store(true)
	if a.v.Load() != since {
		a.mu.Unlock()
		return
	}
	if a.ch == nil {
		a.ch = make(chan struct{})
	}
	ch := a.ch
	a.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
	}
}
