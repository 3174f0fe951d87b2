package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sort"
	"time"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/store/chunk"
	"github.com/mainframe/mf/pkg/store/storeapi"
)

// ErrNotFound: no storer has the chunk.
var ErrNotFound = errors.New("store: no storer has the chunk")

// storer is a node that offers the store service.
type storer struct {
	Peer    string
	Overlay identity.Overlay
	Address string
	Price   *big.Int // what it charges this node per chunk; nil: nothing
	self    bool
}

// storersTTL is how long a list of storers found in the network is used
// before it is looked up again.
const storersTTL = 30 * time.Second

// storers lists the network's storers, this node first among equals: the
// providers of "store" in the DHT, each checked against its own manifest
// by mf-swap (swapapi.Find), or, on a node without mf-swap, the raw DHT
// claims from mf-route.
func (s *Service) storerList(ctx context.Context, fresh bool) []storer {
	s.mu.Lock()
	if !fresh && time.Since(s.storersAt) < storersTTL && len(s.storers) > 0 {
		out := s.storers
		s.mu.Unlock()
		return out
	}
	s.mu.Unlock()
	self := s.self.PeerID().String()
	out := []storer{{Peer: self, Overlay: s.self.Overlay(), Address: s.self.Address().Hex(), self: true}}
	seen := map[string]bool{self: true}
	fctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	offers, err := s.swap.Find(fctx, storeapi.Service, "", 0)
	if err == nil {
		for _, o := range offers {
			ov, oerr := identity.ParseOverlay(o.Overlay)
			if seen[o.PeerID] || oerr != nil {
				continue
			}
			seen[o.PeerID] = true
			st := storer{Peer: o.PeerID, Overlay: ov, Address: o.Address}
			if p, ok := new(big.Int).SetString(o.Price, 10); ok {
				st.Price = p
			}
			out = append(out, st)
		}
	} else {
		provs, perr := s.route.Providers(fctx, storeapi.Service, 0)
		if perr != nil {
			s.log.Warn("cannot find storers", "swap", err, "route", perr)
		}
		for _, p := range provs {
			if seen[p.PeerID] {
				continue
			}
			seen[p.PeerID] = true
			out = append(out, storer{Peer: p.PeerID, Overlay: p.Overlay, Address: p.Address})
		}
	}
	s.mu.Lock()
	s.storers, s.storersAt = out, time.Now()
	s.mu.Unlock()
	return out
}

// attemptTimeout bounds one try at a storer, so that a storer that died
// without closing its connections does not hold a get up for long.
const attemptTimeout = 15 * time.Second

// downFor is how long a storer that failed is tried after the others.
const downFor = 30 * time.Second

func (s *Service) markDown(peer string) {
	s.mu.Lock()
	if s.down == nil {
		s.down = map[string]time.Time{}
	}
	s.down[peer] = time.Now().Add(downFor)
	s.mu.Unlock()
}

// byHealth keeps the order of storers but moves those that failed lately
// to the end.
func (s *Service) byHealth(storers []storer) []storer {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	out := make([]storer, 0, len(storers))
	var later []storer
	for _, st := range storers {
		if until, ok := s.down[st.Peer]; ok && now.Before(until) {
			later = append(later, st)
			continue
		}
		out = append(out, st)
	}
	return append(out, later...)
}

// nearest orders storers by the XOR distance of their overlay address to
// a, nearest first, as Kademlia places a key.
func nearest(storers []storer, a chunk.Addr) []storer {
	out := append([]storer(nil), storers...)
	sort.Slice(out, func(i, j int) bool {
		return closer(out[i].Overlay, out[j].Overlay, a)
	})
	return out
}

// closer reports whether x is nearer a than y by XOR distance.
func closer(x, y identity.Overlay, a chunk.Addr) bool {
	for k := range a {
		dx, dy := x[k]^a[k], y[k]^a[k]
		if dx != dy {
			return dx < dy
		}
	}
	return false
}

// fetch returns a checked chunk: from this node's disk, else from the
// storers nearest it, in order; a storer that answers with the wrong bytes
// or a damaged copy is passed over for the next one.
func (s *Service) fetch(ctx context.Context, a chunk.Addr) ([]byte, error) {
	b, err := s.disk.Get(a)
	if err == nil {
		return b, nil
	}
	damaged := errors.Is(err, ErrCorrupt)
	if damaged {
		s.log.Warn("a chunk on disk was damaged; removed it, fetching another copy", "chunk", a)
	}
	b, err = s.fetchRemote(ctx, a, s.self.PeerID().String())
	if err != nil {
		return nil, err
	}
	if damaged {
		// Put the good copy back where the damaged one was.
		if _, err := s.disk.Put(a, b); err == nil {
			s.log.Info("repaired a damaged chunk from another storer", "chunk", a)
		}
	}
	return b, nil
}

// fetchRemote asks the storers nearest a, except skip, for it.
func (s *Service) fetchRemote(ctx context.Context, a chunk.Addr, skip string) ([]byte, error) {
	var errs []error
	tried := map[string]bool{}
	for fresh := range 2 {
		for _, st := range s.byHealth(nearest(s.storerList(ctx, fresh == 1), a)) {
			if st.Peer == skip || st.self || tried[st.Peer] {
				continue
			}
			tried[st.Peer] = true
			actx, cancel := context.WithTimeout(ctx, attemptTimeout)
			b, err := s.getFrom(actx, st, a)
			cancel()
			if err == nil {
				return b, nil
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var le *localapi.Error
			if !errors.As(err, &le) || le.Status >= 500 {
				// Not an answer from the storer's mf-store: the peer or the
				// way to it is down. Try it last for a while.
				s.markDown(st.Peer)
			}
			errs = append(errs, fmt.Errorf("%.12s: %w", st.Peer, err))
		}
	}
	if len(errs) > 0 {
		s.log.Debug("no storer gave a chunk", "chunk", a, "errs", errors.Join(errs...))
	}
	return nil, fmt.Errorf("%w %s", ErrNotFound, a)
}

// getFrom fetches a from one storer and checks it; a chunk that passes is
// booked as owed to the storer at its price.
func (s *Service) getFrom(ctx context.Context, st storer, a chunk.Addr) ([]byte, error) {
	var b []byte
	err := s.pacer.Do(ctx, st.Peer, func() error {
		resp, err := s.route.CallServiceStream(ctx, routeapi.ServiceCall{Peer: st.Peer, Service: storeapi.Service, Method: http.MethodGet, Path: "/v0/chunks/" + a.String()})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		if resp.ContentLength > 0 && resp.ContentLength <= chunk.Size {
			buf.Grow(int(resp.ContentLength))
		}
		if _, err := buf.ReadFrom(io.LimitReader(resp.Body, chunk.Size+1)); err != nil {
			return err
		}
		b = buf.Bytes()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := chunk.Verify(a, b); err != nil {
		return nil, err
	}
	s.spent(st, 1)
	return b, nil
}

// putTo sends chunk b to storer st.
func (s *Service) putTo(ctx context.Context, st storer, a chunk.Addr, b []byte) (stored bool, err error) {
	if st.self {
		return s.disk.Put(a, b)
	}
	var ok storeOK
	err = s.pacer.Do(ctx, st.Peer, func() error {
		resp, err := s.route.CallServiceStream(ctx, routeapi.ServiceCall{Peer: st.Peer, Service: storeapi.Service, Method: http.MethodPut,
			Path: "/v0/chunks/" + a.String(), Body: bytes.NewReader(b), Length: int64(len(b)), ContentType: localapi.OctetStream})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		return decodeJSONLimited(resp.Body, &ok)
	})
	return ok.Stored, err
}

// has asks storer st which of addrs it holds.
func (s *Service) has(ctx context.Context, st storer, addrs []chunk.Addr) ([]bool, error) {
	if st.self {
		out := make([]bool, len(addrs))
		for i, a := range addrs {
			out[i] = s.disk.Has(a)
		}
		return out, nil
	}
	req := storeapi.HaveRequest{}
	for _, a := range addrs {
		req.Addrs = append(req.Addrs, a.String())
	}
	var out storeapi.HaveAnswer
	if err := s.pacer.Do(ctx, st.Peer, func() error {
		return s.route.CallService(ctx, st.Peer, storeapi.Service, http.MethodPost, "/v0/have", req, &out)
	}); err != nil {
		return nil, err
	}
	if len(out.Have) != len(addrs) {
		return nil, fmt.Errorf("store: %s answered %d of %d", st.Peer, len(out.Have), len(addrs))
	}
	return out.Have, nil
}
