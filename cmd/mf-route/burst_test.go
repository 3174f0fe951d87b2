package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// holdburst SENDER TARGET DELEGATE CLIENT COUNT: SENDER's mf-route sends
// COUNT packets to TARGET (a card) on topic "burst" over one streaming
// call, as fast as it takes them; then, for up to two minutes, DELEGATE's
// mf-hold must come to hold COUNT packets on that topic's way for CLIENT
// (an address). Every send must be accepted.
func cmdHoldBurst(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 5 {
		ts.Fatalf("usage: holdburst SENDER-HOME TARGET-CARD DELEGATE-HOME CLIENT-ADDRESS COUNT")
	}
	count, err := strconv.Atoi(args[4])
	ts.Check(err)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	held := func() int {
		hs, err := holdapi.NewClient(ts.MkAbs(args[2])).Held(ctx, args[3])
		ts.Check(err)
		return len(hs)
	}
	before := held()
	sent := 0
	ts.Check(routeapi.NewClient(ts.MkAbs(args[0])).SendStream(ctx, func() *routeapi.SendRequest {
		if sent == count {
			return nil
		}
		sent++
		return &routeapi.SendRequest{To: args[1], Topic: "burst", Payload: fmt.Appendf(nil, "burst %d\n", sent)}
	}, func(r *routeapi.SendStreamResult) error {
		if r.Error != "" {
			return fmt.Errorf("a send was refused: %s", r.Error)
		}
		return nil
	}))
	n := 0
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if n = held() - before; n >= count {
			ts.Logf("the delegate holds all %d packets of the burst", count)
			return
		}
	}
	ts.Fatalf("the delegate holds %d of the %d packets of the burst", n, count)
}
