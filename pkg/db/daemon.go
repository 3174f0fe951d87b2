package db

import (
	"context"
	"log/slog"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/chaindir"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/daemon"
	"github.com/mainframe/mf/pkg/db/dbapi"
)

// RunDaemon runs mf-db for home until ctx ends: its lock, its socket
// (db.sock), the node's key and its Pebble database at data/db.
func RunDaemon(ctx context.Context, home string, cfg config.Config, log *slog.Logger, opts ...NetOption) error {
	h, err := daemon.Open(home, "db", cfg.Route)
	if err != nil {
		return err
	}
	defer h.Close()
	card, err := h.Identity.NewCard(nil, time.Now())
	if err != nil {
		return err
	}
	e := New(h.DB)
	s := NewService(e, h.Identity, card.String())
	// Providers sign their promises for the court the node's mf-court
	// uses: config.toml's, or a development chain's own. Without one,
	// mf-db still runs; its acknowledgements then carry no promises.
	if err := chaindir.ApplyFlags(ctx, &cfg, "", ""); err != nil {
		log.Warn("no court to sign promises for", "err", err)
	}
	if common.IsHexAddress(cfg.Court.Court) {
		opts = append([]NetOption{WithCourt(cfg.Swap.EthRPC, common.HexToAddress(cfg.Court.Court))}, opts...)
	}
	s.startNetwork(ctx, home, log, opts)
	log.Info("mf-db daemon running", "address", s.self.Hex(), "socket", dbapi.SocketPath(home))
	return h.Serve(ctx, s.Handler())
}
