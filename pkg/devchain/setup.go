package devchain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/config"
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
	Faucet   string `json:"faucet"`
}

// Setup deploys MFT, the checkbook factory, the stake registry and the court
// on a new chain (a restarted chain keeps its contracts) and writes
// chain.json.
func (c *Chain) Setup(ctx context.Context) (*Info, error) {
	path := filepath.Join(c.Dir, InfoName)
	info, err := ReadInfo(c.Dir)
	if err == nil {
		code, cerr := c.client.CodeAt(ctx, common.HexToAddress(info.Factory), nil)
		if cerr == nil && len(code) > 0 && info.Court != "" {
			info.IPC, info.HTTP = c.IPC, c.HTTP
			return info, writeInfo(path, info)
		}
	}
	auth := c.FaucetAuth()
	token, _, err := chain.DeployToken(ctx, c.client, auth)
	if err != nil {
		return nil, err
	}
	f, err := chain.DeployFactory(ctx, c.client, auth, token)
	if err != nil {
		return nil, err
	}
	registry, _, err := chain.DeployRegistry(ctx, c.client, auth, token)
	if err != nil {
		return nil, err
	}
	court, _, err := chain.DeployCourtFor(ctx, c.client, auth, registry, DevCourtConfig)
	if err != nil {
		return nil, err
	}
	info = &Info{ChainID: c.ChainID.String(), IPC: c.IPC, HTTP: c.HTTP, Token: token.Hex(), Factory: f.Address.Hex(),
		Registry: registry.Hex(), Court: court.Hex(), Faucet: c.FaucetAuth().From.Hex()}
	return info, writeInfo(path, info)
}

func writeInfo(path string, info *Info) error {
	b, _ := json.MarshalIndent(info, "", "  ")
	return config.WriteFileAtomic(path, append(b, '\n'), 0o644)
}

// DevCourtConfig gives a development chain's court short windows, so that
// a case is decided in seconds: 10 s to respond, 30 s to testify.
var DevCourtConfig = chain.CourtConfig{ResponseWindow: 10 * time.Second, TestimonyWindow: 30 * time.Second}

// ReadInfo reads dir/chain.json.
func ReadInfo(dir string) (*Info, error) {
	b, err := os.ReadFile(filepath.Join(dir, InfoName))
	if err != nil {
		return nil, err
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("devchain: %s is damaged: %v", filepath.Join(dir, InfoName), err)
	}
	return &info, nil
}

// Faucet funds addr on the development chain in dir: ether for gas and
// amount of MFT, minted by the faucet (the token's minter). It talks to the
// running chain over its IPC socket.
func Faucet(ctx context.Context, dir string, addr common.Address, amount *big.Int) error {
	info, err := ReadInfo(dir)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("devchain: no development chain in %s (start one with mf-swap chain --dir %s)", dir, dir)
	}
	if err != nil {
		return err
	}
	key, err := loadOrMakeKey(filepath.Join(dir, FaucetName))
	if err != nil {
		return err
	}
	c, err := ethclient.DialContext(ctx, info.IPC)
	if err != nil {
		return fmt.Errorf("devchain: the chain in %s is not running: %v", dir, err)
	}
	defer c.Close()
	id, err := c.ChainID(ctx)
	if err != nil {
		return fmt.Errorf("devchain: the chain in %s is not running: %v", dir, err)
	}
	eth := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	if err := SendETH(ctx, c, key, id, addr, eth); err != nil {
		return err
	}
	tok, err := chain.NewMFT(common.HexToAddress(info.Token), c)
	if err != nil {
		return err
	}
	auth := keyedAuth(key, id)
	auth.Context = ctx
	tx, err := tok.Mint(auth, addr, amount)
	if err != nil {
		return err
	}
	_, err = chain.Wait(ctx, c, tx)
	return err
}
