package termtext

import (
	"strings"
	"testing"
	"unicode"
)

func TestCleanHostile(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "hello, world ✓ 👍🏽", "hello, world ✓ 👍🏽"},
		{"clear screen", "a\x1b[2Jb", "a␛[2Jb"},
		{"osc title", "\x1b]0;owned\x07", "␛]0;owned^G"},
		{"c1 csi", "x\u009b5Ay", "x<C1>5Ay"},
		{"bidi override", "\u202eabc\u202c", "<U+202E>abc<U+202C>"},
		{"isolate", "\u2066x\u2069", "<U+2066>x<U+2069>"},
		{"carriage return", "safe\rEVIL", "safe^MEVIL"},
		{"backspace and del", "a\b\x7f", "a^H^?"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"newline dropped", "a\nb", "a^Jb"},
		{"tab", "a\tb", "a b"},
		{"zwj kept", "👩\u200d💻", "👩\u200d💻"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in, false); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got := Clean("a\nb", true); got != "a\nb" {
		t.Errorf("newline kept: %q", got)
	}
}

// FuzzClean: whatever a peer sends, what is drawn holds no control
// character but the newline asked for, and no bidi control.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "hi", "\x1b[31m", "\u202e", "\xc2\x9b", "\xff\xfe", "a\nb\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Clean(s, true)
		for _, r := range out {
			if r == '\n' {
				continue
			}
			if unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f {
				t.Fatalf("Clean(%q) = %q holds %U", s, out, r)
			}
		}
		if strings.Count(out, "\n") != strings.Count(s, "\n") {
			t.Fatalf("newlines changed: %q -> %q", s, out)
		}
	})
}
