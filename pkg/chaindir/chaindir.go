// Package chaindir is a development chain's directory as other processes
// see it: chain.json (where the chain listens and its contracts are), the
// faucet's key, and funding an account from that faucet. It is apart from
// package devchain, which runs the chain itself, so that programs which
// only talk to a chain (mf-route's devnet, scripts, tests) do not carry a
// whole go-ethereum node in their binaries.
package chaindir

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/config"
)

// Files inside a chain directory.
const (
	IPCName    = "geth.ipc"
	FaucetName = "faucet.key"
	DataName   = "geth"
)

// InfoName is the file that tells other processes where the chain and its
// contracts are.
const InfoName = "chain.json"

// Info is chain.json.
type Info struct {
	ChainID string `json:"chain_id"`
	IPC     string `json:"ipc"`
	HTTP    string `json:"http,omitempty"`
	Token   string `json:"token"`
	Factory string `json:"factory"`
	// Registry and Court are the swear-and-swindle contracts (mf-court).
	Registry string `json:"registry,omitempty"`
	Court    string `json:"court,omitempty"`
	// Names is mf-chat's name registry (the directory).
	Names  string `json:"names,omitempty"`
	Faucet string `json:"faucet"`
}

// WriteInfo writes dir/chain.json, atomically.
func WriteInfo(dir string, info *Info) error {
	b, _ := json.MarshalIndent(info, "", "  ")
	return config.WriteFileAtomic(filepath.Join(dir, InfoName), append(b, '\n'), 0o644)
}

// ReadInfo reads dir/chain.json.
func ReadInfo(dir string) (*Info, error) {
	b, err := os.ReadFile(filepath.Join(dir, InfoName))
	if err != nil {
		return nil, err
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("chaindir: %s is damaged: %v", filepath.Join(dir, InfoName), err)
	}
	return &info, nil
}

// Faucet funds addr on the development chain in dir: ether for gas and
// amount of MFT, minted by the faucet (the token's minter). It talks to the
// running chain over its IPC socket.
func Faucet(ctx context.Context, dir string, addr common.Address, amount *big.Int) error {
	info, err := ReadInfo(dir)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("chaindir: no development chain in %s (start one with mf-swap chain --dir %s)", dir, dir)
	}
	if err != nil {
		return err
	}
	key, err := LoadOrMakeKey(filepath.Join(dir, FaucetName))
	if err != nil {
		return err
	}
	c, err := ethclient.DialContext(ctx, info.IPC)
	if err != nil {
		return fmt.Errorf("chaindir: the chain in %s is not running: %v", dir, err)
	}
	defer c.Close()
	id, err := c.ChainID(ctx)
	if err != nil {
		return fmt.Errorf("chaindir: the chain in %s is not running: %v", dir, err)
	}
	eth := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	if err := SendETH(ctx, c, key, id, addr, eth); err != nil {
		return err
	}
	tok, err := chain.NewMFT(common.HexToAddress(info.Token), chain.NewClient(c))
	if err != nil {
		return err
	}
	auth := KeyedAuth(key, id)
	auth.Context = ctx
	tx, err := tok.Mint(auth, addr, amount)
	if err != nil {
		return err
	}
	_, err = chain.Wait(ctx, c, tx)
	return err
}

// KeyedAuth is a transactor for key on chain id.
func KeyedAuth(k *ecdsa.PrivateKey, id *big.Int) *bind.TransactOpts {
	a, err := bind.NewKeyedTransactorWithChainID(k, id)
	if err != nil {
		panic(err) // only for a nil chain id
	}
	return a
}

// LoadOrMakeKey reads a hex private key from path, making and storing one
// (0600) when there is none.
func LoadOrMakeKey(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := crypto.HexToECDSA(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("chaindir: %s is damaged: %v", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k, err := crypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(crypto.FromECDSA(k))+"\n"), 0o600); err != nil {
		return nil, err
	}
	return k, nil
}
