// Package routecmd holds the mf-route commands. Each command is built by a
// constructor that fills an options struct and calls a run function; the
// commands other than init, id and daemon are thin clients of the daemon's
// socket.
package routecmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// globals are the flags every command shares.
type globals struct {
	streams cli.Streams
	homeArg string
}

func (g *globals) home() string { return config.Home(g.homeArg) }

// client returns the daemon client; errors from it go through clientErr.
func (g *globals) client() *routeapi.Client { return routeapi.NewClient(g.home()) }

// clientErr turns "nothing on the socket" into the not-running error with
// its hint.
func (g *globals) clientErr(err error) error { return cli.DaemonErr("mf-route", g.home(), err) }

// NewRoot builds the mf-route command tree.
func NewRoot(s cli.Streams) *cobra.Command {
	g := &globals{streams: s}
	root := &cobra.Command{
		Use:   "mf-route",
		Short: "Join the mf network and send encrypted packets",
		Long: `mf-route is a Mainframe node's network daemon and its command-line client.

The daemon holds the node's libp2p host (TCP and QUIC) and its place in the
Kademlia DHT, and carries packets sealed to their recipients' keys. The other
commands talk to the running daemon over $MF_HOME/route.sock.

A node lives in one directory: --home, else $MF_HOME, else ~/.mainframe.
Start with:

  mf-route init --dev          # or --password-file FILE
  mf-route daemon &
  mf-route id --card           # give this to people who should reach you
` + cli.ExitCodesHelp,
	}
	cli.HomeFlag(root, &g.homeArg)
	root.AddCommand(
		newInitCmd(g), newIDCmd(g), newDaemonCmd(g), newStatusCmd(g), newConfigCmd(g),
		newPeersCmd(g), newPingCmd(g), newContactsCmd(g),
		newSendCmd(g), newListenCmd(g), newBenchCmd(g), newDevnetCmd(g),
		newLuminosityCmd(g), newReceiptsCmd(g), newLedgerCmd(g), newTopicsCmd(g),
		newSessionCmd(g), newGroupCmd(g), newServicesCmd(g),
		newSimCmd(g),
		cli.WaitCommand("mf-route", "the daemon", func(ctx context.Context) error {
			_, err := g.client().Status(ctx)
			return err
		}, g.clientErr),
	)
	return cli.Finish(root)
}

// Main runs mf-route and returns its exit code.
func Main(args []string, s cli.Streams) int {
	return cli.Main(NewRoot(s), args, s)
}

func loadConfig(home string) (config.Config, error) {
	c, err := config.Load(home)
	if errors.Is(err, config.ErrNoHome) {
		return c, cli.WithHint(fmt.Errorf("no node in %s", home), "create one with mf-route init --home %s --dev (or --password-file FILE)", home)
	}
	return c, err
}
