package swap

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/config"
)

// peerBalance reads GET /v0/balances/{peer} of n.
func (n *testNode) peerBalance(peer string) PeerBalance {
	n.t.Helper()
	code, body := n.do(http.MethodGet, "/v0/balances/"+peer, nil, "")
	var pb PeerBalance
	if code != http.StatusOK || json.Unmarshal([]byte(body), &pb) != nil {
		n.t.Fatalf("GET /v0/balances/%s = %d %s", peer, code, body)
	}
	return pb
}

func wantStr(tb testing.TB, what, got string, want *big.Int) {
	tb.Helper()
	if got != want.String() {
		tb.Errorf("%s = %s, want %s", what, got, want)
	}
}

// TestCreditorCountsHardDepositOnly: B invoices A; A's cheque comes with a
// hard deposit for B, and B's safe figure is that hard deposit, read from
// the chain. A then empties its checkbook with a cheque to itself: B's
// cheque is still paid in full. A debtor whose checkbook cannot cover its
// cheque leaves B's ledger at zero but the cheque at risk, and B refuses it
// service on that figure. A decrease of the hard deposit announced makes B
// cash at once.
func TestCreditorCountsHardDepositOnly(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	a := newNode(t, nil)
	c := newNode(t, nil)
	// B cashes only when told to (or when a decrease is announced).
	b := newNode(t, func(s *config.Swap) { s.CashThreshold = "1000" })
	a.deposit(mft(5))
	b.serveRoute(a, c)

	x := milli(1500)
	owe(t, a, b, x)
	b.settle(ctx)
	wantEq(t, "B's balance of A", b.bal(a.peer), new(big.Int))
	hard, err := a.cb.HardDeposit(b.call(ctx), b.self)
	if err != nil {
		t.Fatal(err)
	}
	wantEq(t, "A's hard deposit for B", hard, x)
	pb := b.peerBalance(a.peer)
	wantStr(t, "B's safe figure for A", pb.Safe, hard)
	wantStr(t, "uncashed", pb.Uncashed, x)
	wantStr(t, "at risk", pb.AtRisk, new(big.Int))
	var st Status
	if code, body := a.do(http.MethodGet, "/v0/status", nil, ""); code != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil {
		t.Fatalf("GET /v0/status = %d %s", code, body)
	}
	wantStr(t, "A's liquid balance", st.Liquid, diff(mft(5), x))

	// A drains its checkbook with a cheque to itself: it gets the liquid
	// balance only.
	self, err := newSelfCheque(a, mft(5))
	if err != nil {
		t.Fatal(err)
	}
	wallet := mftOf(t, a.self)
	tx, err := a.cb.CashCheque(a.txOpts(ctx), a.self, mft(5), self)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitTx(ctx, a, tx); err != nil {
		t.Fatal(err)
	}
	wantEq(t, "A's drain", diff(mftOf(t, a.self), wallet), diff(mft(5), x))
	wallet = mftOf(t, b.self)
	if code, body := b.do(http.MethodPost, "/v0/cash", nil, fmt.Sprintf(`{"peer":%q}`, a.peer)); code != http.StatusOK {
		t.Fatalf("POST /v0/cash: %d %s", code, body)
	}
	wantEq(t, "B got", diff(mftOf(t, b.self), wallet), x)
	wantEq(t, "B's balance of A after cashing", b.bal(a.peer), new(big.Int))

	// C has nothing in its checkbook: its cheque settles the ledger, but
	// nothing guarantees it, and 2.5 MFT at risk is past B's disconnect
	// threshold (2 MFT).
	y := milli(2500)
	owe(t, c, b, y)
	b.settle(ctx)
	wantEq(t, "B's balance of C", b.bal(c.peer), new(big.Int))
	pb = b.peerBalance(c.peer)
	wantStr(t, "B's safe figure for C", pb.Safe, new(big.Int))
	wantStr(t, "at risk with C", pb.AtRisk, y)
	if !b.route.blocks[c.peer] {
		t.Error("B serves C with 2.5 MFT of uncovered cheques")
	}
	if b.route.blocks[a.peer] {
		t.Error("B refuses A, whose cheques were covered")
	}

	// A deposits again and owes B again; then it announces lowering B's
	// hard deposit. B counts the announced part as gone and cashes in the
	// next round.
	a.deposit(mft(3))
	owe(t, a, b, x)
	b.settle(ctx)
	wantStr(t, "B's safe figure for A again", b.peerBalance(a.peer).Safe, x)
	tx, err = a.cb.AnnounceHardDepositDecrease(a.txOpts(ctx), b.self, mft(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitTx(ctx, a, tx); err != nil {
		t.Fatal(err)
	}
	wantStr(t, "B's safe figure after the announcement", b.peerBalance(a.peer).Safe, milli(500))
	wallet = mftOf(t, b.self)
	b.settle(ctx)
	wantEq(t, "B cashed on the announcement", diff(mftOf(t, b.self), wallet), x)
}

// newSelfCheque signs a cheque of n's checkbook to n itself.
func newSelfCheque(n *testNode, cum *big.Int) ([]byte, error) {
	c, err := chain.NewCheque(n.key, n.chainID, n.checkbook, n.self, cum)
	if err != nil {
		return nil, err
	}
	return c.Signature, nil
}

func waitTx(ctx context.Context, n *testNode, tx *types.Transaction) (*types.Receipt, error) {
	return chain.Wait(ctx, n.eth, tx)
}
