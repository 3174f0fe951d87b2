package dbcmd

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/db"
	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/swap/swapapi"
)

// The commands of the network side: selling db service, handing datasets
// to others, and looking at providers.

func newProvideCmd(g *globals) *cobra.Command {
	var price, stake, storagePrice string
	var minScore float64
	var stakeTerm time.Duration
	var stop bool
	cmd := &cobra.Command{
		Use:   "provide --price P [--storage-price Q] [--min-score S] [--stake AMOUNT] | provide --stop",
		Short: "Sell db service: store other nodes' datasets at a price",
		Long: `Put db in this node's service manifest at price P per request (MFT, or base
units), for peers whose credit score is at least S. mf-swap announces the
manifest in the DHT, where owners looking for providers (create
--redundancy) find it. --stop takes db out of the manifest. The price alone can
also be set when the daemon starts: mf-db daemon --price P.

With --storage-price Q, storage costs Q per KiB·day (the manifest's
dbstore entry): each write that this node stores pays for its bytes, in
their binary form, for 30 days.

With --stake AMOUNT (MFT, or base units), the provider stakes that much
through mf-court for each owner whose dataset it takes, for --stake-term:
the owner can take it to court, and the stake is what it stands to lose.

A provider stores only datasets whose owner-signed placement names it, and
checks every change it is sent (the writer's signature, the owner's ACL,
the limits) before it stores and acknowledges it.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			swap := swapapi.NewClient(g.home())
			if stop {
				if _, err := swap.RemoveManifest(cmd.Context(), db.ServiceName); err != nil {
					return cli.DaemonErr("mf-swap", g.home(), err)
				}
				return nil
			}
			if price == "" {
				return cli.Usagef("give --price P (or --stop)")
			}
			p, err := amount.Parse(price)
			if err != nil {
				return cli.UsageError{Err: err}
			}
			req := dbapi.ProvideRequest{Price: p.String(), MinScore: minScore, StakeTerm: int64(stakeTerm / time.Second)}
			if storagePrice != "" {
				v, err := amount.Parse(storagePrice)
				if err != nil {
					return cli.UsageError{Err: fmt.Errorf("--storage-price: %w", err)}
				}
				req.StoragePrice = v.String()
			}
			if stake != "" {
				v, err := amount.Parse(stake)
				if err != nil {
					return cli.UsageError{Err: fmt.Errorf("--stake: %w", err)}
				}
				req.Stake = v.String()
			}
			if _, err := g.client().Provide(cmd.Context(), req); err != nil {
				return g.clientErr(err)
			}
			fmt.Fprintf(g.streams.Err, "selling db service at %s per request\n", p)
			return nil
		},
	}
	cmd.Flags().StringVar(&price, "price", "", "price per request, MFT or base units")
	cmd.Flags().Float64Var(&minScore, "min-score", 0, "lowest credit score served (0..1)")
	cmd.Flags().BoolVar(&stop, "stop", false, "stop selling db service")
	cmd.Flags().StringVar(&storagePrice, "storage-price", "", "price per KiB·day stored, MFT or base units")
	cmd.Flags().StringVar(&stake, "stake", "", "stake this much through mf-court for each owner whose dataset this node takes")
	cmd.Flags().DurationVar(&stakeTerm, "stake-term", db.DefaultStakeTerm, "how long each stake runs")
	return cmd
}

func newRefCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ref DATASET",
		Short: "Print a reference that lets another node use a dataset",
		Long: `Print the dataset's reference: its metadata and the placement naming its
providers, both signed by the owner. Another node stores it with
mf-db open REF and then reaches the dataset through its providers, with
the rights the owner gave it. The reference holds no secret.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := g.client().Ref(cmd.Context(), args[0])
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, r)
			}
			fmt.Fprintln(g.streams.Out, r.Ref)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the reference with its records as JSON")
	return cmd
}

func newOpenCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "open REF|-",
		Short: "Use another node's dataset, from its reference (mf-db ref)",
		Long: `Store a dataset reference, printed by its owner's mf-db ref, so that this node
can write to the dataset and read it through its providers. The owner's
signatures are checked; a provider's newer metadata (a later grant) replaces
the reference's. Prints the dataset id, which the other commands take.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := args[0]
			if ref == "-" {
				b, err := io.ReadAll(io.LimitReader(g.streams.In, dbapi.MaxRef+1))
				if err != nil {
					return err
				}
				ref = strings.TrimSpace(string(b))
			}
			m, err := g.client().Open(cmd.Context(), ref)
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, m)
			}
			fmt.Fprintln(g.streams.Out, m.ID)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the metadata as JSON")
	return cmd
}

func newProvidersCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "providers DATASET",
		Short: "Ask each provider of a dataset for its digest",
		Long: `Ask each provider named in the dataset's placement for its digest: the
version it holds and the hash of its changes. Providers that hold the same
changes show the same hash; one that missed writes shows a lower version
until anti-entropy repairs it.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ds, err := g.client().ProviderDigests(cmd.Context(), args[0])
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteList(g.streams.Out, asJSON, ds, "PROVIDER\tCHANGES\tVERSION\tHASH", func(d dbapi.ProviderDigest) string {
				if d.Digest == nil {
					return fmt.Sprintf("%s\t-\t-\t%s", d.Provider.Address.Hex(), printable([]byte(d.Error)))
				}
				return fmt.Sprintf("%s\t%d\t%s\t%s", d.Provider.Address.Hex(), d.Digest.Changes, d.Digest.Version, d.Digest.Hash.Hex())
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newAcksCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "acks DATASET",
		Short: "List the providers' signed acknowledgements of this node's writes",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			as, err := g.client().Acks(cmd.Context(), args[0])
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteList(g.streams.Out, asJSON, as, "PROVIDER\tWRITER\tSEQS\tROOT", func(a *dbapi.Ack) string {
				return fmt.Sprintf("%s\t%s\t%d-%d\t%s", a.Provider.Hex(), a.Writer.Hex(), a.FromSeq, a.ToSeq, a.Root.Hex())
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newSyncCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Run one anti-entropy round now",
		Long: `Compare this node's digest of every placed dataset with each provider's, send
each what it lacks of what this node holds, and, on a provider, take what it
lacks. The daemon does this by itself every --sync-every.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := g.client().Sync(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, r)
			}
			fmt.Fprintf(g.streams.Out, "datasets %d  received %d  sent %d\n", r.Datasets, r.Received, r.Sent)
			for _, e := range r.Errors {
				fmt.Fprintf(g.streams.Err, "mf-db: %s\n", printable([]byte(e)))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newReplaceCmd(g *globals) *cobra.Command {
	var maxPrice string
	var minScore float64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "replace DATASET PROVIDER",
		Short: "Put another provider in the place of one that is gone for good",
		Long: `Find another node that sells db service (over the whole network, within
--max-price and --min-score), sign the next version of the dataset's
placement with it in place of PROVIDER (an Ethereum address, as mf-db
providers lists it), and send it to the providers. The new provider fills
itself from the others by anti-entropy; writers and readers take the new
placement from any provider. Only the owner places a dataset. Prints the
providers of the new placement.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := dbapi.ReplaceRequest{Provider: args[1], MinScore: minScore}
			if maxPrice != "" {
				p, err := amount.Parse(maxPrice)
				if err != nil {
					return cli.UsageError{Err: fmt.Errorf("--max-price: %w", err)}
				}
				req.MaxPrice = p.String()
			}
			p, err := g.client().Replace(cmd.Context(), args[0], req)
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, p)
			}
			for _, pr := range p.Providers {
				fmt.Fprintf(g.streams.Out, "%s\t%s\n", pr.Address.Hex(), pr.PeerID)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&maxPrice, "max-price", "", "highest price per request to pay the new provider")
	cmd.Flags().Float64Var(&minScore, "min-score", 0, "lowest credit score to accept (0..1)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the new placement as JSON")
	return cmd
}

func newTableCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "table",
		Short: "Network tables: datasets that belong to no one",
		Long: `A network table belongs to no one: its id is the hash of its definition, so
nobody can change it, and it lives on the R db providers whose overlay
addresses are nearest that id in Kademlia. Its write rules need no owner:
self lets a row be written only by the address its key names (the key is
that address in lower-case hex, alone or followed by /...), claim lets the
first writer of a key own it. mf-hold's packet holders table and mf-chat's
name directory are such tables. Others use one with mf-db open REF, REF
from mf-db ref ID.
` + cli.ExitCodesHelp,
	}
	var read, insert, update, del string
	var indexes []string
	var redundancy, quorum uint8
	var asJSON bool
	create := &cobra.Command{
		Use:   "create NAME --redundancy R [--read anyone|ADDRESSES] [--insert self|claim|anyone] [--update ...] [--delete ...] [--index FIELD]...",
		Short: "Define a network table and place it on the providers nearest its id",
		Long: `Define the network table NAME with these rules (read anyone, and insert,
update and delete self, unless given) and place it on the R providers
nearest its id. Defining the same table again is the same table. Prints its
id.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if redundancy == 0 {
				return cli.Usagef("a network table lives on providers: give --redundancy R")
			}
			m, err := g.client().CreateTable(cmd.Context(), dbapi.TableRequest{Name: args[0], Read: read, Insert: insert, Update: update, Delete: del,
				Indexes: indexes, Redundancy: redundancy, Quorum: quorum})
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, m)
			}
			fmt.Fprintln(g.streams.Out, m.ID)
			return nil
		},
	}
	create.Flags().StringVar(&read, "read", "", "who may read: anyone (default) or addresses")
	create.Flags().StringVar(&insert, "insert", "", "who may insert: self (default), claim, anyone or addresses")
	create.Flags().StringVar(&update, "update", "", "who may update: self (default), claim, anyone or addresses")
	create.Flags().StringVar(&del, "delete", "", "who may delete: self (default), claim, anyone or addresses")
	create.Flags().StringArrayVar(&indexes, "index", nil, "index this top-level JSON field (repeatable)")
	create.Flags().Uint8Var(&redundancy, "redundancy", 0, "providers to place it on, the nearest to its id")
	create.Flags().Uint8Var(&quorum, "quorum", 0, "acknowledgements a write needs (default: a majority of R)")
	create.Flags().BoolVar(&asJSON, "json", false, "print the metadata as JSON")
	cmd.AddCommand(create)
	return cmd
}

func newCheckCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check DATASET KEY",
		Short: "Ask every provider for a row and check each answer",
		Long: `Ask each provider of DATASET for row KEY and check each answer against the
owner's signed metadata: a provider that altered the row is caught by its
writer's signature, and one that answers with an older change, or none,
shows against the others. Exit status 1 when any answer does not verify.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := g.client().Check(cmd.Context(), args[0], args[1])
			if err != nil {
				return g.clientErr(err)
			}
			bad := 0
			for _, r := range rs {
				if !r.OK && strings.HasPrefix(r.Error, "does not verify") {
					bad++
				}
			}
			err = cli.WriteList(g.streams.Out, asJSON, rs, "PROVIDER\tSTATE\tWRITER\tSEQ", func(r dbapi.RowCheck) string {
				state := "ok"
				if !r.OK {
					state = printable([]byte(r.Error))
				}
				return fmt.Sprintf("%s\t%s\t%s\t%d", r.Provider.Address.Hex(), state, r.Writer.Hex(), r.Seq)
			})
			if err == nil && bad > 0 {
				err = fmt.Errorf("%d provider(s) answered with a row that does not verify", bad)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newClaimsCmd(g *globals) *cobra.Command {
	var asJSON, court bool
	var provider string
	cmd := &cobra.Command{
		Use:   "claims DATASET [KEY]",
		Short: "List the providers' court promises for this node's writes",
		Long: `List the claims kept for this node's writes to DATASET (to row KEY only, when
given): a provider that staked for the dataset signs, with each
acknowledgement, a court promise for every change it stored. With --court,
KEY and --provider, print the latest claim of that provider for the row in
the form mf-court case open takes (--claim FILE), for the dataset's owner,
who alone can take a provider to court (mf-db case does it on the owner's
node).
` + cli.ExitCodesHelp,
		Example: `  mf-db claims notes k1 --provider 0xPROVIDER --court > claim.json
  mf-court case open AGREEMENT --claim claim.json   # on the owner's node`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return cli.Usagef("%s takes 1 or 2 arguments, got %d; see --help", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			key := ""
			if len(args) == 2 {
				key = args[1]
			}
			if court && (key == "" || provider == "") {
				return cli.Usagef("--court needs the row's KEY and --provider")
			}
			cs, err := g.client().Claims(cmd.Context(), args[0], key, provider)
			if err != nil {
				return g.clientErr(err)
			}
			if court {
				if len(cs) == 0 {
					return fmt.Errorf("no claim of provider %s for row %q is kept here", provider, key)
				}
				last := cs[0]
				for _, c := range cs {
					if c.Writer == last.Writer && c.Seq > last.Seq {
						last = c
					}
				}
				return cli.WriteJSON(g.streams.Out, db.CourtClaim(last))
			}
			return cli.WriteList(g.streams.Out, asJSON, cs, "PROVIDER\tKEY\tWRITER\tSEQ\tAGREEMENT", func(c *dbapi.RowClaim) string {
				return fmt.Sprintf("%s\t%s\t%s\t%d\t%s", c.Provider.Hex(), printable([]byte(c.Key)), c.Writer.Hex(), c.Seq, c.Agreement)
			})
		},
	}
	cmd.Flags().StringVar(&provider, "provider", "", "only this provider's claims (an Ethereum address)")
	cmd.Flags().BoolVar(&court, "court", false, "print the latest claim for KEY in mf-court's claim form")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newCaseCmd(g *globals) *cobra.Command {
	var asJSON bool
	var provider string
	var witnesses int
	cmd := &cobra.Command{
		Use:   "case DATASET KEY --provider ADDRESS",
		Short: "Take a provider to court on its promise to hold a row",
		Long: `Open a case at the court, through this node's mf-court, against a provider
of DATASET, on the claim it signed for this node's latest write to row KEY
(mf-db claims). The court challenges the provider for chunks of the row as
it promised to hold it; a provider that dropped or altered the row cannot
answer and loses its stake to this node. With --witnesses N a panel of N
witnesses checks instead. Only the dataset's owner, the client of its
providers' stakes, can open a case; a writer gives the owner the claim
(mf-db claims --court). Follow the case with mf-court case show ID.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if provider == "" {
				return cli.Usagef("give the provider: --provider ADDRESS")
			}
			r, err := g.client().OpenCase(cmd.Context(), args[0], dbapi.CaseRequest{Key: args[1], Provider: provider, Witnesses: witnesses})
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, r)
			}
			fmt.Fprintln(g.streams.Out, r.Case)
			return nil
		},
	}
	cmd.Flags().StringVar(&provider, "provider", "", "the provider to take to court (an Ethereum address)")
	cmd.Flags().IntVar(&witnesses, "witnesses", 0, "a witness case before this many witnesses (odd, at most 7)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
