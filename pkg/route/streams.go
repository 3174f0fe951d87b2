package route

import (
	"net/http"
	"runtime/debug"
	"time"

	"github.com/mainframe/mf/pkg/localapi"
)

// Bounds on what listeners may hold. A listen stream costs the daemon a
// connection, a goroutine and a queue of messages; a watched topic costs a
// record and trial decryptions of every dark packet carrying its tag, and
// outlives the stream on purpose (dark packets are opened only on watched
// topics). Both were unbounded: 10,000 streams opened and dropped took a
// daemon to 594 MB and left 10,000 watches behind.
const (
	// DefaultMaxListeners bounds concurrent listen streams.
	DefaultMaxListeners = 1024
	// DefaultMaxTopics bounds the topics a node watches for its listeners
	// (sessions and groups watch theirs beyond it: they are few, and made
	// only with contacts).
	DefaultMaxTopics = 1000
)

// errTooManyListeners answers a listen past MaxListeners.
func (n *Node) errTooManyListeners() error {
	return localapi.Errorf(http.StatusServiceUnavailable, "too_many_listeners", "the daemon serves at most %d listen streams at once; close one and try again", n.opts.MaxListeners)
}

// errTooManyTopics answers a listen on a new topic past MaxTopics.
func (n *Node) errTooManyTopics(topic string) error {
	return localapi.Errorf(http.StatusConflict, "too_many_topics", "cannot watch %q: this node watches %d topics, the most it keeps; list them with mf-route topics and free some with mf-route topics rm TOPIC", topic, n.opts.MaxTopics)
}

// streamSlot takes one of the MaxListeners stream slots, or answers 503.
// release gives it back.
func (n *Node) streamSlot() (release func(), err error) {
	if n.listenStreams.Add(1) > int64(n.opts.MaxListeners) {
		n.listenStreams.Add(-1)
		return nil, n.errTooManyListeners()
	}
	n.notePeak()
	return func() {
		if n.listenStreams.Add(-1) == 0 {
			n.afterStreams()
		}
	}, nil
}

// afterStreams runs when the last listen stream has closed. A crowd of
// streams leaves its buffers behind as free heap, which the runtime gives
// back to the system only slowly; once the crowd has gone (no stream for a
// few seconds) it is given back at once, so the daemon returns near its
// idle size instead of holding the peak for minutes.
func (n *Node) afterStreams() {
	if n.streamPeak.Swap(0) < streamCrowd {
		return
	}
	n.goLoop(func() {
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(3 * time.Second):
		}
		if n.listenStreams.Load() == 0 {
			debug.FreeOSMemory()
		}
	})
}

// streamCrowd is how many concurrent streams count as a crowd worth
// returning memory after.
const streamCrowd = 64

// notePeak records the number of streams open now, for afterStreams.
func (n *Node) notePeak() {
	cur := n.listenStreams.Load()
	for {
		p := n.streamPeak.Load()
		if cur <= p || n.streamPeak.CompareAndSwap(p, cur) {
			return
		}
	}
}
