package store

import (
	"errors"
	"net/http"

	"github.com/mainframe/mf/pkg/store/chunk"
	"github.com/mainframe/mf/pkg/store/storeapi"
)

// apiCheck reads every chunk this node keeps and checks it against its
// address; a damaged one is removed and fetched again from another storer
// (a scrub, as a storer should run now and then: a damaged chunk is
// otherwise found only when someone asks for it).
func (s *Service) apiCheck(w http.ResponseWriter, r *http.Request) (any, error) {
	var out storeapi.CheckResult
	var damaged []chunk.Addr
	err := s.disk.each(func(a chunk.Addr) error {
		if r.Context().Err() != nil {
			return r.Context().Err()
		}
		out.Checked++
		if _, err := s.disk.Get(a); errors.Is(err, ErrCorrupt) {
			damaged = append(damaged, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, a := range damaged {
		out.Damaged++
		b, err := s.fetchRemote(r.Context(), a, s.self.PeerID().String())
		if err == nil {
			_, err = s.disk.Put(a, b)
		}
		if err != nil {
			out.Lost = append(out.Lost, a.String())
			continue
		}
		out.Repaired++
	}
	if out.Damaged > 0 {
		s.log.Warn("check found damaged chunks", "checked", out.Checked, "damaged", out.Damaged, "repaired", out.Repaired)
	}
	return out, nil
}
