// Package holdcmd holds the mf-hold commands.
package holdcmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/hold"
	"github.com/mainframe/mf/pkg/hold/holdapi"
)

type globals struct {
	streams cli.Streams
	homeArg string
}

func (g *globals) home() string              { return config.Home(g.homeArg) }
func (g *globals) client() *holdapi.Client   { return holdapi.NewClient(g.home()) }
func (g *globals) clientErr(err error) error { return cli.DaemonErr("mf-hold", g.home(), err) }

// Main runs mf-hold.
func Main(args []string, s cli.Streams) int { return cli.Main(NewRoot(s), args, s) }

// NewRoot builds the mf-hold command tree.
func NewRoot(s cli.Streams) *cobra.Command {
	g := &globals{streams: s}
	root := &cobra.Command{
		Use:   "mf-hold",
		Short: "Packets held for offline nodes by paid, staked delegates",
		Long: `mf-hold keeps packets for nodes that are offline (Mainframe whitepaper,
section "Incentivized packet holding"). A node picks delegates among the
nodes that sell holding (found over the whole network), agrees with each
(the delegate stakes for it in mf-court), and publishes the list in the
packet holders table, an mf-db network table where each node writes only
its own row. Senders' mf-route daemons look the list up and send every
packet to the delegates too; the delegates keep the sealed packets, which
they cannot read, and sign a receipt for each. When the node comes back,
its mf-route fetches what it missed from every delegate, each packet once,
and sends them a signed list of what it received: they delete those and
charge for the time they held them, through mf-swap.

Every mf-hold daemon is both: a delegate when it sells holding (--price),
and a client of its own delegates.

  mf-hold daemon &                     # sell holding; socket hold.sock
  mf-hold find --max-price 0.001       # who sells holding, and at what price
  mf-hold delegates add PEER1 PEER2 PEER3
  mf-hold delegates ls
  mf-hold clients                      # what this node holds for others
  mf-hold claims --id PACKET --delegate ADDR --court > claim.json   # a sender: a delegate's signed promise
  mf-hold case --claim claim.json      # the recipient: take that delegate to court
` + cli.ExitCodesHelp,
	}
	cli.HomeFlag(root, &g.homeArg)
	root.AddCommand(newDaemonCmd(g), newFindCmd(g), newDelegatesCmd(g), newPublishCmd(g), newClientsCmd(g), newHeldCmd(g),
		newAccountCmd(g), newStatusCmd(g), newClaimsCmd(g), newCaseCmd(g),
		cli.WaitCommand("mf-hold", "the daemon", func(ctx context.Context) error {
			_, err := g.client().Status(ctx)
			return err
		}, g.clientErr))
	return cli.Finish(root)
}

// pick is a flag's value, unless the flag was not given and the
// environment variable is set: flags override MF_* variables.
func pick(cmd *cobra.Command, name, val, env string) string {
	if v := os.Getenv(env); v != "" && !cmd.Flags().Changed(name) {
		return v
	}
	return val
}

func newDaemonCmd(g *globals) *cobra.Command {
	o := hold.DefaultOptions()
	var price, stake string
	var clientOnly bool
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run mf-hold: hold packets for clients; keep this node's delegates",
		Long: `Run mf-hold in the foreground until SIGINT or SIGTERM. Its API is on
$MF_HOME/hold.sock and its records in $MF_HOME/data/hold (Pebble). It
reaches the network through this node's mf-route daemon, which must run.

Unless --client-only, it sells holding: it offers "hold" in the node's
manifest (through mf-swap) at --price MFT per KiB·hour, stakes --stake MFT
through mf-court for each client that agrees with it, and holds at most
--client-bytes and --client-packets for one client, of which one sender
may fill at most --sender-bytes and --sender-packets. For a client it
staked for, it signs with each receipt a court promise that it holds the
packet, and deletes only what the client's received-list releases in
court. The time it held a packet is booked with mf-swap when the client's
received-list deletes it.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(g.home())
			if errors.Is(err, config.ErrNoHome) {
				return cli.WithHint(fmt.Errorf("no node in %s", g.home()), "create one with mf-route init --home %s --dev", g.home())
			}
			if err != nil {
				return err
			}
			if o.Price, err = amount.Parse(pick(cmd, "price", price, "MF_HOLD_PRICE")); err != nil {
				return cli.Usagef("--price: %v", err)
			}
			if o.Stake, err = amount.Parse(pick(cmd, "stake", stake, "MF_HOLD_STAKE")); err != nil || o.Stake.Sign() < 0 {
				return cli.Usagef("--stake must be an amount of MFT (0: hold without a stake)")
			}
			if o.ClientBytes < 1 || o.ClientPackets < 1 || o.SenderBytes < 1 || o.SenderPackets < 1 {
				return cli.Usagef("the quotas must be positive")
			}
			o.Sell = !clientOnly
			log := slog.New(slog.NewTextHandler(g.streams.Err, nil))
			return hold.RunDaemon(cmd.Context(), g.home(), cfg, o, log)
		},
	}
	cmd.Flags().StringVar(&price, "price", "0.0001", "MFT charged per KiB·hour held (env MF_HOLD_PRICE)")
	cmd.Flags().StringVar(&stake, "stake", "1", "MFT staked per client (env MF_HOLD_STAKE; 0: no stake)")
	cmd.Flags().Int64Var(&o.ClientBytes, "client-bytes", o.ClientBytes, "most bytes held for one client")
	cmd.Flags().IntVar(&o.ClientPackets, "client-packets", o.ClientPackets, "most packets held for one client")
	cmd.Flags().Int64Var(&o.SenderBytes, "sender-bytes", o.SenderBytes, "most bytes one sender may have held for one client")
	cmd.Flags().IntVar(&o.SenderPackets, "sender-packets", o.SenderPackets, "most packets one sender may have held for one client")
	cmd.Flags().BoolVar(&clientOnly, "client-only", false, "do not sell holding; only keep this node's delegates")
	return cmd
}

func newFindCmd(g *globals) *cobra.Command {
	var maxPrice string
	var minScore float64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "find",
		Short: "Find the nodes that sell packet holding, over the whole network",
		Long: `List the nodes that offer "hold" in their manifests, found through the DHT
and checked against each one's manifest by mf-swap: cheapest first, then by
credit score. --max-price is in MFT per KiB·hour.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			mp := ""
			if maxPrice != "" {
				v, err := amount.Parse(maxPrice)
				if err != nil {
					return cli.Usagef("--max-price: %v", err)
				}
				mp = v.String()
			}
			if minScore < 0 || minScore > 1 {
				return cli.Usagef("--min-score must be from 0 to 1")
			}
			offers, err := g.client().Find(cmd.Context(), mp, minScore)
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteList(g.streams.Out, asJSON, offers, "PEER\tADDRESS\tMFT/KiB·h\tSCORE", func(o holdapi.Offer) string {
				return fmt.Sprintf("%s\t%s\t%s\t%.2f", o.PeerID, o.Address, o.MFT, o.Score)
			})
		},
	}
	cmd.Flags().StringVar(&maxPrice, "max-price", "", "most MFT per KiB·hour")
	cmd.Flags().Float64Var(&minScore, "min-score", 0, "least credit score (0 to 1)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newDelegatesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delegates",
		Short: "This node's delegates: add, ls, rm",
		Long: `The nodes that hold packets for this node while it is offline. Adding one
asks it to agree (it stakes for this node in mf-court) and publishes the
list in the packet holders table; removing one publishes the list without
it, then ends the agreement.
` + cli.ExitCodesHelp,
	}
	var asJSON bool
	var auto int
	var maxPrice string
	add := &cobra.Command{
		Use:   "add [PEER...]",
		Short: "Agree with peers (peer IDs) to hold packets for this node",
		Long: `Agree with each PEER (a peer ID) to hold packets for this node, and publish
the list. With --auto N, take the N cheapest nodes mf-hold find lists
(within --max-price MFT per KiB·hour) instead.
` + cli.ExitCodesHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (auto > 0) == (len(args) > 0) {
				return cli.Usagef("name the delegates (peer IDs) or give --auto N, not both")
			}
			c := g.client()
			peers := args
			if auto > 0 {
				mp := ""
				if maxPrice != "" {
					v, err := amount.Parse(maxPrice)
					if err != nil {
						return cli.Usagef("--max-price: %v", err)
					}
					mp = v.String()
				}
				offers, err := c.Find(cmd.Context(), mp, 0)
				if err != nil {
					return g.clientErr(err)
				}
				if len(offers) < auto {
					return fmt.Errorf("the network offers %d delegates, not %d", len(offers), auto)
				}
				for _, o := range offers[:auto] {
					peers = append(peers, o.PeerID)
				}
			}
			ds, err := c.AddDelegates(cmd.Context(), peers)
			if err != nil {
				return g.clientErr(err)
			}
			return printDelegates(g, asJSON, ds)
		},
	}
	add.Flags().IntVar(&auto, "auto", 0, "take the N cheapest delegates found")
	add.Flags().StringVar(&maxPrice, "max-price", "", "with --auto: most MFT per KiB·hour")
	add.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List this node's delegates",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ds, err := g.client().Delegates(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			return printDelegates(g, asJSON, ds)
		},
	}
	ls.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	rm := &cobra.Command{
		Use:   "rm PEER",
		Short: "Stop a delegate holding packets for this node",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ds, err := g.client().RemoveDelegate(cmd.Context(), args[0])
			if err != nil {
				return g.clientErr(err)
			}
			return printDelegates(g, asJSON, ds)
		},
	}
	rm.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(add, ls, rm)
	return cmd
}

func printDelegates(g *globals, asJSON bool, ds []holdapi.Delegate) error {
	return cli.WriteList(g.streams.Out, asJSON, ds, "PEER\tADDRESS\tMFT/KiB·h\tAGREEMENT", func(d holdapi.Delegate) string {
		ag := d.Agreement
		if ag == "" {
			ag = "-"
		}
		return fmt.Sprintf("%s\t%s\t%s\t%s", d.PeerID, d.Address, fmtMFT(d.Price), ag)
	})
}

func fmtMFT(base string) string {
	v, ok := holdapi.ParseAmount(base)
	if !ok {
		return base
	}
	return amount.Format(v)
}

func newPublishCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "publish",
		Short: "Write this node's row of the packet holders table again",
		Long: `Write this node's delegate list to its row of the packet holders table,
through this node's mf-db (which must run). delegates add and rm do it
themselves; the daemon does it at start and every hour.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := g.client().Publish(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, res)
			}
			fmt.Fprintf(g.streams.Out, "table %s row %s: %d delegates\n", res.Table, res.Key, len(res.Row.Delegates))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newClientsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "clients",
		Short: "List the nodes this one holds packets for",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cs, err := g.client().Clients(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteList(g.streams.Out, asJSON, cs, "ADDRESS\tPACKETS\tBYTES\tSINCE", func(c holdapi.ClientInfo) string {
				return fmt.Sprintf("%s\t%d\t%d\t%s", c.Address, c.Packets, c.Bytes, c.Since.Format(time.RFC3339))
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newHeldCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "held CLIENT",
		Short: "List the packets held for a client (an Ethereum address)",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			hs, err := g.client().Held(cmd.Context(), args[0])
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteList(g.streams.Out, asJSON, hs, "ID\tSENDER\tSIZE\tTAKEN", func(h holdapi.HeldInfo) string {
				return fmt.Sprintf("%s\t%s\t%d\t%s", h.ID[:16], h.Sender, h.Size, h.Taken.Format(time.RFC3339))
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newAccountCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "account",
		Short: "Show what this node earned holding packets",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.client().Account(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, a)
			}
			fmt.Fprintf(g.streams.Out, "earned %s MFT\n", a.MFT)
			return cli.WriteList(g.streams.Out, false, a.Peers, "PEER\tMFT\tPACKETS", func(p holdapi.PeerAccount) string {
				return fmt.Sprintf("%s\t%s\t%d", p.Peer, fmtMFT(p.Earned), p.Packets)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newStatusCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the daemon: price, clients, packets held, delegates",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.client().Status(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, st)
			}
			t := cli.Table(g.streams.Out)
			fmt.Fprintf(t, "peer\t%s\naddress\t%s\nprice\t%s MFT per KiB·hour\nclients\t%d\nheld\t%d packets, %d bytes\ndelegates\t%d\n",
				st.PeerID, st.Address, fmtMFT(st.Price), st.Clients, st.Held, st.HeldBytes, st.Delegates)
			return t.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newClaimsCmd(g *globals) *cobra.Command {
	var asJSON, court bool
	var client, id, delegate string
	cmd := &cobra.Command{
		Use:   "claims [--client ADDR] [--id PACKET] [--delegate ADDR] [--court]",
		Short: "List the delegates' court claims kept for packets this node sent",
		Long: `List the court claims this node keeps: a staked delegate signs, with its
receipt for each packet it takes, a promise to the court that it holds the
packet's bytes. The sender's mf-route hands them to its mf-hold, which
keeps them until it has passed them on to the recipient's mf-hold, which
keeps those of its own delegates. The delegate's client (the packet's recipient)
is the one the court hears: with --court and a single claim selected (--id and
--delegate), the claim is printed in the form 'mf-hold case --claim FILE'
and 'mf-court case open AGREEMENT --claim FILE' take, to give to it.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if court && (id == "" || delegate == "") {
				return cli.Usagef("--court needs --id and --delegate: one claim")
			}
			cs, err := g.client().Claims(cmd.Context(), client, id, delegate)
			if err != nil {
				return g.clientErr(err)
			}
			if court {
				if len(cs) == 0 {
					return fmt.Errorf("no claim of delegate %s for packet %s is kept here", delegate, id)
				}
				return cli.WriteJSON(g.streams.Out, cs[0].Claim)
			}
			return cli.WriteList(g.streams.Out, asJSON, cs, "ID\tCLIENT\tDELEGATE\tAGREEMENT\tTAKEN", func(c holdapi.ClaimInfo) string {
				return fmt.Sprintf("%s\t%s\t%s\t%s\t%s", c.ID[:16], c.Client, c.Delegate, c.Claim.Agreement,
					time.UnixMilli(int64(c.TakenMs)).UTC().Format(time.RFC3339))
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&court, "court", false, "print the one claim selected in the court's form")
	cmd.Flags().StringVar(&client, "client", "", "only claims for this client (Ethereum address)")
	cmd.Flags().StringVar(&id, "id", "", "only claims for this packet id")
	cmd.Flags().StringVar(&delegate, "delegate", "", "only claims by this delegate (Ethereum address)")
	return cmd
}

func newCaseCmd(g *globals) *cobra.Command {
	var asJSON bool
	var delegate, claimFile string
	cmd := &cobra.Command{
		Use:   "case {PACKET --delegate ADDR | --claim FILE}",
		Short: "Take a delegate that signed for a packet held for this node to court",
		Long: `Take a delegate to court on its claim for a packet held for this node:
the one kept here for PACKET by --delegate, or the one in FILE (from the
sender's 'mf-hold claims --court'). Only the node the packet is held for,
the client of the delegate's stake, can. mf-court opens a promise case: the
delegate's mf-court must answer with chunks of the packet as it holds it,
or with this node's signed received-list naming it (then the case is
dismissed); otherwise the delegate loses its stake to this node. Follow
the case with 'mf-court case show ID'.
` + cli.ExitCodesHelp,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var req holdapi.CaseRequest
			switch {
			case claimFile != "" && len(args) == 0:
				b, err := os.ReadFile(claimFile)
				if err != nil {
					return err
				}
				req.Claim = new(holdapi.Claim)
				if err := req.Claim.UnmarshalJSON(b); err != nil {
					return fmt.Errorf("%s: %w", claimFile, err)
				}
			case claimFile == "" && len(args) == 1 && delegate != "":
				req.ID, req.Delegate = args[0], delegate
			default:
				return cli.Usagef("give PACKET and --delegate ADDR, or --claim FILE")
			}
			res, err := g.client().OpenCase(cmd.Context(), req)
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, res)
			}
			fmt.Fprintln(g.streams.Out, res.Case)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&delegate, "delegate", "", "the delegate (Ethereum address)")
	cmd.Flags().StringVar(&claimFile, "claim", "", "a claim file from the sender's mf-hold claims --court")
	return cmd
}
