package proof

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseIndices reads the chunk numbers a proof request names, "i,j,...":
// 1 to max numbers, each below n (the chunks of the promise). It is the
// index parameter of the proof convention every service serves mf-court
// (courtapi.PromiseRequest), and of a witness's request to a provider.
func ParseIndices(s string, n uint64, max int) ([]uint64, error) {
	parts := strings.Split(s, ",")
	if s == "" || len(parts) > max {
		return nil, fmt.Errorf("index must list 1 to %d chunk numbers, comma-separated", max)
	}
	out := make([]uint64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 64)
		if err != nil || v >= n {
			return nil, fmt.Errorf("chunk %q is not a number below %d", p, n)
		}
		out[i] = v
	}
	return out, nil
}
