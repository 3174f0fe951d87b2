package chain

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
)

// The parties of the court tests: bob provides, carol is his client,
// mallory is nobody in particular, w1..w3 are witnesses.
var (
	providerKey = bobKey
	clientKey   = carolKey
	witnessKeys = []*ecdsa.PrivateKey{testKey("witness 1"), testKey("witness 2"), testKey("witness 3")}
)

var testCourtConfig = CourtConfig{ResponseWindow: time.Hour, TestimonyWindow: 2 * time.Hour}

// courtChain is a testChain with a StakeRegistry and its Court deployed by
// the deployer, 1000 MFT for the provider and ETH for the witnesses' gas.
type courtChain struct {
	*testChain
	regAddr   common.Address
	reg       *StakeRegistry
	courtAddr common.Address
	court     *Court
}

func newCourtChain(t *testing.T) *courtChain {
	t.Helper()
	c := &courtChain{testChain: newTestChain(t)}
	var err error
	c.regAddr, c.reg, err = DeployRegistry(c.ctx, c.b, c.auth(deployerKey), c.tokenAddr)
	if err != nil {
		t.Fatal(err)
	}
	c.courtAddr, c.court, err = DeployCourtFor(c.ctx, c.b, c.auth(deployerKey), c.regAddr, testCourtConfig)
	if err != nil {
		t.Fatal(err)
	}
	c.must(c.token.Mint(c.auth(deployerKey), addrOf(providerKey), mft(1000)))
	for _, w := range witnessKeys {
		c.sendETH(deployerKey, addrOf(w), big.NewInt(params.Ether))
	}
	return c
}

func (c *courtChain) sendETH(from *ecdsa.PrivateKey, to common.Address, amount *big.Int) {
	c.t.Helper()
	nonce, err := c.b.PendingNonceAt(c.ctx, addrOf(from))
	if err != nil {
		c.t.Fatal(err)
	}
	tip, err := c.b.SuggestGasTipCap(c.ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	head, err := c.b.HeaderByNumber(c.ctx, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	fee := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	tx, err := types.SignNewTx(from, types.LatestSignerForChainID(c.chainID), &types.DynamicFeeTx{
		ChainID: c.chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: fee, Gas: 21000, To: &to, Value: amount,
	})
	if err != nil {
		c.t.Fatal(err)
	}
	c.must(tx, c.b.SendTransaction(c.ctx, tx))
}

// now is the latest block's time.
func (c *courtChain) now() time.Time {
	c.t.Helper()
	h, err := c.b.HeaderByNumber(c.ctx, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return time.Unix(int64(h.Time), 0)
}

// advance mines an empty block d after the latest one. The simulated
// backend refuses while its pool still lists a transaction autoCommit has
// mined (the pool catches up with the new head asynchronously), so it
// retries briefly.
func (c *courtChain) advance(d time.Duration) {
	c.t.Helper()
	var err error
	for range 200 {
		if err = c.sim.AdjustTime(d); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatal(err)
}

// stake has the provider stake amount for the client until term from now.
func (c *courtChain) stake(amount *big.Int, term time.Duration) *big.Int {
	c.t.Helper()
	svc, err := ServiceID("hold")
	if err != nil {
		c.t.Fatal(err)
	}
	id, err := Stake(c.ctx, c.b, c.auth(providerKey), c.regAddr, svc, addrOf(clientKey), amount, c.now().Add(term))
	if err != nil {
		c.t.Fatal(err)
	}
	return id
}

// promise is what a provider promises in the tests: data under a key.
type promise struct {
	key, hash [32]byte
	data      []byte
	sig       []byte
}

func (c *courtChain) promise(signer *ecdsa.PrivateKey, agreement *big.Int) promise {
	c.t.Helper()
	p := promise{data: []byte("the chunk the provider holds for agreement " + agreement.String())}
	p.hash = crypto.Keccak256Hash(p.data)
	p.key = crypto.Keccak256Hash([]byte("key"), p.data)
	var err error
	p.sig, err = SignPromise(signer, c.chainID, c.courtAddr, agreement, p.key, p.hash)
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

func (c *courtChain) openPromise(agreement *big.Int) (*big.Int, promise) {
	c.t.Helper()
	p := c.promise(providerKey, agreement)
	id, err := OpenPromiseCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, agreement, p.key, p.hash, p.sig)
	if err != nil {
		c.t.Fatal(err)
	}
	return id, p
}

func panelOf(keys []*ecdsa.PrivateKey) []common.Address {
	out := make([]common.Address, len(keys))
	for i, k := range keys {
		out[i] = addrOf(k)
	}
	return out
}

func (c *courtChain) openWitness(agreement *big.Int) *big.Int {
	c.t.Helper()
	panel := panelOf(witnessKeys)
	sig, err := SignPanel(providerKey, c.chainID, c.courtAddr, agreement, panel)
	if err != nil {
		c.t.Fatal(err)
	}
	id, err := OpenWitnessCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, agreement, panel, sig)
	if err != nil {
		c.t.Fatal(err)
	}
	return id
}

type agreementState struct {
	status   AgreementStatus
	caseOpen bool
}

func (c *courtChain) agreement(id *big.Int) agreementState {
	c.t.Helper()
	a, err := c.reg.Agreements(nil, id)
	if err != nil {
		c.t.Fatal(err)
	}
	return agreementState{AgreementStatus(a.Status), a.CaseOpen}
}

func (c *courtChain) wantAgreement(id *big.Int, status AgreementStatus, caseOpen bool) {
	c.t.Helper()
	if got := c.agreement(id); got != (agreementState{status, caseOpen}) {
		c.t.Fatalf("agreement %s is %v (case open %v), want %v (case open %v)", id, got.status, got.caseOpen, status, caseOpen)
	}
}

type caseState struct {
	status             CaseStatus
	guilty, notGuilty  uint8
	against, forRecord int64 // the provider's verdicts against and for
}

func (c *courtChain) caseOf(id *big.Int) caseState {
	c.t.Helper()
	cs, err := c.court.Cases(nil, id)
	if err != nil {
		c.t.Fatal(err)
	}
	against, err1 := c.court.VerdictsAgainst(nil, addrOf(providerKey))
	fr, err2 := c.court.VerdictsFor(nil, addrOf(providerKey))
	if err := errors.Join(err1, err2); err != nil {
		c.t.Fatal(err)
	}
	return caseState{CaseStatus(cs.Status), cs.GuiltyVotes, cs.NotGuiltyVotes, against.Int64(), fr.Int64()}
}

func (c *courtChain) wantCase(id *big.Int, want caseState) {
	c.t.Helper()
	if got := c.caseOf(id); got != want {
		c.t.Fatalf("case %s is %+v, want %+v", id, got, want)
	}
}

func verdictsIn(t *testing.T, court *Court, r *types.Receipt) []*CourtVerdict {
	t.Helper()
	var out []*CourtVerdict
	for _, l := range r.Logs {
		if ev, err := court.ParseVerdict(*l); err == nil {
			out = append(out, ev)
		}
	}
	return out
}

func (c *courtChain) wantVerdict(r *types.Receipt, caseID, agreement *big.Int, guilty bool) {
	c.t.Helper()
	vs := verdictsIn(c.t, c.court, r)
	if len(vs) != 1 {
		c.t.Fatalf("%d Verdict events, want 1", len(vs))
	}
	v := vs[0]
	if v.CaseId.Cmp(caseID) != 0 || v.AgreementId.Cmp(agreement) != 0 || v.Provider != addrOf(providerKey) ||
		v.Plaintiff != addrOf(clientKey) || v.Guilty != guilty {
		c.t.Fatalf("Verdict = case %s agreement %s provider %s plaintiff %s guilty %v; want case %s agreement %s guilty %v",
			v.CaseId, v.AgreementId, v.Provider, v.Plaintiff, v.Guilty, caseID, agreement, guilty)
	}
}

func TestStakeAndUnstake(t *testing.T) {
	c := newCourtChain(t)
	provider := addrOf(providerKey)
	term := c.now().Add(24 * time.Hour)
	svc, _ := ServiceID("store")
	id, err := Stake(c.ctx, c.b, c.auth(providerKey), c.regAddr, svc, addrOf(clientKey), mft(100), term)
	if err != nil {
		t.Fatal(err)
	}
	if id.Int64() != 1 {
		t.Fatalf("first agreement id = %s, want 1", id)
	}
	c.wantBalance(provider, mft(900))
	c.wantBalance(c.regAddr, mft(100))
	a, err := c.reg.Agreements(nil, id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Provider != provider || a.Client != addrOf(clientKey) || ServiceName(a.Service) != "store" ||
		a.Amount.Cmp(mft(100)) != 0 || a.Term != uint64(term.Unix()) || AgreementStatus(a.Status) != AgreementStaked || a.CaseOpen {
		t.Fatalf("agreements(1) = %+v", a)
	}

	tx, err := c.reg.Unstake(c.auth(providerKey), id)
	c.refused(tx, err, "StakeRegistry: term not over")
	c.advance(25 * time.Hour)
	tx, err = c.reg.Unstake(c.auth(malloryKey), id)
	c.refused(tx, err, "StakeRegistry: caller is not the provider")
	r := c.must(c.reg.Unstake(c.auth(providerKey), id))
	c.wantBalance(provider, mft(1000))
	c.wantBalance(c.regAddr, new(big.Int))
	c.wantAgreement(id, AgreementUnstaked, false)
	var seen bool
	for _, l := range r.Logs {
		if ev, err := c.reg.ParseUnstaked(*l); err == nil {
			seen = ev.Id.Cmp(id) == 0 && ev.Provider == provider && ev.Amount.Cmp(mft(100)) == 0
		}
	}
	if !seen {
		t.Fatal("no Unstaked event for the agreement")
	}
	tx, err = c.reg.Unstake(c.auth(providerKey), id)
	c.refused(tx, err, "StakeRegistry: not staked")
	tx, err = c.reg.Unstake(c.auth(providerKey), big.NewInt(99))
	c.refused(tx, err, "StakeRegistry: unknown agreement")
}

// A provider that answers a promise case in time is not guilty, keeps its
// stake, and unstakes after the term.
func TestPromiseAnsweredInTime(t *testing.T) {
	c := newCourtChain(t)
	provider, client := addrOf(providerKey), addrOf(clientKey)
	ag := c.stake(mft(100), 24*time.Hour)
	caseID, p := c.openPromise(ag)

	cs, err := c.court.Cases(nil, caseID)
	if err != nil {
		t.Fatal(err)
	}
	if cs.AgreementId.Cmp(ag) != 0 || cs.Plaintiff != client || cs.Provider != provider || CaseKind(cs.Kind) != PromiseCase ||
		cs.Key != p.key || cs.Hash != p.hash || cs.Deadline != uint64(c.now().Add(time.Hour).Unix()) {
		t.Fatalf("cases(%s) = %+v", caseID, cs)
	}
	c.wantCase(caseID, caseState{status: CaseOpen})
	c.wantAgreement(ag, AgreementStaked, true)
	if latest, _ := c.court.LatestCase(nil, ag); latest.Cmp(caseID) != 0 {
		t.Fatalf("latestCase(%s) = %s, want %s", ag, latest, caseID)
	}

	// Unstaking with a case open is refused.
	tx, err := c.reg.Unstake(c.auth(providerKey), ag)
	c.refused(tx, err, "StakeRegistry: open case")
	// Judging before the deadline is refused.
	tx, err = c.court.Judge(c.auth(malloryKey), caseID)
	c.refused(tx, err, "Court: deadline not passed")
	// Wrong data is no answer.
	tx, err = c.court.Respond(c.auth(providerKey), caseID, []byte("something else"))
	c.refused(tx, err, "Court: data does not match the promise")
	c.wantCase(caseID, caseState{status: CaseOpen})

	r := c.must(c.court.Respond(c.auth(providerKey), caseID, p.data))
	c.wantVerdict(r, caseID, ag, false)
	c.wantCase(caseID, caseState{status: CaseNotGuilty, forRecord: 1})
	c.wantAgreement(ag, AgreementStaked, false)
	c.wantBalance(c.regAddr, mft(100))
	c.wantBalance(client, new(big.Int))

	// Closed is closed.
	tx, err = c.court.Respond(c.auth(providerKey), caseID, p.data)
	c.refused(tx, err, "Court: case closed")
	c.advance(2 * time.Hour)
	tx, err = c.court.Judge(c.auth(malloryKey), caseID)
	c.refused(tx, err, "Court: case closed")

	tx, err = c.reg.Unstake(c.auth(providerKey), ag)
	c.refused(tx, err, "StakeRegistry: term not over")
	c.advance(23 * time.Hour)
	c.must(c.reg.Unstake(c.auth(providerKey), ag))
	c.wantBalance(provider, mft(1000))
	c.wantAgreement(ag, AgreementUnstaked, false)
}

// A provider that does not answer is guilty once the deadline has passed,
// even past the term, and the plaintiff receives exactly the stake.
func TestPromiseNotAnswered(t *testing.T) {
	c := newCourtChain(t)
	client := addrOf(clientKey)
	c.must(c.token.Mint(c.auth(deployerKey), client, mft(5)))
	// The term ends before the response window does: the open case still
	// holds the stake.
	ag := c.stake(mft(250), 30*time.Minute)
	caseID, p := c.openPromise(ag)

	c.advance(40 * time.Minute)
	tx, err := c.reg.Unstake(c.auth(providerKey), ag)
	c.refused(tx, err, "StakeRegistry: open case")
	tx, err = c.court.Judge(c.auth(malloryKey), caseID)
	c.refused(tx, err, "Court: deadline not passed")

	c.advance(25 * time.Minute)
	tx, err = c.court.Respond(c.auth(providerKey), caseID, p.data)
	c.refused(tx, err, "Court: deadline passed")

	before := c.balance(client)
	r := c.must(c.court.Judge(c.auth(malloryKey), caseID)) // anyone may
	c.wantVerdict(r, caseID, ag, true)
	after := c.balance(client)
	if gain := new(big.Int).Sub(after, before); gain.Cmp(mft(250)) != 0 {
		t.Fatalf("plaintiff's balance rose by %s, want exactly the stake %s", gain, mft(250))
	}
	c.wantBalance(client, mft(255))
	c.wantBalance(c.regAddr, new(big.Int))
	c.wantBalance(addrOf(providerKey), mft(750))
	c.wantCase(caseID, caseState{status: CaseGuilty, against: 1})
	c.wantAgreement(ag, AgreementSlashed, false)
	var slashed bool
	for _, l := range r.Logs {
		if ev, err := c.reg.ParseSlashed(*l); err == nil {
			slashed = ev.Id.Cmp(ag) == 0 && ev.To == client && ev.Amount.Cmp(mft(250)) == 0
		}
	}
	if !slashed {
		t.Fatal("no Slashed event paying the plaintiff")
	}

	// Nothing is left to unstake, judge again or sue over.
	tx, err = c.reg.Unstake(c.auth(providerKey), ag)
	c.refused(tx, err, "StakeRegistry: not staked")
	tx, err = c.court.Judge(c.auth(malloryKey), caseID)
	c.refused(tx, err, "Court: case closed")
	p2 := c.promise(providerKey, ag)
	tx, err = c.court.OpenPromiseCase(c.auth(clientKey), ag, p2.key, p2.hash, p2.sig)
	c.refused(tx, err, "Court: agreement not active")
}

func TestWitnessMajority(t *testing.T) {
	tests := []struct {
		name   string
		votes  []bool // in witness order; the last one decides
		guilty bool
	}{
		{"two guilty", []bool{true, true}, true},
		{"two not guilty", []bool{false, true, false}, false},
		{"guilty after a dissent", []bool{false, true, true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCourtChain(t)
			client := addrOf(clientKey)
			ag := c.stake(mft(100), 24*time.Hour)
			caseID := c.openWitness(ag)
			got, err := c.court.Witnesses(nil, caseID)
			if err != nil || len(got) != 3 || got[0] != addrOf(witnessKeys[0]) || got[2] != addrOf(witnessKeys[2]) {
				t.Fatalf("witnesses(%s) = %v, %v", caseID, got, err)
			}
			var r *types.Receipt
			var g, ng uint8
			for i, guilty := range tt.votes {
				if i > 0 {
					// Not decided yet.
					c.wantCase(caseID, caseState{status: CaseOpen, guilty: g, notGuilty: ng})
					c.wantAgreement(ag, AgreementStaked, true)
				}
				w := witnessKeys[i]
				if i%2 == 0 {
					r = c.must(c.court.Testify(c.auth(w), caseID, guilty))
				} else {
					// Relayed by a stranger with the witness's signature.
					sig, err := SignTestimony(w, c.chainID, c.courtAddr, caseID, guilty)
					if err != nil {
						t.Fatal(err)
					}
					r = c.must(c.court.TestifySigned(c.auth(malloryKey), caseID, guilty, sig))
				}
				if guilty {
					g++
				} else {
					ng++
				}
				want := TestimonyNotGuilty
				if guilty {
					want = TestimonyGuilty
				}
				if got, _ := c.court.TestimonyOf(nil, caseID, addrOf(w)); Testimony(got) != want {
					t.Fatalf("testimonyOf(witness %d) = %d, want %d", i+1, got, want)
				}
			}
			c.wantVerdict(r, caseID, ag, tt.guilty)
			if tt.guilty {
				c.wantCase(caseID, caseState{status: CaseGuilty, guilty: g, notGuilty: ng, against: 1})
				c.wantAgreement(ag, AgreementSlashed, false)
				c.wantBalance(client, mft(100))
			} else {
				c.wantCase(caseID, caseState{status: CaseNotGuilty, guilty: g, notGuilty: ng, forRecord: 1})
				c.wantAgreement(ag, AgreementStaked, false)
				c.wantBalance(client, new(big.Int))
				c.wantBalance(c.regAddr, mft(100))
			}
			// A witness left over cannot change a final verdict.
			if len(tt.votes) < 3 {
				tx, err := c.court.Testify(c.auth(witnessKeys[2]), caseID, !tt.guilty)
				c.refused(tx, err, "Court: case closed")
			}
		})
	}
}

func TestWitnessCaseWithoutMajorityDismissed(t *testing.T) {
	c := newCourtChain(t)
	ag := c.stake(mft(100), 24*time.Hour)
	caseID := c.openWitness(ag)
	c.must(c.court.Testify(c.auth(witnessKeys[0]), caseID, true))
	tx, err := c.court.Judge(c.auth(malloryKey), caseID)
	c.refused(tx, err, "Court: deadline not passed")
	c.advance(2*time.Hour + time.Second)
	tx, err = c.court.Testify(c.auth(witnessKeys[1]), caseID, true)
	c.refused(tx, err, "Court: deadline passed")
	r := c.must(c.court.Judge(c.auth(malloryKey), caseID))
	if vs := verdictsIn(t, c.court, r); len(vs) != 0 {
		t.Fatalf("dismissal emitted verdicts %+v", vs)
	}
	var dismissed bool
	for _, l := range r.Logs {
		if ev, err := c.court.ParseDismissed(*l); err == nil {
			dismissed = ev.CaseId.Cmp(caseID) == 0 && ev.AgreementId.Cmp(ag) == 0
		}
	}
	if !dismissed {
		t.Fatal("no Dismissed event")
	}
	c.wantCase(caseID, caseState{status: CaseDismissed, guilty: 1})
	c.wantAgreement(ag, AgreementStaked, false)
	c.wantBalance(c.regAddr, mft(100))
	// The agreement is open to a new case.
	c.openPromise(ag)
}

func TestBadTestimonyRefused(t *testing.T) {
	c := newCourtChain(t)
	ag := c.stake(mft(100), 24*time.Hour)
	caseID := c.openWitness(ag)
	c.must(c.court.Testify(c.auth(witnessKeys[0]), caseID, true))
	want := caseState{status: CaseOpen, guilty: 1}

	malSig, err := SignTestimony(malloryKey, c.chainID, c.courtAddr, caseID, true)
	if err != nil {
		t.Fatal(err)
	}
	w2Sig, err := SignTestimony(witnessKeys[1], c.chainID, c.courtAddr, caseID, true)
	if err != nil {
		t.Fatal(err)
	}
	otherCase, err := SignTestimony(witnessKeys[1], c.chainID, c.courtAddr, big.NewInt(99), true)
	if err != nil {
		t.Fatal(err)
	}
	promiseAg := c.stake(mft(10), 24*time.Hour)
	promiseCase, _ := c.openPromise(promiseAg)

	tests := []struct {
		name   string
		send   func() (*types.Transaction, error)
		reason string
	}{
		{"a stranger", func() (*types.Transaction, error) { return c.court.Testify(c.auth(malloryKey), caseID, true) }, "Court: not a witness"},
		{"the plaintiff", func() (*types.Transaction, error) { return c.court.Testify(c.auth(clientKey), caseID, true) }, "Court: not a witness"},
		{"the provider", func() (*types.Transaction, error) { return c.court.Testify(c.auth(providerKey), caseID, false) }, "Court: not a witness"},
		{"a stranger's signature", func() (*types.Transaction, error) {
			return c.court.TestifySigned(c.auth(malloryKey), caseID, true, malSig)
		}, "Court: not a witness"},
		{"a witness's signature with the vote flipped", func() (*types.Transaction, error) {
			return c.court.TestifySigned(c.auth(malloryKey), caseID, false, w2Sig)
		}, "Court: not a witness"},
		{"a witness's signature for another case", func() (*types.Transaction, error) {
			return c.court.TestifySigned(c.auth(malloryKey), caseID, true, otherCase)
		}, "Court: not a witness"},
		{"a malformed signature", func() (*types.Transaction, error) {
			return c.court.TestifySigned(c.auth(malloryKey), caseID, true, w2Sig[:64])
		}, "Court: invalid testimony signature"},
		{"a second testimony", func() (*types.Transaction, error) {
			return c.court.Testify(c.auth(witnessKeys[0]), caseID, false)
		}, "Court: already testified"},
		{"in a promise case", func() (*types.Transaction, error) {
			return c.court.Testify(c.auth(witnessKeys[1]), promiseCase, true)
		}, "Court: not a witness case"},
		{"in an unknown case", func() (*types.Transaction, error) {
			return c.court.Testify(c.auth(witnessKeys[1]), big.NewInt(99), true)
		}, "Court: unknown case"},
		{"a response in a witness case", func() (*types.Transaction, error) {
			return c.court.Respond(c.auth(providerKey), caseID, []byte("x"))
		}, "Court: not a promise case"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := tt.send()
			c.refused(tx, err, tt.reason)
			c.wantCase(caseID, want)
			for i, w := range witnessKeys {
				got, _ := c.court.TestimonyOf(nil, caseID, addrOf(w))
				if wantT := map[bool]Testimony{true: TestimonyGuilty, false: TestimonyCalled}[i == 0]; Testimony(got) != wantT {
					t.Fatalf("testimonyOf(witness %d) = %d, want %d", i+1, got, wantT)
				}
			}
			if got, _ := c.court.TestimonyOf(nil, caseID, addrOf(malloryKey)); Testimony(got) != TestimonyNone {
				t.Fatalf("testimonyOf(mallory) = %d", got)
			}
		})
	}
	c.wantAgreement(ag, AgreementStaked, true)

	// The relayed signature of a real witness still counts.
	c.must(c.court.TestifySigned(c.auth(malloryKey), caseID, true, w2Sig))
	c.wantCase(caseID, caseState{status: CaseGuilty, guilty: 2, against: 1})
}

func TestOpenCaseRefused(t *testing.T) {
	c := newCourtChain(t)
	expired := c.stake(mft(10), time.Hour)
	c.advance(2 * time.Hour)
	active := c.stake(mft(10), 24*time.Hour)
	busy := c.stake(mft(10), 24*time.Hour)
	busyCase, _ := c.openPromise(busy)
	unknown := big.NewInt(99)

	panel := panelOf(witnessKeys)
	signPanel := func(k *ecdsa.PrivateKey, ag *big.Int, panel []common.Address) []byte {
		sig, err := SignPanel(k, c.chainID, c.courtAddr, ag, panel)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	good := c.promise(providerKey, active)
	otherChain, err := SignPromise(providerKey, big.NewInt(1), c.courtAddr, active, good.key, good.hash)
	if err != nil {
		t.Fatal(err)
	}
	otherCourt, err := SignPromise(providerKey, c.chainID, c.regAddr, active, good.key, good.hash)
	if err != nil {
		t.Fatal(err)
	}
	openPromise := func(k *ecdsa.PrivateKey, ag *big.Int, p promise) func() (*types.Transaction, error) {
		return func() (*types.Transaction, error) {
			return c.court.OpenPromiseCase(c.auth(k), ag, p.key, p.hash, p.sig)
		}
	}
	openWitness := func(ag *big.Int, panel []common.Address, sig []byte) func() (*types.Transaction, error) {
		return func() (*types.Transaction, error) {
			return c.court.OpenWitnessCase(c.auth(clientKey), ag, panel, sig)
		}
	}
	withSig := func(p promise, sig []byte) promise { p.sig = sig; return p }
	withHash := func(p promise, h [32]byte) promise { p.hash = h; return p }
	five := append(append([]common.Address(nil), panel...), addrOf(testKey("witness 4")), addrOf(testKey("witness 5")))
	nine := append(append([]common.Address(nil), five...), addrOf(testKey("w6")), addrOf(testKey("w7")), addrOf(testKey("w8")), addrOf(testKey("w9")))
	dup := []common.Address{panel[0], panel[1], panel[0]}
	withClient := []common.Address{panel[0], panel[1], addrOf(clientKey)}
	withProvider := []common.Address{panel[0], addrOf(providerKey), panel[2]}
	withZero := []common.Address{panel[0], {}, panel[2]}

	tests := []struct {
		name   string
		send   func() (*types.Transaction, error)
		reason string
	}{
		{"unknown agreement", openPromise(clientKey, unknown, c.promise(providerKey, unknown)), "Court: unknown agreement"},
		{"expired agreement", openPromise(clientKey, expired, c.promise(providerKey, expired)), "Court: agreement expired"},
		{"second case while one is open", openPromise(clientKey, busy, c.promise(providerKey, busy)), "Court: case open"},
		{"second witness case while one is open", openWitness(busy, panel, signPanel(providerKey, busy, panel)), "Court: case open"},
		{"not the client", openPromise(malloryKey, active, good), "Court: caller is not the client"},
		{"the provider", openPromise(providerKey, active, good), "Court: caller is not the client"},
		{"promise signed by another key", openPromise(clientKey, active, c.promise(malloryKey, active)), "Court: invalid promise signature"},
		{"promise signed by the client", openPromise(clientKey, active, c.promise(clientKey, active)), "Court: invalid promise signature"},
		{"promise for another agreement", openPromise(clientKey, active, withSig(good, c.promise(providerKey, busy).sig)), "Court: invalid promise signature"},
		{"promise with another hash", openPromise(clientKey, active, withHash(good, crypto.Keccak256Hash([]byte("x")))), "Court: invalid promise signature"},
		{"promise on another chain", openPromise(clientKey, active, withSig(good, otherChain)), "Court: invalid promise signature"},
		{"promise to another contract", openPromise(clientKey, active, withSig(good, otherCourt)), "Court: invalid promise signature"},
		{"promise signature truncated", openPromise(clientKey, active, withSig(good, good.sig[:64])), "Court: invalid promise signature"},
		{"promise signature empty", openPromise(clientKey, active, withSig(good, nil)), "Court: invalid promise signature"},
		{"panel not signed by the provider", openWitness(active, panel, signPanel(clientKey, active, panel)), "Court: invalid panel signature"},
		{"panel signed for another agreement", openWitness(active, panel, signPanel(providerKey, busy, panel)), "Court: invalid panel signature"},
		{"panel reordered", openWitness(active, []common.Address{panel[1], panel[0], panel[2]}, signPanel(providerKey, active, panel)), "Court: invalid panel signature"},
		{"no witnesses", openWitness(active, nil, signPanel(providerKey, active, nil)), "Court: need an odd number of witnesses"},
		{"two witnesses", openWitness(active, panel[:2], signPanel(providerKey, active, panel[:2])), "Court: need an odd number of witnesses"},
		{"nine witnesses", openWitness(active, nine, signPanel(providerKey, active, nine)), "Court: need an odd number of witnesses"},
		{"duplicate witness", openWitness(active, dup, signPanel(providerKey, active, dup)), "Court: duplicate witness"},
		{"client as witness", openWitness(active, withClient, signPanel(providerKey, active, withClient)), "Court: a party cannot be a witness"},
		{"provider as witness", openWitness(active, withProvider, signPanel(providerKey, active, withProvider)), "Court: a party cannot be a witness"},
		{"zero witness", openWitness(active, withZero, signPanel(providerKey, active, withZero)), "Court: zero witness"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := tt.send()
			c.refused(tx, err, tt.reason)
			if n, _ := c.court.CaseCount(nil); n.Cmp(busyCase) != 0 {
				t.Fatalf("caseCount = %s, want %s", n, busyCase)
			}
			c.wantAgreement(active, AgreementStaked, false)
			c.wantAgreement(expired, AgreementStaked, false)
			c.wantAgreement(busy, AgreementStaked, true)
		})
	}

	// The same claims, well formed, are taken: five witnesses, then (after
	// that case is dismissed) the good promise.
	caseID, err := OpenWitnessCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, active, five, signPanel(providerKey, active, five))
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := c.court.Cases(nil, caseID)
	if cs.WitnessCount != 5 || CaseKind(cs.Kind) != WitnessCase {
		t.Fatalf("cases(%s) = %+v, want a witness case with 5 witnesses", caseID, cs)
	}
	c.advance(3 * time.Hour)
	c.must(c.court.Judge(c.auth(malloryKey), caseID))
	if _, err := OpenPromiseCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, active, good.key, good.hash, good.sig); err != nil {
		t.Fatal(err)
	}
	// The Go helper refuses a bad witness count before sending.
	if _, err := OpenWitnessCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, busy, panel[:2], nil); err == nil {
		t.Fatal("OpenWitnessCase took two witnesses")
	}
}

func TestStakeRefused(t *testing.T) {
	c := newCourtChain(t)
	provider, client := addrOf(providerKey), addrOf(clientKey)
	svc, _ := ServiceID("hold")
	term := uint64(c.now().Add(time.Hour).Unix())

	// Through the Go helper: refused before anything is sent, no approval left.
	_, err := Stake(c.ctx, c.b, c.auth(providerKey), c.regAddr, svc, client, mft(1001), c.now().Add(time.Hour))
	if !errors.Is(err, ErrBalance) {
		t.Fatalf("Stake above the balance: %v, want ErrBalance", err)
	}
	if a, _ := c.token.Allowance(nil, provider, c.regAddr); a.Sign() != 0 {
		t.Fatalf("a refused stake left an allowance of %s", a)
	}
	for name, f := range map[string]func() error{
		"past term": func() error {
			_, err := Stake(c.ctx, c.b, c.auth(providerKey), c.regAddr, svc, client, mft(1), c.now().Add(-time.Second))
			return err
		},
		"zero amount": func() error {
			_, err := Stake(c.ctx, c.b, c.auth(providerKey), c.regAddr, svc, client, new(big.Int), c.now().Add(time.Hour))
			return err
		},
		"own client": func() error {
			_, err := Stake(c.ctx, c.b, c.auth(providerKey), c.regAddr, svc, provider, mft(1), c.now().Add(time.Hour))
			return err
		},
	} {
		if err := f(); err == nil {
			t.Fatalf("Stake with %s succeeded", name)
		}
	}

	// Straight to the contract, with an allowance larger than the balance.
	c.must(c.token.Approve(c.auth(providerKey), c.regAddr, mft(5000)))
	tests := []struct {
		name    string
		from    *ecdsa.PrivateKey
		service [32]byte
		client  common.Address
		amount  *big.Int
		term    uint64
		reason  string
	}{
		{"amount above balance", providerKey, svc, client, mft(1001), term, "StakeRegistry: amount above balance"},
		{"amount above balance and allowance", providerKey, svc, client, mft(5001), term, "StakeRegistry: amount above balance"},
		{"no balance, no allowance", clientKey, svc, provider, mft(1), term, "StakeRegistry: amount above balance"},
		{"zero amount", providerKey, svc, client, new(big.Int), term, "StakeRegistry: zero amount"},
		{"empty service", providerKey, [32]byte{}, client, mft(1), term, "StakeRegistry: empty service"},
		{"zero client", providerKey, svc, common.Address{}, mft(1), term, "StakeRegistry: zero client"},
		{"own client", providerKey, svc, provider, mft(1), term, "StakeRegistry: provider is the client"},
		{"term over", providerKey, svc, client, mft(1), uint64(c.now().Unix()) - 1, "StakeRegistry: term already over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := c.reg.Stake(c.auth(tt.from), tt.service, tt.client, tt.amount, tt.term)
			c.refused(tx, err, tt.reason)
			c.wantBalance(provider, mft(1000))
			c.wantBalance(c.regAddr, new(big.Int))
			if n, _ := c.reg.AgreementCount(nil); n.Sign() != 0 {
				t.Fatalf("agreementCount = %s after a refused stake", n)
			}
		})
	}
	// With a balance but no allowance, the allowance is what is short.
	c.must(c.token.Mint(c.auth(deployerKey), client, mft(1)))
	tx, err := c.reg.Stake(c.auth(clientKey), svc, provider, mft(1), term)
	c.refused(tx, err, "StakeRegistry: amount above allowance")

	// A registry without a court takes no stakes.
	reg2, reg2b, err := DeployRegistry(c.ctx, c.b, c.auth(deployerKey), c.tokenAddr)
	if err != nil {
		t.Fatal(err)
	}
	c.must(c.token.Approve(c.auth(providerKey), reg2, mft(1)))
	tx, err = reg2b.Stake(c.auth(providerKey), svc, client, mft(1), term)
	c.refused(tx, err, "StakeRegistry: no court")
}

func TestOnlyTheCourtSlashes(t *testing.T) {
	c := newCourtChain(t)
	ag := c.stake(mft(100), 24*time.Hour)
	caseID, _ := c.openPromise(ag)
	for _, k := range []*ecdsa.PrivateKey{malloryKey, clientKey, deployerKey, providerKey} {
		tx, err := c.reg.Slash(c.auth(k), ag, addrOf(k))
		c.refused(tx, err, "StakeRegistry: caller is not the court")
		tx, err = c.reg.MarkCaseClosed(c.auth(k), ag)
		c.refused(tx, err, "StakeRegistry: caller is not the court")
		tx, err = c.reg.MarkCaseOpen(c.auth(k), ag)
		c.refused(tx, err, "StakeRegistry: caller is not the court")
	}
	c.wantAgreement(ag, AgreementStaked, true)
	c.wantBalance(c.regAddr, mft(100))
	c.wantCase(caseID, caseState{status: CaseOpen})

	tx, err := c.reg.SetCourt(c.auth(deployerKey), addrOf(malloryKey))
	c.refused(tx, err, "StakeRegistry: court already set")
	if got, _ := c.reg.Court(nil); got != c.courtAddr {
		t.Fatalf("court() = %s, want %s", got, c.courtAddr)
	}
	reg2, reg2b, err := DeployRegistry(c.ctx, c.b, c.auth(deployerKey), c.tokenAddr)
	if err != nil {
		t.Fatal(err)
	}
	tx, err = reg2b.SetCourt(c.auth(malloryKey), addrOf(malloryKey))
	c.refused(tx, err, "StakeRegistry: caller is not the deployer")
	// DeployCourtFor from another account cannot wire the registry.
	if _, _, err := DeployCourtFor(c.ctx, c.b, c.auth(malloryKey), reg2, testCourtConfig); err == nil {
		t.Fatal("DeployCourtFor wired a registry its account did not deploy")
	}
	if _, _, err := DeployCourtFor(c.ctx, c.b, c.auth(deployerKey), reg2, CourtConfig{ResponseWindow: time.Hour}); err == nil {
		t.Fatal("DeployCourtFor took a zero testimony window")
	}
	if got, _ := c.court.ResponseWindow(nil); got != 3600 {
		t.Fatalf("responseWindow() = %d, want 3600", got)
	}
	if got, _ := c.court.Registry(nil); got != c.regAddr {
		t.Fatalf("registry() = %s, want %s", got, c.regAddr)
	}
}

// The Go digests are the contract's, and signatures made in Go recover to
// their signer.
func TestCourtDigestsMatchContract(t *testing.T) {
	c := newCourtChain(t)
	ag := big.NewInt(42)
	key := crypto.Keccak256Hash([]byte("k"))
	hash := crypto.Keccak256Hash([]byte("h"))
	panel := panelOf(witnessKeys)

	check := func(name string, goDigest common.Hash, err error, onChain [32]byte, chainErr error, sign func() ([]byte, error), signer *ecdsa.PrivateKey) {
		t.Helper()
		if err := errors.Join(err, chainErr); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if goDigest != onChain {
			t.Fatalf("%s: Go digest %x, contract %x", name, goDigest, onChain)
		}
		sig, err := sign()
		if err != nil {
			t.Fatal(err)
		}
		if got, err := RecoverSigner(goDigest, sig); err != nil || got != addrOf(signer) {
			t.Fatalf("%s: RecoverSigner = %s, %v; want %s", name, got, err, addrOf(signer))
		}
		if _, err := RecoverSigner(goDigest, sig[:64]); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("%s: RecoverSigner(short) = %v, want ErrBadSignature", name, err)
		}
	}

	d, err := PromiseDigest(c.chainID, c.courtAddr, ag, key, hash)
	onChain, cerr := c.court.PromiseDigest(nil, ag, key, hash)
	check("promise", d, err, onChain, cerr, func() ([]byte, error) {
		return SignPromise(providerKey, c.chainID, c.courtAddr, ag, key, hash)
	}, providerKey)

	for _, p := range [][]common.Address{nil, panel[:1], panel} {
		d, err = PanelDigest(c.chainID, c.courtAddr, ag, p)
		onChain, cerr = c.court.PanelDigest(nil, ag, p)
		check("panel", d, err, onChain, cerr, func() ([]byte, error) {
			return SignPanel(providerKey, c.chainID, c.courtAddr, ag, p)
		}, providerKey)
	}

	for _, guilty := range []bool{true, false} {
		d, err = TestimonyDigest(c.chainID, c.courtAddr, ag, guilty)
		onChain, cerr = c.court.TestimonyDigest(nil, ag, guilty)
		check("testimony", d, err, onChain, cerr, func() ([]byte, error) {
			return SignTestimony(witnessKeys[0], c.chainID, c.courtAddr, ag, guilty)
		}, witnessKeys[0])
	}

	// Type hashes as the contract has them.
	ph, _ := c.court.PROMISETYPEHASH(nil)
	nh, _ := c.court.PANELTYPEHASH(nil)
	th, _ := c.court.TESTIMONYTYPEHASH(nil)
	mw, _ := c.court.MAXWITNESSES(nil)
	if ph != promiseTypeHash || nh != panelTypeHash || th != testimonyTypeHash || mw.Int64() != MaxWitnesses {
		t.Fatal("type hashes or MAX_WITNESSES differ between Go and the contract")
	}
	if _, err := PromiseDigest(c.chainID, c.courtAddr, big.NewInt(-1), key, hash); !errors.Is(err, ErrAmount) {
		t.Fatalf("negative agreement id: %v", err)
	}
}

func TestServiceID(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"hold", true},
		{"store", true},
		{"db", true},
		{"a-service-name-of-32-bytes-long!", true},
		{"a-service-name-of-33-bytes-long!!", false},
		{"", false},
		{"nul\x00", false},
		{"\xff", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := ServiceID(tt.name)
			if (err == nil) != tt.ok {
				t.Fatalf("ServiceID(%q) error = %v, want ok %v", tt.name, err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if got := ServiceName(id); got != tt.name {
				t.Fatalf("ServiceName(ServiceID(%q)) = %q", tt.name, got)
			}
			if !bytes.Equal(id[:len(tt.name)], []byte(tt.name)) {
				t.Fatalf("ServiceID(%q) = %x, not left-aligned", tt.name, id)
			}
		})
	}
}
