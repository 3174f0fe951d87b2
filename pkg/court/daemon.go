package court

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/court/courtapi"
	"github.com/mainframe/mf/pkg/daemon"
	"github.com/mainframe/mf/pkg/kv"
)

// Files of mf-court inside a home.
const (
	DataDir = "data/court"
)

// RunDaemon runs mf-court for home until ctx ends.
func RunDaemon(ctx context.Context, home string, cfg config.Config, log *slog.Logger) error {
	for _, a := range []struct{ name, v string }{{"court.registry", cfg.Court.Registry}, {"court.court", cfg.Court.Court}} {
		if !common.IsHexAddress(a.v) {
			return fmt.Errorf("config: %s is not an address (%q): give --chain-dir for a development chain, or set the deployed contract in config.toml", a.name, a.v)
		}
	}
	h, err := daemon.Open(home, "court", cfg.Route)
	if err != nil {
		return err
	}
	defer h.Close()
	s, err := connect(ctx, h.DB, log, func() (*Service, error) {
		return NewService(ctx, home, h.Identity.Key, cfg.Swap.EthRPC, common.HexToAddress(cfg.Court.Registry), common.HexToAddress(cfg.Court.Court), h.DB, log)
	})
	if err != nil {
		return err
	}
	defer s.Close()
	log.Info("mf-court daemon running", "address", s.self.Hex(), "court", s.court.Hex(), "socket", courtapi.SocketPath(home))
	go s.Run(ctx)
	return h.Serve(ctx, s.Handler())
}

// connect makes the service. With nothing pending, a chain that cannot be
// reached is an error at once (most likely a wrong --eth-rpc). With actions
// pending, say a daemon restarted during an outage with a case to answer,
// giving up would forfeit them, so it waits for the chain, with backoff,
// until ctx ends.
func connect(ctx context.Context, db *kv.DB, log *slog.Logger, dial func() (*Service, error)) (*Service, error) {
	var b backoff
	for {
		s, err := dial()
		if err == nil || !hasPending(db) {
			return s, err
		}
		wait := b.failed("dial", time.Now())
		log.Warn("cannot reach the chain; actions are pending, so waiting for it", "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
	}
}

// hasPending says whether db holds pending actions or cases of this node's
// to judge.
func hasPending(db *kv.DB) bool {
	found := false
	for _, p := range []string{pendingPrefix, "mycase/"} {
		_ = db.Scan([]byte(p), func(_, _ []byte) error {
			found = true
			return errStop
		})
	}
	return found
}

var errStop = errors.New("stop")
