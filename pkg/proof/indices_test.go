package proof

import (
	"strings"
	"testing"
)

func TestParseIndices(t *testing.T) {
	if got, err := ParseIndices("3,0,3", 4, 3); err != nil || len(got) != 3 || got[0] != 3 || got[1] != 0 {
		t.Fatalf("3,0,3: %v %v", got, err)
	}
	for _, s := range []string{"", "4", "-1", "1,,2", "x", "1,2,3,0", " 1", "18446744073709551616"} {
		if _, err := ParseIndices(s, 4, 3); err == nil {
			t.Errorf("%q: taken", s)
		}
	}
}

// The index parameter comes from the network: whatever it holds, the
// answer is an error or numbers below n, never more than max of them.
func FuzzParseIndices(f *testing.F) {
	for _, s := range []string{"0", "1,2", "", ",", "99999999999999999999", strings.Repeat("1,", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseIndices(s, 10, MaxProofs)
		if err != nil {
			return
		}
		if len(got) == 0 || len(got) > MaxProofs {
			t.Fatalf("%q: %d numbers", s, len(got))
		}
		for _, v := range got {
			if v >= 10 {
				t.Fatalf("%q: %d", s, v)
			}
		}
	})
}
