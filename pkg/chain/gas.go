package chain

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
)

// GasLimit is the gas limit mf gives a transaction whose eth_estimateGas
// came to estimate: a quarter more, and at least 20,000 more.
//
// An estimate is the least gas the transaction needed when run against the
// chain's head, but it runs in a later block: with a later timestamp and
// after whatever else that block holds. What a storage write costs depends
// on whether it changes the slot, so the same call can need more gas there.
// Replacing an announced withdrawal is the case that was seen:
// announceWithdraw sets withdrawAfter to block.timestamp plus the notice,
// and estimated against the head that holds the first announcement that is
// the value already stored, a write of 100 gas; in the next block it
// changes the slot, 2,900. The transaction ran out of gas and "reverted"
// (TestWithdrawPending, TestEstimateAtHeadFallsShort). 20,000 is what a slot
// written from zero costs over one already set, the most a single write can
// differ by. Gas a transaction does not use is not paid for; a higher limit
// only asks the account to hold a little more ether while it is pending.
func GasLimit(estimate uint64) uint64 {
	return estimate + max(estimate/4, 20_000)
}

// WithGasMargin returns b with every gas estimate raised to GasLimit, so
// that transactions sent through bindings over it (which estimate when
// their TransactOpts set no GasLimit, as mf's never do) carry the margin.
// The package's own helpers apply it to the backend they are given.
func WithGasMargin(b Backend) Backend {
	switch b.(type) {
	case *Client, margined:
		return b
	}
	return margined{b}
}

type margined struct{ Backend }

func (m margined) EstimateGas(ctx context.Context, call ethereum.CallMsg) (uint64, error) {
	g, err := m.Backend.EstimateGas(ctx, call)
	if err != nil {
		return 0, err
	}
	return GasLimit(g), nil
}

// Client is a connection to a chain whose gas estimates are raised to
// GasLimit (see WithGasMargin); mf-swap and mf-court send every
// transaction through one.
type Client struct{ *ethclient.Client }

// NewClient wraps c.
func NewClient(c *ethclient.Client) *Client { return &Client{c} }

// EstimateGas is c's estimate raised to GasLimit, bounded by CallLimit.
func (c *Client) EstimateGas(ctx context.Context, call ethereum.CallMsg) (uint64, error) {
	g, err := within(ctx, CallLimit, func(ctx context.Context) (uint64, error) { return c.Client.EstimateGas(ctx, call) })
	if err != nil {
		return 0, err
	}
	return GasLimit(g), nil
}

// Dial connects to the chain: an IPC path, or a URL, and reads its chain
// id. Transactions sent through the client carry GasLimit's margin over
// their estimates. mf-swap and mf-court both start here.
func Dial(ctx context.Context, rpcURL string) (*Client, *big.Int, error) {
	if rpcURL == "" {
		return nil, nil, errors.New("no chain configured: set swap.eth_rpc (or --eth-rpc, MF_ETH_RPC)")
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := ethclient.DialContext(dctx, rpcURL)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot reach the chain at %s: %v", rpcURL, err)
	}
	id, err := c.ChainID(dctx)
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("cannot reach the chain at %s: %v", rpcURL, err)
	}
	return NewClient(c), id, nil
}

// Every call through a Client is bounded. go-ethereum's RPC client can
// leave a request waiting for ever when the connection drops just as the
// request is written (its dispatch loop hands the in-flight request to the
// closed connection's handler, which never answers it): mf-court's answer
// to a case once waited three minutes for a transaction to be sent, and
// missed the response window. A call cut off is an error the caller
// retries. Log filters read many blocks and get longer.
const (
	CallLimit   = 15 * time.Second
	FilterLimit = time.Minute
)

// within runs f under a deadline of d.
func within[T any](ctx context.Context, d time.Duration, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return f(ctx)
}

// The methods below are ethclient's, each bounded by CallLimit (log
// filters by FilterLimit).

func (c *Client) CallContract(ctx context.Context, call ethereum.CallMsg, block *big.Int) ([]byte, error) {
	return within(ctx, CallLimit, func(ctx context.Context) ([]byte, error) { return c.Client.CallContract(ctx, call, block) })
}

func (c *Client) PendingCallContract(ctx context.Context, call ethereum.CallMsg) ([]byte, error) {
	return within(ctx, CallLimit, func(ctx context.Context) ([]byte, error) { return c.Client.PendingCallContract(ctx, call) })
}

func (c *Client) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	_, err := within(ctx, CallLimit, func(ctx context.Context) (struct{}, error) { return struct{}{}, c.Client.SendTransaction(ctx, tx) })
	return err
}

func (c *Client) PendingNonceAt(ctx context.Context, account common.Address) (uint64, error) {
	return within(ctx, CallLimit, func(ctx context.Context) (uint64, error) { return c.Client.PendingNonceAt(ctx, account) })
}

func (c *Client) SuggestGasPrice(ctx context.Context) (*big.Int, error) {
	return within(ctx, CallLimit, c.Client.SuggestGasPrice)
}

func (c *Client) SuggestGasTipCap(ctx context.Context) (*big.Int, error) {
	return within(ctx, CallLimit, c.Client.SuggestGasTipCap)
}

func (c *Client) HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error) {
	return within(ctx, CallLimit, func(ctx context.Context) (*types.Header, error) { return c.Client.HeaderByNumber(ctx, number) })
}

func (c *Client) BlockNumber(ctx context.Context) (uint64, error) {
	return within(ctx, CallLimit, c.Client.BlockNumber)
}

func (c *Client) TransactionReceipt(ctx context.Context, hash common.Hash) (*types.Receipt, error) {
	return within(ctx, CallLimit, func(ctx context.Context) (*types.Receipt, error) { return c.Client.TransactionReceipt(ctx, hash) })
}

func (c *Client) CodeAt(ctx context.Context, account common.Address, block *big.Int) ([]byte, error) {
	return within(ctx, CallLimit, func(ctx context.Context) ([]byte, error) { return c.Client.CodeAt(ctx, account, block) })
}

func (c *Client) PendingCodeAt(ctx context.Context, account common.Address) ([]byte, error) {
	return within(ctx, CallLimit, func(ctx context.Context) ([]byte, error) { return c.Client.PendingCodeAt(ctx, account) })
}

func (c *Client) FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	return within(ctx, FilterLimit, func(ctx context.Context) ([]types.Log, error) { return c.Client.FilterLogs(ctx, q) })
}
