package db

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/localapi"
)

// apiReplace replaces a provider that is gone for good: the owner finds
// another through discovery, signs the next version of the placement with
// it in the old one's place, and sends it to every provider. The new
// provider fills itself by anti-entropy from the others; writers and
// readers take the new placement from any provider.
func (s *Service) apiReplace(w http.ResponseWriter, r *http.Request) (any, error) {
	m, err := s.dataset(r)
	if err != nil {
		return nil, err
	}
	var req dbapi.ReplaceRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	if !common.IsHexAddress(req.Provider) {
		return nil, localapi.BadRequest("%q is not an Ethereum address", req.Provider)
	}
	if m.Owner != s.self {
		return nil, fmt.Errorf("%w: only its owner %s places dataset %s", dbapi.ErrDenied, m.Owner.Hex(), m.Name)
	}
	old, err := s.e.Placement(m.ID)
	if err != nil {
		return nil, err
	}
	gone := common.HexToAddress(req.Provider)
	i := slices.IndexFunc(old.Providers, func(p dbapi.Provider) bool { return p.Address == gone })
	if i < 0 {
		return nil, localapi.BadRequest("%s is not a provider of dataset %s", gone.Hex(), m.Name)
	}
	cands, err := s.offers(r.Context(), req.MaxPrice, req.MinScore)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, o := range cands {
		a := common.HexToAddress(o.Address)
		if old.Has(a) {
			continue
		}
		p := &dbapi.Placement{Dataset: m.ID, Version: old.Version + 1, Providers: slices.Clone(old.Providers)}
		p.Providers[i] = dbapi.Provider{Address: a, PeerID: o.PeerID}
		if err := p.Sign(s.key); err != nil {
			return nil, err
		}
		ref := &dbapi.Ref{Meta: m, Placement: p}
		if err := s.call(r.Context(), p.Providers[i], http.MethodPost, "/v0/meta", ref, nil); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := s.e.PutPlacement(p); err != nil {
			return nil, err
		}
		// The others learn it now if they answer, else from anti-entropy.
		_ = s.pushRef(r.Context(), ref)
		return p, nil
	}
	return nil, fmt.Errorf("%w: no other db provider took dataset %s (%d refused)", dbapi.ErrInvalid, m.Name, len(errs))
}
