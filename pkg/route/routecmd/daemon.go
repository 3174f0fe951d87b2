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
	relayService bool
	natPortMap   bool
	mdns         bool
	reachability string
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

Bootstrap entries are multiaddrs ending in /p2p/PEER-ID, contact cards, or
the path of a file holding such entries, one a line (blank lines and lines
starting with # are skipped); an entry that is none of these stops the
daemon. Known peers are stored in $MF_HOME/data/route,
so a restarted node rejoins without being bootstrapped again. A node with no
bootstrap entries and no known peers says so in its log, once.

Behind a NAT or a firewall: AutoNAT asks peers to dial the node back and
finds it "public" or "private" (mf-route status shows which). A private node
runs the DHT as a client, reserves slots on a few public nodes that relay for
it, puts the relay addresses in its card, and upgrades relayed connections
to direct ones by hole punching where the NATs allow (mf-route peers shows
direct or relayed). A public node relays for others unless
--relay-service=false; each relayed connection is bounded by
relay_circuit_seconds and relay_circuit_bytes in config.toml (30 minutes,
32 MiB each way by default), and relay_reservations bounds the slots (128).
The first node of a new network has no one to ask: --reachability public
tells it. The card carries
only addresses others can use: public and relay ones, or, on a node with
neither (a LAN, a devnet on loopback), the local ones.

--nat-portmap asks the home router for a port mapping (UPnP, NAT-PMP) and
--mdns finds nodes on the same LAN by multicast DNS; both are off by default,
because both talk to every device on the LAN. See docs/operating.md for
running a public bootstrap and relay node.

Settings come from the flags, else MF_* variables, else config.toml.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDaemon(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.listen, "listen", nil, "multiaddr to listen on, repeatable (env MF_LISTEN)")
	f.StringArrayVar(&o.bootstrap, "bootstrap", nil, "peer to join through: MULTIADDR/p2p/ID, CARD or a FILE of them, repeatable (env MF_BOOTSTRAP)")
	f.StringArrayVar(&o.allowPeers, "allow-peer", nil, "connect only to these peer IDs, repeatable (env MF_ALLOW_PEERS)")
	f.StringVar(&o.passwordFile, "password-file", "", "file holding the keystore password (env MF_PASSWORD_FILE)")
	f.StringVar(&o.logLevel, "log-level", "", "debug, info, warn or error (env MF_LOG_LEVEL)")
	f.BoolVar(&o.relayService, "relay-service", true, "relay for nodes behind NATs while this node is publicly reachable (env MF_RELAY_SERVICE)")
	f.BoolVar(&o.natPortMap, "nat-portmap", false, "ask the router for a port mapping through UPnP or NAT-PMP (env MF_NAT_PORTMAP)")
	f.BoolVar(&o.mdns, "mdns", false, "find mf nodes on the same LAN by multicast DNS (env MF_MDNS)")
	f.StringVar(&o.reachability, "reachability", "", "auto (AutoNAT decides), public or private (env MF_REACHABILITY)")
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
	if f.Changed("relay-service") {
		rc.RelayService = o.relayService
	}
	if f.Changed("nat-portmap") {
		rc.NATPortMap = o.natPortMap
	}
	if f.Changed("mdns") {
		rc.MDNS = o.mdns
	}
	if f.Changed("reachability") {
		switch o.reachability {
		case "auto", "public", "private":
			rc.Reachability = o.reachability
		default:
			return cli.Usagef("--reachability must be auto, public or private")
		}
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
