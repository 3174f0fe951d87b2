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

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/swap"
)

// The local API of mf-court, on $MF_HOME/court.sock:
//
//	POST /v0/stakes               StakeRequest → Agreement
//	GET  /v0/stakes               []Agreement this node provides or is client of
//	POST /v0/unstake              IDRequest → Agreement
//	POST /v0/promises             PromiseRequest → Claim (give it to the client)
//	POST /v0/panels               PanelRequest → Claim naming witnesses
//	POST /v0/cases                CaseRequest → CaseInfo
//	GET  /v0/cases/{id}           CaseInfo
//	GET  /v0/cases                []CaseInfo this node opened or answered
//	GET  /v0/record/{address}     Record: verdicts for and against

// Agreement is a staked service agreement.
type Agreement struct {
	ID       string `json:"id"`
	Service  string `json:"service"`
	Provider string `json:"provider"`
	Client   string `json:"client"`
	Amount   string `json:"amount"`
	Term     int64  `json:"term"`
	Status   string `json:"status"`
	CaseOpen bool   `json:"case_open"`
}

// StakeRequest stakes Amount (base units) for Service with Client until
// Term (unix seconds).
type StakeRequest struct {
	Service string `json:"service"`
	Client  string `json:"client"`
	Amount  string `json:"amount"`
	Term    int64  `json:"term"`
}

// IDRequest names an agreement or case.
type IDRequest struct {
	ID string `json:"id"`
}

// PromiseRequest: the provider promises to hold Data under Key for an
// agreement.
type PromiseRequest struct {
	Agreement string `json:"agreement"`
	Key       string `json:"key"`
	Data      []byte `json:"data"`
}

// Claim is what a client opens a promise case with: the provider's signed
// promise.
//
// A witness claim instead names a panel of witnesses (which the provider
// signed, so that a client cannot pack the panel) and has no key or hash.
type Claim struct {
	Agreement string   `json:"agreement"`
	Key       string   `json:"key,omitempty"`  // 32 bytes hex
	Hash      string   `json:"hash,omitempty"` // keccak256 of the data, 32 bytes hex
	Witnesses []string `json:"witnesses,omitempty"`
	Signature string   `json:"signature"`
}

// PanelRequest: the provider agrees to a panel of witnesses for an
// agreement.
type PanelRequest struct {
	Agreement string   `json:"agreement"`
	Witnesses []string `json:"witnesses"`
}

// CaseRequest opens a case.
type CaseRequest struct {
	Claim Claim `json:"claim"`
}

// CaseInfo is a case as the court records it.
type CaseInfo struct {
	ID        string `json:"id"`
	Agreement string `json:"agreement"`
	Kind      string `json:"kind"`
	Status    string `json:"status"`
	Plaintiff string `json:"plaintiff"`
	Provider  string `json:"provider"`
	Deadline  int64  `json:"deadline"`
}

// Record is an address's trust record.
type Record struct {
	Address string `json:"address"`
	Against uint64 `json:"verdicts_against"`
	For     uint64 `json:"verdicts_for"`
}

// Handler is the local API.
func (s *Service) Handler() http.Handler {
	m := http.NewServeMux()
	m.Handle("POST /v0/stakes", localapi.Handle(s.apiStake))
	m.Handle("GET /v0/stakes", localapi.Handle(s.apiStakes))
	m.Handle("POST /v0/unstake", localapi.Handle(s.apiUnstake))
	m.Handle("POST /v0/promises", localapi.Handle(s.apiPromise))
	m.Handle("POST /v0/panels", localapi.Handle(s.apiPanel))
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
	amount, ok := new(big.Int).SetString(req.Amount, 10)
	if !ok || amount.Sign() <= 0 || amount.BitLen() > 256 {
		return nil, localapi.BadRequest("amount must be a positive whole number of base units below 2^256")
	}
	if now := time.Now(); req.Term <= now.Unix() || req.Term > now.Add(MaxTerm).Unix() {
		return nil, localapi.BadRequest("term must be a unix time in the future and at most %d days ahead, not %d", int(MaxTerm.Hours()/24), req.Term)
	}
	id, err := chain.Stake(r.Context(), s.eth, s.auth, s.registry, svc, common.HexToAddress(req.Client), amount, time.Unix(req.Term, 0))
	if err != nil {
		if errors.Is(err, chain.ErrBalance) {
			// In MFT, as the user typed it: chain's error has base units.
			return nil, localapi.BadRequest("stake of %s MFT is above balance: the wallet holds %s MFT", swap.FormatAmount(amount), s.walletMFT(r.Context()))
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
	if err := localapi.DecodeBody(w, r, &req, 2*maxPromise+64<<10); err != nil {
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
	key := crypto.Keccak256Hash([]byte(req.Key))
	hash := crypto.Keccak256Hash(req.Data)
	sig, err := chain.SignPromise(s.key, s.chainID, s.court, id, key, hash)
	if err != nil {
		return nil, err
	}
	// The data is kept before the promise leaves: a case can only come
	// after this node can answer it.
	if err := s.db.Set(promiseKey(id, key), req.Data); err != nil {
		return nil, err
	}
	return Claim{Agreement: id.String(), Key: hex.EncodeToString(key[:]), Hash: hex.EncodeToString(hash[:]), Signature: hex.EncodeToString(sig)}, nil
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
	if len(req.Claim.Witnesses) > 0 {
		return s.openWitnessCase(r, id, req.Claim)
	}
	key, err := decode32(req.Claim.Key, "key")
	if err != nil {
		return nil, err
	}
	hash, err := decode32(req.Claim.Hash, "hash")
	if err != nil {
		return nil, err
	}
	sig, err := hex.DecodeString(req.Claim.Signature)
	if err != nil || len(sig) != 65 {
		return nil, localapi.BadRequest("claim signature must be 130 hex digits")
	}
	caseID, err := chain.OpenPromiseCase(r.Context(), s.eth, s.auth, s.court, id, key, hash, sig)
	if err != nil {
		return nil, localapi.Errorf(http.StatusConflict, "refused", "the court refused the case: %v", err)
	}
	c, err := s.crt.Cases(s.call(r.Context()), caseID)
	if err == nil {
		b := s.db.NewBatch()
		b.Set([]byte("mycase/"+caseID.String()), []byte(itoa(c.Deadline)))
		b.Set([]byte("case/"+caseID.String()), nil)
		_ = b.Commit()
	}
	return s.caseInfo(r, caseID)
}

func (s *Service) caseInfo(r *http.Request, id *big.Int) (*CaseInfo, error) {
	c, err := s.crt.Cases(s.call(r.Context()), id)
	if err != nil {
		return nil, err
	}
	if c.Status == uint8(chain.CaseNone) {
		return nil, localapi.NotFound("no case %s", id)
	}
	return &CaseInfo{ID: id.String(), Agreement: c.AgreementId.String(), Kind: chain.CaseKind(c.Kind).String(), Status: chain.CaseStatus(c.Status).String(),
		Plaintiff: c.Plaintiff.Hex(), Provider: c.Provider.Hex(), Deadline: int64(c.Deadline)}, nil
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

func parsePanel(ws []string) ([]common.Address, error) {
	if len(ws) == 0 || len(ws) > chain.MaxWitnesses || len(ws)%2 == 0 {
		return nil, localapi.BadRequest("a panel is an odd number of witnesses, at most %d", chain.MaxWitnesses)
	}
	var out []common.Address
	for _, w := range ws {
		if !common.IsHexAddress(w) {
			return nil, localapi.BadRequest("witness %q is not an Ethereum address", w)
		}
		out = append(out, common.HexToAddress(w))
	}
	return out, nil
}

func (s *Service) apiPanel(w http.ResponseWriter, r *http.Request) (any, error) {
	var req PanelRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	id, err := parseID(req.Agreement)
	if err != nil {
		return nil, err
	}
	panel, err := parsePanel(req.Witnesses)
	if err != nil {
		return nil, err
	}
	a, err := s.agreement(r, id)
	if err != nil {
		return nil, err
	}
	if common.HexToAddress(a.Provider) != s.self {
		return nil, localapi.BadRequest("agreement %s is provided by %s, not by this node", id, a.Provider)
	}
	sig, err := chain.SignPanel(s.key, s.chainID, s.court, id, panel)
	if err != nil {
		return nil, err
	}
	return Claim{Agreement: id.String(), Witnesses: req.Witnesses, Signature: hex.EncodeToString(sig)}, nil
}

func (s *Service) openWitnessCase(r *http.Request, id *big.Int, claim Claim) (any, error) {
	panel, err := parsePanel(claim.Witnesses)
	if err != nil {
		return nil, err
	}
	sig, err := hex.DecodeString(claim.Signature)
	if err != nil || len(sig) != 65 {
		return nil, localapi.BadRequest("claim signature must be 130 hex digits")
	}
	caseID, err := chain.OpenWitnessCase(r.Context(), s.eth, s.auth, s.court, id, panel, sig)
	if err != nil {
		return nil, localapi.Errorf(http.StatusConflict, "refused", "the court refused the case: %v", err)
	}
	_ = s.db.Set([]byte("case/"+caseID.String()), nil)
	if c, err := s.crt.Cases(s.call(r.Context()), caseID); err == nil {
		_ = s.db.Set([]byte("mycase/"+caseID.String()), []byte(itoa(c.Deadline)))
	}
	return s.caseInfo(r, caseID)
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
	return swap.FormatAmount(have)
}
