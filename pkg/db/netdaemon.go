package db

import (
	"context"
	"log/slog"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/swap/swapapi"
)

// netConfig is how the daemon takes part in the network.
type netConfig struct {
	syncEvery time.Duration
	price     string
	minScore  float64
	offline   bool
	ethRPC    string
	court     common.Address
}

// NetOption configures the daemon's network side.
type NetOption func(*netConfig)

// DefaultSyncEvery is the period of anti-entropy rounds.
const DefaultSyncEvery = 30 * time.Second

// WithSyncEvery sets the period of anti-entropy rounds (0: the default).
func WithSyncEvery(d time.Duration) NetOption {
	return func(c *netConfig) {
		if d > 0 {
			c.syncEvery = d
		}
	}
}

// WithPrice makes the daemon sell db service at price (MFT base units per
// request), put in the node's manifest through mf-swap, which announces it
// in the DHT. Empty: it sells nothing (set it later with mf-db provide).
func WithPrice(price string, minScore float64) NetOption {
	return func(c *netConfig) { c.price, c.minScore = price, minScore }
}

// WithCourt names the chain (an endpoint as swap.eth_rpc) and the court
// contract that providers sign their promises for: a provider that staked
// signs one for each change it acknowledges, and a writer checks them.
func WithCourt(ethRPC string, court common.Address) NetOption {
	return func(c *netConfig) { c.ethRPC, c.court = ethRPC, court }
}

// Offline keeps the daemon off the network: this node's datasets only.
func Offline() NetOption { return func(c *netConfig) { c.offline = true } }

func (s *Service) startNetwork(ctx context.Context, home string, log *slog.Logger, opts []NetOption) {
	c := netConfig{syncEvery: DefaultSyncEvery}
	for _, o := range opts {
		o(&c)
	}
	if c.offline {
		return
	}
	s.EnableNetwork(home, c.syncEvery, log)
	s.SetCourt(c.ethRPC, c.court)
	go s.RunSync(ctx)
	if c.price != "" {
		go s.announce(ctx, c.price, c.minScore)
	}

}

// announce puts db in the manifest, retrying while mf-swap is not up yet.
func (s *Service) announce(ctx context.Context, price string, minScore float64) {
	for {
		_, err := s.net.swap.SetManifest(ctx, swapapi.ManifestEntry{Service: ServiceName, Price: price, MinScore: minScore})
		if err == nil {
			s.net.log.Info("selling db service", "price", price)
			return
		}
		s.net.log.Debug("setting the manifest", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
	}
}
