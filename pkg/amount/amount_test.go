package amount

import (
	"math/big"
	"testing"
)

func TestParse(t *testing.T) {
	good := map[string]string{
		"1": "1000000000000000000", "1.5": "1500000000000000000", "0.000000000000000001": "1",
		"1500wei": "1500", "2 MFT": "2000000000000000000", ".5": "500000000000000000",
	}
	for in, want := range good {
		v, err := Parse(in)
		if err != nil || v.String() != want {
			t.Errorf("Parse(%q) = %v, %v; want %s", in, v, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "abc", "1.2.3", "1e5", "0.0000000000000000001", "-5wei", "+5wei", "1,5",
		"115792089237316195423570985008687907853269984665640564039457584007913129639936wei", "999999999999999999999999999999999999999999999999999999999999999999999999999999"} {
		if v, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", bad, v)
		}
	}
	if s := Format(big.NewInt(1500000000000000000)); s != "1.5" {
		t.Errorf("Format = %s", s)
	}
	if s := Format(big.NewInt(-3)); s != "-0.000000000000000003" {
		t.Errorf("Format = %s", s)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1", "1.5", "1500wei", "-1", "9" + string(make([]byte, 80))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		if v.Sign() < 0 || v.Cmp(Max) > 0 {
			t.Fatalf("accepted %q as %v", s, v)
		}
		back, err := Parse(Format(v))
		if err != nil || back.Cmp(v) != 0 {
			t.Fatalf("%q → %s → %v, %v", s, Format(v), back, err)
		}
	})
}
