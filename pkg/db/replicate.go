package db

// The client role: datasets of redundancy R > 0 live on R providers that
// the owner found through mf-swap's network-wide discovery and named in a
// signed placement. This daemon keeps its own changes to such a dataset
// (numbered and signed here, as for a local one) and sends them to every
// provider; a write stands once W of them acknowledged it. Reads go to
// the providers, and every row is checked against the owner's metadata.
// All calls to peers go through mf-route's gateway (routeapi).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/court/courtapi"
	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/par"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/swap/swapapi"
)

// ServiceName is the name mf-db goes by in manifests and at the gateway.
const ServiceName = "db"

// pAck keys the acknowledgements providers gave for this node's writes:
// 'a' id provider writer fromSeq → dbapi.Ack.Encode.
const pAck = 'a'

// network is what the daemon needs to reach peers.
type network struct {
	route *routeapi.Client
	swap  *swapapi.Client
	court *courtapi.Client
	log   *slog.Logger
	// syncEvery is the period of anti-entropy rounds.
	syncEvery time.Duration
	syncMu    sync.Mutex // one round at a time
	prices    prices
	usage     usage
	// chain is the chain and court that providers' promises are signed
	// for (promise.go).
	chain *chain.CourtRef
	// agreements are those found good for providers' promises lately.
	agreements agreementCache
}

// EnableNetwork lets the service reach peers through home's mf-route and
// find providers through its mf-swap; anti-entropy runs every syncEvery
// (RunSync).
func (s *Service) EnableNetwork(home string, syncEvery time.Duration, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s.net = &network{route: routeapi.NewClient(home), swap: swapapi.NewClient(home), court: courtapi.NewClient(home), log: log, syncEvery: syncEvery}
}

// netRoutes adds the local endpoints of the client role.
func (s *Service) netRoutes(m *http.ServeMux) {
	m.Handle("GET /v0/datasets/{ds}/ref", localapi.Handle(s.apiRef))
	m.Handle("POST /v0/open", localapi.Handle(s.apiOpen))
	m.Handle("GET /v0/datasets/{ds}/acks", localapi.Handle(s.apiAcks))
	m.Handle("GET /v0/datasets/{ds}/providers", localapi.Handle(s.apiProviderDigests))
	m.Handle("POST /v0/sync", localapi.Handle(s.apiSync))
	m.Handle("POST /v0/datasets/{ds}/replace", localapi.Handle(s.apiReplace))
	m.Handle("POST /v0/tables", localapi.Handle(s.apiCreateTable))
	m.Handle("POST /v0/provide", localapi.Handle(s.apiProvide))
	m.Handle("GET /v0/datasets/{ds}/check", localapi.Handle(s.apiCheck))
	m.Handle("GET /v0/datasets/{ds}/claims", localapi.Handle(s.apiClaims))
	m.Handle("POST /v0/datasets/{ds}/case", localapi.Handle(s.apiCase))
	m.HandleFunc("GET /v0/proof", s.apiProof)
}

// remote returns the placement of a dataset this node reaches through
// providers: redundancy above 0 and not placed on this node itself.
func (s *Service) remote(m *dbapi.Meta) *dbapi.Placement {
	if m.Redundancy == 0 {
		return nil
	}
	p, err := s.e.Placement(m.ID)
	if err != nil || p.Has(s.self) {
		return nil
	}
	return p
}

func (s *Service) needNet() error {
	if s.net == nil {
		return localapi.Errorf(http.StatusServiceUnavailable, "no_network", "this mf-db runs without mf-route (datasets of redundancy above 0 need it)")
	}
	return nil
}

// call makes a JSON call to a provider's mf-db.
func (s *Service) call(ctx context.Context, pr dbapi.Provider, method, path string, in, out any) error {
	if err := s.needNet(); err != nil {
		return err
	}
	err := s.net.route.CallService(ctx, pr.PeerID, ServiceName, method, path, in, out)
	if err != nil {
		return fmt.Errorf("provider %s: %w", pr.Address.Hex(), err)
	}
	return nil
}

func idPath(id dbapi.ID) string { return "/v0/datasets/" + id.String() }

// Majority is the default write quorum for R providers.
func Majority(r uint8) uint8 { return r/2 + 1 }

// place finds R providers for m and stores its metadata and a placement
// naming them with each; a provider that refuses is replaced by the next
// offer. Offers are taken by price, then score.
func (s *Service) place(ctx context.Context, m *dbapi.Meta, maxPrice string, minScore float64) (*dbapi.Placement, error) {
	cands, err := s.offers(ctx, maxPrice, minScore)
	if err != nil {
		return nil, err
	}
	r := int(m.Redundancy)
	if len(cands) < r {
		return nil, fmt.Errorf("%w: redundancy %d but the network offers %d db providers (within price %q and score %v)", dbapi.ErrInvalid, r, len(cands), maxPrice, minScore)
	}
	p := &dbapi.Placement{Dataset: m.ID}
	next := 0
	var refused []string
	for {
		for len(p.Providers) < r && next < len(cands) {
			o := cands[next]
			next++
			p.Providers = append(p.Providers, dbapi.Provider{Address: common.HexToAddress(o.Address), PeerID: o.PeerID})
		}
		if len(p.Providers) < r {
			return nil, fmt.Errorf("only %d of %d providers took dataset %s: %s", len(p.Providers), r, m.Name, strings.Join(refused, "; "))
		}
		p.Version++
		if err := p.Sign(s.key); err != nil {
			return nil, err
		}
		errs := s.pushRef(ctx, &dbapi.Ref{Meta: m, Placement: p})
		if len(errs) == 0 {
			return p, nil
		}
		var keep []dbapi.Provider
		for i, pr := range p.Providers {
			if errs[i] != nil {
				refused = append(refused, errs[i].Error())
			} else {
				keep = append(keep, pr)
			}
		}
		p.Providers = keep
	}
}

// offers lists the nodes that sell db service, other than this one, the
// cheapest first, then by credit score.
func (s *Service) offers(ctx context.Context, maxPrice string, minScore float64) ([]swapapi.Offer, error) {
	if err := s.needNet(); err != nil {
		return nil, err
	}
	offers, err := s.net.swap.Find(ctx, ServiceName, maxPrice, minScore)
	if err != nil {
		return nil, fmt.Errorf("finding db providers: %w", err)
	}
	var cands []swapapi.Offer
	for _, o := range offers {
		if o.Price == "" || !common.IsHexAddress(o.Address) || common.HexToAddress(o.Address) == s.self || o.PeerID == "" {
			continue
		}
		cands = append(cands, o)
	}
	slices.SortStableFunc(cands, func(a, b swapapi.Offer) int {
		pa, _ := new(big.Int).SetString(a.Price, 10)
		pb, _ := new(big.Int).SetString(b.Price, 10)
		if pa != nil && pb != nil {
			if c := pa.Cmp(pb); c != 0 {
				return c
			}
		}
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return strings.Compare(a.Address, b.Address)
	})
	return cands, nil
}

// pushRef sends a dataset's metadata and placement to each provider,
// returning the errors by provider (nil map when all took it).
func (s *Service) pushRef(ctx context.Context, ref *dbapi.Ref) map[int]error {
	var mu sync.Mutex
	errs := map[int]error{}
	var wg sync.WaitGroup
	for i, pr := range ref.Placement.Providers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.call(ctx, pr, http.MethodPost, "/v0/meta", ref, nil); err != nil {
				mu.Lock()
				errs[i] = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// pushMeta sends new metadata (a grant or revoke) to the providers; it
// stands once W of them have it.
func (s *Service) pushMeta(ctx context.Context, m *dbapi.Meta) error {
	p := s.remote(m)
	if p == nil {
		return nil
	}
	errs := s.pushRef(ctx, &dbapi.Ref{Meta: m, Placement: p})
	if ok := len(p.Providers) - len(errs); ok < int(m.Quorum) {
		return fmt.Errorf("metadata version %d reached %d of %d providers, %d needed: %v", m.Version, ok, len(p.Providers), m.Quorum, joinErrs(errs))
	}
	return nil
}

func joinErrs(errs map[int]error) error {
	var es []error
	for i := range len(errs) + 16 {
		if e, ok := errs[i]; ok {
			es = append(es, e)
		}
	}
	return errors.Join(es...)
}

// replicate sends this node's changes to every provider and returns once
// W of them acknowledged them all (the others are left to finish in the
// background, and anti-entropy repairs whoever missed them). Acks are
// verified before they count; they and the providers' court promises are
// checked and kept after the provider's answer counted, off the write's
// path (a synced commit and a signature recovery per row and provider).
func (s *Service) replicate(ctx context.Context, m *dbapi.Meta, p *dbapi.Placement, cs []*dbapi.Change) ([]*dbapi.Ack, error) {
	type answer struct {
		acks []*dbapi.Ack
		err  error
	}
	ch := make(chan answer, len(p.Providers))
	// The stragglers keep going after we return, bounded by their own
	// timeout rather than the caller's request.
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), routeapi.ServiceCallTimeout)
	// What every provider's answer is checked against, worked out once
	// rather than once per provider.
	sent := newSentChanges(cs)
	var wg sync.WaitGroup
	for _, pr := range p.Providers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.sendChanges(bg, pr, m.ID, cs)
			if err == nil {
				err = checkAcks(pr, res.Acks, sent)
			}
			var acks []*dbapi.Ack
			if err == nil {
				acks = res.Acks
			}
			ch <- answer{acks, err}
			if err != nil {
				return
			}
			s.bookUsed(pr)
			s.bookStoredUsed(pr, cs)
			claims, err := s.checkClaims(bg, m, pr, res.Claims, sent)
			if err != nil {
				s.net.log.Warn("a provider's court promises do not check; its acknowledgements are kept without them", "provider", pr.Address, "err", err)
			}
			if err := s.keepAcks(res.Acks, claims); err != nil {
				s.net.log.Warn("keeping acknowledgements", "provider", pr.Address, "err", err)
			}
		}()
	}
	go func() { wg.Wait(); cancel() }()
	var acks []*dbapi.Ack
	var errs []error
	for range p.Providers {
		a := <-ch
		if a.err != nil {
			errs = append(errs, a.err)
		} else {
			acks = append(acks, a.acks...)
			if len(acks) > 0 && countProviders(acks) >= int(m.Quorum) {
				return acks, nil
			}
		}
	}
	return acks, fmt.Errorf("%w: stored on %d of %d providers, %d needed (kept here; anti-entropy sends it on): %v",
		ErrQuorum, countProviders(acks), len(p.Providers), m.Quorum, errors.Join(errs...))
}

// ErrQuorum: fewer than W providers acknowledged a write.
var ErrQuorum = errors.New("db: write quorum not reached")

func init() { localapi.Classify(ErrQuorum, http.StatusServiceUnavailable, "quorum") }

func countProviders(acks []*dbapi.Ack) int {
	seen := map[common.Address]bool{}
	for _, a := range acks {
		seen[a.Provider] = true
	}
	return len(seen)
}

// checkAcks verifies that pr signed acknowledgements covering every change.
func checkAcks(pr dbapi.Provider, acks []*dbapi.Ack, sent *sentChanges) error {
	for _, a := range acks {
		if err := a.Verify(); err != nil {
			return fmt.Errorf("provider %s: %w", pr.Address.Hex(), err)
		}
		if a.Provider != pr.Address {
			return fmt.Errorf("%w: provider %s answered with an acknowledgement by %s", dbapi.ErrSignature, pr.Address.Hex(), a.Provider.Hex())
		}
	}
	for i, c := range sent.cs {
		if !slices.ContainsFunc(acks, func(a *dbapi.Ack) bool { return sent.covered(a, i) }) {
			return fmt.Errorf("provider %s did not acknowledge change %d of %s", pr.Address.Hex(), c.Seq, c.Writer.Hex())
		}
	}
	return nil
}

func (s *Service) keepAcks(acks []*dbapi.Ack, claims []*dbapi.RowClaim) error {
	b := s.e.db.NewBatch()
	for _, a := range acks {
		b.Set(dkey(pAck, a.Dataset, a.Provider[:], a.Writer[:], u64(a.FromSeq)), a.Encode())
	}
	for _, rc := range claims {
		v, _ := json.Marshal(rc)
		b.Set(claimKey(rc), v)
	}
	return b.Commit()
}

// Acks lists the acknowledgements kept for a dataset.
func (e *Engine) Acks(id dbapi.ID) ([]*dbapi.Ack, error) {
	out := []*dbapi.Ack{}
	err := e.db.Scan(dkey(pAck, id), func(_, v []byte) error {
		a, err := dbapi.DecodeAck(v)
		if err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

func (s *Service) apiAcks(w http.ResponseWriter, r *http.Request) (any, error) {
	m, err := s.dataset(r)
	if err != nil {
		return nil, err
	}
	return s.e.Acks(m.ID)
}

func (s *Service) apiRef(w http.ResponseWriter, r *http.Request) (any, error) {
	m, err := s.dataset(r)
	if err != nil {
		return nil, err
	}
	ref, err := s.refOf(m.ID)
	if err != nil {
		return nil, err
	}
	return &dbapi.RefResult{Ref: ref.String(), Meta: ref.Meta, Placement: ref.Placement}, nil
}

// apiOpen stores a dataset reference so that this node can use the
// dataset: write to it through its providers (with the rights the owner
// gave) and read it. A newer metadata version, if a provider has one,
// replaces the reference's.
func (s *Service) apiOpen(w http.ResponseWriter, r *http.Request) (any, error) {
	var req dbapi.OpenRequest
	if err := localapi.DecodeBody(w, r, &req, dbapi.MaxRef+1024); err != nil {
		return nil, err
	}
	ref, err := dbapi.ParseRef(req.Ref)
	if err != nil {
		return nil, err
	}
	if err := s.storeRef(ref); err != nil {
		return nil, err
	}
	m, _ := s.e.Meta(ref.Meta.ID)
	if p := s.remote(m); p != nil {
		s.refresh(r.Context(), m, p)
	}
	return s.e.Meta(ref.Meta.ID)
}

// refresh takes newer metadata from the first provider that has it.
func (s *Service) refresh(ctx context.Context, m *dbapi.Meta, p *dbapi.Placement) *dbapi.Meta {
	for _, pr := range p.Providers {
		var ref dbapi.Ref
		if err := s.call(ctx, pr, http.MethodGet, idPath(m.ID)+"/meta", nil, &ref); err != nil {
			continue
		}
		if ref.Verify() != nil || ref.Meta.ID != m.ID {
			continue
		}
		if ref.Meta.Version > m.Version {
			if err := s.storeRef(&ref); err == nil {
				m = ref.Meta
			}
		}
		return m
	}
	return m
}

// remoteGet reads a row from the providers, one after another, until one
// answers with a row that verifies. A denial is final (every provider
// holds the same ACL).
func (s *Service) remoteGet(ctx context.Context, m *dbapi.Meta, p *dbapi.Placement, key string) (*dbapi.Change, error) {
	var errs []error
	for _, pr := range p.Providers {
		var c dbapi.Change
		err := s.call(ctx, pr, http.MethodGet, idPath(m.ID)+"/row?key="+url.QueryEscape(key), nil, &c)
		if err == nil {
			s.bookUsed(pr)
			if c.Key != key {
				err = fmt.Errorf("%w: provider %s answered with row %q for %q", dbapi.ErrInvalid, pr.Address.Hex(), c.Key, key)
			} else if err = s.verifyFresh(ctx, &m, p, &c); err == nil {
				return &c, nil
			} else {
				err = fmt.Errorf("provider %s answered with a row that does not verify: %w", pr.Address.Hex(), err)
			}
		}
		var le *localapi.Error
		if errors.As(err, &le) && le.Code == "denied" {
			return nil, fmt.Errorf("%w: %s", dbapi.ErrDenied, le.Message)
		}
		errs = append(errs, err)
	}
	for _, err := range errs {
		var le *localapi.Error
		if errors.As(err, &le) && le.Status == http.StatusNotFound && le.Code == "not_found" {
			return nil, fmt.Errorf("%w %q in dataset %s", ErrNotFound, key, m.Name)
		}
	}
	return nil, fmt.Errorf("no provider answered: %w", errors.Join(errs...))
}

// openStream opens a stream from the first provider that accepts it.
func (s *Service) openStream(ctx context.Context, m *dbapi.Meta, p *dbapi.Placement, start int, path string) (*http.Response, int, error) {
	if err := s.needNet(); err != nil {
		return nil, 0, err
	}
	var errs []error
	for i := range p.Providers {
		k := (start + i) % len(p.Providers)
		pr := p.Providers[k]
		resp, err := s.net.route.CallServiceStream(ctx, routeapi.ServiceCall{Peer: pr.PeerID, Service: ServiceName, Method: http.MethodGet, Path: path})
		if err == nil {
			s.bookUsed(pr)
			return resp, k, nil
		}
		var le *localapi.Error
		if errors.As(err, &le) && le.Code == "denied" {
			return nil, 0, fmt.Errorf("%w: %s", dbapi.ErrDenied, le.Message)
		}
		if errors.As(err, &le) && (le.Code == "not_indexed" || le.Code == "bad_request") {
			return nil, 0, le
		}
		errs = append(errs, fmt.Errorf("provider %s: %w", pr.Address.Hex(), err))
	}
	return nil, 0, fmt.Errorf("no provider answered: %w", errors.Join(errs...))
}

// remoteQuery answers a query from the first provider whose every row
// verifies (queryRows), so that a provider that altered or mangled a row
// is passed over rather than cutting the answer short unnoticed.
func (s *Service) remoteQuery(w http.ResponseWriter, r *http.Request, m *dbapi.Meta, p *dbapi.Placement) {
	rows, err := s.queryRows(r.Context(), m, p, r.URL.RawQuery)
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	st := localapi.NewStream(w)
	for _, c := range rows {
		if st.Send(c) != nil {
			return
		}
	}
}

// queryRows runs a query on the providers in turn until one answers with
// rows that all verify. The answer is held whole before it is passed on,
// which bounds a query's answer by memory, as the engine's own does.
func (s *Service) queryRows(ctx context.Context, m *dbapi.Meta, p *dbapi.Placement, rawQuery string) ([]*dbapi.Change, error) {
	var errs []error
	for next := 0; next < len(p.Providers); {
		resp, k, err := s.openStream(ctx, m, p, next, idPath(m.ID)+"/query?"+rawQuery)
		if err != nil {
			return nil, err // none answered, or the query is refused
		}
		if k < next {
			// openStream wrapped around to one already passed over.
			resp.Body.Close()
			break
		}
		rows, err := s.readRows(ctx, &m, p, resp)
		if err == nil {
			return rows, nil
		}
		s.net.log.Warn("provider answered a query with a bad row", "provider", p.Providers[k].Address, "err", err)
		errs = append(errs, fmt.Errorf("provider %s: %w", p.Providers[k].Address.Hex(), err))
		next = k + 1
	}
	return nil, fmt.Errorf("%w: no provider answered with rows that verify: %w", dbapi.ErrSignature, errors.Join(errs...))
}

// readRows reads a query's NDJSON answer, checking every row.
func (s *Service) readRows(ctx context.Context, m **dbapi.Meta, p *dbapi.Placement, resp *http.Response) ([]*dbapi.Change, error) {
	defer resp.Body.Close()
	out := []*dbapi.Change{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4*dbapi.MaxValue)
	for sc.Scan() {
		var c dbapi.Change
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, err
		}
		if err := s.verifyFresh(ctx, m, p, &c); err != nil {
			return nil, err
		}
		out = append(out, &c)
	}
	return out, sc.Err()
}

// remoteWatch follows a dataset's changes from a provider, each checked;
// when the provider goes away it resumes from the next one at the version
// seen so far, so the watcher gets no gap and nothing twice.
func (s *Service) remoteWatch(w http.ResponseWriter, r *http.Request, m *dbapi.Meta, p *dbapi.Placement, from dbapi.Version) {
	ctx := r.Context()
	seen := from.Clone()
	var st *localapi.Stream
	start := 0
	for ctx.Err() == nil {
		resp, k, err := s.openStream(ctx, m, p, start, idPath(m.ID)+"/watch?from="+url.QueryEscape(seen.String()))
		if err != nil {
			if st == nil {
				localapi.WriteError(w, err)
				return
			}
			// Every provider is away: try again shortly.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		if st == nil {
			st = localapi.NewStream(w)
		}
		start = k + 1
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 4*dbapi.MaxValue)
		for sc.Scan() {
			var ev dbapi.WatchEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Change == nil {
				break
			}
			c := ev.Change
			if c.Seq <= seen[c.Writer] {
				continue // already seen from another provider
			}
			if c.Seq != seen[c.Writer]+1 {
				s.net.log.Warn("provider sent a change out of order", "provider", p.Providers[k].Address)
				break
			}
			if err := s.verifyFresh(ctx, &m, p, c); err != nil {
				// Signed by its writer but not allowed by the metadata now
				// (a right revoked since): passed over, as the reader would.
				if errors.Is(err, dbapi.ErrDenied) && c.Verify() == nil {
					seen[c.Writer] = c.Seq
					continue
				}
				s.net.log.Warn("provider sent a change that does not verify", "provider", p.Providers[k].Address, "err", err)
				break
			}
			seen[c.Writer] = c.Seq
			if st.Send(dbapi.WatchEvent{Change: c, Version: seen}) != nil {
				resp.Body.Close()
				return
			}
		}
		resp.Body.Close()
	}
}

// remoteDigest asks the first provider that answers.
func (s *Service) remoteDigest(ctx context.Context, m *dbapi.Meta, p *dbapi.Placement) (*dbapi.Digest, error) {
	var errs []error
	for _, pr := range p.Providers {
		var d dbapi.Digest
		if err := s.call(ctx, pr, http.MethodGet, idPath(m.ID)+"/digest", nil, &d); err != nil {
			errs = append(errs, err)
			continue
		}
		return &d, nil
	}
	return nil, fmt.Errorf("no provider answered: %w", errors.Join(errs...))
}

// apiProviderDigests asks every provider of a dataset for its digest.
func (s *Service) apiProviderDigests(w http.ResponseWriter, r *http.Request) (any, error) {
	m, err := s.dataset(r)
	if err != nil {
		return nil, err
	}
	p, err := s.e.Placement(m.ID)
	if err != nil {
		return nil, err
	}
	out := make([]dbapi.ProviderDigest, len(p.Providers))
	var wg sync.WaitGroup
	for i, pr := range p.Providers {
		out[i].Provider = pr
		if pr.Address == s.self {
			if d, err := s.e.Digest(m.ID); err != nil {
				out[i].Error = err.Error()
			} else {
				out[i].Digest = d
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var d dbapi.Digest
			if err := s.call(r.Context(), pr, http.MethodGet, idPath(m.ID)+"/digest", nil, &d); err != nil {
				out[i].Error = err.Error()
			} else {
				out[i].Digest = &d
			}
		}()
	}
	wg.Wait()
	return out, nil
}

// Anti-entropy. Each round, for every dataset with a placement, this node
// compares its digest with each provider's: it sends what a provider
// lacks of what it holds (a writer's own changes, or a provider's all),
// and, when it is a provider itself, takes what it lacks. Newer metadata
// travels first, since changes are checked against it.

// RunSync runs anti-entropy rounds until ctx ends: one at once (a
// provider that restarts catches up before anything else), then every
// syncEvery.
func (s *Service) RunSync(ctx context.Context) {
	if s.net == nil || s.net.syncEvery <= 0 {
		return
	}
	t := time.NewTicker(s.net.syncEvery)
	defer t.Stop()
	for {
		if _, err := s.SyncOnce(ctx); err != nil && ctx.Err() == nil {
			s.net.log.Debug("anti-entropy round", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) apiSync(w http.ResponseWriter, r *http.Request) (any, error) {
	if err := s.needNet(); err != nil {
		return nil, err
	}
	return s.SyncOnce(r.Context())
}

// SyncOnce runs one anti-entropy round over every placed dataset.
func (s *Service) SyncOnce(ctx context.Context) (*dbapi.SyncResult, error) {
	s.net.syncMu.Lock()
	defer s.net.syncMu.Unlock()
	res := &dbapi.SyncResult{}
	var ids []dbapi.ID
	err := s.e.db.Scan([]byte{pPlacement}, func(k, _ []byte) error {
		if len(k) == 33 {
			ids = append(ids, dbapi.ID(k[1:]))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		p, err := s.e.Placement(id)
		if err != nil {
			continue
		}
		m, err := s.e.Meta(id)
		if err != nil {
			continue
		}
		res.Datasets++
		for _, pr := range p.Providers {
			if pr.Address == s.self {
				continue
			}
			got, sent, err := s.syncWith(ctx, m, p, pr)
			res.Received += got
			res.Sent += sent
			if err != nil {
				res.Errors = append(res.Errors, err.Error())
			}
		}
	}
	return res, nil
}

// syncWith brings this node and one provider of m level.
func (s *Service) syncWith(ctx context.Context, m *dbapi.Meta, p *dbapi.Placement, pr dbapi.Provider) (got, sent int, err error) {
	provider := p.Has(s.self)
	{
		// Newer metadata or placement (both owner-signed) from the
		// provider, whatever this node's role.
		var ref dbapi.Ref
		if err := s.call(ctx, pr, http.MethodGet, idPath(m.ID)+"/meta", nil, &ref); err != nil {
			return 0, 0, err
		}
		if ref.Verify() == nil && ref.Meta.ID == m.ID {
			if err := s.storeRef(&ref); err != nil {
				return 0, 0, err
			}
			if n, err := s.e.Meta(m.ID); err == nil {
				m = n
			}
		}
	}
	// The provider may hold older metadata than ours (it missed a grant).
	if mine, err := s.refOf(m.ID); err == nil && mine.Placement != nil {
		_ = s.call(ctx, pr, http.MethodPost, "/v0/meta", mine, nil)
	}
	var theirs dbapi.Digest
	if err := s.call(ctx, pr, http.MethodGet, idPath(m.ID)+"/digest", nil, &theirs); err != nil {
		return 0, 0, err
	}
	for range 64 { // bounded: each turn moves up to MaxApply changes
		mine, err := s.e.Version(m.ID)
		if err != nil {
			return got, sent, err
		}
		ahead, behind := false, false
		for w, v := range mine {
			if v > theirs.Version[w] {
				ahead = true
			}
		}
		for w, v := range theirs.Version {
			if v > mine[w] {
				behind = true
			}
		}
		moved := false
		if behind && provider {
			var cs []*dbapi.Change
			if err := s.call(ctx, pr, http.MethodPost, idPath(m.ID)+"/missing", dbapi.MissingRequest{Version: mine}, &cs); err != nil {
				return got, sent, err
			}
			if len(cs) > 0 {
				if _, err := s.e.ApplyBatch(cs); err != nil {
					return got, sent, fmt.Errorf("changes from provider %s: %w", pr.Address.Hex(), err)
				}
				got += len(cs)
				moved = true
			}
		}
		if ahead {
			cs, err := s.e.Missing(m.ID, theirs.Version, MaxApply)
			if err != nil {
				return got, sent, err
			}
			if len(cs) > 0 {
				if _, err := s.sendChanges(ctx, pr, m.ID, cs); err != nil {
					return got, sent, err
				}
				if !provider {
					// A provider books what a writer sends it, whoever carries it.
					s.bookUsed(pr)
					s.bookStoredUsed(pr, cs)
				}
				sent += len(cs)
				moved = true
				for _, c := range cs {
					theirs.Version = theirs.Version.Clone()
					theirs.Version[c.Writer] = max(theirs.Version[c.Writer], c.Seq)
				}
			}
		}
		if !moved {
			return got, sent, nil
		}
	}
	return got, sent, nil
}

// rowsOf is every live row of a dataset this node reads: from its
// providers when it has them (each row verified), else from the engine.
func (s *Service) rowsOf(ctx context.Context, m *dbapi.Meta) ([]*dbapi.Change, error) {
	p := s.remote(m)
	if p == nil {
		return s.e.Query(m.ID, s.self, dbapi.Query{})
	}
	return s.queryRows(ctx, m, p, "")
}

// sendChanges sends changes to a provider in their binary form and returns
// its answer.
func (s *Service) sendChanges(ctx context.Context, pr dbapi.Provider, id dbapi.ID, cs []*dbapi.Change) (*dbapi.AckResult, error) {
	if err := s.needNet(); err != nil {
		return nil, err
	}
	body := dbapi.EncodeChanges(cs)
	resp, err := s.net.route.CallServiceStream(ctx, routeapi.ServiceCall{Peer: pr.PeerID, Service: ServiceName, Method: http.MethodPost,
		Path: idPath(id) + "/changes", ContentType: localapi.OctetStream, Body: bytes.NewReader(body), Length: int64(len(body))})
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", pr.Address.Hex(), err)
	}
	defer resp.Body.Close()
	var res dbapi.AckResult
	if err := json.NewDecoder(io.LimitReader(resp.Body, routeapi.MaxServiceAnswer)).Decode(&res); err != nil {
		return nil, fmt.Errorf("provider %s: bad answer: %w", pr.Address.Hex(), err)
	}
	return &res, nil
}

// verifyFresh checks a row against the metadata; when the metadata says
// no, it takes newer metadata from a provider once (a grant made since
// this node last looked) and checks again.
func (s *Service) verifyFresh(ctx context.Context, m **dbapi.Meta, p *dbapi.Placement, c *dbapi.Change) error {
	err := dbapi.VerifyRow(*m, c.Key, c)
	if err == nil || !errors.Is(err, dbapi.ErrDenied) {
		return err
	}
	if n := s.refresh(ctx, *m, p); n.Version > (*m).Version {
		*m = n
		return dbapi.VerifyRow(n, c.Key, c)
	}
	return err
}

// freshFor returns the metadata a write of ops to m is checked against:
// when m lives on providers and does not let this node make the write, a
// provider's newer metadata (a grant made since), if it has one.
func (s *Service) freshFor(ctx context.Context, m *dbapi.Meta, keys []string, ops []dbapi.Op) *dbapi.Meta {
	p := s.remote(m)
	if p == nil {
		return m
	}
	for i, op := range ops {
		for _, right := range op.Rights() {
			if m.Allowed(right, s.self, keys[i]) != nil {
				return s.refresh(ctx, m, p)
			}
		}
	}
	return m
}

// apiCheck asks every provider for one row and checks each answer: what a
// reader who cares does, since one provider's answer cannot show that it
// is the latest or that nothing was withheld, and a provider that alters a
// row is caught by its writer's signature.
func (s *Service) apiCheck(w http.ResponseWriter, r *http.Request) (any, error) {
	m, err := s.dataset(r)
	if err != nil {
		return nil, err
	}
	key := r.URL.Query().Get("key")
	if key == "" {
		return nil, localapi.BadRequest("give the row's key: ?key=K")
	}
	p, err := s.e.Placement(m.ID)
	if err != nil {
		return nil, err
	}
	out := make([]dbapi.RowCheck, len(p.Providers))
	var wg sync.WaitGroup
	for i, pr := range p.Providers {
		out[i].Provider = pr
		if pr.Address == s.self {
			out[i].Error = "this node"
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c dbapi.Change
			if err := s.call(r.Context(), pr, http.MethodGet, idPath(m.ID)+"/row?key="+url.QueryEscape(key), nil, &c); err != nil {
				out[i].Error = err.Error()
				if errors.Is(err, dbapi.ErrSignature) || errors.Is(err, dbapi.ErrInvalid) {
					// A change is checked as it is decoded.
					out[i].Error = "does not verify: " + err.Error()
				}
				return
			}
			out[i].Writer, out[i].Seq, out[i].Time = c.Writer, c.Seq, c.Time
			if c.Key != key {
				out[i].Error = fmt.Sprintf("answered with row %q", c.Key)
			} else if err := dbapi.VerifyRow(m, key, &c); err != nil {
				out[i].Error = "does not verify: " + err.Error()
			} else {
				out[i].OK = true
			}
		}()
	}
	wg.Wait()
	return out, nil
}

// sentChanges are changes sent to providers, with what their answers are
// checked against, worked out once: each change's batch root and the
// court promise a provider makes for it.
type sentChanges struct {
	cs      []*dbapi.Change
	roots   []common.Hash // zero: signed alone
	batched []bool
	byRef   map[string]int
	// promises are worked out when the first claims arrive.
	promiseOnce sync.Once
	promises    []promiseOf
}

type promiseOf struct {
	key, root common.Hash
	chunks    uint64
}

// newSentChanges works out what answers to cs are checked against. The
// changes are this node's own, just signed: the changes of one batch
// carry one signature over one root, worked out once.
func newSentChanges(cs []*dbapi.Change) *sentChanges {
	s := &sentChanges{cs: cs, roots: make([]common.Hash, len(cs)), batched: make([]bool, len(cs)), byRef: make(map[string]int, len(cs))}
	bySig := map[string]common.Hash{}
	for i, c := range cs {
		s.byRef[string(changeRef(c))] = i
		if c.Proof == nil {
			continue
		}
		sig := string(c.Sig) + string(u64(uint64(c.Proof.Count)))
		r, ok := bySig[sig]
		if !ok {
			h, batched, err := c.BatchRoot()
			if err != nil || !batched {
				continue
			}
			r = common.Hash(h)
			bySig[sig] = r
		}
		s.roots[i], s.batched[i] = r, true
	}
	return s
}

// covered is Ack.Covers for change i.
func (s *sentChanges) covered(a *dbapi.Ack, i int) bool {
	c := s.cs[i]
	if c.Dataset != a.Dataset || c.Writer != a.Writer || c.Seq < a.FromSeq || c.Seq > a.ToSeq {
		return false
	}
	if a.Root == (common.Hash{}) {
		return true
	}
	return s.batched[i] && s.roots[i] == a.Root
}

// promise is what a provider promises for change i (dbapi.PromiseOf).
func (s *sentChanges) promise(i int) promiseOf {
	s.promiseOnce.Do(func() {
		s.promises = make([]promiseOf, len(s.cs))
		par.Each(len(s.cs), func(i int) {
			k, r, n := dbapi.PromiseOf(s.cs[i])
			s.promises[i] = promiseOf{k, r, n}
		})
	})
	return s.promises[i]
}
