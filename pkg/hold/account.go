package hold

import (
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"sort"
	"time"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/hold/holdapi"
)

// peerAcct is what one client paid for: the charges of the packets its
// received-lists deleted. Unbooked is what mf-swap has not been told yet;
// it is saved with the deletions, so a charge is booked once even across
// a crash.
type peerAcct struct {
	Earned   *big.Int `json:"earned"`
	Unbooked *big.Int `json:"unbooked"`
	Packets  uint64   `json:"packets"`
}

func acctKey(peer string) []byte { return []byte("a/" + peer) }

// acctOf returns peer's account; s.mu is held.
func (s *Service) acctOf(peer string) *peerAcct {
	a := s.acct[peer]
	if a == nil {
		a = &peerAcct{Earned: new(big.Int), Unbooked: new(big.Int)}
		s.acct[peer] = a
	}
	return a
}

func (s *Service) loadAccount() error {
	return s.db.Scan([]byte("a/"), func(k, v []byte) error {
		a := &peerAcct{}
		if json.Unmarshal(v, a) == nil && a.Earned != nil {
			if a.Unbooked == nil {
				a.Unbooked = new(big.Int)
			}
			s.acct[string(k[2:])] = a
		}
		return nil
	})
}

// flushLoop hands charges to mf-swap once a second.
func (s *Service) flushLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
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

// flushAccount books every unbooked charge with mf-swap (the client owes
// it) and saves what was booked.
func (s *Service) flushAccount() {
	type due struct {
		peer string
		v    *big.Int
	}
	var dues []due
	s.mu.Lock()
	for p, a := range s.acct {
		if a.Unbooked.Sign() > 0 {
			dues = append(dues, due{p, new(big.Int).Set(a.Unbooked)})
		}
	}
	s.mu.Unlock()
	for _, d := range dues {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := s.swap.AddUsage(ctx, d.peer, d.v)
		cancel()
		if err != nil {
			s.log.Debug("cannot book holding with mf-swap yet", "peer", d.peer, "err", err)
			continue
		}
		s.mu.Lock()
		a := s.acct[d.peer]
		a.Unbooked = new(big.Int).Sub(a.Unbooked, d.v)
		b, _ := json.Marshal(a)
		err = s.db.Set(acctKey(d.peer), b)
		s.mu.Unlock()
		if err != nil {
			s.log.Warn("saving the account", "err", err)
		}
	}
}

func (s *Service) apiAccount(w http.ResponseWriter, r *http.Request) (any, error) {
	out := holdapi.Account{Peers: []holdapi.PeerAccount{}}
	total := new(big.Int)
	s.mu.Lock()
	for p, a := range s.acct {
		total.Add(total, a.Earned)
		out.Peers = append(out.Peers, holdapi.PeerAccount{Peer: p, Earned: a.Earned.String(), Packets: a.Packets})
	}
	s.mu.Unlock()
	sort.Slice(out.Peers, func(i, j int) bool { return out.Peers[i].Peer < out.Peers[j].Peer })
	out.Earned, out.MFT = total.String(), amount.Format(total)
	return out, nil
}
