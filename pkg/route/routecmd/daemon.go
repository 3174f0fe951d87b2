package routecmd

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/route"
)

type daemonOptions struct {
	listen       []string
	bootstrap    []string
	allowPeers   []string
	passwordFile string
	logLevel     string
}

func newDaemonCmd(g *globals) *cobra.Command {
	var o daemonOptions
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run the node: libp2p host, DHT, packet routing and the local API",
		Long: `Run the node in the foreground until SIGINT or SIGTERM.

The daemon listens for peers on TCP and QUIC, joins the Kademlia DHT through
the bootstrap peers and every peer it knew before it last stopped, publishes
its contact card in the DHT, and serves the local API on $MF_HOME/route.sock
(mode 0600). Only one daemon runs per home.

Bootstrap entries are multiaddrs ending in /p2p/PEER-ID, or contact cards.
Known peers are stored in $MF_HOME/data/route, so a restarted node rejoins
without being bootstrapped again.

Settings come from the flags, else MF_* variables, else config.toml.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDaemon(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.listen, "listen", nil, "multiaddr to listen on, repeatable (env MF_LISTEN)")
	f.StringArrayVar(&o.bootstrap, "bootstrap", nil, "peer to join through: MULTIADDR/p2p/ID or CARD, repeatable (env MF_BOOTSTRAP)")
	f.StringArrayVar(&o.allowPeers, "allow-peer", nil, "connect only to these peer IDs, repeatable (env MF_ALLOW_PEERS)")
	f.StringVar(&o.passwordFile, "password-file", "", "file holding the keystore password (env MF_PASSWORD_FILE)")
	f.StringVar(&o.logLevel, "log-level", "", "debug, info, warn or error (env MF_LOG_LEVEL)")
	return cmd
}

func runDaemon(cmd *cobra.Command, g *globals, o daemonOptions) error {
	home := g.home()
	cfg, err := loadConfig(home)
	if err != nil {
		return err
	}
	f := cmd.Flags()
	rc := cfg.Route
	if f.Changed("listen") {
		rc.Listen = o.listen
	}
	if f.Changed("bootstrap") {
		rc.Bootstrap = o.bootstrap
	}
	if f.Changed("allow-peer") {
		rc.AllowPeers = o.allowPeers
	}
	if f.Changed("password-file") {
		rc.PasswordFile = o.passwordFile
	}
	if f.Changed("log-level") {
		rc.LogLevel = o.logLevel
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(rc.LogLevel)); err != nil {
		return cli.Usagef("--log-level must be debug, info, warn or error")
	}
	log := slog.New(slog.NewTextHandler(g.streams.Err, &slog.HandlerOptions{Level: level}))
	err = route.RunDaemon(cmd.Context(), home, rc, log, nil)
	if err != nil {
		return fmt.Errorf("%w", err)
	}
	return nil
}
