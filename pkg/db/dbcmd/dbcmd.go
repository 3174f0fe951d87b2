// Package dbcmd holds the mf-db commands.
package dbcmd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/db"
	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

type globals struct {
	streams cli.Streams
	homeArg string
}

func (g *globals) home() string              { return config.Home(g.homeArg) }
func (g *globals) client() *dbapi.Client     { return dbapi.NewClient(g.home()) }
func (g *globals) clientErr(err error) error { return cli.DaemonErr("mf-db", g.home(), err) }

// Main runs mf-db.
func Main(args []string, s cli.Streams) int { return cli.Main(NewRoot(s), args, s) }

// NewRoot builds the mf-db command tree.
func NewRoot(s cli.Streams) *cobra.Command {
	g := &globals{streams: s}
	root := &cobra.Command{
		Use:   "mf-db",
		Short: "Datasets with an owner-signed ACL, signed rows, queries and subscriptions",
		Long: `mf-db keeps datasets: the Mainframe whitepaper's section "Incentivized data
services". A dataset belongs to its owner, whose signed metadata says who
may read, insert, update and delete rows; every row is a change signed by
its writer (deletions are signed tombstones), and a reader checks each row
it gets against the owner's metadata, so whoever stores it can neither
forge nor alter one. Rows are JSON documents (or bytes with --raw), found
by key, key prefix, or indexed fields; watch streams every change, and
resumes from the version it printed last with nothing missed or repeated.
The order of changes and what a version means are in docs/db.md.

A dataset of redundancy R lives on R providers found over the whole network
(create --redundancy R): a write stands once W of them acknowledged it, a
read may come from any of them and is verified, and providers repair each
other by anti-entropy. mf-db ref prints what another node opens it with.
A node sells storage with mf-db provide --price P.

  mf-db daemon &
  mf-db wait
  mf-db create notes --read anyone --index age
  mf-db put notes alice '{"age": 31}'
  mf-db get notes alice
  mf-db query notes --where 'age>30'
  mf-db watch notes --from AQA
` + cli.ExitCodesHelp,
	}
	cli.HomeFlag(root, &g.homeArg)
	root.AddCommand(newDaemonCmd(g), newCreateCmd(g), newLsCmd(g),
		newWriteCmd(g, dbapi.OpPut), newWriteCmd(g, dbapi.OpInsert), newWriteCmd(g, dbapi.OpUpdate), newDeleteCmd(g),
		newImportCmd(g), newGetCmd(g), newQueryCmd(g), newWatchCmd(g), newACLCmd(g, false), newACLCmd(g, true), newDigestCmd(g), newMailboxCmd(g),
		newProvideCmd(g), newRefCmd(g), newOpenCmd(g), newProvidersCmd(g), newAcksCmd(g), newSyncCmd(g), newReplaceCmd(g), newTableCmd(g), newCheckCmd(g),
		newClaimsCmd(g), newCaseCmd(g),
		cli.WaitCommand("mf-db", "the daemon", func(ctx context.Context) error {
			_, err := g.client().Status(ctx)
			return err
		}, g.clientErr))
	return cli.Finish(root)
}

func newDaemonCmd(g *globals) *cobra.Command {
	var passwordFile, logLevel, price string
	var syncEvery time.Duration
	var offline bool
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run mf-db: keep this node's datasets and serve its API",
		Long: `Run mf-db in the foreground until SIGINT or SIGTERM. It signs with the node's
key (mf-route init made it), keeps its Pebble database in
$MF_HOME/data/db and serves its API on $MF_HOME/db.sock. Through mf-route it
reaches the providers of datasets of redundancy above 0 and, as a provider,
serves peers; --price P also sells db service (mf-db provide).
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
			if passwordFile != "" {
				cfg.Route.PasswordFile = passwordFile
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return cli.Usagef("--log-level must be debug, info, warn or error")
			}
			log := slog.New(slog.NewTextHandler(g.streams.Err, &slog.HandlerOptions{Level: level}))
			opts := []db.NetOption{db.WithSyncEvery(syncEvery)}
			if price != "" {
				p, err := amount.Parse(price)
				if err != nil {
					return cli.UsageError{Err: err}
				}
				opts = append(opts, db.WithPrice(p.String(), 0))
			}
			if offline {
				opts = append(opts, db.Offline())
			}
			return db.RunDaemon(cmd.Context(), g.home(), cfg, log, opts...)
		},
	}
	cmd.Flags().StringVar(&passwordFile, "password-file", "", "file holding the keystore password (env MF_PASSWORD_FILE)")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	cmd.Flags().StringVar(&price, "price", "", "sell db service at this price per request (mf-db provide)")
	cmd.Flags().DurationVar(&syncEvery, "sync-every", db.DefaultSyncEvery, "period of anti-entropy rounds")
	cmd.Flags().BoolVar(&offline, "offline", false, "keep off the network: this node's datasets only")
	return cmd
}

// who turns a WHO argument into a rule's text form: owner, anyone, or a
// list of addresses, where "contacts" and contact names are resolved by
// this node's mf-route (a provider cannot see the owner's contacts).
func (g *globals) who(ctx context.Context, s string) (string, error) {
	switch s {
	case "owner", "anyone", "":
		return s, nil
	}
	var addrs []string
	route := routeapi.NewClient(g.home())
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
			return "", cli.Usagef("empty name in %q", s)
		case common.IsHexAddress(part) && strings.HasPrefix(strings.ToLower(part), "0x"):
			addrs = append(addrs, part)
		case part == "contacts":
			cs, err := route.Contacts(ctx)
			if err != nil {
				return "", cli.DaemonErr("mf-route", g.home(), fmt.Errorf("listing contacts: %w", err))
			}
			for _, c := range cs {
				if c.Address != "" {
					addrs = append(addrs, c.Address)
				}
			}
			if len(cs) == 0 {
				return "", fmt.Errorf("\"contacts\": this node has no contacts yet (mf-route contacts add)")
			}
		default:
			c, err := route.Resolve(ctx, part)
			if err != nil {
				return "", cli.DaemonErr("mf-route", g.home(), fmt.Errorf("%q is neither owner, anyone, contacts, an address nor a contact: %w", part, err))
			}
			addrs = append(addrs, c.Address)
		}
	}
	return strings.Join(addrs, ","), nil
}

func newCreateCmd(g *globals) *cobra.Command {
	var read, insert, update, del string
	var indexes []string
	var redundancy, quorum uint8
	var maxPrice string
	var minScore float64
	var mailbox, asJSON bool
	cmd := &cobra.Command{
		Use:   "create NAME [--read WHO] [--insert WHO] [--update WHO] [--delete WHO] [--index FIELD]...",
		Short: "Create a dataset owned by this node",
		Long: `Create the dataset NAME, owned by this node and signed with its key. WHO is
owner (the default), anyone, contacts (this node's contacts now, resolved by
its mf-route), or a comma-separated list of Ethereum addresses and contact
names. The owner may always do everything. --index FIELD makes a top-level
JSON field queryable with query --where. With --mailbox, the dataset is a
mailbox: read, update and delete by the owner, insert by --insert (anyone
or contacts), rows sealed to the owner. Prints the dataset id.

With --redundancy R, the dataset is stored on R providers found over the
whole network (mf-swap's discovery), cheapest first and then by credit
score, within --max-price and --min-score; a write stands once --quorum W of
them acknowledged it (default a majority). Give others mf-db ref NAME.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := dbapi.CreateRequest{Name: args[0], Indexes: indexes, Redundancy: redundancy, Quorum: quorum, MinScore: minScore}
			if maxPrice != "" {
				p, err := amount.Parse(maxPrice)
				if err != nil {
					return cli.UsageError{Err: fmt.Errorf("--max-price: %w", err)}
				}
				req.MaxPrice = p.String()
			}
			if mailbox {
				if read != "" || update != "" || del != "" || len(indexes) > 0 {
					return cli.Usagef("a mailbox is read, updated and deleted by its owner and has no index: give --insert only")
				}
				req.Kind, read, update, del = dbapi.KindMailbox, "owner", "owner", "owner"
				if insert == "" {
					insert = "anyone"
				}
			}
			for _, x := range []struct {
				flag string
				in   string
				out  *string
			}{{"read", read, &req.Read}, {"insert", insert, &req.Insert}, {"update", update, &req.Update}, {"delete", del, &req.Delete}} {
				v, err := g.who(cmd.Context(), x.in)
				if err != nil {
					return fmt.Errorf("--%s: %w", x.flag, err)
				}
				*x.out = v
			}
			m, err := g.client().Create(cmd.Context(), req)
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
	cmd.Flags().StringVar(&read, "read", "", "who may read: owner, anyone, contacts, or addresses and contact names")
	cmd.Flags().StringVar(&insert, "insert", "", "who may insert rows")
	cmd.Flags().StringVar(&update, "update", "", "who may update rows")
	cmd.Flags().StringVar(&del, "delete", "", "who may delete rows")
	cmd.Flags().StringArrayVar(&indexes, "index", nil, "index this top-level JSON field (repeatable)")
	cmd.Flags().Uint8Var(&redundancy, "redundancy", 0, "providers to store it on (0: this node only)")
	cmd.Flags().Uint8Var(&quorum, "quorum", 0, "acknowledgements a write needs (default: a majority of R)")
	cmd.Flags().StringVar(&maxPrice, "max-price", "", "highest price per request to pay a provider")
	cmd.Flags().Float64Var(&minScore, "min-score", 0, "lowest provider credit score to accept (0..1)")
	cmd.Flags().BoolVar(&mailbox, "mailbox", false, "create a mailbox (rows sealed to the owner)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the signed metadata as JSON")
	return cmd
}

func newLsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the datasets stored here",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ms, err := g.client().Datasets(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteList(g.streams.Out, asJSON, ms, "NAME\tKIND\tVERSION\tREAD\tINSERT\tUPDATE\tDELETE\tID", func(m *dbapi.Meta) string {
				return fmt.Sprintf("%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s", m.Name, m.Kind, m.Version, short(m.ACL.Read), short(m.ACL.Insert), short(m.ACL.Update), short(m.ACL.Delete), m.ID)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// short is a rule for a table: a list as its count.
func short(r dbapi.Rule) string {
	if r.Kind == dbapi.RuleList {
		if len(r.Addrs) == 1 {
			return r.Addrs[0].Hex()[:10] + "…"
		}
		return fmt.Sprintf("%d addresses", len(r.Addrs))
	}
	return r.String()
}

// readValue reads a row's value: the argument, or stdin for "-".
func (g *globals) readValue(arg string) ([]byte, error) {
	if arg != "-" {
		return []byte(arg), nil
	}
	b, err := io.ReadAll(io.LimitReader(g.streams.In, dbapi.MaxValue+1))
	if err != nil {
		return nil, err
	}
	return b, nil
}

func newWriteCmd(g *globals, op dbapi.Op) *cobra.Command {
	what := map[dbapi.Op]string{
		dbapi.OpPut:    "Create or replace a row (needs the insert and update rights)",
		dbapi.OpInsert: "Create a row; fails if the key holds one",
		dbapi.OpUpdate: "Replace a row; fails if the key holds none",
	}[op]
	var raw, asJSON bool
	cmd := &cobra.Command{
		Use:   op.String() + " DATASET KEY VALUE|-",
		Short: what,
		Long: what + `. DATASET is the name of one of this node's datasets or a
dataset id. VALUE is a JSON document, or with --raw any bytes; - reads it
from stdin. At most 64 KiB, keys at most 512 bytes. The row is signed with
this node's key.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := g.readValue(args[2])
			if err != nil {
				return err
			}
			req := dbapi.WriteRequest{Op: op, Key: args[1]}
			if raw {
				req.Raw, req.IsRaw = v, true
			} else {
				if !json.Valid(v) {
					return cli.Usagef("VALUE is not valid JSON (use --raw for bytes)")
				}
				req.Value = v
			}
			c, err := g.client().Write(cmd.Context(), args[0], req)
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, c)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&raw, "raw", false, "VALUE is bytes, not JSON")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the signed change as JSON")
	return cmd
}

func newImportCmd(g *globals) *cobra.Command {
	var opName string
	var batch int
	cmd := &cobra.Command{
		Use:   "import DATASET [FILE|-]",
		Short: "Write many rows from NDJSON, signed once per batch",
		Long: `Write the rows of FILE (stdin without it, or with -): one JSON object per
line, {"key": K, "value": DOCUMENT} or {"key": K, "raw": BASE64}. They are
sent --batch at a time; each batch is signed once, through a Merkle root
over its rows, and stored whole or not at all. --op is put (the default),
insert or update. Prints the number of rows written to stderr.
` + cli.ExitCodesHelp,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return cli.Usagef("import takes DATASET and at most one FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			op, err := dbapi.ParseOp(opName)
			if err != nil || op == dbapi.OpDelete {
				return cli.Usagef("--op must be put, insert or update")
			}
			if batch < 1 || batch > dbapi.MaxBatch {
				return cli.Usagef("--batch must be 1 to %d", dbapi.MaxBatch)
			}
			in := g.streams.In
			if len(args) == 2 && args[1] != "-" {
				f, err := os.Open(args[1])
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			sc := bufio.NewScanner(in)
			sc.Buffer(make([]byte, 64<<10), 4*dbapi.MaxValue)
			var pending []dbapi.WriteRequest
			n, line := 0, 0
			flush := func() error {
				if len(pending) == 0 {
					return nil
				}
				if _, err := g.client().WriteBatch(cmd.Context(), args[0], dbapi.BatchRequest{Writes: pending}); err != nil {
					return g.clientErr(fmt.Errorf("rows %d to %d: %w", n+1, n+len(pending), err))
				}
				n += len(pending)
				pending = pending[:0]
				return nil
			}
			for sc.Scan() {
				line++
				if len(bytes.TrimSpace(sc.Bytes())) == 0 {
					continue
				}
				var row struct {
					Key   string          `json:"key"`
					Value json.RawMessage `json:"value"`
					Raw   []byte          `json:"raw"`
				}
				dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&row); err != nil {
					return fmt.Errorf("line %d: %v", line, err)
				}
				w := dbapi.WriteRequest{Op: op, Key: row.Key, Value: row.Value}
				if row.Raw != nil {
					w.Raw, w.IsRaw = row.Raw, true
				}
				pending = append(pending, w)
				if len(pending) == batch {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			if err := sc.Err(); err != nil {
				return fmt.Errorf("line %d: %v", line+1, err)
			}
			if err := flush(); err != nil {
				return err
			}
			fmt.Fprintf(g.streams.Err, "wrote %d rows\n", n)
			return nil
		},
	}
	cmd.Flags().StringVar(&opName, "op", "put", "put, insert or update")
	cmd.Flags().IntVar(&batch, "batch", 256, "rows signed and stored together")
	return cmd
}

func newDeleteCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "delete DATASET KEY",
		Short: "Delete a row (a signed tombstone)",
		Args:  cli.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client().Write(cmd.Context(), args[0], dbapi.WriteRequest{Op: dbapi.OpDelete, Key: args[1]})
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, c)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the signed tombstone as JSON")
	return cmd
}

// verifier fetches the dataset's metadata and checks rows against it, as
// a reader must: a daemon (or, later, a provider) cannot slip in a row its
// writer did not sign or the ACL does not allow. A row that fails is
// checked once more against the metadata fetched again, since the owner
// may have granted its writer the right since.
func (g *globals) verifier(ctx context.Context, ds string) (func(key string, c *dbapi.Change) error, error) {
	fetch := func() (*dbapi.Meta, error) {
		m, err := g.client().Meta(ctx, ds)
		if err != nil {
			return nil, g.clientErr(err)
		}
		if err := m.Verify(); err != nil {
			return nil, fmt.Errorf("the daemon's metadata of %s does not verify: %w", ds, err)
		}
		return m, nil
	}
	m, err := fetch()
	if err != nil {
		return nil, err
	}
	return func(key string, c *dbapi.Change) error {
		err := dbapi.VerifyRow(m, key, c)
		if err != nil && errors.Is(err, dbapi.ErrDenied) {
			if fresh, ferr := fetch(); ferr == nil && fresh.Version > m.Version {
				m = fresh
				err = dbapi.VerifyRow(m, key, c)
			}
		}
		if err != nil {
			return fmt.Errorf("row %q does not verify: %w", key, err)
		}
		return nil
	}, nil
}

// printRow writes a row's value: a JSON document on one line, raw bytes
// as they are.
func printRow(w io.Writer, c *dbapi.Change) {
	if c.Raw {
		_, _ = w.Write(c.Value)
		return
	}
	fmt.Fprintf(w, "%s\n", c.Value)
}

func newGetCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get DATASET KEY",
		Short: "Print a row, after checking its signature and the ACL",
		Long: `Print the row KEY of DATASET: its JSON document, or its bytes for a raw row.
The row is checked first against the dataset's owner-signed metadata (its
writer's signature, and that the ACL lets the writer make it). --json prints
the whole signed change.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			verify, err := g.verifier(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			c, err := g.client().Get(cmd.Context(), args[0], args[1])
			if err != nil {
				return g.clientErr(err)
			}
			if err := verify(args[1], c); err != nil {
				return err
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, c)
			}
			printRow(g.streams.Out, c)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the signed change as JSON")
	return cmd
}

func newQueryCmd(g *globals) *cobra.Command {
	var prefix string
	var where []string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "query DATASET [--prefix P] [--where FIELD=V | FIELD>V ...]... [--limit N]",
		Short: "Print the rows whose key starts with P and that match every --where",
		Long: `Print the live rows of DATASET whose key starts with --prefix and that match
every --where, at most --limit of them: KEY and the value on each line, or
with --json one signed change per line (NDJSON). A --where is FIELD=V,
FIELD>V, FIELD<V, FIELD>=V or FIELD<=V on an indexed top-level field; V is
a number if it is a JSON number, else a string ("\"42\"" is a string).
Every row is checked against the owner's metadata; one that fails is
reported on stderr instead of printed, and the command then fails.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, w := range where {
				if _, err := dbapi.ParseWhere(w); err != nil {
					return cli.UsageError{Err: err}
				}
			}
			if limit < 0 {
				return cli.Usagef("--limit must not be negative")
			}
			verify, err := g.verifier(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			bad := 0
			err = g.client().Query(cmd.Context(), args[0], dbapi.QueryValues(prefix, where, limit), func(line []byte) error {
				var c dbapi.Change
				if err := json.Unmarshal(line, &c); err != nil {
					return err
				}
				// A row that does not verify is reported, not printed, and
				// fails the command once the others are out.
				if err := verify(c.Key, &c); err != nil {
					fmt.Fprintf(g.streams.Err, "mf-db: warning: %v\n", err)
					bad++
					return nil
				}
				if asJSON {
					_, err := fmt.Fprintf(g.streams.Out, "%s\n", line)
					return err
				}
				fmt.Fprintf(g.streams.Out, "%s\t", c.Key)
				if c.Raw {
					fmt.Fprintf(g.streams.Out, "%q\n", c.Value)
				} else {
					fmt.Fprintf(g.streams.Out, "%s\n", c.Value)
				}
				return nil
			})
			if err != nil {
				return g.clientErr(err)
			}
			if bad > 0 {
				return fmt.Errorf("%d rows did not verify against the dataset's metadata", bad)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "prefix", "", "only keys that start with this")
	cmd.Flags().StringArrayVar(&where, "where", nil, "FIELD=V, FIELD>V, FIELD<V, FIELD>=V or FIELD<=V on an indexed field (repeatable)")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many rows (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print NDJSON, one signed change per line")
	return cmd
}

func newWatchCmd(g *globals) *cobra.Command {
	var from string
	var count int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "watch DATASET [--from VERSION]",
		Short: "Stream every change to a dataset, then follow new ones",
		Long: `Print every change to DATASET not covered by --from (all of them without it),
each writer's in order, then follow new ones until interrupted. Each line
ends with the version that covers everything printed so far; give it to
--from after a restart to get exactly what was missed. --json prints one
JSON object per line: the signed change and that version. --count N stops
after N changes.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 0 {
				return cli.Usagef("--count must not be negative")
			}
			var v dbapi.Version
			seen := 0
			if from != "" {
				var err error
				if v, err = dbapi.ParseVersion(from); err != nil {
					return cli.Usagef("--from: %v", err)
				}
			}
			verify, err := g.verifier(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			err = g.client().Watch(cmd.Context(), args[0], v, nil, func(ev *dbapi.WatchEvent, line []byte) error {
				// A change that does not verify against the metadata now
				// (its writer's right was revoked since, or it is forged) is
				// reported and not printed; the version still moves past it.
				if err := verify(ev.Change.Key, ev.Change); err != nil {
					fmt.Fprintf(g.streams.Err, "mf-db: warning: change %d of %s: %v\n", ev.Change.Seq, ev.Change.Writer.Hex(), err)
					return nil
				}
				if asJSON {
					if _, err := fmt.Fprintf(g.streams.Out, "%s\n", line); err != nil {
						return err
					}
					if seen++; count > 0 && seen >= count {
						return io.EOF
					}
					return nil
				}
				val := string(ev.Change.Value)
				if ev.Change.Raw {
					val = fmt.Sprintf("%q", ev.Change.Value)
				}
				if _, err := fmt.Fprintf(g.streams.Out, "%s\t%s\t%s\t%s\n", ev.Change.Op, ev.Change.Key, val, ev.Version); err != nil {
					return err
				}
				if seen++; count > 0 && seen >= count {
					return io.EOF
				}
				return nil
			})
			if errors.Is(err, context.Canceled) {
				return err
			}
			return g.clientErr(err)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "resume after this version (printed by an earlier watch)")
	cmd.Flags().IntVar(&count, "count", 0, "stop after this many changes (0: follow until interrupted)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print NDJSON: {\"change\": ..., \"version\": ...} per line")
	return cmd
}

func newACLCmd(g *globals, revoke bool) *cobra.Command {
	verb, short := "grant", "Let an address read, insert, update or delete in a dataset"
	if revoke {
		verb, short = "revoke", "Take a right granted to an address away again"
	}
	var asJSON bool
	cmd := &cobra.Command{
		Use:   verb + " DATASET OP WHO",
		Short: short,
		Long: short + `. OP is read, insert, update or delete; WHO
is an Ethereum address or a contact name. The owner signs the next version
of the dataset's metadata; a revocation does not undo rows already written.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := dbapi.ParseRight(args[1]); err != nil {
				return cli.UsageError{Err: err}
			}
			if args[2] == "contacts" || args[2] == "anyone" || args[2] == "owner" || strings.Contains(args[2], ",") {
				return cli.Usagef("%s takes one address or contact name; to set a whole rule, create the dataset with it", verb)
			}
			addr, err := g.who(cmd.Context(), args[2])
			if err != nil {
				return err
			}
			m, err := g.client().ACL(cmd.Context(), args[0], dbapi.ACLRequest{Right: args[1], Address: addr, Revoke: revoke})
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, m)
			}
			fmt.Fprintf(g.streams.Err, "%s: %s is now %q (version %d)\n", m.Name, args[1], m.ACL.Rule(mustRight(args[1])).String(), m.Version)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the new signed metadata as JSON")
	return cmd
}

func mustRight(s string) dbapi.Right { r, _ := dbapi.ParseRight(s); return r }

func newDigestCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "digest DATASET",
		Short: "Print a dataset's version and the hash of the changes it holds",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := g.client().Digest(cmd.Context(), args[0])
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, d)
			}
			fmt.Fprintf(g.streams.Out, "version  %s\nhash     %s\nchanges  %d\n", d.Version, d.Hash.Hex(), d.Changes)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newMailboxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mailbox",
		Short: "This node's mailbox: rows anyone (or its contacts) may insert, sealed to it",
		Long: `A mailbox is a dataset that anyone, or only the owner's contacts, may insert
rows into, and only its owner may read, update or delete. Every row is sealed
to the owner's encryption key, so whoever stores it holds only ciphertext;
its sender is the row's signed writer. See docs/db.md.
` + cli.ExitCodesHelp,
	}
	var from string
	var redundancy uint8
	create := &cobra.Command{
		Use:   "create [--from anyone|contacts] [--redundancy R]",
		Short: "Create this node's mailbox",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if from != "anyone" && from != "contacts" {
				return cli.Usagef("--from must be anyone or contacts")
			}
			insert, err := g.who(cmd.Context(), from)
			if err != nil {
				return err
			}
			m, err := g.client().Create(cmd.Context(), dbapi.CreateRequest{Name: dbapi.MailboxName, Kind: dbapi.KindMailbox,
				Read: "owner", Insert: insert, Update: "owner", Delete: "owner", Redundancy: redundancy})
			if err != nil {
				return g.clientErr(err)
			}
			fmt.Fprintln(g.streams.Out, m.ID)
			return nil
		},
	}
	create.Flags().StringVar(&from, "from", "anyone", "who may send: anyone, or this node's contacts (now)")
	create.Flags().Uint8Var(&redundancy, "redundancy", 0, "providers to keep it on (senders open it with mf-db ref mailbox)")
	send := &cobra.Command{
		Use:   "send ADDRESS|CONTACT MESSAGE|-",
		Short: "Seal a message to a mailbox's owner and put it there",
		Long: `Seal MESSAGE (- reads it from stdin) to the owner of the mailbox of ADDRESS
(or of a contact) and insert it, signed by this node. A mailbox on providers
must be opened first (mf-db open REF, REF from its owner's mf-db ref mailbox).
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			to := args[0]
			if !common.IsHexAddress(to) {
				var err error
				if to, err = g.who(cmd.Context(), to); err != nil {
					return err
				}
			}
			msg, err := g.readValue(args[1])
			if err != nil {
				return err
			}
			if _, err := g.client().SendMail(cmd.Context(), to, msg); err != nil {
				return g.clientErr(err)
			}
			return nil
		},
	}
	var asJSON bool
	read := &cobra.Command{
		Use:   "read [--json]",
		Short: "Print the messages in this node's mailbox, opened",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ms, err := g.client().ReadMail(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, ms)
			}
			for _, m := range ms {
				if m.Error != "" {
					fmt.Fprintf(g.streams.Out, "%s\t%s\t(does not open: %s)\n", m.From, m.Key, m.Error)
					continue
				}
				fmt.Fprintf(g.streams.Out, "%s\t%s\t%s\n", m.From, m.Key, printable(m.Message))
			}
			return nil
		},
	}
	read.Flags().BoolVar(&asJSON, "json", false, "print JSON (messages in base64)")
	cmd.AddCommand(create, send, read)
	return cmd
}

// printable is text from a peer made safe for a terminal: control
// characters (escape sequences included) and bytes that are not UTF-8 are
// shown escaped, never sent to the terminal as they are.
func printable(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&sb, "\\x%02x", b[0])
		case unicode.IsControl(r):
			fmt.Fprintf(&sb, "\\u%04x", r)
		default:
			sb.WriteRune(r)
		}
		b = b[n:]
	}
	return sb.String()
}
