// Package chain holds mf's Ethereum contracts and the Go code that deploys
// them and signs what they verify.
//
// The contracts live in contracts/ and are compiled with a pinned solc into
// build/; bind_*.go are their abigen bindings (MFT, Checkbook,
// CheckbookFactory, StakeRegistry, Court), committed and reproducible with
// `go generate`:
//
//   - MFT, the ERC20 "Mainframe Token" nodes pay each other in. Its deployer
//     is its only minter (a development chain's faucet).
//   - Checkbook, a node's MFT account. Its issuer signs EIP-712 cheques over
//     (checkbook, beneficiary, cumulative payout); anyone may cash one, which
//     pays the beneficiary the difference to what it was already paid, or
//     what is available to it, recording the rest as bounced. The issuer sets
//     hard deposits aside per beneficiary; a hard deposit pays only its
//     beneficiary's cheques and can be lowered only after an announcement
//     and the checkbook's notice period, so a cheque it covers stays good for
//     that long. The rest of the balance (the liquid balance) is guaranteed
//     to nobody: the issuer can cheque it to itself at any time.
//   - CheckbookFactory, which deploys checkbooks for their callers and
//     remembers them, so a peer can tell a genuine checkbook from any
//     contract that looks like one.
//   - StakeRegistry (swear): providers lock MFT for a service agreement with
//     a client; only the Court can forfeit a stake (court.go).
//   - Court (swindle): cases against staked agreements, decided from a
//     provider's signed promise and the data that proves it, or by a witness
//     majority; every verdict is an event and readable state.
//
// Beside the bindings the package has the few helpers the rest of mf needs
// to deploy contracts and wait for transactions, and the off-chain half of
// cheques: signing, verifying and the wire encoding (Cheque).
package chain

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Backend is a connection to a chain: an *ethclient.Client, or the client
// of go-ethereum's simulated backend in tests.
type Backend interface {
	bind.ContractBackend
	bind.DeployBackend
}

// ErrReverted means a transaction was mined but failed.
var ErrReverted = errors.New("chain: transaction reverted")

// Wait blocks until tx is mined and returns its receipt. A mined but failed
// transaction returns the receipt and an error wrapping ErrReverted.
//
// It polls every 25 ms (bind.WaitMined polls every second): a development
// chain seals a block as soon as a transaction arrives, and each wait
// would otherwise cost a second.
func Wait(ctx context.Context, b bind.DeployBackend, tx *types.Transaction) (*types.Receipt, error) {
	r, err := waitReceipt(ctx, b, tx)
	if err != nil {
		return nil, fmt.Errorf("chain: waiting for %s: %w", tx.Hash(), err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return r, fmt.Errorf("%w: %s", ErrReverted, tx.Hash())
	}
	return r, nil
}

// withContext returns a copy of auth that sends under ctx.
func withContext(ctx context.Context, auth *bind.TransactOpts) *bind.TransactOpts {
	a := *auth
	a.Context = ctx
	return &a
}

// waitDeployed waits for a contract creation and checks that code landed.
//
// The code is read at the receipt's block, not at "latest": a receipt can
// be found a moment before the chain's head moves to its block, and go-
// ethereum's bind.WaitDeployed, which reads at latest, then reported "no
// contract code after deployment" for a deployment that had worked.
func waitDeployed(ctx context.Context, b bind.DeployBackend, tx *types.Transaction, what string) (common.Address, error) {
	r, err := waitReceipt(ctx, b, tx)
	if err != nil {
		return common.Address{}, fmt.Errorf("chain: deploying %s: %w", what, err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return common.Address{}, fmt.Errorf("%w: deploying %s in %s", ErrReverted, what, tx.Hash())
	}
	if r.ContractAddress == (common.Address{}) {
		return common.Address{}, fmt.Errorf("chain: deploying %s: no contract address in the receipt of %s", what, tx.Hash())
	}
	// The block may not be readable yet: ask again for a while.
	t := time.NewTicker(25 * time.Millisecond)
	defer t.Stop()
	give := time.After(10 * time.Second)
	for {
		code, err := b.CodeAt(ctx, r.ContractAddress, r.BlockNumber)
		if err == nil && len(code) > 0 {
			return r.ContractAddress, nil
		}
		select {
		case <-ctx.Done():
			return common.Address{}, fmt.Errorf("chain: deploying %s: %w", what, ctx.Err())
		case <-give:
			return common.Address{}, fmt.Errorf("chain: deploying %s: no contract code at %s after %s (%v)", what, r.ContractAddress, tx.Hash(), err)
		case <-t.C:
		}
	}
}

// DeployToken deploys MFT with auth's account as its minter and waits until
// it is mined.
func DeployToken(ctx context.Context, b Backend, auth *bind.TransactOpts) (common.Address, *MFT, error) {
	b = WithGasMargin(b)
	_, tx, token, err := DeployMFT(withContext(ctx, auth), b)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("chain: deploying MFT: %w", err)
	}
	addr, err := waitDeployed(ctx, b, tx, "MFT")
	if err != nil {
		return common.Address{}, nil, err
	}
	return addr, token, nil
}

// Factory is a CheckbookFactory bound to the account that sends its
// transactions.
type Factory struct {
	*CheckbookFactory
	// Address is the factory's address.
	Address common.Address

	backend Backend
	auth    *bind.TransactOpts
}

// DeployFactory deploys a CheckbookFactory for the token at token, sending
// from auth, and waits until it is mined. The returned Factory sends later
// transactions from auth as well.
func DeployFactory(ctx context.Context, b Backend, auth *bind.TransactOpts, token common.Address) (*Factory, error) {
	b = WithGasMargin(b)
	_, tx, _, err := DeployCheckbookFactory(withContext(ctx, auth), b, token)
	if err != nil {
		return nil, fmt.Errorf("chain: deploying CheckbookFactory: %w", err)
	}
	addr, err := waitDeployed(ctx, b, tx, "CheckbookFactory")
	if err != nil {
		return nil, err
	}
	return NewFactory(addr, b, auth)
}

// NewFactory binds the CheckbookFactory at addr; auth sends its
// transactions and may be nil for a factory that is only read.
func NewFactory(addr common.Address, b Backend, auth *bind.TransactOpts) (*Factory, error) {
	b = WithGasMargin(b)
	f, err := NewCheckbookFactory(addr, b)
	if err != nil {
		return nil, fmt.Errorf("chain: binding CheckbookFactory: %w", err)
	}
	return &Factory{CheckbookFactory: f, Address: addr, backend: b, auth: auth}, nil
}

// DeployCheckbook deploys a checkbook owned by the factory's account (the
// factory deploys for its caller only) whose withdrawals and hard deposit
// decreases wait notice (whole seconds; less is rounded down), waits until it
// is mined and returns its address and binding. The factory records it as
// genuine and as checkbookOf(the account).
func (f *Factory) DeployCheckbook(ctx context.Context, notice time.Duration) (common.Address, *Checkbook, error) {
	if f.auth == nil {
		return common.Address{}, nil, errors.New("chain: factory has no account to send from")
	}
	if notice < 0 {
		return common.Address{}, nil, fmt.Errorf("chain: negative notice period %v", notice)
	}
	secs := new(big.Int).SetInt64(int64(notice / time.Second))
	tx, err := f.Deploy(withContext(ctx, f.auth), secs)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("chain: deploying checkbook: %w", err)
	}
	r, err := Wait(ctx, f.backend, tx)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("chain: deploying checkbook: %w", err)
	}
	for _, l := range r.Logs {
		if l.Address != f.Address {
			continue
		}
		ev, err := f.ParseCheckbookDeployed(*l)
		if err != nil {
			continue // another event of the factory
		}
		cb, err := NewCheckbook(ev.Checkbook, f.backend)
		if err != nil {
			return common.Address{}, nil, fmt.Errorf("chain: binding checkbook: %w", err)
		}
		return ev.Checkbook, cb, nil
	}
	return common.Address{}, nil, fmt.Errorf("chain: deploying checkbook: no CheckbookDeployed event in %s", tx.Hash())
}

// Genuine reports whether checkbook was deployed by this factory, and so
// runs the Checkbook code mf expects.
func (f *Factory) Genuine(ctx context.Context, checkbook common.Address) (bool, error) {
	ok, err := f.DeployedBy(&bind.CallOpts{Context: ctx}, checkbook)
	if err != nil {
		return false, fmt.Errorf("chain: asking factory about %s: %w", checkbook, err)
	}
	return ok, nil
}

// CheckbooksOf lists every genuine checkbook deployed for issuer, oldest
// first, from the factory's CheckbookDeployed events. A payer's history is
// the sum over all of them: deploying a fresh checkbook must not wipe out
// the bounces of the old one.
func (f *Factory) CheckbooksOf(ctx context.Context, issuer common.Address) ([]common.Address, error) {
	it, err := f.FilterCheckbookDeployed(&bind.FilterOpts{Context: ctx}, []common.Address{issuer})
	if err != nil {
		return nil, fmt.Errorf("chain: listing checkbooks of %s: %w", issuer, err)
	}
	defer it.Close()
	var out []common.Address
	for it.Next() {
		out = append(out, it.Event.Checkbook)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("chain: listing checkbooks of %s: %w", issuer, err)
	}
	return out, nil
}

// waitReceipt polls for tx's receipt, and then, where the backend tells
// its head, until the head has reached the receipt's block: a receipt can
// be found a moment before the head moves, and a caller that reads state at
// "latest" right after a wait must see what the transaction did.
func waitReceipt(ctx context.Context, b bind.DeployBackend, tx *types.Transaction) (*types.Receipt, error) {
	t := time.NewTicker(25 * time.Millisecond)
	defer t.Stop()
	var r *types.Receipt
	for r == nil {
		if got, err := b.TransactionReceipt(ctx, tx.Hash()); err == nil && got != nil {
			r = got
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	hb, ok := b.(interface {
		HeaderByNumber(context.Context, *big.Int) (*types.Header, error)
	})
	if !ok || r.BlockNumber == nil {
		return r, nil
	}
	give := time.After(10 * time.Second)
	for {
		if h, err := hb.HeaderByNumber(ctx, nil); err == nil && h.Number.Cmp(r.BlockNumber) >= 0 {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-give:
			return r, nil // a head that does not move is the caller's to notice
		case <-t.C:
		}
	}
}
