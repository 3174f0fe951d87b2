package chain

import (
	"context"
	"math/big"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TestCourtRefAway: a chain that cannot be reached is asked once every
// courtRetry, not at every call; no court configured is an error; a known
// chain id is not asked for.
func TestCourtRefAway(t *testing.T) {
	c := NewCourtRef(filepath.Join(t.TempDir(), "no.ipc"), common.HexToAddress("0x01"))
	if _, _, err := c.Get(context.Background()); err == nil {
		t.Fatal("reached a chain that is not there")
	}
	first := c.failed
	if _, _, err := c.Get(context.Background()); err == nil || c.failed != first {
		t.Fatalf("asked again at once: %v", err)
	}
	if _, _, err := NewCourtRef("", common.Address{}).Get(context.Background()); err != ErrNoCourt {
		t.Fatalf("no court configured: %v", err)
	}
	id, court, err := KnownCourt(big.NewInt(1337), common.HexToAddress("0x02")).Get(context.Background())
	if err != nil || id.Int64() != 1337 || court != common.HexToAddress("0x02") {
		t.Fatalf("known court: %v %v %v", id, court, err)
	}
}
