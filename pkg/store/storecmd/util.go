package storecmd

import "math/big"

func newInt(s string) (*big.Int, bool) { return new(big.Int).SetString(s, 10) }
