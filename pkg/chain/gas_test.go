package chain

import (
	"errors"
	"testing"
	"time"
)

// TestEstimateAtHeadFallsShort: replacing an announced withdrawal in the
// block after the announcement runs out of gas on eth_estimateGas's bare
// estimate (made against the head, where withdrawAfter already holds the
// value it would write), and goes through with GasLimit's margin.
func TestEstimateAtHeadFallsShort(t *testing.T) {
	c := newTestChain(t)
	addr, _ := c.checkbook(time.Hour, mft(10))
	bare, err := NewCheckbook(addr, c.b)
	if err != nil {
		t.Fatal(err)
	}
	c.must(bare.AnnounceWithdraw(c.auth(issuerKey), mft(2)))
	tx, err := bare.AnnounceWithdraw(c.auth(issuerKey), mft(1))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Wait(c.ctx, c.b, tx)
	if !errors.Is(err, ErrReverted) || r.GasUsed != tx.Gas() {
		t.Fatalf("bare estimate: %v, used %d of %d gas; want it to run out of gas", err, r.GasUsed, tx.Gas())
	}

	margined, err := NewCheckbook(addr, WithGasMargin(c.b))
	if err != nil {
		t.Fatal(err)
	}
	c.must(margined.AnnounceWithdraw(c.auth(issuerKey), mft(2)))
	c.must(margined.AnnounceWithdraw(c.auth(issuerKey), mft(1)))
	if w, err := margined.WithdrawAmount(nil); err != nil || w.Cmp(mft(1)) != 0 {
		t.Fatalf("announced %v, %v; want 1 MFT", w, err)
	}
}
