package chattui

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/termtext"
)

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// call runs fn against the daemon off the UI loop and shows its error, or
// ok, in the status line.
func (m *model) call(ok string, fn func(ctx context.Context) error) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(m.ctx, 30*time.Second)
		defer cancel()
		if err := fn(ctx); err != nil {
			return statusMsg{"error: " + termtext.Clean(err.Error(), false)}
		}
		return statusMsg{ok}
	}
}

// lastFrom is the last message of the open conversation sent by this node
// (mine) or by a peer.
func (m *model) lastFrom(mine bool) *chatapi.Message {
	for i := len(m.msgs) - 1; i >= 0; i-- {
		if m.msgs[i].Mine == mine {
			return &m.msgs[i]
		}
	}
	return nil
}

// submit sends a line, or runs it as a command.
func (m *model) submit(text string) tea.Cmd {
	conv := m.sel
	if !strings.HasPrefix(text, "/") || strings.HasPrefix(text, "//") {
		if conv == "" {
			m.status = "no conversation: /add NAME CARD first"
			return nil
		}
		text = strings.TrimPrefix(text, "/")
		// The id is fixed here, so that a retry is the same message.
		req := chatapi.SendRequest{To: conv, Text: text, ID: newID()}
		m.follow = true
		return m.enqueue(req)
	}
	cmd, rest, _ := strings.Cut(text, " ")
	rest = strings.TrimSpace(rest)
	args := strings.Fields(rest)
	cur := m.conv()
	group := ""
	if cur != nil && cur.Kind == chatapi.KindGroup {
		group = cur.Name
	}
	needGroup := func() bool {
		if group == "" {
			m.status = cmd + " works in a group conversation"
			return false
		}
		return true
	}
	switch cmd {
	case "/help":
		m.help = true
	case "/quit":
		return tea.Quit
	case "/add":
		if len(args) != 1 && len(args) != 2 {
			m.status = "usage: /add NAME [CARD] (without a card, NAME is looked up in the directory)"
			return nil
		}
		card := ""
		if len(args) == 2 {
			card = args[1]
		}
		return m.call("added "+args[0], func(ctx context.Context) error { _, err := m.c.AddContact(ctx, args[0], card); return err })
	case "/group":
		if len(args) < 2 {
			m.status = "usage: /group NAME MEMBER..."
			return nil
		}
		return m.call("created "+args[0], func(ctx context.Context) error {
			_, err := m.c.CreateGroup(ctx, chatapi.GroupRequest{Name: args[0], Members: args[1:]})
			return err
		})
	case "/invite", "/kick":
		if !needGroup() {
			return nil
		}
		if len(args) == 0 {
			m.status = "usage: " + cmd + " MEMBER..."
			return nil
		}
		ch := chatapi.GroupChange{Add: args}
		if cmd == "/kick" {
			ch = chatapi.GroupChange{Remove: args}
		}
		return m.call(cmd[1:]+" done: the group has a new key", func(ctx context.Context) error { _, err := m.c.ChangeGroup(ctx, group, ch); return err })
	case "/leave":
		if !needGroup() {
			return nil
		}
		return m.call("left "+group, func(ctx context.Context) error { return m.c.Leave(ctx, conv) })
	case "/lum":
		n, err := strconv.Atoi(rest)
		if err != nil {
			m.status = "usage: /lum BITS (0..256)"
			return nil
		}
		return func() tea.Msg {
			c, err := m.c.SetLuminosity(m.ctx, conv, n)
			if err != nil {
				return statusMsg{"error: " + termtext.Clean(err.Error(), false)}
			}
			return adviceMsg{conv, c}
		}
	case "/reply":
		to := m.lastFrom(false)
		if to == nil || rest == "" {
			m.status = "usage: /reply TEXT (answers the last message from the others)"
			return nil
		}
		req := chatapi.SendRequest{To: conv, Text: rest, ID: newID(), ReplyTo: to.ID}
		return m.enqueue(req)
	case "/edit":
		mine := m.lastFrom(true)
		if mine == nil || rest == "" {
			m.status = "usage: /edit TEXT (replaces your last message)"
			return nil
		}
		req := chatapi.SendRequest{To: conv, Text: rest, ID: newID(), Edit: mine.ID}
		return m.enqueue(req)
	case "/react":
		to := m.lastFrom(false)
		if to == nil || rest == "" {
			m.status = "usage: /react EMOJI (on the last message from the others)"
			return nil
		}
		req := chatapi.SendRequest{To: conv, Text: rest, ID: newID(), React: to.ID}
		return m.enqueue(req)
	case "/poll":
		parts := strings.Split(rest, "|")
		if len(parts) < 3 {
			m.status = "usage: /poll QUESTION | OPTION | OPTION..."
			return nil
		}
		p := &chatapi.Poll{Question: strings.TrimSpace(parts[0])}
		for _, o := range parts[1:] {
			p.Options = append(p.Options, strings.TrimSpace(o))
		}
		req := chatapi.SendRequest{To: conv, Text: "poll: " + p.Question, ID: newID(), Poll: p}
		return m.enqueue(req)
	case "/vote":
		// /vote N on the last poll: a reaction "vote:N".
		for i := len(m.msgs) - 1; i >= 0; i-- {
			if p := m.msgs[i].Poll; p != nil {
				n, err := strconv.Atoi(rest)
				if err != nil || n < 1 || n > len(p.Options) {
					m.status = "usage: /vote N (an option of the last poll)"
					return nil
				}
				req := chatapi.SendRequest{To: conv, Text: "vote:" + rest, ID: newID(), React: m.msgs[i].ID}
				return m.enqueue(req)
			}
		}
		m.status = "no poll here"
	case "/search":
		if rest == "" {
			m.status = "usage: /search WORDS"
			return nil
		}
		return func() tea.Msg {
			res, err := m.c.Search(m.ctx, rest, 50)
			return searchMsg{res, err}
		}
	case "/receipts":
		if rest != "on" && rest != "off" {
			m.status = "usage: /receipts on|off (tell peers when you read their messages)"
			return nil
		}
		on := rest == "on"
		return m.call("read receipts "+rest, func(ctx context.Context) error {
			_, err := m.c.Settings(ctx, chatapi.SettingsRequest{ReadReceipts: &on})
			return err
		})
	case "/notify":
		if rest != "on" && rest != "off" {
			m.status = "usage: /notify on|off (the bell for messages from peers)"
			return nil
		}
		m.bell = rest == "on"
		m.status = "bell " + rest
		return nil
	case "/typing":
		if rest != "on" && rest != "off" {
			m.status = "usage: /typing on|off (tell peers when you type)"
			return nil
		}
		on := rest == "on"
		return m.call("typing notices "+rest, func(ctx context.Context) error {
			_, err := m.c.Settings(ctx, chatapi.SettingsRequest{Typing: &on})
			return err
		})
	case "/attach":
		// The daemon stores the file with mf-store and sends its
		// reference; the path is made absolute here, where it was typed.
		file, caption, _ := strings.Cut(rest, " ")
		if file == "" {
			m.status = "usage: /attach FILE [CAPTION]"
			return nil
		}
		abs, err := filepath.Abs(file)
		if err != nil {
			m.status = "error: " + termtext.Clean(err.Error(), false)
			return nil
		}
		return m.enqueue(chatapi.SendRequest{To: conv, Text: strings.TrimSpace(caption), ID: newID(), Attach: abs})
	case "/save":
		// The last attachment of the conversation, into DIR or the
		// directory the window runs in.
		var att *chatapi.Message
		for i := len(m.msgs) - 1; i >= 0 && att == nil; i-- {
			if m.msgs[i].Attachment != nil {
				att = &m.msgs[i]
			}
		}
		if att == nil {
			m.status = "no attachment here"
			return nil
		}
		dir, err := filepath.Abs(cmp.Or(rest, "."))
		if err != nil {
			m.status = "error: " + termtext.Clean(err.Error(), false)
			return nil
		}
		id := att.ID
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(m.ctx, 10*time.Minute)
			defer cancel()
			res, err := m.c.Save(ctx, chatapi.SaveRequest{Conv: conv, ID: id, Dir: dir})
			if err != nil {
				return statusMsg{"error: " + termtext.Clean(err.Error(), false)}
			}
			// The name first: a long directory is cut off at the edge.
			return statusMsg{fmt.Sprintf("saved %s (%d bytes) in %s", termtext.Clean(filepath.Base(res.Path), false), res.Size, termtext.Clean(filepath.Dir(res.Path), false))}
		}
	case "/away":
		ok := "away: " + rest
		if rest == "" {
			ok = "back"
		}
		return m.call(ok, func(ctx context.Context) error { return m.c.SetAway(ctx, rest) })
	default:
		m.status = "unknown command " + termtext.Clean(cmd, false) + "; /help lists them"
	}
	return nil
}
