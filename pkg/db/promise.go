package db

// Enforcement. A provider that staked for a dataset (stake.go) signs, with
// its acknowledgements, a court promise for each change it stored
// (dbapi.RowClaim): that it holds the change's binary form under
// dbapi.PromiseKey. The writer checks each claim and keeps it; the
// dataset's owner, the client of the stake, takes a provider that then
// fails to serve the row to court with it (POST /v0/datasets/{ds}/case,
// or mf-court case open with the claim). The provider's mf-court answers
// the court's challenge with chunks it asks this daemon for on db.sock
// (GET /v0/proof, the convention of courtapi.PromiseRequest), which reads
// them from the change as it is stored now: a provider that dropped or
// altered it cannot answer, and loses its stake.
//
// Keys: 'P' promise → id w seq (engine.go); 'q' id provider writer seq →
// a kept claim (JSON).

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/court/courtapi"
	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/par"
	"github.com/mainframe/mf/pkg/proof"
)

const pClaim = 'q'

func promiseIndexKey(c *dbapi.Change) []byte {
	k := dbapi.PromiseKey(c.Dataset, c.Key, c.Writer, c.Seq)
	return append([]byte{pPromise}, k[:]...)
}

// changeRef is id w seq: where a change is stored under 'c' or 'p'.
func changeRef(c *dbapi.Change) []byte {
	b := make([]byte, 0, 60)
	b = append(b, c.Dataset[:]...)
	b = append(b, c.Writer[:]...)
	return append(b, u64(c.Seq)...)
}

// SetCourt names the chain and court promises are signed for (WithCourt);
// after EnableNetwork.
func (s *Service) SetCourt(ethRPC string, court common.Address) {
	s.net.chain = chain.NewCourtRef(ethRPC, court)
}

// agreementFor is the agreement this provider staked for dataset id, or
// nil.
func (s *Service) agreementFor(id dbapi.ID) *big.Int {
	b, err := s.e.db.Get(dkey(pStake, id))
	if err != nil {
		return nil
	}
	a, ok := new(big.Int).SetString(string(b), 10)
	if !ok || a.Sign() <= 0 {
		return nil
	}
	return a
}

// claimsFor signs this provider's court promise for each change, when it
// staked for the dataset; nil otherwise. The signatures are made on every
// core at once: one per change is the price of enforcing each row.
func (s *Service) claimsFor(ctx context.Context, m *dbapi.Meta, cs []*dbapi.Change) ([]*dbapi.RowClaim, error) {
	ag := s.agreementFor(m.ID)
	if ag == nil || s.net == nil {
		return nil, nil
	}
	chainID, court, err := s.net.chain.Get(ctx)
	if err != nil {
		s.net.log.Warn("acknowledging without court promises", "dataset", m.ID, "err", err)
		return nil, nil
	}
	out := make([]*dbapi.RowClaim, len(cs))
	errs := make([]error, len(cs))
	par.Each(len(cs), func(i int) {
		c := cs[i]
		key, root, chunks := dbapi.PromiseOf(c)
		sig, err := chain.SignPromise(s.key, chainID, court, chain.Promise{Agreement: ag, Key: key, Root: root, Chunks: chunks})
		out[i], errs[i] = &dbapi.RowClaim{Provider: s.self, Dataset: c.Dataset, Writer: c.Writer, Seq: c.Seq,
			Agreement: ag.String(), Promise: key, Root: root, Chunks: chunks, Sig: sig}, err
	})
	return out, errors.Join(errs...)
}

// checkClaims verifies the claims provider pr gave for changes cs to
// dataset m: each for one of them, a promise over it, signed by pr for
// this node's court, on an agreement pr staked for m's owner
// (checkAgreement). With no court configured here, or none reachable,
// claims cannot be checked and are not kept.
func (s *Service) checkClaims(ctx context.Context, m *dbapi.Meta, pr dbapi.Provider, claims []*dbapi.RowClaim, sent *sentChanges) ([]*dbapi.RowClaim, error) {
	if len(claims) == 0 {
		return nil, nil
	}
	if len(claims) > len(sent.cs) {
		return nil, fmt.Errorf("%w: provider %s sent %d claims for %d changes", dbapi.ErrInvalid, pr.Address.Hex(), len(claims), len(sent.cs))
	}
	chainID, court, err := s.net.chain.Get(ctx)
	if err != nil {
		s.net.log.Debug("provider's claims not checked", "provider", pr.Address, "err", err)
		return nil, nil
	}
	errs := make([]error, len(claims))
	par.Each(len(claims), func(i int) {
		errs[i] = checkClaim(claims[i], pr.Address, sent, chainID, court)
	})
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("provider %s: %w", pr.Address.Hex(), err)
	}
	checked := map[string]bool{}
	for _, rc := range claims {
		if checked[rc.Agreement] {
			continue
		}
		checked[rc.Agreement] = true
		if err := s.checkAgreement(ctx, rc.Agreement, pr.Address, m.Owner); err != nil {
			if errors.Is(err, errAgreementUnread) {
				s.net.log.Debug("provider's claims not checked", "provider", pr.Address, "err", err)
				return nil, nil
			}
			return nil, fmt.Errorf("provider %s: %w", pr.Address.Hex(), err)
		}
	}
	return claims, nil
}

// errAgreementUnread: the agreement could not be read (no mf-court here,
// or no chain), which says nothing against the provider.
var errAgreementUnread = errors.New("db: the agreement could not be read")

// agreementCache remembers the agreements found good for a provider and
// an owner, until a time: one chain read per agreement now and then, not
// one per write.
type agreementCache struct {
	mu   sync.Mutex
	good map[string]time.Time
}

// agreementRecheck is how long an agreement found good is trusted before
// it is read again: it can be slashed or run out meanwhile.
const agreementRecheck = 10 * time.Minute

// checkAgreement makes sure that agreement id is one provider staked, for
// db service, with owner as its client, and that it is staked still and
// within its term. The court judges a promise against its agreement and
// pays the agreement's client: a promise on any other agreement (the
// provider's with someone else, or one already unstaked) would leave this
// dataset's owner nothing to take to court.
func (s *Service) checkAgreement(ctx context.Context, id string, provider, owner common.Address) error {
	key := id + "/" + provider.Hex() + "/" + owner.Hex()
	c := &s.net.agreements
	c.mu.Lock()
	until, ok := c.good[key]
	c.mu.Unlock()
	if ok && time.Now().Before(until) {
		return nil
	}
	a, err := s.net.court.Agreement(ctx, id)
	if err != nil {
		var le *localapi.Error
		if errors.As(err, &le) && le.Status == http.StatusNotFound {
			return fmt.Errorf("%w: the claims name agreement %s, which the chain does not have", dbapi.ErrInvalid, id)
		}
		return fmt.Errorf("%w: %s: %v", errAgreementUnread, id, err)
	}
	amount, _ := new(big.Int).SetString(a.Amount, 10)
	term := time.Unix(a.Term, 0)
	var why string
	switch {
	case a.Service != ServiceName:
		why = fmt.Sprintf("is for service %q, not %s", a.Service, ServiceName)
	case !common.IsHexAddress(a.Provider) || common.HexToAddress(a.Provider) != provider:
		why = fmt.Sprintf("is provider %s's, not %s's", a.Provider, provider.Hex())
	case !common.IsHexAddress(a.Client) || common.HexToAddress(a.Client) != owner:
		why = fmt.Sprintf("has client %s, not the dataset's owner %s", a.Client, owner.Hex())
	case a.Status != chain.AgreementStaked.String():
		why = "is " + a.Status + ", not staked"
	case amount == nil || amount.Sign() <= 0:
		why = "stakes nothing"
	case !time.Now().Before(term):
		why = "ran out at " + term.UTC().Format(time.RFC3339)
	}
	if why != "" {
		return fmt.Errorf("%w: the claims name agreement %s, which %s", dbapi.ErrInvalid, id, why)
	}
	c.mu.Lock()
	if c.good == nil {
		c.good = map[string]time.Time{}
	}
	now := time.Now()
	until = now.Add(agreementRecheck)
	if term.Before(until) {
		until = term
	}
	// Entries past their time are dropped as new ones come, so that a
	// long-running writer does not keep every agreement it ever read.
	for k, t := range c.good {
		if !now.Before(t) {
			delete(c.good, k)
		}
	}
	c.good[key] = until
	c.mu.Unlock()
	return nil
}

func checkClaim(rc *dbapi.RowClaim, provider common.Address, sent *sentChanges, chainID *big.Int, court common.Address) error {
	if rc == nil {
		return fmt.Errorf("%w: an empty claim", dbapi.ErrInvalid)
	}
	i, ok := sent.byRef[string(changeRef(&dbapi.Change{Dataset: rc.Dataset, Writer: rc.Writer, Seq: rc.Seq}))]
	if !ok {
		return fmt.Errorf("%w: a claim for change %d of %s, which was not sent", dbapi.ErrInvalid, rc.Seq, rc.Writer.Hex())
	}
	c, p := sent.cs[i], sent.promise(i)
	if rc.Key != "" && rc.Key != c.Key {
		return fmt.Errorf("%w: claim for change %d of %s names row %q, not %q", dbapi.ErrInvalid, c.Seq, c.Writer.Hex(), rc.Key, c.Key)
	}
	rc.Key = c.Key
	if rc.Promise != p.key || rc.Root != p.root || rc.Chunks != p.chunks {
		return fmt.Errorf("%w: claim for change %d of %s promises other data", dbapi.ErrInvalid, c.Seq, c.Writer.Hex())
	}
	if _, err := rc.AgreementID(); err != nil {
		return err
	}
	ag, _ := rc.AgreementID()
	d, err := chain.PromiseDigest(chainID, court, chain.Promise{Agreement: ag, Key: rc.Promise, Root: rc.Root, Chunks: rc.Chunks})
	if err != nil {
		return err
	}
	signer, err := chain.RecoverSigner(d, rc.Sig)
	if err != nil || signer != provider || rc.Provider != provider {
		return fmt.Errorf("%w: the claim for change %d of %s is not signed by provider %s for this court", dbapi.ErrSignature, rc.Seq, rc.Writer.Hex(), provider.Hex())
	}
	return nil
}

func claimKey(rc *dbapi.RowClaim) []byte {
	return dkey(pClaim, rc.Dataset, rc.Provider[:], rc.Writer[:], u64(rc.Seq))
}

// Claims lists the claims kept for a dataset, for row key (all when
// empty) by provider (all when zero).
func (e *Engine) Claims(id dbapi.ID, key string, provider common.Address) ([]*dbapi.RowClaim, error) {
	prefix := dkey(pClaim, id)
	if provider != (common.Address{}) {
		prefix = dkey(pClaim, id, provider[:])
	}
	out := []*dbapi.RowClaim{}
	err := e.db.Scan(prefix, func(_, v []byte) error {
		var rc dbapi.RowClaim
		if err := json.Unmarshal(v, &rc); err != nil {
			return err
		}
		if key == "" || rc.Key == key {
			out = append(out, &rc)
		}
		return nil
	})
	return out, err
}

func (s *Service) apiClaims(w http.ResponseWriter, r *http.Request) (any, error) {
	m, err := s.dataset(r)
	if err != nil {
		return nil, err
	}
	var prov common.Address
	if p := r.URL.Query().Get("provider"); p != "" {
		if !common.IsHexAddress(p) {
			return nil, localapi.BadRequest("provider must be an Ethereum address, not %q", p)
		}
		prov = common.HexToAddress(p)
	}
	return s.e.Claims(m.ID, r.URL.Query().Get("key"), prov)
}

// apiCase takes a provider to court on its latest claim for a row. Only
// the dataset's owner can: the court hears only an agreement's client.
func (s *Service) apiCase(w http.ResponseWriter, r *http.Request) (any, error) {
	m, err := s.dataset(r)
	if err != nil {
		return nil, err
	}
	var req dbapi.CaseRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	if req.Key == "" {
		return nil, localapi.BadRequest("give the row's key")
	}
	if !common.IsHexAddress(req.Provider) {
		return nil, localapi.BadRequest("provider must be an Ethereum address, not %q", req.Provider)
	}
	if m.Owner != s.self {
		return nil, localapi.Errorf(http.StatusForbidden, "not_owner",
			"only dataset %s's owner %s, the client of its providers' stakes, can take a provider to court; give it the claim (mf-db claims %s %s --provider %s --court > claim.json, then mf-court case open AGREEMENT --claim claim.json on its node)",
			m.Name, m.Owner.Hex(), m.ID, req.Key, req.Provider)
	}
	if err := s.needNet(); err != nil {
		return nil, err
	}
	claims, err := s.e.Claims(m.ID, req.Key, common.HexToAddress(req.Provider))
	if err != nil {
		return nil, err
	}
	if len(claims) == 0 {
		return nil, localapi.NotFound("no claim of provider %s for row %q of %s is kept here (only this node's writes to a dataset its providers staked for have claims)", req.Provider, req.Key, m.Name)
	}
	rc := claims[len(claims)-1]
	for _, c := range claims {
		if c.Writer == rc.Writer && c.Seq > rc.Seq {
			rc = c
		}
	}
	ci, err := s.net.court.OpenCase(r.Context(), courtapi.CaseRequest{Claim: CourtClaim(rc), Witnesses: req.Witnesses})
	if err != nil {
		return nil, fmt.Errorf("mf-court: %w", err)
	}
	return &dbapi.CaseResult{Case: ci.ID, Claim: rc}, nil
}

// CourtClaim is a row claim in the form mf-court opens a case with
// (mf-court case open AGREEMENT --claim FILE).
func CourtClaim(rc *dbapi.RowClaim) courtapi.Claim {
	return courtapi.Claim{Agreement: rc.Agreement, Key: hex.EncodeToString(rc.Promise[:]), Root: hex.EncodeToString(rc.Root[:]),
		Chunks: rc.Chunks, Signature: hex.EncodeToString(rc.Sig)}
}

// apiProof serves mf-court the chunks of a change this node promised, as
// it is stored now (the proof convention of courtapi.PromiseRequest).
func (s *Service) apiProof(w http.ResponseWriter, r *http.Request) {
	b, err := s.proof(r)
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", localapi.OctetStream)
	w.Write(b)
}

func (s *Service) proof(r *http.Request) ([]byte, error) {
	q := r.URL.Query()
	kb, err := hex.DecodeString(q.Get("key"))
	if err != nil || len(kb) != 32 {
		return nil, localapi.BadRequest("key must be 64 hex digits")
	}
	ref, err := s.e.db.Get(append([]byte{pPromise}, kb...))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, localapi.NotFound("db: no change promised under key %x", kb)
	}
	if err != nil {
		return nil, err
	}
	if len(ref) != 60 {
		return nil, fmt.Errorf("db: corrupt promise index under key %x", kb)
	}
	var id dbapi.ID
	copy(id[:], ref[:32])
	data, err := s.e.db.Get(dkey(pChange, id, ref[32:]))
	if errors.Is(err, kv.ErrNotFound) {
		data, err = s.e.db.Get(dkey(pPending, id, ref[32:]))
	}
	if errors.Is(err, kv.ErrNotFound) {
		return nil, localapi.Errorf(http.StatusNotFound, "lost", "db: the change promised under key %x is not stored here", kb)
	}
	if err != nil {
		return nil, err
	}
	tree := proof.FromBytes(data)
	idx, err := proof.ParseIndices(q.Get("index"), tree.Chunks(), proof.MaxProofs)
	if err != nil {
		return nil, localapi.BadRequest("%v", err)
	}
	out, err := tree.ProveAll(bytes.NewReader(data), idx)
	if err != nil {
		return nil, err
	}
	return proof.Encode(out)
}
