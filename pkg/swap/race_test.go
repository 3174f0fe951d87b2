package swap

import (
	"context"
	"net/http"
	"sync"
	"testing"
)

// TestSettleRacesAPI: the settle loop (which blocks and unblocks peers and
// cashes cheques) runs while the API reads balances and cashes. Under -race
// an unguarded map shared by the two fails here; without -race a concurrent
// map write can still crash the process.
func TestSettleRacesAPI(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	a := newNode(t, nil)
	b := newNode(t, nil)
	a.deposit(mft(5))
	b.serveRoute() // a cannot be reached: invoices fail, so b keeps a blocked
	// A cheque b holds, so both cashing paths have work.
	owe(t, a, b, milli(300))
	c, err := a.issue(b.peer, b.self, milli(300))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := c.MarshalBinary()
	if _, err := b.ReceiveCheque(ctx, a.peer, raw); err != nil {
		t.Fatal(err)
	}
	// Over the disconnect threshold (2 MFT): the loop writes blocked.
	if _, err := b.AddUsage(a.peer, mft(3)); err != nil {
		t.Fatal(err)
	}

	wallet := mftOf(t, b.self)
	loopCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for loopCtx.Err() == nil {
			b.settle(loopCtx)
			// Flip the balance across the threshold so blocked is written
			// again on the next round.
			if _, err := b.AddUsage(a.peer, mft(-3)); err != nil {
				t.Error(err)
				return
			}
			b.settle(loopCtx)
			if _, err := b.AddUsage(a.peer, mft(3)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := 0; i < 50; i++ {
		if code, body := b.do(http.MethodGet, "/v0/balances", nil, ""); code != http.StatusOK {
			t.Fatalf("GET /v0/balances = %d %s", code, body)
		}
		if code, body := b.do(http.MethodGet, "/v0/balances/"+a.peer, nil, ""); code != http.StatusOK {
			t.Fatalf("GET /v0/balances/A = %d %s", code, body)
		}
		// 200 the first time, then 409 "cashed": never a 5xx.
		if code, body := b.do(http.MethodPost, "/v0/cash", nil, `{"peer":"`+a.peer+`"}`); code >= 500 {
			t.Fatalf("POST /v0/cash = %d %s", code, body)
		}
	}
	stop()
	wg.Wait()
	wantEq(t, "b's wallet", mftOf(t, b.self), sum(wallet, milli(300)))
}
