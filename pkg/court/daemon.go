package court

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route"
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
	ln, err := localapi.Listen(SocketPath(home))
	if err != nil {
		if errors.Is(err, localapi.ErrAlreadyRunning) {
			return fmt.Errorf("court: mf-court daemon is already running for %s", home)
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
			return fmt.Errorf("court: mf-court daemon is already running for %s (its database is locked)", home)
		}
		return err
	}
	defer db.Close()
	s, err := NewService(ctx, home, id.Key, cfg.Swap.EthRPC, common.HexToAddress(cfg.Court.Registry), common.HexToAddress(cfg.Court.Court), db, log)
	if err != nil {
		return err
	}
	defer s.Close()
	pidFile := filepath.Join(home, PIDName)
	_ = config.WriteFileAtomic(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	defer os.Remove(pidFile)
	log.Info("mf-court daemon running", "address", s.self.Hex(), "court", s.court.Hex(), "socket", SocketPath(home))
	go s.Run(ctx)
	return localapi.Serve(ctx, ln, s.Handler())
}
