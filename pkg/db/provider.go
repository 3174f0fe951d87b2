package db

// The provider role: peers reach this daemon through mf-route's gateway,
// which hands their calls to db.sock under /remote with the caller's
// authenticated address in routeapi.HeaderPeerAddress. A provider stores
// only datasets whose owner-signed placement names it, and checks every
// change (signature, ACL, limits) with the engine, as for local writes.
//
//	POST /remote/v0/meta                        Ref (metadata, placement) → Ref as stored
//	GET  /remote/v0/datasets/{id}/meta          Ref
//	POST /remote/v0/datasets/{id}/changes       []Change → AckResult (signed acks)
//	GET  /remote/v0/datasets/{id}/row?key=K     Change (read rule for the caller)
//	GET  /remote/v0/datasets/{id}/query?...     NDJSON of Change
//	GET  /remote/v0/datasets/{id}/watch?from=V  NDJSON of WatchEvent, following
//	GET  /remote/v0/datasets/{id}/digest        Digest (readers and providers)
//	POST /remote/v0/datasets/{id}/missing       MissingRequest → []Change

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// pPlacement keys a dataset's placement: 'g' id → dbapi.Placement.Encode.
const pPlacement = 'g'

// ErrNotPlaced: a peer asked for a dataset this node does not provide.
var ErrNotPlaced = errors.New("db: dataset not placed on this provider")

func init() {
	localapi.Classify(ErrNotPlaced, http.StatusNotFound, "not_placed")
}

// PutPlacement stores a dataset's placement beside its metadata (which
// must be stored first): signed by the owner, fitting the metadata, and of
// a version above the stored one (an equal one is a no-op).
func (e *Engine) PutPlacement(p *dbapi.Placement) error {
	if err := p.Verify(); err != nil {
		return err
	}
	m, err := e.Meta(p.Dataset)
	if err != nil {
		return err
	}
	if err := p.Fits(m); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	old, err := e.placement(p.Dataset)
	switch {
	case errors.Is(err, ErrNotPlaced):
	case err != nil:
		return err
	case old.Version == p.Version && string(old.Encode()) == string(p.Encode()):
		return nil
	case p.Owner == (common.Address{}):
		// Nobody signs a network table's placement, so nobody may
		// replace it either.
		return fmt.Errorf("%w: the placement of network table %s cannot change", ErrStale, m.Name)
	case p.Version <= old.Version:
		return fmt.Errorf("%w: placement version %d of dataset %s is not above the stored %d", ErrStale, p.Version, m.Name, old.Version)
	}
	return e.db.Set(dkey(pPlacement, p.Dataset), p.Encode())
}

// Placement returns a dataset's placement, or ErrNotPlaced.
func (e *Engine) Placement(id dbapi.ID) (*dbapi.Placement, error) { return e.placement(id) }

func (e *Engine) placement(id dbapi.ID) (*dbapi.Placement, error) {
	b, err := e.db.Get(dkey(pPlacement, id))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotPlaced, id)
	}
	if err != nil {
		return nil, err
	}
	return dbapi.DecodePlacement(b)
}

// remoteRoutes adds the endpoints peers reach through the gateway.
func (s *Service) remoteRoutes(m *http.ServeMux) {
	m.Handle("POST /remote/v0/meta", localapi.Handle(s.peerMeta))
	m.Handle("GET /remote/v0/datasets/{id}/meta", localapi.Handle(s.peerGetMeta))
	m.Handle("POST /remote/v0/datasets/{id}/changes", localapi.Handle(s.peerChanges))
	m.Handle("GET /remote/v0/datasets/{id}/row", localapi.Handle(s.peerRow))
	m.Handle("GET /remote/v0/datasets/{id}/digest", localapi.Handle(s.peerDigest))
	m.Handle("POST /remote/v0/datasets/{id}/missing", localapi.Handle(s.peerMissing))
	m.HandleFunc("GET /remote/v0/datasets/{id}/query", s.peerQuery)
	m.HandleFunc("GET /remote/v0/datasets/{id}/watch", s.peerWatch)
}

// caller is the authenticated peer the gateway names.
func caller(r *http.Request) (common.Address, error) {
	a := r.Header.Get(routeapi.HeaderPeerAddress)
	if !common.IsHexAddress(a) {
		return common.Address{}, localapi.Errorf(http.StatusForbidden, "forbidden", "only peers, through mf-route, call /remote")
	}
	return common.HexToAddress(a), nil
}

// placed resolves {id} to a dataset this node provides.
func (s *Service) placed(r *http.Request) (*dbapi.Meta, *dbapi.Placement, common.Address, error) {
	who, err := caller(r)
	if err != nil {
		return nil, nil, who, err
	}
	id, err := dbapi.ParseID(r.PathValue("id"))
	if err != nil {
		return nil, nil, who, err
	}
	p, err := s.e.Placement(id)
	if err != nil {
		return nil, nil, who, err
	}
	if !p.Has(s.self) {
		return nil, nil, who, fmt.Errorf("%w: %s (its placement names other providers)", ErrNotPlaced, id)
	}
	m, err := s.e.Meta(id)
	return m, p, who, err
}

// peerMeta stores a dataset's metadata and placement, new or newer. A
// provider takes only datasets whose placement names it: nobody can make
// it store what its owner did not place here.
func (s *Service) peerMeta(w http.ResponseWriter, r *http.Request) (any, error) {
	if _, err := caller(r); err != nil {
		return nil, err
	}
	var ref dbapi.Ref
	if err := localapi.DecodeBody(w, r, &ref, dbapi.MaxRef); err != nil {
		return nil, err
	}
	if err := ref.Verify(); err != nil {
		return nil, err
	}
	if ref.Placement == nil || !ref.Placement.Has(s.self) {
		return nil, localapi.Errorf(http.StatusForbidden, "not_placed", "dataset %s is not placed on this provider (%s)", ref.Meta.Name, s.self.Hex())
	}
	// A node takes new datasets only while it sells db service; newer
	// records of what it already holds it always takes.
	if _, err := s.e.Placement(ref.Meta.ID); err != nil && s.net != nil && s.priceOf(r.Context(), "", ServiceName) == nil {
		return nil, localapi.Errorf(http.StatusForbidden, "not_providing", "this node (%s) does not sell db service", s.self.Hex())
	}
	if err := s.storeRef(&ref); err != nil {
		return nil, err
	}
	s.stakeFor(ref.Meta)
	return s.refOf(ref.Meta.ID)
}

// storeRef stores what is newer in ref; older or equal records are kept.
func (s *Service) storeRef(ref *dbapi.Ref) error {
	if old, err := s.e.Meta(ref.Meta.ID); err != nil || old.Version < ref.Meta.Version {
		if err := s.e.PutMeta(ref.Meta); err != nil && !errors.Is(err, ErrStale) {
			return err
		}
	}
	if ref.Placement == nil {
		return nil
	}
	if err := s.e.PutPlacement(ref.Placement); err != nil && !errors.Is(err, ErrStale) {
		return err
	}
	return nil
}

// refOf is the stored metadata and placement of a dataset.
func (s *Service) refOf(id dbapi.ID) (*dbapi.Ref, error) {
	m, err := s.e.Meta(id)
	if err != nil {
		return nil, err
	}
	ref := &dbapi.Ref{Meta: m}
	if p, err := s.e.Placement(id); err == nil {
		ref.Placement = p
	} else if !errors.Is(err, ErrNotPlaced) {
		return nil, err
	}
	return ref, nil
}

func (s *Service) peerGetMeta(w http.ResponseWriter, r *http.Request) (any, error) {
	m, _, _, err := s.placed(r)
	if err != nil {
		return nil, err
	}
	return s.refOf(m.ID)
}

func (s *Service) peerChanges(w http.ResponseWriter, r *http.Request) (any, error) {
	m, p, _, err := s.placed(r)
	if err != nil {
		return nil, err
	}
	var cs []*dbapi.Change
	if localapi.IsOctets(r) {
		b, err := localapi.ReadOctets(w, r, dbapi.MaxBatchBody)
		if err != nil {
			return nil, err
		}
		if cs, err = dbapi.DecodeChanges(b, MaxApply); err != nil {
			return nil, err
		}
	} else if err := localapi.DecodeBody(w, r, &cs, dbapi.MaxBatchBody); err != nil {
		return nil, err
	}
	if len(cs) == 0 || len(cs) > MaxApply {
		return nil, localapi.BadRequest("send 1 to %d changes, not %d", MaxApply, len(cs))
	}
	for i, c := range cs {
		if c == nil || c.Dataset != m.ID {
			return nil, localapi.BadRequest("change %d is not for dataset %s", i, m.ID)
		}
	}
	if _, err := s.e.ApplyBatch(cs); err != nil {
		return nil, err
	}
	s.bookServed(r, p)
	s.bookStored(r, p, cs)
	acks, err := dbapi.AcksFor(s.key, cs, uint64(time.Now().UnixMilli()))
	if err != nil {
		return nil, err
	}
	claims, err := s.claimsFor(r.Context(), m, cs)
	if err != nil {
		return nil, err
	}
	return &dbapi.AckResult{Acks: acks, Claims: claims}, nil
}

func (s *Service) peerRow(w http.ResponseWriter, r *http.Request) (any, error) {
	m, p, who, err := s.placed(r)
	if err != nil {
		return nil, err
	}
	s.bookServed(r, p)
	key := r.URL.Query().Get("key")
	if key == "" {
		return nil, localapi.BadRequest("give the row's key: ?key=K")
	}
	return s.e.Get(m.ID, who, key)
}

// syncAllowed: the digest and missing changes go to the dataset's other
// providers (for anti-entropy), its readers, and its writers (who send
// providers the changes of theirs they lack). A digest names writers and
// how much each wrote, nothing of the rows.
func syncAllowed(m *dbapi.Meta, p *dbapi.Placement, who common.Address) error {
	if p.Has(who) {
		return nil
	}
	var err error
	for _, r := range []dbapi.Right{dbapi.Read, dbapi.Insert, dbapi.Update, dbapi.Delete} {
		if err = m.Allowed(r, who, ""); err == nil {
			return nil
		}
	}
	return err
}

func (s *Service) peerDigest(w http.ResponseWriter, r *http.Request) (any, error) {
	m, p, who, err := s.placed(r)
	if err != nil {
		return nil, err
	}
	if err := syncAllowed(m, p, who); err != nil {
		return nil, err
	}
	return s.e.Digest(m.ID)
}

func (s *Service) peerMissing(w http.ResponseWriter, r *http.Request) (any, error) {
	m, p, who, err := s.placed(r)
	if err != nil {
		return nil, err
	}
	// Missing changes carry rows: providers and readers only.
	if !p.Has(who) {
		if err := m.Allowed(dbapi.Read, who, ""); err != nil {
			return nil, err
		}
	}
	var req dbapi.MissingRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	limit := req.Limit
	if limit <= 0 || limit > MaxApply {
		limit = MaxApply
	}
	cs, err := s.e.Missing(m.ID, req.Version, limit)
	if cs == nil {
		cs = []*dbapi.Change{}
	}
	return cs, err
}

func (s *Service) peerQuery(w http.ResponseWriter, r *http.Request) {
	m, p, who, err := s.placed(r)
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	s.bookServed(r, p)
	s.serveQuery(w, r, m, who)
}

func (s *Service) peerWatch(w http.ResponseWriter, r *http.Request) {
	m, p, who, err := s.placed(r)
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	s.bookServed(r, p)
	s.serveWatch(w, r, m, who)
}

// serveQuery answers a query for reader.
func (s *Service) serveQuery(w http.ResponseWriter, r *http.Request, m *dbapi.Meta, reader common.Address) {
	q, err := parseQuery(r)
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	rows, err := s.e.Query(m.ID, reader, q)
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	st := localapi.NewStream(w)
	for _, c := range rows {
		if err := st.Send(c); err != nil {
			return
		}
	}
}

// serveWatch streams the changes after ?from= to reader, following.
func (s *Service) serveWatch(w http.ResponseWriter, r *http.Request, m *dbapi.Meta, reader common.Address) {
	var from dbapi.Version
	var err error
	if f := r.URL.Query().Get("from"); f != "" {
		if from, err = dbapi.ParseVersion(f); err != nil {
			localapi.WriteError(w, err)
			return
		}
	}
	if err := m.Allowed(dbapi.Read, reader, ""); err != nil {
		localapi.WriteError(w, err)
		return
	}
	st := localapi.NewStream(w)
	seen := from.Clone()
	_ = s.e.Watch(r.Context(), m.ID, reader, from, func(c *dbapi.Change) error {
		seen[c.Writer] = c.Seq
		return st.Send(dbapi.WatchEvent{Change: c, Version: seen})
	})
}
