package kv

import (
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// scheduler grants Pebble's compactions up to the concurrency the DB
// allows without permission, as Pebble's default does, but it looks for
// waiting compactions only when something changes: a compaction is asked
// for (TrySchedule), one ends (Done), or a flush raises the allowance
// (UpdateGetAllowedWithoutPermission). Pebble's default also looks every
// 100 ms, which wakes every idle daemon of a node ten times a second, and a
// laptop running mf-chat all day pays for each wake-up. A look every
// safetyLook catches whatever the events miss.
type scheduler struct {
	mu       sync.Mutex
	idle     *sync.Cond // signalled when granting ends
	db       pebble.DBForCompaction
	running  int
	granting bool // one goroutine grants at a time
	again    bool // an event came in while granting: look once more
	closed   bool
	stop     chan struct{}
	stopped  chan struct{}
}

// safetyLook is how often the scheduler looks for waiting compactions with
// no event to prompt it.
const safetyLook = 5 * time.Second

var _ pebble.CompactionScheduler = (*scheduler)(nil)

func newScheduler() *scheduler {
	s := &scheduler{stop: make(chan struct{}), stopped: make(chan struct{})}
	s.idle = sync.NewCond(&s.mu)
	return s
}

func (s *scheduler) Register(_ int, db pebble.DBForCompaction) {
	s.db = db
	go func() {
		defer close(s.stopped)
		t := time.NewTicker(safetyLook)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.grant()
			}
		}
	}()
}

// Unregister stops granting; once it returns, the DB is not called again.
func (s *scheduler) Unregister() {
	close(s.stop)
	<-s.stopped
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for s.granting {
		s.idle.Wait()
	}
}

func (s *scheduler) TrySchedule() (bool, pebble.CompactionGrantHandle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.db.GetAllowedWithoutPermission() <= s.running {
		return false, nil
	}
	s.running++
	return true, s
}

// UpdateGetAllowedWithoutPermission may be called with the DB's mutex
// held, which granting takes: it grants from a goroutine of its own.
func (s *scheduler) UpdateGetAllowedWithoutPermission() { go s.grant() }

// The grant handle: only Done matters here.
func (s *scheduler) Started()                                          {}
func (s *scheduler) MeasureCPU(pebble.CompactionGoroutineKind)         {}
func (s *scheduler) CumulativeStats(pebble.CompactionGrantHandleStats) {}

func (s *scheduler) Done() {
	s.mu.Lock()
	s.running--
	s.mu.Unlock()
	s.grant()
}

// grant hands out what the allowance leaves room for, to compactions the DB
// has waiting.
func (s *scheduler) grant() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if s.granting {
		s.again = true
		s.mu.Unlock()
		return
	}
	s.granting = true
	for {
		s.again = false
		room := s.db.GetAllowedWithoutPermission() - s.running
		s.mu.Unlock()
		for ; room > 0; room-- {
			if waiting, _ := s.db.GetWaitingCompaction(); !waiting || !s.db.Schedule(s) {
				break
			}
			s.mu.Lock()
			s.running++
			s.mu.Unlock()
		}
		s.mu.Lock()
		if !s.again || s.closed {
			break
		}
	}
	s.granting = false
	s.idle.Broadcast()
	s.mu.Unlock()
}
