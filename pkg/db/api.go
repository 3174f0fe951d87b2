package db

import (
	"crypto/ecdsa"
	"crypto/rand"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/seal"
)

// The endpoints of the local API are listed in dbapi's api.go, beside the
// types and the client.

// Service serves the local API of one node's engine: this node's own
// datasets, which it signs for with key.
type Service struct {
	e      *Engine
	key    *ecdsa.PrivateKey
	self   common.Address
	card   string
	opener *seal.Opener
	net    *network // nil: this node's datasets only (EnableNetwork)
}

// NewService serves e for the node whose identity is id and whose signed
// card is card (the text form, put in the metadata of its datasets).
func NewService(e *Engine, id *identity.Identity, card string) *Service {
	return &Service{e: e, key: id.Key, self: crypto.PubkeyToAddress(id.Key.PublicKey), card: card, opener: seal.NewOpener(id.Enc)}
}

// Handler is the local API.
func (s *Service) Handler() http.Handler {
	m := http.NewServeMux()
	m.Handle("GET /v0/status", localapi.Handle(s.apiStatus))
	m.Handle("GET /v0/datasets", localapi.Handle(s.apiDatasets))
	m.Handle("POST /v0/datasets", localapi.Handle(s.apiCreate))
	m.Handle("GET /v0/datasets/{ds}", localapi.Handle(s.apiMeta))
	m.Handle("POST /v0/datasets/{ds}/acl", localapi.Handle(s.apiACL))
	m.Handle("POST /v0/datasets/{ds}/rows", localapi.Handle(s.apiWrite))
	m.Handle("POST /v0/datasets/{ds}/batch", localapi.Handle(s.apiBatch))
	m.Handle("GET /v0/datasets/{ds}/row", localapi.Handle(s.apiGet))
	m.Handle("GET /v0/datasets/{ds}/digest", localapi.Handle(s.apiDigest))
	m.Handle("POST /v0/mailbox/send", localapi.Handle(s.apiSendMail))
	m.Handle("GET /v0/mailbox", localapi.Handle(s.apiReadMail))
	m.HandleFunc("GET /v0/datasets/{ds}/query", s.apiQuery)
	m.HandleFunc("GET /v0/datasets/{ds}/watch", s.apiWatch)
	s.remoteRoutes(m)
	s.netRoutes(m)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		localapi.WriteError(w, localapi.NotFound("no endpoint %s %s", r.Method, r.URL.Path))
	})
	return m
}

// dataset resolves {ds}: an id, or the name of one of this node's
// datasets.
func (s *Service) dataset(r *http.Request) (*dbapi.Meta, error) {
	ref := r.PathValue("ds")
	id, err := dbapi.ParseID(ref)
	if err != nil {
		id = dbapi.DatasetID(s.self, ref)
	}
	m, err := s.e.Meta(id)
	if err != nil && len(ref) != 64 && len(ref) != 66 {
		return nil, fmt.Errorf("%w: this node has no dataset named %q", ErrUnknownDataset, ref)
	}
	return m, err
}

func (s *Service) apiStatus(w http.ResponseWriter, r *http.Request) (any, error) {
	ms, err := s.e.Datasets()
	if err != nil {
		return nil, err
	}
	return &dbapi.Status{Address: s.self.Hex(), Datasets: len(ms)}, nil
}

func (s *Service) apiDatasets(w http.ResponseWriter, r *http.Request) (any, error) {
	ms, err := s.e.Datasets()
	if ms == nil {
		ms = []*dbapi.Meta{}
	}
	return ms, err
}

func (s *Service) apiCreate(w http.ResponseWriter, r *http.Request) (any, error) {
	var req dbapi.CreateRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	if (req.Redundancy != 0 || req.Quorum != 0) && s.net == nil {
		return nil, localapi.BadRequest("redundancy %d: this mf-db runs without the network and keeps datasets on this node only (redundancy 0)", req.Redundancy)
	}
	m := &dbapi.Meta{Name: req.Name, Card: s.card, Kind: req.Kind, Indexes: req.Indexes, Version: 1,
		Redundancy: req.Redundancy, Quorum: req.Quorum}
	if m.Redundancy > 0 && m.Quorum == 0 {
		m.Quorum = Majority(m.Redundancy)
	}
	if m.Indexes == nil {
		m.Indexes = []string{}
	}
	for _, x := range []struct {
		right dbapi.Right
		text  string
	}{{dbapi.Read, req.Read}, {dbapi.Insert, req.Insert}, {dbapi.Update, req.Update}, {dbapi.Delete, req.Delete}} {
		text := x.text
		if text == "" {
			text = "owner"
		}
		rule, err := dbapi.ParseRule(text)
		if err != nil {
			return nil, fmt.Errorf("%s rule: %w", x.right, err)
		}
		*m.ACL.Rule(x.right) = rule
	}
	if err := m.Sign(s.key); err != nil {
		return nil, err
	}
	if _, err := s.e.Meta(m.ID); err == nil {
		return nil, localapi.Errorf(http.StatusConflict, "exists", "dataset %s already exists (change its ACL with grant and revoke)", m.Name)
	}
	var p *dbapi.Placement
	if m.Redundancy > 0 {
		var err error
		if p, err = s.place(r.Context(), m, req.MaxPrice, req.MinScore); err != nil {
			return nil, err
		}
	}
	if err := s.e.PutMeta(m); err != nil {
		return nil, err
	}
	if p != nil {
		if err := s.e.PutPlacement(p); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (s *Service) apiMeta(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.dataset(r)
}

func (s *Service) apiACL(w http.ResponseWriter, r *http.Request) (any, error) {
	m, err := s.dataset(r)
	if err != nil {
		return nil, err
	}
	var req dbapi.ACLRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	right, err := dbapi.ParseRight(req.Right)
	if err != nil {
		return nil, err
	}
	if !common.IsHexAddress(req.Address) {
		return nil, localapi.BadRequest("%q is not an Ethereum address", req.Address)
	}
	if m.Owner != s.self {
		return nil, fmt.Errorf("%w: only its owner %s changes the ACL of dataset %s", dbapi.ErrDenied, m.Owner.Hex(), m.Name)
	}
	change := m.Grant
	if req.Revoke {
		change = m.Revoke
	}
	n, err := change(right, common.HexToAddress(req.Address))
	if err != nil {
		return nil, err
	}
	if err := n.Sign(s.key); err != nil {
		return nil, err
	}
	if err := s.e.PutMeta(n); err != nil {
		return nil, err
	}
	if err := s.pushMeta(r.Context(), n); err != nil {
		return nil, err
	}
	return n, nil
}

// toWrite turns a request into an engine write to dataset m.
func toWrite(m *dbapi.Meta, req dbapi.WriteRequest) (Write, error) {
	wr := Write{Dataset: m.ID, Key: req.Key, Op: req.Op}
	switch {
	case req.Op == dbapi.OpDelete:
		if req.IsRaw || len(req.Raw) > 0 || len(req.Value) > 0 {
			return wr, localapi.BadRequest("a delete carries no value")
		}
	case req.IsRaw || len(req.Raw) > 0:
		if len(req.Value) > 0 {
			return wr, localapi.BadRequest("a write has a JSON value or raw bytes, not both")
		}
		wr.Raw, wr.Value = true, req.Raw
	default:
		wr.Value = req.Value
	}
	return wr, nil
}

func (s *Service) apiWrite(w http.ResponseWriter, r *http.Request) (any, error) {
	m, err := s.dataset(r)
	if err != nil {
		return nil, err
	}
	// A row of 64 KiB travels as base64 in JSON: allow for it.
	var req dbapi.WriteRequest
	if err := localapi.DecodeBody(w, r, &req, 2*dbapi.MaxValue+dbapi.MaxKey+4096); err != nil {
		return nil, err
	}
	m = s.freshFor(r.Context(), m, []string{req.Key}, []dbapi.Op{req.Op})
	wr, err := toWrite(m, req)
	if err != nil {
		return nil, err
	}
	c, err := s.e.Write(s.key, wr)
	if err != nil {
		return nil, err
	}
	if p := s.remote(m); p != nil {
		if _, err := s.replicate(r.Context(), m, p, []*dbapi.Change{c}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (s *Service) apiBatch(w http.ResponseWriter, r *http.Request) (any, error) {
	m, err := s.dataset(r)
	if err != nil {
		return nil, err
	}
	var req dbapi.BatchRequest
	if localapi.IsOctets(r) {
		b, err := localapi.ReadOctets(w, r, dbapi.MaxBatchBody)
		if err != nil {
			return nil, err
		}
		bq, err := dbapi.DecodeBatch(b)
		if err != nil {
			return nil, err
		}
		req = *bq
	} else if err := localapi.DecodeBody(w, r, &req, dbapi.MaxBatchBody); err != nil {
		return nil, err
	}
	if len(req.Writes) == 0 || len(req.Writes) > dbapi.MaxBatch {
		return nil, localapi.BadRequest("a batch holds 1 to %d writes, not %d", dbapi.MaxBatch, len(req.Writes))
	}
	keys, ops := make([]string, len(req.Writes)), make([]dbapi.Op, len(req.Writes))
	for i, wr := range req.Writes {
		keys[i], ops[i] = wr.Key, wr.Op
	}
	m = s.freshFor(r.Context(), m, keys, ops)
	ws := make([]Write, len(req.Writes))
	for i, wr := range req.Writes {
		if ws[i], err = toWrite(m, wr); err != nil {
			return nil, fmt.Errorf("write %d: %w", i, err)
		}
	}
	cs, err := s.e.WriteBatch(s.key, ws)
	if err != nil {
		return nil, err
	}
	if p := s.remote(m); p != nil {
		if _, err := s.replicate(r.Context(), m, p, cs); err != nil {
			return nil, err
		}
	}
	res := &dbapi.BatchResult{Dataset: m.ID, Writer: s.self, Count: len(cs), FromSeq: cs[0].Seq, ToSeq: cs[len(cs)-1].Seq}
	if root, ok, _ := cs[0].BatchRoot(); ok {
		res.Root = common.Hash(root)
	}
	return res, nil
}

func (s *Service) apiGet(w http.ResponseWriter, r *http.Request) (any, error) {
	m, err := s.dataset(r)
	if err != nil {
		return nil, err
	}
	key := r.URL.Query().Get("key")
	if key == "" {
		return nil, localapi.BadRequest("give the row's key: ?key=K")
	}
	if p := s.remote(m); p != nil {
		return s.remoteGet(r.Context(), m, p, key)
	}
	return s.e.Get(m.ID, s.self, key)
}

func (s *Service) apiDigest(w http.ResponseWriter, r *http.Request) (any, error) {
	m, err := s.dataset(r)
	if err != nil {
		return nil, err
	}
	if p := s.remote(m); p != nil {
		return s.remoteDigest(r.Context(), m, p)
	}
	if p, err := s.e.Placement(m.ID); err == nil && p.Has(s.self) {
		return s.e.Digest(m.ID) // a provider's own copy
	}
	if err := m.Allowed(dbapi.Read, s.self, ""); err != nil {
		return nil, err
	}
	return s.e.Digest(m.ID)
}

// parseQuery reads the query string of a query.
func parseQuery(r *http.Request) (dbapi.Query, error) {
	v := r.URL.Query()
	q := dbapi.Query{Prefix: v.Get("prefix")}
	for _, w := range v["where"] {
		c, err := dbapi.ParseWhere(w)
		if err != nil {
			return q, err
		}
		q.Where = append(q.Where, c)
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			return q, localapi.BadRequest("limit must be a whole number, not %q", l)
		}
		q.Limit = n
	}
	return q, nil
}

func (s *Service) apiQuery(w http.ResponseWriter, r *http.Request) {
	m, err := s.dataset(r)
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	if p := s.remote(m); p != nil {
		if _, err := parseQuery(r); err != nil {
			localapi.WriteError(w, err)
			return
		}
		s.remoteQuery(w, r, m, p)
		return
	}
	s.serveQuery(w, r, m, s.self)
}

func (s *Service) apiWatch(w http.ResponseWriter, r *http.Request) {
	m, err := s.dataset(r)
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	var from dbapi.Version
	if f := r.URL.Query().Get("from"); f != "" {
		if from, err = dbapi.ParseVersion(f); err != nil {
			localapi.WriteError(w, err)
			return
		}
	}
	if p := s.remote(m); p != nil {
		s.remoteWatch(w, r, m, p, from)
		return
	}
	s.serveWatch(w, r, m, s.self)
}

func (s *Service) apiSendMail(w http.ResponseWriter, r *http.Request) (any, error) {
	var req dbapi.MailRequest
	if err := localapi.DecodeBody(w, r, &req, 2*dbapi.MaxValue); err != nil {
		return nil, err
	}
	if !common.IsHexAddress(req.To) {
		return nil, localapi.BadRequest("%q is not an Ethereum address", req.To)
	}
	to := common.HexToAddress(req.To)
	m, err := s.e.Meta(dbapi.DatasetID(to, dbapi.MailboxName))
	if err != nil {
		return nil, fmt.Errorf("%w: the mailbox of %s is not stored on this node (a mailbox on providers is opened first: mf-db open REF, where its owner printed REF with mf-db ref mailbox)", ErrUnknownDataset, to.Hex())
	}
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	key := dbapi.MailKey(s.self, fmt.Sprintf("%d-%x", time.Now().UnixMilli(), nonce))
	v, err := dbapi.SealMail(m, key, req.Message)
	if err != nil {
		return nil, err
	}
	c, err := s.e.Write(s.key, Write{Dataset: m.ID, Key: key, Op: dbapi.OpInsert, Raw: true, Value: v})
	if err != nil {
		return nil, err
	}
	if p := s.remote(m); p != nil {
		if _, err := s.replicate(r.Context(), m, p, []*dbapi.Change{c}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (s *Service) apiReadMail(w http.ResponseWriter, r *http.Request) (any, error) {
	m, err := s.e.Meta(dbapi.DatasetID(s.self, dbapi.MailboxName))
	if err != nil {
		return nil, fmt.Errorf("%w: this node has no mailbox (mf-db mailbox create)", ErrUnknownDataset)
	}
	rows, err := s.rowsOf(r.Context(), m)
	if err != nil {
		return nil, err
	}
	out := []dbapi.Mail{}
	for _, c := range rows {
		mail := dbapi.Mail{Key: c.Key, From: c.Writer.Hex(), Time: c.Time}
		if pt, err := dbapi.OpenMail(s.opener, m.ID, c.Key, c.Value); err != nil {
			mail.Error = err.Error()
		} else {
			mail.Message = pt
		}
		out = append(out, mail)
	}
	return out, nil
}
