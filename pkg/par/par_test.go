package par

import (
	"sync/atomic"
	"testing"
)

// TestEachRunsEveryItemOnce, for loops below and above the size that is
// spread over the cores.
func TestEachRunsEveryItemOnce(t *testing.T) {
	for _, n := range []int{0, 1, minItems - 1, minItems, 1000} {
		counts := make([]atomic.Int32, n)
		Each(n, func(i int) { counts[i].Add(1) })
		for i := range counts {
			if c := counts[i].Load(); c != 1 {
				t.Fatalf("n=%d: item %d ran %d times", n, i, c)
			}
		}
	}
}
