package routeapi

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mainframe/mf/pkg/localapi"
)

// TestPacerKeepsUnderTheLimitAndRetriesBusy: many calls to one peer at once
// never have more than PerPeer open, and a call the peer refused as busy is
// made again until it is taken; other errors come back at once.
func TestPacerKeepsUnderTheLimitAndRetriesBusy(t *testing.T) {
	var p Pacer
	p.PerPeer = 3
	var open, most, calls atomic.Int32
	busyLeft := atomic.Int32{}
	busyLeft.Store(20)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := p.Do(context.Background(), "peer", func() error {
				calls.Add(1)
				n := open.Add(1)
				defer open.Add(-1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				if busyLeft.Add(-1) >= 0 {
					return &localapi.Error{Status: http.StatusTooManyRequests, Message: "too many calls at once"}
				}
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if most.Load() > 3 {
		t.Fatalf("%d calls were open at once, more than 3", most.Load())
	}
	if calls.Load() != 70 {
		t.Fatalf("%d calls made, want 50 and the 20 refused made again", calls.Load())
	}

	other := errors.New("the peer is down")
	tries := 0
	if err := p.Do(context.Background(), "peer", func() error { tries++; return other }); err != other || tries != 1 {
		t.Fatalf("Do = %v after %d tries, want the error after one", err, tries)
	}
	tries = 0
	err := p.Do(context.Background(), "peer", func() error {
		tries++
		return &localapi.Error{Status: http.StatusTooManyRequests}
	})
	if !IsBusy(err) || tries != busyTries {
		t.Fatalf("Do = %v after %d tries, want busy after %d", err, tries, busyTries)
	}
}
