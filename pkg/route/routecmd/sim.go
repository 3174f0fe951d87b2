package routecmd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/sim"
)

type simOptions struct {
	nodes      int
	luminosity string
	churn      float64
	notice     bool
	messages   int
	seed       int64
	bucket     int
	size       int
	ttl        int
	json       bool
}

func newSimCmd(g *globals) *cobra.Command {
	o := simOptions{}
	cmd := &cobra.Command{
		Use:   "sim [--nodes N] [--luminosity L|A..B] [--churn F] [--messages M] [--seed S] [--json]",
		Short: "Simulate a network of many nodes to measure dark routing",
		Long: `Simulate --nodes nodes in this process and send --messages packets between
random pairs of them, once per luminosity, and report delivery, hops, copies,
bytes and the anonymity set. No daemon is needed.

The nodes run the daemon's own code over an in-memory transport: packets are
sealed as mf-route send seals them, each node forwards with the daemon's
forwarding rule, and every node in the addressed zone trial-decrypts with
its own key. What is modelled is the topology: each node keeps up to
--bucket-size peers per Kademlia bucket, links work both ways, and with
--churn a random fraction of the nodes is offline for each message. Peers
do not know who is offline, as before a dead connection closes: a copy
written to an offline node fails, and outside the zone the packet is offered
to the next-closest peer, as the daemon does; with --notice-offline they do
know, as after the connections have closed, and route around it.

--luminosity takes a value, a range A..B, or a comma-separated list of both
(0..8,256); every luminosity runs on the same network with the same senders,
recipients and churn draws. The same --seed gives the same figures.

Columns: L luminosity in bits; delivered, the share of messages the
recipient opened; hops, mean and 99th percentile to the recipient;
copies/msg, transmissions per message counting duplicates; anonymity set,
the nodes besides the sender that received the packet and tried to open it;
N/2^L, the zone size the luminosity aims at; bytes/node, bytes each node
sent per message. See docs/simulator.md for how to read them.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runSim(cmd.Context(), g, o) },
	}
	f := cmd.Flags()
	f.IntVar(&o.nodes, "nodes", 1000, fmt.Sprintf("nodes in the network (2..%d)", sim.MaxNodes))
	f.StringVar(&o.luminosity, "luminosity", "0..8", "bits of the recipient's address packets disclose: L, A..B, or a list (0..256)")
	f.Float64Var(&o.churn, "churn", 0, "fraction of nodes offline, drawn afresh for each message (0 to below 1)")
	f.BoolVar(&o.notice, "notice-offline", false, "nodes route around offline peers instead of losing copies to them")
	f.IntVar(&o.messages, "messages", 100, "messages to send per luminosity")
	f.Int64Var(&o.seed, "seed", 1, "seed for the identities, links and message draws")
	f.IntVar(&o.bucket, "bucket-size", sim.DefaultBucketSize, "peers a node keeps per Kademlia bucket")
	f.IntVar(&o.size, "size", sim.DefaultPayloadSize, "payload bytes per packet")
	f.IntVar(&o.ttl, "ttl", sim.DefaultTTL, "hops a packet may take (1..255)")
	f.BoolVar(&o.json, "json", false, "print JSON: an array with one object per luminosity")
	return cmd
}

func runSim(ctx context.Context, g *globals, o simOptions) error {
	lums, err := parseLuminosities(o.luminosity)
	switch {
	case err != nil:
		return err
	case o.nodes < 2 || o.nodes > sim.MaxNodes:
		return cli.Usagef("--nodes must be 2..%d", sim.MaxNodes)
	case !(o.churn >= 0 && o.churn < 1):
		return cli.Usagef("--churn must be at least 0 and below 1")
	case o.messages < 1:
		return cli.Usagef("--messages must be at least 1")
	case o.bucket < 1:
		return cli.Usagef("--bucket-size must be at least 1")
	case o.size < 0 || o.size > 64<<10:
		return cli.Usagef("--size must be 0..65536")
	case o.ttl < 1 || o.ttl > 255:
		return cli.Usagef("--ttl must be 1..255")
	}
	cfg := sim.Config{
		Nodes: o.nodes, Churn: o.churn, NoticeOffline: o.notice, Messages: o.messages, Seed: o.seed,
		BucketSize: o.bucket, PayloadSize: o.size, TTL: o.ttl,
	}
	progress := g.streams.IsTTY && !o.json
	if progress {
		fmt.Fprintf(g.streams.Err, "building a network of %d nodes...", o.nodes)
	}
	t0 := time.Now()
	net, err := sim.Build(ctx, cfg)
	if err != nil {
		if progress {
			fmt.Fprintln(g.streams.Err)
		}
		if errors.Is(err, sim.ErrConfig) {
			// What the checks above cannot see, such as churn that
			// leaves fewer than two nodes online.
			return cli.UsageError{Err: err}
		}
		return err
	}
	built := time.Since(t0)
	if progress {
		fmt.Fprintf(g.streams.Err, "\r\033[K")
	}

	var results []*sim.Result
	for _, l := range lums {
		var report func(done, total int)
		if progress {
			report = func(done, total int) {
				fmt.Fprintf(g.streams.Err, "\rL=%d: %d/%d messages", l, done, total)
			}
		}
		r, err := net.Simulate(ctx, l, report)
		if progress {
			fmt.Fprintf(g.streams.Err, "\r\033[K")
		}
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	if o.json {
		return cli.WriteJSON(g.streams.Out, results)
	}

	churn := fmt.Sprintf("churn %g", o.churn)
	if o.churn > 0 && o.notice {
		churn += " (noticed)"
	}
	fmt.Fprintf(g.streams.Out, "%d nodes, %.0f peers each on average, %s, %d messages per luminosity, network built in %.1f s\n\n",
		net.Nodes(), net.PeersMean(), churn, o.messages, built.Seconds())
	w := tabwriter.NewWriter(g.streams.Out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "L\tdelivered\thops mean\thops p99\tcopies/msg\tanonymity set\tN/2^L\tbytes/node\tseconds\t")
	for _, r := range results {
		fmt.Fprintf(w, "%d\t%.1f %%\t%.2f\t%d\t%s\t%.1f\t%s\t%s\t%.1f\t\n",
			r.Luminosity, 100*r.DeliveryRate, r.HopsMean, r.HopsP99, count(r.CopiesPerMessage),
			r.AnonymitySetMean, expected(r.ExpectedAnonymity), count(r.BytesPerNode), r.DurationSeconds)
	}
	return w.Flush()
}

// count formats a mean count: whole numbers once decimals no longer matter.
func count(x float64) string {
	if x >= 100 {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

// expected formats N/2^L: plainly while it is a number of nodes, in
// scientific notation once it is far below one.
func expected(x float64) string {
	if x >= 0.1 {
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'g', 2, 64)
}

// parseLuminosities parses "L", "A..B" and comma-separated lists of them.
func parseLuminosities(s string) ([]int, error) {
	bad := func() ([]int, error) {
		return nil, cli.Usagef("--luminosity must be L, A..B or a comma-separated list of them, with values 0..256, not %q", s)
	}
	val := func(v string) (int, bool) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		return n, err == nil && n >= 0 && n <= 256
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		if a, b, ok := strings.Cut(part, ".."); ok {
			lo, ok1 := val(a)
			hi, ok2 := val(b)
			if !ok1 || !ok2 || lo > hi {
				return bad()
			}
			for l := lo; l <= hi; l++ {
				out = append(out, l)
			}
			continue
		}
		l, ok := val(part)
		if !ok {
			return bad()
		}
		out = append(out, l)
	}
	return out, nil
}
