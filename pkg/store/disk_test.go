package store

import (
	"crypto/rand"
	"sync"
	"testing"

	"github.com/mainframe/mf/pkg/store/chunk"
)

// Two peers sending the same chunk at once (a retry that overtakes a slow
// first try, two clients putting the same public file) store it once: the
// count and bytes held, which the capacity check trusts, count it once,
// and exactly one of them is told it stored it.
func TestDiskPutSameChunkAtOnce(t *testing.T) {
	d, err := openDisk(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64<<10)
	rand.Read(b)
	a := chunk.AddrOf(b)
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	stored := 0
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := d.Put(a, b)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				stored++
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if stored != 1 || d.count.Load() != 1 || d.used.Load() != uint64(len(b)) {
		t.Fatalf("%d puts at once: %d stored, count %d, used %d; want 1, 1, %d", n, stored, d.count.Load(), d.used.Load(), len(b))
	}
	got, err := d.Get(a)
	if err != nil || len(got) != len(b) {
		t.Fatalf("get after: %d bytes, %v", len(got), err)
	}
	// What a restart counts agrees.
	d2, err := openDisk(d.dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d2.count.Load() != 1 || d2.used.Load() != uint64(len(b)) {
		t.Fatalf("reopened: count %d, used %d", d2.count.Load(), d2.used.Load())
	}
}
