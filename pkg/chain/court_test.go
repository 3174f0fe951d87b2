package chain

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/mainframe/mf/pkg/proof"
)

// The parties of the court tests: bob provides, carol is his client,
// mallory is nobody in particular, w1..w5 are witnesses in the pool.
var (
	providerKey = bobKey
	clientKey   = carolKey
	witnessKeys = []*ecdsa.PrivateKey{testKey("witness 1"), testKey("witness 2"), testKey("witness 3"), testKey("witness 4"), testKey("witness 5")}
)

var testCourtConfig = CourtConfig{ResponseWindow: time.Hour, TestimonyWindow: 2 * time.Hour, WitnessStake: mft(10), WitnessPenalty: mft(1)}

// courtChain is a testChain with a StakeRegistry and its Court deployed by
// the deployer, 1000 MFT for the provider, and ETH and 20 MFT for each
// witness.
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
		c.must(c.token.Mint(c.auth(deployerKey), addrOf(w), mft(20)))
	}
	return c
}

// pool puts the witnesses (all of them when none are named) in the pool.
func (c *courtChain) pool(keys ...*ecdsa.PrivateKey) {
	c.t.Helper()
	if len(keys) == 0 {
		keys = witnessKeys
	}
	for _, k := range keys {
		if err := JoinWitnesses(c.ctx, c.b, c.auth(k), c.courtAddr); err != nil {
			c.t.Fatal(err)
		}
	}
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
	adjustTime(c.t, c.sim, d)
}

// mine mines n empty blocks a second apart.
func (c *courtChain) mine(n int) {
	c.t.Helper()
	for range n {
		c.advance(time.Second)
	}
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

// promise is what a provider promises in the tests: data of 64 chunks
// under a key, its tree and the signature.
type promise struct {
	Promise
	data []byte
	tree *proof.Tree
	sig  []byte
}

func (c *courtChain) promise(signer *ecdsa.PrivateKey, agreement *big.Int) promise {
	c.t.Helper()
	return c.promiseOf(signer, agreement, 64*proof.ChunkSize)
}

func (c *courtChain) promiseOf(signer *ecdsa.PrivateKey, agreement *big.Int, size int) promise {
	c.t.Helper()
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i ^ i>>12 ^ int(agreement.Int64()))
	}
	tr := proof.FromBytes(data)
	p := promise{data: data, tree: tr}
	p.Promise = Promise{Agreement: agreement, Key: crypto.Keccak256Hash([]byte("key"), agreement.Bytes()), Root: tr.Root(), Chunks: tr.Chunks()}
	var err error
	p.sig, err = SignPromise(signer, c.chainID, c.courtAddr, p.Promise)
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

func (c *courtChain) openPromise(agreement *big.Int) (*big.Int, promise) {
	c.t.Helper()
	p := c.promise(providerKey, agreement)
	id, err := OpenPromiseCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, p.Promise, p.sig)
	if err != nil {
		c.t.Fatal(err)
	}
	return id, p
}

// answer is the honest answer to case caseID's challenge, once the seed
// block is mined (it mines one if needed).
func (c *courtChain) answer(caseID *big.Int, p promise) []proof.Proof {
	c.t.Helper()
	seed, idx, err := Challenge(c.ctx, c.b, c.courtAddr, caseID)
	if errors.Is(err, ErrSeedNotReady) {
		c.mine(2)
		seed, idx, err = Challenge(c.ctx, c.b, c.courtAddr, caseID)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	ans, err := p.tree.Answer(bytes.NewReader(p.data), seed)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := proof.VerifyChunks(p.Root, p.Chunks, idx, ans); err != nil {
		c.t.Fatal(err)
	}
	return ans
}

// respond sends answer to case caseID from k.
func (c *courtChain) respond(k *ecdsa.PrivateKey, caseID *big.Int, answer []proof.Proof) (*types.Transaction, error) {
	chunks, paths := AnswerArgs(answer)
	return c.court.Respond(c.auth(k), caseID, chunks, paths)
}

// openWitness opens a witness case with a panel of three on agreement and
// draws the panel; it returns the case and the panel's keys in the order
// drawn.
func (c *courtChain) openWitness(agreement *big.Int) (*big.Int, []*ecdsa.PrivateKey) {
	c.t.Helper()
	p := c.promise(providerKey, agreement)
	id, err := OpenWitnessCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, p.Promise, p.sig, 3)
	if err != nil {
		c.t.Fatal(err)
	}
	return id, c.draw(id)
}

// draw draws the panel of case id and returns its keys.
func (c *courtChain) draw(id *big.Int) []*ecdsa.PrivateKey {
	c.t.Helper()
	c.mine(2)
	called, err := DrawPanel(c.ctx, c.b, c.auth(malloryKey), c.courtAddr, id)
	if err != nil {
		c.t.Fatal(err)
	}
	got, err := c.court.Witnesses(nil, id)
	if err != nil || !slices.Equal(got, called) {
		c.t.Fatalf("witnesses(%s) = %v, %v; WitnessCalled named %v", id, got, err, called)
	}
	keys := make([]*ecdsa.PrivateKey, len(called))
	for i, a := range called {
		for _, k := range append([]*ecdsa.PrivateKey{providerKey, clientKey, malloryKey}, witnessKeys...) {
			if addrOf(k) == a {
				keys[i] = k
			}
		}
		if keys[i] == nil {
			c.t.Fatalf("drew %s, nobody known", a)
		}
	}
	return keys
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

// A provider that answers a promise case in time with the chunks the seed
// picks is not guilty, keeps its stake, and unstakes after the term; every
// wrong answer is refused first.
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
		cs.Key != p.Key || cs.Root != p.Root || cs.Chunks != 64 || cs.Deadline != uint64(c.now().Add(time.Hour).Unix()) || cs.Seed != ([32]byte{}) {
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
	// Nothing can be answered before the seed block is mined.
	if _, _, err := Challenge(c.ctx, c.b, c.courtAddr, caseID); !errors.Is(err, ErrSeedNotReady) {
		t.Fatalf("Challenge before the seed block: %v", err)
	}
	tx, err = c.respond(providerKey, caseID, nil)
	c.refused(tx, err, "Court: seed block not mined yet")

	good := c.answer(caseID, p)
	if len(good) != proof.Challenges {
		t.Fatalf("answer of %d chunks", len(good))
	}
	bad := func(f func([]proof.Proof) []proof.Proof) []proof.Proof {
		out := make([]proof.Proof, len(good))
		for i, q := range good {
			out[i] = proof.Proof{Index: q.Index, Chunk: append([]byte(nil), q.Chunk...), Path: append([]proof.Hash(nil), q.Path...)}
		}
		return f(out)
	}
	other := (good[0].Index + 1) % 64
	otherProof, _ := p.tree.Prove(bytes.NewReader(p.data), other)
	tests := []struct {
		name   string
		answer []proof.Proof
		reason string
	}{
		{"no chunks", nil, "Court: wrong number of chunks"},
		{"one chunk short", good[:3], "Court: wrong number of chunks"},
		{"a flipped byte", bad(func(a []proof.Proof) []proof.Proof { a[2].Chunk[7] ^= 1; return a }), "Court: chunk does not match the promise"},
		{"a flipped path", bad(func(a []proof.Proof) []proof.Proof { a[1].Path[0][0] ^= 1; return a }), "Court: chunk does not match the promise"},
		{"a short path", bad(func(a []proof.Proof) []proof.Proof { a[0].Path = a[0].Path[1:]; return a }), "Court: chunk does not match the promise"},
		{"a chunk not asked for", bad(func(a []proof.Proof) []proof.Proof { a[0] = otherProof; return a }), "Court: chunk does not match the promise"},
		{"the chunks out of order", bad(func(a []proof.Proof) []proof.Proof { a[0], a[3] = a[3], a[0]; return a }), "Court: chunk does not match the promise"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "the chunks out of order" && good[0].Index == good[3].Index {
				t.Skip("the challenge asked for the same chunk twice")
			}
			tx, err := c.respond(providerKey, caseID, tt.answer)
			c.refused(tx, err, tt.reason)
			c.wantCase(caseID, caseState{status: CaseOpen})
		})
	}

	// Anyone may send the right answer: here a stranger relays it.
	tx, err = c.respond(malloryKey, caseID, good)
	r := c.must(tx, err)
	c.wantVerdict(r, caseID, ag, false)
	c.wantCase(caseID, caseState{status: CaseNotGuilty, forRecord: 1})
	c.wantAgreement(ag, AgreementStaked, false)
	c.wantBalance(c.regAddr, mft(100))
	c.wantBalance(client, new(big.Int))

	// Closed is closed.
	tx, err = c.respond(providerKey, caseID, good)
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

// The attack of issue 10 item 4: once an answer is on chain, anyone could
// win every later case on the same promise without holding anything. Now
// a later case asks for other chunks, and the earlier answer loses.
func TestReplayedAnswerLoses(t *testing.T) {
	c := newCourtChain(t)
	ag := c.stake(mft(100), 24*time.Hour)
	first, p := c.openPromise(ag)
	honest := c.answer(first, p)
	c.must(c.respond(providerKey, first, honest))
	c.wantCase(first, caseState{status: CaseNotGuilty, forRecord: 1})

	// The provider drops the data. The client opens a new case on the same
	// promise; the provider (or anyone for it) replays the answer that is
	// public on chain.
	second, err := OpenPromiseCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, p.Promise, p.sig)
	if err != nil {
		t.Fatal(err)
	}
	c.mine(2)
	_, idx, err := Challenge(c.ctx, c.b, c.courtAddr, second)
	if err != nil {
		t.Fatal(err)
	}
	var was []uint64
	for _, q := range honest {
		was = append(was, q.Index)
	}
	if slices.Equal(idx, was) {
		t.Fatalf("the second case asks for the same chunks %v as the first", idx)
	}
	for _, k := range []*ecdsa.PrivateKey{providerKey, malloryKey} {
		tx, err := c.respond(k, second, honest)
		c.refused(tx, err, "Court: chunk does not match the promise")
	}
	// With only the chunks revealed so far it cannot answer either: each
	// asked chunk it has is put where the challenge wants it.
	known := map[uint64]proof.Proof{}
	for _, q := range honest {
		known[q.Index] = q
	}
	var patched []proof.Proof
	for j, i := range idx {
		q, ok := known[i]
		if !ok {
			q = honest[j%len(honest)]
		}
		patched = append(patched, q)
	}
	tx, err := c.respond(malloryKey, second, patched)
	c.refused(tx, err, "Court: chunk does not match the promise")

	c.advance(time.Hour)
	r := c.must(c.court.Judge(c.auth(malloryKey), second))
	c.wantVerdict(r, second, ag, true)
	c.wantCase(second, caseState{status: CaseGuilty, against: 1, forRecord: 1})
	c.wantBalance(addrOf(clientKey), mft(100))
}

// A seed block that falls out of blockhash's reach before anyone fixes the
// seed is moved to a later block, whose hash nobody knew; once fixed, the
// seed stays.
func TestSeedOutOfReach(t *testing.T) {
	c := newCourtChain(t)
	ag := c.stake(mft(100), 24*time.Hour)
	caseID, p := c.openPromise(ag)
	stale := c.answer(caseID, p) // computed while the seed block is in reach, not sent
	for range 260 {
		c.sim.Commit()
	}
	if _, _, err := Challenge(c.ctx, c.b, c.courtAddr, caseID); !errors.Is(err, ErrSeedOutOfReach) {
		t.Fatalf("Challenge 260 blocks on: %v", err)
	}
	_, err := c.court.Challenge(nil, caseID)
	if err == nil {
		t.Fatal("the contract's challenge answered with the seed block out of reach")
	}
	tx, err := c.respond(providerKey, caseID, stale)
	c.refused(tx, err, "Court: seed block out of reach; call drawChallenge")

	if err := DrawChallenge(c.ctx, c.b, c.auth(malloryKey), c.courtAddr, caseID); !errors.Is(err, ErrSeedMoved) {
		t.Fatalf("DrawChallenge: %v, want ErrSeedMoved", err)
	}
	if _, _, err := Challenge(c.ctx, c.b, c.courtAddr, caseID); !errors.Is(err, ErrSeedNotReady) {
		t.Fatalf("Challenge after the move: %v", err)
	}
	c.mine(2)
	if err := DrawChallenge(c.ctx, c.b, c.auth(clientKey), c.courtAddr, caseID); err != nil {
		t.Fatal(err)
	}
	if err := DrawChallenge(c.ctx, c.b, c.auth(clientKey), c.courtAddr, caseID); !errors.Is(err, ErrSeedFixed) {
		t.Fatalf("second DrawChallenge: %v, want ErrSeedFixed", err)
	}
	cs, _ := c.court.Cases(nil, caseID)
	if cs.Seed == ([32]byte{}) {
		t.Fatal("the seed is not fixed")
	}
	// Long after, the fixed seed still answers.
	for range 300 {
		c.sim.Commit()
	}
	fresh := c.answer(caseID, p)
	c.must(c.respond(providerKey, caseID, fresh))
	c.wantCase(caseID, caseState{status: CaseNotGuilty, forRecord: 1})
}

// The Go API (pkg/proof, Challenge) and the contract agree: the seed and
// indices of a case, and which proofs are valid, for trees of every shape.
func TestChallengeMatchesContract(t *testing.T) {
	c := newCourtChain(t)
	for _, size := range []int{0, 10, proof.ChunkSize + 1, 3 * proof.ChunkSize, 5*proof.ChunkSize - 1, 64 * proof.ChunkSize, 1000 * proof.ChunkSize} {
		ag := c.stake(mft(1), 24*time.Hour)
		p := c.promiseOf(providerKey, ag, size)
		caseID, err := OpenPromiseCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, p.Promise, p.sig)
		if err != nil {
			t.Fatal(err)
		}
		c.mine(2)
		seed, idx, err := Challenge(c.ctx, c.b, c.courtAddr, caseID)
		if err != nil {
			t.Fatal(err)
		}
		onChain, err := c.court.Challenge(nil, caseID)
		if err != nil {
			t.Fatal(err)
		}
		if onChain.Seed != seed || len(onChain.Indices) != len(idx) {
			t.Fatalf("%d bytes: seed %x / %d indices in Go, %x / %d on chain", size, seed, len(idx), onChain.Seed, len(onChain.Indices))
		}
		for i := range idx {
			if onChain.Indices[i].Uint64() != idx[i] {
				t.Fatalf("%d bytes: index %d is %d in Go, %s on chain", size, i, idx[i], onChain.Indices[i])
			}
		}
		for _, i := range []uint64{0, p.Chunks / 2, p.Chunks - 1} {
			q, err := p.tree.Prove(bytes.NewReader(p.data), i)
			if err != nil {
				t.Fatal(err)
			}
			flipped := append([]byte{1}, q.Chunk...)
			if len(q.Chunk) > 0 {
				flipped = slices.Clone(q.Chunk)
				flipped[0] ^= 1
			}
			path := make([][32]byte, len(q.Path))
			for j, h := range q.Path {
				path[j] = h
			}
			for name, tc := range map[string]struct {
				index  uint64
				chunk  []byte
				path   [][32]byte
				chunks uint64
			}{
				"valid":         {i, q.Chunk, path, p.Chunks},
				"flipped chunk": {i, flipped, path, p.Chunks},
				"index past":    {p.Chunks, q.Chunk, path, p.Chunks},
				"longer path":   {i, q.Chunk, append(slices.Clone(path), [32]byte{}), p.Chunks},
				"zero chunks":   {i, q.Chunk, path, 0},
			} {
				goProof := proof.Proof{Index: tc.index, Chunk: tc.chunk}
				for _, h := range tc.path {
					goProof.Path = append(goProof.Path, h)
				}
				goOK := proof.Verify(p.Root, tc.chunks, goProof) == nil
				chainOK, err := c.court.VerifyChunk(nil, p.Root, tc.chunks, new(big.Int).SetUint64(tc.index), tc.chunk, tc.path)
				if err != nil {
					t.Fatal(err)
				}
				if goOK != chainOK || goOK != (name == "valid") {
					t.Fatalf("%d bytes, chunk %d, %s: Go says %v, the contract %v", size, i, name, goOK, chainOK)
				}
			}
		}
		c.must(c.respond(providerKey, caseID, c.answer(caseID, p)))
	}
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
	ans := c.answer(caseID, p)

	c.advance(40 * time.Minute)
	tx, err := c.reg.Unstake(c.auth(providerKey), ag)
	c.refused(tx, err, "StakeRegistry: open case")
	tx, err = c.court.Judge(c.auth(malloryKey), caseID)
	c.refused(tx, err, "Court: deadline not passed")

	c.advance(25 * time.Minute)
	tx, err = c.respond(providerKey, caseID, ans)
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
	tx, err = c.court.OpenPromiseCase(c.auth(clientKey), ag, p2.Key, p2.Root, p2.Chunks, p2.sig)
	c.refused(tx, err, "Court: agreement not active")
}

// The attack of issue 10 item 3: the provider named its own witnesses.
// Now the panel is drawn from the pool with a seed fixed after the
// opening: distinct witnesses, never a party, even when the parties are in
// the pool themselves.
func TestPanelDrawnFromPool(t *testing.T) {
	c := newCourtChain(t)
	c.must(c.token.Mint(c.auth(deployerKey), addrOf(clientKey), mft(10)))
	c.pool()
	c.pool(providerKey, clientKey)
	if pool, _ := c.court.WitnessPool(nil); len(pool) != 7 {
		t.Fatalf("pool of %d, want 7", len(pool))
	}
	ag := c.stake(mft(100), 24*time.Hour)
	seen := map[common.Address]bool{}
	for round := range 6 {
		p := c.promise(providerKey, ag)
		size := 3
		if round%2 == 1 {
			size = 5 // all five who are not parties
		}
		id, err := OpenWitnessCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, p.Promise, p.sig, size)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DrawPanel(c.ctx, c.b, c.auth(malloryKey), c.courtAddr, id); !errors.Is(err, ErrSeedNotReady) {
			t.Fatalf("DrawPanel before the seed block: %v", err)
		}
		tx, err := c.court.Testify(c.auth(witnessKeys[0]), id, false)
		c.refused(tx, err, "Court: not a witness")
		panel := c.draw(id)
		if len(panel) != size {
			t.Fatalf("round %d: drew %d, want %d", round, len(panel), size)
		}
		drawn := map[common.Address]bool{}
		for _, k := range panel {
			a := addrOf(k)
			if a == addrOf(providerKey) || a == addrOf(clientKey) {
				t.Fatalf("round %d: drew a party, %s", round, a)
			}
			if drawn[a] {
				t.Fatalf("round %d: drew %s twice", round, a)
			}
			drawn[a], seen[a] = true, true
			if got, _ := c.court.TestimonyOf(nil, id, a); Testimony(got) != TestimonyCalled {
				t.Fatalf("testimonyOf(%s) = %d", a, got)
			}
			if n, _ := c.court.PendingCases(nil, a); n.Int64() != 1 {
				t.Fatalf("pendingCases(%s) = %s", a, n)
			}
		}
		if _, err := DrawPanel(c.ctx, c.b, c.auth(clientKey), c.courtAddr, id); !errors.Is(err, ErrSeedFixed) {
			t.Fatalf("a second draw: %v, want ErrSeedFixed", err)
		}
		// A majority of not guilty closes the case and frees the panel.
		for _, k := range panel[:size/2+1] {
			c.must(c.court.Testify(c.auth(k), id, false))
		}
		c.wantAgreement(ag, AgreementStaked, false)
		for _, k := range panel {
			if n, _ := c.court.PendingCases(nil, addrOf(k)); n.Sign() != 0 {
				t.Fatalf("pendingCases(%s) = %s after the verdict", addrOf(k), n)
			}
		}
	}
	if len(seen) != 5 {
		t.Fatalf("six draws called %d distinct witnesses, want all 5", len(seen))
	}

	// Too small a pool for the panel asked is refused at the opening.
	p := c.promise(providerKey, ag)
	tx, err := c.court.OpenWitnessCase(c.auth(clientKey), ag, p.Key, p.Root, p.Chunks, p.sig, 7)
	c.refused(tx, err, "Court: not enough witnesses in the pool")
}

func TestWitnessMajority(t *testing.T) {
	tests := []struct {
		name   string
		votes  []bool // in panel order; the last one decides
		guilty bool
	}{
		{"two guilty", []bool{true, true}, true},
		{"two not guilty", []bool{false, true, false}, false},
		{"guilty after a dissent", []bool{false, true, true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCourtChain(t)
			c.pool()
			client := addrOf(clientKey)
			ag := c.stake(mft(100), 24*time.Hour)
			caseID, panel := c.openWitness(ag)
			var r *types.Receipt
			var g, ng uint8
			for i, guilty := range tt.votes {
				if i > 0 {
					// Not decided yet.
					c.wantCase(caseID, caseState{status: CaseOpen, guilty: g, notGuilty: ng})
					c.wantAgreement(ag, AgreementStaked, true)
				}
				w := panel[i]
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
			// A witness left over cannot change a final verdict, and loses
			// nothing for it.
			if len(tt.votes) < 3 {
				tx, err := c.court.Testify(c.auth(panel[2]), caseID, !tt.guilty)
				c.refused(tx, err, "Court: case closed")
				if b, _ := c.court.WitnessBalance(nil, addrOf(panel[2])); b.Cmp(mft(10)) != 0 {
					t.Fatalf("the witness left over holds %s", b)
				}
			}
		})
	}
}

// Without a majority by the deadline the case is dismissed, and each drawn
// witness that did not testify loses the penalty and its place in the
// pool; the one that testified keeps its stake.
func TestWitnessCaseWithoutMajorityDismissed(t *testing.T) {
	c := newCourtChain(t)
	c.pool()
	ag := c.stake(mft(100), 24*time.Hour)
	caseID, panel := c.openWitness(ag)
	c.must(c.court.Testify(c.auth(panel[0]), caseID, true))
	tx, err := c.court.Judge(c.auth(malloryKey), caseID)
	c.refused(tx, err, "Court: deadline not passed")
	// Called in an open case, a witness cannot leave.
	tx, err = c.court.LeaveWitnesses(c.auth(panel[1]))
	c.refused(tx, err, "Court: called in an open case")
	c.advance(2*time.Hour + time.Second)
	tx, err = c.court.Testify(c.auth(panel[1]), caseID, true)
	c.refused(tx, err, "Court: deadline passed")
	r := c.must(c.court.Judge(c.auth(malloryKey), caseID))
	if vs := verdictsIn(t, c.court, r); len(vs) != 0 {
		t.Fatalf("dismissal emitted verdicts %+v", vs)
	}
	var dismissed bool
	penalized := map[common.Address]*big.Int{}
	for _, l := range r.Logs {
		if ev, err := c.court.ParseDismissed(*l); err == nil {
			dismissed = ev.CaseId.Cmp(caseID) == 0 && ev.AgreementId.Cmp(ag) == 0
		}
		if ev, err := c.court.ParseWitnessPenalized(*l); err == nil {
			penalized[ev.Witness] = ev.Amount
		}
	}
	if !dismissed {
		t.Fatal("no Dismissed event")
	}
	if len(penalized) != 2 || penalized[addrOf(panel[1])].Cmp(mft(1)) != 0 || penalized[addrOf(panel[2])].Cmp(mft(1)) != 0 {
		t.Fatalf("penalized %v, want the two silent witnesses 1 MFT each", penalized)
	}
	c.wantCase(caseID, caseState{status: CaseDismissed, guilty: 1})
	c.wantAgreement(ag, AgreementStaked, false)
	c.wantBalance(c.regAddr, mft(100))
	for i, k := range panel {
		b, _ := c.court.WitnessBalance(nil, addrOf(k))
		in, _ := c.court.IsWitness(nil, addrOf(k))
		if want := map[bool]*big.Int{true: mft(10), false: mft(9)}[i == 0]; b.Cmp(want) != 0 || in != (i == 0) {
			t.Fatalf("witness %d holds %s (in the pool %v) after the dismissal", i, b, in)
		}
	}
	// A penalized witness takes back what is left; the penalty stays.
	before := c.balance(addrOf(panel[1]))
	c.must(c.court.LeaveWitnesses(c.auth(panel[1])))
	if got := new(big.Int).Sub(c.balance(addrOf(panel[1])), before); got.Cmp(mft(9)) != 0 {
		t.Fatalf("leaving returned %s, want 9 MFT", got)
	}
	c.wantBalance(c.courtAddr, mft(5*10-9)) // the other silent witness has not left yet
	// The agreement is open to a new case.
	c.openPromise(ag)
}

// An undrawn witness case is dismissed at its deadline and penalizes no one.
func TestUndrawnWitnessCaseDismissed(t *testing.T) {
	c := newCourtChain(t)
	c.pool()
	ag := c.stake(mft(100), 24*time.Hour)
	p := c.promise(providerKey, ag)
	caseID, err := OpenWitnessCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, p.Promise, p.sig, 3)
	if err != nil {
		t.Fatal(err)
	}
	c.advance(2*time.Hour + time.Second)
	tx, err := c.court.DrawPanel(c.auth(clientKey), caseID)
	c.refused(tx, err, "Court: deadline passed")
	c.must(c.court.Judge(c.auth(malloryKey), caseID))
	c.wantCase(caseID, caseState{status: CaseDismissed})
	c.wantBalance(c.courtAddr, mft(50))
}

func TestWitnessPool(t *testing.T) {
	c := newCourtChain(t)
	w := witnessKeys[0]
	tx, err := c.court.LeaveWitnesses(c.auth(w))
	c.refused(tx, err, "Court: not a witness")
	tx, err = c.court.JoinWitnesses(c.auth(w)) // no allowance
	c.refused(tx, err, "")
	if err := JoinWitnesses(c.ctx, c.b, c.auth(malloryKey), c.courtAddr); !errors.Is(err, ErrBalance) {
		t.Fatalf("joining without MFT: %v, want ErrBalance", err)
	}
	c.pool(w)
	c.wantBalance(addrOf(w), mft(10))
	if err := JoinWitnesses(c.ctx, c.b, c.auth(w), c.courtAddr); err == nil {
		t.Fatal("joined twice")
	}
	if in, _ := c.court.IsWitness(nil, addrOf(w)); !in {
		t.Fatal("not in the pool after joining")
	}
	c.must(c.court.LeaveWitnesses(c.auth(w)))
	c.wantBalance(addrOf(w), mft(20))
	if pool, _ := c.court.WitnessPool(nil); len(pool) != 0 {
		t.Fatalf("pool %v after leaving", pool)
	}
}

func TestBadTestimonyRefused(t *testing.T) {
	c := newCourtChain(t)
	c.pool()
	ag := c.stake(mft(100), 24*time.Hour)
	caseID, panel := c.openWitness(ag)
	c.must(c.court.Testify(c.auth(panel[0]), caseID, true))
	want := caseState{status: CaseOpen, guilty: 1}
	var outsider *ecdsa.PrivateKey // a pool member not drawn
	for _, k := range witnessKeys {
		if !slices.Contains(panel, k) {
			outsider = k
		}
	}

	malSig, err := SignTestimony(malloryKey, c.chainID, c.courtAddr, caseID, true)
	if err != nil {
		t.Fatal(err)
	}
	w2Sig, err := SignTestimony(panel[1], c.chainID, c.courtAddr, caseID, true)
	if err != nil {
		t.Fatal(err)
	}
	otherCase, err := SignTestimony(panel[1], c.chainID, c.courtAddr, big.NewInt(99), true)
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
		{"a pool member not drawn", func() (*types.Transaction, error) { return c.court.Testify(c.auth(outsider), caseID, true) }, "Court: not a witness"},
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
			return c.court.Testify(c.auth(panel[0]), caseID, false)
		}, "Court: already testified"},
		{"in a promise case", func() (*types.Transaction, error) {
			return c.court.Testify(c.auth(panel[1]), promiseCase, true)
		}, "Court: not a witness case"},
		{"in an unknown case", func() (*types.Transaction, error) {
			return c.court.Testify(c.auth(panel[1]), big.NewInt(99), true)
		}, "Court: unknown case"},
		{"a response in a witness case", func() (*types.Transaction, error) {
			return c.respond(providerKey, caseID, nil)
		}, "Court: not a promise case"},
		{"a panel drawn in a promise case", func() (*types.Transaction, error) {
			return c.court.DrawPanel(c.auth(clientKey), promiseCase)
		}, "Court: not a witness case"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := tt.send()
			c.refused(tx, err, tt.reason)
			c.wantCase(caseID, want)
			for i, w := range panel {
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
	c.pool()
	expired := c.stake(mft(10), time.Hour)
	c.advance(2 * time.Hour)
	active := c.stake(mft(10), 24*time.Hour)
	busy := c.stake(mft(10), 24*time.Hour)
	busyCase, _ := c.openPromise(busy)
	unknown := big.NewInt(99)

	good := c.promise(providerKey, active)
	otherChain, err := SignPromise(providerKey, big.NewInt(1), c.courtAddr, good.Promise)
	if err != nil {
		t.Fatal(err)
	}
	otherCourt, err := SignPromise(providerKey, c.chainID, c.regAddr, good.Promise)
	if err != nil {
		t.Fatal(err)
	}
	openPromise := func(k *ecdsa.PrivateKey, ag *big.Int, p promise) func() (*types.Transaction, error) {
		return func() (*types.Transaction, error) {
			return c.court.OpenPromiseCase(c.auth(k), ag, p.Key, p.Root, p.Chunks, p.sig)
		}
	}
	openWitness := func(ag *big.Int, p promise, size uint8) func() (*types.Transaction, error) {
		return func() (*types.Transaction, error) {
			return c.court.OpenWitnessCase(c.auth(clientKey), ag, p.Key, p.Root, p.Chunks, p.sig, size)
		}
	}
	withSig := func(p promise, sig []byte) promise { p.sig = sig; return p }
	withRoot := func(p promise, h [32]byte) promise { p.Root = h; return p }
	withChunks := func(p promise, n uint64) promise { p.Chunks = n; return p }
	signed := func(p promise) promise {
		var err error
		p.sig, err = SignPromise(providerKey, c.chainID, c.courtAddr, p.Promise)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	tests := []struct {
		name   string
		send   func() (*types.Transaction, error)
		reason string
	}{
		{"unknown agreement", openPromise(clientKey, unknown, c.promise(providerKey, unknown)), "Court: unknown agreement"},
		{"expired agreement", openPromise(clientKey, expired, c.promise(providerKey, expired)), "Court: agreement expired"},
		{"second case while one is open", openPromise(clientKey, busy, c.promise(providerKey, busy)), "Court: case open"},
		{"second witness case while one is open", openWitness(busy, c.promise(providerKey, busy), 3), "Court: case open"},
		{"not the client", openPromise(malloryKey, active, good), "Court: caller is not the client"},
		{"the provider", openPromise(providerKey, active, good), "Court: caller is not the client"},
		{"promise signed by another key", openPromise(clientKey, active, c.promise(malloryKey, active)), "Court: invalid promise signature"},
		{"promise signed by the client", openPromise(clientKey, active, c.promise(clientKey, active)), "Court: invalid promise signature"},
		{"promise for another agreement", openPromise(clientKey, active, withSig(good, c.promise(providerKey, busy).sig)), "Court: invalid promise signature"},
		{"promise with another root", openPromise(clientKey, active, withRoot(good, crypto.Keccak256Hash([]byte("x")))), "Court: invalid promise signature"},
		{"promise with another chunk count", openPromise(clientKey, active, withChunks(good, 65)), "Court: invalid promise signature"},
		{"promise of no chunks", openPromise(clientKey, active, signed(withChunks(good, 0))), "Court: chunk count out of range"},
		{"promise of too many chunks", openPromise(clientKey, active, signed(withChunks(good, proof.MaxChunks+1))), "Court: chunk count out of range"},
		{"promise on another chain", openPromise(clientKey, active, withSig(good, otherChain)), "Court: invalid promise signature"},
		{"promise to another contract", openPromise(clientKey, active, withSig(good, otherCourt)), "Court: invalid promise signature"},
		{"promise signature truncated", openPromise(clientKey, active, withSig(good, good.sig[:64])), "Court: invalid promise signature"},
		{"promise signature empty", openPromise(clientKey, active, withSig(good, nil)), "Court: invalid promise signature"},
		{"witness case with a bad promise", openWitness(active, withSig(good, otherChain), 3), "Court: invalid promise signature"},
		{"no witnesses", openWitness(active, good, 0), "Court: need an odd number of witnesses"},
		{"two witnesses", openWitness(active, good, 2), "Court: need an odd number of witnesses"},
		{"nine witnesses", openWitness(active, good, 9), "Court: need an odd number of witnesses"},
		{"seven witnesses from a pool of five", openWitness(active, good, 7), "Court: not enough witnesses in the pool"},
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
	// that case is decided) the good promise.
	caseID, err := OpenWitnessCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, good.Promise, good.sig, 5)
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := c.court.Cases(nil, caseID)
	if cs.WitnessCount != 5 || CaseKind(cs.Kind) != WitnessCase || cs.Drawn {
		t.Fatalf("cases(%s) = %+v, want an undrawn witness case of 5", caseID, cs)
	}
	c.advance(3 * time.Hour)
	c.must(c.court.Judge(c.auth(malloryKey), caseID))
	if _, err := OpenPromiseCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, good.Promise, good.sig); err != nil {
		t.Fatal(err)
	}
	// The Go helper refuses a bad panel size before sending.
	if _, err := OpenWitnessCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, good.Promise, good.sig, 2); err == nil {
		t.Fatal("OpenWitnessCase took a panel of two")
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
	p := Promise{Agreement: big.NewInt(42), Key: crypto.Keccak256Hash([]byte("k")), Root: crypto.Keccak256Hash([]byte("h")), Chunks: 1<<40 - 3}

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
		if pub, err := RecoverKey(goDigest, sig); err != nil || crypto.PubkeyToAddress(*pub) != addrOf(signer) {
			t.Fatalf("%s: RecoverKey = %v, %v", name, pub, err)
		}
		if _, err := RecoverSigner(goDigest, sig[:64]); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("%s: RecoverSigner(short) = %v, want ErrBadSignature", name, err)
		}
	}

	d, err := PromiseDigest(c.chainID, c.courtAddr, p)
	onChain, cerr := c.court.PromiseDigest(nil, p.Agreement, p.Key, p.Root, p.Chunks)
	check("promise", d, err, onChain, cerr, func() ([]byte, error) {
		return SignPromise(providerKey, c.chainID, c.courtAddr, p)
	}, providerKey)

	for _, guilty := range []bool{true, false} {
		d, err = TestimonyDigest(c.chainID, c.courtAddr, p.Agreement, guilty)
		onChain, cerr = c.court.TestimonyDigest(nil, p.Agreement, guilty)
		check("testimony", d, err, onChain, cerr, func() ([]byte, error) {
			return SignTestimony(witnessKeys[0], c.chainID, c.courtAddr, p.Agreement, guilty)
		}, witnessKeys[0])
	}

	// Type hashes and constants as the contract has them.
	ph, _ := c.court.PROMISETYPEHASH(nil)
	th, _ := c.court.TESTIMONYTYPEHASH(nil)
	mw, _ := c.court.MAXWITNESSES(nil)
	cs, _ := c.court.CHUNKSIZE(nil)
	cc, _ := c.court.CHALLENGECHUNKS(nil)
	md, _ := c.court.MAXDEPTH(nil)
	if ph != promiseTypeHash || th != testimonyTypeHash || mw.Int64() != MaxWitnesses ||
		cs.Int64() != proof.ChunkSize || cc.Int64() != proof.Challenges || md.Int64() != proof.MaxDepth {
		t.Fatal("type hashes or constants differ between Go and the contract")
	}
	if _, err := PromiseDigest(c.chainID, c.courtAddr, Promise{Agreement: big.NewInt(-1)}); !errors.Is(err, ErrAmount) {
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

// Nobody steers a draw by changing the pool once the case is open: a
// witness that joins later is never drawn for it, and one that leaves
// drops out without reshuffling the rest.
func TestPoolChangesAfterOpeningDoNotSteerTheDraw(t *testing.T) {
	c := newCourtChain(t)
	c.pool(witnessKeys[:4]...)
	late := []*ecdsa.PrivateKey{witnessKeys[4], malloryKey}
	c.must(c.token.Mint(c.auth(deployerKey), addrOf(malloryKey), mft(10)))
	ag := c.stake(mft(100), 24*time.Hour)
	for round := range 4 {
		p := c.promise(providerKey, ag)
		id, err := OpenWitnessCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, p.Promise, p.sig, 3)
		if err != nil {
			t.Fatal(err)
		}
		// After the opening: two sybils join, one early witness leaves.
		c.pool(late...)
		leaver := witnessKeys[round%4]
		c.must(c.court.LeaveWitnesses(c.auth(leaver)))
		panel := c.draw(id)
		for _, k := range panel {
			if k == leaver || slices.Contains(late, k) {
				t.Fatalf("round %d: drew %s, who was not in the pool at the opening or left since", round, addrOf(k))
			}
		}
		for _, k := range panel[:2] {
			c.must(c.court.Testify(c.auth(k), id, false))
		}
		// Back to the pool of four early witnesses.
		for _, k := range late {
			c.must(c.court.LeaveWitnesses(c.auth(k)))
		}
		c.pool(leaver)
	}
	if n, _ := c.court.WitnessCount(nil); n.Int64() != 4 {
		t.Fatalf("witnessCount = %s, want 4", n)
	}
	if pool, _ := c.court.WitnessPool(nil); len(pool) != 4 {
		t.Fatalf("witnessPool() has %d, want 4", len(pool))
	}
}
