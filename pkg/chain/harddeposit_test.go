package chain

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// The attacks of issue 10, item 1: an issuer that empties its checkbook at
// once with a cheque to itself or to a second address it controls, so that
// a creditor's cheque in flight bounces. A hard deposit is the
// beneficiary's alone: such cheques reach the liquid balance only.

// wantHard checks the hard deposit of beneficiary and the checkbook's
// total and liquid balance.
func (c *testChain) wantHard(cb *Checkbook, beneficiary common.Address, hard, total, liquid *big.Int) {
	c.t.Helper()
	h, err1 := cb.HardDeposit(nil, beneficiary)
	tot, err2 := cb.TotalHardDeposit(nil)
	liq, err3 := cb.LiquidBalance(nil)
	if err1 != nil || err2 != nil || err3 != nil {
		c.t.Fatal(err1, err2, err3)
	}
	if h.Cmp(hard) != 0 || tot.Cmp(total) != 0 || liq.Cmp(liquid) != 0 {
		c.t.Fatalf("hardDeposit = %s, total %s, liquid %s; want %s, %s, %s", h, tot, liq, hard, total, liquid)
	}
}

func TestSelfChequeCannotDrainHardDeposit(t *testing.T) {
	for _, tt := range []struct {
		name string
		to   func() common.Address
	}{
		{"cheque to the issuer itself", func() common.Address { return addrOf(issuerKey) }},
		{"cheque to a second address of the issuer", func() common.Address { return addrOf(carolKey) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestChain(t)
			bob, drain := addrOf(bobKey), tt.to()
			cbAddr, cb := c.checkbook(time.Hour, mft(1000))
			c.must(cb.IncreaseHardDeposit(c.auth(issuerKey), bob, mft(300)))
			c.wantHard(cb, bob, mft(300), mft(300), mft(700))
			inFlight := c.sign(issuerKey, cbAddr, bob, mft(300))

			// The issuer tries to empty the checkbook before Bob cashes:
			// it gets the liquid 700 and the rest of its cheque bounces.
			before := c.balance(drain)
			c.must(cb.CashCheque(c.auth(issuerKey), drain, mft(1000), c.sign(issuerKey, cbAddr, drain, mft(1000))))
			if got := new(big.Int).Sub(c.balance(drain), before); got.Cmp(mft(700)) != 0 {
				t.Fatalf("the drain took %s, want the liquid 700 MFT only", got)
			}
			c.wantBalance(cbAddr, mft(300))

			// Bob's cheque is still good in full.
			r := c.must(cb.CashCheque(c.auth(bobKey), bob, mft(300), inFlight))
			if b := bouncedEvents(t, cb, r); len(b) != 0 {
				t.Fatalf("Bob's covered cheque bounced: %+v", b)
			}
			c.wantBalance(bob, mft(300))
			c.wantHard(cb, bob, new(big.Int), new(big.Int), new(big.Int))
			if v, _ := cb.BouncedOf(nil, bob); v.Sign() != 0 {
				t.Fatalf("bouncedOf(bob) = %s, want 0", v)
			}
		})
	}
}

func TestWithdrawLeavesHardDeposits(t *testing.T) {
	c := newTestChain(t)
	bob := addrOf(bobKey)
	cbAddr, cb := c.checkbook(time.Hour, mft(1000))
	c.must(cb.IncreaseHardDeposit(c.auth(issuerKey), bob, mft(400)))
	c.must(cb.AnnounceWithdraw(c.auth(issuerKey), mft(1000)))
	adjustTime(t, c.sim, time.Hour+time.Minute)
	c.must(cb.Withdraw(c.auth(issuerKey)))
	c.wantBalance(addrOf(issuerKey), mft(600))
	c.wantBalance(cbAddr, mft(400))
	c.must(cb.CashCheque(c.auth(bobKey), bob, mft(400), c.sign(issuerKey, cbAddr, bob, mft(400))))
	c.wantBalance(bob, mft(400))
}

func TestHardDepositDecreaseWaitsNotice(t *testing.T) {
	c := newTestChain(t)
	bob := addrOf(bobKey)
	cbAddr, cb := c.checkbook(time.Hour, mft(1000))

	// Only the issuer sets hard deposits, and only from the liquid balance.
	tx, err := cb.IncreaseHardDeposit(c.auth(malloryKey), bob, mft(1))
	c.refused(tx, err, "Checkbook: caller is not the issuer")
	tx, err = cb.IncreaseHardDeposit(c.auth(issuerKey), bob, mft(1001))
	c.refused(tx, err, "Checkbook: hard deposit above the liquid balance")
	c.must(cb.IncreaseHardDeposit(c.auth(issuerKey), bob, mft(600)))
	tx, err = cb.IncreaseHardDeposit(c.auth(issuerKey), addrOf(carolKey), mft(401))
	c.refused(tx, err, "Checkbook: hard deposit above the liquid balance")

	tx, err = cb.AnnounceHardDepositDecrease(c.auth(malloryKey), bob, mft(1))
	c.refused(tx, err, "Checkbook: caller is not the issuer")
	tx, err = cb.AnnounceHardDepositDecrease(c.auth(issuerKey), bob, mft(601))
	c.refused(tx, err, "Checkbook: decrease above the hard deposit")
	tx, err = cb.DecreaseHardDeposit(c.auth(issuerKey), bob)
	c.refused(tx, err, "Checkbook: no decrease announced")

	c.must(cb.AnnounceHardDepositDecrease(c.auth(issuerKey), bob, mft(500)))
	tx, err = cb.DecreaseHardDeposit(c.auth(issuerKey), bob)
	c.refused(tx, err, "Checkbook: notice period not over")
	// Within the notice Bob cashes part; the announced decrease shrinks to
	// what is left.
	c.must(cb.CashCheque(c.auth(bobKey), bob, mft(200), c.sign(issuerKey, cbAddr, bob, mft(200))))
	c.wantHard(cb, bob, mft(400), mft(400), mft(400))
	if d, _ := cb.DecreaseAmount(nil, bob); d.Cmp(mft(400)) != 0 {
		t.Fatalf("decreaseAmount(bob) = %s, want 400 MFT", d)
	}
	adjustTime(t, c.sim, 30*time.Minute)
	tx, err = cb.DecreaseHardDeposit(c.auth(issuerKey), bob)
	c.refused(tx, err, "Checkbook: notice period not over")
	adjustTime(t, c.sim, 31*time.Minute)
	tx, err = cb.DecreaseHardDeposit(c.auth(malloryKey), bob)
	c.refused(tx, err, "Checkbook: caller is not the issuer")
	c.must(cb.DecreaseHardDeposit(c.auth(issuerKey), bob))
	c.wantHard(cb, bob, new(big.Int), new(big.Int), mft(800))
}

// TestFactoryDeploysForCallerOnly: Mallory cannot deploy a checkbook for
// the issuer (with a notice period of her choosing, into the issuer's
// history): whatever she deploys is hers.
func TestFactoryDeploysForCallerOnly(t *testing.T) {
	c := newTestChain(t)
	issuer, mallory := addrOf(issuerKey), addrOf(malloryKey)
	mine, _ := c.checkbook(time.Hour, mft(0))

	mf, err := NewFactory(c.factory.Address, c.b, c.auth(malloryKey))
	if err != nil {
		t.Fatal(err)
	}
	hers, cb, err := mf.DeployCheckbook(c.ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := cb.Issuer(nil); got != mallory {
		t.Fatalf("Mallory's deployment is issued by %s, want Mallory %s", got, mallory)
	}
	if got, _ := c.factory.CheckbookOf(nil, issuer); got != mine {
		t.Fatalf("checkbookOf(issuer) = %s, want its own %s", got, mine)
	}
	if got, _ := c.factory.CheckbookOf(nil, mallory); got != hers {
		t.Fatalf("checkbookOf(mallory) = %s, want %s", got, hers)
	}
	books, err := c.factory.CheckbooksOf(c.ctx, issuer)
	if err != nil || len(books) != 1 || books[0] != mine {
		t.Fatalf("CheckbooksOf(issuer) = %v, %v; want only its own %s", books, err, mine)
	}
}
