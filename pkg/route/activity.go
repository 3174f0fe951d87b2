package route

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// activity is a version that moves with something others follow: for
// mf-swap, bytes to and from peers and bond events (Node.act); for mf-chat,
// contacts, sessions and groups (Node.changes). A reader that saw version
// v may wait until it moves (GET /v0/usage or /v0/changes with
// ?version=v&wait=30s), so that an idle node's services ask twice a minute
// instead of every second, and still hear of a change at once.
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

// parseWait reads ?version=V&wait=D; ok is false when the request does not
// ask to wait.
func parseWait(q url.Values) (version uint64, wait time.Duration, ok bool, err error) {
	if !q.Has("wait") {
		return 0, 0, false, nil
	}
	d, err := time.ParseDuration(q.Get("wait"))
	if err != nil || d < 0 || d > maxWait {
		return 0, 0, false, localapi.BadRequest("wait must be a duration from 0 to %v, not %q", maxWait, q.Get("wait"))
	}
	v, err := strconv.ParseUint(q.Get("version"), 10, 64)
	if err != nil {
		return 0, 0, false, localapi.BadRequest("wait needs the version of the last answer, not %q", q.Get("version"))
	}
	return v, d, true, nil
}

// maxWait bounds how long a request waits for a version to move.
const maxWait = time.Minute

// apiChanges answers GET /v0/changes: the version of contacts, sessions
// and groups, once it is not ?version (with ?wait).
func (n *Node) apiChanges(w http.ResponseWriter, r *http.Request) (any, error) {
	v, d, ok, err := parseWait(r.URL.Query())
	if err != nil {
		return nil, err
	}
	if ok {
		n.changes.wait(r.Context(), v, d)
	}
	return routeapi.Changes{Version: n.changes.version()}, nil
}
