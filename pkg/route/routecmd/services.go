package routecmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/route"
)

func newServicesCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "services",
		Short: "The services this node announces in the DHT, and who announces one",
		Long: `A node that offers a service announces it as a DHT provider record under a
key derived from the service's name, for as long as a lease that the service
renews while it runs (mf-swap does, for every service of its manifest).
'services' alone lists this node's announcements. 'services providers NAME'
lists the nodes the DHT names for a service: claims, which 'mf-swap manifest
find' checks against each provider's manifest.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			as, err := g.client().Announcements(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, as)
			}
			w := cli.Table(g.streams.Out)
			fmt.Fprintln(w, "SERVICE\tLEASE UNTIL\tANNOUNCED")
			for _, a := range as {
				last := "not yet"
				if !a.Last.IsZero() {
					last = a.Last.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\n", a.Service, a.Until.Format(time.RFC3339), last)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	var lease time.Duration
	announce := &cobra.Command{
		Use:   "announce SERVICE [--lease D]",
		Short: "Announce a service for a while (a service's daemon renews this itself)",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if lease < 0 || lease > route.MaxServiceLease {
				return cli.Usagef("--lease must be within 0..%s", route.MaxServiceLease)
			}
			a, err := g.client().Announce(cmd.Context(), args[0], lease)
			if err != nil {
				return g.clientErr(err)
			}
			fmt.Fprintf(g.streams.Out, "announcing %s until %s\n", a.Service, a.Until.Format(time.RFC3339))
			return nil
		},
	}
	announce.Flags().DurationVar(&lease, "lease", route.DefaultServiceLease, "how long the announcement lasts unless renewed")
	withdraw := &cobra.Command{
		Use:   "withdraw SERVICE",
		Short: "Stop announcing a service",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.client().Withdraw(cmd.Context(), args[0]); err != nil {
				return g.clientErr(err)
			}
			return nil
		},
	}
	var provJSON bool
	providers := &cobra.Command{
		Use:   "providers SERVICE [--json]",
		Short: "List the nodes the DHT names as providers of a service (unchecked claims)",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ps, err := g.client().Providers(cmd.Context(), args[0], 0)
			if err != nil {
				return g.clientErr(err)
			}
			if provJSON {
				return cli.WriteJSON(g.streams.Out, ps)
			}
			for _, p := range ps {
				fmt.Fprintf(g.streams.Out, "%s %s\n", p.PeerID, p.Address)
			}
			return nil
		},
	}
	providers.Flags().BoolVar(&provJSON, "json", false, "print JSON")
	cmd.AddCommand(announce, withdraw, providers)
	return cmd
}
