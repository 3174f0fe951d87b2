package routecmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/devnet"
)

func newDevnetCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "devnet",
		Short: "Run a development network of nodes on this machine",
		Long: `Run a development network: N nodes on 127.0.0.1, each a separate
'mf-route daemon' process with its own home DIR/node1 .. DIR/nodeN.

  mf-route devnet up --nodes 5 --dir /tmp/mf
  mf-route --home /tmp/mf/node1 send --to $(mf-route --home /tmp/mf/node5 id --card) --topic hi <<< hello
  mf-route devnet status --dir /tmp/mf
  mf-route devnet down --dir /tmp/mf

The nodes keep their identities and ports in DIR, so 'devnet up' on the same
DIR restarts the same network.
` + cli.ExitCodesHelp,
	}
	var dir string
	var nodes int
	var topology string
	var noSwap bool
	up := &cobra.Command{
		Use:   "up --nodes N --dir DIR",
		Short: "Create (first time) and start a devnet",
		Long: `Create N development nodes in DIR (first time only) and start their daemons
in the background, joined to each other, then wait until they are connected.

--topology mesh lets every node connect to every other; line lets node i
connect only to nodes i-1 and i+1, so packets from node1 to nodeN cross N-2
relays. Each daemon logs to DIR/nodeI/route.log.

Unless --no-swap, the devnet also runs the embedded chain (mf-swap chain,
in DIR/chain, logging to DIR/chain/chain.log) and one mf-swap daemon per
node (DIR/nodeI/swap.log); the first time, the faucet funds every node and
each deposits 50 MFT into its checkbook.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return cli.Usagef("devnet up needs --dir")
			}
			_, err := devnet.Up(cmd.Context(), devnet.Options{Nodes: nodes, Dir: dir, Topology: topology, Out: g.streams.Err, NoSwap: noSwap})
			if errors.Is(err, devnet.ErrRunning) {
				return cli.WithHint(err, "stop it with mf-route devnet down --dir %s", dir)
			}
			return err
		},
	}
	up.Flags().IntVar(&nodes, "nodes", 5, "number of nodes")
	up.Flags().StringVar(&dir, "dir", "", "directory for the nodes' homes (required)")
	up.Flags().StringVar(&topology, "topology", devnet.Mesh, "mesh or line")
	up.Flags().BoolVar(&noSwap, "no-swap", false, "leave out the chain and the mf-swap daemons")

	var asJSON bool
	status := &cobra.Command{
		Use:   "status --dir DIR",
		Short: "Show the nodes of a devnet",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := loadDevnet(dir)
			if err != nil {
				return err
			}
			ss := devnet.Status(st)
			if asJSON {
				return cli.WriteJSON(g.streams.Out, ss)
			}
			w := cli.Table(g.streams.Out)
			fmt.Fprintln(w, "NODE\tSTATE\tPID\tPEERS\tPORT\tSWAP\tOVERLAY\tHOME")
			for _, s := range ss {
				state := "stopped"
				if s.Running {
					state = "running"
				}
				sw := "-"
				if st.Swap && s.Swap {
					sw = "running"
				} else if st.Swap {
					sw = "stopped"
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", s.Name, state, s.PID, s.Peers, s.Port, sw, s.Overlay[:16], s.Home)
			}
			return w.Flush()
		},
	}
	status.Flags().StringVar(&dir, "dir", "", "devnet directory (required)")
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	down := &cobra.Command{
		Use:   "down --dir DIR",
		Short: "Stop the daemons of a devnet (its data stays)",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := loadDevnet(dir)
			if err != nil {
				return err
			}
			n := devnet.Down(st)
			fmt.Fprintf(g.streams.Err, "stopped %d daemon(s)\n", n)
			return nil
		},
	}
	down.Flags().StringVar(&dir, "dir", "", "devnet directory (required)")
	cmd.AddCommand(up, status, down)
	return cmd
}

func loadDevnet(dir string) (*devnet.State, error) {
	if dir == "" {
		return nil, cli.Usagef("--dir is required")
	}
	st, err := devnet.Load(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, cli.WithHint(fmt.Errorf("no devnet in %s (no %s)", dir, filepath.Join(dir, devnet.StateFile)), "start one with mf-route devnet up --dir %s", dir)
	}
	return st, err
}
