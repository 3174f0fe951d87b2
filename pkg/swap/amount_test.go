package swap

import (
	"math/big"
	"testing"
)

func TestParseAmount(t *testing.T) {
	good := map[string]string{
		"1": "1000000000000000000", "1.5": "1500000000000000000", "0.000000000000000001": "1",
		"1500wei": "1500", "2 MFT": "2000000000000000000", ".5": "500000000000000000",
	}
	for in, want := range good {
		v, err := ParseAmount(in)
		if err != nil || v.String() != want {
			t.Errorf("ParseAmount(%q) = %v, %v; want %s", in, v, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "abc", "1.2.3", "1e5", "0.0000000000000000001", "-5wei", "+5wei", "1,5",
		"115792089237316195423570985008687907853269984665640564039457584007913129639936wei", "999999999999999999999999999999999999999999999999999999999999999999999999999999"} {
		if v, err := ParseAmount(bad); err == nil {
			t.Errorf("ParseAmount(%q) = %v, want an error", bad, v)
		}
	}
	if s := FormatAmount(big.NewInt(1500000000000000000)); s != "1.5" {
		t.Errorf("FormatAmount = %s", s)
	}
	if s := FormatAmount(big.NewInt(-3)); s != "-0.000000000000000003" {
		t.Errorf("FormatAmount = %s", s)
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1", "1.5", "1500wei", "-1", "9" + string(make([]byte, 80))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseAmount(s)
		if err != nil {
			return
		}
		if v.Sign() < 0 || v.Cmp(maxAmount) > 0 {
			t.Fatalf("accepted %q as %v", s, v)
		}
		back, err := ParseAmount(FormatAmount(v))
		if err != nil || back.Cmp(v) != 0 {
			t.Fatalf("%q → %s → %v, %v", s, FormatAmount(v), back, err)
		}
	})
}
