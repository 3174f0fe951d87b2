package routecmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/route"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

func printEstimate(g *globals, e *routeapi.Estimate) {
	w := cli.Table(g.streams.Out)
	fmt.Fprintf(w, "network size\t~%.0f nodes\n", e.NetworkSize)
	fmt.Fprintf(w, "luminosity\t%d bits\n", e.Luminosity)
	fmt.Fprintf(w, "zone size\t~%.1f nodes (the anonymity set)\n", e.ZoneSize)
	fmt.Fprintf(w, "hops to zone\t~%.0f\n", e.Hops)
	fmt.Fprintf(w, "copies/packet\t~%.1f\n", e.ExpectedCopies)
	w.Flush()
}

func newLuminosityCmd(g *globals) *cobra.Command {
	var k int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "luminosity --anonymity K",
		Short: "Advise how many address bits to disclose for K candidate recipients",
		Long: `Estimate the network's size from the node's routing table and print the
luminosity (bits of the recipient's address a packet discloses) that leaves
at least K nodes that could be the recipient, with the expected copies per
packet at that setting. Fewer bits: more anonymity, more copies.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if k < 1 {
				return cli.Usagef("--anonymity must be at least 1")
			}
			a, err := g.client().Luminosity(cmd.Context(), k)
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, a)
			}
			if a.ZoneSize < float64(k) {
				fmt.Fprintf(g.streams.Err, "warning: the network (~%.0f nodes) is smaller than %d; even a broadcast cannot hide among that many\n", a.NetworkSize, k)
			}
			printEstimate(g, &a.Estimate)
			return nil
		},
	}
	cmd.Flags().IntVar(&k, "anonymity", 0, "candidate recipients wanted (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newReceiptsCmd(g *globals) *cobra.Command {
	var asJSON, group bool
	var wait string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "receipts [--group] [--json] [--wait ID]",
		Short: "Show proof of delivery for certified packets sent (send --certify)",
		Long: `Show, for each packet sent with --certify, its status:

  pending    no proof yet
  delivered  the recipient's signed receipt came back (shown)
  held       the recipient was away, and its delegates (mf-hold) signed that
             they hold the packet (held_by); it turns delivered when the
             recipient fetches it and signs
  zone       dark packet: zone members signed receipts, but the recipient
             was not among those asked
  failed     the hop named could not show proof: either its signed statement
             that the recipient was unreachable, with how many bits of the
             recipient's address it shares (finger pointing), or, with no
             answer in time, the last hop that signed that it took the
             packet (the recipient itself when it took it but gave no receipt)

--wait ID blocks until that packet is no longer pending (exit 1 if failed).
Records are kept for 30 days.

--group shows the packets sent with send --group --certify instead: each
member signs a receipt, and a packet is delivered once every member that
was in the group when it was sent did (--wait waits for that).
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := g.client()
			if group {
				return runGroupReceipts(cmd, g, asJSON, wait, timeout)
			}
			if wait != "" {
				ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
				defer cancel()
				for {
					r, err := c.Receipt(ctx, wait)
					if err != nil {
						return g.clientErr(err)
					}
					if r.Status != route.StatusPending {
						if asJSON {
							if err := cli.WriteJSON(g.streams.Out, r); err != nil {
								return err
							}
						} else {
							printReceipts(g, []routeapi.SentRecord{*r})
						}
						if r.Status == route.StatusFailed {
							return fmt.Errorf("packet %s failed: %s", r.ID, r.Reason)
						}
						return nil
					}
					select {
					case <-ctx.Done():
						return errors.New("still pending after " + timeout.String())
					case <-time.After(50 * time.Millisecond):
					}
				}
			}
			rs, err := c.Receipts(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, rs)
			}
			printReceipts(g, rs)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&wait, "wait", "", "wait until the packet with this id is settled")
	cmd.Flags().BoolVar(&group, "group", false, "show certified group packets, with a receipt per member")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "how long --wait waits")
	return cmd
}

func printReceipts(g *globals, rs []routeapi.SentRecord) {
	w := cli.Table(g.streams.Out)
	fmt.Fprintln(w, "PACKET\tTO\tLUM\tSTATUS\tDETAIL")
	for _, r := range rs {
		detail := ""
		switch {
		case r.Receipt != nil:
			detail = "receipt signed by " + r.Receipt.Signer.String()[:16]
		case r.Statement != nil:
			detail = fmt.Sprintf("hop %s: recipient unreachable (shares %d bits)", r.Statement.Signer.String()[:16], r.Statement.Proximity)
		case r.FailedHop != nil:
			detail = r.Reason // it names the hop
		case len(r.ZoneReceipts) > 0:
			detail = fmt.Sprintf("%d zone receipt(s)", len(r.ZoneReceipts))
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", r.ID[:16], r.To.String()[:16], r.Bits, r.Status, detail)
	}
	w.Flush()
}

func newLedgerCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ledger [--json]",
		Short: "List certified packets this node relayed, with bonds and proofs",
		Long: `List the certified packets this node passed on: the bond it was offered,
the bond it passed on (the difference is its fee), and the receipts it holds
as proof. Entries are kept for 30 days. Each link's bond is settled from the
receipts: a hop that shows proof earns the bond it was offered, one that took
the packet and shows nothing is charged it, and mf-swap books both in the
balance with that peer (see docs/bonds.md; the settled links are listed by
GET /v0/bonds on the daemon's socket).
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			es, err := g.client().Ledger(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteList(g.streams.Out, asJSON, es, "PACKET\tBOND IN\tBOND OUT\tPROOFS", func(e routeapi.LedgerEntry) string {
				return fmt.Sprintf("%s\t%d\t%d\t%d", e.ID[:16], e.BondIn, e.BondOut, len(e.Proofs))
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newTopicsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topics",
		Short: "List or drop the topics this node collects",
		Long: `A topic becomes watched the first time it is listened to: from then on the
node collects its packets into the inbox even while nobody listens, and
tries to open dark packets carrying its tag. 'topics rm' stops that and
empties the topic's inbox. 'mf-route topics' alone lists them, as 'topics
ls' does.

A node watches at most 1000 topics for its listeners: past that, a listen
on a new topic is refused until 'topics rm' frees one.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
	}
	list := func(cmd *cobra.Command, args []string) error {
		ts, err := g.client().Topics(cmd.Context())
		if err != nil {
			return g.clientErr(err)
		}
		for _, t := range ts {
			fmt.Fprintln(g.streams.Out, t)
		}
		return nil
	}
	cmd.RunE = list
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List watched topics",
		Args:  cli.NoArgs,
		RunE:  list,
	}
	rm := &cobra.Command{
		Use:   "rm TOPIC",
		Short: "Stop watching a topic and drop its waiting packets",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.clientErr(g.client().Unwatch(cmd.Context(), args[0]))
		},
	}
	cmd.AddCommand(ls, rm)
	return cmd
}
