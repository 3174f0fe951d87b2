package swap

import (
	"context"
	"crypto/ecdsa"
	"math"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/chain"
)

// faucetMint mints amount to addr with the development chain's faucet.
func faucetMint(tb testing.TB, ctx context.Context, addr common.Address, amount *big.Int) {
	tb.Helper()
	c, info := testChain(tb)
	funded.Lock() // the faucet's nonces are shared with fundAll
	defer funded.Unlock()
	tok, err := chain.NewMFT(common.HexToAddress(info.Token), c.Client())
	if err != nil {
		tb.Fatal(err)
	}
	auth := c.FaucetAuth()
	auth.Context = ctx
	tx, err := tok.Mint(auth, addr, amount)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := chain.Wait(ctx, c.Client(), tx); err != nil {
		tb.Fatal(err)
	}
}

// payFrom has n's checkbook pay beneficiary cum in total: n signs the
// cheque and cashes it itself (anyone may).
func payFrom(tb testing.TB, ctx context.Context, n *testNode, beneficiary common.Address, cum *big.Int) {
	tb.Helper()
	c, err := chain.NewCheque(n.key, n.chainID, n.checkbook, beneficiary, cum)
	if err != nil {
		tb.Fatal(err)
	}
	tx, err := n.cb.CashCheque(n.txOpts(ctx), beneficiary, cum, c.Signature)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := chain.Wait(ctx, n.eth, tx); err != nil {
		tb.Fatal(err)
	}
}

func freshKeys(tb testing.TB, n int) ([]*ecdsa.PrivateKey, []common.Address) {
	tb.Helper()
	var keys []*ecdsa.PrivateKey
	var addrs []common.Address
	for range n {
		k, err := crypto.GenerateKey()
		if err != nil {
			tb.Fatal(err)
		}
		keys = append(keys, k)
		addrs = append(addrs, crypto.PubkeyToAddress(k.PublicKey))
	}
	return keys, addrs
}

// TestScoreCyclingThroughFreshAddresses: A pays 100 MFT through cheques to
// 10 fresh addresses of its own, which deposit it back into A's checkbook,
// and A pays it out to them again: 200 MFT paid out on chain. Counted as
// before, that was a score of 0.5 + 0.05·log2(201) ≈ 0.88; the fresh
// addresses have no history of their own, so it stays a newcomer's 0.5.
// An established beneficiary counts, but one adds at most perPayeeRaise
// however much it is paid.
func TestScoreCyclingThroughFreshAddresses(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	a := newNode(t, nil)
	c := newNode(t, nil)
	faucetMint(t, ctx, a.checkbook, mft(100))
	keys, sybils := freshKeys(t, 10)
	for _, s := range sybils {
		payFrom(t, ctx, a, s, mft(10))
	}
	// The sybils need gas to deposit it back (fundAll also gives each
	// walletMFT, which they keep).
	func() {
		funded.Lock()
		defer funded.Unlock()
		if err := fundAll(ctx, sybils); err != nil {
			t.Fatal(err)
		}
	}()
	tok, err := chain.NewMFT(a.set.Token, a.eth)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		auth, err := bind.NewKeyedTransactorWithChainID(k, a.chainID)
		if err != nil {
			t.Fatal(err)
		}
		auth.Context = ctx
		tx, err := tok.Transfer(auth, a.checkbook, mft(10))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := chain.Wait(ctx, a.eth, tx); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range sybils {
		payFrom(t, ctx, a, s, mft(20))
	}

	sc, err := c.score(ctx, a.self)
	if err != nil {
		t.Fatal(err)
	}
	wantStr(t, "A's raw paid out", sc.PaidOut, mft(200))
	if sc.Score > newcomerScore || sc.Payees != 0 {
		t.Errorf("A's score after cycling 100 MFT twice through 10 fresh addresses = %+v, want at most a newcomer's %v", sc, newcomerScore)
	}

	// E has a history of its own: it paid 5 others 0.1 MFT each. A pays E
	// 50 MFT: E counts, for 10 MFT, and one payee raises the score by at
	// most perPayeeRaise.
	e := newNode(t, nil)
	e.deposit(mft(1))
	_, others := freshKeys(t, standingPayees)
	for _, o := range others {
		payFrom(t, ctx, e, o, milli(100))
	}
	if got := c.standing(ctx, e.self, a.self); got != 1 {
		t.Fatalf("E's standing = %v, want 1", got)
	}
	faucetMint(t, ctx, a.checkbook, mft(50))
	payFrom(t, ctx, a, e.self, mft(50))
	sc, err = c.score(ctx, a.self)
	if err != nil {
		t.Fatal(err)
	}
	if want := newcomerScore + perPayeeRaise; math.Abs(sc.Score-want) > 1e-9 || sc.Payees != 1 || sc.Weighted != "10.000" {
		t.Errorf("A's score with one established payee = %+v, want %v from 10 weighted MFT", sc, want)
	}
}

// TestScoreVerdictFarming: a provider wins 50 cases opened by a fresh
// client of its own. The client has no history, so the verdicts count for
// nothing; a client with full standing counts once however many cases it
// loses, and all clients together add at most maxVerdictBonus. Before, each
// verdict added 0.01: 50 of them made a perfect 1.
//
// The standing is read from the chain; the verdicts are given as the
// court's Verdict events would give them (Court.sol's cases are another
// change's subject).
func TestScoreVerdictFarming(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	p := newNode(t, nil)
	client := fundedIdentity(t).Public().Address()
	standing := p.standing(ctx, client, p.self)
	if standing != 0 {
		t.Fatalf("a fresh client's standing = %v, want 0", standing)
	}
	farmed := rate(&history{verdictsFor: 50, plaintiffs: []plaintiff{{addr: client, cases: 50, standing: standing}}})
	if farmed.score > newcomerScore || farmed.plaintiffs != 0 {
		t.Errorf("50 verdicts won against a fresh client: %+v, want at most a newcomer's %v", farmed, newcomerScore)
	}

	one := rate(&history{verdictsFor: 50, plaintiffs: []plaintiff{{addr: client, cases: 50, standing: 1}}})
	if want := newcomerScore + verdictBonus; math.Abs(one.score-want) > 1e-9 {
		t.Errorf("50 verdicts against one established client: %v, want %v", one.score, want)
	}
	var many []plaintiff
	for i := range 20 {
		many = append(many, plaintiff{addr: common.BigToAddress(big.NewInt(int64(i + 1))), cases: 1, standing: 1})
	}
	if got, want := rate(&history{verdictsFor: 20, plaintiffs: many}).score, newcomerScore+maxVerdictBonus; math.Abs(got-want) > 1e-9 {
		t.Errorf("20 verdicts against 20 established clients: %v, want the cap %v", got, want)
	}
}
