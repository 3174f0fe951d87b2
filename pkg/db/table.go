package db

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/localapi"
)

// Network tables belong to no one. Their id is the hash of their
// definition, and they are placed on the R db providers whose overlay
// addresses are nearest the id, the Kademlia rule: any node that finds the
// same providers works out the same placement, and nobody signs it. Their
// rules (self: a row keyed by its writer's address; claim: the first
// writer of a key owns it) need no owner to enforce.

// apiCreateTable defines a network table and places it. Defining one that
// exists is not an error: the same definition is the same table.
func (s *Service) apiCreateTable(w http.ResponseWriter, r *http.Request) (any, error) {
	var req dbapi.TableRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	if req.Redundancy == 0 {
		return nil, localapi.BadRequest("a network table lives on providers: give --redundancy 1 to %d", dbapi.MaxRedundancy)
	}
	m := &dbapi.Meta{Name: req.Name, Kind: dbapi.KindTable, Indexes: req.Indexes, Version: 1,
		Redundancy: req.Redundancy, Quorum: req.Quorum}
	if m.Indexes == nil {
		m.Indexes = []string{}
	}
	if m.Quorum == 0 {
		m.Quorum = Majority(m.Redundancy)
	}
	for _, x := range []struct {
		right      dbapi.Right
		text, dflt string
	}{{dbapi.Read, req.Read, "anyone"}, {dbapi.Insert, req.Insert, "self"}, {dbapi.Update, req.Update, "self"}, {dbapi.Delete, req.Delete, "self"}} {
		text := x.text
		if text == "" {
			text = x.dflt
		}
		rule, err := dbapi.ParseRule(text)
		if err != nil {
			return nil, fmt.Errorf("%s rule: %w", x.right, err)
		}
		*m.ACL.Rule(x.right) = rule
	}
	if err := m.SetNetworkID(); err != nil {
		return nil, err
	}
	if old, err := s.e.Meta(m.ID); err == nil {
		if _, err := s.e.Placement(m.ID); err == nil {
			return old, nil
		}
	}
	cands, err := s.offers(r.Context(), "", 0)
	if err != nil {
		return nil, err
	}
	var cs []dbapi.Candidate
	for _, o := range cands {
		ov, err := identity.ParseOverlay(o.Overlay)
		if err != nil {
			continue
		}
		cs = append(cs, dbapi.Candidate{Provider: dbapi.Provider{Address: common.HexToAddress(o.Address), PeerID: o.PeerID}, Overlay: ov})
	}
	provs := dbapi.NearestProviders(m.ID, cs, int(m.Redundancy))
	if len(provs) < int(m.Redundancy) {
		return nil, fmt.Errorf("%w: redundancy %d but the network offers %d db providers", dbapi.ErrInvalid, m.Redundancy, len(provs))
	}
	p, err := dbapi.NetworkPlacement(m.ID, provs)
	if err != nil {
		return nil, err
	}
	errs := s.pushRef(r.Context(), &dbapi.Ref{Meta: m, Placement: p})
	if ok := len(provs) - len(errs); ok < int(m.Quorum) {
		return nil, fmt.Errorf("table %s reached %d of its %d nearest providers, %d needed: %v", m.Name, ok, len(provs), m.Quorum, joinErrs(errs))
	}
	if err := s.e.PutMeta(m); err != nil && !errors.Is(err, ErrStale) {
		return nil, err
	}
	if err := s.e.PutPlacement(p); err != nil {
		return nil, err
	}
	return m, nil
}
