package chain

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TestNames: the first claim of a name wins; a second claimant, the owner
// included, is refused and told who owns it; the contract refuses names
// another spelling of which could be claimed again, even when sent
// directly, past the client's check.
func TestNames(t *testing.T) {
	c := newTestChain(t)
	addr, err := DeployNameRegistry(c.ctx, c.b, c.auth(deployerKey))
	if err != nil {
		t.Fatal(err)
	}
	if o, err := NameOwner(c.ctx, c.b, addr, "alice"); err != nil || o != (common.Address{}) {
		t.Fatalf("unclaimed: %v %v", o, err)
	}
	if err := ClaimName(c.ctx, c.b, c.auth(bobKey), addr, "alice"); err != nil {
		t.Fatal(err)
	}
	if o, _ := NameOwner(c.ctx, c.b, addr, "alice"); o != addrOf(bobKey) {
		t.Fatalf("owner %v, want bob", o)
	}
	var ce *ClaimedError
	if err := ClaimName(c.ctx, c.b, c.auth(malloryKey), addr, "alice"); !errors.As(err, &ce) || ce.Owner != addrOf(bobKey) {
		t.Fatalf("a second claim: %v", err)
	}
	// Past the client's check: the contract itself refuses.
	n, err := NewNames(addr, c.b)
	if err != nil {
		t.Fatal(err)
	}
	a := c.auth(malloryKey)
	a.GasLimit = 200_000 // no estimate: the call would revert in it
	for _, name := range []string{"alice", "Alice", "", "-x", "a b", string(make([]byte, 65))} {
		tx, err := n.Claim(a, name)
		if err != nil {
			continue
		}
		if _, err := Wait(c.ctx, c.b, tx); !errors.Is(err, ErrReverted) {
			t.Errorf("claim of %q sent directly: %v", name, err)
		}
	}
	if o, _ := NameOwner(c.ctx, c.b, addr, "alice"); o != addrOf(bobKey) {
		t.Fatalf("owner after the attempts %v, want bob", o)
	}
	if err := ClaimName(c.ctx, c.b, c.auth(carolKey), addr, "Carol"); !errors.Is(err, ErrBadName) {
		t.Fatalf("a bad name: %v", err)
	}
	if err := ClaimName(c.ctx, c.b, c.auth(carolKey), addr, "carol.x_1-2"); err != nil {
		t.Fatal(err)
	}
}
