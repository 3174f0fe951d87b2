package chain

// Swear and swindle: the StakeRegistry and Court contracts (see
// contracts/StakeRegistry.sol and contracts/Court.sol for the rules), the
// helpers that deploy and wire them, and the off-chain half of what the
// court verifies: EIP-712 promises and testimony.
//
// A provider stakes MFT behind an agreement (service, client, amount, term)
// in the registry, and signs promises (SignPromise) that it holds data under
// a key: the Merkle root over the data's chunks and their count (pkg/proof).
// The client may open a case on such a promise while the term runs:
//
//   - a promise case: a seed fixed by the block after the opening picks
//     chunks; the provider answers with them and their Merkle paths before
//     the response window closes (Respond: not guilty), or after it anyone
//     may call judge (guilty: the stake goes to the client);
//   - a witness case: the same seed draws a panel from the court's pool of
//     staked witnesses (DrawPanel); each witness asks the provider for
//     chunks itself and testifies, directly or with signed testimony
//     (SignTestimony) anyone may relay; the first majority is the verdict.
//     Without a majority by the end of the testimony window, judge
//     dismisses the case and the silent witnesses lose a little stake.

import (
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/proof"
)

// The EIP-712 domain and types of the court, exactly as Court.sol has them.
const (
	// CourtDomainName is the EIP-712 domain name of every court.
	CourtDomainName = "Mainframe Court"
	// CourtDomainVersion is the EIP-712 domain version of every court.
	CourtDomainVersion = "2"
	// PromiseType is the EIP-712 encoded type of a provider's promise.
	PromiseType = "Promise(uint256 agreementId,bytes32 key,bytes32 root,uint64 chunks)"
	// TestimonyType is the EIP-712 encoded type of a witness's testimony.
	TestimonyType = "Testimony(uint256 caseId,bool guilty)"
	// ReleaseType is the EIP-712 encoded type of a client's release.
	ReleaseType = "Release(uint256 agreementId,bytes32 root,uint64 count)"
)

// MaxWitnesses is the most witnesses a case may call (Court.MAX_WITNESSES).
const MaxWitnesses = 7

var (
	courtNameHash      = crypto.Keccak256Hash([]byte(CourtDomainName))
	courtVerHash       = crypto.Keccak256Hash([]byte(CourtDomainVersion))
	promiseTypeHash    = crypto.Keccak256Hash([]byte(PromiseType))
	testimonyTypeHash  = crypto.Keccak256Hash([]byte(TestimonyType))
	releaseTypeHash    = crypto.Keccak256Hash([]byte(ReleaseType))
	errNoSender        = errors.New("chain: no account to send from")
	errNegativeWindow  = errors.New("chain: court windows must be at least one second")
	errWitnessesCount  = fmt.Errorf("chain: need an odd number of witnesses, at most %d", MaxWitnesses)
	errServiceNameSize = errors.New("chain: service name must be 1 to 32 bytes")
)

var (
	// ErrBadSignature means a promise or testimony signature is
	// malformed or not in the form the court accepts (65 bytes r || s || v,
	// v 27 or 28, low s).
	ErrBadSignature = errors.New("chain: invalid signature")
	// ErrBalance means a stake is larger than the provider's MFT balance.
	ErrBalance = errors.New("chain: amount above balance")
)

// AgreementStatus is StakeRegistry.Status: where an agreement stands.
type AgreementStatus uint8

// The values of StakeRegistry.Status. Expiry is not a status: an agreement
// is expired once the latest block's time is at or past its term.
const (
	AgreementNone     AgreementStatus = iota // no such agreement
	AgreementStaked                          // the stake is held
	AgreementUnstaked                        // returned to the provider
	AgreementSlashed                         // forfeited to the client
)

func (s AgreementStatus) String() string {
	switch s {
	case AgreementNone:
		return "none"
	case AgreementStaked:
		return "staked"
	case AgreementUnstaked:
		return "unstaked"
	case AgreementSlashed:
		return "slashed"
	}
	return fmt.Sprintf("AgreementStatus(%d)", uint8(s))
}

// CaseKind is Court.Kind: what decides a case.
type CaseKind uint8

// The values of Court.Kind.
const (
	PromiseCase CaseKind = iota // a signed promise and the response that keeps it
	WitnessCase                 // the majority of a panel of witnesses
)

func (k CaseKind) String() string {
	switch k {
	case PromiseCase:
		return "promise"
	case WitnessCase:
		return "witness"
	}
	return fmt.Sprintf("CaseKind(%d)", uint8(k))
}

// CaseStatus is Court.Status: where a case stands.
type CaseStatus uint8

// The values of Court.Status.
const (
	CaseNone      CaseStatus = iota // no such case
	CaseOpen                        // waiting for a response, testimony or judge
	CaseGuilty                      // stake forfeited to the plaintiff
	CaseNotGuilty                   // stake kept
	CaseDismissed                   // witness case without a majority, or a released promise; stake kept
)

func (s CaseStatus) String() string {
	switch s {
	case CaseNone:
		return "none"
	case CaseOpen:
		return "open"
	case CaseGuilty:
		return "guilty"
	case CaseNotGuilty:
		return "not guilty"
	case CaseDismissed:
		return "dismissed"
	}
	return fmt.Sprintf("CaseStatus(%d)", uint8(s))
}

// Testimony is Court.Testimony: what a called witness said.
type Testimony uint8

// The values of Court.Testimony.
const (
	TestimonyNone      Testimony = iota // not a witness of the case
	TestimonyCalled                     // called, has not testified
	TestimonyGuilty                     // testified guilty
	TestimonyNotGuilty                  // testified not guilty
)

// ServiceID encodes a service name ("hold", "store", "db") as the bytes32 a
// StakeRegistry agreement holds: its UTF-8 bytes, left-aligned, zero-padded,
// as Solidity's bytes32("hold"). The name must be 1 to 32 bytes of valid
// UTF-8 without NUL.
func ServiceID(name string) ([32]byte, error) {
	var id [32]byte
	if len(name) == 0 || len(name) > 32 {
		return id, fmt.Errorf("%w: %q", errServiceNameSize, name)
	}
	if !utf8.ValidString(name) {
		return id, fmt.Errorf("chain: service name %q is not UTF-8", name)
	}
	for i := 0; i < len(name); i++ {
		if name[i] == 0 {
			return id, fmt.Errorf("chain: service name %q contains NUL", name)
		}
	}
	copy(id[:], name)
	return id, nil
}

// ServiceName decodes what ServiceID encodes: the bytes up to the first
// zero byte.
func ServiceName(id [32]byte) string {
	n := 0
	for n < len(id) && id[n] != 0 {
		n++
	}
	return string(id[:n])
}

// CourtConfig are a Court's constructor parameters.
type CourtConfig struct {
	// ResponseWindow is how long a provider has to answer a promise case.
	ResponseWindow time.Duration
	// TestimonyWindow is how long a drawn panel has to reach a majority
	// (and the parties to draw it once the case is open).
	TestimonyWindow time.Duration
	// WitnessStake is what a witness locks to join the pool, in MFT base
	// units; nil means 10 MFT.
	WitnessStake *big.Int
	// WitnessPenalty is what a drawn witness that does not testify loses,
	// at most WitnessStake; nil means 1 MFT.
	WitnessPenalty *big.Int
}

// DefaultCourtConfig are the windows mf deploys courts with: an hour to
// answer a promise, a day to testify; 10 MFT to witness, 1 MFT lost for
// silence.
var DefaultCourtConfig = CourtConfig{ResponseWindow: time.Hour, TestimonyWindow: 24 * time.Hour}

// DefaultWitnessStake and DefaultWitnessPenalty are a CourtConfig's
// defaults: 10 MFT and 1 MFT.
var (
	DefaultWitnessStake   = new(big.Int).Mul(big.NewInt(10), big.NewInt(1e18))
	DefaultWitnessPenalty = big.NewInt(1e18)
)

// DeployRegistry deploys a StakeRegistry for the token at token, sending
// from auth, and waits until it is mined. auth's account is the registry's
// deployer, the only one that may set its court (see DeployCourtFor); until
// then the registry takes no stakes.
func DeployRegistry(ctx context.Context, b Backend, auth *bind.TransactOpts, token common.Address) (common.Address, *StakeRegistry, error) {
	b = WithGasMargin(b)
	_, tx, reg, err := DeployStakeRegistry(withContext(ctx, auth), b, token)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("chain: deploying StakeRegistry: %w", err)
	}
	addr, err := waitDeployed(ctx, b, tx, "StakeRegistry")
	if err != nil {
		return common.Address{}, nil, err
	}
	return addr, reg, nil
}

// DeployCourtFor deploys a Court judging the StakeRegistry at registry with
// cfg's windows (whole seconds, at least one), then sets it as the
// registry's court, both sent from auth, which must be the registry's
// deployer. It waits for both and returns the court's address and binding.
func DeployCourtFor(ctx context.Context, b Backend, auth *bind.TransactOpts, registry common.Address, cfg CourtConfig) (common.Address, *Court, error) {
	b = WithGasMargin(b)
	resp, testi := uint64(cfg.ResponseWindow/time.Second), uint64(cfg.TestimonyWindow/time.Second)
	if cfg.ResponseWindow < time.Second || cfg.TestimonyWindow < time.Second {
		return common.Address{}, nil, errNegativeWindow
	}
	stake, penalty := cfg.WitnessStake, cfg.WitnessPenalty
	if stake == nil {
		stake = DefaultWitnessStake
	}
	if penalty == nil {
		penalty = DefaultWitnessPenalty
	}
	_, tx, court, err := DeployCourt(withContext(ctx, auth), b, registry, resp, testi, stake, penalty)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("chain: deploying Court: %w", err)
	}
	addr, err := waitDeployed(ctx, b, tx, "Court")
	if err != nil {
		return common.Address{}, nil, err
	}
	reg, err := NewStakeRegistry(registry, b)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("chain: binding StakeRegistry: %w", err)
	}
	tx, err = reg.SetCourt(withContext(ctx, auth), addr)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("chain: setting the registry's court: %w", err)
	}
	if _, err := Wait(ctx, b, tx); err != nil {
		return common.Address{}, nil, fmt.Errorf("chain: setting the registry's court: %w", err)
	}
	return addr, court, nil
}

// Stake locks amount of auth's MFT in the StakeRegistry at registry for an
// agreement to provide service to client until term, and returns the new
// agreement's id. It approves the registry for amount first when the
// allowance is short. An amount above the balance (ErrBalance), a term not
// in the future by the latest block's clock, a zero amount or a client that
// is the provider are refused before anything is sent.
func Stake(ctx context.Context, b Backend, auth *bind.TransactOpts, registry common.Address, service [32]byte, client common.Address, amount *big.Int, term time.Time) (*big.Int, error) {
	b = WithGasMargin(b)
	if auth == nil {
		return nil, errNoSender
	}
	if amount == nil || amount.Sign() <= 0 || amount.BitLen() > 256 {
		return nil, fmt.Errorf("chain: stake: %w", ErrAmount)
	}
	if client == auth.From {
		return nil, errors.New("chain: stake: the provider cannot be its own client")
	}
	head, err := b.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("chain: stake: reading the latest block: %w", err)
	}
	if term.Unix() <= int64(head.Time) {
		return nil, fmt.Errorf("chain: stake: term %s is not after the chain's time %s",
			term.UTC().Format(time.RFC3339), time.Unix(int64(head.Time), 0).UTC().Format(time.RFC3339))
	}
	reg, err := NewStakeRegistry(registry, b)
	if err != nil {
		return nil, fmt.Errorf("chain: binding StakeRegistry: %w", err)
	}
	call := &bind.CallOpts{Context: ctx}
	tokenAddr, err := reg.Token(call)
	if err != nil {
		return nil, fmt.Errorf("chain: stake: reading the registry's token: %w", err)
	}
	token, err := NewMFT(tokenAddr, b)
	if err != nil {
		return nil, fmt.Errorf("chain: binding MFT: %w", err)
	}
	have, err := token.BalanceOf(call, auth.From)
	if err != nil {
		return nil, fmt.Errorf("chain: stake: reading the balance: %w", err)
	}
	if have.Cmp(amount) < 0 {
		return nil, fmt.Errorf("%w: staking %s, balance %s", ErrBalance, amount, have)
	}
	allowed, err := token.Allowance(call, auth.From, registry)
	if err != nil {
		return nil, fmt.Errorf("chain: stake: reading the allowance: %w", err)
	}
	if allowed.Cmp(amount) < 0 {
		tx, err := token.Approve(withContext(ctx, auth), registry, amount)
		if err != nil {
			return nil, fmt.Errorf("chain: stake: approving the registry: %w", err)
		}
		if _, err := Wait(ctx, b, tx); err != nil {
			return nil, fmt.Errorf("chain: stake: approving the registry: %w", err)
		}
	}
	tx, err := reg.Stake(withContext(ctx, auth), service, client, amount, uint64(term.Unix()))
	if err != nil {
		return nil, fmt.Errorf("chain: stake: %w", err)
	}
	r, err := Wait(ctx, b, tx)
	if err != nil {
		return nil, fmt.Errorf("chain: stake: %w", err)
	}
	for _, l := range r.Logs {
		if l.Address != registry {
			continue
		}
		if ev, err := reg.ParseStaked(*l); err == nil {
			return ev.Id, nil
		}
	}
	return nil, fmt.Errorf("chain: stake: no Staked event in %s", tx.Hash())
}

// Promise is what a provider promises: under Key, data whose Merkle root
// over Chunks chunks is Root (pkg/proof), for agreement Agreement.
type Promise struct {
	Agreement *big.Int
	Key       [32]byte
	Root      [32]byte
	Chunks    uint64
}

// sendingCourt binds the Court at court for a transaction from auth, with
// the gas margin every sender here uses.
func sendingCourt(b Backend, auth *bind.TransactOpts, court common.Address) (Backend, *Court, error) {
	if auth == nil {
		return nil, nil, errNoSender
	}
	b = WithGasMargin(b)
	c, err := NewCourt(court, b)
	if err != nil {
		return nil, nil, fmt.Errorf("chain: binding Court: %w", err)
	}
	return b, c, nil
}

// OpenPromiseCase opens a promise case in the Court at court on promise p,
// sent from auth (the agreement's client), with the provider's signature
// over it (SignPromise); it returns the case id.
func OpenPromiseCase(ctx context.Context, b Backend, auth *bind.TransactOpts, court common.Address, p Promise, sig []byte) (*big.Int, error) {
	b, c, err := sendingCourt(b, auth, court)
	if err != nil {
		return nil, err
	}
	tx, err := c.OpenPromiseCase(withContext(ctx, auth), p.Agreement, p.Key, p.Root, p.Chunks, sig)
	return caseOpened(ctx, b, c, court, tx, err)
}

// OpenWitnessCase opens a witness case in the Court at court on promise p,
// sent from auth (the agreement's client), with the provider's signature
// over it; a panel of panelSize witnesses (odd, at most MaxWitnesses) is
// drawn from the court's pool with DrawPanel once the next block is mined.
// It returns the case id.
func OpenWitnessCase(ctx context.Context, b Backend, auth *bind.TransactOpts, court common.Address, p Promise, sig []byte, panelSize int) (*big.Int, error) {
	b = WithGasMargin(b)
	if auth == nil {
		return nil, errNoSender
	}
	if panelSize%2 != 1 || panelSize > MaxWitnesses || panelSize < 0 {
		return nil, errWitnessesCount
	}
	c, err := NewCourt(court, b)
	if err != nil {
		return nil, fmt.Errorf("chain: binding Court: %w", err)
	}
	tx, err := c.OpenWitnessCase(withContext(ctx, auth), p.Agreement, p.Key, p.Root, p.Chunks, sig, uint8(panelSize))
	return caseOpened(ctx, b, c, court, tx, err)
}

// ErrSeedNotReady means a case's seed block is not mined yet: its
// challenge or panel cannot be drawn before the next block.
var ErrSeedNotReady = errors.New("chain: the case's seed block is not mined yet")

// ErrSeedFixed means the seed of a case is already fixed (its panel
// drawn): nothing to draw.
var ErrSeedFixed = errors.New("chain: the case's seed is already fixed")

// ErrSeedMoved means a case's seed block fell out of blockhash's reach
// before the seed was fixed, and DrawChallenge or DrawPanel moved it to the
// next block: call again after it.
var ErrSeedMoved = errors.New("chain: the case's seed block was out of reach and moved to the next block")

// ErrSeedOutOfReach means a case's seed block is more than 256 blocks
// back and the seed was never fixed: DrawChallenge (or DrawPanel) moves it
// to the next block.
var ErrSeedOutOfReach = errors.New("chain: the case's seed block is out of blockhash's reach")

// Challenge returns the seed of case caseID and the chunk indices a
// promise case asks for, computed here with pkg/proof from the seed
// block's hash exactly as the court computes them. ErrSeedNotReady until a
// block after the seed block is mined (a transaction can use the seed only
// from then); ErrSeedOutOfReach when the seed block is out of reach and
// the seed was never fixed.
func Challenge(ctx context.Context, b Backend, court common.Address, caseID *big.Int) (proof.Hash, []uint64, error) {
	c, err := NewCourt(court, b)
	if err != nil {
		return proof.Hash{}, nil, fmt.Errorf("chain: binding Court: %w", err)
	}
	cs, err := c.Cases(&bind.CallOpts{Context: ctx}, caseID)
	if err != nil {
		return proof.Hash{}, nil, fmt.Errorf("chain: reading case %s: %w", caseID, err)
	}
	if CaseStatus(cs.Status) == CaseNone {
		return proof.Hash{}, nil, fmt.Errorf("chain: no case %s", caseID)
	}
	seed := proof.Hash(cs.Seed)
	if seed == (proof.Hash{}) {
		head, err := b.HeaderByNumber(ctx, nil)
		if err != nil {
			return proof.Hash{}, nil, fmt.Errorf("chain: reading the latest block: %w", err)
		}
		n := head.Number.Uint64()
		switch {
		case n <= cs.SeedBlock:
			return proof.Hash{}, nil, ErrSeedNotReady
		case n-cs.SeedBlock >= 256:
			return proof.Hash{}, nil, ErrSeedOutOfReach
		}
		h, err := b.HeaderByNumber(ctx, new(big.Int).SetUint64(cs.SeedBlock))
		if err != nil {
			return proof.Hash{}, nil, fmt.Errorf("chain: reading the seed block: %w", err)
		}
		seed = proof.Seed(proof.Hash(h.Hash()), caseID)
	}
	return seed, proof.Indices(seed, cs.Chunks), nil
}

// Respond answers promise case caseID with answer: the chunks its
// challenge asks for, in order, with their Merkle paths (proof.Tree.Answer).
func Respond(ctx context.Context, b Backend, auth *bind.TransactOpts, court common.Address, caseID *big.Int, answer []proof.Proof) (*types.Receipt, error) {
	b, c, err := sendingCourt(b, auth, court)
	if err != nil {
		return nil, err
	}
	chunks, paths := AnswerArgs(answer)
	tx, err := c.Respond(withContext(ctx, auth), caseID, chunks, paths)
	if err != nil {
		return nil, fmt.Errorf("chain: responding: %w", err)
	}
	return Wait(ctx, b, tx)
}

// AnswerArgs turns an answer into Court.respond's arguments.
func AnswerArgs(answer []proof.Proof) ([][]byte, [][][32]byte) {
	chunks := make([][]byte, len(answer))
	paths := make([][][32]byte, len(answer))
	for i, p := range answer {
		chunks[i] = p.Chunk
		paths[i] = make([][32]byte, len(p.Path))
		for j, h := range p.Path {
			paths[i][j] = h
		}
	}
	return chunks, paths
}

// DrawPanel draws the panel of witness case caseID (Court.drawPanel) and
// returns who was called. ErrSeedNotReady before the seed block is mined;
// ErrSeedMoved when the seed block was out of reach and moved.
func DrawPanel(ctx context.Context, b Backend, auth *bind.TransactOpts, court common.Address, caseID *big.Int) ([]common.Address, error) {
	return drawSeed(ctx, b, auth, court, caseID, true)
}

// DrawChallenge fixes the seed of promise case caseID
// (Court.drawChallenge), so that nobody can wait for its seed block to fall
// out of reach. ErrSeedNotReady before the seed block is mined;
// ErrSeedMoved when it was out of reach and moved.
func DrawChallenge(ctx context.Context, b Backend, auth *bind.TransactOpts, court common.Address, caseID *big.Int) error {
	_, err := drawSeed(ctx, b, auth, court, caseID, false)
	return err
}

func drawSeed(ctx context.Context, b Backend, auth *bind.TransactOpts, court common.Address, caseID *big.Int, panel bool) ([]common.Address, error) {
	b, c, err := sendingCourt(b, auth, court)
	if err != nil {
		return nil, err
	}
	var tx *types.Transaction
	if panel {
		tx, err = c.DrawPanel(withContext(ctx, auth), caseID)
	} else {
		tx, err = c.DrawChallenge(withContext(ctx, auth), caseID)
	}
	if err != nil {
		if strings.Contains(err.Error(), "seed block not mined yet") {
			return nil, ErrSeedNotReady
		}
		if strings.Contains(err.Error(), "panel already drawn") || strings.Contains(err.Error(), "seed already fixed") {
			return nil, ErrSeedFixed
		}
		return nil, fmt.Errorf("chain: drawing: %w", err)
	}
	r, err := Wait(ctx, b, tx)
	if err != nil {
		return nil, fmt.Errorf("chain: drawing: %w", err)
	}
	var called []common.Address
	for _, l := range r.Logs {
		if l.Address != court {
			continue
		}
		if _, err := c.ParseSeedMoved(*l); err == nil {
			return nil, ErrSeedMoved
		}
		if ev, err := c.ParseWitnessCalled(*l); err == nil {
			called = append(called, ev.Witness)
		}
	}
	return called, nil
}

// caseOpened waits for an openPromiseCase or openWitnessCase transaction
// and returns the id its CaseOpened event carries.
func caseOpened(ctx context.Context, b Backend, c *Court, court common.Address, tx *types.Transaction, err error) (*big.Int, error) {
	if err != nil {
		return nil, fmt.Errorf("chain: opening case: %w", err)
	}
	r, err := Wait(ctx, b, tx)
	if err != nil {
		return nil, fmt.Errorf("chain: opening case: %w", err)
	}
	for _, l := range r.Logs {
		if l.Address != court {
			continue
		}
		if ev, err := c.ParseCaseOpened(*l); err == nil {
			return ev.CaseId, nil
		}
	}
	return nil, fmt.Errorf("chain: opening case: no CaseOpened event in %s", tx.Hash())
}

// courtDigest is the EIP-712 digest of structHash in the court domain of
// court on the chain chainID.
func courtDigest(chainID *big.Int, court common.Address, structHash common.Hash) (common.Hash, error) {
	// domainSeparator = keccak256(abi.encode(typeHash, name, version, chainId, court))
	var dom [5 * 32]byte
	copy(dom[0:], domainTypeHash[:])
	copy(dom[32:], courtNameHash[:])
	copy(dom[64:], courtVerHash[:])
	if err := putUint256(dom[96:], chainID); err != nil {
		return common.Hash{}, fmt.Errorf("chain: chain id: %w", err)
	}
	copy(dom[128+12:], court[:])
	ds := crypto.Keccak256Hash(dom[:])

	// digest = keccak256("\x19\x01" || domainSeparator || structHash)
	var msg [2 + 64]byte
	msg[0], msg[1] = 0x19, 0x01
	copy(msg[2:], ds[:])
	copy(msg[34:], structHash[:])
	return crypto.Keccak256Hash(msg[:]), nil
}

// PromiseDigest is the EIP-712 digest a provider signs, and
// Court.promiseDigest returns, to promise p to the court at court on the
// chain chainID.
func PromiseDigest(chainID *big.Int, court common.Address, p Promise) (common.Hash, error) {
	// structHash = keccak256(abi.encode(PROMISE_TYPEHASH, agreementId, key, root, chunks))
	var st [5 * 32]byte
	copy(st[0:], promiseTypeHash[:])
	if err := putUint256(st[32:], p.Agreement); err != nil {
		return common.Hash{}, fmt.Errorf("chain: agreement id: %w", err)
	}
	copy(st[64:], p.Key[:])
	copy(st[96:], p.Root[:])
	binary.BigEndian.PutUint64(st[152:], p.Chunks)
	return courtDigest(chainID, court, crypto.Keccak256Hash(st[:]))
}

// Release is a client's release of its provider from the promises under
// an agreement whose keys are the Count leaves (proof.Leaf of each 32-byte
// key) of the Merkle tree with root Root.
type Release struct {
	Agreement *big.Int
	Root      [32]byte
	Count     uint64
}

// ReleaseDigest is the EIP-712 digest a client signs, and
// Court.releaseDigest returns, to release r at the court at court on the
// chain chainID.
func ReleaseDigest(chainID *big.Int, court common.Address, r Release) (common.Hash, error) {
	// structHash = keccak256(abi.encode(RELEASE_TYPEHASH, agreementId, root, count))
	var st [4 * 32]byte
	copy(st[0:], releaseTypeHash[:])
	if err := putUint256(st[32:], r.Agreement); err != nil {
		return common.Hash{}, fmt.Errorf("chain: agreement id: %w", err)
	}
	copy(st[64:], r.Root[:])
	binary.BigEndian.PutUint64(st[120:], r.Count)
	return courtDigest(chainID, court, crypto.Keccak256Hash(st[:]))
}

// SignRelease signs, with the client's key, release r for the court at
// court on the chain chainID. The provider dismisses a case on a released
// promise with it (DismissReleased).
func SignRelease(priv *ecdsa.PrivateKey, chainID *big.Int, court common.Address, r Release) ([]byte, error) {
	h, err := ReleaseDigest(chainID, court, r)
	if err != nil {
		return nil, err
	}
	return signDigest(priv, h, "release")
}

// DismissReleased dismisses case caseID with the client's release r
// (signature sig), showing with path that the case's key is leaf index of
// r's tree.
func DismissReleased(ctx context.Context, b Backend, auth *bind.TransactOpts, court common.Address, caseID *big.Int, r Release, index uint64, path []proof.Hash, sig []byte) (*types.Receipt, error) {
	b, c, err := sendingCourt(b, auth, court)
	if err != nil {
		return nil, err
	}
	p := make([][32]byte, len(path))
	for i, h := range path {
		p[i] = h
	}
	tx, err := c.DismissReleased(withContext(ctx, auth), caseID, r.Root, r.Count, new(big.Int).SetUint64(index), p, sig)
	if err != nil {
		return nil, fmt.Errorf("chain: dismissing with a release: %w", err)
	}
	return Wait(ctx, b, tx)
}

// TestimonyDigest is the EIP-712 digest a witness signs, and
// Court.testimonyDigest returns, to testify guilty or not in case caseID.
func TestimonyDigest(chainID *big.Int, court common.Address, caseID *big.Int, guilty bool) (common.Hash, error) {
	// structHash = keccak256(abi.encode(TESTIMONY_TYPEHASH, caseId, guilty))
	var st [3 * 32]byte
	copy(st[0:], testimonyTypeHash[:])
	if err := putUint256(st[32:], caseID); err != nil {
		return common.Hash{}, fmt.Errorf("chain: case id: %w", err)
	}
	if guilty {
		st[95] = 1
	}
	return courtDigest(chainID, court, crypto.Keccak256Hash(st[:]))
}

// signDigest signs h in the form the contracts take: r || s || v, v 27 or 28.
func signDigest(key *ecdsa.PrivateKey, h common.Hash, what string) ([]byte, error) {
	sig, err := crypto.Sign(h[:], key)
	if err != nil {
		return nil, fmt.Errorf("chain: signing %s: %w", what, err)
	}
	sig[64] += 27
	return sig, nil
}

// SignPromise signs, with the provider's key, promise p to the court at
// court on the chain chainID. The client opens a case with it
// (OpenPromiseCase, OpenWitnessCase).
func SignPromise(priv *ecdsa.PrivateKey, chainID *big.Int, court common.Address, p Promise) ([]byte, error) {
	h, err := PromiseDigest(chainID, court, p)
	if err != nil {
		return nil, err
	}
	return signDigest(priv, h, "promise")
}

// SignTestimony signs, with a witness's key, its testimony in case caseID,
// for anyone to relay with Court.testifySigned.
func SignTestimony(priv *ecdsa.PrivateKey, chainID *big.Int, court common.Address, caseID *big.Int, guilty bool) ([]byte, error) {
	h, err := TestimonyDigest(chainID, court, caseID, guilty)
	if err != nil {
		return nil, err
	}
	return signDigest(priv, h, "testimony")
}

// RecoverSigner returns who signed digest (from PromiseDigest or
// TestimonyDigest), checking sig by the court's rules: 65 bytes
// r || s || v, v 27 or 28, low s. Whether the signer is the right one is
// the caller's question.
func RecoverSigner(digest common.Hash, sig []byte) (common.Address, error) {
	if len(sig) != 65 {
		return common.Address{}, fmt.Errorf("%w: %d bytes", ErrBadSignature, len(sig))
	}
	v := sig[64]
	if v != 27 && v != 28 {
		return common.Address{}, fmt.Errorf("%w: v is %d", ErrBadSignature, v)
	}
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:64])
	if !crypto.ValidateSignatureValues(v-27, r, s, true) {
		return common.Address{}, fmt.Errorf("%w: r or s out of range", ErrBadSignature)
	}
	var rsv [65]byte
	copy(rsv[:], sig)
	rsv[64] = v - 27
	pub, err := crypto.SigToPub(digest[:], rsv[:])
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}

// RecoverKey is RecoverSigner returning the signer's public key: a witness
// finds the provider's node from the key that signed its promise.
func RecoverKey(digest common.Hash, sig []byte) (*ecdsa.PublicKey, error) {
	if _, err := RecoverSigner(digest, sig); err != nil {
		return nil, err
	}
	var rsv [65]byte
	copy(rsv[:], sig)
	rsv[64] -= 27
	pub, err := crypto.SigToPub(digest[:], rsv[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return pub, nil
}

// JoinWitnesses puts auth's account in the witness pool of the Court at
// court, approving the court for its witness stake first when the
// allowance is short.
func JoinWitnesses(ctx context.Context, b Backend, auth *bind.TransactOpts, court common.Address) error {
	b, c, err := sendingCourt(b, auth, court)
	if err != nil {
		return err
	}
	call := &bind.CallOpts{Context: ctx}
	stake, err := c.WitnessStake(call)
	if err != nil {
		return fmt.Errorf("chain: reading the witness stake: %w", err)
	}
	held, err := c.WitnessBalance(call, auth.From)
	if err != nil {
		return fmt.Errorf("chain: reading the witness stake: %w", err)
	}
	if need := new(big.Int).Sub(stake, held); need.Sign() > 0 {
		tokenAddr, err := c.Token(call)
		if err != nil {
			return fmt.Errorf("chain: reading the court's token: %w", err)
		}
		token, err := NewMFT(tokenAddr, b)
		if err != nil {
			return fmt.Errorf("chain: binding MFT: %w", err)
		}
		have, err := token.BalanceOf(call, auth.From)
		if err != nil {
			return fmt.Errorf("chain: reading the balance: %w", err)
		}
		if have.Cmp(need) < 0 {
			return fmt.Errorf("%w: the witness stake is %s, balance %s", ErrBalance, need, have)
		}
		allowed, err := token.Allowance(call, auth.From, court)
		if err != nil {
			return fmt.Errorf("chain: reading the allowance: %w", err)
		}
		if allowed.Cmp(need) < 0 {
			tx, err := token.Approve(withContext(ctx, auth), court, need)
			if err == nil {
				_, err = Wait(ctx, b, tx)
			}
			if err != nil {
				return fmt.Errorf("chain: approving the court: %w", err)
			}
		}
	}
	tx, err := c.JoinWitnesses(withContext(ctx, auth))
	if err == nil {
		_, err = Wait(ctx, b, tx)
	}
	if err != nil {
		return fmt.Errorf("chain: joining the witnesses: %w", err)
	}
	return nil
}
