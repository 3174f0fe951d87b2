package chattui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/termtext"
)

const sidebarWidth = 20

// layout sizes the parts to the terminal: header 1 line, input 2 lines
// plus a status line, the rest for the sidebar and the messages.
func (m *model) layout() {
	w := max(m.w-sidebarWidth-1, 20)
	h := max(m.h-2-m.input.Height(), 3)
	m.vp.Width, m.vp.Height = w, h
	m.input.SetWidth(max(m.w, 10))
	m.render()
}

// render lays out the open conversation's messages into the viewport.
func (m *model) render() {
	w := m.vp.Width
	if w <= 0 {
		return
	}
	var b strings.Builder
	lastDay := ""
	byID := map[string]*chatapi.Message{}
	for i := range m.msgs {
		byID[m.msgs[i].ID] = &m.msgs[i]
	}
	members := 0
	if c := m.conv(); c != nil {
		members = len(c.Members)
	}
	for i := range m.msgs {
		msg := &m.msgs[i]
		t := msg.Sent.Local()
		if !msg.Received.IsZero() && !msg.Mine {
			// A peer's clock may be wrong: the day and time shown are when
			// it arrived here.
			t = msg.Received.Local()
		}
		if day := t.Format("Mon 2 Jan 2006"); day != lastDay {
			lastDay = day
			pad := max(w-len(day)-4, 2)
			b.WriteString(m.st.day.Render("── " + day + " " + strings.Repeat("─", pad)))
			b.WriteByte('\n')
		}
		name := m.st.name.Render(termtext.Clean(msg.From, false))
		if msg.Mine {
			name = m.st.me.Render("me")
		}
		head := m.st.time.Render(t.Format("15:04")) + " " + name + ": "
		if msg.ReplyTo != "" {
			if to := byID[msg.ReplyTo]; to != nil {
				b.WriteString(m.st.state.Render(fmt.Sprintf("      ↳ %s: %s", termtext.Clean(to.From, false), clip(termtext.Clean(to.Text, false), w-12))))
				b.WriteByte('\n')
			}
		}
		body := termtext.Clean(msg.Text, true)
		if msg.Edited {
			body += m.st.state.Render(" (edited)")
		}
		if msg.Mine {
			body += " " + m.stateMark(msg, members)
		}
		text := lipgloss.NewStyle().Width(w).Render(head + body)
		b.WriteString(text)
		b.WriteByte('\n')
		if a := msg.Attachment; a != nil {
			b.WriteString(m.st.state.Render(clip(fmt.Sprintf("      📎 %s (%s)", termtext.Clean(a.Name, false), humanSize(a.Size)), w)))
			b.WriteByte('\n')
		}
		if p := msg.Poll; p != nil {
			for j, o := range p.Options {
				votes := len(msg.Reactions[fmt.Sprintf("vote:%d", j+1)])
				b.WriteString(fmt.Sprintf("      %d. %s  (%d)\n", j+1, clip(termtext.Clean(o, false), w-16), votes))
			}
		}
		if len(msg.Reactions) > 0 {
			var rs []string
			for r, who := range msg.Reactions {
				if strings.HasPrefix(r, "vote:") {
					continue
				}
				rs = append(rs, fmt.Sprintf("%s %s", termtext.Clean(r, false), termtext.Clean(strings.Join(who, ","), false)))
			}
			sort.Strings(rs)
			if len(rs) > 0 {
				b.WriteString(m.st.state.Render(clip("      "+strings.Join(rs, "  "), w)))
				b.WriteByte('\n')
			}
		}
	}
	m.vp.SetContent(strings.TrimRight(b.String(), "\n"))
	if m.follow {
		m.vp.GotoBottom()
	}
}

func (m *model) stateMark(msg *chatapi.Message, members int) string {
	s := msg.State
	switch msg.State {
	case chatapi.StateDelivered:
		if members > 1 {
			s = fmt.Sprintf("delivered %d/%d", len(msg.DeliveredTo), members)
		}
		if len(msg.ReadBy) > 0 && members > 1 {
			s += fmt.Sprintf(", read %d/%d", len(msg.ReadBy), members)
		} else if len(msg.ReadBy) > 0 {
			s = "read"
		}
	case chatapi.StateFailed:
		return m.st.failed.Render("[failed: " + termtext.Clean(msg.Reason, false) + "]")
	case chatapi.StateSending, chatapi.StateSent, chatapi.StateHeld:
		if msg.Reason != "" {
			s += ": " + termtext.Clean(msg.Reason, false)
		} else if len(msg.Acked) > 0 && members > 1 {
			// Members' mf-chat answered, their nodes' receipts not yet.
			s += fmt.Sprintf(", acknowledged %d/%d", len(msg.Acked), members)
		}
	}
	return m.st.state.Render("[" + s + "]")
}

// clip cuts s to n cells.
func clip(s string, n int) string {
	if n <= 1 {
		return ""
	}
	r := []rune(s)
	if lipgloss.Width(s) <= n {
		return s
	}
	for len(r) > 0 && lipgloss.Width(string(r)) > n-1 {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

func (m *model) header() string {
	c := m.conv()
	var s string
	switch {
	case c == nil:
		s = " mf-chat: no conversations yet (/add NAME CARD)"
	case c.Kind == chatapi.KindGroup:
		owner := ""
		if c.Owner {
			owner = ", yours"
		}
		s = fmt.Sprintf(" #%s · %d members%s · %s", termtext.Clean(c.Name, false), len(c.Members)+1, owner, clip(termtext.Clean(strings.Join(c.Members, " "), false), 30))
		if time.Since(c.TypingAt) < chatapi.TypingFor {
			s += " · someone is typing…"
		}
	default:
		lum := "default"
		if c.Luminosity >= 0 {
			lum = fmt.Sprint(c.Luminosity)
		}
		s = fmt.Sprintf(" %s · lum %s · crowd ≈ %.0f", termtext.Clean(c.Name, false), lum, c.Crowd)
		if c.Advice >= 0 && c.Luminosity > c.Advice {
			// mf-route's advice, when the conversation discloses more.
			s += fmt.Sprintf(" · advice: /lum %d for %d", c.Advice, chatapi.AdviceCrowd)
		}
		if c.Presence != "" {
			s += " · " + clip(termtext.Clean(c.Presence, false), 20)
		}
		switch {
		case time.Since(c.TypingAt) < chatapi.TypingFor:
			s += " · typing…"
		case !c.Seen.IsZero():
			s += " · seen " + c.Seen.Local().Format("15:04")
		}
	}
	if c != nil && c.Left {
		s += " · left"
	}
	return m.st.header.Render(pad(clip(s, m.w), m.w))
}

func pad(s string, n int) string {
	if w := lipgloss.Width(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

func (m *model) sidebar(h int) string {
	var lines []string
	for _, c := range m.convs {
		name := termtext.Clean(c.Name, false)
		if c.Kind == chatapi.KindGroup {
			name = "#" + name
		}
		unread := ""
		if c.Unread > 0 && c.ID != m.sel {
			unread = fmt.Sprintf(" %d", c.Unread)
		}
		mark := " "
		switch {
		case c.ID == m.sel:
			// Marked without colour too (NO_COLOR draws no attributes).
			mark = ">"
		case strings.HasPrefix(c.Presence, "away"):
			mark = "~"
		}
		line := pad(mark+clip(name, sidebarWidth-2-len(unread))+unread, sidebarWidth-1)
		switch {
		case c.ID == m.sel:
			line = m.st.sel.Render(line)
		case c.Unread > 0:
			line = m.st.unread.Render(line)
		}
		lines = append(lines, line)
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", sidebarWidth-1))
	}
	return strings.Join(lines[:h], "\n")
}

func (m *model) View() string {
	if m.w == 0 {
		return ""
	}
	h := m.vp.Height
	main := m.vp.View()
	if m.search != nil {
		main = m.searchView(h)
	}
	if m.help {
		main = m.st.help.Render(helpText)
	}
	sep := strings.Repeat("│\n", h)
	body := lipgloss.JoinHorizontal(lipgloss.Top, m.sidebar(h), strings.TrimSuffix(sep, "\n"), main)
	body = lipgloss.NewStyle().Height(h).MaxHeight(h).Render(body)
	mode := "INSERT"
	if m.mode == normalMode {
		mode = "NORMAL"
	}
	status := m.st.status.Render(clip(fmt.Sprintf(" %s  %s", mode, m.status), m.w))
	return lipgloss.JoinVertical(lipgloss.Left, m.header(), body, status, m.input.View())
}

func (m *model) searchView(h int) string {
	r := m.search
	lines := []string{fmt.Sprintf("search %q: %d found (%.1f ms), Esc closes", clip(termtext.Clean(r.Query, false), 30), r.Total, r.TookMS)}
	for _, c := range r.Conversations {
		lines = append(lines, "  "+termtext.Clean(c.ID, false))
	}
	for _, msg := range r.Messages {
		lines = append(lines, clip(fmt.Sprintf("%s %s %s: %s", msg.Sent.Local().Format("01-02 15:04"), termtext.Clean(msg.Conv, false), termtext.Clean(msg.From, false), termtext.Clean(msg.Text, false)), m.vp.Width))
	}
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

const helpText = `keys
  Enter      send; Alt-Enter or Ctrl-J: new line
  Up/Down    input history
  Tab        complete a name or command
  Ctrl-N/P   next/previous conversation
  PgUp/PgDn  scroll (and the mouse wheel)
  Esc        normal mode: j/k scroll, g/G top/end,
             / search, ? help, i insert, q quit
  F1         this help; Ctrl-C quits
commands
  /add NAME [CARD] /group NAME M.. /invite M..
  /kick M..       /leave           /lum BITS
  /reply TEXT     /edit TEXT       /react EMOJI
  /poll Q|A|B     /vote N          /search WORDS
  /attach FILE    /save [DIR]      /away [NOTE]
  /typing on|off  /receipts on|off /notify on|off
  /quit           //x sends /x      keys: [chat.keys]`

// humanSize writes a byte count the way a file manager does.
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n), 0
	for f >= unit && i < 5 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, "KMGTP"[i-1])
}
