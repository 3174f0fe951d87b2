package route

import (
	"context"
	"sync"
	"time"
)

// A peer's writer queue is bounded by time, not by a count of frames: it
// holds what the writer moves to that peer in about queueTarget at the pace
// it has been measured to move them. A count of 4,096 frames was 16 MiB of
// 4 KiB packets per peer, hundreds of milliseconds of waiting at full load,
// and every relay behind a slow hop filled its own. A sender that finds the
// queue full waits for room (pushback): a local sender's call returns later,
// and a relay stops reading the stream the packet came on, which slows the
// peer that sent it in turn. Nothing is dropped for being early.
const (
	// queueTarget is the time a frame may wait in a peer's queue at the
	// writer's measured pace.
	queueTarget = 5 * time.Millisecond
	// minQueueBytes is the least room a queue keeps whatever its pace:
	// sixteen 4 KiB packets, so that senders and the writer do not take
	// turns when the pace measured is slow (a busy machine, whose processes
	// wait for a core). On a quiet machine the pace sets a larger limit,
	// and 64 KiB is 4 ms at the 4,000 packets/s the node aims at. A frame
	// always enters an empty queue, so a largest packet is never stalled.
	minQueueBytes = 64 << 10
	// maxQueueBytes bounds a queue however fast its writer has been.
	maxQueueBytes = 1 << 20
	// paceWindow is how much busy time the writer sums before it updates
	// its pace: a busy period of one packet says little about the pace.
	paceWindow = 20 * time.Millisecond
)

// queueBudget is the room in one peer's queue, in bytes. Senders take room
// before they queue a frame (take) and the writer gives it back once the
// frame is in the stream (give). Waiters are served in order, so that a
// large frame is not passed for ever by small ones.
type queueBudget struct {
	mu      sync.Mutex
	used    int
	limit   int
	waiters []*queueWaiter

	// The writer's pace: bytes written and the time it was busy (had
	// frames queued) since the last update, and the pace in bytes/s.
	busyBytes int
	busyTime  time.Duration
	pace      float64
}

type queueWaiter struct {
	n     int
	ready chan struct{} // closed when the room is taken for this waiter
}

func newQueueBudget() *queueBudget { return &queueBudget{limit: maxQueueBytes} }

// fits reports whether n more bytes may enter: always when the queue is
// empty, so that a frame larger than the limit still goes.
func (b *queueBudget) fits(n int) bool { return b.used == 0 || b.used+n <= b.limit }

// take reserves n bytes. It returns at once when they fit and nobody
// waits before it; else it waits until the writer gives back enough, ctx
// ends, done closes or timeout passes. It reports how long it waited.
func (b *queueBudget) take(ctx context.Context, done <-chan struct{}, timeout time.Duration, n int) (time.Duration, error) {
	b.mu.Lock()
	if len(b.waiters) == 0 && b.fits(n) {
		b.used += n
		b.mu.Unlock()
		return 0, nil
	}
	w := &queueWaiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()
	start := time.Now()
	t := time.NewTimer(timeout)
	defer t.Stop()
	var stop error
	select {
	case <-w.ready:
		return time.Since(start), nil
	case <-done:
		stop = errWriterClosed
	case <-ctx.Done():
		stop = ctx.Err()
	case <-t.C:
		stop = errQueueTimeout
	}
	b.mu.Lock()
	select {
	case <-w.ready:
		// Granted while giving up: hand the room back.
		b.used -= n
	default:
		for i, x := range b.waiters {
			if x == w {
				b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
				break
			}
		}
	}
	b.grantLocked()
	b.mu.Unlock()
	return time.Since(start), stop
}

// give returns n bytes of room and wakes the waiters that now fit.
func (b *queueBudget) give(n int) {
	b.mu.Lock()
	b.used -= n
	b.grantLocked()
	b.mu.Unlock()
}

// grantLocked wakes the waiters in order once the queue has drained to
// half its limit, not as soon as one frame's room is back: a full queue
// then wakes a waiting sender once per half a queue, not once per frame,
// and each wake-up costs more than a relay's work on a packet. The woken
// sender fills the rest without waiting (take's fast path).
func (b *queueBudget) grantLocked() {
	if len(b.waiters) == 0 || b.used > 0 && b.used+b.waiters[0].n > b.limit/2 {
		return
	}
	for len(b.waiters) > 0 && b.fits(b.waiters[0].n) {
		w := b.waiters[0]
		b.waiters[0] = nil
		b.waiters = b.waiters[1:]
		b.used += w.n
		close(w.ready)
	}
}

// wrote records that the writer, busy for d, moved n bytes. Every
// paceWindow of busy time it updates the pace, and the limit with it.
func (b *queueBudget) wrote(n int, d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.busyBytes += n
	b.busyTime += d
	if b.busyTime < paceWindow {
		return
	}
	p := float64(b.busyBytes) / b.busyTime.Seconds()
	if b.pace == 0 {
		b.pace = p
	} else {
		b.pace = 0.75*b.pace + 0.25*p
	}
	b.busyBytes, b.busyTime = 0, 0
	b.limit = min(maxQueueBytes, max(minQueueBytes, int(b.pace*queueTarget.Seconds())))
	b.grantLocked()
}

// queued reads the bytes waiting and the limit.
func (b *queueBudget) queued() (used, limit int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used, b.limit
}
