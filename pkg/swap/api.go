package swap

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"sort"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// The endpoints of the local API are listed in swapapi's package doc,
// beside the types and the client.

// withGuarantee fills the chain's side of pb.
func (s *Service) withGuarantee(ctx context.Context, pb PeerBalance, bal *big.Int, fresh bool) PeerBalance {
	g, err := s.guaranteeOf(ctx, pb.Peer, fresh)
	if err != nil {
		return pb
	}
	pb.Uncashed, pb.Safe, pb.AtRisk = g.Uncashed.String(), g.Safe.String(), g.atRisk(bal).String()
	return pb
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
	m.Handle("POST /v0/manifest", localapi.Handle(s.apiSetManifestAnnounce))
	m.Handle("DELETE /v0/manifest/{service}", localapi.Handle(s.apiRemoveManifest))
	m.Handle("GET /v0/offers/{service}", localapi.Handle(s.apiFind))
	m.Handle("GET /v0/manifest/{peer}", localapi.Handle(s.apiPeerManifest))
	m.Handle("GET /v0/terms/{peer}", localapi.Handle(s.apiTerms))
	m.Handle("POST /remote/v0/invoice", localapi.Handle(s.remoteInvoice))
	m.Handle("POST /remote/v0/terms", localapi.Handle(s.remoteTerms))
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
	liquid, err := s.cb.LiquidBalance(s.call(r.Context()))
	if err != nil {
		return nil, err
	}
	return Status{Address: s.self.Hex(), Checkbook: s.checkbook.Hex(), ChainID: s.chainID.String(), Balance: cbBal.String(), Liquid: liquid.String(), Wallet: wBal.String()}, nil
}

func (s *Service) apiBalances(w http.ResponseWriter, r *http.Request) (any, error) {
	bals, err := s.led.balances()
	if err != nil {
		return nil, err
	}
	out := []PeerBalance{}
	for p, b := range bals {
		out = append(out, s.withGuarantee(r.Context(), PeerBalance{Peer: p, Balance: b.String(), MFT: amount.Format(b), Refused: s.isBlocked(p)}, b, false))
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
	return s.withGuarantee(r.Context(), PeerBalance{Peer: p, Balance: b.String(), MFT: amount.Format(b), Refused: s.isBlocked(p)}, b, true), nil
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
	if !ok || v.Sign() < min || v.Cmp(amount.Max) > 0 {
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
		return nil, localapi.BadRequest("the wallet %s holds %s MFT, less than %s MFT", s.self, amount.Format(have), amount.Format(v))
	}
	tx, err := s.send(func() (*types.Transaction, error) { return s.token.Transfer(s.txOpts(r.Context()), s.checkbook, v) })
	if err != nil {
		return nil, err
	}
	if _, err := chain.Wait(r.Context(), s.eth, tx); err != nil {
		return nil, err
	}
	return s.apiStatus(w, r)
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
		tx, err := s.send(func() (*types.Transaction, error) { return cb.Withdraw(s.txOpts(ctx)) })
		if err != nil {
			return nil, err
		}
		if _, err := chain.Wait(ctx, s.eth, tx); err != nil {
			return nil, err
		}
		return WithdrawResult{Withdrawn: v.String()}, nil
	}
	if announced.Cmp(v) == 0 {
		return nil, localapi.Errorf(http.StatusConflict, "notice", "withdrawal of %s MFT announced; the notice period ends at unix time %d", amount.Format(v), after.Uint64())
	}
	// A new announcement replaces the pending one and restarts its notice:
	// only on purpose.
	if announced.Sign() > 0 && !req.Replace {
		return nil, localapi.Errorf(http.StatusConflict, "pending", "a withdrawal of %s MFT is already announced (withdrawable from unix time %d); withdraw that amount, or pass replace to announce %s MFT instead and restart the notice", amount.Format(announced), after.Uint64(), amount.Format(v))
	}
	// Hard deposits stay in the checkbook: only the liquid balance can go.
	held, err := cb.LiquidBalance(s.call(ctx))
	if err != nil {
		return nil, err
	}
	if v.Cmp(held) > 0 {
		return nil, localapi.Errorf(http.StatusConflict, "balance", "the checkbook holds %s MFT outside hard deposits, less than %s MFT", amount.Format(held), amount.Format(v))
	}
	tx, err := s.send(func() (*types.Transaction, error) { return cb.AnnounceWithdraw(s.txOpts(ctx), v) })
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
	if !ok || new(big.Int).Abs(v).Cmp(amount.Max) > 0 {
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
	return PeerBalance{Peer: req.Peer, Balance: b.String(), MFT: amount.Format(b)}, nil
}

func (s *Service) remoteInvoice(w http.ResponseWriter, r *http.Request) (any, error) {
	peer := r.Header.Get(routeapi.HeaderPeerID)
	addr := r.Header.Get(routeapi.HeaderPeerAddress)
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
	var hard *big.Int
	if inv.HardDeposit != "" {
		if hard, err = parseBase("hard_deposit", inv.HardDeposit, 0); err != nil {
			return nil, err
		}
	}
	c, err := s.issue(peer, common.HexToAddress(addr), asked)
	if err != nil {
		return nil, err
	}
	// The cheque is booked and stands on its own; the hard deposit behind
	// it is what the creditor counts as safe, and when it cannot be raised
	// the creditor sees the cheque at risk.
	if _, err := s.cover(r.Context(), common.HexToAddress(addr), c, hard); err != nil {
		s.log.Warn("cheque not covered by a hard deposit", "peer", peer, "err", err)
	}
	raw, err := c.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return ChequeMsg{Cheque: hex.EncodeToString(raw)}, nil
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

func (s *Service) apiScore(w http.ResponseWriter, r *http.Request) (any, error) {
	a := r.PathValue("address")
	if !common.IsHexAddress(a) {
		return nil, localapi.BadRequest("%q is not an Ethereum address", a)
	}
	return s.score(r.Context(), common.HexToAddress(a))
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
