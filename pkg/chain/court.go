package chain

// Swear and swindle: the StakeRegistry and Court contracts (see
// contracts/StakeRegistry.sol and contracts/Court.sol for the rules), the
// helpers that deploy and wire them, and the off-chain half of what the
// court verifies: EIP-712 promises, witness panels and testimony.
//
// A provider stakes MFT behind an agreement (service, client, amount, term)
// in the registry. The client may open a case against the agreement in the
// court while the term runs, with one of two claims:
//
//   - a promise the provider signed (SignPromise) that it holds data whose
//     keccak256 is hash under key. The provider answers with the data before
//     the response window closes (not guilty), or after it anyone may call
//     judge (guilty: the stake goes to the client);
//   - a panel of witnesses the provider signed (SignPanel). The witnesses
//     testify, directly or with signed testimony (SignTestimony) anyone may
//     relay; the first majority is the verdict. Without a majority by the
//     end of the testimony window, judge dismisses the case.

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"time"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// The EIP-712 domain and types of the court, exactly as Court.sol has them.
const (
	// CourtDomainName is the EIP-712 domain name of every court.
	CourtDomainName = "Mainframe Court"
	// CourtDomainVersion is the EIP-712 domain version of every court.
	CourtDomainVersion = "1"
	// PromiseType is the EIP-712 encoded type of a provider's promise.
	PromiseType = "Promise(uint256 agreementId,bytes32 key,bytes32 hash)"
	// PanelType is the EIP-712 encoded type of a witness panel.
	PanelType = "Panel(uint256 agreementId,address[] witnesses)"
	// TestimonyType is the EIP-712 encoded type of a witness's testimony.
	TestimonyType = "Testimony(uint256 caseId,bool guilty)"
)

// MaxWitnesses is the most witnesses a case may call (Court.MAX_WITNESSES).
const MaxWitnesses = 7

var (
	courtNameHash      = crypto.Keccak256Hash([]byte(CourtDomainName))
	courtVerHash       = crypto.Keccak256Hash([]byte(CourtDomainVersion))
	promiseTypeHash    = crypto.Keccak256Hash([]byte(PromiseType))
	panelTypeHash      = crypto.Keccak256Hash([]byte(PanelType))
	testimonyTypeHash  = crypto.Keccak256Hash([]byte(TestimonyType))
	errNoSender        = errors.New("chain: no account to send from")
	errNegativeWindow  = errors.New("chain: court windows must be at least one second")
	errWitnessesCount  = fmt.Errorf("chain: need an odd number of witnesses, at most %d", MaxWitnesses)
	errServiceNameSize = errors.New("chain: service name must be 1 to 32 bytes")
)

var (
	// ErrBadSignature means a promise, panel or testimony signature is
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
	CaseDismissed                   // witness case without a majority; stake kept
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
	// TestimonyWindow is how long witnesses have to reach a majority.
	TestimonyWindow time.Duration
}

// DefaultCourtConfig are the windows mf deploys courts with: an hour to
// answer a promise, a day to testify.
var DefaultCourtConfig = CourtConfig{ResponseWindow: time.Hour, TestimonyWindow: 24 * time.Hour}

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
	_, tx, court, err := DeployCourt(withContext(ctx, auth), b, registry, resp, testi)
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

// OpenPromiseCase opens a promise case in the Court at court on agreement
// agreementID, sent from auth (the agreement's client), with the provider's
// signature over the promise (SignPromise); it returns the case id.
func OpenPromiseCase(ctx context.Context, b Backend, auth *bind.TransactOpts, court common.Address, agreementID *big.Int, key, hash [32]byte, sig []byte) (*big.Int, error) {
	b = WithGasMargin(b)
	if auth == nil {
		return nil, errNoSender
	}
	c, err := NewCourt(court, b)
	if err != nil {
		return nil, fmt.Errorf("chain: binding Court: %w", err)
	}
	tx, err := c.OpenPromiseCase(withContext(ctx, auth), agreementID, key, hash, sig)
	return caseOpened(ctx, b, c, court, tx, err)
}

// OpenWitnessCase opens a witness case in the Court at court on agreement
// agreementID, sent from auth (the agreement's client), calling panel with
// the provider's signature over it (SignPanel); it returns the case id.
func OpenWitnessCase(ctx context.Context, b Backend, auth *bind.TransactOpts, court common.Address, agreementID *big.Int, panel []common.Address, sig []byte) (*big.Int, error) {
	b = WithGasMargin(b)
	if auth == nil {
		return nil, errNoSender
	}
	if len(panel)%2 != 1 || len(panel) > MaxWitnesses {
		return nil, errWitnessesCount
	}
	c, err := NewCourt(court, b)
	if err != nil {
		return nil, fmt.Errorf("chain: binding Court: %w", err)
	}
	tx, err := c.OpenWitnessCase(withContext(ctx, auth), agreementID, panel, sig)
	return caseOpened(ctx, b, c, court, tx, err)
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
// Court.promiseDigest returns, to promise it holds data whose keccak256 is
// hash under key, for agreement agreementID, to the court at court on the
// chain chainID.
func PromiseDigest(chainID *big.Int, court common.Address, agreementID *big.Int, key, hash [32]byte) (common.Hash, error) {
	// structHash = keccak256(abi.encode(PROMISE_TYPEHASH, agreementId, key, hash))
	var st [4 * 32]byte
	copy(st[0:], promiseTypeHash[:])
	if err := putUint256(st[32:], agreementID); err != nil {
		return common.Hash{}, fmt.Errorf("chain: agreement id: %w", err)
	}
	copy(st[64:], key[:])
	copy(st[96:], hash[:])
	return courtDigest(chainID, court, crypto.Keccak256Hash(st[:]))
}

// PanelDigest is the EIP-712 digest a provider signs, and Court.panelDigest
// returns, to accept panel, in this order, as the witnesses for agreement
// agreementID.
func PanelDigest(chainID *big.Int, court common.Address, agreementID *big.Int, panel []common.Address) (common.Hash, error) {
	// An address[] member is keccak256 of its elements, each padded to 32 bytes.
	list := make([]byte, 32*len(panel))
	for i, a := range panel {
		copy(list[32*i+12:], a[:])
	}
	lh := crypto.Keccak256Hash(list)
	// structHash = keccak256(abi.encode(PANEL_TYPEHASH, agreementId, listHash))
	var st [3 * 32]byte
	copy(st[0:], panelTypeHash[:])
	if err := putUint256(st[32:], agreementID); err != nil {
		return common.Hash{}, fmt.Errorf("chain: agreement id: %w", err)
	}
	copy(st[64:], lh[:])
	return courtDigest(chainID, court, crypto.Keccak256Hash(st[:]))
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

// SignPromise signs, with the provider's key, its promise to the court at
// court on the chain chainID that it holds data whose keccak256 is hash
// under key, for agreement agreementID. The client opens a promise case
// with it (OpenPromiseCase).
func SignPromise(priv *ecdsa.PrivateKey, chainID *big.Int, court common.Address, agreementID *big.Int, key, hash [32]byte) ([]byte, error) {
	h, err := PromiseDigest(chainID, court, agreementID, key, hash)
	if err != nil {
		return nil, err
	}
	return signDigest(priv, h, "promise")
}

// SignPanel signs, with the provider's key, its acceptance of panel as the
// witnesses for agreement agreementID. The client opens a witness case with
// it (OpenWitnessCase).
func SignPanel(priv *ecdsa.PrivateKey, chainID *big.Int, court common.Address, agreementID *big.Int, panel []common.Address) ([]byte, error) {
	h, err := PanelDigest(chainID, court, agreementID, panel)
	if err != nil {
		return nil, err
	}
	return signDigest(priv, h, "panel")
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

// RecoverSigner returns who signed digest (from PromiseDigest, PanelDigest
// or TestimonyDigest), checking sig by the court's rules: 65 bytes
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
