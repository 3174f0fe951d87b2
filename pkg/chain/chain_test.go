package chain

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/params"
)

// autoCommit mines a block after every transaction, as a development chain
// with instant sealing does, so the helpers' waits return at once.
type autoCommit struct {
	simulated.Client
	sim *simulated.Backend
}

func (a autoCommit) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	if err := a.Client.SendTransaction(ctx, tx); err != nil {
		return err
	}
	a.sim.Commit()
	return nil
}

// testKey derives a fixed key from a name, so failures are reproducible.
func testKey(name string) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("mf chain test " + name)))
	if err != nil {
		panic(err)
	}
	return k
}

var (
	deployerKey = testKey("deployer")
	issuerKey   = testKey("issuer")
	bobKey      = testKey("bob")
	carolKey    = testKey("carol")
	malloryKey  = testKey("mallory")
)

func addrOf(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

// mft is n whole tokens in base units.
func mft(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(params.Ether)) }

// testChain is a simulated chain with MFT and a factory deployed and ETH
// for gas in every test key's account.
type testChain struct {
	t         *testing.T
	ctx       context.Context
	sim       *simulated.Backend
	b         Backend
	chainID   *big.Int
	tokenAddr common.Address
	token     *MFT
	factory   *Factory
}

func newTestChain(t *testing.T) *testChain {
	t.Helper()
	alloc := types.GenesisAlloc{}
	eth := new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))
	for _, k := range []*ecdsa.PrivateKey{deployerKey, issuerKey, bobKey, carolKey, malloryKey} {
		alloc[addrOf(k)] = types.Account{Balance: eth}
	}
	sim := simulated.NewBackend(alloc)
	t.Cleanup(func() { sim.Close() })
	c := &testChain{t: t, ctx: context.Background(), sim: sim, b: autoCommit{sim.Client(), sim}}
	id, err := c.b.(autoCommit).ChainID(c.ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.chainID = id
	c.tokenAddr, c.token, err = DeployToken(c.ctx, c.b, c.auth(deployerKey))
	if err != nil {
		t.Fatal(err)
	}
	c.factory, err = DeployFactory(c.ctx, c.b, c.auth(deployerKey), c.tokenAddr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *testChain) auth(k *ecdsa.PrivateKey) *bind.TransactOpts {
	c.t.Helper()
	a, err := bind.NewKeyedTransactorWithChainID(k, c.chainID)
	if err != nil {
		c.t.Fatal(err)
	}
	return a
}

// must waits for a transaction sent without error and fails the test if it
// was not sent or reverted.
func (c *testChain) must(tx *types.Transaction, err error) *types.Receipt {
	c.t.Helper()
	if err != nil {
		c.t.Fatal(err)
	}
	r, err := Wait(c.ctx, c.b, tx)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// refused checks that sending failed, or was mined and reverted, with an
// error mentioning reason.
func (c *testChain) refused(tx *types.Transaction, err error, reason string) {
	c.t.Helper()
	if err == nil {
		_, err = Wait(c.ctx, c.b, tx)
		if err == nil {
			c.t.Fatalf("transaction succeeded, want it refused with %q", reason)
		}
		return // mined and reverted: the receipt has no reason to compare
	}
	if !strings.Contains(err.Error(), reason) {
		c.t.Fatalf("error %q, want one mentioning %q", err, reason)
	}
}

func (c *testChain) balance(a common.Address) *big.Int {
	c.t.Helper()
	v, err := c.token.BalanceOf(nil, a)
	if err != nil {
		c.t.Fatal(err)
	}
	return v
}

func (c *testChain) wantBalance(a common.Address, want *big.Int) {
	c.t.Helper()
	if got := c.balance(a); got.Cmp(want) != 0 {
		c.t.Fatalf("balance of %s = %s, want %s", a, got, want)
	}
}

// checkbook deploys a checkbook for issuerKey through the factory, sent by
// the issuer, and deposits fund into it.
func (c *testChain) checkbook(notice time.Duration, fund *big.Int) (common.Address, *Checkbook) {
	c.t.Helper()
	f, err := NewFactory(c.factory.Address, c.b, c.auth(issuerKey))
	if err != nil {
		c.t.Fatal(err)
	}
	addr, cb, err := f.DeployCheckbook(c.ctx, notice)
	if err != nil {
		c.t.Fatal(err)
	}
	if fund.Sign() > 0 {
		c.must(c.token.Mint(c.auth(deployerKey), addrOf(issuerKey), fund))
		c.must(c.token.Approve(c.auth(issuerKey), addr, fund))
		c.must(cb.Deposit(c.auth(issuerKey), fund))
	}
	return addr, cb
}

func (c *testChain) sign(k *ecdsa.PrivateKey, checkbook, beneficiary common.Address, cum *big.Int) []byte {
	c.t.Helper()
	sig, err := SignCheque(k, c.chainID, checkbook, beneficiary, cum)
	if err != nil {
		c.t.Fatal(err)
	}
	return sig
}

func cashedEvents(t *testing.T, cb *Checkbook, r *types.Receipt) []*CheckbookChequeCashed {
	t.Helper()
	var out []*CheckbookChequeCashed
	for _, l := range r.Logs {
		if ev, err := cb.ParseChequeCashed(*l); err == nil {
			out = append(out, ev)
		}
	}
	return out
}

func bouncedEvents(t *testing.T, cb *Checkbook, r *types.Receipt) []*CheckbookChequeBounced {
	t.Helper()
	var out []*CheckbookChequeBounced
	for _, l := range r.Logs {
		if ev, err := cb.ParseChequeBounced(*l); err == nil {
			out = append(out, ev)
		}
	}
	return out
}

func TestCashCheque(t *testing.T) {
	c := newTestChain(t)
	bob := addrOf(bobKey)
	cbAddr, cb := c.checkbook(time.Hour, mft(1000))
	c.wantBalance(cbAddr, mft(1000))

	// Carol submits Bob's cheque: anyone may, Bob is paid.
	sig := c.sign(issuerKey, cbAddr, bob, mft(300))
	r := c.must(cb.CashCheque(c.auth(carolKey), bob, mft(300), sig))
	c.wantBalance(bob, mft(300))
	c.wantBalance(cbAddr, mft(700))
	c.wantBalance(addrOf(carolKey), new(big.Int))

	evs := cashedEvents(t, cb, r)
	if len(evs) != 1 || evs[0].Beneficiary != bob || evs[0].CumulativePayout.Cmp(mft(300)) != 0 || evs[0].Paid.Cmp(mft(300)) != 0 {
		t.Fatalf("ChequeCashed events = %+v", evs)
	}
	if b := bouncedEvents(t, cb, r); len(b) != 0 {
		t.Fatalf("ChequeBounced on a covered cheque: %+v", b)
	}
	paid, err := cb.PaidOut(nil, bob)
	if err != nil || paid.Cmp(mft(300)) != 0 {
		t.Fatalf("paidOut(bob) = %v, %v", paid, err)
	}
	held, err := cb.Balance(nil)
	if err != nil || held.Cmp(mft(700)) != 0 {
		t.Fatalf("balance() = %v, %v", held, err)
	}
}

func TestCashSameChequeTwice(t *testing.T) {
	c := newTestChain(t)
	bob := addrOf(bobKey)
	cbAddr, cb := c.checkbook(time.Hour, mft(1000))
	sig := c.sign(issuerKey, cbAddr, bob, mft(300))
	c.must(cb.CashCheque(c.auth(bobKey), bob, mft(300), sig))
	c.wantBalance(bob, mft(300))

	// Refused when estimating gas...
	tx, err := cb.CashCheque(c.auth(bobKey), bob, mft(300), sig)
	c.refused(tx, err, "Checkbook: cheque already cashed")
	// ...and reverted when forced on chain.
	forced := c.auth(carolKey)
	forced.GasLimit = 200_000
	tx, err = cb.CashCheque(forced, bob, mft(300), sig)
	c.refused(tx, err, "Checkbook: cheque already cashed")
	if err == nil {
		if _, werr := Wait(c.ctx, c.b, tx); !errors.Is(werr, ErrReverted) {
			t.Fatalf("forced second cash: %v, want ErrReverted", werr)
		}
	}
	c.wantBalance(bob, mft(300))
	c.wantBalance(cbAddr, mft(700))

	// A lower cheque than what was paid is no better.
	low := c.sign(issuerKey, cbAddr, bob, mft(100))
	tx, err = cb.CashCheque(c.auth(bobKey), bob, mft(100), low)
	c.refused(tx, err, "Checkbook: cheque already cashed")
	c.wantBalance(bob, mft(300))
}

func TestCumulativeChequePaysDifference(t *testing.T) {
	c := newTestChain(t)
	bob := addrOf(bobKey)
	cbAddr, cb := c.checkbook(time.Hour, mft(1000))
	c.must(cb.CashCheque(c.auth(bobKey), bob, mft(300), c.sign(issuerKey, cbAddr, bob, mft(300))))
	r := c.must(cb.CashCheque(c.auth(bobKey), bob, mft(500), c.sign(issuerKey, cbAddr, bob, mft(500))))
	c.wantBalance(bob, mft(500))
	c.wantBalance(cbAddr, mft(500))
	evs := cashedEvents(t, cb, r)
	if len(evs) != 1 || evs[0].Paid.Cmp(mft(200)) != 0 || evs[0].CumulativePayout.Cmp(mft(500)) != 0 {
		t.Fatalf("ChequeCashed events = %+v, want one paying 200", evs)
	}
	total, err := cb.TotalPaidOut(nil)
	if err != nil || total.Cmp(mft(500)) != 0 {
		t.Fatalf("totalPaidOut = %v, %v", total, err)
	}
}

func TestForeignChequesRefused(t *testing.T) {
	c := newTestChain(t)
	bob, carol := addrOf(bobKey), addrOf(carolKey)
	cbAddr, cb := c.checkbook(time.Hour, mft(1000))
	otherAddr, _ := c.checkbook(time.Hour, mft(0)) // same issuer, another checkbook

	good := c.sign(issuerKey, cbAddr, bob, mft(100))
	highS := append([]byte(nil), good...)
	s := new(big.Int).SetBytes(highS[32:64])
	s.Sub(crypto.S256().Params().N, s).FillBytes(highS[32:64])
	highS[64] ^= 1 // 27 <-> 28: the same signer, in the malleable form

	tests := []struct {
		name        string
		beneficiary common.Address
		sig         []byte
	}{
		{"signed by another key", bob, c.sign(malloryKey, cbAddr, bob, mft(100))},
		{"signed by the beneficiary", bob, c.sign(bobKey, cbAddr, bob, mft(100))},
		{"for another beneficiary", carol, good},
		{"for another checkbook", bob, c.sign(issuerKey, otherAddr, bob, mft(100))},
		{"on another chain", bob, func() []byte {
			sig, err := SignCheque(issuerKey, big.NewInt(1), cbAddr, bob, mft(100))
			if err != nil {
				t.Fatal(err)
			}
			return sig
		}()},
		{"high s", bob, highS},
		{"v not 27 or 28", bob, append(append([]byte(nil), good[:64]...), good[64]-27)},
		{"short", bob, good[:64]},
		{"empty", bob, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := cb.CashCheque(c.auth(carolKey), tt.beneficiary, mft(100), tt.sig)
			c.refused(tx, err, "Checkbook: invalid cheque signature")
			// VerifyCheque agrees: an error or someone other than the issuer.
			if signer, err := VerifyCheque(c.chainID, cbAddr, tt.beneficiary, mft(100), tt.sig); err == nil && signer == addrOf(issuerKey) {
				t.Fatalf("VerifyCheque accepts what the contract refuses")
			}
		})
	}
	c.wantBalance(bob, new(big.Int))
	c.wantBalance(carol, new(big.Int))
	c.wantBalance(cbAddr, mft(1000))

	// And the good one still works.
	c.must(cb.CashCheque(c.auth(carolKey), bob, mft(100), good))
	c.wantBalance(bob, mft(100))
}

func TestUnderfundedChequeBounces(t *testing.T) {
	c := newTestChain(t)
	bob, carol := addrOf(bobKey), addrOf(carolKey)
	cbAddr, cb := c.checkbook(time.Hour, mft(100))

	sig := c.sign(issuerKey, cbAddr, bob, mft(250))
	r := c.must(cb.CashCheque(c.auth(bobKey), bob, mft(250), sig))
	c.wantBalance(bob, mft(100))
	c.wantBalance(cbAddr, new(big.Int))
	b := bouncedEvents(t, cb, r)
	if len(b) != 1 || b[0].Beneficiary != bob || b[0].CumulativePayout.Cmp(mft(250)) != 0 ||
		b[0].Paid.Cmp(mft(100)) != 0 || b[0].Bounced.Cmp(mft(150)) != 0 {
		t.Fatalf("ChequeBounced events = %+v", b)
	}
	if evs := cashedEvents(t, cb, r); len(evs) != 1 || evs[0].Paid.Cmp(mft(100)) != 0 {
		t.Fatalf("ChequeCashed events = %+v, want one paying 100", evs)
	}
	c.wantBounced(cb, true, 1, mft(150))
	if v, _ := cb.BouncedOf(nil, bob); v.Cmp(mft(150)) != 0 {
		t.Fatalf("bouncedOf(bob) = %v, want 150", v)
	}

	// Presenting it again to an empty checkbook changes nothing.
	tx, err := cb.CashCheque(c.auth(bobKey), bob, mft(250), sig)
	c.refused(tx, err, "Checkbook: nothing to pay")
	c.wantBounced(cb, true, 1, mft(150))

	// A new cheque to an empty checkbook bounces whole.
	r = c.must(cb.CashCheque(c.auth(carolKey), carol, mft(40), c.sign(issuerKey, cbAddr, carol, mft(40))))
	if b := bouncedEvents(t, cb, r); len(b) != 1 || b[0].Paid.Sign() != 0 || b[0].Bounced.Cmp(mft(40)) != 0 {
		t.Fatalf("ChequeBounced events = %+v", b)
	}
	if evs := cashedEvents(t, cb, r); len(evs) != 0 {
		t.Fatalf("ChequeCashed for a cheque that paid nothing: %+v", evs)
	}
	c.wantBounced(cb, true, 2, mft(190))

	// After a refill the same cheque pays the rest; the flag stays.
	c.must(c.token.Mint(c.auth(deployerKey), cbAddr, mft(500)))
	r = c.must(cb.CashCheque(c.auth(bobKey), bob, mft(250), sig))
	if evs := cashedEvents(t, cb, r); len(evs) != 1 || evs[0].Paid.Cmp(mft(150)) != 0 {
		t.Fatalf("ChequeCashed events = %+v, want one paying 150", evs)
	}
	c.wantBalance(bob, mft(250))
	c.wantBounced(cb, true, 2, mft(40))
	tx, err = cb.CashCheque(c.auth(bobKey), bob, mft(250), sig)
	c.refused(tx, err, "Checkbook: cheque already cashed")
}

func (c *testChain) wantBounced(cb *Checkbook, flag bool, count int64, total *big.Int) {
	c.t.Helper()
	f, err1 := cb.Bounced(nil)
	n, err2 := cb.BounceCount(nil)
	tot, err3 := cb.TotalBounced(nil)
	if err := errors.Join(err1, err2, err3); err != nil {
		c.t.Fatal(err)
	}
	if f != flag || n.Int64() != count || tot.Cmp(total) != 0 {
		c.t.Fatalf("bounced = %v, bounceCount = %v, totalBounced = %v; want %v, %d, %v", f, n, tot, flag, count, total)
	}
}

func TestWithdrawAfterNotice(t *testing.T) {
	c := newTestChain(t)
	issuer := addrOf(issuerKey)
	cbAddr, cb := c.checkbook(time.Hour, mft(1000))

	tx, err := cb.Withdraw(c.auth(issuerKey))
	c.refused(tx, err, "Checkbook: no withdrawal announced")
	tx, err = cb.AnnounceWithdraw(c.auth(malloryKey), mft(400))
	c.refused(tx, err, "Checkbook: caller is not the issuer")

	c.must(cb.AnnounceWithdraw(c.auth(issuerKey), mft(400)))
	tx, err = cb.Withdraw(c.auth(issuerKey))
	c.refused(tx, err, "Checkbook: notice period not over")

	// Cheques in flight stay good during the notice period.
	bob := addrOf(bobKey)
	c.must(cb.CashCheque(c.auth(bobKey), bob, mft(100), c.sign(issuerKey, cbAddr, bob, mft(100))))

	adjustTime(t, c.sim, 30*time.Minute)
	tx, err = cb.Withdraw(c.auth(issuerKey))
	c.refused(tx, err, "Checkbook: notice period not over")

	adjustTime(t, c.sim, 31*time.Minute)
	tx, err = cb.Withdraw(c.auth(malloryKey))
	c.refused(tx, err, "Checkbook: caller is not the issuer")
	c.must(cb.Withdraw(c.auth(issuerKey)))
	c.wantBalance(issuer, mft(400))
	c.wantBalance(cbAddr, mft(500))

	// The announcement is used up.
	tx, err = cb.Withdraw(c.auth(issuerKey))
	c.refused(tx, err, "Checkbook: no withdrawal announced")
}

func TestFactoryRecordsGenuineCheckbooks(t *testing.T) {
	c := newTestChain(t)
	issuer := addrOf(issuerKey)
	cbAddr, cb := c.checkbook(2*time.Hour, mft(0))

	ok, err := c.factory.Genuine(c.ctx, cbAddr)
	if err != nil || !ok {
		t.Fatalf("Genuine(factory checkbook) = %v, %v", ok, err)
	}
	if got, err := c.factory.CheckbookOf(nil, issuer); err != nil || got != cbAddr {
		t.Fatalf("checkbookOf(issuer) = %s, %v; want %s", got, err, cbAddr)
	}
	if got, _ := cb.Issuer(nil); got != issuer {
		t.Fatalf("issuer() = %s, want %s", got, issuer)
	}
	if got, _ := cb.NoticePeriod(nil); got.Int64() != 7200 {
		t.Fatalf("noticePeriod() = %v, want 7200", got)
	}
	if got, _ := cb.Token(nil); got != c.tokenAddr {
		t.Fatalf("token() = %s, want %s", got, c.tokenAddr)
	}

	// The same code deployed by hand is not genuine.
	_, tx, _, err := DeployCheckbook(c.auth(malloryKey), c.b, c.tokenAddr, issuer, big.NewInt(0))
	if err != nil {
		t.Fatal(err)
	}
	fake, err := bind.WaitDeployed(c.ctx, c.b, tx)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c.factory.Genuine(c.ctx, fake); err != nil || ok {
		t.Fatalf("Genuine(hand-deployed checkbook) = %v, %v", ok, err)
	}

	// A read-only factory cannot send.
	ro, err := NewFactory(c.factory.Address, c.b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ro.DeployCheckbook(c.ctx, time.Hour); err == nil {
		t.Fatal("read-only factory deployed a checkbook")
	}
	if _, _, err := c.factory.DeployCheckbook(c.ctx, -time.Second); err == nil {
		t.Fatal("negative notice period accepted")
	}
}

func TestOnlyMinterMints(t *testing.T) {
	c := newTestChain(t)
	tx, err := c.token.Mint(c.auth(malloryKey), addrOf(malloryKey), mft(1))
	c.refused(tx, err, "MFT: caller is not the minter")
	c.must(c.token.Mint(c.auth(deployerKey), addrOf(bobKey), mft(7)))
	c.wantBalance(addrOf(bobKey), mft(7))
	name, _ := c.token.Name(nil)
	sym, _ := c.token.Symbol(nil)
	dec, _ := c.token.Decimals(nil)
	minter, _ := c.token.Minter(nil)
	if name != "Mainframe Token" || sym != "MFT" || dec != 18 || minter != addrOf(deployerKey) {
		t.Fatalf("token is %q %q %d minted by %s", name, sym, dec, minter)
	}
}

// adjustTime moves the simulated chain's clock; the backend refuses while
// its pool still lists a transaction just mined (it catches up with the
// new head asynchronously), so it retries briefly.
func adjustTime(t *testing.T, sim interface{ AdjustTime(time.Duration) error }, d time.Duration) {
	t.Helper()
	var err error
	for range 200 {
		if err = sim.AdjustTime(d); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal(err)
}
