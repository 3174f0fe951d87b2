package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// An error that carries a peer's words is printed as text: no escape
// sequence from it reaches the terminal.
func TestPrintErrorNeutralisesControl(t *testing.T) {
	var b bytes.Buffer
	err := WithHint(errors.New("storer said: \x1b]0;owned\x07\x1b[2J"), "ask \x1b[31magain")
	PrintError(&b, "mf-store", err, false)
	if strings.ContainsAny(b.String(), "\x1b\x07") {
		t.Fatalf("control characters printed: %q", b.String())
	}
	if !strings.HasPrefix(b.String(), "mf-store: error: storer said: ") || !strings.Contains(b.String(), "hint: ask ") {
		t.Fatalf("printed %q", b.String())
	}
}
