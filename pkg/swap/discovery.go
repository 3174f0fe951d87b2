package swap

import (
	"context"
	"errors"
	"math/big"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// Service discovery (docs/architecture.md, "Service discovery"). Every
// service in this node's manifest is announced in the DHT through mf-route,
// under a lease that announceServices renews while mf-swap runs: the
// manifest is the node's offer, so a service is announced exactly while it
// is offered. Removing an entry (or stopping mf-swap) withdraws it.
//
// Finding is the other half: the DHT names providers, but any node may
// claim anything there, and a hostile DHT node may answer a lookup with
// nodes that never announced. So every provider is checked against its own
// manifest, fetched from it through the gateway, whose stream libp2p
// authenticates as that peer: only a node whose manifest offers the
// service is listed.

const (
	// announceLease is the lease asked of mf-route; announceEvery renews
	// it well inside.
	announceLease = 2 * time.Minute
	announceEvery = 30 * time.Second
)

// announceServices keeps the manifest's services announced until ctx ends,
// and withdraws them then.
func (s *Service) announceServices(ctx context.Context) {
	t := time.NewTicker(announceEvery)
	defer t.Stop()
	for {
		s.announceManifest(ctx)
		select {
		case <-ctx.Done():
			m, err := s.manifest()
			if err != nil {
				return
			}
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			for _, e := range m.Services {
				_ = s.route.Withdraw(wctx, e.Service)
			}
			return
		case <-t.C:
		}
	}
}

func (s *Service) announceManifest(ctx context.Context) {
	m, err := s.manifest()
	if err != nil {
		return
	}
	for _, e := range m.Services {
		if _, err := s.route.Announce(ctx, e.Service, announceLease); err != nil {
			s.log.Debug("announcing service", "service", e.Service, "err", err)
		}
	}
}

// apiSetManifestAnnounce sets a manifest entry and announces its service at
// once, rather than at the next renewal.
func (s *Service) apiSetManifestAnnounce(w http.ResponseWriter, r *http.Request) (any, error) {
	m, err := s.apiSetManifest(w, r)
	if err != nil {
		return nil, err
	}
	s.announceManifest(r.Context())
	return m, nil
}

// apiRemoveManifest takes a service out of the manifest and withdraws its
// announcement.
func (s *Service) apiRemoveManifest(w http.ResponseWriter, r *http.Request) (any, error) {
	svc := r.PathValue("service")
	if !validService(svc) {
		return nil, localapi.BadRequest("service must be 1-16 lower-case letters, not %q", svc)
	}
	key := []byte("manifest/" + svc)
	if _, err := s.db.Get(key); err != nil {
		return nil, localapi.NotFound("the manifest has no service %q", svc)
	}
	if err := s.db.Delete(key); err != nil {
		return nil, err
	}
	if err := s.route.Withdraw(r.Context(), svc); err != nil {
		s.log.Debug("withdrawing service", "service", svc, "err", err)
	}
	return s.manifest()
}

// FindRequest filters a search.
type FindRequest struct {
	Service  string
	MaxPrice *big.Int // nil: any price
	MinScore float64
}

// maxVerify bounds the manifests fetched at once while finding.
const maxVerify = 8

// find lists the providers of a service whose manifests offer it.
func (s *Service) find(ctx context.Context, req FindRequest) ([]Offer, error) {
	provs, err := s.route.Providers(ctx, req.Service, 0)
	if err != nil {
		return nil, err
	}
	myScore := 0.5
	if sc, err := s.score(ctx, s.self); err == nil {
		myScore = sc.Score
	}
	var mu sync.Mutex
	out := []Offer{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxVerify)
	for _, p := range provs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			o, ok := s.verifyProvider(ctx, p, req.Service, myScore)
			if !ok || o.Score < req.MinScore {
				return
			}
			if req.MaxPrice != nil {
				v, ok := new(big.Int).SetString(o.Price, 10)
				if !ok || v.Cmp(req.MaxPrice) > 0 {
					return
				}
			}
			mu.Lock()
			out = append(out, o)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool { return out[i].PeerID < out[j].PeerID })
	return out, nil
}

// verifyProvider fetches p's manifest from p itself and returns its offer
// of service, or false when the manifest does not offer it (a claim the
// node did not make, or no longer makes) or cannot be had.
func (s *Service) verifyProvider(ctx context.Context, p routeapi.Provider, service string, myScore float64) (Offer, bool) {
	var m *Manifest
	if strings.EqualFold(p.Address, s.self.Hex()) {
		own, err := s.manifest()
		if err != nil {
			return Offer{}, false
		}
		m = own
	} else {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var pm Manifest
		if err := s.route.CallService(cctx, p.PeerID, "swap", http.MethodGet, "/v0/manifest", nil, &pm); err != nil {
			s.log.Debug("provider's manifest", "peer", p.PeerID, "err", err)
			return Offer{}, false
		}
		m = &pm
	}
	// The manifest must be the provider's own: its address is the one
	// the peer ID's key gives.
	if !common.IsHexAddress(m.Address) || !strings.EqualFold(m.Address, p.Address) {
		return Offer{}, false
	}
	o := Offer{PeerID: p.PeerID, Overlay: p.Overlay.String(), Address: common.HexToAddress(p.Address).Hex()}
	found := false
	for _, e := range m.Services {
		if e.Service == service {
			o.Entry, found = e, true
		}
	}
	if !found {
		return Offer{}, false
	}
	if v := m.PriceFor(service, myScore); v != nil {
		o.Price = v.String()
	}
	if sc, err := s.score(ctx, common.HexToAddress(p.Address)); err == nil {
		o.Score = sc.Score
	}
	return o, true
}

// apiFind answers GET /v0/offers/{service}?max_price=P&min_score=S.
func (s *Service) apiFind(w http.ResponseWriter, r *http.Request) (any, error) {
	req := FindRequest{Service: r.PathValue("service")}
	if !validService(req.Service) {
		return nil, localapi.BadRequest("service must be 1-16 lower-case letters, not %q", req.Service)
	}
	q := r.URL.Query()
	if v := q.Get("max_price"); v != "" {
		p, err := parseBase("max_price", v, 0)
		if err != nil {
			return nil, err
		}
		req.MaxPrice = p
	}
	if v := q.Get("min_score"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f >= 0 && f <= 1) {
			return nil, localapi.BadRequest("min_score must be within 0..1")
		}
		req.MinScore = f
	}
	offers, err := s.find(r.Context(), req)
	if err != nil {
		var le *localapi.Error
		if errors.As(err, &le) {
			return nil, err
		}
		return nil, localapi.Errorf(http.StatusBadGateway, "unreachable", "mf-route: %v", err)
	}
	return offers, nil
}
