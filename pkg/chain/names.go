package chain

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
)

// The name registry (contracts/Names.sol): mf-chat's directory, in which
// the first account to claim a name owns it.

// NameRule is what the contract accepts as a name.
var NameRule = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Errors of the registry.
var (
	ErrBadName = errors.New("a name is 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
)

// ClaimedError says a name has an owner already.
type ClaimedError struct {
	Name  string
	Owner common.Address
}

func (e *ClaimedError) Error() string {
	return fmt.Sprintf("the name %q is already claimed by %s", e.Name, e.Owner.Hex())
}

// DeployNameRegistry deploys the registry and waits until it is mined.
func DeployNameRegistry(ctx context.Context, b Backend, auth *bind.TransactOpts) (common.Address, error) {
	b = WithGasMargin(b)
	_, tx, _, err := DeployNames(withContext(ctx, auth), b)
	if err != nil {
		return common.Address{}, fmt.Errorf("chain: deploying Names: %w", err)
	}
	return waitDeployed(ctx, b, tx, "Names")
}

// NameOwner is the owner of name in the registry at addr, zero if nobody
// claimed it.
func NameOwner(ctx context.Context, b Backend, addr common.Address, name string) (common.Address, error) {
	n, err := NewNames(addr, b)
	if err != nil {
		return common.Address{}, err
	}
	return n.OwnerOf(&bind.CallOpts{Context: ctx}, name)
}

// ClaimName claims name for auth's account and waits until it is mined. A
// name already claimed, by anyone, is a *ClaimedError (checked first, so the
// common case costs no transaction; a claim that loses a race reverts and
// is reported the same way).
func ClaimName(ctx context.Context, b Backend, auth *bind.TransactOpts, addr common.Address, name string) error {
	if !NameRule.MatchString(name) {
		return ErrBadName
	}
	owner, err := NameOwner(ctx, b, addr, name)
	if err != nil {
		return err
	}
	if owner != (common.Address{}) {
		return &ClaimedError{Name: name, Owner: owner}
	}
	b = WithGasMargin(b)
	n, err := NewNames(addr, b)
	if err != nil {
		return err
	}
	tx, err := n.Claim(withContext(ctx, auth), name)
	if err == nil {
		_, err = Wait(ctx, b, tx)
	}
	if err != nil {
		if owner, oerr := NameOwner(ctx, b, addr, name); oerr == nil && owner != (common.Address{}) && owner != auth.From {
			return &ClaimedError{Name: name, Owner: owner}
		}
		return fmt.Errorf("chain: claiming %q: %w", name, err)
	}
	return nil
}
