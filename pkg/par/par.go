// Package par runs the iterations of a loop on every core, for work that
// is CPU-bound per item: signatures made or checked, packets opened.
package par

import (
	"runtime"
	"sync"
)

// minItems is how many items a loop needs before it is spread over the
// cores: below it, starting goroutines costs more than it saves.
const minItems = 16

// Each runs f(0..n-1), on every core when n is large enough. f must be
// safe to run for different i at once.
func Each(n int, f func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 || n < minItems {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				f(i)
			}
		}()
	}
	wg.Wait()
}
