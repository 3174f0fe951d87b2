package devchain

import (
	"context"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// TestChainSurvivesRestart: a transfer lands at once with block time 0, and
// the chain comes back with its state from the same directory.
func TestChainSurvivesRestart(t *testing.T) {
	dir, err := os.MkdirTemp("", "dc")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Start(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	if err := c.SendETH(ctx, to, big.NewInt(12345)); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(Options{Dir: dir}); err == nil {
		t.Fatal("a second chain started in the same directory")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c, err = Start(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bal, err := c.Client().BalanceAt(ctx, to, nil)
	if err != nil || bal.Int64() != 12345 {
		t.Fatalf("balance after restart = %v, %v", bal, err)
	}
}
