package chat

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/daemon"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// Files of mf-chat inside a home.
const (
	DataDir  = "data/chat"
	IndexDir = "data/chat-index"
)

// RunDaemon runs mf-chat for home until ctx ends.
func RunDaemon(ctx context.Context, home string, cfg config.Config, opts Options, log *slog.Logger) error {
	h, err := daemon.Open(home, "chat", cfg.Route)
	if err != nil {
		return err
	}
	defer h.Close()
	opts.Home = home
	if opts.EthRPC == "" {
		opts.EthRPC = cfg.Swap.EthRPC
	}
	if opts.IndexDir == "" {
		opts.IndexDir = filepath.Join(home, IndexDir)
	}
	s, err := New(h.DB, h.Identity, routeapi.NewClient(home), log, opts)
	if err != nil {
		return err
	}
	defer s.Close()
	log.Info("mf-chat daemon running", "socket", chatapi.SocketPath(home), "index", !opts.NoIndex)
	go s.Run(ctx)
	return h.Serve(ctx, s.Handler())
}
