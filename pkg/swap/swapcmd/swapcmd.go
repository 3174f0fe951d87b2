// Package swapcmd holds the mf-swap commands.
package swapcmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/chaindir"
	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/devchain"
	"github.com/mainframe/mf/pkg/swap"
	"github.com/mainframe/mf/pkg/swap/swapapi"
)

type globals struct {
	streams cli.Streams
	homeArg string
	ethRPC  string
}

func (g *globals) home() string            { return config.Home(g.homeArg) }
func (g *globals) client() *swapapi.Client { return swapapi.NewClient(g.home()) }

func (g *globals) clientErr(err error) error { return cli.DaemonErr("mf-swap", g.home(), err) }

// Main runs mf-swap.
func Main(args []string, s cli.Streams) int { return cli.Main(NewRoot(s), args, s) }

// NewRoot builds the mf-swap command tree.
func NewRoot(s cli.Streams) *cobra.Command {
	g := &globals{streams: s}
	root := &cobra.Command{
		Use:   "mf-swap",
		Short: "SWAP accounting: balances with peers, cheques, checkbook, credit scores",
		Long: `mf-swap keeps the node's accounts with its peers: SWAP, in the Mainframe
whitepaper's section "Incentivized packet routing".

It prices the packets mf-route exchanges with each peer, nets what flows
both ways, invoices a peer that owes more than the payment threshold, and
settles with EIP-712 cheques on the peer's checkbook contract, cashed on
chain when enough has accumulated. Only a cheque covered by the hard
deposit the peer's checkbook holds for this node is safe; a peer with more
at risk (debt plus uncovered cheques) than the disconnect threshold is
refused service by mf-route. See docs/checkbook.md.

  mf-swap chain --dir /tmp/chain          # an embedded development chain
  mf-swap faucet ADDRESS 100 --chain-dir /tmp/chain
  mf-swap daemon &                        # needs mf-route daemon running
  mf-swap deposit 50
  mf-swap balance
` + cli.ExitCodesHelp,
	}
	cli.HomeFlag(root, &g.homeArg)
	root.PersistentFlags().StringVar(&g.ethRPC, "eth-rpc", "", "chain for the daemon: IPC path or URL (env MF_ETH_RPC; the other commands use the running daemon's)")
	root.AddCommand(newChainCmd(g), newFaucetCmd(g), newDaemonCmd(g), newStatusCmd(g), newBalanceCmd(g),
		newChequesCmd(g), newCashCmd(g), newAmountCmd(g, "deposit"), newAmountCmd(g, "withdraw"),
		newScoreCmd(g), newManifestCmd(g), newWaitCmd(g))
	return cli.Finish(root)
}

func newChainCmd(g *globals) *cobra.Command {
	var dir, httpAddr string
	var blockTime time.Duration
	cmd := &cobra.Command{
		Use:   "chain --dir DIR",
		Short: "Run the embedded development chain (go-ethereum in process)",
		Long: `Run a development chain in this process: a real go-ethereum node and EVM
with real blocks, its data in DIR so that it survives a restart. It deploys
the MFT token and the checkbook factory the first time and writes their
addresses to DIR/chain.json. Clients reach it over the IPC socket
DIR/geth.ipc (--eth-rpc DIR/geth.ipc), and over HTTP on 127.0.0.1 with
--http. With --block-time 0 (the default) a block is sealed as soon as a
transaction arrives. Runs until SIGINT or SIGTERM.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return cli.Usagef("chain needs --dir")
			}
			if blockTime < 0 {
				return cli.Usagef("--block-time must not be negative")
			}
			if httpAddr != "" && !strings.HasPrefix(httpAddr, "127.0.0.1:") && !strings.HasPrefix(httpAddr, "localhost:") {
				return cli.Usagef("--http must be on 127.0.0.1 (e.g. 127.0.0.1:8545)")
			}
			c, err := devchain.Start(devchain.Options{Dir: dir, BlockTime: blockTime, HTTP: httpAddr})
			if err != nil {
				return err
			}
			defer c.Close()
			info, err := c.Setup(cmd.Context())
			if err != nil {
				return err
			}
			pidFile := filepath.Join(c.Dir, "chain.pid")
			_ = config.WriteFileAtomic(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
			defer os.Remove(pidFile)
			fmt.Fprintf(g.streams.Err, "chain %s running: ipc %s token %s factory %s\n", info.ChainID, info.IPC, info.Token, info.Factory)
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			<-ctx.Done()
			fmt.Fprintln(g.streams.Err, "chain stopping")
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "chain directory (required)")
	cmd.Flags().DurationVar(&blockTime, "block-time", 0, "seal a block this often (0: one per transaction, at once)")
	cmd.Flags().StringVar(&httpAddr, "http", "", "also serve JSON-RPC over HTTP at 127.0.0.1:PORT")
	return cmd
}

func newFaucetCmd(g *globals) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "faucet ADDRESS AMOUNT --chain-dir DIR",
		Short: "Fund an address on a development chain (ether for gas and MFT)",
		Long: `Give ADDRESS one ether for gas and AMOUNT MFT (e.g. 100, 0.5 or 1500wei)
on the development chain running in DIR. Development chains only: the
faucet's key lives in DIR.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return cli.Usagef("faucet needs --chain-dir (where mf-swap chain runs)")
			}
			if !common.IsHexAddress(args[0]) {
				return cli.Usagef("%q is not an Ethereum address", args[0])
			}
			v, err := amount.Parse(args[1])
			if err != nil {
				return cli.UsageError{Err: err}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
			defer cancel()
			if err := chaindir.Faucet(ctx, dir, common.HexToAddress(args[0]), v); err != nil {
				return err
			}
			fmt.Fprintf(g.streams.Err, "funded %s with 1 ETH and %s MFT\n", args[0], amount.Format(v))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "chain-dir", "", "directory of the development chain (required)")
	return cmd
}

func newDaemonCmd(g *globals) *cobra.Command {
	var passwordFile, logLevel, chainDir string
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run mf-swap: meter, invoice, pay and cash",
		Long: `Run mf-swap in the foreground until SIGINT or SIGTERM. It needs the node's
mf-route daemon (for traffic counts and to reach peers) and a chain:
--chain-dir DIR for a development chain (mf-swap chain --dir DIR), or
--eth-rpc, MF_ETH_RPC or swap.eth_rpc. The contracts come from swap.token
and swap.factory in config.toml, else from the chain directory, else from
the chain itself (a development chain names them). On first start it
deploys the node's checkbook. Its API is on $MF_HOME/swap.sock.
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
			if err := chaindir.ApplyFlags(cmd.Context(), &cfg, chainDir, g.ethRPC); err != nil {
				return err
			}
			if passwordFile != "" {
				cfg.Route.PasswordFile = passwordFile
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return cli.Usagef("--log-level must be debug, info, warn or error")
			}
			log := slog.New(slog.NewTextHandler(g.streams.Err, &slog.HandlerOptions{Level: level}))
			return swap.RunDaemon(cmd.Context(), g.home(), cfg, log)
		},
	}
	cmd.Flags().StringVar(&passwordFile, "password-file", "", "file holding the keystore password (env MF_PASSWORD_FILE)")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	cmd.Flags().StringVar(&chainDir, "chain-dir", "", "development chain directory: its IPC socket and contracts (env MF_CHAIN_DIR)")
	return cmd
}

func newStatusCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the node's address, checkbook and balances on chain",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.client().Status(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, st)
			}
			fmt.Fprintf(g.streams.Out, "address    %s\ncheckbook  %s\nchain      %s\n", st.Address, st.Checkbook, st.ChainID)
			fmt.Fprintf(g.streams.Out, "checkbook balance  %s MFT\n  liquid           %s MFT (the rest is in hard deposits for creditors)\nwallet balance     %s MFT\n", fmtBase(st.Balance), fmtBase(st.Liquid), fmtBase(st.Wallet))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func fmtBase(s string) string {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return s
	}
	return amount.Format(v)
}

func newBalanceCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "balance [PEER]",
		Short: "Show balances with peers (positive: the peer owes this node)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return cli.Usagef("balance takes at most one peer")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var bs []swapapi.PeerBalance
			if len(args) == 1 {
				b, err := g.client().Balance(cmd.Context(), args[0])
				if err != nil {
					return g.clientErr(err)
				}
				bs = []swapapi.PeerBalance{*b}
			} else {
				var err error
				if bs, err = g.client().Balances(cmd.Context()); err != nil {
					return g.clientErr(err)
				}
			}
			if asJSON {
				if len(args) == 1 {
					return cli.WriteJSON(g.streams.Out, bs[0])
				}
				return cli.WriteJSON(g.streams.Out, bs)
			}
			w := cli.Table(g.streams.Out)
			fmt.Fprintln(w, "PEER\tBALANCE (MFT)\tREFUSED")
			for _, b := range bs {
				fmt.Fprintf(w, "%s\t%s\t%v\n", b.Peer, b.MFT, b.Refused)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newChequesCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "cheques",
		Short: "List the last cheque received from and issued to each peer",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cs, err := g.client().Cheques(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteList(g.streams.Out, asJSON, cs, "PEER\tDIRECTION\tCUMULATIVE (MFT)\tCASHED (MFT)", func(c swapapi.ChequeInfo) string {
				return fmt.Sprintf("%s\t%s\t%s\t%s", c.Peer, c.Direction, fmtBase(c.Cumulative), fmtBase(c.Cashed))
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newCashCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "cash PEER",
		Short: "Cash the best cheque received from a peer now",
		Long: `Cash the best cheque received from PEER now, rather than when what it owes
passes swap.cash_threshold. PEER is a contact name, a card, an overlay
address or a peer ID, as for mf-route's commands.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client().Cash(cmd.Context(), args[0])
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, c)
			}
			fmt.Fprintf(g.streams.Err, "cashed %s's cheque up to %s MFT\n", args[0], fmtBase(c.Cumulative))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the cheque as JSON")
	return cmd
}

func newAmountCmd(g *globals, verb string) *cobra.Command {
	short := map[string]string{
		"deposit":  "Move MFT from the node's wallet into its checkbook",
		"withdraw": "Announce a withdrawal from the checkbook; run again after the notice period to withdraw",
	}[verb]
	var replace, asJSON bool
	cmd := &cobra.Command{
		Use:   verb + " AMOUNT",
		Short: short,
		Long:  short + ".\n\nAMOUNT is MFT (1.5) or base units (1500wei); it must be positive.\n" + cli.ExitCodesHelp,
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := amount.Parse(args[0])
			if err != nil {
				return cli.UsageError{Err: err}
			}
			if v.Sign() == 0 {
				return cli.Usagef("the amount must be positive")
			}
			if verb == "deposit" {
				st, err := g.client().Deposit(cmd.Context(), v.String())
				if err != nil {
					return g.clientErr(err)
				}
				if asJSON {
					return cli.WriteJSON(g.streams.Out, st)
				}
				fmt.Fprintf(g.streams.Err, "checkbook balance %s MFT\n", fmtBase(st.Balance))
				return nil
			}
			r, err := g.client().Withdraw(cmd.Context(), v.String(), replace)
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, r)
			}
			if r.Withdrawn != "" {
				fmt.Fprintf(g.streams.Err, "withdrew %s MFT\n", fmtBase(r.Withdrawn))
			} else {
				fmt.Fprintf(g.streams.Err, "announced a withdrawal of %s MFT; run this again after %s\n", fmtBase(r.Announced), time.Unix(r.NotBefore, 0).UTC().Format(time.RFC3339))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	if verb == "withdraw" {
		cmd.Long = short + `.

AMOUNT is MFT (1.5) or base units (1500wei); it must be positive and at most
what the checkbook holds. While one withdrawal is announced, another amount
is refused unless --replace is given, since a new announcement restarts the
notice period.
` + cli.ExitCodesHelp
		cmd.Flags().BoolVar(&replace, "replace", false, "announce this amount instead of the pending announcement (restarts the notice)")
	}
	return cmd
}

func newScoreCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "score ADDRESS",
		Short: "Credit score of an Ethereum address (0..1, 0.5 for a newcomer)",
		Long: `Compute an address's credit score from the chain: cheques its checkbooks paid
raise it, weighed by each beneficiary's own history and capped per
beneficiary; bounced cheques lower it sharply; court verdicts count by the
losing client's history. An address with no history scores 0.5. The history
covers every checkbook the address ever had, so a new checkbook does not
start a new score. The rule is in docs/score.md.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !common.IsHexAddress(args[0]) {
				return cli.Usagef("%q is not an Ethereum address", args[0])
			}
			sc, err := g.client().Score(cmd.Context(), args[0])
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, sc)
			}
			fmt.Fprintf(g.streams.Out, "score %.3f  (paid out %s MFT, %d bounced)\n", sc.Score, fmtBase(sc.PaidOut), sc.BounceCount)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newManifestCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "manifest",
		Short: "This node's service manifest: what it serves and at what price",
	}
	var price string
	var minScore float64
	var tiers []string
	set := &cobra.Command{
		Use:   "set SERVICE --price P [--min-score S] [--tier SCORE:PRICE]...",
		Short: "Set a service's price (per unit) and the credit score it requires",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := amount.Parse(price)
			if err != nil {
				return cli.UsageError{Err: err}
			}
			e := swapapi.ManifestEntry{Service: args[0], Price: p.String(), MinScore: minScore}
			for _, t := range tiers {
				sc, pr, ok := strings.Cut(t, ":")
				s, err1 := strconv.ParseFloat(sc, 64)
				v, err2 := amount.Parse(pr)
				if !ok || err1 != nil || err2 != nil {
					return cli.Usagef("--tier wants SCORE:PRICE, like 0.8:0.0005")
				}
				e.Tiers = append(e.Tiers, swapapi.Tier{MinScore: s, Price: v.String()})
			}
			if _, err := g.client().SetManifest(cmd.Context(), e); err != nil {
				return g.clientErr(err)
			}
			return nil
		},
	}
	set.Flags().StringVar(&price, "price", "", "price per unit, MFT or base units (required)")
	set.Flags().Float64Var(&minScore, "min-score", 0, "lowest credit score served (0..1)")
	set.Flags().StringArrayVar(&tiers, "tier", nil, "another price for peers scoring at least SCORE: SCORE:PRICE (repeatable)")
	var asJSON bool
	show := &cobra.Command{
		Use:   "show [PEER]",
		Short: "Show this node's manifest, or a peer's",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return cli.Usagef("show takes at most one peer")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			peer := ""
			if len(args) == 1 {
				peer = args[0]
			}
			m, err := g.client().Manifest(cmd.Context(), peer)
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, m)
			}
			w := cli.Table(g.streams.Out)
			fmt.Fprintln(w, "SERVICE\tPRICE (MFT)\tMIN SCORE\tTIERS")
			for _, e := range m.Services {
				var ts []string
				for _, t := range e.Tiers {
					ts = append(ts, fmt.Sprintf("%.2f:%s", t.MinScore, fmtBase(t.Price)))
				}
				fmt.Fprintf(w, "%s\t%s\t%.2f\t%s\n", e.Service, fmtBase(e.Price), e.MinScore, strings.Join(ts, " "))
			}
			return w.Flush()
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	remove := &cobra.Command{
		Use:   "remove SERVICE",
		Short: "Take a service out of the manifest; it is no longer announced",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := g.client().RemoveManifest(cmd.Context(), args[0]); err != nil {
				return g.clientErr(err)
			}
			return nil
		},
	}
	cmd.AddCommand(set, show, remove, newFindCmd(g))
	return cmd
}

func newFindCmd(g *globals) *cobra.Command {
	var maxPrice string
	var minScore float64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "find SERVICE [--max-price P] [--min-score S] [--json]",
		Short: "List the nodes in the network that offer a service, with their prices and scores",
		Long: `Find looks the service up in the DHT, where nodes announce the services of
their manifests, and lists each provider whose own manifest (fetched from it
through mf-route) offers the service: a DHT record alone is not believed.
PRICE is what the provider charges this node, by this node's score; "-" when
it does not serve this node's score. SCORE is the provider's credit score.`,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			mp := ""
			if maxPrice != "" {
				p, err := amount.Parse(maxPrice)
				if err != nil {
					return cli.UsageError{Err: err}
				}
				mp = p.String()
			}
			if minScore < 0 || minScore > 1 {
				return cli.Usagef("--min-score must be within 0..1")
			}
			offers, err := g.client().Find(cmd.Context(), args[0], mp, minScore)
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, offers)
			}
			w := cli.Table(g.streams.Out)
			fmt.Fprintln(w, "PEER\tADDRESS\tPRICE (MFT)\tMIN SCORE\tSCORE")
			for _, o := range offers {
				price := "-"
				if o.Price != "" {
					price = fmtBase(o.Price)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%.2f\t%.3f\n", o.PeerID, o.Address, price, o.Entry.MinScore, o.Score)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&maxPrice, "max-price", "", "only providers charging this node at most P per unit (MFT or base units)")
	cmd.Flags().Float64Var(&minScore, "min-score", 0, "only providers with a credit score of at least S (0..1)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// newWaitCmd is `wait`, for the daemon or, with --chain-dir, for a
// development chain started in the background.
func newWaitCmd(g *globals) *cobra.Command {
	var dir string
	cmd := cli.WaitCommand("mf-swap", "the daemon (or, with --chain-dir, the chain)", func(ctx context.Context) error {
		if dir != "" {
			info, err := chaindir.ReadInfo(dir)
			if err != nil {
				return err
			}
			c, _, err := chain.Dial(ctx, info.IPC)
			if err != nil {
				return err
			}
			c.Close()
			return nil
		}
		_, err := g.client().Status(ctx)
		return err
	}, func(err error) error {
		if dir != "" {
			return fmt.Errorf("the chain in %s did not come up: %v", dir, err)
		}
		return g.clientErr(err)
	})
	cmd.Flags().StringVar(&dir, "chain-dir", "", "wait for the development chain in this directory instead")
	return cmd
}
