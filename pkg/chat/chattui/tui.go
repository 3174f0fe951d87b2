// Package chattui is mf-chat's chat window: a bubbletea program that is a
// client of the mf-chat daemon's socket (chatapi), and nothing else.
//
// Every string that came from a peer (names, text, reasons, poll options)
// goes through termtext.Clean before it is laid out, so a peer's escape
// sequences and control characters show as visible marks and never reach
// the terminal as control.
package chattui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/termtext"
)

// Options of the window.
type Options struct {
	In  io.Reader
	Out io.Writer
	// History is how many of the last messages of a conversation are
	// loaded when it is opened.
	History int
	// Keys are the key bindings (newKeymap); nil: the defaults.
	Keys keymap
	// Bell rings the terminal's bell for each message from a peer;
	// NotifyCmd is run for each (config.Chat).
	Bell      bool
	NotifyCmd string
}

// Configure sets o's bell, notification command and key bindings from
// the [chat] table of config.toml: an unknown action is an error.
func (o *Options) Configure(bell bool, notifyCmd string, keys map[string]string) error {
	km, err := newKeymap(keys)
	if err != nil {
		return err
	}
	o.Keys, o.Bell, o.NotifyCmd = km, bell, notifyCmd
	return nil
}

// windowFPS is how often the window may redraw. bubbletea's renderer wakes
// at this rate whether or not anything changed (it draws only what did),
// and those wake-ups are the window's whole idle cost: at its default of
// 60 a second, about 1 % of a core on the development machine. At 30 a
// second they cost half that, and a change waits 17 ms for its frame on
// average instead of 8 (docs/benchmarks.md, "mf-chat").
const windowFPS = 30

// Run opens the window until the user quits or ctx ends.
func Run(ctx context.Context, c *chatapi.Client, o Options) error {
	if _, err := c.Status(ctx); err != nil {
		return err
	}
	if o.History == 0 {
		o.History = 500
	}
	if os.Getenv("NO_COLOR") != "" {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	m := newModel(ctx, c, o)
	opts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithContext(ctx), tea.WithFPS(windowFPS)}
	if o.In != nil {
		opts = append(opts, tea.WithInput(o.In))
	}
	if o.Out != nil {
		opts = append(opts, tea.WithOutput(o.Out))
	}
	p := tea.NewProgram(m, opts...)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go watch(wctx, c, p)
	go m.sender(wctx, p)
	_, err := p.Run()
	if err == tea.ErrProgramKilled && ctx.Err() != nil {
		return nil
	}
	return err
}

// watch feeds the daemon's events to the program, reconnecting (and
// reloading) when the stream ends.
func watch(ctx context.Context, c *chatapi.Client, p *tea.Program) {
	for ctx.Err() == nil {
		err := c.Watch(ctx, func() { p.Send(reloadMsg{}) }, func(e *chatapi.Event) error {
			p.Send(eventMsg{e})
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		p.Send(statusMsg{fmt.Sprintf("daemon: %v (reconnecting)", err)})
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

type (
	eventMsg  struct{ e *chatapi.Event }
	reloadMsg struct{}
	statusMsg struct{ s string }
	redrawMsg struct{} // a typing notice ran out
	typedMsg  struct {
		sent bool
		at   time.Time
	}
	convsMsg struct {
		convs []chatapi.Conversation
		err   error
	}
	msgsMsg struct {
		seq  int
		conv string
		msgs []chatapi.Message
		err  error
	}
	adviceMsg struct {
		conv  string
		conv2 *chatapi.Conversation
	}
	searchMsg struct {
		res *chatapi.SearchResult
		err error
	}
)

type mode int

const (
	insertMode mode = iota
	normalMode
)

type model struct {
	ctx  context.Context
	c    *chatapi.Client
	opts Options

	w, h   int
	convs  []chatapi.Conversation
	sel    string // selected conversation id
	msgs   []chatapi.Message
	vp     viewport.Model
	input  textarea.Model
	mode   mode
	help   bool
	status string
	follow bool // keep the view at the bottom

	history   []string
	histPos   int
	typedAt   time.Time // when a typing notice last went out from here
	typingNow bool      // a typing call is under way

	search *chatapi.SearchResult
	st     styles

	// loadSeq numbers the loads of the open conversation; since holds
	// what the daemon told of it while the last one was under way.
	loadSeq int
	since   []chatapi.Message

	// sendq carries what the user typed to the daemon, one at a time, so
	// that messages are queued (and numbered) in the order typed.
	sendq chan chatapi.SendRequest

	keys keymap
	// bell: ring the terminal's bell for a message from a peer (/notify).
	bell bool
	// notify is what tells the user of a message from a peer (bell.go).
	notify func(n notice)
}

type styles struct {
	header, sidebar, sel, unread, day, time, name, me, state, failed, help, status lipgloss.Style
}

func newStyles() styles {
	return styles{
		header:  lipgloss.NewStyle().Bold(true).Reverse(true),
		sidebar: lipgloss.NewStyle(),
		sel:     lipgloss.NewStyle().Reverse(true),
		unread:  lipgloss.NewStyle().Bold(true),
		day:     lipgloss.NewStyle().Faint(true),
		time:    lipgloss.NewStyle().Faint(true),
		name:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("6")),
		me:      lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("2")),
		state:   lipgloss.NewStyle().Faint(true),
		failed:  lipgloss.NewStyle().Foreground(lipgloss.Color("1")),
		help:    lipgloss.NewStyle().Border(lipgloss.NormalBorder()).Padding(0, 1),
		status:  lipgloss.NewStyle().Faint(true),
	}
}

func newModel(ctx context.Context, c *chatapi.Client, o Options) *model {
	ta := textarea.New()
	ta.Placeholder = "type a message, /help for commands"
	ta.ShowLineNumbers = false
	ta.Prompt = "> "
	ta.CharLimit = chatapi.MaxText
	ta.SetHeight(2)
	km, _ := newKeymap(nil)
	if o.Keys != nil {
		km = o.Keys
	}
	ta.KeyMap.InsertNewline = key.NewBinding(key.WithKeys(km["newline"]...))
	ta.FocusedStyle.CursorLine = lipgloss.NewStyle()
	// A steady cursor: a blinking one redraws the window twice a second
	// for as long as it is open, which is most of an idle window's CPU.
	ta.Cursor.SetMode(cursor.CursorStatic)
	ta.Focus()
	m := &model{ctx: ctx, c: c, opts: o, input: ta, vp: viewport.New(60, 18), follow: true, st: newStyles(), sendq: make(chan chatapi.SendRequest, 1024),
		keys: km, bell: o.Bell, notify: o.notifier()}
	m.vp.MouseWheelEnabled = true
	return m
}

func (m *model) Init() tea.Cmd { return m.loadConvs() }

func (m *model) loadConvs() tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(m.ctx, 5*time.Second)
		defer cancel()
		cs, err := m.c.Conversations(ctx)
		return convsMsg{cs, err}
	}
}

// loadMsgs loads conv's last messages. What the daemon tells meanwhile
// (m.since) goes over the loaded list when it comes, and only the last
// load counts: a list read before a message arrived, and answered after
// it, must not take it out of the view.
func (m *model) loadMsgs(conv string) tea.Cmd {
	m.loadSeq++
	m.since = nil
	seq := m.loadSeq
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(m.ctx, 5*time.Second)
		defer cancel()
		ms, err := m.c.Messages(ctx, conv, m.opts.History)
		if err == nil {
			_ = m.c.MarkRead(ctx, conv)
		}
		return msgsMsg{seq, conv, ms, err}
	}
}

func (m *model) conv() *chatapi.Conversation {
	for i := range m.convs {
		if m.convs[i].ID == m.sel {
			return &m.convs[i]
		}
	}
	return nil
}

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.layout()
	case reloadMsg:
		// Connected (again): a "reconnecting" line no longer holds.
		if strings.HasPrefix(m.status, "daemon:") {
			m.status = ""
		}
		cmds = append(cmds, m.loadConvs())
		if m.sel != "" {
			cmds = append(cmds, m.loadMsgs(m.sel))
		}
	case statusMsg:
		m.status = msg.s
	case redrawMsg:
	case typedMsg:
		m.typingNow = false
		if msg.sent {
			m.typedAt = msg.at
		}
	case convsMsg:
		if msg.err != nil {
			m.status = msg.err.Error()
			break
		}
		m.convs = msg.convs
		m.sortConvs()
		if m.sel == "" && len(m.convs) > 0 {
			m.sel = m.convs[0].ID
			cmds = append(cmds, m.loadMsgs(m.sel))
		}
	case msgsMsg:
		switch {
		case msg.seq != m.loadSeq:
			// An older load, answered late.
		case msg.err != nil:
			m.status = msg.err.Error()
		case msg.conv == m.sel:
			m.msgs = msg.msgs
			for _, e := range m.since {
				m.put(e)
			}
			m.since = nil
			m.follow = true
			m.render()
		}
	case adviceMsg:
		m.updateConv(*msg.conv2)
	case searchMsg:
		if msg.err != nil {
			m.status = msg.err.Error()
		} else {
			m.search = msg.res
		}
	case eventMsg:
		cmds = append(cmds, m.event(msg.e))
	case tea.MouseMsg:
		var cmd tea.Cmd
		m.vp, cmd = m.vp.Update(msg)
		m.follow = m.vp.AtBottom()
		cmds = append(cmds, cmd)
	case tea.KeyMsg:
		cmds = append(cmds, m.key(msg))
	default:
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		cmds = append(cmds, cmd)
	}
	return m, tea.Batch(cmds...)
}

func (m *model) sortConvs() {
	sort.SliceStable(m.convs, func(i, j int) bool {
		if m.convs[i].Kind != m.convs[j].Kind {
			return m.convs[i].Kind == chatapi.KindContact
		}
		return m.convs[i].Name < m.convs[j].Name
	})
}

func (m *model) updateConv(c chatapi.Conversation) {
	for i := range m.convs {
		if m.convs[i].ID == c.ID {
			if c.Crowd == 0 {
				c.Crowd = m.convs[i].Crowd
			}
			if c.Luminosity < 0 {
				c.Luminosity = m.convs[i].Luminosity
			}
			if c.Advice < 0 {
				c.Advice = m.convs[i].Advice
			}
			if c.ID == m.sel {
				c.Unread = 0
			}
			m.convs[i] = c
			return
		}
	}
	m.convs = append(m.convs, c)
	m.sortConvs()
	if m.sel == "" {
		m.sel = c.ID
	}
}

func (m *model) event(e *chatapi.Event) tea.Cmd {
	if e.New && e.Message != nil {
		m.announce(e.Message)
	}
	switch {
	case e.Conv != nil:
		m.updateConv(*e.Conv)
		if !e.Conv.TypingAt.IsZero() {
			return tea.Tick(chatapi.TypingFor, func(time.Time) tea.Msg { return redrawMsg{} })
		}
	case e.Message != nil && e.Message.Conv == m.sel:
		if len(m.since) < 4096 {
			m.since = append(m.since, *e.Message)
		}
		m.put(*e.Message)
		m.render()
		if !e.Message.Mine {
			conv := m.sel
			return func() tea.Msg {
				_ = m.c.MarkRead(m.ctx, conv)
				return nil
			}
		}
	}
	return nil
}

// put puts msg in the view's list, in place of its earlier state.
func (m *model) put(msg chatapi.Message) {
	for i := range m.msgs {
		if m.msgs[i].ID == msg.ID {
			m.msgs[i] = msg
			return
		}
	}
	m.msgs = append(m.msgs, msg)
	sort.SliceStable(m.msgs, func(i, j int) bool { return less(&m.msgs[i], &m.msgs[j]) })
}

// less orders messages as the daemon does: Lamport clock, then sender,
// then id.
func less(a, b *chatapi.Message) bool {
	if a.Clock != b.Clock {
		return a.Clock < b.Clock
	}
	if a.FromOverlay != b.FromOverlay {
		return a.FromOverlay < b.FromOverlay
	}
	return a.ID < b.ID
}

func (m *model) switchConv(delta int) tea.Cmd {
	if len(m.convs) == 0 {
		return nil
	}
	i := 0
	for j := range m.convs {
		if m.convs[j].ID == m.sel {
			i = j
		}
	}
	i = (i + delta + len(m.convs)) % len(m.convs)
	m.sel = m.convs[i].ID
	m.convs[i].Unread = 0
	m.msgs = nil
	m.search = nil
	m.render()
	return m.loadMsgs(m.sel)
}

var commands = []string{"/add", "/attach", "/save", "/group", "/invite", "/kick", "/leave", "/lum", "/reply", "/edit", "/react", "/poll", "/vote", "/search", "/away", "/typing", "/receipts", "/notify", "/help", "/quit"}

func (m *model) key(k tea.KeyMsg) tea.Cmd {
	ks, km := k.String(), m.keys
	switch {
	case km.is("quit", ks):
		return tea.Quit
	case km.is("next", ks):
		return m.switchConv(1)
	case km.is("prev", ks):
		return m.switchConv(-1)
	case km.is("page_up", ks):
		m.vp.PageUp()
		m.follow = false
		return nil
	case km.is("page_down", ks):
		m.vp.PageDown()
		m.follow = m.vp.AtBottom()
		return nil
	case km.is("help", ks):
		m.help = !m.help
		return nil
	}
	if m.help {
		m.help = false
		return nil
	}
	if m.search != nil && ks == "esc" {
		m.search = nil
		return nil
	}
	if m.mode == normalMode {
		switch {
		case km.is("down", ks):
			m.vp.ScrollDown(1)
			m.follow = m.vp.AtBottom()
		case km.is("up", ks):
			m.vp.ScrollUp(1)
			m.follow = false
		case km.is("top", ks):
			m.vp.GotoTop()
			m.follow = false
		case km.is("bottom", ks):
			m.vp.GotoBottom()
			m.follow = true
		case km.is("help_normal", ks):
			m.help = true
		case km.is("search", ks):
			m.mode = insertMode
			m.input.SetValue("/search ")
			m.input.CursorEnd()
			return m.input.Focus()
		case km.is("insert", ks):
			m.mode = insertMode
			return m.input.Focus()
		case km.is("quit_normal", ks):
			return tea.Quit
		}
		return nil
	}
	switch {
	case km.is("normal", ks):
		m.mode = normalMode
		m.input.Blur()
		return nil
	case km.is("send", ks):
		text := m.input.Value()
		if strings.TrimSpace(text) == "" {
			return nil
		}
		m.input.Reset()
		m.history = append(m.history, text)
		m.histPos = len(m.history)
		return m.submit(text)
	case ks == "up" || ks == "down":
		if !strings.Contains(m.input.Value(), "\n") && len(m.history) > 0 {
			if k.String() == "up" && m.histPos > 0 {
				m.histPos--
			} else if k.String() == "down" && m.histPos < len(m.history) {
				m.histPos++
			}
			if m.histPos < len(m.history) {
				m.input.SetValue(m.history[m.histPos])
			} else {
				m.input.SetValue("")
			}
			m.input.CursorEnd()
			return nil
		}
	case km.is("complete", ks):
		m.complete()
		return nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(k)
	return tea.Batch(cmd, m.typing(k))
}

// typing tells the daemon, at most every TypingEvery, that the user types
// a message (not a command) here; the daemon sends it on only if typing
// notices are on.
func (m *model) typing(k tea.KeyMsg) tea.Cmd {
	v := m.input.Value()
	if k.Type != tea.KeyRunes || m.sel == "" || strings.HasPrefix(v, "/") || m.typingNow || time.Since(m.typedAt) < chatapi.TypingEvery {
		return nil
	}
	m.typingNow = true
	conv := m.sel
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(m.ctx, 5*time.Second)
		defer cancel()
		at := time.Now()
		r, err := m.c.Typing(ctx, conv)
		return typedMsg{sent: err == nil && r.Sent, at: at}
	}
}

// complete completes the last word of the input: a command, or a
// contact, group or member name.
func (m *model) complete() {
	v := m.input.Value()
	i := strings.LastIndexAny(v, " \n") + 1
	word := v[i:]
	if word == "" {
		return
	}
	var cands []string
	if i == 0 && strings.HasPrefix(word, "/") {
		cands = commands
	} else {
		seen := map[string]bool{}
		for _, c := range m.convs {
			for _, n := range append([]string{c.Name}, c.Members...) {
				if !seen[n] {
					seen[n] = true
					cands = append(cands, n)
				}
			}
		}
		sort.Strings(cands)
	}
	var match []string
	for _, c := range cands {
		if strings.HasPrefix(c, word) {
			match = append(match, c)
		}
	}
	switch len(match) {
	case 0:
		m.status = "no completion for " + termtext.Clean(word, false)
	case 1:
		m.input.SetValue(v[:i] + match[0] + " ")
		m.input.CursorEnd()
	default:
		m.input.SetValue(v[:i] + commonPrefix(match))
		m.input.CursorEnd()
		m.status = termtext.Clean(strings.Join(match, " "), false)
	}
}

func commonPrefix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasPrefix(s, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

// sender hands typed messages to the daemon in order. A message the
// daemon did not take (it is down) is tried again, under the same id,
// until it takes it: what was typed is not lost with a daemon restart.
func (m *model) sender(ctx context.Context, p *tea.Program) {
	for {
		select {
		case <-ctx.Done():
			return
		case req := <-m.sendq:
			for ctx.Err() == nil {
				sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				_, err := m.c.Send(sctx, req)
				cancel()
				if err == nil {
					break
				}
				var le *localapi.Error
				if errors.As(err, &le) && le.Status < 500 {
					p.Send(statusMsg{"error: " + termtext.Clean(err.Error(), false)})
					break
				}
				p.Send(statusMsg{"daemon: " + termtext.Clean(err.Error(), false) + " (trying again)"})
				select {
				case <-ctx.Done():
				case <-time.After(500 * time.Millisecond):
				}
			}
		}
	}
}

// enqueue queues a send for the sender.
func (m *model) enqueue(req chatapi.SendRequest) tea.Cmd {
	select {
	case m.sendq <- req:
	default:
		m.status = "too many messages waiting for the daemon"
	}
	return nil
}
