package route

import (
	"context"
	"crypto/sha256"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	mh "github.com/multiformats/go-multihash"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/localapi"
)

// Service discovery (docs/architecture.md, "Service discovery"). A node
// that offers a service announces it as a DHT provider record under
// ServiceKey(name). The announcement is held by a lease: the service (or
// mf-swap, for the services in its manifest) renews it while it runs
// (POST /v0/services), and withdraws it when it stops offering the service
// (DELETE /v0/services/{service}). While the lease holds, mf-route
// announces again every announceInterval; provider records live
// providerValidity on the nodes that store them, so a service that stops
// without withdrawing drops out of the network within that time.
//
// Anyone can find the providers (GET /v0/providers/{service}); a provider
// record is only a claim, which a finder checks against the provider's own
// manifest (mf-swap does, in manifest find).

const (
	// providerValidity is how long a DHT node keeps a provider record
	// that is not announced again.
	providerValidity = time.Hour
	// announceInterval is how often a leased service is announced again.
	announceInterval = 20 * time.Minute
	// DefaultServiceLease is how long an announcement lasts unless its
	// lease is renewed; MaxServiceLease the longest a caller may ask.
	DefaultServiceLease = 2 * time.Minute
	MaxServiceLease     = time.Hour
	// maxProviders bounds the providers one lookup returns.
	maxProviders = 100
)

// ServiceKey is the DHT key a service's providers are recorded under: the
// CID (raw, SHA-256) of "mf/service/NAME".
func ServiceKey(name string) cid.Cid {
	sum := sha256.Sum256([]byte("mf/service/" + name))
	h, _ := mh.Encode(sum[:], mh.SHA2_256)
	return cid.NewCidV1(cid.Raw, h)
}

type announcer struct {
	mu    sync.Mutex
	svcs  map[string]*Announcement
	kick  chan struct{}
	clock func() time.Time
}

func newAnnouncer() *announcer {
	return &announcer{svcs: map[string]*Announcement{}, kick: make(chan struct{}, 1), clock: time.Now}
}

// announceLoop announces the leased services, each at once when it is new
// and then every announceInterval, and forgets those whose lease ran out.
func (n *Node) announceLoop(ctx context.Context) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.ann.kick:
		}
		now := n.ann.clock()
		var due []string
		n.ann.mu.Lock()
		for name, a := range n.ann.svcs {
			switch {
			case now.After(a.Until):
				delete(n.ann.svcs, name)
				n.log.Info("service announcement lapsed", "service", name)
			case a.Last.IsZero() || now.Sub(a.Last) >= announceInterval:
				due = append(due, name)
			}
		}
		n.ann.mu.Unlock()
		for _, name := range due {
			if len(n.kad.RoutingTable().ListPeers()) == 0 {
				break // nobody to tell yet; the next tick tries again
			}
			pctx, cancel := context.WithTimeout(ctx, time.Minute)
			err := n.kad.Provide(pctx, ServiceKey(name), true)
			cancel()
			n.ann.mu.Lock()
			if a := n.ann.svcs[name]; a != nil {
				if err != nil {
					a.Error = err.Error()
				} else {
					a.Last, a.Error = n.ann.clock(), ""
				}
			}
			n.ann.mu.Unlock()
			if err != nil {
				n.log.Debug("announcing service", "service", name, "err", err)
			}
		}
	}
}

func (n *Node) apiAnnounce(w http.ResponseWriter, r *http.Request) (any, error) {
	var req AnnounceRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	if !serviceName.MatchString(req.Service) {
		return nil, localapi.BadRequest("service must be 1-16 lower-case letters, not %q", req.Service)
	}
	lease := DefaultServiceLease
	if req.LeaseSeconds < 0 || time.Duration(req.LeaseSeconds)*time.Second > MaxServiceLease {
		return nil, localapi.BadRequest("lease_seconds must be within 0..%d", int(MaxServiceLease/time.Second))
	}
	if req.LeaseSeconds > 0 {
		lease = time.Duration(req.LeaseSeconds) * time.Second
	}
	n.ann.mu.Lock()
	a := n.ann.svcs[req.Service]
	fresh := a == nil
	if fresh {
		if len(n.ann.svcs) >= 64 {
			n.ann.mu.Unlock()
			return nil, localapi.Errorf(http.StatusTooManyRequests, "too_many", "this node announces 64 services already")
		}
		a = &Announcement{Service: req.Service, Key: ServiceKey(req.Service).String()}
		n.ann.svcs[req.Service] = a
		n.log.Info("announcing service", "service", req.Service)
	}
	a.Until = n.ann.clock().Add(lease)
	out := *a
	n.ann.mu.Unlock()
	if fresh {
		select {
		case n.ann.kick <- struct{}{}:
		default:
		}
	}
	return out, nil
}

func (n *Node) apiWithdraw(w http.ResponseWriter, r *http.Request) (any, error) {
	svc := r.PathValue("service")
	if !serviceName.MatchString(svc) {
		return nil, localapi.BadRequest("service must be 1-16 lower-case letters, not %q", svc)
	}
	n.ann.mu.Lock()
	_, ok := n.ann.svcs[svc]
	delete(n.ann.svcs, svc)
	n.ann.mu.Unlock()
	if !ok {
		return nil, localapi.NotFound("this node does not announce %q", svc)
	}
	n.log.Info("service withdrawn", "service", svc)
	return nil, nil
}

func (n *Node) apiAnnouncements(w http.ResponseWriter, r *http.Request) (any, error) {
	n.ann.mu.Lock()
	out := make([]Announcement, 0, len(n.ann.svcs))
	for _, a := range n.ann.svcs {
		out = append(out, *a)
	}
	n.ann.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out, nil
}

// apiProviders looks a service's providers up in the DHT.
func (n *Node) apiProviders(w http.ResponseWriter, r *http.Request) (any, error) {
	svc := r.PathValue("service")
	if !serviceName.MatchString(svc) {
		return nil, localapi.BadRequest("service must be 1-16 lower-case letters, not %q", svc)
	}
	limit := maxProviders
	if s := r.URL.Query().Get("limit"); s != "" {
		k, err := strconv.Atoi(s)
		if err != nil || k < 1 || k > maxProviders {
			return nil, localapi.BadRequest("limit must be within 1..%d", maxProviders)
		}
		limit = k
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	out := []Provider{}
	seen := map[peer.ID]bool{}
	for ai := range n.kad.FindProvidersAsync(ctx, ServiceKey(svc), limit) {
		if seen[ai.ID] {
			continue
		}
		seen[ai.ID] = true
		p := Provider{PeerID: ai.ID.String(), Overlay: identity.OverlayOf(ai.ID)}
		pub, err := publicOfPeer(ai.ID)
		if err != nil {
			continue // not an mf identity: no mf node
		}
		p.Address = pub.Address().Hex()
		for _, a := range ai.Addrs {
			p.Addrs = append(p.Addrs, a.String())
		}
		if len(ai.Addrs) > 0 && ai.ID != n.host.ID() {
			// The finder will call it next (its manifest, then the
			// service): keep its addresses for the dial.
			n.host.Peerstore().AddAddrs(ai.ID, ai.Addrs, 10*time.Minute)
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PeerID < out[j].PeerID })
	return out, nil
}
