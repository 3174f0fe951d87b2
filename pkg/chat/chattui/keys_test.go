package chattui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/mainframe/mf/pkg/chat/chatapi"
)

// TestKeymap: a binding from [chat.keys] replaces the action's defaults,
// and an unknown action or an empty list is refused with a clear line.
func TestKeymap(t *testing.T) {
	km, err := newKeymap(map[string]string{"next": "alt+j, ctrl+right", "quit_normal": "Q"})
	if err != nil {
		t.Fatal(err)
	}
	if !km.is("next", "alt+j") || !km.is("next", "ctrl+right") || km.is("next", "ctrl+n") {
		t.Errorf("next is %v", km["next"])
	}
	if !km.is("prev", "ctrl+p") || !km.is("quit_normal", "Q") || km.is("quit_normal", "q") {
		t.Errorf("prev %v, quit_normal %v", km["prev"], km["quit_normal"])
	}
	for _, tt := range []struct {
		name string
		keys map[string]string
		want string
	}{
		{"unknown action", map[string]string{"jump": "x"}, `[chat.keys] has no action "jump"`},
		{"no key", map[string]string{"next": " , "}, "[chat.keys] next names no key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := newKeymap(tt.keys); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}

// TestCustomKeysDrive: with next bound to alt+j, alt+j opens the next
// conversation and ctrl+n no longer does.
func TestCustomKeysDrive(t *testing.T) {
	var o Options
	if err := o.Configure(false, "", map[string]string{"next": "alt+j"}); err != nil {
		t.Fatal(err)
	}
	o.History = 10
	m := newModel(context.Background(), chatapi.NewClient(t.TempDir()), o)
	m.convs = []chatapi.Conversation{{ID: "contact:a", Kind: chatapi.KindContact, Name: "a"}, {ID: "contact:b", Kind: chatapi.KindContact, Name: "b"}}
	m.sel = "contact:a"
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.key(tea.KeyMsg{Type: tea.KeyCtrlN})
	if m.sel != "contact:a" {
		t.Fatalf("ctrl+n moved to %s", m.sel)
	}
	m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'j'}, Alt: true})
	if m.sel != "contact:b" {
		t.Fatalf("alt+j left %s open", m.sel)
	}
}

// TestNotify: a new message from a peer is announced (bell and command),
// cleaned of control; this node's own messages, states and edits of
// messages are not, nor anything once /notify off turned the bell off.
func TestNotify(t *testing.T) {
	m := newModel(context.Background(), chatapi.NewClient(t.TempDir()), Options{History: 10, Bell: true})
	var mu sync.Mutex
	var got []notice
	m.notify = func(n notice) { mu.Lock(); got = append(got, n); mu.Unlock() }
	m.event(&chatapi.Event{Kind: chatapi.EventMessage, New: true, Message: &chatapi.Message{ID: "1", Conv: "contact:bob", From: "bob", Text: "hi"}})
	m.event(&chatapi.Event{Kind: chatapi.EventMessage, Message: &chatapi.Message{ID: "1", Conv: "contact:bob", From: "bob", Text: "hi (edited)"}})
	m.event(&chatapi.Event{Kind: chatapi.EventMessage, New: true, Message: &chatapi.Message{ID: "2", Conv: "contact:bob", From: "me", Mine: true, Text: "mine"}})
	if len(got) != 1 || got[0].from != "bob" || !got[0].bell {
		t.Fatalf("notices %+v", got)
	}
	m.submit("/notify off")
	m.event(&chatapi.Event{Kind: chatapi.EventMessage, New: true, Message: &chatapi.Message{ID: "3", Conv: "contact:bob", From: "bob", Text: "again"}})
	if len(got) != 2 || got[1].bell {
		t.Fatalf("after /notify off: %+v", got)
	}
}

// TestReconnectClearsStatus: the "reconnecting" line goes once the window
// is connected to the daemon again.
func TestReconnectClearsStatus(t *testing.T) {
	m := newModel(context.Background(), chatapi.NewClient(t.TempDir()), Options{History: 10})
	m.Update(statusMsg{"daemon: daemon is not running (reconnecting)"})
	m.Update(reloadMsg{})
	if m.status != "" {
		t.Fatalf("status %q after reconnecting", m.status)
	}
}

// TestScrollback: PgUp/PgDn, normal mode's k/j and g/G, and the mouse
// wheel move the view over the history; new messages keep the view at
// the bottom only while it is there.
func TestScrollback(t *testing.T) {
	m := newModel(context.Background(), chatapi.NewClient(t.TempDir()), Options{History: 500})
	m.convs = []chatapi.Conversation{{ID: "contact:bob", Kind: chatapi.KindContact, Name: "bob"}}
	m.sel = "contact:bob"
	for i := range 200 {
		m.msgs = append(m.msgs, chatapi.Message{ID: fmt.Sprintf("%032x", i), Conv: m.sel, From: "bob", Text: fmt.Sprintf("line %d", i), Clock: uint64(i + 1), State: chatapi.StateReceived})
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.render()
	bottom := m.vp.YOffset
	if !m.vp.AtBottom() {
		t.Fatal("not at the bottom at first")
	}
	m.key(tea.KeyMsg{Type: tea.KeyPgUp})
	if m.vp.YOffset >= bottom || m.follow {
		t.Fatalf("PgUp: offset %d (bottom %d), follow %v", m.vp.YOffset, bottom, m.follow)
	}
	up := m.vp.YOffset
	m.Update(tea.MouseMsg{Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress})
	if m.vp.YOffset <= up {
		t.Fatalf("wheel down: offset %d, was %d", m.vp.YOffset, up)
	}
	m.key(tea.KeyMsg{Type: tea.KeyEsc}) // normal mode
	m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'g'}})
	if m.vp.YOffset != 0 {
		t.Fatalf("g: offset %d", m.vp.YOffset)
	}
	m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'j'}})
	if m.vp.YOffset != 1 {
		t.Fatalf("j: offset %d", m.vp.YOffset)
	}
	m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'k'}})
	if m.vp.YOffset != 0 {
		t.Fatalf("k: offset %d", m.vp.YOffset)
	}
	// Scrolled up, a new message does not pull the view down.
	m.event(&chatapi.Event{Kind: chatapi.EventMessage, Message: &chatapi.Message{ID: fmt.Sprintf("%032x", 999), Conv: m.sel, From: "bob", Text: "new", Clock: 999}})
	if m.vp.YOffset != 0 {
		t.Fatalf("a new message moved the view to %d", m.vp.YOffset)
	}
	m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'G'}})
	if !m.vp.AtBottom() || !m.follow {
		t.Fatal("G: not at the bottom")
	}
	m.event(&chatapi.Event{Kind: chatapi.EventMessage, Message: &chatapi.Message{ID: fmt.Sprintf("%032x", 1000), Conv: m.sel, From: "bob", Text: "newer", Clock: 1000}})
	if !m.vp.AtBottom() {
		t.Fatal("at the bottom, a new message left the view above it")
	}
}

// TestLoadRace: a message that arrives while the open conversation is
// being loaded stays in the view when the load, read before it, comes in;
// an older load answered late changes nothing.
func TestLoadRace(t *testing.T) {
	m := newModel(context.Background(), chatapi.NewClient(t.TempDir()), Options{History: 10})
	m.convs = []chatapi.Conversation{{ID: "contact:bob", Kind: chatapi.KindContact, Name: "bob"}}
	m.sel = "contact:bob"
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	old := []chatapi.Message{{ID: fmt.Sprintf("%032x", 1), Conv: m.sel, From: "bob", Text: "old", Clock: 1}}
	m.loadMsgs(m.sel) // a first load, superseded
	first := m.loadSeq
	m.loadMsgs(m.sel) // the one that counts (not run: its answer comes below)
	ping := chatapi.Message{ID: fmt.Sprintf("%032x", 2), Conv: m.sel, From: "me", Mine: true, Text: "ping", Clock: 2, State: chatapi.StateSending}
	m.event(&chatapi.Event{Kind: chatapi.EventMessage, Message: &ping})
	pong := chatapi.Message{ID: fmt.Sprintf("%032x", 3), Conv: m.sel, From: "bob", Text: "pong", Clock: 3}
	m.event(&chatapi.Event{Kind: chatapi.EventMessage, Message: &pong})
	// The load, read before ping: ping and pong stay, ping in its state.
	m.Update(msgsMsg{seq: m.loadSeq, conv: m.sel, msgs: append(old, chatapi.Message{ID: ping.ID, Conv: m.sel, From: "me", Mine: true, Text: "ping", Clock: 2, State: chatapi.StateSending})})
	var texts []string
	for _, x := range m.msgs {
		texts = append(texts, x.Text)
	}
	if strings.Join(texts, ",") != "old,ping,pong" {
		t.Fatalf("after the load: %v", texts)
	}
	// The superseded load, answered late, changes nothing.
	m.Update(msgsMsg{seq: first, conv: m.sel, msgs: old})
	if len(m.msgs) != 3 {
		t.Fatalf("a stale load left %d messages", len(m.msgs))
	}
}
