// Package chatcmd holds the mf-chat commands.
package chatcmd

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/chat"
	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/chat/chattui"
	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/termtext"
)

type globals struct {
	streams cli.Streams
	homeArg string
}

func (g *globals) home() string              { return config.Home(g.homeArg) }
func (g *globals) client() *chatapi.Client   { return chatapi.NewClient(g.home()) }
func (g *globals) clientErr(err error) error { return cli.DaemonErr("mf-chat", g.home(), err) }

// Main runs mf-chat.
func Main(args []string, s cli.Streams) int { return cli.Main(NewRoot(s), args, s) }

// NewRoot builds the mf-chat command tree.
func NewRoot(s cli.Streams) *cobra.Command {
	g := &globals{streams: s}
	root := &cobra.Command{
		Use:   "mf-chat",
		Short: "A terminal messenger over mf-route: contacts, groups, history, bots",
		Long: `mf-chat is the node's messenger (the Onyx messaging app of the Mainframe
whitepaper, section "Use Cases"). With no arguments it opens the chat
window, a client of the mf-chat daemon: a sidebar of conversations with
unread counts, the messages with their states, and an input line that also
takes commands (/add, /group, /invite, /kick, /leave, /lum, /reply, /edit,
/react, /poll, /search, /away; ? shows the keys).

The daemon (mf-chat daemon) keeps the history, encrypted with a key derived
from the node's key, and the outgoing queue, and receives messages while no
window is open. A contact is talked to over an mf-route session, a group
over an mf-route group; mf-route must run. The other commands are for
scripts and bots:

  mf-chat send alice "lunch at noon?"
  mf-chat read alice --json
  mf-chat bot --exec ./answer.sh
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o := chattui.Options{In: g.streams.In, Out: g.streams.Out, Bell: true}
			if cfg, err := config.Load(g.home()); err == nil {
				if err := o.Configure(cfg.Chat.Bell, cfg.Chat.NotifyCmd, cfg.Chat.Keys); err != nil {
					return err
				}
			} else if !errors.Is(err, config.ErrNoHome) {
				return err
			}
			err := chattui.Run(cmd.Context(), g.client(), o)
			return g.clientErr(err)
		},
	}
	cli.HomeFlag(root, &g.homeArg)
	root.AddCommand(newDaemonCmd(g), newSendCmd(g), newReadCmd(g), newLsCmd(g), newSearchCmd(g), newBotCmd(g),
		newAddCmd(g), newNameCmd(g), newSaveCmd(g), newMailboxCmd(g), newGroupCmd(g), newMembersCmd(g, "invite"), newMembersCmd(g, "kick"), newLeaveCmd(g), newLumCmd(g), newAwayCmd(g),
		cli.WaitCommand("mf-chat", "the daemon", func(ctx context.Context) error {
			_, err := g.client().Status(ctx)
			return err
		}, g.clientErr))
	return cli.Finish(root)
}

func newDaemonCmd(g *globals) *cobra.Command {
	var noIndex bool
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run mf-chat: keep the history and the outgoing queue, receive messages",
		Long: `Run mf-chat in the foreground until SIGINT or SIGTERM. It keeps the history
in $MF_HOME/data/chat, every record encrypted with a key derived from the
node's identity key, and a full-text index in $MF_HOME/data/chat-index,
which is not encrypted: it holds the words of the messages (see
docs/chat.md). --no-index leaves the index out; search then reads the
history, which is slower. Messages typed are sent in order, exactly once,
also across a crash or a SIGKILL. Its API is on $MF_HOME/chat.sock; this
node's mf-route daemon must run.
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
			log := slog.New(slog.NewTextHandler(g.streams.Err, nil))
			return chat.RunDaemon(cmd.Context(), g.home(), cfg, chat.Options{NoIndex: noIndex || os.Getenv("MF_CHAT_NO_INDEX") == "1"}, log)
		},
	}
	cmd.Flags().BoolVar(&noIndex, "no-index", false, "keep no full-text index on disk (env MF_CHAT_NO_INDEX=1)")
	return cmd
}

// messageID makes a send idempotent across retries of the same command
// line: a script that runs `mf-chat send` again after a timeout gives the
// same --id and gets the same message.
func newSendCmd(g *globals) *cobra.Command {
	var id, wait, replyTo, attach, ref, refName string
	var timeout time.Duration
	var asJSON bool
	cmd := &cobra.Command{
		Use:               "send TO MESSAGE|- [--attach FILE | --ref REF]",
		ValidArgsFunction: completeConvs(g, ""),
		Short:             "Send a message to a contact or a group (- reads it from stdin)",
		Long: `Queue MESSAGE for TO, a contact or group name (or contact:NAME, group:NAME),
and print its id. The daemon sends it as soon as mf-route can, in order and
exactly once. With --wait sent, held or delivered the command returns once
the message reached that state or a later one (held: a contact that is away
has mf-hold delegates, which signed that they hold it for it; delivered:
the recipient's node signed a receipt or its mf-chat acknowledged it), or
fails with the reason. --id makes the send
idempotent: a second send with the same id is the same message.

--attach FILE stores FILE with mf-store (encrypted; the reference carries
its key) and sends the reference, its name and size with MESSAGE as the
caption; --ref REF --name NAME sends a reference to a file already stored
(mf-store put prints it). The recipient fetches it with mf-chat save.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			text := args[1]
			if text == "-" {
				b, err := io.ReadAll(io.LimitReader(g.streams.In, 4*chatapi.MaxText+1))
				if err != nil {
					return err
				}
				if len(b) > 4*chatapi.MaxText {
					return fmt.Errorf("message on stdin is over the %d-byte limit", chatapi.MaxText)
				}
				text = strings.TrimRight(string(b), "\n")
			}
			if wait != "" && wait != chatapi.StateSent && wait != chatapi.StateHeld && wait != chatapi.StateDelivered {
				return cli.Usagef("--wait is sent, held or delivered, not %q", wait)
			}
			ctx := cmd.Context()
			c := g.client()
			var ready chan *chatapi.Message
			var wctx context.Context
			var cancel context.CancelFunc = func() {}
			if id == "" {
				var b [16]byte
				_, _ = randRead(b[:])
				id = hex.EncodeToString(b[:])
			}
			if wait != "" {
				// Watch first, so that no state change is missed.
				wctx, cancel = context.WithTimeout(ctx, timeout)
				ready = make(chan *chatapi.Message, 1)
				opened := make(chan struct{})
				go func() {
					_ = c.Watch(wctx, func() { close(opened) }, func(e *chatapi.Event) error {
						if e.Message != nil && e.Message.ID == id && reached(e.Message.State, wait) {
							ready <- e.Message
							return io.EOF
						}
						return nil
					})
				}()
				select {
				case <-opened:
				case <-wctx.Done():
				}
			}
			defer cancel()
			req := chatapi.SendRequest{To: args[0], Text: text, ID: id, ReplyTo: replyTo}
			switch {
			case attach != "" && ref != "":
				return cli.Usagef("--attach and --ref exclude each other")
			case attach != "":
				abs, err := filepath.Abs(attach)
				if err != nil {
					return err
				}
				req.Attach = abs
			case ref != "":
				req.Attachment = &chatapi.Attachment{Ref: ref, Name: refName}
				if refName == "" {
					req.Attachment.Name = ref[:min(len(ref), 16)]
				}
			}
			m, err := c.Send(ctx, req)
			if err != nil {
				return g.clientErr(err)
			}
			if wait != "" && !reached(m.State, wait) {
				select {
				case m = <-ready:
				case <-wctx.Done():
					if ms, err := c.Messages(ctx, m.Conv, 0); err == nil {
						for _, x := range ms {
							if x.ID == id {
								m = &x
							}
						}
					}
					if !reached(m.State, wait) {
						why := m.State
						if m.Reason != "" {
							why += ": " + m.Reason
						}
						return fmt.Errorf("message %s not %s after %s (%s)", id, wait, timeout, why)
					}
				}
			}
			if m.State == chatapi.StateFailed {
				return fmt.Errorf("message %s failed: %s", id, m.Reason)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, m)
			}
			fmt.Fprintln(g.streams.Out, m.ID)
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "the message's id, 32 hex digits (default: random)")
	cmd.Flags().StringVar(&wait, "wait", "", "wait until the message is sent, held (by the contact's delegates) or delivered")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "how long --wait waits")
	cmd.Flags().StringVar(&replyTo, "reply", "", "the id of the message this one answers")
	cmd.Flags().StringVar(&attach, "attach", "", "store this file with mf-store and send a reference to it")
	cmd.Flags().StringVar(&ref, "ref", "", "send a reference to a file already in mf-store")
	cmd.Flags().StringVar(&refName, "name", "", "the name shown for --ref")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the message as JSON")
	return cmd
}

// reached reports whether state is want or beyond it.
func reached(state, want string) bool {
	switch want {
	case chatapi.StateSent:
		return state == chatapi.StateSent || state == chatapi.StateHeld || state == chatapi.StateDelivered || state == chatapi.StateFailed
	case chatapi.StateHeld:
		return state == chatapi.StateHeld || state == chatapi.StateDelivered || state == chatapi.StateFailed
	case chatapi.StateDelivered:
		return state == chatapi.StateDelivered || state == chatapi.StateFailed
	}
	return true
}

// FormatLine is a message as one line of text for `read`: time, sender,
// text (made safe to print) and, for this node's, its state.
func FormatLine(m *chatapi.Message, withConv bool) string {
	var b strings.Builder
	b.WriteString(m.Sent.Local().Format("2006-01-02 15:04"))
	b.WriteString("  ")
	if withConv {
		b.WriteString(termtext.Clean(m.Conv, false))
		b.WriteString("  ")
	}
	b.WriteString(termtext.Clean(m.From, false))
	b.WriteString(": ")
	b.WriteString(strings.ReplaceAll(termtext.Clean(m.Text, true), "\n", "\n    "))
	if m.Edited {
		b.WriteString(" (edited)")
	}
	if a := m.Attachment; a != nil {
		fmt.Fprintf(&b, " [file %s, %d bytes]", termtext.Clean(a.Name, false), a.Size)
	}
	if m.Mine {
		b.WriteString("  [" + m.State)
		if m.Reason != "" {
			b.WriteString(": " + termtext.Clean(m.Reason, false))
		}
		if len(m.ReadBy) > 0 {
			b.WriteString(", read by " + termtext.Clean(strings.Join(m.ReadBy, " "), false))
		}
		b.WriteString("]")
	}
	return b.String()
}

func newReadCmd(g *globals) *cobra.Command {
	var follow, asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:               "read [CONV]",
		ValidArgsFunction: completeConvs(g, ""),
		Short:             "Print the messages of a conversation (or of all), and follow new ones",
		Long: `Print the last --limit messages of CONV (a contact or group name), oldest
first, or of every conversation when none is given, and mark them read.
With --follow, go on printing messages as they arrive, and their changes of
state, until interrupted. With --json each message is one JSON object per
line (the schema of chatapi.Message). Text from peers is printed with
control characters and escape sequences made visible, never obeyed.
` + cli.ExitCodesHelp,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c := g.client()
			print := func(m *chatapi.Message, withConv bool) error {
				if asJSON {
					b, _ := json.Marshal(m)
					_, err := fmt.Fprintf(g.streams.Out, "%s\n", b)
					return err
				}
				_, err := fmt.Fprintln(g.streams.Out, FormatLine(m, withConv))
				return err
			}
			var convs []string
			if len(args) == 1 {
				convs = []string{args[0]}
			} else {
				cs, err := c.Conversations(ctx)
				if err != nil {
					return g.clientErr(err)
				}
				for i := len(cs) - 1; i >= 0; i-- {
					convs = append(convs, cs[i].ID)
				}
			}
			var mu sync.Mutex
			opened := make(chan struct{})
			var watchErr chan error
			var pending []*chatapi.Message
			started := false
			want := map[string]bool{}
			if follow {
				watchErr = make(chan error, 1)
				go func() {
					watchErr <- c.Watch(ctx, func() { close(opened) }, func(e *chatapi.Event) error {
						if e.Message == nil {
							return nil
						}
						mu.Lock()
						defer mu.Unlock()
						if len(args) == 1 && !want[e.Message.Conv] {
							return nil
						}
						if !started {
							pending = append(pending, e.Message)
							return nil
						}
						_ = c.MarkRead(ctx, e.Message.Conv)
						return print(e.Message, len(args) == 0)
					})
				}()
				select {
				case <-opened:
				case err := <-watchErr:
					return g.clientErr(err)
				}
			}
			seen := map[string]string{}
			mu.Lock()
			for _, conv := range convs {
				ms, err := c.Messages(ctx, conv, limit)
				if err != nil {
					mu.Unlock()
					return g.clientErr(err)
				}
				if len(ms) > 0 {
					want[ms[0].Conv] = true
				} else if cs, err := c.Conversations(ctx); err == nil {
					for _, x := range cs {
						if x.Name == conv || x.ID == conv {
							want[x.ID] = true
						}
					}
				}
				for i := range ms {
					seen[ms[i].ID] = ms[i].State
					if err := print(&ms[i], len(args) == 0); err != nil {
						mu.Unlock()
						return err
					}
				}
				_ = c.MarkRead(ctx, conv)
			}
			// Events that came while the history was read: only what is
			// new, or changed since.
			for _, m := range pending {
				if (len(args) == 0 || want[m.Conv]) && seen[m.ID] != m.State {
					_ = print(m, len(args) == 0)
				}
			}
			started = true
			mu.Unlock()
			if !follow {
				return nil
			}
			err := <-watchErr
			if ctx.Err() != nil {
				return nil
			}
			return g.clientErr(err)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new messages")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per message")
	cmd.Flags().IntVar(&limit, "limit", 100, "how many of the last messages to print (0: all)")
	return cmd
}

func newLsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List conversations: contacts and groups, with unread counts",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cs, err := g.client().Conversations(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteList(g.streams.Out, asJSON, cs, "CONVERSATION\tUNREAD\tLUMINOSITY\tCROWD\tLAST", func(c chatapi.Conversation) string {
				last := "-"
				if !c.Last.IsZero() {
					last = c.Last.Local().Format("2006-01-02 15:04")
				}
				lum := "group"
				if c.Kind == chatapi.KindContact {
					lum = fmt.Sprint(c.Luminosity)
				}
				return fmt.Sprintf("%s\t%d\t%s\t%.0f\t%s", termtext.Clean(c.ID, false), c.Unread, lum, c.Crowd, last)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newSearchCmd(g *globals) *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "search QUERY",
		Short: "Search messages and contacts",
		Long: `Print the messages that hold every word of QUERY, best first, and the
contacts and groups whose names hold it.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := g.client().Search(cmd.Context(), args[0], limit)
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, res)
			}
			for _, c := range res.Conversations {
				fmt.Fprintf(g.streams.Out, "%s\n", termtext.Clean(c.ID, false))
			}
			for i := range res.Messages {
				fmt.Fprintln(g.streams.Out, FormatLine(&res.Messages[i], true))
			}
			fmt.Fprintf(g.streams.Err, "%d messages match (%.1f ms)\n", res.Total, res.TookMS)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "limit", 20, "at most this many messages")
	return cmd
}

func newAddCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "add NAME [CARD]",
		Short: "Add a contact by its card (mf-route id --card on its node), or by its name in the directory",
		Long: `Add a contact by its card (mf-route id --card on its node). Without a
card, NAME is looked up in the directory (mf-chat name): the card its owner
published, checked against the name's owner on the chain.
` + cli.ExitCodesHelp,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 && len(args) != 2 {
				return cli.Usagef("add takes a name and, unless the name is in the directory, a card")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			card := ""
			if len(args) == 2 {
				card = args[1]
			}
			c, err := g.client().AddContact(cmd.Context(), args[0], card)
			if err != nil {
				return g.clientErr(err)
			}
			fmt.Fprintln(g.streams.Out, c.ID)
			return nil
		},
	}
}

func newGroupCmd(g *globals) *cobra.Command {
	var lum int
	cmd := &cobra.Command{
		Use:   "group NAME MEMBER...",
		Short: "Create a group of contacts",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return cli.Usagef("group takes a name and at least one member")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			req := chatapi.GroupRequest{Name: args[0], Members: args[1:]}
			if cmd.Flags().Changed("luminosity") {
				req.Luminosity = &lum
			}
			c, err := g.client().CreateGroup(cmd.Context(), req)
			if err != nil {
				return g.clientErr(err)
			}
			fmt.Fprintln(g.streams.Out, c.ID)
			return nil
		},
	}
	cmd.Flags().IntVar(&lum, "luminosity", 0, "bits of each member's address the group's packets disclose")
	return cmd
}

func newMembersCmd(g *globals, verb string) *cobra.Command {
	short := "Invite contacts to a group this node owns"
	if verb == "kick" {
		short = "Remove members from a group this node owns (the group gets a new key)"
	}
	return &cobra.Command{
		Use:               verb + " GROUP MEMBER...",
		ValidArgsFunction: completeConvs(g, chatapi.KindGroup),
		Short:             short,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return cli.Usagef("%s takes a group and at least one member", verb)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ch := chatapi.GroupChange{Add: args[1:]}
			if verb == "kick" {
				ch = chatapi.GroupChange{Remove: args[1:]}
			}
			c, err := g.client().ChangeGroup(cmd.Context(), args[0], ch)
			if err != nil {
				return g.clientErr(err)
			}
			fmt.Fprintf(g.streams.Err, "%s: %s\n", c.Name, strings.Join(c.Members, ", "))
			return nil
		},
	}
}

func newLeaveCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "leave GROUP",
		ValidArgsFunction: completeConvs(g, chatapi.KindGroup),
		Short:             "Leave a group (its owner's mf-chat takes this node out)",
		Args:              cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.clientErr(g.client().Leave(cmd.Context(), args[0]))
		},
	}
}

func newLumCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "lum CONTACT BITS",
		ValidArgsFunction: completeConvs(g, chatapi.KindContact),
		Short:             "Set how many bits of a contact's address its messages disclose",
		Long: `Set the luminosity of the conversation with CONTACT: how many bits of its
overlay address the packets carry in clear. Fewer bits hide it in a larger
crowd and cost more traffic; the crowd mf-route estimates is printed.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var bits int
			if _, err := fmt.Sscan(args[1], &bits); err != nil {
				return cli.Usagef("BITS must be a number 0..256, not %q", args[1])
			}
			c, err := g.client().SetLuminosity(cmd.Context(), args[0], bits)
			if err != nil {
				return g.clientErr(err)
			}
			fmt.Fprintf(g.streams.Out, "%s: luminosity %d, crowd about %.0f\n", termtext.Clean(c.ID, false), c.Luminosity, c.Crowd)
			return nil
		},
	}
}

func newAwayCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "away [NOTE]",
		Short: "Tell contacts this node is away (no NOTE: back)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			note := ""
			if len(args) == 1 {
				note = args[0]
			}
			return g.clientErr(g.client().SetAway(cmd.Context(), note))
		},
	}
}

func newBotCmd(g *globals) *cobra.Command {
	var execArg string
	cmd := &cobra.Command{
		Use:   "bot --exec CMD",
		Short: "Run CMD as a bot: messages in on its stdin, replies from its stdout",
		Long: `Start CMD (run by /bin/sh -c) and write every message that arrives from
then on to its stdin as one JSON line:

  {"conv":"contact:alice","from":"alice","id":"…","text":"hello","sent":"…"}

Each line CMD prints is a reply: to the conversation of the last message it
was given, or, if the line is a JSON object with "conv" and "text", to that
conversation. An autoresponder:

  mf-chat bot --exec 'while read -r m; do echo "away until Monday"; done'

The bot stops when CMD exits or on SIGINT. A reply's id is derived from the
message it answers, so a bot started again after a crash does not answer
twice what it answered before.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if execArg == "" {
				return cli.Usagef("bot needs --exec CMD")
			}
			return runBot(cmd.Context(), g, execArg)
		},
	}
	cmd.Flags().StringVar(&execArg, "exec", "", "the bot's command line (run by /bin/sh -c)")
	return cmd
}

// botIn is a message as a bot reads it.
type botIn struct {
	Conv string    `json:"conv"`
	From string    `json:"from"`
	ID   string    `json:"id"`
	Text string    `json:"text"`
	Sent time.Time `json:"sent"`
}

// botOut is a reply line in JSON.
type botOut struct {
	Conv string `json:"conv"`
	Text string `json:"text"`
}

func runBot(ctx context.Context, g *globals, command string) error {
	c := g.client()
	if _, err := c.Status(ctx); err != nil {
		return g.clientErr(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	proc := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	stdin, err := proc.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := proc.StdoutPipe()
	if err != nil {
		return err
	}
	proc.Stderr = g.streams.Err
	if err := proc.Start(); err != nil {
		return fmt.Errorf("bot: %w", err)
	}
	var mu sync.Mutex
	last := "" // the id of the last message given to the bot
	lastConv := ""
	n := 0 // replies to last
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), chatapi.MaxText+1024)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			conv, text := lastConv, line
			var o botOut
			if strings.HasPrefix(strings.TrimSpace(line), "{") && json.Unmarshal([]byte(line), &o) == nil && o.Conv != "" {
				conv, text = o.Conv, o.Text
			}
			n++
			sum := sha256.Sum256([]byte(fmt.Sprintf("mf-chat bot reply %s %d", last, n)))
			id := hex.EncodeToString(sum[:16])
			mu.Unlock()
			if conv == "" || strings.TrimSpace(text) == "" {
				continue
			}
			if _, err := c.Send(ctx, chatapi.SendRequest{To: conv, Text: text, ID: id}); err != nil {
				fmt.Fprintf(g.streams.Err, "mf-chat: bot reply to %s: %v\n", conv, err)
			}
		}
		cancel()
	}()
	enc := json.NewEncoder(stdin)
	// The bot answers what is unread when it starts (what came while it
	// was down), then what arrives; it marks what it was given read. A
	// message that comes while the unread ones are read is given once.
	var given sync.Map
	give := func(m *chatapi.Message) error {
		if m.Mine || m.State != chatapi.StateReceived || m.Edited || len(m.Reactions) > 0 {
			return nil
		}
		if _, dup := given.LoadOrStore(m.ID, true); dup {
			return nil
		}
		mu.Lock()
		last, lastConv, n = m.ID, m.Conv, 0
		err := enc.Encode(botIn{Conv: m.Conv, From: m.From, ID: m.ID, Text: m.Text, Sent: m.Sent})
		mu.Unlock()
		_ = c.MarkRead(ctx, m.Conv)
		return err
	}
	var backlog sync.Mutex
	backlog.Lock()
	werr := c.Watch(ctx, func() {
		go func() {
			defer backlog.Unlock()
			cs, err := c.Conversations(ctx)
			if err != nil {
				return
			}
			for _, cv := range cs {
				if cv.Unread == 0 {
					continue
				}
				ms, err := c.Messages(ctx, cv.ID, cv.Unread)
				if err != nil {
					continue
				}
				for i := range ms {
					_ = give(&ms[i])
				}
			}
			fmt.Fprintln(g.streams.Err, "mf-chat: bot running")
		}()
	}, func(e *chatapi.Event) error {
		if e.Message == nil {
			return nil
		}
		backlog.Lock()
		backlog.Unlock()
		return give(e.Message)
	})
	stdin.Close()
	perr := proc.Wait()
	if ctx.Err() != nil || errors.Is(werr, io.EOF) {
		if perr != nil && cmdCtxErr(ctx) == nil {
			return fmt.Errorf("bot: %w", perr)
		}
		return nil
	}
	return g.clientErr(werr)
}

func cmdCtxErr(ctx context.Context) error { return ctx.Err() }

// completeConvs completes the first argument with the daemon's contact and
// group names (of kind, or both when kind is empty).
func completeConvs(g *globals, kind string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		cs, err := g.client().Conversations(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, c := range cs {
			if (kind == "" || c.Kind == kind) && strings.HasPrefix(c.Name, toComplete) {
				out = append(out, c.Name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func newNameCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "name",
		Short: "The directory: names on the chain, cards in an mf-db network table",
		Long: `The directory lets others add this node by a name. A name registry on the
chain decides who claimed a name first; the card behind it is kept in an
mf-db network table, where only the owner's address may write its row, and
a lookup checks the card against the name's owner on the chain. Claiming
costs a transaction from this node's account; the node needs mf-db (with
db providers on the network) and a chain (swap.eth_rpc).
` + cli.ExitCodesHelp,
	}
	var asJSON bool
	print := func(n *chatapi.NameInfo) error {
		if asJSON {
			return cli.WriteJSON(g.streams.Out, n)
		}
		fmt.Fprintf(g.streams.Out, "%s\t%s\n", n.Name, n.Owner)
		return nil
	}
	claim := &cobra.Command{
		Use:   "claim NAME",
		Short: "Claim NAME for this node and publish its card",
		Long: `Claim NAME (1-64 lower-case letters, digits, '.', '_' or '-', starting with
a letter or digit) on the chain for this node's account, if nobody claimed
it first, and publish this node's card under it. A name this node owns
already has its card published again.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := g.client().ClaimName(cmd.Context(), args[0])
			if err != nil {
				return g.clientErr(err)
			}
			return print(n)
		},
	}
	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Show who owns NAME and the card behind it",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := g.client().LookupName(cmd.Context(), args[0])
			if err != nil {
				return g.clientErr(err)
			}
			if asJSON {
				return cli.WriteJSON(g.streams.Out, n)
			}
			fmt.Fprintf(g.streams.Out, "%s\t%s\t%s\n", n.Name, n.Owner, n.Card)
			return nil
		},
	}
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(claim, show)
	return cmd
}

func newSaveCmd(g *globals) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "save CONV ID [--dir DIR]",
		Short: "Fetch a message's attachment from mf-store",
		Long: `Fetch the file message ID of conversation CONV refers to (mf-chat read
--json shows its attachment) with mf-store, into DIR (default: the current
directory) under its name, made safe (no directory part, no control
characters) and never over an existing file. Prints the path.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			abs, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			res, err := g.client().Save(cmd.Context(), chatapi.SaveRequest{Conv: args[0], ID: args[1], Dir: abs})
			if err != nil {
				return g.clientErr(err)
			}
			fmt.Fprintln(g.streams.Out, res.Path)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "the directory to save into")
	return cmd
}

func newMailboxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mailbox",
		Short: "This node's mf-db mailbox: messages kept for it while it is away",
	}
	create := &cobra.Command{
		Use:   "create",
		Short: "Make this node's mailbox on db providers and publish it in the directory",
		Long: `Make this node's mf-db mailbox on db providers (if it has none) and publish
its reference in this node's directory row, under its own address. A
contact whose messages this node has not acknowledged for a few seconds
then also seals them into the mailbox, which only this node can open; the
daemon reads it when it starts and every 5 minutes. Prints the reference.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := g.client().CreateMailbox(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			fmt.Fprintln(g.streams.Out, m.Ref)
			return nil
		},
	}
	cmd.AddCommand(create)
	return cmd
}
