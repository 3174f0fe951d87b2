package route

import (
	"context"
	"errors"
	"strings"
	"sync"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
)

// Provider records are the one thing in mf's DHT that any peer may store on
// a node under keys of its choosing (cards and prekeys must verify), so
// their store is bounded: at most maxProviderKeysPerPeer keys per provider
// and maxProviderRecords in all. Over either, the DHT answers the peer's
// ADD_PROVIDER with an error and stores nothing. Records lapse after
// providerValidity, which frees their room.
const (
	maxProviderRecords     = 50_000
	maxProviderKeysPerPeer = 64
)

var errProviderStoreFull = errors.New("route: provider records full")

// boundedProviders is the DHT's provider datastore: an in-memory map that
// counts its records per provider. Keys are /providers/KEY/PEER (the DHT's
// layout); anything else passes uncounted.
type boundedProviders struct {
	ds.Batching
	mu      sync.Mutex
	total   int
	perPeer map[string]int
	perMax  int
	max     int
}

func newBoundedProviders(max, perPeer int) *boundedProviders {
	return &boundedProviders{Batching: dssync.MutexWrap(ds.NewMapDatastore()), perPeer: map[string]int{}, max: max, perMax: perPeer}
}

func providerOf(k ds.Key) (string, bool) {
	s := k.String()
	if !strings.HasPrefix(s, "/providers/") {
		return "", false
	}
	i := strings.LastIndexByte(s, '/')
	return s[i+1:], i > len("/providers")
}

func (b *boundedProviders) Put(ctx context.Context, k ds.Key, v []byte) error {
	p, ok := providerOf(k)
	if !ok {
		return b.Batching.Put(ctx, k, v)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if has, err := b.Batching.Has(ctx, k); err != nil {
		return err
	} else if has {
		return b.Batching.Put(ctx, k, v) // a renewal takes no more room
	}
	if b.total >= b.max || b.perPeer[p] >= b.perMax {
		return errProviderStoreFull
	}
	if err := b.Batching.Put(ctx, k, v); err != nil {
		return err
	}
	b.total++
	b.perPeer[p]++
	return nil
}

func (b *boundedProviders) Delete(ctx context.Context, k ds.Key) error {
	p, ok := providerOf(k)
	if !ok {
		return b.Batching.Delete(ctx, k)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	has, err := b.Batching.Has(ctx, k)
	if err != nil || !has {
		return err
	}
	if err := b.Batching.Delete(ctx, k); err != nil {
		return err
	}
	b.total--
	if b.perPeer[p]--; b.perPeer[p] <= 0 {
		delete(b.perPeer, p)
	}
	return nil
}

// Batch is refused so that every write goes through Put and Delete, which
// count; the provider manager writes one record at a time.
func (b *boundedProviders) Batch(context.Context) (ds.Batch, error) {
	return nil, ds.ErrBatchUnsupported
}

// count is how many records p has stored here (all providers: p == "").
func (b *boundedProviders) count(p string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p == "" {
		return b.total
	}
	return b.perPeer[p]
}
