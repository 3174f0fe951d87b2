package store

import (
	"context"
	"net/http"
	"time"

	"github.com/mainframe/mf/pkg/store/chunk"
	"github.com/mainframe/mf/pkg/store/storeapi"
)

// Sync: when a storer leaves, the nodes that hold the same chunks (its
// neighbourhood) push them to the node that is now among the nearest, as
// bee's pull-sync does. Each storer, for every chunk it keeps, works out
// the DefaultCopies storers nearest the chunk among those the network lists
// now (swapapi.Find checks each against its manifest, through the gateway,
// so a node that died is not listed) and, if it is one of them itself,
// asks the others whether they hold it and sends it to those that do not.
// It runs every SyncInterval and on `mf-store sync`.

// SyncInterval is how often a storer syncs its neighbourhood.
const SyncInterval = 10 * time.Minute

func (s *Service) syncLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(SyncInterval):
		}
		res, err := s.sync(ctx)
		if err != nil {
			s.log.Warn("sync", "err", err)
		} else if res.Pushed > 0 {
			s.log.Info("synced the neighbourhood", "checked", res.Checked, "pushed", res.Pushed)
		}
	}
}

func (s *Service) sync(ctx context.Context) (*storeapi.SyncResult, error) {
	storers := s.storerList(ctx, true)
	out := &storeapi.SyncResult{Storers: len(storers)}
	// Per storer, the chunks this node should make sure it holds.
	due := map[string][]chunk.Addr{}
	byPeer := map[string]storer{}
	err := s.disk.each(func(a chunk.Addr) error {
		out.Checked++
		near := nearest(storers, a)
		if len(near) > storeapi.DefaultCopies {
			near = near[:storeapi.DefaultCopies]
		}
		mine := false
		for _, st := range near {
			mine = mine || st.self
		}
		if !mine {
			return nil
		}
		for _, st := range near {
			if !st.self {
				due[st.Peer] = append(due[st.Peer], a)
				byPeer[st.Peer] = st
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for peer, addrs := range due {
		st := byPeer[peer]
		for len(addrs) > 0 {
			batch := addrs[:min(len(addrs), storeapi.MaxHave)]
			addrs = addrs[len(batch):]
			hctx, cancel := context.WithTimeout(ctx, time.Minute)
			have, err := s.has(hctx, st, batch)
			cancel()
			if err != nil {
				out.Errors = append(out.Errors, peer+": "+err.Error())
				break
			}
			for i, a := range batch {
				if have[i] {
					continue
				}
				b, err := s.disk.Get(a)
				if err != nil {
					continue // damaged here: another holder pushes it
				}
				pctx, cancel := context.WithTimeout(ctx, attemptTimeout)
				_, err = s.putTo(pctx, st, a, b)
				cancel()
				if err != nil {
					out.Errors = append(out.Errors, peer+": "+err.Error())
					continue
				}
				out.Pushed++
			}
		}
	}
	return out, nil
}

func (s *Service) apiSync(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.sync(r.Context())
}
