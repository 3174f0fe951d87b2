// Package devchain runs mf's embedded development chain: a go-ethereum node
// in this process with a real EVM and real blocks, reachable over an IPC
// socket (and HTTP on 127.0.0.1 when asked), whose data survives restarts.
//
// Blocks come from go-ethereum's simulated beacon. With a block time the
// chain seals a block every period; with block time 0 it seals one as soon
// as a transaction reaches the pool, so scripts and tests never wait for a
// clock. The faucet account, funded in the genesis block, pays for
// development transactions; its key lives in the chain directory, which is
// why this is a development chain only.
package devchain

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/mainframe/mf/pkg/chaindir"
)

// logIndexOff turns off go-ethereum's log index (eth_getLogs then reads
// each block's bloom and receipts instead, with the same results) in -race
// builds. The index keeps a 65,536-row filter map that it writes out when
// the chain stops and reads back, row by row, when it starts again, and
// under -race go-ethereum's database (pebble) checks its invariants and
// records a stack trace for every read: a restart took 45 to 95 seconds
// and a stop 5 seconds and more, past Close's 30 seconds on a loaded
// machine (TestChainSurvivesRestart). Without -race both take well under a
// second, and a long-running development chain keeps its index.
const logIndexOff = raceBuild

// Options configure a chain.
type Options struct {
	Dir       string
	BlockTime time.Duration // 0: a block per transaction, at once
	HTTP      string        // host:port for JSON-RPC over HTTP, empty for none
}

// Chain is a running development chain.
type Chain struct {
	Dir     string
	IPC     string
	HTTP    string
	ChainID *big.Int
	Faucet  *ecdsa.PrivateKey

	stack  *node.Node
	eth    *eth.Ethereum
	beacon *catalyst.SimulatedBeacon
	client *ethclient.Client
	stop   chan struct{}
	wg     sync.WaitGroup
	// sealMu serialises every use of the beacon, which is not safe for
	// concurrent use.
	sealMu sync.Mutex
}

// Start opens (or creates) the chain in o.Dir.
func Start(o Options) (*Chain, error) {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	faucet, err := chaindir.LoadOrMakeKey(filepath.Join(dir, chaindir.FaucetName))
	if err != nil {
		return nil, err
	}
	ipc := filepath.Join(dir, chaindir.IPCName)
	if len(ipc) > 100 {
		return nil, fmt.Errorf("devchain: %s is too long for a Unix socket path; use a shorter --dir", ipc)
	}
	conf := node.DefaultConfig
	conf.DataDir = filepath.Join(dir, chaindir.DataName)
	conf.IPCPath = ipc
	conf.P2P = p2p.Config{NoDiscovery: true, MaxPeers: 0, ListenAddr: ""}
	conf.HTTPHost, conf.HTTPPort = "", 0
	if o.HTTP != "" {
		host, port, err := splitHostPort(o.HTTP)
		if err != nil {
			return nil, err
		}
		conf.HTTPHost, conf.HTTPPort = host, port
		conf.HTTPModules = []string{"eth", "net", "web3", chaindir.RPCNamespace}
	}
	conf.Logger = nil
	stack, err := node.New(&conf)
	if err != nil {
		return nil, fmt.Errorf("devchain: %w", err)
	}
	faucetAddr := crypto.PubkeyToAddress(faucet.PublicKey)
	genesis := core.DeveloperGenesisBlock(ethconfig.Defaults.Miner.GasCeil, &faucetAddr)
	// Run the latest released fork (Osaka), not Bogota, which go-ethereum's
	// developer config also turns on and which is still being specified: a
	// development chain should price and run transactions as the chains mf
	// is used on do. (Replacing an announced withdrawal that ran out of gas
	// was not Bogota's doing: it fails under Osaka as well, see
	// chain.GasLimit.)
	cfg := *genesis.Config
	cfg.BogotaTime = nil
	genesis.Config = &cfg
	ec := ethconfig.Defaults
	ec.Genesis = genesis
	ec.NetworkId = genesis.Config.ChainID.Uint64()
	ec.SyncMode = ethconfig.FullSync
	ec.TxPool.NoLocals = true
	ec.Miner.GasPrice = big.NewInt(1)
	ec.LogNoHistory = logIndexOff
	backend, err := eth.New(stack, &ec)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("devchain: %w", err)
	}
	fs := filters.NewFilterSystem(backend.APIBackend, filters.Config{})
	stack.RegisterAPIs([]rpc.API{{Namespace: "eth", Service: filters.NewFilterAPI(fs)},
		{Namespace: chaindir.RPCNamespace, Service: &contractsAPI{dir: dir}}})
	period := uint64(o.BlockTime / time.Second)
	if o.BlockTime > 0 && period == 0 {
		period = 1
	}
	beacon, err := catalyst.NewSimulatedBeacon(period, faucetAddr, backend)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("devchain: %w", err)
	}
	// Not catalyst.RegisterSimulatedBeaconAPIs: with period 0 it starts its
	// own sealing loop, which would race with sealOnDemand and AdjustTime.
	// Every call into the beacon goes through c.sealMu instead.
	stack.RegisterLifecycle(beacon)
	if err := stack.Start(); err != nil {
		stack.Close()
		if strings.Contains(err.Error(), "datadir already used") {
			return nil, fmt.Errorf("devchain: a chain is already running in %s", dir)
		}
		return nil, fmt.Errorf("devchain: %w", err)
	}
	c := &Chain{
		Dir: dir, IPC: ipc, ChainID: genesis.Config.ChainID, Faucet: faucet,
		stack: stack, eth: backend, beacon: beacon, stop: make(chan struct{}),
		client: ethclient.NewClient(stack.Attach()),
	}
	if o.HTTP != "" {
		// HTTPEndpoint has its scheme already.
		c.HTTP = stack.HTTPEndpoint()
		if !strings.HasPrefix(c.HTTP, "http://") {
			c.HTTP = "http://" + c.HTTP
		}
	}
	if period == 0 {
		c.wg.Add(1)
		go c.sealOnDemand()
	}
	return c, nil
}

// sealOnDemand seals a block whenever transactions arrive: instant blocks
// for development.
func (c *Chain) sealOnDemand() {
	defer c.wg.Done()
	ch := make(chan core.NewTxsEvent, 64)
	sub := c.eth.TxPool().SubscribeTransactions(ch, true)
	defer sub.Unsubscribe()
	// A heartbeat block when nothing else happens keeps the chain's clock
	// close to the wall clock, as on a real chain: deadlines and notice
	// periods are judged by block time.
	heartbeat := time.NewTicker(2 * time.Second)
	defer heartbeat.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-sub.Err():
			return
		case <-heartbeat.C:
			c.Commit()
		case <-ch:
			// Let a burst gather into one block.
			time.Sleep(5 * time.Millisecond)
			for len(ch) > 0 {
				<-ch
			}
			c.Commit()
		}
	}
}

// Client is an in-process RPC client of the chain.
func (c *Chain) Client() *ethclient.Client { return c.client }

// Commit seals a block now.
func (c *Chain) Commit() {
	c.sealMu.Lock()
	defer c.sealMu.Unlock()
	c.beacon.Commit()
}

// AdjustTime moves the chain's clock forward (and seals a block), for
// notice periods in development.
func (c *Chain) AdjustTime(d time.Duration) error {
	c.sealMu.Lock()
	defer c.sealMu.Unlock()
	return c.beacon.AdjustTime(d)
}

// Close stops the chain; its data stays in the directory. A go-ethereum
// node that does not stop within 30 seconds is left behind with an error
// rather than hanging its caller (seen once in tests, not reproduced).
func (c *Chain) Close() error {
	close(c.stop)
	c.wg.Wait()
	c.client.Close()
	done := make(chan error, 1)
	go func() { done <- c.stack.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		return errors.New("devchain: the chain did not stop within 30s")
	}
}

// FaucetAuth is a transactor for the faucet account.
func (c *Chain) FaucetAuth() *bind.TransactOpts { return chaindir.KeyedAuth(c.Faucet, c.ChainID) }

// SendETH transfers ether for gas from the faucet.
func (c *Chain) SendETH(ctx context.Context, to common.Address, wei *big.Int) error {
	return chaindir.SendETH(ctx, c.client, c.Faucet, c.ChainID, to, wei)
}

func splitHostPort(s string) (string, int, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("devchain: --http wants host:port, not %q", s)
	}
	var port int
	if _, err := fmt.Sscanf(s[i+1:], "%d", &port); err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("devchain: bad port in %q", s)
	}
	return s[:i], port, nil
}

// contractsAPI answers mf_contracts: where this chain's contracts are, so
// that a daemon given only the chain's address (its IPC socket or HTTP URL)
// finds them without a hand-copied config.
type contractsAPI struct{ dir string }

// Contracts returns chain.json as it stands (nil before Setup wrote it).
func (a *contractsAPI) Contracts() (*chaindir.Info, error) {
	info, err := chaindir.ReadInfo(a.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errors.New("devchain: the contracts are not deployed yet")
	}
	return info, err
}
