package routecmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

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
	var noSwap, noDB, noStore, noChat, noHold bool
	var holdDelegates int
	var bucket int
	var upJSON bool
	up := &cobra.Command{
		Use:   "up --nodes N --dir DIR",
		Short: "Create (first time) and start a devnet",
		Long: `Create N development nodes in DIR (first time only) and start their daemons
in the background, joined to each other, then wait until they are connected.

--topology mesh lets every node connect to every other; line lets node i
connect only to nodes i-1 and i+1, so packets from node1 to nodeN cross N-2
relays; kademlia lets each node connect only to --bucket-size peers per
Kademlia bucket (per length of the address prefix it shares with them),
chosen at random, so most pairs are not linked and packets cross relays.
Each daemon logs to DIR/nodeI/route.log.

Unless --no-swap, the devnet also runs the embedded chain (mf-swap chain,
in DIR/chain, logging to DIR/chain/chain.log), and one mf-swap daemon
(DIR/nodeI/swap.log) and one mf-court daemon (DIR/nodeI/court.log) per
node; the first time, the faucet funds every node and each deposits 50 MFT
into its checkbook. Unless --no-db, it then starts one mf-db daemon per
node (DIR/nodeI/db.log), and unless --no-store one mf-store daemon per node
(DIR/nodeI/store.log), and unless --no-hold one mf-hold daemon per node
(DIR/nodeI/hold.log); they find and pay their providers through mf-swap, so
--no-swap leaves them out too. --hold-delegates N makes every node sell db
service (the packet holders table lives there) and gives every node the N
nodes after it as delegates; it needs at least 4 nodes, as the table keeps
3 copies on nodes other than the writer. Unless --no-chat, every node also runs an
mf-chat daemon (DIR/nodeI/chat.log) when mf-chat is beside mf-route (make
build). With --json it prints the devnet's status, as devnet
status --json does, once everything runs.

Every daemon a devnet starts runs with GOMAXPROCS=1 unless GOMAXPROCS is
set in the environment: the devnet's many processes share the machine's
cores, and one Go scheduler thread each costs fewer context switches than
one per core (docs/benchmarks.md, "Run G").
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return cli.Usagef("devnet up needs --dir")
			}
			st, err := devnet.Up(cmd.Context(), devnet.Options{Nodes: nodes, Dir: dir, Topology: topology, Out: g.streams.Err, NoSwap: noSwap, NoDB: noDB, NoStore: noStore, NoChat: noChat, BucketSize: bucket,
				NoHold: noHold, HoldDelegates: holdDelegates})
			if errors.Is(err, devnet.ErrRunning) {
				return cli.WithHint(err, "stop it with mf-route devnet down --dir %s", dir)
			}
			if err != nil || !upJSON {
				return err
			}
			return cli.WriteJSON(g.streams.Out, devnet.Status(st))
		},
	}
	up.Flags().BoolVar(&upJSON, "json", false, "print the devnet's status as JSON once it runs")
	up.Flags().IntVar(&nodes, "nodes", 5, "number of nodes")
	up.Flags().StringVar(&dir, "dir", "", "directory for the nodes' homes (required)")
	up.Flags().StringVar(&topology, "topology", devnet.Mesh, "mesh, line or kademlia")
	up.Flags().IntVar(&bucket, "bucket-size", devnet.DefaultBucketSize, "peers per bucket with --topology kademlia")
	up.Flags().BoolVar(&noSwap, "no-swap", false, "leave out the chain and the mf-swap daemons")
	up.Flags().BoolVar(&noStore, "no-store", false, "leave out the mf-store daemons")
	up.Flags().BoolVar(&noChat, "no-chat", os.Getenv("MF_NO_CHAT") == "1", "leave out the mf-chat daemons (env MF_NO_CHAT=1)")
	up.Flags().BoolVar(&noDB, "no-db", false, "leave out the mf-db daemons")
	up.Flags().BoolVar(&noHold, "no-hold", false, "leave out the mf-hold daemons")
	up.Flags().IntVar(&holdDelegates, "hold-delegates", 0, "give every node N delegates (the next N nodes) that hold packets while it is offline")

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
			fmt.Fprintln(w, "NODE\tSTATE\tPID\tPEERS\tPORT\tSWAP\tCOURT\tDB\tSTORE\tHOLD\tCHAT\tOVERLAY\tHOME")
			for _, s := range ss {
				state := "stopped"
				if s.Running {
					state = "running"
				}
				sw, ct, db, sto, hd := "-", "-", "-", "-", "-"
				if st.Swap {
					sw, ct, db, sto, hd = running(s.Swap), running(s.Court), running(s.DB), running(s.Store), running(s.Hold)
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, state, s.PID, s.Peers, s.Port, sw, ct, db, sto, hd, running(s.Chat), s.Overlay[:16], s.Home)
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
	cmd.AddCommand(up, status, down, newDevnetChurnCmd(g))
	return cmd
}

func running(b bool) string {
	if b {
		return "running"
	}
	return "stopped"
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

type churnOptions struct {
	dir         string
	from        int
	minDelivery float64
	json        bool
	devnet.ChurnOptions
}

func newDevnetChurnCmd(g *globals) *cobra.Command {
	var o churnOptions
	cmd := &cobra.Command{
		Use:   "churn --dir DIR --kill N",
		Short: "Kill nodes of a running devnet while one streams packets, and count what arrives",
		Long: `Measure delivery while nodes die. One node (--from, default node1) streams
packets at --rate to every node that will survive, in turn; after --before,
--kill other nodes, drawn at random (--seed), are killed with SIGKILL, so
their connections are left as they are. The sender goes on for --notice, the
time it and the relays are given to notice the dead, and then for --after.

Only receivers the topology still connects to the sender count. The figures
are per phase: before the kill, the notice window, and after it. With
--min-delivery, the command exits 1 when the share delivered after the
notice window is below it.

  mf-route devnet up --nodes 20 --topology kademlia --no-swap --dir /tmp/k
  mf-route devnet churn --dir /tmp/k --kill 6
  mf-route devnet down --dir /tmp/k

The killed nodes stay down; 'devnet down' and then 'devnet up' on the same
DIR start the whole devnet again.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := loadDevnet(o.dir)
			if err != nil {
				return err
			}
			o.From = o.from - 1
			o.Out = g.streams.Err
			res, err := devnet.Churn(cmd.Context(), st, o.ChurnOptions)
			if err != nil {
				return err
			}
			if o.json {
				if err := cli.WriteJSON(g.streams.Out, res); err != nil {
					return err
				}
			} else {
				w := cli.Table(g.streams.Out)
				fmt.Fprintf(w, "nodes\t%d (%s), %s sending, %d killed, %d receivers connected, %d cut off\n", res.Nodes, res.Topology, res.From, len(res.Killed), len(res.Receivers), len(res.Cut))
				fmt.Fprintln(w, "PHASE\tSENT\tARRIVED\tDELIVERED\tREFUSED")
				for _, ph := range []struct {
					name string
					p    devnet.ChurnPhase
				}{{"before the kill", res.Before}, {fmt.Sprintf("first %gs after", res.NoticeSeconds), res.Notice}, {"after that", res.After}} {
					fmt.Fprintf(w, "%s\t%d\t%d\t%.1f %%\t%d\n", ph.name, ph.p.Sent, ph.p.Arrived, 100*ph.p.Rate, ph.p.Refused)
				}
				if err := w.Flush(); err != nil {
					return err
				}
			}
			if o.minDelivery > 0 && res.After.Rate < o.minDelivery {
				return fmt.Errorf("delivered %.1f %% after the notice window, below %.1f %%", 100*res.After.Rate, 100*o.minDelivery)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", "", "devnet directory (required)")
	f.IntVar(&o.from, "from", 1, "the sending node's number")
	f.IntVar(&o.Kill, "kill", 6, "how many other nodes to kill")
	f.IntVar(&o.Rate, "rate", 100, "packets per second the sender offers")
	f.DurationVar(&o.Before, "before", 3*time.Second, "how long to stream before the kill")
	f.DurationVar(&o.Notice, "notice", 5*time.Second, "the time given to notice the dead, not counted")
	f.DurationVar(&o.After, "after", 10*time.Second, "how long to stream after the notice window, counted")
	f.Uint64Var(&o.Seed, "seed", 0, "picks the nodes to kill (0: at random)")
	f.BoolVar(&o.PeersFirst, "peers-first", false, "kill the sender's own peers first (all but one at most)")
	f.Float64Var(&o.minDelivery, "min-delivery", 0, "exit 1 if the share delivered after the notice window is below this (0..1)")
	f.BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}
