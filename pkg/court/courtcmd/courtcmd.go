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

	"github.com/mainframe/mf/pkg/chaindir"
	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/court"
	"github.com/mainframe/mf/pkg/swap"
)

type globals struct {
	streams cli.Streams
	homeArg string
}

func (g *globals) home() string              { return config.Home(g.homeArg) }
func (g *globals) client() *court.Client     { return court.NewClient(g.home()) }
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
signs promises about what it holds (promise); the client can take it to the
Court contract with such a promise (case open). The provider's mf-court
daemon answers automatically with the promised data, from the service's
socket (GET /v0/proof?key=...) or from what 'promise' stored, and wins; a
provider that does not answer before the deadline loses its stake to the
client. Verdicts are public: 'record' shows them, and mf-swap's credit score
counts them.

  mf-court stake hold --client 0xCLIENT --amount 10 --term 24h
  mf-court promise 1 --key photo.jpg --file photo.jpg > claim.json   # give claim.json to the client
  mf-court case open 1 --claim claim.json                            # the client, if it must
` + cli.ExitCodesHelp,
	}
	root.PersistentFlags().StringVar(&g.homeArg, "home", "", "node directory (env MF_HOME, default ~/.mainframe)")
	root.AddCommand(newDaemonCmd(g), newStakeCmd(g), newUnstakeCmd(g), newStakesCmd(g), newPromiseCmd(g), newPanelCmd(g), newCaseCmd(g), newCasesCmd(g), newRecordCmd(g),
		cli.WaitCommand("mf-court", "the daemon", func(ctx context.Context) error {
			_, err := g.client().Stakes(ctx)
			return err
		}, g.clientErr))
	root.AddCommand(cli.ManCommand(root))
	root.InitDefaultCompletionCmd()
	cli.Prepare(root)
	return root
}

func newDaemonCmd(g *globals) *cobra.Command {
	var ethRPC, chainDir string
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run mf-court: answer cases against this node, judge its own",
		Long: `Run mf-court in the foreground until SIGINT or SIGTERM. It needs a chain:
--chain-dir DIR for a development chain (mf-swap chain --dir DIR), or
--eth-rpc, MF_ETH_RPC or swap.eth_rpc. The court contracts come from
config.toml ([court] registry and court), else from the chain directory,
else from the chain itself (a development chain names them). Cases to
answer and testimony to give are kept in its store and retried until
their deadline, across restarts. Its API is on $MF_HOME/court.sock.
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
	var clientAddr, amount string
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
			v, err := swap.ParseAmount(amount)
			if err != nil || v.Sign() == 0 {
				return cli.Usagef("--amount must be a positive amount of MFT (like 10 or 1500wei)")
			}
			if term <= 0 || term > court.MaxTerm {
				return cli.Usagef("--term must be positive and at most %dh (ten years), like 24h", int(court.MaxTerm.Hours()))
			}
			a, err := g.client().Stake(cmd.Context(), court.StakeRequest{Service: args[0], Client: clientAddr, Amount: v.String(), Term: time.Now().Add(term).Unix()})
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
	cmd.Flags().StringVar(&amount, "amount", "", "stake in MFT (required)")
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
			return cli.WriteList(g.streams.Out, asJSON, as, "ID\tSERVICE\tCLIENT\tAMOUNT (MFT)\tUNTIL\tSTATUS", func(a court.Agreement) string {
				return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", a.ID, a.Service, a.Client, fmtBase(a.Amount), time.Unix(a.Term, 0).UTC().Format(time.RFC3339), a.Status)
			})
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
FILE (at most 64 KiB) under KEY, keep them, and print the claim (JSON) that
the client can take to court with 'mf-court case open'. While mf-court runs,
it answers such a case with the bytes and wins.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if key == "" || file == "" {
				return cli.Usagef("promise needs --key and --file")
			}
			data, err := readLimited(file, 64<<10)
			if err != nil {
				return err
			}
			c, err := g.client().Promise(cmd.Context(), court.PromiseRequest{Agreement: args[0], Key: key, Data: data})
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

func newPanelCmd(g *globals) *cobra.Command {
	var witnesses []string
	cmd := &cobra.Command{
		Use:   "panel AGREEMENT --witness ADDRESS...",
		Short: "Agree to a panel of witnesses; prints the signed claim for the client",
		Long: `As the provider of AGREEMENT, sign a panel of witnesses (an odd number, at most
7, neither party) and print the claim (JSON) the client can open a witness
case with. Called witnesses' mf-court daemons testify from what their node
knows of the provider: guilty when its credit score is below 0.5. The
majority decides.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(witnesses) == 0 || len(witnesses)%2 == 0 || len(witnesses) > 7 {
				return cli.Usagef("give an odd number of --witness, at most 7")
			}
			c, err := g.client().Panel(cmd.Context(), court.PanelRequest{Agreement: args[0], Witnesses: witnesses})
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteJSON(g.streams.Out, c)
		},
	}
	cmd.Flags().StringArrayVar(&witnesses, "witness", nil, "a witness's Ethereum address (repeatable)")
	return cmd
}

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
	var openJSON bool
	open := &cobra.Command{
		Use:   "open AGREEMENT --claim FILE",
		Short: "Take the provider of AGREEMENT to court with a signed claim",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if claimFile == "" {
				return cli.Usagef("case open needs --claim FILE")
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
			c, err := g.client().OpenCase(cmd.Context(), *claim)
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
			var cs []court.CaseInfo
			if err := g.clientCall(cmd, &cs); err != nil {
				return err
			}
			return cli.WriteList(g.streams.Out, asJSON, cs, "CASE\tAGREEMENT\tKIND\tSTATUS", func(c court.CaseInfo) string {
				return fmt.Sprintf("%s\t%s\t%s\t%s", c.ID, c.Agreement, c.Kind, c.Status)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (g *globals) clientCall(cmd *cobra.Command, out *[]court.CaseInfo) error {
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
	return swap.FormatAmount(v)
}
