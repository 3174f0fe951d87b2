package db

// Paying for db service. A provider books the price in its manifest to
// the peer it serves, for each write and read (mf-swap's AddUsage, positive:
// the peer owes it), and the client books the same price as owed to the
// provider (negative), so that both ledgers agree and mf-swap settles them
// with the cheques it already sends. Calls between a dataset's providers
// (anti-entropy) are part of the service and not booked.

import (
	"context"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// StorageService is the manifest entry that prices storage, per KiB·day.
const StorageService = "dbstore"

// StorageDays is how many days of storage a write pays for when it is
// stored: both sides work the amount out from the same bytes (the changes'
// binary form) and the provider's manifest, so their ledgers agree.
const StorageDays = 30

// priceTTL is how long a manifest price is trusted before it is read again.
const priceTTL = 10 * time.Second

type cachedPrice struct {
	at    time.Time
	price *big.Int // nil: db not offered
}

// prices caches manifest prices of db service: "" for this node's own.
type prices struct {
	mu sync.Mutex
	m  map[string]cachedPrice
}

// priceOf is the base price of service (db or dbstore) in peer's manifest
// ("" for this node's), nil when it offers none or mf-swap does not answer.
func (s *Service) priceOf(ctx context.Context, peer, service string) *big.Int {
	if s.net == nil {
		return nil
	}
	ps := &s.net.prices
	ps.mu.Lock()
	if c, ok := ps.m[peer+"/"+service]; ok && time.Since(c.at) < priceTTL {
		ps.mu.Unlock()
		return c.price
	}
	ps.mu.Unlock()
	var price *big.Int
	if m, err := s.net.swap.Manifest(ctx, peer); err == nil {
		for _, e := range m.Services {
			if e.Service != service {
				continue
			}
			if v, ok := new(big.Int).SetString(e.Price, 10); ok && v.Sign() > 0 {
				price = v
			}
		}
	}
	ps.mu.Lock()
	if ps.m == nil {
		ps.m = map[string]cachedPrice{}
	}
	ps.m[peer+"/"+service] = cachedPrice{at: time.Now(), price: price}
	ps.mu.Unlock()
	return price
}

// bookServed books one request a peer made of this provider, unless the
// peer is another provider of the dataset.
func (s *Service) bookServed(r *http.Request, p *dbapi.Placement) {
	if s.net == nil {
		return
	}
	peer := r.Header.Get(routeapi.HeaderPeerID)
	who, err := caller(r)
	if err != nil || peer == "" || p.Has(who) {
		return
	}
	s.book(peer, "", ServiceName, 1, 1)
}

// bookStored books the storage of changes a peer sent to this provider.
func (s *Service) bookStored(r *http.Request, p *dbapi.Placement, cs []*dbapi.Change) {
	if s.net == nil {
		return
	}
	peer := r.Header.Get(routeapi.HeaderPeerID)
	who, err := caller(r)
	if err != nil || peer == "" || p.Has(who) {
		return
	}
	s.book(peer, "", StorageService, 1, storageUnits(cs))
}

// bookStoredUsed books the storage of changes this node had a provider
// store, as owed.
func (s *Service) bookStoredUsed(pr dbapi.Provider, cs []*dbapi.Change) {
	if s.net == nil {
		return
	}
	s.book(pr.PeerID, pr.PeerID, StorageService, -1, storageUnits(cs))
}

// storageUnits is KiB·days: the changes' binary size in KiB, rounded up,
// times StorageDays.
func storageUnits(cs []*dbapi.Change) int64 {
	n := 0
	for _, c := range cs {
		n += len(c.Encode())
	}
	return int64((n+1023)/1024) * StorageDays
}

// bookUsed books one request this node made of a provider, as owed.
func (s *Service) bookUsed(pr dbapi.Provider) {
	if s.net == nil {
		return
	}
	s.book(pr.PeerID, pr.PeerID, ServiceName, -1, 1)
}

// usage gathers requests to book, so that mf-swap gets one call a second
// per peer rather than one per request (each is a synced write there).
type usage struct {
	mu      sync.Mutex
	pending map[usageKey]int64
	armed   bool
}

type usageKey struct {
	peer, priceOf, service string
	sign                   int
}

// bookFlush is how long requests gather before they are booked.
const bookFlush = time.Second

// book counts units of service with peer, priced by priceOf's manifest
// ("": this node's), booked as owed to this node (sign 1) or by it (-1).
func (s *Service) book(peer, priceOf, service string, sign int, units int64) {
	u := &s.net.usage
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.pending == nil {
		u.pending = map[usageKey]int64{}
	}
	u.pending[usageKey{peer, priceOf, service, sign}] += units
	if !u.armed {
		u.armed = true
		time.AfterFunc(bookFlush, s.flushUsage)
	}
}

func (s *Service) flushUsage() {
	u := &s.net.usage
	u.mu.Lock()
	pending := u.pending
	u.pending, u.armed = nil, false
	u.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for k, n := range pending {
		price := s.priceOf(ctx, k.priceOf, k.service)
		if price == nil {
			continue
		}
		amount := new(big.Int).Mul(price, big.NewInt(n*int64(k.sign)))
		if _, err := s.net.swap.AddUsage(ctx, k.peer, amount); err != nil {
			s.net.log.Debug("booking db usage", "peer", k.peer, "err", err)
		}
	}
}
