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

// priceOf is the base price of db service in peer's manifest ("" for this
// node's), nil when it offers none or mf-swap does not answer.
func (s *Service) priceOf(ctx context.Context, peer string) *big.Int {
	if s.net == nil {
		return nil
	}
	ps := &s.net.prices
	ps.mu.Lock()
	if c, ok := ps.m[peer]; ok && time.Since(c.at) < priceTTL {
		ps.mu.Unlock()
		return c.price
	}
	ps.mu.Unlock()
	var price *big.Int
	if m, err := s.net.swap.Manifest(ctx, peer); err == nil {
		for _, e := range m.Services {
			if e.Service != ServiceName {
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
	ps.m[peer] = cachedPrice{at: time.Now(), price: price}
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
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		price := s.priceOf(ctx, "")
		if price == nil {
			return
		}
		if _, err := s.net.swap.AddUsage(ctx, peer, price); err != nil {
			s.net.log.Debug("booking db usage", "peer", peer, "err", err)
		}
	}()
}

// bookUsed books one request this node made of a provider, as owed.
func (s *Service) bookUsed(pr dbapi.Provider) {
	if s.net == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		price := s.priceOf(ctx, pr.PeerID)
		if price == nil {
			return
		}
		if _, err := s.net.swap.AddUsage(ctx, pr.PeerID, new(big.Int).Neg(price)); err != nil {
			s.net.log.Debug("booking db usage", "peer", pr.PeerID, "err", err)
		}
	}()
}
