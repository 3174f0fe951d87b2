package chaindir

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ethereum/go-ethereum/rpc"

	"github.com/mainframe/mf/pkg/config"
)

// RPCNamespace is the JSON-RPC namespace in which a development chain
// answers mf_contracts with its chain.json.
const RPCNamespace = "mf"

// Contracts asks the chain at rpcURL where its contracts are
// (mf_contracts). Only a development chain (mf-swap chain) answers.
func Contracts(ctx context.Context, rpcURL string) (*Info, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := rpc.DialContext(ctx, rpcURL)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var info *Info
	if err := c.CallContext(ctx, &info, RPCNamespace+"_contracts"); err != nil {
		return nil, err
	}
	if info == nil {
		return nil, errors.New("chaindir: the chain named no contracts")
	}
	return info, nil
}

// Apply fills in where the chain and its contracts are, for a daemon
// (mf-swap, mf-court) that was not told all of it. With dir (--chain-dir)
// it reads dir/chain.json, whose addresses and IPC socket take the place of
// config.toml's, as a flag does; the chain's endpoint from --eth-rpc or
// MF_ETH_RPC still wins, since the caller applies it after. Without dir,
// any contract address still empty is asked of the chain itself
// (mf_contracts), which a development chain answers; a chain that does not
// leaves them empty, and the daemon says which setting is missing.
func Apply(ctx context.Context, cfg *config.Config, dir string) error {
	if dir != "" {
		info, err := ReadInfo(dir)
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("chaindir: no development chain in %s (start one with mf-swap chain --dir %s)", dir, dir)
		}
		if err != nil {
			return err
		}
		cfg.Swap.EthRPC = info.IPC
		fill(cfg, info, true)
		return nil
	}
	s := cfg.Swap
	if cfg.Swap.EthRPC == "" || (s.Token != "" && s.Factory != "" && cfg.Court.Registry != "" && cfg.Court.Court != "") {
		return nil
	}
	info, err := Contracts(ctx, cfg.Swap.EthRPC)
	if err != nil {
		return nil // not a development chain, or not up: the daemon reports it
	}
	fill(cfg, info, false)
	return nil
}

// fill copies info's addresses into cfg: all of them with over, else only
// where cfg has none.
func fill(cfg *config.Config, info *Info, over bool) {
	set := func(dst *string, v string) {
		if v != "" && (over || *dst == "") {
			*dst = v
		}
	}
	set(&cfg.Swap.Token, info.Token)
	set(&cfg.Swap.Factory, info.Factory)
	set(&cfg.Court.Registry, info.Registry)
	set(&cfg.Court.Court, info.Court)
}

// ApplyFlags settles where a daemon's chain and contracts are, from its
// flags: --chain-dir (or MF_CHAIN_DIR) first, then --eth-rpc for the
// endpoint, then the chain itself for any contract still unknown.
func ApplyFlags(ctx context.Context, cfg *config.Config, chainDir, ethRPC string) error {
	if chainDir == "" {
		chainDir = os.Getenv("MF_CHAIN_DIR")
	}
	if chainDir != "" {
		if err := Apply(ctx, cfg, chainDir); err != nil {
			return err
		}
	}
	if ethRPC != "" {
		cfg.Swap.EthRPC = ethRPC
	}
	return Apply(ctx, cfg, "")
}
