// Package storecmd holds the mf-store commands.
package storecmd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/store"
	"github.com/mainframe/mf/pkg/store/chunk"
	"github.com/mainframe/mf/pkg/store/storeapi"
	"github.com/mainframe/mf/pkg/termtext"
)

type globals struct {
	streams cli.Streams
	homeArg string
}

func (g *globals) home() string              { return config.Home(g.homeArg) }
func (g *globals) client() *storeapi.Client  { return storeapi.NewClient(g.home()) }
func (g *globals) clientErr(err error) error { return cli.DaemonErr("mf-store", g.home(), err) }

// Main runs mf-store.
func Main(args []string, s cli.Streams) int { return cli.Main(NewRoot(s), args, s) }

// NewRoot builds the mf-store command tree.
func NewRoot(s cli.Streams) *cobra.Command {
	g := &globals{streams: s}
	root := &cobra.Command{
		Use:   "mf-store",
		Short: "Files cut into chunks, encrypted, spread over the network's storers, proven in court",
		Long: `mf-store keeps files in the network (Mainframe whitepaper, section
"Incentivized file storage"). A file is cut into 1 MiB chunks, each
encrypted with a key that only the file's reference carries (--public:
plain), and each kept by the storers whose overlay addresses are nearest
the chunk's address: three copies by default, so any two storers may be
lost. The reference is the root of a tree of chunk addresses: every chunk is
checked against its address when it arrives.

Every mf-store daemon is a storer: it announces "store" in the node's
manifest at its price, earns that price for every chunk it serves (booked
with mf-swap, paid by cheque), stakes through mf-court for what it holds and
promises it, and answers the court's challenges with Merkle proofs.

  mf-store daemon &                   # the storer, with its socket store.sock
  mf-store put photo.jpg              # prints the reference
  mf-store get REF -o photo.jpg
  mf-store audit REF                  # challenge the storers off chain
  mf-store serve --http 127.0.0.1:8080   # GET /mf/REF for curl and browsers
` + cli.ExitCodesHelp,
	}
	cli.HomeFlag(root, &g.homeArg)
	root.AddCommand(newDaemonCmd(g), newPutCmd(g), newGetCmd(g), newStatCmd(g), newLsCmd(g), newPinCmd(g, true), newPinCmd(g, false),
		newAuditCmd(g), newCheckCmd(g), newSyncCmd(g), newAccountCmd(g), newStatusCmd(g), newServeCmd(g),
		cli.WaitCommand("mf-store", "the daemon", func(ctx context.Context) error {
			_, err := g.client().Status(ctx)
			return err
		}, g.clientErr))
	return cli.Finish(root)
}

func newDaemonCmd(g *globals) *cobra.Command {
	o := store.DefaultOptions()
	var price, stake, capacity string
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run mf-store: keep, serve and prove chunks; put and get for this node",
		Long: `Run mf-store in the foreground until SIGINT or SIGTERM. Its API is on
$MF_HOME/store.sock, its records in $MF_HOME/data/store (Pebble) and its
chunks in $MF_HOME/data/store.chunks. It reaches the network through this
node's mf-route daemon, which must run. With mf-swap running it offers
"store" in the node's manifest at --price and is paid for the chunks it
serves; with mf-court running it stakes --stake for each file it holds for
a client and promises it.
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
			if o.Price, err = amount.Parse(pick(cmd, "price", price, "MF_STORE_PRICE")); err != nil {
				return cli.Usagef("--price: %v", err)
			}
			if o.Stake, err = amount.Parse(pick(cmd, "stake", stake, "MF_STORE_STAKE")); err != nil || o.Stake.Sign() <= 0 {
				return cli.Usagef("--stake must be a positive amount of MFT")
			}
			if c := pick(cmd, "capacity", capacity, "MF_STORE_CAPACITY"); c != "" {
				if o.Capacity, err = parseBytes(c); err != nil {
					return cli.Usagef("--capacity: %v", err)
				}
			}
			log := slog.New(slog.NewTextHandler(g.streams.Err, nil))
			return store.RunDaemon(cmd.Context(), g.home(), cfg, o, log)
		},
	}
	cmd.Flags().StringVar(&price, "price", "0.01", "MFT charged per chunk served (env MF_STORE_PRICE)")
	cmd.Flags().StringVar(&stake, "stake", "1", "MFT staked per file held for a client (env MF_STORE_STAKE)")
	cmd.Flags().StringVar(&capacity, "capacity", "", "most chunk bytes to keep, like 10GiB (env MF_STORE_CAPACITY; default: the disk's)")
	cmd.Flags().IntVar(&o.Parallel, "parallel", o.Parallel, "chunks moved at once by a put or get")
	return cmd
}

// pick is a flag's value, unless the flag was not given and the
// environment variable is set: flags override MF_* variables.
func pick(cmd *cobra.Command, name, val, env string) string {
	if v := os.Getenv(env); v != "" && !cmd.Flags().Changed(name) {
		return v
	}
	return val
}

// parseBytes reads 1048576, 10MiB, 2GiB, 500MB.
func parseBytes(s string) (uint64, error) {
	orig := s
	units := []struct {
		suffix string
		mult   uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	mult := uint64(1)
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = v, u.mult
			break
		}
	}
	var n uint64
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || fmt.Sprint(n) != s {
		return 0, fmt.Errorf("%q is not a size like 10GiB", s)
	}
	if n > math.MaxUint64/mult {
		// It wrapped around to a small capacity, or to 0: none at all.
		return 0, fmt.Errorf("%q is more bytes than a disk holds", orig)
	}
	return n * mult, nil
}

func newPutCmd(g *globals) *cobra.Command {
	var o storeapi.PutOptions
	var asJSON, quiet bool
	cmd := &cobra.Command{
		Use:   "put FILE|-",
		Short: "Store a file in the network and print its reference",
		Long: `Store FILE (- for standard input) in the network and print its reference.
The file is encrypted with a key that only the reference carries; --public
stores it plain, with a reference of 64 hex digits instead of 128. Each chunk
goes to the --copies storers nearest its address (default 3: any two may be
lost).

A put of a file (not of standard input) can be run again after an
interruption: the key is derived from the file's contents and this node's
secret, so the chunks are the same, and only those the storers lack are
sent; the summary says how many bytes moved. A progress bar shows on a
terminal, nothing in a pipe.

The storers then stake through mf-court for what they hold and sign a
promise over it, which this node keeps ('stat' counts them, 'audit' uses
them); --wait-sworn waits for that before returning.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Copies < 0 || o.Copies > store.MaxCopies {
				return cli.Usagef("--copies must be 1 to %d", store.MaxCopies)
			}
			var in io.Reader = g.streams.In
			var size int64 = -1
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				info, err := f.Stat()
				if err != nil {
					return err
				}
				if info.IsDir() {
					return cli.Usagef("%s is a directory; put takes a file", args[0])
				}
				size = info.Size()
				if !o.Public {
					h := sha256.New()
					if _, err := io.Copy(h, f); err != nil {
						return err
					}
					o.Hash = hex.EncodeToString(h.Sum(nil))
					if _, err := f.Seek(0, io.SeekStart); err != nil {
						return err
					}
				}
				if o.Name == "" {
					o.Name = filepath.Base(args[0])
				}
				in = f
			}
			p := newProgress(g.streams, !asJSON && !quiet, "put", size)
			res, err := g.client().Put(cmd.Context(), p.reader(in), o)
			p.done()
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, res)
			}
			fmt.Fprintln(g.streams.Out, res.Ref)
			for _, w := range res.Warnings {
				fmt.Fprintf(g.streams.Err, "mf-store: warning: a storer refused chunks: %s\n", peerText(w))
			}
			if res.Short > 0 {
				fmt.Fprintf(g.streams.Err, "mf-store: warning: %d chunks got fewer than %d copies (too few storers took them)\n", res.Short, res.Copies)
			}
			if !quiet {
				fmt.Fprintf(g.streams.Err, "stored %s in %d chunks, %d copies each on %d storers: sent %d chunk copies (%s), %d already there\n",
					human(int64(res.Size)), res.Chunks, res.Copies, len(res.Storers), res.Sent, human(res.BytesSent), res.Present)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.Public, "public", false, "store the file plain: anyone with the reference reads it")
	cmd.Flags().IntVar(&o.Copies, "copies", 0, "storers per chunk (default 3)")
	cmd.Flags().StringVar(&o.Name, "name", "", "name shown by ls (default: the file's)")
	cmd.Flags().BoolVar(&o.Sworn, "wait-sworn", false, "return once the storers have staked and promised what they hold")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the reference")
	return cmd
}

func parseRef(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, err := chunk.ParseRef(s); err != nil {
		return "", cli.Usagef("%v", err)
	}
	return s, nil
}

// getResult is what get --json prints.
type getResult struct {
	Ref         string `json:"ref"`
	Size        int64  `json:"size"`
	Bytes       int64  `json:"bytes_fetched"`
	ResumedFrom int64  `json:"resumed_from"`
	Output      string `json:"output"`
}

// partRefSuffix names the file beside FILE.mfpart that says which file
// the part is of: a hash of the reference (a private file's reference holds
// its key), so that a get of another file to the same FILE does not append
// to the first one's bytes and leave a file that is neither.
const partRefSuffix = ".mfpart.ref"

// openPart opens FILE.mfpart to continue a get of ref, after checking that
// the bytes already in it are of ref.
func openPart(out, ref string) (*os.File, error) {
	sum := sha256.Sum256([]byte(strings.ToLower(ref)))
	mark := hex.EncodeToString(sum[:])
	prev, err := os.ReadFile(out + partRefSuffix)
	switch {
	case err == nil && strings.TrimSpace(string(prev)) != mark:
		if info, serr := os.Stat(out + ".mfpart"); serr == nil && info.Size() > 0 {
			return nil, cli.WithHint(fmt.Errorf("%s.mfpart holds part of another file", out),
				"finish that get, or remove %s.mfpart to fetch this file into %s", out, out)
		}
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	// A part without a mark (left by an older mf-store) is taken to be of
	// ref, as it was before marks.
	if err := os.WriteFile(out+partRefSuffix, []byte(mark+"\n"), 0o600); err != nil {
		return nil, err
	}
	return os.OpenFile(out+".mfpart", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
}

func newGetCmd(g *globals) *cobra.Command {
	var out string
	var asJSON, quiet bool
	cmd := &cobra.Command{
		Use:   "get REF [-o FILE|-]",
		Short: "Fetch a file from the network",
		Long: `Fetch the file REF names, checking every chunk, and write it to standard
output or to -o FILE. Writing to a file, the bytes go to FILE.mfpart first
and the file appears whole when it is complete; a get that was interrupted,
run again, fetches only what FILE.mfpart lacks. A get of another file to
the same FILE refuses to add to that part. A progress bar shows on a
terminal, nothing in a pipe.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := parseRef(args[0])
			if err != nil {
				return err
			}
			res := getResult{Ref: ref, Output: out}
			var w io.Writer = g.streams.Out
			var part *os.File
			if info, err := os.Stat(out); err == nil && !info.Mode().IsRegular() {
				// A device or a pipe (-o /dev/null): written straight.
				f, err := os.OpenFile(out, os.O_WRONLY, 0)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			} else if out != "" && out != "-" {
				part, err = openPart(out, ref)
				if err != nil {
					return err
				}
				defer part.Close()
				info, err := part.Stat()
				if err != nil {
					return err
				}
				res.ResumedFrom = info.Size()
				w = part
			} else {
				res.Output = "-"
			}
			st, err := g.client().Stat(cmd.Context(), ref)
			if err != nil {
				return g.clientErr(err)
			}
			if res.ResumedFrom > int64(st.Size) {
				return fmt.Errorf("%s.mfpart is longer than the file: remove it", out)
			}
			p := newProgress(g.streams, !asJSON && !quiet, "get", int64(st.Size)-res.ResumedFrom)
			var n, size int64
			if part != nil && res.ResumedFrom == int64(st.Size) {
				// The part is whole: a get killed after its last byte,
				// before the rename. The range after it starts past the
				// end, which the daemon refuses, on every try.
				size = int64(st.Size)
			} else {
				n, size, err = g.client().Get(cmd.Context(), ref, res.ResumedFrom, p.writer(w))
			}
			p.done()
			res.Bytes, res.Size = n, size
			if err == nil && part != nil {
				if err = part.Sync(); err == nil {
					err = os.Rename(out+".mfpart", out)
				}
				if err == nil {
					os.Remove(out + partRefSuffix)
				}
			}
			if err != nil {
				if part != nil && n+res.ResumedFrom > 0 {
					return cli.WithHint(g.clientErr(err), "run the same get again to fetch the rest (%s of %s are in %s.mfpart)", human(n+res.ResumedFrom), human(int64(st.Size)), out)
				}
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Err, res)
			}
			if !quiet && part != nil {
				msg := fmt.Sprintf("fetched %s", human(n))
				if res.ResumedFrom > 0 {
					msg += fmt.Sprintf(" (resumed at %s)", human(res.ResumedFrom))
				}
				fmt.Fprintln(g.streams.Err, msg+" into "+out)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE (- or none: standard output)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a summary as JSON on standard error")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no summary")
	return cmd
}

func newStatCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stat REF",
		Short: "Describe a file: size, chunks, how many are on this node",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := parseRef(args[0])
			if err != nil {
				return err
			}
			st, err := g.client().Stat(cmd.Context(), ref)
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, st)
			}
			t := cli.Table(g.streams.Out)
			fmt.Fprintf(t, "ref\t%s\nsize\t%d (%s)\nencrypted\t%v\nchunks\t%d (%d of data, depth %d)\non this node\t%d\npinned\t%v\nsworn\t%d storers\n",
				st.Ref, st.Size, human(int64(st.Size)), st.Encrypted, st.Chunks, st.DataChunks, st.Depth, st.Local, st.Pinned, len(st.Claims))
			return t.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newLsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the files this node put or pinned",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := g.client().List(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteList(g.streams.Out, asJSON, fs, "REF\tSIZE\tPINNED\tNAME", func(f storeapi.FileInfo) string {
				return fmt.Sprintf("%s\t%s\t%v\t%s", f.Ref, human(int64(f.Size)), f.Pinned, f.Name)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newPinCmd(g *globals, pin bool) *cobra.Command {
	var asJSON bool
	use, short := "pin REF", "Fetch every chunk of a file and keep it on this node"
	if !pin {
		use, short = "unpin REF", "Stop keeping a pinned file on this node"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := parseRef(args[0])
			if err != nil {
				return err
			}
			c := g.client()
			call := c.Unpin
			if pin {
				call = c.Pin
			}
			f, err := call(cmd.Context(), ref)
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, f)
			}
			fmt.Fprintf(g.streams.Err, "%s: pinned %v\n", strings.TrimSpace(args[0])[:16], f.Pinned)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newCheckCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check every chunk this node keeps; fetch damaged ones again",
		Long: `Read every chunk this node keeps and check it against its address. A damaged
chunk (a disk error, an edit) is removed and fetched again from another
storer. Damaged chunks are also found, and replaced, whenever they are read;
check finds those nobody asked for. Exits 1 when a damaged chunk could not
be replaced.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := g.client().Check(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				if err := cli.WriteJSON(g.streams.Out, res); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(g.streams.Out, "checked %d chunks: %d damaged, %d repaired\n", res.Checked, res.Damaged, res.Repaired)
			}
			if len(res.Lost) > 0 {
				return fmt.Errorf("%d damaged chunks are lost: no other storer has them", len(res.Lost))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newSyncCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Push the chunks this node keeps to the storers now nearest them",
		Long: `For every chunk this node keeps, work out the three storers nearest it among
those the network lists now; if this node is one of them, send the chunk to
the others that lack it. So when a storer leaves, the nodes that held the
same chunks restore their copies on the node that is now among the nearest.
The daemon does this by itself every 10 minutes.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := g.client().Sync(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, res)
			}
			fmt.Fprintf(g.streams.Out, "%d storers, %d chunks kept here: pushed %d copies\n", res.Storers, res.Checked, res.Pushed)
			for _, e := range res.Errors {
				fmt.Fprintf(g.streams.Err, "mf-store: warning: %s\n", peerText(e))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// peerText makes what a peer wrote (a storer's claim, its refusal, its
// error) safe to print on a terminal: data, never terminal control. A
// hostile storer's claim reached the audit table as it was, escape
// sequences and all.
func peerText(s string) string { return termtext.Clean(s, false) }

// writeAudit prints an audit's result as a table.
func writeAudit(w io.Writer, res *storeapi.AuditResult) {
	t := cli.Table(w)
	fmt.Fprintln(t, "STORER\tAGREEMENT\tRESULT\tCASE")
	for _, s := range res.Storers {
		r := "passed"
		if !s.Passed {
			r = "FAILED: " + s.Error
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\n", peerText(s.Address), peerText(s.Agreement), peerText(r), peerText(s.Case))
	}
	t.Flush()
}

func newAuditCmd(g *globals) *cobra.Command {
	var asJSON, court, always, quiet bool
	var storerAddr string
	cmd := &cobra.Command{
		Use:   "audit REF",
		Short: "Challenge the storers of a file off chain, as the court would",
		Long: `Ask each storer that swore for REF for a few 4 KiB pieces of what it
promised, picked at random, with their Merkle paths, and check them against
its signed promise: the court's challenge, off chain. Anyone holding the
reference may audit: the storers hand out their promises on the file. With
--court, each storer that fails is taken to court on its promise (a promise
case, opened by this node's mf-court): a storer that cannot answer the
court's challenge either loses its stake; --storer ADDRESS audits one
storer, and --always takes it to court even when it passed, for the court
to confirm. With --quiet only the ids of the cases opened are printed. Exits
1 when a storer failed.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := parseRef(args[0])
			if err != nil {
				return err
			}
			if always && !court {
				return cli.Usagef("--always goes with --court")
			}
			res, err := g.client().Audit(cmd.Context(), storeapi.AuditRequest{Ref: ref, Court: court, Always: always, Storer: storerAddr})
			if err != nil {
				return g.clientErr(err)
			}
			if quiet {
				for _, s := range res.Storers {
					if s.Case != "" {
						fmt.Fprintln(g.streams.Out, s.Case)
					}
				}
			} else if asJSON {
				if err := cli.WriteJSON(g.streams.Out, res); err != nil {
					return err
				}
			} else {
				writeAudit(g.streams.Out, res)
			}
			if res.Failed > 0 {
				return fmt.Errorf("%d of %d storers failed the audit", res.Failed, len(res.Storers))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&court, "court", false, "take every storer that fails to court")
	cmd.Flags().BoolVar(&always, "always", false, "with --court: take the storers to court even if they passed")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the ids of the cases opened")
	cmd.Flags().StringVar(&storerAddr, "storer", "", "audit only the storer with this Ethereum address")
	return cmd
}

func newAccountCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "account",
		Short: "Show what this node earned serving chunks and spent fetching them",
		Long: `Show what this node earned serving chunks to peers, at its price, and spent
fetching chunks from storers, at theirs, in MFT. Both are booked with
mf-swap, which settles them with cheques ('mf-swap cheques').
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.client().Account(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, a)
			}
			t := cli.Table(g.streams.Out)
			fmt.Fprintf(t, "earned\t%s MFT\t%d chunks served\nspent\t%s MFT\t%d chunks fetched\n", fmtMFT(a.Earned), a.ChunksServed, fmtMFT(a.Spent), a.ChunksFetched)
			for _, p := range a.Peers {
				fmt.Fprintf(t, "  %s\tearned %s\tspent %s\n", p.Peer, fmtMFT(p.Earned), fmtMFT(p.Spent))
			}
			return t.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newStatusCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the storer: chunks held, capacity, price",
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
			capacity := "the disk's"
			if st.Capacity > 0 {
				capacity = human(int64(st.Capacity))
			}
			fmt.Fprintf(t, "peer\t%s\noverlay\t%s\nchunks\t%d (%s)\ncapacity\t%s\nprice\t%s MFT per chunk\nstorers known\t%d\n",
				st.PeerID, st.Overlay, st.Chunks, human(int64(st.Bytes)), capacity, fmtMFT(st.Price), st.Storers)
			return t.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func fmtMFT(base string) string {
	v, ok := newInt(base)
	if !ok {
		return base
	}
	return amount.Format(v)
}

func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
