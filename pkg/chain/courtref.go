package chain

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// CourtRef names the chain and court that a service's promises are signed
// for (mf-db's row claims, mf-hold's hold claims). The chain's id is asked
// for once. A chain that did not answer is asked again no sooner than
// courtRetry later: a service that signs a promise with each write does
// not wait on a chain that is away at every one.
type CourtRef struct {
	rpc   string
	court common.Address

	mu      sync.Mutex
	chainID *big.Int
	failed  time.Time
	lastErr error
}

const courtRetry = 30 * time.Second

// ErrNoCourt: no chain and court are configured.
var ErrNoCourt = errors.New("chain: no chain and court configured (swap.eth_rpc, court.court)")

// NewCourtRef is the court at address court on the chain at rpc.
func NewCourtRef(rpc string, court common.Address) *CourtRef {
	return &CourtRef{rpc: rpc, court: court}
}

// KnownCourt is a court whose chain's id is known already.
func KnownCourt(chainID *big.Int, court common.Address) *CourtRef {
	return &CourtRef{chainID: chainID, court: court}
}

// Get returns the chain's id and the court.
func (c *CourtRef) Get(ctx context.Context) (*big.Int, common.Address, error) {
	if c == nil {
		return nil, common.Address{}, ErrNoCourt
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.chainID != nil {
		return c.chainID, c.court, nil
	}
	if c.rpc == "" || c.court == (common.Address{}) {
		return nil, common.Address{}, ErrNoCourt
	}
	if time.Since(c.failed) < courtRetry {
		return nil, common.Address{}, c.lastErr
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cl, id, err := Dial(cctx, c.rpc)
	if err != nil {
		c.failed, c.lastErr = time.Now(), fmt.Errorf("the chain: %w", err)
		return nil, common.Address{}, c.lastErr
	}
	cl.Close()
	c.chainID = id
	return id, c.court, nil
}
