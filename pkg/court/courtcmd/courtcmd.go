// Package courtcmd holds the mf-court commands.
package courtcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/chaindir"
	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/court"
	"github.com/mainframe/mf/pkg/court/courtapi"
)

type globals struct {
	streams cli.Streams
	homeArg string
}

func (g *globals) home() string              { return config.Home(g.homeArg) }
func (g *globals) client() *courtapi.Client  { return courtapi.NewClient(g.home()) }
func (g *globals) clientErr(err error) error { return cli.DaemonErr("mf-court", g.home(), err) }

// Main runs mf-court.
func Main(args []string, s cli.Streams) int { return cli.Main(NewRoot(s), args, s) }

// NewRoot builds the mf-court command tree.
func NewRoot(s cli.Streams) *cobra.Command {
	g := &globals{streams: s}
	root := &cobra.Command{
		Use:   "mf-court",
		Short: "Swear and swindle: stakes, promises, cases and verdicts on chain",
		Long: `mf-court is the node's agent in the swear-and-swindle game of the Mainframe
whitepaper (section "Incentivization").

A provider stakes MFT for a service agreement with a client (stake) and
signs promises about what it holds (promise): the Merkle root over the
data's 4 KiB chunks. The client can take it to the Court contract with such
a promise (case open). In a promise case the court picks a few chunks from
the hash of the block after the opening, which nobody knew in advance; the
provider's mf-court daemon answers with those chunks and their Merkle paths,
from the service's socket (GET /v0/proof?key=...&index=...) or from what
'promise' stored, and wins. An answer to an earlier case does not answer a
new one. A provider that does not answer before the deadline loses its
stake to the client.

In a witness case (case open --witnesses 3) the court draws the panel from
its pool of staked witnesses (witness join), never a party, never one twice,
with the same kind of seed. Each witness's daemon asks the provider for
chunks it picks itself, over the network, checks them against the promise,
and testifies; the majority decides. A drawn witness that stays silent
loses a little of its witness stake. Verdicts are public: 'record' shows
them, and mf-swap's credit score counts them. docs/challenges.md has the
rules.

  mf-court stake hold --client 0xCLIENT --amount 10 --term 24h
  mf-court promise 1 --key photo.jpg --file photo.jpg > claim.json   # give claim.json to the client
  mf-court case open 1 --claim claim.json                            # the client, if it must
  mf-court witness join                                              # anyone, to serve on panels
` + cli.ExitCodesHelp,
	}
	cli.HomeFlag(root, &g.homeArg)
	root.AddCommand(newDaemonCmd(g), newStakeCmd(g), newUnstakeCmd(g), newStakesCmd(g), newAgreementCmd(g), newPromiseCmd(g), newWitnessCmd(g), newCaseCmd(g), newCasesCmd(g), newRecordCmd(g),
		cli.WaitCommand("mf-court", "the daemon", func(ctx context.Context) error {
			_, err := g.client().Stakes(ctx)
			return err
		}, g.clientErr))
	return cli.Finish(root)
}

func newDaemonCmd(g *globals) *cobra.Command {
	var ethRPC, chainDir string
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run mf-court: answer cases against this node, judge its own, testify",
		Long: `Run mf-court in the foreground until SIGINT or SIGTERM. It needs a chain:
--chain-dir DIR for a development chain (mf-swap chain --dir DIR), or
--eth-rpc, MF_ETH_RPC or swap.eth_rpc. The court contracts come from
config.toml ([court] registry and court), else from the chain directory,
else from the chain itself (a development chain names them). Cases to
answer, panels to draw and testimony to give are kept in its store and
retried until their deadline, across restarts. Its API is on
$MF_HOME/court.sock. As a witness it reaches providers through this node's
mf-route daemon, which must run too.
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
			if err := chaindir.ApplyFlags(cmd.Context(), &cfg, chainDir, ethRPC); err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(g.streams.Err, nil))
			return court.RunDaemon(cmd.Context(), g.home(), cfg, log)
		},
	}
	cmd.Flags().StringVar(&ethRPC, "eth-rpc", "", "chain: IPC path or URL (env MF_ETH_RPC)")
	cmd.Flags().StringVar(&chainDir, "chain-dir", "", "development chain directory: its IPC socket and contracts (env MF_CHAIN_DIR)")
	return cmd
}

func newStakeCmd(g *globals) *cobra.Command {
	var clientAddr, amountArg string
	var term time.Duration
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stake SERVICE --client ADDRESS --amount A --term D",
		Short: "Lock MFT for a service agreement with a client",
		Long: `Lock AMOUNT MFT (1.5, or 1500wei) from this node's wallet for an agreement to
provide SERVICE (hold, store, db, ...) to CLIENT until TERM from now. The
stake unlocks after the term if no case is open; a guilty verdict forfeits
it to the client. Prints the agreement.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !common.IsHexAddress(clientAddr) {
				return cli.Usagef("--client must be an Ethereum address")
			}
			v, err := amount.Parse(amountArg)
			if err != nil || v.Sign() == 0 {
				return cli.Usagef("--amount must be a positive amount of MFT (like 10 or 1500wei)")
			}
			if term <= 0 || term > court.MaxTerm {
				return cli.Usagef("--term must be positive and at most %dh (ten years), like 24h", int(court.MaxTerm.Hours()))
			}
			a, err := g.client().Stake(cmd.Context(), courtapi.StakeRequest{Service: args[0], Client: clientAddr, Amount: v.String(), Term: time.Now().Add(term).Unix()})
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, a)
			}
			fmt.Fprintln(g.streams.Out, a.ID)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the agreement as JSON")
	cmd.Flags().StringVar(&clientAddr, "client", "", "the client's Ethereum address (required)")
	cmd.Flags().StringVar(&amountArg, "amount", "", "stake in MFT (required)")
	cmd.Flags().DurationVar(&term, "term", 0, "how long the agreement runs, e.g. 24h (required)")
	return cmd
}

func newUnstakeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "unstake ID",
		Short: "Release a stake after its term (refused while a case is open)",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.client().Unstake(cmd.Context(), args[0])
			if err != nil {
				return g.clientErr(err)
			}
			fmt.Fprintf(g.streams.Err, "agreement %s: %s\n", a.ID, a.Status)
			return nil
		},
	}
}

func newStakesCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stakes",
		Short: "List this node's stakes",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			as, err := g.client().Stakes(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteList(g.streams.Out, asJSON, as, "ID\tSERVICE\tCLIENT\tAMOUNT (MFT)\tUNTIL\tSTATUS", func(a courtapi.Agreement) string {
				return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", a.ID, a.Service, a.Client, fmtBase(a.Amount), time.Unix(a.Term, 0).UTC().Format(time.RFC3339), a.Status)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newAgreementCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "agreement ID",
		Short: "Show any agreement as the chain has it",
		Long: `Read agreement ID from the chain, whoever's it is: its service, provider,
client, stake, term and status. A client checks with it that the agreement a
provider's promises name is one the provider staked for it (mf-db's writers
do so before they keep a provider's promises).
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.client().Agreement(cmd.Context(), args[0])
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, a)
			}
			fmt.Fprintf(g.streams.Out, "agreement %s: %s for client %s by provider %s, %s MFT until %s, %s\n",
				a.ID, a.Service, a.Client, a.Provider, fmtBase(a.Amount), time.Unix(a.Term, 0).UTC().Format(time.RFC3339), a.Status)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newPromiseCmd(g *globals) *cobra.Command {
	var key, file string
	cmd := &cobra.Command{
		Use:   "promise AGREEMENT --key KEY --file FILE",
		Short: "Promise to hold FILE under KEY; prints the signed claim for the client",
		Long: `Sign a promise, under agreement AGREEMENT, that this node holds the bytes of
FILE (at most 1 MiB) under KEY, keep them, and print the claim (JSON) that
the client can take to court with 'mf-court case open'. The promise names
the Merkle root over FILE's 4 KiB chunks and their count. While mf-court
runs, it answers such a case with the chunks the court asks for and wins.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if key == "" || file == "" {
				return cli.Usagef("promise needs --key and --file")
			}
			data, err := readLimited(file, 1<<20)
			if err != nil {
				return err
			}
			c, err := g.client().Promise(cmd.Context(), courtapi.PromiseRequest{Agreement: args[0], Key: key, Data: data})
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteJSON(g.streams.Out, c)
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "the key the data is held under (required)")
	cmd.Flags().StringVar(&file, "file", "", "the data (required)")
	return cmd
}

func newWitnessCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "witness",
		Short: "Join, leave or show this node's place in the court's witness pool",
		Long: `Witness cases are decided by a panel the court draws from its pool of staked
witnesses. 'witness join' locks the court's witness stake (10 MFT on a devnet)
and puts this node in the pool; when drawn, its mf-court daemon asks the
provider for chunks of the promised data over the network, checks them
against the promise and testifies. A drawn witness that does not testify in
time loses the court's penalty (1 MFT on a devnet) and, its stake then
short, its place in the pool. 'witness leave' returns what is left, once no
case it is called in is open.
` + cli.ExitCodesHelp,
	}
	var asJSON bool
	show := func(w *courtapi.WitnessInfo) error {
		if asJSON {
			return cli.WriteJSON(g.streams.Out, w)
		}
		fmt.Fprintf(g.streams.Out, "%s: in the pool %v, stake held %s MFT (joining locks %s, silence costs %s), called in %d open case(s); pool of %d\n",
			w.Address, w.InPool, fmtBase(w.Balance), fmtBase(w.Stake), fmtBase(w.Penalty), w.Pending, w.PoolSize)
		return nil
	}
	for _, sub := range []struct {
		use, short string
		join       *bool
	}{
		{"join", "Lock the witness stake and join the pool", ptr(true)},
		{"leave", "Leave the pool and take back the witness stake", ptr(false)},
		{"status", "Show this node's place in the pool", nil},
	} {
		c := &cobra.Command{
			Use:   sub.use,
			Short: sub.short,
			Args:  cli.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				var w *courtapi.WitnessInfo
				var err error
				if sub.join == nil {
					w, err = g.client().Witness(cmd.Context())
				} else {
					w, err = g.client().SetWitness(cmd.Context(), *sub.join)
				}
				if err != nil {
					return g.clientErr(err)
				}
				return show(w)
			},
		}
		c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
		cmd.AddCommand(c)
	}
	return cmd
}

func ptr[T any](v T) *T { return &v }

func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is over %d bytes", path, max)
	}
	return b, nil
}

func newCaseCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "case", Short: "Open or show a case"}
	var claimFile string
	var witnesses int
	var openJSON bool
	open := &cobra.Command{
		Use:   "open AGREEMENT --claim FILE [--witnesses N]",
		Short: "Take the provider of AGREEMENT to court with a signed claim",
		Long: `Open a case on the provider's signed promise in FILE (from 'mf-court
promise'). Without --witnesses it is a promise case: the court challenges the
provider for chunks picked by the hash of the next block, and an answer it
checks on chain wins. With --witnesses N (odd, at most 7) it is a witness
case: the court draws N witnesses from its pool, none a party, and their
majority decides after each checks chunks of its own choosing with the
provider. Prints the case id.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if claimFile == "" {
				return cli.Usagef("case open needs --claim FILE")
			}
			if witnesses != 0 && (witnesses < 0 || witnesses%2 == 0 || witnesses > 7) {
				return cli.Usagef("--witnesses must be odd, at most 7")
			}
			b, err := readLimited(claimFile, 64<<10)
			if err != nil {
				return err
			}
			claim, err := court.ParseClaim(b)
			if err != nil {
				return err
			}
			if claim.Agreement != args[0] {
				return fmt.Errorf("the claim is about agreement %q, not %s", claim.Agreement, args[0])
			}
			c, err := g.client().OpenCase(cmd.Context(), courtapi.CaseRequest{Claim: *claim, Witnesses: witnesses})
			if err != nil {
				return g.clientErr(err)
			}
			if openJSON {
				return cli.WriteJSON(g.streams.Out, c)
			}
			fmt.Fprintln(g.streams.Out, c.ID)
			return nil
		},
	}
	open.Flags().BoolVar(&openJSON, "json", false, "print the case as JSON")
	open.Flags().StringVar(&claimFile, "claim", "", "the claim file from 'mf-court promise' (required)")
	open.Flags().IntVar(&witnesses, "witnesses", 0, "open a witness case with a panel of N drawn from the pool (odd, at most 7)")
	var asJSON bool
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a case",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client().Case(cmd.Context(), args[0])
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, c)
			}
			fmt.Fprintf(g.streams.Out, "case %s on agreement %s (%s): %s\nplaintiff %s\nprovider  %s\ndeadline  %s\n", c.ID, c.Agreement, c.Kind, c.Status, c.Plaintiff, c.Provider, time.Unix(c.Deadline, 0).UTC().Format(time.RFC3339))
			for _, w := range c.Witnesses {
				fmt.Fprintf(g.streams.Out, "witness   %s\n", w)
			}
			return nil
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(open, show)
	return cmd
}

func newCasesCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "cases",
		Short: "List the cases this node opened or answered",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var cs []courtapi.CaseInfo
			if err := g.clientCall(cmd, &cs); err != nil {
				return err
			}
			return cli.WriteList(g.streams.Out, asJSON, cs, "CASE\tAGREEMENT\tKIND\tSTATUS", func(c courtapi.CaseInfo) string {
				return fmt.Sprintf("%s\t%s\t%s\t%s", c.ID, c.Agreement, c.Kind, c.Status)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (g *globals) clientCall(cmd *cobra.Command, out *[]courtapi.CaseInfo) error {
	cs, err := g.client().Cases(cmd.Context())
	if err != nil {
		return g.clientErr(err)
	}
	*out = cs
	return nil
}

func newRecordCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "record ADDRESS",
		Short: "An address's trust record: verdicts for and against it",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !common.IsHexAddress(args[0]) {
				return cli.Usagef("%q is not an Ethereum address", args[0])
			}
			r, err := g.client().Record(cmd.Context(), args[0])
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, r)
			}
			fmt.Fprintf(g.streams.Out, "%s: %d verdict(s) against, %d for\n", r.Address, r.Against, r.For)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func fmtBase(s string) string {
	v, ok := newInt(s)
	if !ok {
		return s
	}
	return amount.Format(v)
}
