package routecmd

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

func newStatusCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the daemon's identity, peers and packet counters",
		Long: `Show the running daemon's identity, peer count, inbox and packet counters.

Reachability is what AutoNAT found: public (peers can dial this node),
private (behind a NAT or firewall; peers reach it through the relays listed
under relays) or unknown (not found out yet, or no public address to test,
as on a LAN or a devnet). The DHT line says whether the node answers DHT
queries (server) or only asks them (client, while it is private).

Every packet the node drops is counted by reason: duplicates, tampered
(addressed here but did not open), not_for_us (seen on a watched topic but
sealed to someone else), bad_frames and bad_packets (garbage from a peer),
expired, no_route, queue_full, send_failed, inbox_full, stray_receipts
(receipts for packets this node did not carry), refused (frames from peers
blocked for not paying), stale (packets that opened but were sent over 90 s
ago, before this daemon started, or over 30 s ahead of its clock: replays,
or a sender whose clock is off), forged (packets that opened but claim a
session, group or daemon topic they were not sealed for).

Two more count what churn costs: rerouted (packets offered to the
next-closest peer after the write to the chosen one failed) and dead_peers
(peers disconnected for not answering pings for 3.5 s).

Two say where packets wait under load: queue_waits (packets whose sender,
a local send or a relay reading from a peer, waited for room in a peer's
queue, which holds about 5 ms of what that peer takes) and queue_wait_ms
(the time they waited in all). peers --json shows each peer's queue:
queued_bytes and queue_limit.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.client().Status(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, st)
			}
			w := cli.Table(g.streams.Out)
			fmt.Fprintf(w, "overlay\t%s\npeer\t%s\npeers\t%d\nuptime\t%.0fs\n", st.Overlay, st.PeerID, st.Peers, st.Uptime)
			fmt.Fprintf(w, "reachability\t%s\ndht\t%s\n", st.Reachability, st.DHT)
			if len(st.Relays) > 0 {
				fmt.Fprintf(w, "relays\t%s\n", strings.Join(st.Relays, " "))
			}
			fmt.Fprintf(w, "inbox\t%d waiting (%d from strangers)\n", st.Inbox, st.InboxStrangers)
			var counters map[string]uint64
			b, _ := json.Marshal(st.Packets)
			_ = json.Unmarshal(b, &counters)
			for _, k := range []string{"received", "sent", "delivered", "relayed", "duplicates", "tampered", "not_for_us", "bad_frames", "bad_packets", "expired", "no_route", "queue_full", "queue_waits", "queue_wait_ms", "send_failed", "inbox_full", "stray_receipts", "refused", "stale", "forged", "rerouted", "dead_peers"} {
				fmt.Fprintf(w, "packets.%s\t%d\n", k, counters[k])
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newPeersCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "peers",
		Short: "List connected peers",
		Long: `List the peers the daemon is connected to, with their overlay address,
remote address, direction, and path: direct, or relayed while the only
connection runs through a relay (hole punching may yet make it direct).
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ps, err := g.client().Peers(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteList(g.streams.Out, asJSON, ps, "OVERLAY\tPEER\tADDR\tDIR\tPATH", func(p routeapi.PeerInfo) string {
				return fmt.Sprintf("%s\t%s\t%s\t%s\t%s", p.Overlay.String()[:16], p.PeerID, p.Addr, p.Direction, p.Path)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newPingCmd(g *globals) *cobra.Command {
	var count int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ping TARGET",
		Short: "Measure round trips to a node",
		Long: `Ping a node over libp2p and print each round trip time.

TARGET is a contact name, a contact card, or an overlay address (64 hex
digits) found through the DHT.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 1 || count > 10000 {
				return cli.Usagef("-c must be 1..10000")
			}
			failed := 0
			err := g.client().Ping(cmd.Context(), args[0], count, func(r routeapi.PingResult) error {
				switch {
				case asJSON:
					b, _ := json.Marshal(r)
					fmt.Fprintf(g.streams.Out, "%s\n", b)
				case r.Error != "":
					fmt.Fprintf(g.streams.Out, "seq=%d error: %s\n", r.Seq, r.Error)
				default:
					fmt.Fprintf(g.streams.Out, "seq=%d time=%.3f ms\n", r.Seq, r.RTTMS)
				}
				if r.Error != "" {
					failed++
				}
				return nil
			})
			if err != nil {
				return g.clientErr(err)
			}
			if failed == count {
				return errors.New("no answer")
			}
			return nil
		},
	}
	cmd.Flags().IntVarP(&count, "count", "c", 3, "number of pings")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per ping")
	return cmd
}

func newContactsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "contacts",
		Short: "Manage the contact book",
		Long: `Manage the contact book: named contact cards, usable as send targets.

  mf-route contacts add alice mfc1...
  mf-route contacts ls
  mf-route contacts rm alice
` + cli.ExitCodesHelp,
	}
	var asJSON bool
	var lum int
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List contacts",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cs, err := g.client().Contacts(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteList(g.streams.Out, asJSON, cs, "NAME\tOVERLAY\tADDRESS", func(c routeapi.ContactInfo) string {
				return fmt.Sprintf("%s\t%s\t%s", c.Name, c.Overlay, c.Address)
			})
		},
	}
	ls.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	add := &cobra.Command{
		Use:   "add NAME CARD",
		Short: "Add a contact from its card (see mf-route id --card)",
		Long: `Add a contact. NAME is 1-64 letters, digits, '.', '_' or '-'. CARD is the
contact card the other node printed with 'mf-route id --card'; its signature
is checked and a forged or altered card is rejected. CARD may be - to read it
from standard input. Re-adding the same node refreshes its card; a name
already used for another node is refused.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			card := args[1]
			if card == "-" {
				b, err := io.ReadAll(io.LimitReader(g.streams.In, 64<<10))
				if err != nil {
					return err
				}
				card = string(bytes.TrimSpace(b))
			}
			var lump *int
			if cmd.Flags().Changed("luminosity") {
				if lum < 0 || lum > 256 {
					return cli.Usagef("--luminosity must be 0..256, not %d", lum)
				}
				lump = &lum
			}
			c, err := g.client().AddContactWith(cmd.Context(), args[0], card, lump)
			if err != nil {
				return g.clientErr(err)
			}
			fmt.Fprintf(g.streams.Err, "added %s (%s)\n", c.Name, c.Overlay)
			return nil
		},
	}
	add.Flags().IntVar(&lum, "luminosity", 256, "default luminosity for packets to this contact, 0..256")
	rm := &cobra.Command{
		Use:   "rm NAME",
		Short: "Remove a contact",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.clientErr(g.client().RemoveContact(cmd.Context(), args[0]))
		},
	}
	cmd.AddCommand(ls, add, rm)
	return cmd
}

type sendOptions struct {
	to, topic, file string
	json            bool
	luminosity      int
	certify         bool
	estimate        bool
	group           string
}

func newSendCmd(g *globals) *cobra.Command {
	var o sendOptions
	cmd := &cobra.Command{
		Use:   "send --to TARGET --topic TOPIC [--file FILE]",
		Short: "Send an encrypted packet",
		Long: fmt.Sprintf(`Send one packet, sealed to the recipient's key, and print its id.

The payload is standard input, or --file (- also means standard input). It
may be at most %d bytes (64 KiB). TARGET is a contact name, a contact card,
or an overlay address (64 hex digits) found through the DHT. TOPIC is any
name of 1-%d bytes that the recipient listens on.

The packet goes straight to the recipient when a connection can be made,
and through the peers closest to it otherwise; relays cannot read it.

--luminosity BITS (0..256) discloses only the first BITS bits of the
recipient's overlay address: the packet reaches every node of that zone,
each tries to open it, and only the recipient can, so nobody on the way
learns which member it was for. 256 is direct delivery, 0 a broadcast. The
default is the contact's (contacts add --luminosity), else config.toml's
route.luminosity (256). --estimate prints the expected cost instead of
sending; 'mf-route luminosity --anonymity K' advises a value.

--certify asks for proof of delivery: the recipient signs a receipt that
comes back hop by hop; see 'mf-route receipts'.

Inside a session ('mf-route session open'), give the session's topic: the
packet is sealed with the session key (--to may be left out), and --certify
asks the session peer for a signed receipt as well. --group NAME
multicasts one packet, encrypted once, to every member of a group; with
--certify every member signs a receipt ('mf-route receipts --group').
`, route.MaxPayload, route.MaxTopic) + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runSend(cmd, g, o) },
	}
	cmd.Flags().StringVar(&o.to, "to", "", "recipient: contact name, card or overlay address (required)")
	cmd.Flags().StringVar(&o.topic, "topic", "", "topic name (required)")
	cmd.Flags().StringVar(&o.file, "file", "-", "read the payload from this file instead of standard input")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	cmd.Flags().IntVar(&o.luminosity, "luminosity", -1, "destination bits to disclose, 0..256 (default: the contact's, else route.luminosity)")
	cmd.Flags().BoolVar(&o.certify, "certify", false, "ask for a signed receipt (see mf-route receipts)")
	cmd.Flags().BoolVar(&o.estimate, "estimate", false, "print the expected copies per packet and send nothing")
	cmd.Flags().StringVar(&o.group, "group", "", "multicast to this group (see mf-route group) instead of --to/--topic")
	return cmd
}

func runSend(cmd *cobra.Command, g *globals, o sendOptions) error {
	switch {
	case o.group != "" && (o.to != "" || o.topic != "" || cmd.Flags().Changed("luminosity")):
		return cli.Usagef("--group takes no --to, --topic or --luminosity")
	case o.group == "" && o.topic == "":
		return cli.Usagef("send needs --topic (and --to), or --group")
	}
	if len(o.topic) > route.MaxTopic {
		return cli.Usagef("--topic is over %d bytes", route.MaxTopic)
	}
	var lum *int
	if cmd.Flags().Changed("luminosity") {
		if o.luminosity < 0 || o.luminosity > 256 {
			return cli.Usagef("--luminosity must be 0..256, not %d", o.luminosity)
		}
		lum = &o.luminosity
	}
	if o.estimate {
		e, err := g.client().Estimate(cmd.Context(), routeapi.SendRequest{To: o.to, Topic: o.topic, Luminosity: lum})
		if err != nil {
			return g.clientErr(err)
		}
		if o.json {
			return cli.WriteJSON(g.streams.Out, e)
		}
		printEstimate(g, e)
		return nil
	}
	var in io.Reader = g.streams.In
	if o.file != "-" {
		f, err := os.Open(o.file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	payload, err := io.ReadAll(io.LimitReader(in, route.MaxPayload+1))
	if err != nil {
		return err
	}
	if len(payload) > route.MaxPayload {
		return fmt.Errorf("payload is over the %d-byte limit; nothing was sent", route.MaxPayload)
	}
	res, err := g.client().Send(cmd.Context(), routeapi.SendRequest{To: o.to, Topic: o.topic, Payload: payload, Luminosity: lum, Certify: o.certify, Group: o.group})
	if err != nil {
		return g.clientErr(err)
	}
	if o.json {
		return cli.WriteJSON(g.streams.Out, res)
	}
	fmt.Fprintln(g.streams.Out, res.ID)
	return nil
}

type listenOptions struct {
	group   string
	topic   string
	count   int
	json    bool
	timeout time.Duration
}

// stampFormat prints times at a fixed width, so that they sort as text.
const stampFormat = "2006-01-02T15:04:05.000000000Z07:00"

// listenJSON is the --json shape of a received packet.
type listenJSON struct {
	ID       string `json:"id"`
	From     string `json:"from"`
	PeerID   string `json:"peer_id"`
	Address  string `json:"address"`
	Topic    string `json:"topic"`
	Payload  string `json:"payload"`
	Sent     string `json:"sent"`
	Received string `json:"received"`
}

func newListenCmd(g *globals) *cobra.Command {
	var o listenOptions
	cmd := &cobra.Command{
		Use:   "listen --topic TOPIC [--count N] [--json]",
		Short: "Print packets received on a topic",
		Long: `Print the payloads of packets received on TOPIC, as they arrive.

Raw payloads go to standard output as they are; with --json, one object per
packet: {"id", "from" (sender overlay), "peer_id", "address", "topic",
"payload" (base64), "sent" (the sender's clock), "received"}. The sender
and the send time are proved by the signature inside the sealed packet; a
packet sent over 90 s before it arrives is refused as a possible replay.

Packets that arrive while nobody listens wait in the daemon's inbox (up to
10000; at most 1000 from one sender, and at most 5000 from senders who are
not contacts, so strangers cannot crowd contacts out) and are printed first. --count N stops after N packets; packets
after those stay in the inbox for the next listener. --timeout D gives up
D after the daemon has subscribed (from then on it watches the topic, even
after listen exits): with --count, fewer than N packets by then is an error
(exit 1).
If the daemon stops or dies under it, listen says so and exits 1.

The daemon serves at most 1024 listen streams at once (more are refused
with 503) and watches at most 1000 topics for listeners: a listen on a new
topic past that is refused until 'mf-route topics rm' frees one.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runListen(cmd, g, o) },
	}
	cmd.Flags().StringVar(&o.topic, "topic", "", "topic name (required)")
	cmd.Flags().IntVar(&o.count, "count", 0, "stop after N packets (0: run until interrupted)")
	cmd.Flags().BoolVar(&o.json, "json", false, "print one JSON object per packet")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 0, "stop after this long, e.g. 30s (0: no limit)")
	cmd.Flags().StringVar(&o.group, "group", "", "listen to a group's packets instead of --topic")
	return cmd
}

// errListenTimeout ends a listen whose --timeout ran out.
var errListenTimeout = errors.New("listen timed out")

func runListen(cmd *cobra.Command, g *globals, o listenOptions) error {
	if o.group != "" {
		if o.topic != "" {
			return cli.Usagef("give --topic or --group, not both")
		}
		o.topic = route.GroupListenTopic(o.group)
	}
	if o.topic == "" {
		return cli.Usagef("listen needs --topic or --group")
	}
	if len(o.topic) > route.MaxTopic {
		return cli.Usagef("--topic is over %d bytes", route.MaxTopic)
	}
	if o.count < 0 {
		return cli.Usagef("--count must not be negative")
	}
	if o.timeout < 0 {
		return cli.Usagef("--timeout must not be negative")
	}
	// The timeout runs from when the daemon has taken the subscription (it
	// then watches the topic for good), not from the request: counted from
	// the request, a short --timeout on a loaded machine ran out before the
	// daemon subscribed, and listen exited 0 with the topic never watched
	// (dark.txtar's zone members then ignored the dark packet).
	ctx, cancel := context.WithCancelCause(cmd.Context())
	defer cancel(nil)
	opened := func() {}
	if o.timeout > 0 {
		opened = func() { time.AfterFunc(o.timeout, func() { cancel(errListenTimeout) }) }
	}
	got := 0
	err := g.client().ListenOpen(ctx, o.topic, o.count, opened, func(m *routeapi.Message) error {
		got++
		if o.json {
			b, _ := json.Marshal(listenJSON{
				ID: m.ID, From: m.From.String(), PeerID: m.PeerID, Address: m.Address, Topic: m.Topic,
				Payload: base64.StdEncoding.EncodeToString(m.Payload), Sent: m.Sent.Format(stampFormat), Received: m.Received.Format(stampFormat),
			})
			_, err := fmt.Fprintf(g.streams.Out, "%s\n", b)
			return err
		}
		_, err := g.streams.Out.Write(m.Payload)
		return err
	})
	if errors.Is(context.Cause(ctx), errListenTimeout) && cmd.Context().Err() == nil {
		if o.count > 0 && got < o.count {
			return fmt.Errorf("timed out after %s with %d of %d packets", o.timeout, got, o.count)
		}
		return nil
	}
	if err != nil {
		var le *localapi.Error
		if errors.As(err, &le) || cmd.Context().Err() != nil || routeapi.IsNotRunning(err) {
			return g.clientErr(err)
		}
		// The connection broke under the stream: the daemon died.
		return fmt.Errorf("lost the daemon after %d packets: %v", got, err)
	}
	// The daemon ends a stream only after --count packets, or when it
	// stops: a script must see that its listener died.
	if o.count == 0 || got < o.count {
		return fmt.Errorf("the daemon stopped after %d packets; the stream ended", got)
	}
	return nil
}
