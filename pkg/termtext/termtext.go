// Package termtext makes text from others safe to print on a terminal.
package termtext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes text from a peer safe to draw on a terminal: text is data,
// never terminal control. ESC and every other C0 and C1 control character
// become visible (U+241B for ESC, ^X style escapes elsewhere), bidi
// overrides and isolates (which reorder what follows them on screen) and
// other invisible format characters become <U+XXXX>, and invalid UTF-8
// becomes U+FFFD. With keepNewlines, '\n' stays (a multi-line message);
// tabs become a space.
func Clean(s string, keepNewlines bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteRune('\uFFFD')
		case r == '\n' && keepNewlines:
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte(' ')
		case r == 0x1b:
			b.WriteRune('\u241B') // ␛
		case r < 0x20 || r == 0x7f:
			b.WriteByte('^')
			b.WriteByte(byte(r) ^ 0x40)
		case r >= 0x80 && r < 0xa0:
			b.WriteString("<C1>")
		case isBidiOrFormat(r):
			b.WriteString("<U+")
			b.WriteString(strings.ToUpper(hex4(r)))
			b.WriteByte('>')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isBidiOrFormat reports runes that change how what follows is drawn
// without being drawn themselves: the bidi embeddings, overrides and
// isolates, and the other format characters (Cf), except the zero-width
// joiner, which emoji sequences need.
func isBidiOrFormat(r rune) bool {
	switch {
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == 0x200d:
		return false
	}
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r)
}

func hex4(r rune) string {
	const digits = "0123456789abcdef"
	out := []byte{}
	for shift := 20; shift >= 0; shift -= 4 {
		d := (r >> shift) & 0xf
		if d == 0 && len(out) == 0 && shift > 12 {
			continue
		}
		out = append(out, digits[d])
	}
	return string(out)
}
