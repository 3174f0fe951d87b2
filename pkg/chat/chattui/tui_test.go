package chattui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/mainframe/mf/pkg/chat/chatapi"
)

// TestFrameHostile: a frame with a hostile name and text, at 80×24 in no
// colour (NO_COLOR), holds no escape sequence and no control character at
// all, has exactly 24 lines and none wider than 80 cells.
func TestFrameHostile(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	m := newModel(context.Background(), chatapi.NewClient(t.TempDir()), Options{History: 500})
	evil := "evil \x1b[2J\x1b]0;owned\x07 \u202eesrever \u009b5A \r\b end " + strings.Repeat("long ", 40)
	m.convs = []chatapi.Conversation{
		{ID: "contact:\x1b[31mmallory", Kind: chatapi.KindContact, Name: "\x1b[31mmallory\u202e", Luminosity: 8, Crowd: 12, Advice: 4, Presence: "away: \x1b[5m"},
		{ID: "group:team", Kind: chatapi.KindGroup, Name: "team", Members: []string{"a", "b"}, Unread: 3},
	}
	m.sel = m.convs[0].ID
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	m.msgs = []chatapi.Message{
		{ID: "1", Conv: m.sel, From: "\x1b[2Jmallory", Text: evil, Sent: now, Received: now, Clock: 1, State: chatapi.StateReceived,
			Reactions: map[string][]string{"\x1b[H": {"\x07x"}}, Poll: &chatapi.Poll{Question: "q", Options: []string{"\x1b[1m", "b"}}},
		{ID: "2", Conv: m.sel, From: "me", Mine: true, Text: "fine", Sent: now, Clock: 2, State: chatapi.StateFailed, Reason: "\x1b[31mno route", ReplyTo: "1"},
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	frame := m.View()
	for _, r := range frame {
		if r == 0x1b || r == 0x9b || (r < 0x20 && r != '\n') || (r >= 0x202a && r <= 0x202e) {
			t.Fatalf("frame holds %U:\n%s", r, frame)
		}
	}
	lines := strings.Split(frame, "\n")
	if len(lines) != 24 {
		t.Errorf("%d lines, want 24:\n%s", len(lines), frame)
	}
	for i, l := range lines {
		if w := lipgloss.Width(l); w > 80 {
			t.Errorf("line %d is %d cells wide: %q", i, w, l)
		}
	}
	for _, want := range []string{"␛[2J", "<U+202E>", "[failed: ␛[31mno route]", "#team 3", "lum 8 · crowd ≈ 12 · advice: /lum 4 for 10"} {
		if !strings.Contains(frame, want) {
			t.Errorf("frame lacks %q:\n%s", want, frame)
		}
	}
	// A resize redraws at the new size.
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	if n := len(strings.Split(m.View(), "\n")); n != 30 {
		t.Errorf("after resize: %d lines", n)
	}
}
