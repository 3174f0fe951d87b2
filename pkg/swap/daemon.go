package swap

import (
	"context"
	"log/slog"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/daemon"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/swap/swapapi"
)

// Files of mf-swap inside a home.
const (
	DataDir = "data/swap"
)

// RunDaemon runs mf-swap for home until ctx ends.
func RunDaemon(ctx context.Context, home string, cfg config.Config, log *slog.Logger) error {
	set, err := ParseSettings(cfg.Swap)
	if err != nil {
		return err
	}
	if common.IsHexAddress(cfg.Court.Court) {
		set.Court = common.HexToAddress(cfg.Court.Court)
	}
	h, err := daemon.Open(home, "swap", cfg.Route)
	if err != nil {
		return err
	}
	defer h.Close()
	s, err := NewService(ctx, h.Identity.Key, cfg.Swap.EthRPC, set, h.DB, routeapi.NewClient(home), log)
	if err != nil {
		return err
	}
	defer s.Close()
	log.Info("mf-swap daemon running", "address", s.self.Hex(), "checkbook", s.checkbook.Hex(), "socket", swapapi.SocketPath(home))
	go s.Run(ctx)
	// The manifest's services are announced while the daemon serves, and
	// withdrawn before it exits.
	actx, stopAnnouncing := context.WithCancel(ctx)
	announced := make(chan struct{})
	go func() { s.announceServices(actx); close(announced) }()
	err = h.Serve(ctx, s.Handler())
	stopAnnouncing()
	<-announced
	return err
}
