package swap

import (
	"context"
	"errors"
	"fmt"
	"github.com/ethereum/go-ethereum/common"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route"
)

// Files of mf-swap inside a home.
const (
	SocketName = "swap.sock"
	PIDName    = "swap.pid"
	DataDir    = "data/swap"
)

// SocketPath is the API socket of home's mf-swap.
func SocketPath(home string) string { return filepath.Join(home, SocketName) }

// RunDaemon runs mf-swap for home until ctx ends.
func RunDaemon(ctx context.Context, home string, cfg config.Config, log *slog.Logger) error {
	set, err := ParseSettings(cfg.Swap)
	if err != nil {
		return err
	}
	if common.IsHexAddress(cfg.Court.Court) {
		set.Court = common.HexToAddress(cfg.Court.Court)
	}
	ln, err := localapi.Listen(SocketPath(home))
	if err != nil {
		if errors.Is(err, localapi.ErrAlreadyRunning) {
			return fmt.Errorf("swap: mf-swap daemon is already running for %s", home)
		}
		return err
	}
	defer ln.Close()
	password, err := route.Password(cfg.Route)
	if err != nil {
		return err
	}
	id, err := identity.Load(home, password)
	if err != nil {
		return err
	}
	db, err := kv.Open(filepath.Join(home, DataDir))
	if err != nil {
		if errors.Is(err, kv.ErrLocked) {
			return fmt.Errorf("swap: mf-swap daemon is already running for %s (its database is locked)", home)
		}
		return err
	}
	defer db.Close()
	s, err := NewService(ctx, id.Key, cfg.Swap.EthRPC, set, db, route.NewClient(home), log)
	if err != nil {
		return err
	}
	defer s.Close()
	pidFile := filepath.Join(home, PIDName)
	_ = config.WriteFileAtomic(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	defer os.Remove(pidFile)
	log.Info("mf-swap daemon running", "address", s.self.Hex(), "checkbook", s.checkbook.Hex(), "socket", SocketPath(home))
	go s.Run(ctx)
	return localapi.Serve(ctx, ln, s.Handler())
}
