// Package amount reads and writes MFT amounts, for every mf command and
// service that shows or takes one. Amounts are kept in base units
// (10^-18 MFT) as *big.Int.
package amount

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Decimals of MFT: amounts are kept in base units (10^-18 MFT).
const Decimals = 18

// Unit is one MFT in base units.
var Unit = new(big.Int).Exp(big.NewInt(10), big.NewInt(Decimals), nil)

// Max is the largest amount anything in mf accepts: what a
// uint256 holds.
var Max = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// ErrAmount means an amount is malformed, negative or too large.
var ErrAmount = errors.New("invalid amount")

// Parse reads an amount written in MFT ("1.5", "0.001", "3") or in
// base units with a "wei" suffix ("1500wei"). It refuses negative,
// non-numeric, over-precise and over-large amounts.
func Parse(s string) (*big.Int, error) {
	s = strings.TrimSpace(s)
	if w, ok := strings.CutSuffix(s, "wei"); ok {
		v, ok := new(big.Int).SetString(w, 10)
		if !ok || v.Sign() < 0 || strings.HasPrefix(w, "+") {
			return nil, fmt.Errorf("%w: %q (write MFT like 1.5, or base units like 1500wei)", ErrAmount, s)
		}
		if v.Cmp(Max) > 0 {
			return nil, errTooLarge(s)
		}
		return v, nil
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "MFT"), " ")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > Decimals || !digits(whole) || !digits(frac) {
		return nil, fmt.Errorf("%w: %q (write MFT like 1.5, or base units like 1500wei)", ErrAmount, s)
	}
	v, _ := new(big.Int).SetString(whole+frac+strings.Repeat("0", Decimals-len(frac)), 10)
	if v == nil || v.Cmp(Max) > 0 {
		return nil, errTooLarge(s)
	}
	return v, nil
}

// errTooLarge says, in MFT, how much an amount may be at most.
func errTooLarge(s string) error {
	return fmt.Errorf("%w: %q is more than the most MFT there can be (%s MFT)", ErrAmount, s, Format(Max))
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Format writes base units as MFT.
func Format(v *big.Int) string {
	if v == nil {
		return "0"
	}
	neg := v.Sign() < 0
	a := new(big.Int).Abs(v)
	q, r := new(big.Int).QuoRem(a, Unit, new(big.Int))
	s := q.String()
	if r.Sign() != 0 {
		f := fmt.Sprintf("%018s", r.String())
		s += "." + strings.TrimRight(f, "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}
