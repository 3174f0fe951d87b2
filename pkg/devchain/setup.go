package devchain

import (
	"context"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/chaindir"
)

// Setup deploys MFT, the checkbook factory, the stake registry, the court
// and mf-chat's name registry on a new chain (a restarted chain keeps its
// contracts; one made before the name registry gets it then) and writes
// chain.json.
func (c *Chain) Setup(ctx context.Context) (*chaindir.Info, error) {
	info, err := chaindir.ReadInfo(c.Dir)
	if err == nil {
		code, cerr := c.client.CodeAt(ctx, common.HexToAddress(info.Factory), nil)
		if cerr == nil && len(code) > 0 && info.Court != "" {
			info.IPC, info.HTTP = c.IPC, c.HTTP
			if info.Names == "" {
				names, err := chain.DeployNameRegistry(ctx, c.client, c.FaucetAuth())
				if err != nil {
					return nil, err
				}
				info.Names = names.Hex()
			}
			return info, chaindir.WriteInfo(c.Dir, info)
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
	names, err := chain.DeployNameRegistry(ctx, c.client, auth)
	if err != nil {
		return nil, err
	}
	info = &chaindir.Info{ChainID: c.ChainID.String(), IPC: c.IPC, HTTP: c.HTTP, Token: token.Hex(), Factory: f.Address.Hex(),
		Registry: registry.Hex(), Court: court.Hex(), Names: names.Hex(), Faucet: c.FaucetAuth().From.Hex()}
	return info, chaindir.WriteInfo(c.Dir, info)
}

// DevCourtConfig gives a development chain's court short windows, so that
// a case is decided in seconds: 10 s to respond, 30 s to testify once a
// panel is drawn. Witnesses stake the default 10 MFT and lose 1 MFT for
// silence.
var DevCourtConfig = chain.CourtConfig{ResponseWindow: 10 * time.Second, TestimonyWindow: 30 * time.Second}
