package routeapi

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/mainframe/mf/pkg/localapi"
)

// A peer's gateway admits DefaultCallsPerPeer calls from one node at once
// (for every service together) and answers the rest 429 at once, without
// reading them. A service that makes many calls to one peer in parallel
// (chunks to a storer, held packets to a delegate) paces them with a
// Pacer: it keeps fewer than that open to each peer, and makes a refused
// call again after a pause, instead of taking the refusal for an answer.

// DefaultCallsPerPeer is how many gateway calls a peer's mf-route admits
// from one node at once (route.DefaultMaxCallsPerPeer).
const DefaultCallsPerPeer = 16

// busyTries bounds how often one call is made again after a 429.
const busyTries = 8

// Pacer paces the gateway calls a service makes to each peer. The zero
// value keeps PerPeer, else half of DefaultCallsPerPeer, open to a peer
// at once, so that the node's other services still get in.
type Pacer struct {
	PerPeer int

	mu    sync.Mutex
	slots map[string]chan struct{}
}

func (p *Pacer) of(peer string) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.slots == nil {
		p.slots = map[string]chan struct{}{}
	}
	c := p.slots[peer]
	if c == nil {
		n := p.PerPeer
		if n <= 0 {
			n = DefaultCallsPerPeer / 2
		}
		c = make(chan struct{}, n)
		p.slots[peer] = c
	}
	return c
}

// Do runs call once a slot to peer is free, and again, after a growing,
// jittered pause, while peer's gateway answers that it has too many calls
// from this node. call's other errors, and the last refusal, come back as
// they are. Waiting for a slot ends with ctx.
func (p *Pacer) Do(ctx context.Context, peer string, call func() error) error {
	slot := p.of(peer)
	pause := 50 * time.Millisecond
	for try := 1; ; try++ {
		select {
		case slot <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		err := call()
		<-slot
		if !IsBusy(err) || try == busyTries {
			return err
		}
		t := time.NewTimer(pause/2 + rand.N(pause))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
		pause = min(2*pause, time.Second)
	}
}

// IsBusy reports a peer's gateway refusing a call because it has too many
// from this node already: the call may be made again a little later.
func IsBusy(err error) bool {
	var le *localapi.Error
	return errors.As(err, &le) && le.Status == http.StatusTooManyRequests
}
