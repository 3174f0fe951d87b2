package swap

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"net/http"
	"slices"
	"sort"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route"
)

// The local API of mf-swap, on $MF_HOME/swap.sock:
//
//	GET  /v0/status                 Status
//	GET  /v0/balances               []PeerBalance
//	GET  /v0/balances/{peer}        PeerBalance
//	GET  /v0/cheques                []ChequeInfo (received and issued)
//	POST /v0/cash                   CashRequest: cash a peer's cheque now
//	                                (peer: a peer ID, or a contact name, card
//	                                or overlay address that mf-route resolves)
//	POST /v0/deposit                AmountRequest: wallet → checkbook
//	POST /v0/withdraw               AmountRequest: announce, or withdraw after the notice
//	POST /v0/usage                  UsageRequest: another service books priced units
//	GET  /v0/score/{address}        Score
//	GET  /v0/manifest               Manifest
//	POST /v0/manifest               ManifestEntry: set a service's price
//	GET  /v0/manifest/{peer}        Manifest of a peer, through mf-route
//
// Peers reach, through the mf-route gateway (which sets X-Mf-Peer-*):
//
//	POST /remote/v0/invoice         Invoice → ChequeMsg
//	GET  /remote/v0/manifest        Manifest

// Status is /v0/status.
type Status struct {
	Address   string `json:"address"`
	Checkbook string `json:"checkbook"`
	ChainID   string `json:"chain_id"`
	Balance   string `json:"checkbook_balance"`
	Wallet    string `json:"wallet_balance"`
}

// PeerBalance is one peer's balance: positive, the peer owes this node.
type PeerBalance struct {
	Peer    string `json:"peer"`
	Balance string `json:"balance"`
	MFT     string `json:"balance_mft"`
	Refused bool   `json:"refused,omitempty"`
}

// ChequeInfo is a stored cheque.
type ChequeInfo struct {
	Peer        string `json:"peer"`
	Direction   string `json:"direction"` // received or issued
	Checkbook   string `json:"checkbook"`
	Beneficiary string `json:"beneficiary"`
	Cumulative  string `json:"cumulative"`
	Cashed      string `json:"cashed,omitempty"`
}

// CashRequest names a peer.
type CashRequest struct {
	Peer string `json:"peer"`
}

// AmountRequest carries an amount in base units.
type AmountRequest struct {
	Amount string `json:"amount"`
	// Replace (withdraw only) announces a new amount over a pending
	// announcement, which restarts the notice period.
	Replace bool `json:"replace,omitempty"`
}

// UsageRequest books units served to (positive) or by (negative) a peer.
type UsageRequest struct {
	Peer   string `json:"peer"`
	Amount string `json:"amount"` // base units, may be negative
}

// Handler is the local and remote API.
func (s *Service) Handler() http.Handler {
	m := http.NewServeMux()
	m.Handle("GET /v0/status", localapi.Handle(s.apiStatus))
	m.Handle("GET /v0/balances", localapi.Handle(s.apiBalances))
	m.Handle("GET /v0/balances/{peer}", localapi.Handle(s.apiBalance))
	m.Handle("GET /v0/cheques", localapi.Handle(s.apiCheques))
	m.Handle("POST /v0/cash", localapi.Handle(s.apiCash))
	m.Handle("POST /v0/deposit", localapi.Handle(s.apiDeposit))
	m.Handle("POST /v0/withdraw", localapi.Handle(s.apiWithdraw))
	m.Handle("POST /v0/usage", localapi.Handle(s.apiUsage))
	m.Handle("GET /v0/score/{address}", localapi.Handle(s.apiScore))
	m.Handle("GET /v0/manifest", localapi.Handle(s.apiManifest))
	m.Handle("POST /v0/manifest", localapi.Handle(s.apiSetManifest))
	m.Handle("GET /v0/manifest/{peer}", localapi.Handle(s.apiPeerManifest))
	m.Handle("POST /remote/v0/invoice", localapi.Handle(s.remoteInvoice))
	m.Handle("GET /remote/v0/manifest", localapi.Handle(s.apiManifest))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		localapi.WriteError(w, localapi.NotFound("no endpoint %s %s", r.Method, r.URL.Path))
	})
	return m
}

func (s *Service) call(ctx context.Context) *bind.CallOpts { return &bind.CallOpts{Context: ctx} }

func (s *Service) apiStatus(w http.ResponseWriter, r *http.Request) (any, error) {
	cbBal, err := s.token.BalanceOf(s.call(r.Context()), s.checkbook)
	if err != nil {
		return nil, err
	}
	wBal, err := s.token.BalanceOf(s.call(r.Context()), s.self)
	if err != nil {
		return nil, err
	}
	return Status{Address: s.self.Hex(), Checkbook: s.checkbook.Hex(), ChainID: s.chainID.String(), Balance: cbBal.String(), Wallet: wBal.String()}, nil
}

func (s *Service) apiBalances(w http.ResponseWriter, r *http.Request) (any, error) {
	bals, err := s.led.balances()
	if err != nil {
		return nil, err
	}
	out := []PeerBalance{}
	for p, b := range bals {
		out = append(out, PeerBalance{Peer: p, Balance: b.String(), MFT: FormatAmount(b), Refused: s.isBlocked(p)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Peer < out[j].Peer })
	return out, nil
}

func (s *Service) apiBalance(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := s.peerArg(r.Context(), r.PathValue("peer"))
	if err != nil {
		return nil, err
	}
	b, err := s.led.balance(p)
	if err != nil {
		return nil, err
	}
	return PeerBalance{Peer: p, Balance: b.String(), MFT: FormatAmount(b), Refused: s.isBlocked(p)}, nil
}

func (s *Service) apiCheques(w http.ResponseWriter, r *http.Request) (any, error) {
	out := []ChequeInfo{}
	for _, dir := range []string{"in", "out"} {
		err := s.db.Scan([]byte("chq/"+dir+"/"), func(k, v []byte) error {
			c := new(chain.Cheque)
			if c.UnmarshalBinary(v) != nil {
				return nil
			}
			peer := string(k[len("chq/"+dir+"/"):])
			ci := ChequeInfo{Peer: peer, Direction: map[string]string{"in": "received", "out": "issued"}[dir], Checkbook: c.Checkbook.Hex(), Beneficiary: c.Beneficiary.Hex(), Cumulative: c.Cumulative.String()}
			if dir == "in" {
				if cb, err := chain.NewCheckbook(c.Checkbook, s.eth); err == nil {
					if paid, err := cb.PaidOut(s.call(r.Context()), s.self); err == nil {
						ci.Cashed = paid.String()
					}
				}
			}
			out = append(out, ci)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) apiCash(w http.ResponseWriter, r *http.Request) (any, error) {
	var req CashRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	p, err := s.peerArg(r.Context(), req.Peer)
	if err != nil {
		return nil, err
	}
	if err := s.maybeCash(r.Context(), p, true); err != nil {
		return nil, err
	}
	return s.apiChequesOf(r, p)
}

func (s *Service) apiChequesOf(r *http.Request, peer string) (any, error) {
	c, err := s.lastCheque("in", peer)
	if err != nil || c == nil {
		return nil, err
	}
	// What the checkbook paid, which is less than the cheque when it bounced.
	cb, err := chain.NewCheckbook(c.Checkbook, s.eth)
	if err != nil {
		return nil, err
	}
	paid, err := cb.PaidOut(s.call(r.Context()), s.self)
	if err != nil {
		return nil, err
	}
	return ChequeInfo{Peer: peer, Direction: "received", Checkbook: c.Checkbook.Hex(), Beneficiary: c.Beneficiary.Hex(), Cumulative: c.Cumulative.String(), Cashed: paid.String()}, nil
}

// parseReqAmount reads a positive amount of base units from an API body.
func parseReqAmount(a string) (*big.Int, error) { return parseBase("amount", a, 1) }

// parseBase reads a whole number of base units of at least min (0 or 1)
// and below 2^256.
func parseBase(what, a string, min int) (*big.Int, error) {
	v, ok := new(big.Int).SetString(a, 10)
	if !ok || v.Sign() < min || v.Cmp(maxAmount) > 0 {
		return nil, localapi.BadRequest("%s must be a whole number of base units from %d to below 2^256, not %q", what, min, a)
	}
	return v, nil
}

func (s *Service) apiDeposit(w http.ResponseWriter, r *http.Request) (any, error) {
	var req AmountRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	v, err := parseReqAmount(req.Amount)
	if err != nil {
		return nil, err
	}
	have, err := s.token.BalanceOf(s.call(r.Context()), s.self)
	if err != nil {
		return nil, err
	}
	if have.Cmp(v) < 0 {
		return nil, localapi.BadRequest("the wallet %s holds %s MFT, less than %s MFT", s.self, FormatAmount(have), FormatAmount(v))
	}
	tx, err := s.token.Transfer(s.txOpts(r.Context()), s.checkbook, v)
	if err != nil {
		return nil, err
	}
	if _, err := chain.Wait(r.Context(), s.eth, tx); err != nil {
		return nil, err
	}
	return s.apiStatus(w, r)
}

// WithdrawResult tells what withdraw did.
type WithdrawResult struct {
	Announced string `json:"announced,omitempty"`
	NotBefore int64  `json:"not_before,omitempty"`
	Withdrawn string `json:"withdrawn,omitempty"`
}

func (s *Service) apiWithdraw(w http.ResponseWriter, r *http.Request) (any, error) {
	var req AmountRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	v, err := parseReqAmount(req.Amount)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	cb := s.cb
	announced, err := cb.WithdrawAmount(s.call(ctx))
	if err != nil {
		return nil, err
	}
	after, err := cb.WithdrawAfter(s.call(ctx))
	if err != nil {
		return nil, err
	}
	head, err := s.eth.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, err
	}
	if announced.Cmp(v) == 0 && after.Uint64() <= head.Time {
		tx, err := cb.Withdraw(s.txOpts(ctx))
		if err != nil {
			return nil, err
		}
		if _, err := chain.Wait(ctx, s.eth, tx); err != nil {
			return nil, err
		}
		return WithdrawResult{Withdrawn: v.String()}, nil
	}
	if announced.Cmp(v) == 0 {
		return nil, localapi.Errorf(http.StatusConflict, "notice", "withdrawal of %s MFT announced; the notice period ends at unix time %d", FormatAmount(v), after.Uint64())
	}
	// A new announcement replaces the pending one and restarts its notice:
	// only on purpose.
	if announced.Sign() > 0 && !req.Replace {
		return nil, localapi.Errorf(http.StatusConflict, "pending", "a withdrawal of %s MFT is already announced (withdrawable from unix time %d); withdraw that amount, or pass replace to announce %s MFT instead and restart the notice", FormatAmount(announced), after.Uint64(), FormatAmount(v))
	}
	held, err := cb.Balance(s.call(ctx))
	if err != nil {
		return nil, err
	}
	if v.Cmp(held) > 0 {
		return nil, localapi.Errorf(http.StatusConflict, "balance", "the checkbook holds %s MFT, less than %s MFT", FormatAmount(held), FormatAmount(v))
	}
	tx, err := cb.AnnounceWithdraw(s.txOpts(ctx), v)
	if err != nil {
		return nil, err
	}
	if _, err := chain.Wait(ctx, s.eth, tx); err != nil {
		return nil, err
	}
	after, _ = cb.WithdrawAfter(s.call(ctx))
	return WithdrawResult{Announced: v.String(), NotBefore: int64(after.Uint64())}, nil
}

func (s *Service) apiUsage(w http.ResponseWriter, r *http.Request) (any, error) {
	var req UsageRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	v, ok := new(big.Int).SetString(req.Amount, 10)
	if !ok || new(big.Int).Abs(v).Cmp(maxAmount) > 0 {
		return nil, localapi.BadRequest("usage needs a whole amount of base units within ±2^256")
	}
	// The peer becomes a key in the ledger and a name in every listing:
	// only a libp2p peer ID is one.
	if _, err := peer.Decode(req.Peer); err != nil {
		return nil, localapi.BadRequest("usage needs a peer ID, not %q", req.Peer)
	}
	b, err := s.AddUsage(req.Peer, v)
	if err != nil {
		return nil, err
	}
	return PeerBalance{Peer: req.Peer, Balance: b.String(), MFT: FormatAmount(b)}, nil
}

func (s *Service) remoteInvoice(w http.ResponseWriter, r *http.Request) (any, error) {
	peer := r.Header.Get(route.HeaderPeerID)
	addr := r.Header.Get(route.HeaderPeerAddress)
	if peer == "" || !common.IsHexAddress(addr) {
		return nil, localapi.Errorf(http.StatusForbidden, "forbidden", "invoices come through mf-route only")
	}
	var inv Invoice
	if err := localapi.DecodeBody(w, r, &inv, localapi.MaxBody); err != nil {
		return nil, err
	}
	asked, err := parseReqAmount(inv.Amount)
	if err != nil {
		return nil, err
	}
	c, err := s.issue(peer, common.HexToAddress(addr), asked)
	if err != nil {
		return nil, err
	}
	raw, err := c.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return ChequeMsg{Cheque: hex.EncodeToString(raw)}, nil
}

// Score is a credit score (0 worst, 1 best; 0.5 for an unknown address).
type Score struct {
	Address   string  `json:"address"`
	Score     float64 `json:"score"`
	Checkbook string  `json:"checkbook,omitempty"`
	// Checkbooks is how many checkbooks the history below sums over.
	Checkbooks  int    `json:"checkbooks,omitempty"`
	PaidOut     string `json:"paid_out"`
	Bounced     string `json:"bounced"`
	BounceCount uint64 `json:"bounce_count"`
	// BouncedHere: a cheque of this address bounced when this node cashed it.
	BouncedHere bool `json:"bounced_here,omitempty"`
	// Court verdicts against and for the address (mf-court).
	VerdictsAgainst uint64 `json:"verdicts_against,omitempty"`
	VerdictsFor     uint64 `json:"verdicts_for,omitempty"`
}

// verdicts reads the court's record of an address, when a court is set.
func (s *Service) verdicts(ctx context.Context, a common.Address) (against, favour uint64) {
	if s.set.Court == (common.Address{}) {
		return 0, 0
	}
	c, err := chain.NewCourt(s.set.Court, s.eth)
	if err != nil {
		return 0, 0
	}
	if v, err := c.VerdictsAgainst(s.call(ctx), a); err == nil {
		against = v.Uint64()
	}
	if v, err := c.VerdictsFor(s.call(ctx), a); err == nil {
		favour = v.Uint64()
	}
	return against, favour
}

// localExperience looks at the cheques peers with address a paid this
// node with.
func (s *Service) localExperience(a common.Address) (bounced, paid bool) {
	_ = s.db.Scan([]byte("addr/"), func(k, v []byte) error {
		if common.HexToAddress(string(v)) != a {
			return nil
		}
		peer := string(k[len("addr/"):])
		if b, err := getInt(s.db, []byte("bounced/"+peer)); err == nil && b.Sign() > 0 {
			bounced = true
		}
		if c, err := s.lastCheque("in", peer); err == nil && c != nil {
			paid = true
		}
		return nil
	})
	return bounced, paid
}

// score: from the chain, cheques paid by the address's checkbooks (all it
// ever had) raise it (logarithmically, and never above 0.95, so volume alone
// cannot buy a perfect score); every bounce halves it and unpaid amounts
// weigh against paid ones. New addresses start in the middle, at 0.5.
func (s *Service) score(ctx context.Context, a common.Address) (*Score, error) {
	sc := &Score{Address: a.Hex(), Score: 0.5, PaidOut: "0", Bounced: "0"}
	cbAddr, err := s.factory.CheckbookOf(s.call(ctx), a)
	if err != nil {
		return nil, err
	}
	if cbAddr == (common.Address{}) {
		if bounced, _ := s.localExperience(a); bounced {
			sc.Score, sc.BouncedHere = 0.4, true
		}
		if against, favour := s.verdicts(ctx, a); against > 0 || favour > 0 {
			sc.VerdictsAgainst, sc.VerdictsFor = against, favour
			sc.Score = math.Max(0, math.Min(1, sc.Score*math.Pow(0.5, float64(against))+0.01*float64(favour)))
		}
		return sc, nil
	}
	// The history is summed over every checkbook the address ever had, so
	// that a fresh checkbook does not wash its bounces away. A chain that
	// will not list the events (some RPC providers limit log queries) gives
	// the current checkbook only.
	books, err := s.factory.CheckbooksOf(ctx, a)
	if err != nil || !slices.Contains(books, cbAddr) {
		books = []common.Address{cbAddr}
	}
	paid, bounced, count := new(big.Int), new(big.Int), new(big.Int)
	for _, addr := range books {
		cb, err := chain.NewCheckbook(addr, s.eth)
		if err != nil {
			return nil, err
		}
		p, err := cb.TotalPaidOut(s.call(ctx))
		if err != nil {
			return nil, err
		}
		b, err := cb.TotalBounced(s.call(ctx))
		if err != nil {
			return nil, err
		}
		c, err := cb.BounceCount(s.call(ctx))
		if err != nil {
			return nil, err
		}
		paid.Add(paid, p)
		bounced.Add(bounced, b)
		count.Add(count, c)
	}
	sc.Checkbook, sc.Checkbooks, sc.PaidOut, sc.Bounced, sc.BounceCount = cbAddr.Hex(), len(books), paid.String(), bounced.String(), count.Uint64()
	mft := func(v *big.Int) float64 {
		f, _ := new(big.Float).Quo(new(big.Float).SetInt(v), new(big.Float).SetInt(unit)).Float64()
		return f
	}
	paidMFT, bouncedMFT := mft(paid), mft(bounced)
	v := math.Min(0.95, 0.5+0.05*math.Log2(1+paidMFT))
	if count.Sign() > 0 {
		// Each bounce halves the score, and what is still unpaid weighs
		// against what was paid: a bouncing payer always ends up below a
		// newcomer.
		v *= math.Pow(0.5, float64(count.Uint64()))
		if paidMFT+bouncedMFT > 0 {
			v *= paidMFT / (paidMFT + bouncedMFT)
		}
	}
	// Court verdicts against the address halve the score each; verdicts
	// for it count a little.
	if against, favour := s.verdicts(ctx, a); against > 0 || favour > 0 {
		sc.VerdictsAgainst, sc.VerdictsFor = against, favour
		v *= math.Pow(0.5, float64(against))
		v += 0.01 * float64(favour)
	}
	// Local experience: cheques from this address that bounced on this
	// node count against it even before the chain shows a pattern;
	// cheques it paid here in full count a little for it.
	bouncedHere, paidHere := s.localExperience(a)
	sc.BouncedHere = bouncedHere
	if bouncedHere {
		v *= 0.8
	} else if paidHere {
		v += 0.02
	}
	sc.Score = math.Max(0, math.Min(1, v))
	return sc, nil
}

func (s *Service) apiScore(w http.ResponseWriter, r *http.Request) (any, error) {
	a := r.PathValue("address")
	if !common.IsHexAddress(a) {
		return nil, localapi.BadRequest("%q is not an Ethereum address", a)
	}
	return s.score(r.Context(), common.HexToAddress(a))
}

// ManifestEntry is one service's price list: Price per unit for peers with
// a score of at least MinScore; Tiers give other prices for other scores.
type ManifestEntry struct {
	Service  string  `json:"service"`
	Price    string  `json:"price"`
	MinScore float64 `json:"min_score"`
	Tiers    []Tier  `json:"tiers,omitempty"`
}

// Tier is a price for peers scoring at least MinScore.
type Tier struct {
	MinScore float64 `json:"min_score"`
	Price    string  `json:"price"`
}

// Manifest is what a node serves and at what price.
type Manifest struct {
	Address  string          `json:"address"`
	Services []ManifestEntry `json:"services"`
}

func (s *Service) manifest() (*Manifest, error) {
	m := &Manifest{Address: s.self.Hex(), Services: []ManifestEntry{}}
	err := s.db.Scan([]byte("manifest/"), func(_, v []byte) error {
		var e ManifestEntry
		if json.Unmarshal(v, &e) == nil {
			m.Services = append(m.Services, e)
		}
		return nil
	})
	return m, err
}

func (s *Service) apiManifest(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.manifest()
}

func (s *Service) apiSetManifest(w http.ResponseWriter, r *http.Request) (any, error) {
	var e ManifestEntry
	if err := localapi.DecodeBody(w, r, &e, localapi.MaxBody); err != nil {
		return nil, err
	}
	if !validService(e.Service) {
		return nil, localapi.BadRequest("service must be 1-16 lower-case letters, not %q", e.Service)
	}
	if _, err := parseBase("price", e.Price, 0); err != nil {
		return nil, err
	}
	if e.MinScore < 0 || e.MinScore > 1 {
		return nil, localapi.BadRequest("min_score must be within 0..1")
	}
	for _, t := range e.Tiers {
		if _, err := parseBase("price", t.Price, 0); err != nil || t.MinScore < 0 || t.MinScore > 1 {
			return nil, localapi.BadRequest("each tier needs a min_score within 0..1 and a price")
		}
	}
	b, _ := json.Marshal(e)
	if err := s.db.Set([]byte("manifest/"+e.Service), b); err != nil {
		return nil, err
	}
	return s.manifest()
}

func (s *Service) apiPeerManifest(w http.ResponseWriter, r *http.Request) (any, error) {
	var m Manifest
	if err := s.route.CallService(r.Context(), r.PathValue("peer"), "swap", http.MethodGet, "/v0/manifest", nil, &m); err != nil {
		var le *localapi.Error
		if errors.As(err, &le) {
			return nil, err
		}
		return nil, localapi.Errorf(http.StatusBadGateway, "unreachable", "%v", err)
	}
	return m, nil
}

func validService(s string) bool {
	if len(s) == 0 || len(s) > 16 {
		return false
	}
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// PriceFor is what the manifest charges a peer of the given score for a
// service: the price of the best tier the score reaches (the base price
// when no tier applies), or nil when the service is not offered or the
// score is below its minimum.
func (m *Manifest) PriceFor(service string, score float64) *big.Int {
	for _, e := range m.Services {
		if e.Service != service || score < e.MinScore {
			continue
		}
		price, best := e.Price, e.MinScore
		for _, t := range e.Tiers {
			if score >= t.MinScore && t.MinScore >= best {
				price, best = t.Price, t.MinScore
			}
		}
		v, ok := new(big.Int).SetString(price, 10)
		if !ok {
			return nil
		}
		return v
	}
	return nil
}
