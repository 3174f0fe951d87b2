package court

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/proof"
)

// The endpoints of the local API are listed in courtapi's package doc,
// beside the types and the client.

// Handler is the local API.
func (s *Service) Handler() http.Handler {
	m := http.NewServeMux()
	m.Handle("POST /v0/stakes", localapi.Handle(s.apiStake))
	m.Handle("GET /v0/stakes", localapi.Handle(s.apiStakes))
	m.Handle("POST /v0/unstake", localapi.Handle(s.apiUnstake))
	m.Handle("GET /v0/agreements/{id}", localapi.Handle(s.apiAgreement))
	m.Handle("POST /v0/promises", localapi.Handle(s.apiPromise))
	m.Handle("GET /v0/witness", localapi.Handle(s.apiWitness))
	m.Handle("POST /v0/witness", localapi.Handle(s.apiWitnessJoin))
	m.Handle("GET /remote/v0/chunks", localapi.Handle(s.apiRemoteChunks))
	m.Handle("POST /v0/cases", localapi.Handle(s.apiOpenCase))
	m.Handle("GET /v0/cases/{id}", localapi.Handle(s.apiCase))
	m.Handle("GET /v0/cases", localapi.Handle(s.apiCases))
	m.Handle("GET /v0/record/{address}", localapi.Handle(s.apiRecord))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		localapi.WriteError(w, localapi.NotFound("no endpoint %s %s", r.Method, r.URL.Path))
	})
	return m
}

func parseID(s string) (*big.Int, error) {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok || v.Sign() <= 0 || v.BitLen() > 256 {
		return nil, localapi.BadRequest("an id is a positive whole number, not %q", s)
	}
	return v, nil
}

func (s *Service) agreement(r *http.Request, id *big.Int) (*Agreement, error) {
	a, err := s.reg.Agreements(s.call(r.Context()), id)
	if err != nil {
		return nil, err
	}
	if a.Status == uint8(chain.AgreementNone) {
		return nil, localapi.NotFound("no agreement %s", id)
	}
	return &Agreement{ID: id.String(), Service: chain.ServiceName(a.Service), Provider: a.Provider.Hex(), Client: a.Client.Hex(),
		Amount: a.Amount.String(), Term: int64(a.Term), Status: chain.AgreementStatus(a.Status).String(), CaseOpen: a.CaseOpen}, nil
}

// MaxTerm bounds how long a stake can be locked for one agreement: past
// that, a typo (or 2^63 seconds) would lock the provider's MFT for good.
const MaxTerm = 10 * 365 * 24 * time.Hour

func (s *Service) apiStake(w http.ResponseWriter, r *http.Request) (any, error) {
	var req StakeRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	svc, err := chain.ServiceID(req.Service)
	if err != nil {
		return nil, localapi.BadRequest("%v", err)
	}
	if !common.IsHexAddress(req.Client) {
		return nil, localapi.BadRequest("client %q is not an Ethereum address", req.Client)
	}
	v, ok := new(big.Int).SetString(req.Amount, 10)
	if !ok || v.Sign() <= 0 || v.BitLen() > 256 {
		return nil, localapi.BadRequest("amount must be a positive whole number of base units below 2^256")
	}
	if now := time.Now(); req.Term <= now.Unix() || req.Term > now.Add(MaxTerm).Unix() {
		return nil, localapi.BadRequest("term must be a unix time in the future and at most %d days ahead, not %d", int(MaxTerm.Hours()/24), req.Term)
	}
	id, err := chain.Stake(r.Context(), s.eth, s.auth, s.registry, svc, common.HexToAddress(req.Client), v, time.Unix(req.Term, 0))
	if err != nil {
		if errors.Is(err, chain.ErrBalance) {
			// In MFT, as the user typed it: chain's error has base units.
			return nil, localapi.BadRequest("stake of %s MFT is above balance: the wallet holds %s MFT", amount.Format(v), s.walletMFT(r.Context()))
		}
		return nil, localapi.BadRequest("%v", err)
	}
	_ = s.db.Set([]byte("agreement/"+id.String()), nil)
	return s.agreement(r, id)
}

func (s *Service) apiStakes(w http.ResponseWriter, r *http.Request) (any, error) {
	out := []Agreement{}
	var ids []*big.Int
	_ = s.db.Scan([]byte("agreement/"), func(k, _ []byte) error {
		if id, ok := new(big.Int).SetString(string(k[len("agreement/"):]), 10); ok {
			ids = append(ids, id)
		}
		return nil
	})
	for _, id := range ids {
		if a, err := s.agreement(r, id); err == nil {
			out = append(out, *a)
		}
	}
	return out, nil
}

func (s *Service) apiUnstake(w http.ResponseWriter, r *http.Request) (any, error) {
	var req IDRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	id, err := parseID(req.ID)
	if err != nil {
		return nil, err
	}
	tx, err := s.reg.Unstake(s.txOpts(r.Context()), id)
	if err == nil {
		_, err = chain.Wait(r.Context(), s.eth, tx)
	}
	if err != nil {
		return nil, localapi.Errorf(http.StatusConflict, "refused", "unstake refused: %v", err)
	}
	return s.agreement(r, id)
}

func (s *Service) apiPromise(w http.ResponseWriter, r *http.Request) (any, error) {
	var req PromiseRequest
	if err := localapi.DecodeBody(w, r, &req, maxPromise*4/3+64<<10); err != nil {
		return nil, err
	}
	id, err := parseID(req.Agreement)
	if err != nil {
		return nil, err
	}
	if req.Key == "" || len(req.Key) > 255 || len(req.Data) > maxPromise {
		return nil, localapi.BadRequest("a promise needs a key of 1-255 bytes and at most %d bytes of data", maxPromise)
	}
	a, err := s.agreement(r, id)
	if err != nil {
		return nil, err
	}
	if common.HexToAddress(a.Provider) != s.self {
		return nil, localapi.BadRequest("agreement %s is provided by %s, not by this node", id, a.Provider)
	}
	p := chain.Promise{Agreement: id, Key: crypto.Keccak256Hash([]byte(req.Key))}
	if req.Root != "" || req.Chunks != 0 {
		// Data the agreement's service holds: it must prove a chunk of it
		// before this node signs, so no promise leaves that the node
		// cannot answer.
		if len(req.Data) > 0 {
			return nil, localapi.BadRequest("a promise gives either data or a root and chunk count, not both")
		}
		if p.Root, err = decode32(req.Root, "root"); err != nil {
			return nil, err
		}
		if req.Chunks == 0 || req.Chunks > proof.MaxChunks {
			return nil, localapi.BadRequest("a promise's chunks must be 1 to %d", proof.MaxChunks)
		}
		p.Chunks = req.Chunks
		idx := []uint64{0, req.Chunks - 1}
		ans, err := s.serviceProofs(r.Context(), a.Service, p.Key, idx)
		if err == nil {
			err = proof.VerifyChunks(p.Root, p.Chunks, idx, ans)
		}
		if err != nil {
			return nil, localapi.Errorf(http.StatusConflict, "unproven", "mf-%s does not prove the data of this promise: %v", a.Service, err)
		}
		sig, err := chain.SignPromise(s.key, s.chainID, s.court, p)
		if err != nil {
			return nil, err
		}
		return Claim{Agreement: id.String(), Key: hex.EncodeToString(p.Key[:]), Root: hex.EncodeToString(p.Root[:]), Chunks: p.Chunks, Signature: hex.EncodeToString(sig)}, nil
	}
	tree := proof.FromBytes(req.Data)
	p.Root, p.Chunks = tree.Root(), tree.Chunks()
	sig, err := chain.SignPromise(s.key, s.chainID, s.court, p)
	if err != nil {
		return nil, err
	}
	// The data is kept before the promise leaves: a case can only come
	// after this node can answer it.
	if err := s.db.Set(promiseKey(id, p.Key), req.Data); err != nil {
		return nil, err
	}
	return Claim{Agreement: id.String(), Key: hex.EncodeToString(p.Key[:]), Root: hex.EncodeToString(p.Root[:]), Chunks: p.Chunks, Signature: hex.EncodeToString(sig)}, nil
}

func decode32(s, what string) ([32]byte, error) {
	var out [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return out, localapi.BadRequest("claim %s must be 64 hex digits", what)
	}
	copy(out[:], b)
	return out, nil
}

// ParseClaim checks a claim file's shape.
func ParseClaim(b []byte) (*Claim, error) {
	var c Claim
	dec := json.NewDecoder(bytesReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, localapi.BadRequest("the claim is not well-formed: %v", err)
	}
	return &c, nil
}

func (s *Service) apiOpenCase(w http.ResponseWriter, r *http.Request) (any, error) {
	var req CaseRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	id, err := parseID(req.Claim.Agreement)
	if err != nil {
		return nil, err
	}
	p, sig, err := s.checkClaim(r, id, req.Claim)
	if err != nil {
		return nil, err
	}
	var caseID *big.Int
	kind := chain.PromiseCase
	if req.Witnesses != 0 {
		if req.Witnesses < 0 || req.Witnesses%2 == 0 || req.Witnesses > chain.MaxWitnesses {
			return nil, localapi.BadRequest("a panel is an odd number of witnesses, at most %d, not %d", chain.MaxWitnesses, req.Witnesses)
		}
		if err := s.checkPool(r, id, req.Witnesses); err != nil {
			return nil, err
		}
		kind = chain.WitnessCase
		caseID, err = chain.OpenWitnessCase(r.Context(), s.eth, s.auth, s.court, p, sig, req.Witnesses)
	} else {
		caseID, err = chain.OpenPromiseCase(r.Context(), s.eth, s.auth, s.court, p, sig)
	}
	if err != nil {
		return nil, localapi.Errorf(http.StatusConflict, "refused", "the court refused the case: %v", err)
	}
	b := s.db.NewBatch()
	b.Set([]byte("case/"+caseID.String()), nil)
	if c, err := s.crt.Cases(s.call(r.Context()), caseID); err == nil {
		b.Set([]byte("mycase/"+caseID.String()), []byte(itoa(c.Deadline)))
	}
	_ = b.Commit()
	// Fix the seed (draw the panel) as soon as the next block allows, so
	// that nobody can wait for the seed block to fall out of reach.
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), seedWait)
		defer cancel()
		if err := s.draw(ctx, caseID, kind); err != nil {
			s.log.Warn("fixing the seed of a case", "case", caseID, "err", err)
		}
	}()
	return s.caseInfo(r, caseID)
}

// checkClaim checks a claim's form and its signature before anything is
// sent: a claim not signed by the agreement's provider, for this court and
// chain, would only be refused on chain.
func (s *Service) checkClaim(r *http.Request, id *big.Int, c Claim) (chain.Promise, []byte, error) {
	p := chain.Promise{Agreement: id, Chunks: c.Chunks}
	var err error
	if p.Key, err = decode32(c.Key, "key"); err != nil {
		return p, nil, err
	}
	if p.Root, err = decode32(c.Root, "root"); err != nil {
		return p, nil, err
	}
	if c.Chunks == 0 || c.Chunks > proof.MaxChunks {
		return p, nil, localapi.BadRequest("claim chunks must be 1 to %d", proof.MaxChunks)
	}
	sig, err := hex.DecodeString(c.Signature)
	if err != nil || len(sig) != 65 {
		return p, nil, localapi.BadRequest("claim signature must be 130 hex digits")
	}
	a, err := s.agreement(r, id)
	if err != nil {
		return p, nil, err
	}
	d, err := chain.PromiseDigest(s.chainID, s.court, p)
	if err != nil {
		return p, nil, localapi.BadRequest("%v", err)
	}
	signer, err := chain.RecoverSigner(d, sig)
	if err != nil || signer != common.HexToAddress(a.Provider) {
		return p, nil, localapi.BadRequest("the claim is not signed by agreement %s's provider %s for this court", id, a.Provider)
	}
	return p, sig, nil
}

// checkPool refuses a witness case the pool cannot staff: the court draws
// from the pool without the two parties.
func (s *Service) checkPool(r *http.Request, id *big.Int, size int) error {
	a, err := s.agreement(r, id)
	if err != nil {
		return err
	}
	pool, err := s.crt.WitnessPool(s.call(r.Context()))
	if err != nil {
		return err
	}
	n := 0
	for _, w := range pool {
		if w != common.HexToAddress(a.Provider) && w != s.self {
			n++
		}
	}
	if n < size {
		return localapi.Errorf(http.StatusConflict, "refused", "the witness pool has %d members besides the parties, fewer than the %d asked for", n, size)
	}
	return nil
}

func (s *Service) caseInfo(r *http.Request, id *big.Int) (*CaseInfo, error) {
	c, err := s.crt.Cases(s.call(r.Context()), id)
	if err != nil {
		return nil, err
	}
	if c.Status == uint8(chain.CaseNone) {
		return nil, localapi.NotFound("no case %s", id)
	}
	info := &CaseInfo{ID: id.String(), Agreement: c.AgreementId.String(), Kind: chain.CaseKind(c.Kind).String(), Status: chain.CaseStatus(c.Status).String(),
		Plaintiff: c.Plaintiff.Hex(), Provider: c.Provider.Hex(), Deadline: int64(c.Deadline), Root: hex.EncodeToString(c.Root[:]), Chunks: c.Chunks}
	if c.Drawn {
		ws, err := s.crt.Witnesses(s.call(r.Context()), id)
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			info.Witnesses = append(info.Witnesses, w.Hex())
		}
	}
	return info, nil
}

// apiAgreement reads any agreement from the chain, not only this node's:
// a service's client checks that the agreement a provider's promises name
// is one the provider staked for it (mf-db's writers do).
func (s *Service) apiAgreement(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return s.agreement(r, id)
}

func (s *Service) apiCase(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return s.caseInfo(r, id)
}

func (s *Service) apiRecord(w http.ResponseWriter, r *http.Request) (any, error) {
	a := r.PathValue("address")
	if !common.IsHexAddress(a) {
		return nil, localapi.BadRequest("%q is not an Ethereum address", a)
	}
	addr := common.HexToAddress(a)
	against, err := s.crt.VerdictsAgainst(s.call(r.Context()), addr)
	if err != nil {
		return nil, err
	}
	for_, err := s.crt.VerdictsFor(s.call(r.Context()), addr)
	if err != nil {
		return nil, err
	}
	return Record{Address: addr.Hex(), Against: against.Uint64(), For: for_.Uint64()}, nil
}

func (s *Service) apiCases(w http.ResponseWriter, r *http.Request) (any, error) {
	out := []CaseInfo{}
	var ids []*big.Int
	_ = s.db.Scan([]byte("case/"), func(k, _ []byte) error {
		if id, ok := new(big.Int).SetString(string(k[len("case/"):]), 10); ok {
			ids = append(ids, id)
		}
		return nil
	})
	for _, id := range ids {
		if c, err := s.caseInfo(r, id); err == nil {
			out = append(out, *c)
		}
	}
	return out, nil
}

func (s *Service) apiWitness(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.witnessInfo(r.Context())
}

func (s *Service) witnessInfo(ctx context.Context) (*WitnessInfo, error) {
	call := s.call(ctx)
	in, err1 := s.crt.IsWitness(call, s.self)
	bal, err2 := s.crt.WitnessBalance(call, s.self)
	stake, err3 := s.crt.WitnessStake(call)
	pen, err4 := s.crt.WitnessPenalty(call)
	pending, err5 := s.crt.PendingCases(call, s.self)
	pool, err6 := s.crt.WitnessPool(call)
	if err := errors.Join(err1, err2, err3, err4, err5, err6); err != nil {
		return nil, err
	}
	return &WitnessInfo{Address: s.self.Hex(), InPool: in, Balance: bal.String(), Stake: stake.String(), Penalty: pen.String(),
		Pending: pending.Uint64(), PoolSize: len(pool)}, nil
}

func (s *Service) apiWitnessJoin(w http.ResponseWriter, r *http.Request) (any, error) {
	var req WitnessRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	info, err := s.witnessInfo(r.Context())
	if err != nil {
		return nil, err
	}
	if req.Join {
		if info.InPool {
			return nil, localapi.Errorf(http.StatusConflict, "refused", "this node is already in the witness pool")
		}
		if err := chain.JoinWitnesses(r.Context(), s.eth, s.auth, s.court); err != nil {
			if errors.Is(err, chain.ErrBalance) {
				return nil, localapi.BadRequest("%v", err)
			}
			return nil, localapi.Errorf(http.StatusConflict, "refused", "joining the witness pool: %v", err)
		}
	} else {
		if !info.InPool && info.Balance == "0" {
			return nil, localapi.Errorf(http.StatusConflict, "refused", "this node is not in the witness pool")
		}
		if info.Pending > 0 {
			return nil, localapi.Errorf(http.StatusConflict, "refused", "this node is called in %d open case(s); it can leave once they close", info.Pending)
		}
		tx, err := s.crt.LeaveWitnesses(s.txOpts(r.Context()))
		if err == nil {
			_, err = chain.Wait(r.Context(), s.eth, tx)
		}
		if err != nil {
			return nil, localapi.Errorf(http.StatusConflict, "refused", "leaving the witness pool: %v", err)
		}
	}
	return s.witnessInfo(r.Context())
}

// walletMFT is this node's MFT balance, formatted, for error messages ("?"
// when it cannot be read).
func (s *Service) walletMFT(ctx context.Context) string {
	tokenAddr, err := s.reg.Token(s.call(ctx))
	if err != nil {
		return "?"
	}
	tok, err := chain.NewMFT(tokenAddr, s.eth)
	if err != nil {
		return "?"
	}
	have, err := tok.BalanceOf(s.call(ctx), s.self)
	if err != nil {
		return "?"
	}
	return amount.Format(have)
}
