package store

import (
	"context"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"sort"
	"time"

	"github.com/mainframe/mf/pkg/store/storeapi"
)

// peerAcct is the account with one peer: what it owes this node for
// chunks served and what this node owes it for chunks fetched. Both sides
// book the same chunk at the storer's manifest price: the storer a
// positive usage, the client a negative one, so that the two mf-swap
// ledgers agree and the storer's invoice is honoured with a cheque.
type peerAcct struct {
	Earned  *big.Int `json:"earned"`
	Spent   *big.Int `json:"spent"`
	Served  uint64   `json:"served"`
	Fetched uint64   `json:"fetched"`
	// unbooked is usage not yet handed to mf-swap.
	unbooked *big.Int
	dirty    bool
}

func (s *Service) acctOf(peer string) *peerAcct {
	a := s.acct[peer]
	if a == nil {
		a = &peerAcct{Earned: new(big.Int), Spent: new(big.Int), unbooked: new(big.Int)}
		s.acct[peer] = a
	}
	return a
}

// earned books n chunks served to peer.
func (s *Service) earned(peer string, n uint64) {
	v := new(big.Int).Mul(s.opt.Price, new(big.Int).SetUint64(n))
	s.mu.Lock()
	a := s.acctOf(peer)
	a.Earned.Add(a.Earned, v)
	a.Served += n
	a.unbooked.Add(a.unbooked, v)
	a.dirty = true
	s.mu.Unlock()
}

// spent books n chunks fetched from st at its price.
func (s *Service) spent(st storer, n uint64) {
	v := new(big.Int)
	if st.Price != nil {
		v.Mul(st.Price, new(big.Int).SetUint64(n))
	}
	s.mu.Lock()
	a := s.acctOf(st.Peer)
	a.Spent.Add(a.Spent, v)
	a.Fetched += n
	a.unbooked.Sub(a.unbooked, v)
	a.dirty = true
	s.mu.Unlock()
}

// flushLoop hands booked usage to mf-swap in batches (one call per peer
// every quarter second, not one per chunk) and saves the account.
func (s *Service) flushLoop(ctx context.Context) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.flushAccount()
	}
}

func (s *Service) flushAccount() {
	// One flush at a time: two (flushLoop's, and RunDaemon's last one at
	// shutdown) took the same unbooked usage and booked it twice.
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	type due struct {
		peer string
		v    *big.Int
	}
	var dues []due
	b := s.db.NewBatch()
	dirty := false
	s.mu.Lock()
	for p, a := range s.acct {
		if a.unbooked.Sign() != 0 {
			dues = append(dues, due{p, new(big.Int).Set(a.unbooked)})
		}
		if a.dirty {
			v, _ := json.Marshal(a)
			b.Set([]byte("acct/"+p), v)
			a.dirty, dirty = false, true
		}
	}
	s.mu.Unlock()
	if dirty {
		if err := b.Commit(); err != nil {
			s.log.Warn("saving the account", "err", err)
			// Saved next time, rather than only when it changes again.
			s.mu.Lock()
			for _, a := range s.acct {
				a.dirty = true
			}
			s.mu.Unlock()
		}
	} else {
		b.Close()
	}
	for _, d := range dues {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := s.swap.AddUsage(ctx, d.peer, d.v)
		cancel()
		if err != nil {
			// mf-swap is not running (a devnet without payments) or
			// refused: keep it to book later.
			s.log.Debug("cannot book usage with mf-swap yet", "peer", d.peer, "err", err)
			continue
		}
		s.mu.Lock()
		a := s.acct[d.peer]
		a.unbooked.Sub(a.unbooked, d.v)
		s.mu.Unlock()
	}
}

func (s *Service) loadAccount() {
	_ = s.db.Scan([]byte("acct/"), func(k, v []byte) error {
		a := &peerAcct{}
		if json.Unmarshal(v, a) == nil && a.Earned != nil && a.Spent != nil {
			a.unbooked = new(big.Int)
			s.acct[string(k[len("acct/"):])] = a
		}
		return nil
	})
}

func (s *Service) apiAccount(w http.ResponseWriter, r *http.Request) (any, error) {
	out := storeapi.Account{Peers: []storeapi.PeerAccount{}}
	earned, spent := new(big.Int), new(big.Int)
	s.mu.Lock()
	for p, a := range s.acct {
		earned.Add(earned, a.Earned)
		spent.Add(spent, a.Spent)
		out.ChunksServed += a.Served
		out.ChunksFetched += a.Fetched
		out.Peers = append(out.Peers, storeapi.PeerAccount{Peer: p, Earned: a.Earned.String(), Spent: a.Spent.String(), Served: a.Served, Fetched: a.Fetched})
	}
	s.mu.Unlock()
	sort.Slice(out.Peers, func(i, j int) bool { return out.Peers[i].Peer < out.Peers[j].Peer })
	out.Earned, out.Spent = earned.String(), spent.String()
	return out, nil
}

// decodeJSONLimited decodes a peer's small JSON answer.
func decodeJSONLimited(r io.Reader, v any) error {
	return json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(v)
}
