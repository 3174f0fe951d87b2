package court

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/daemon"
)

// Files of mf-court inside a home.
const (
	SocketName = "court.sock"
	PIDName    = "court.pid"
	DataDir    = "data/court"
)

// SocketPath is the API socket of home's mf-court.
func SocketPath(home string) string { return filepath.Join(home, SocketName) }

// RunDaemon runs mf-court for home until ctx ends.
func RunDaemon(ctx context.Context, home string, cfg config.Config, log *slog.Logger) error {
	for _, a := range []struct{ name, v string }{{"court.registry", cfg.Court.Registry}, {"court.court", cfg.Court.Court}} {
		if !common.IsHexAddress(a.v) {
			return fmt.Errorf("config: %s is not an address (%q); a devnet sets it, or give the deployed contract", a.name, a.v)
		}
	}
	h, err := daemon.Open(home, "court", cfg.Route)
	if err != nil {
		return err
	}
	defer h.Close()
	s, err := NewService(ctx, home, h.Identity.Key, cfg.Swap.EthRPC, common.HexToAddress(cfg.Court.Registry), common.HexToAddress(cfg.Court.Court), h.DB, log)
	if err != nil {
		return err
	}
	defer s.Close()
	log.Info("mf-court daemon running", "address", s.self.Hex(), "court", s.court.Hex(), "socket", SocketPath(home))
	go s.Run(ctx)
	return h.Serve(ctx, s.Handler())
}
