package swap

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// Settings are the parsed [swap] section.
type Settings struct {
	PricePerKiB, Payment, Disconnect, Cash *big.Int
	Notice                                 time.Duration
	Pay                                    bool
	Token, Factory                         common.Address
	// MaxPrice (nil: no limit) and MinScore decide which peers this node
	// deals with at all (see vet).
	MaxPrice *big.Int
	MinScore float64
	// Court, when set, is the court contract whose verdicts count in
	// credit scores.
	Court common.Address
}

// ParseSettings checks the [swap] section.
func ParseSettings(c config.Swap) (Settings, error) {
	var s Settings
	var err error
	for _, f := range []struct {
		name string
		in   string
		out  **big.Int
	}{
		{"price_per_kib", c.PricePerKiB, &s.PricePerKiB},
		{"payment_threshold", c.PaymentThreshold, &s.Payment},
		{"disconnect_threshold", c.DisconnectThreshold, &s.Disconnect},
		{"cash_threshold", c.CashThreshold, &s.Cash},
	} {
		if *f.out, err = amount.Parse(f.in); err != nil {
			return s, fmt.Errorf("config: swap.%s: %w", f.name, err)
		}
	}
	if s.Disconnect.Cmp(s.Payment) < 0 {
		return s, errors.New("config: swap.disconnect_threshold must be at least swap.payment_threshold")
	}
	if c.NoticeSeconds < 0 {
		return s, errors.New("config: swap.notice_seconds must not be negative")
	}
	s.Notice = time.Duration(c.NoticeSeconds) * time.Second
	s.Pay = c.Pay
	if c.MaxPrice != "" {
		if s.MaxPrice, err = amount.Parse(c.MaxPrice); err != nil {
			return s, fmt.Errorf("config: swap.max_price: %w", err)
		}
	}
	if c.MinScore < 0 || c.MinScore > 1 {
		return s, errors.New("config: swap.min_score must be within 0..1")
	}
	s.MinScore = c.MinScore
	for _, a := range []struct {
		name, in string
		out      *common.Address
	}{{"token", c.Token, &s.Token}, {"factory", c.Factory, &s.Factory}} {
		if !common.IsHexAddress(a.in) {
			return s, fmt.Errorf("config: swap.%s is not an address (%q): give --chain-dir for a development chain, or set the deployed contract in config.toml", a.name, a.in)
		}
		*a.out = common.HexToAddress(a.in)
	}
	return s, nil
}

// Service is a running mf-swap.
type Service struct {
	key       *ecdsa.PrivateKey
	self      common.Address
	set       Settings
	db        *kv.DB
	led       *ledger
	route     *routeapi.Client
	booked    chan struct{} // something to settle (wake): Run starts a round
	eth       *chain.Client
	chainID   *big.Int
	auth      *bind.TransactOpts
	factory   *chain.Factory
	token     *chain.MFT
	checkbook common.Address
	cb        *chain.Checkbook
	log       *slog.Logger

	// mu guards blocked, which the settle loop writes while the balance
	// handlers read it.
	mu      sync.Mutex
	blocked map[string]bool

	// cashMu serializes cashing: the settle loop and the cash endpoint
	// would otherwise present the same cheque twice, and both use quiet.
	cashMu sync.Mutex
	// vetted remembers, per peer, whether its manifest and score passed and
	// when that was decided.
	vetted map[string]vetting
	vetMu  sync.Mutex

	// quiet: per peer, the cumulative of a cheque the settle loop found
	// below the cash threshold (see maybeCash).
	quiet map[string]*big.Int

	// txMu serializes the transactions this node sends from more than one
	// goroutine (cashing in the settle loop, hard deposits in the invoice
	// handler), which would otherwise take the same nonce.
	txMu sync.Mutex

	// termsMu serializes changes to the routing terms (terms.go).
	termsMu sync.Mutex

	cacheMu   sync.Mutex
	manifests map[string]cached[*Manifest]
	scores    map[string]cached[float64]
	// covers: per peer, the last reading of what its hard deposit
	// guarantees this node (see guaranteeOf).
	covers map[string]*guarantee
}

type vetting struct {
	ok  bool
	at  time.Time
	why string
}

// NewService connects to the chain and finds (or deploys) this node's
// checkbook.
func NewService(ctx context.Context, key *ecdsa.PrivateKey, rpcURL string, set Settings, db *kv.DB, rc *routeapi.Client, log *slog.Logger) (*Service, error) {
	eth, chainID, err := chain.Dial(ctx, rpcURL)
	if err != nil {
		return nil, fmt.Errorf("swap: %w", err)
	}
	s := &Service{key: key, set: set, db: db, led: &ledger{db: db}, route: rc, booked: make(chan struct{}, 1), eth: eth, chainID: chainID, log: log, blocked: map[string]bool{}, vetted: map[string]vetting{},
		manifests: map[string]cached[*Manifest]{}, scores: map[string]cached[float64]{}, quiet: map[string]*big.Int{}, covers: map[string]*guarantee{}}
	s.self = crypto_PubkeyToAddress(key)
	s.auth, err = bind.NewKeyedTransactorWithChainID(key, chainID)
	if err != nil {
		return nil, err
	}
	s.factory, err = chain.NewFactory(set.Factory, eth, s.auth)
	if err != nil {
		return nil, err
	}
	s.token, err = chain.NewMFT(set.Token, eth)
	if err != nil {
		return nil, err
	}
	cb, err := s.factory.CheckbookOf(&bind.CallOpts{Context: ctx}, s.self)
	if err != nil {
		return nil, fmt.Errorf("swap: reading the checkbook factory at %s: %v", set.Factory, err)
	}
	if cb == (common.Address{}) {
		log.Info("deploying this node's checkbook")
		cb, _, err = s.factory.DeployCheckbook(ctx, set.Notice)
		if err != nil {
			return nil, fmt.Errorf("swap: deploying the checkbook: %v (does the node's address %s hold ether for gas?)", err, s.self)
		}
	}
	s.checkbook = cb
	s.cb, err = chain.NewCheckbook(cb, eth)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Close releases the chain connection.
func (s *Service) Close() { s.eth.Close() }

// Run meters, invoices and cashes until ctx ends: about once a second
// while traffic moves, and otherwise when mf-route says it moved (a long
// poll of its usage), another service books usage, or idleRound has
// passed. An idle node's mf-swap used to ask mf-route, and the chain,
// every second all day.
func (s *Service) Run(ctx context.Context) {
	var version uint64
	busy := true
	for {
		start := time.Now()
		var u *routeapi.Usage
		var err error
		if busy {
			// Business under way (an invoice unpaid, a peer cut off
			// until it pays, cheques to cash, a failed step) is looked
			// at again in a second, traffic or not.
			u, err = s.route.Usage(ctx)
		} else {
			u, err = s.nextUsage(ctx, version)
		}
		if ctx.Err() != nil {
			return
		}
		busy = err != nil
		if err != nil {
			s.log.Debug("metering", "err", err)
		} else {
			version = u.Version
			if err := s.meter(ctx, u); err != nil {
				busy = true
				s.log.Debug("metering", "err", err)
			}
		}
		if err := s.bonds(ctx); err != nil {
			busy = true
			s.log.Debug("bonds", "err", err)
		}
		if s.settle(ctx) {
			busy = true
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(start.Add(time.Second))):
		}
	}
}

// idleRound is the longest Run waits between rounds.
const idleRound = 30 * time.Second

// nextUsage waits until mf-route's usage moves past version, idleRound
// passes, or AddUsage books something, and returns the usage then.
func (s *Service) nextUsage(ctx context.Context, version uint64) (*routeapi.Usage, error) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.booked:
			cancel()
		case <-pctx.Done():
		}
	}()
	u, err := s.route.UsageAfter(pctx, version, idleRound)
	if err != nil && pctx.Err() != nil && ctx.Err() == nil {
		return s.route.Usage(ctx) // woken by AddUsage
	}
	return u, err
}

// meter books the traffic mf-route counted since the last look, at the
// agreed prices (terms.go): the counts since peering grow by what mf-route
// counted since the last look, and the balance moves by what the whole
// count comes to under the terms minus what was booked before. Pricing the
// whole count each time, rounded once, is what keeps the two sides'
// figures equal; and terms that arrive late (the peer's, or a new price
// that reaches back to its mark) are booked at the next look.
func (s *Service) meter(ctx context.Context, u *routeapi.Usage) error {
	last, err := s.led.usageCounters(u.Epoch)
	if err != nil {
		return err
	}
	for _, p := range u.Peers {
		prev := last[p.PeerID]
		din, dout := p.BytesIn-min(prev[0], p.BytesIn), p.BytesOut-min(prev[1], p.BytesOut)
		if p.Address != "" {
			if a, err := s.db.Get([]byte("addr/" + p.PeerID)); err != nil || string(a) != p.Address {
				_ = s.db.Set([]byte("addr/"+p.PeerID), []byte(p.Address))
			}
		}
		var seen traffic
		if err := getJSON(s.db, trafficKey(p.PeerID), &seen); err != nil {
			return err
		}
		active := seen.In+din > 0 || seen.Out+dout > 0
		if active {
			// A new price covers the bytes counted from this look on:
			// its mark is the count before them.
			if err := s.propose(ctx, p.PeerID, p.Address, seen.In); err != nil {
				s.log.Debug("routing terms", "peer", p.PeerID, "err", err)
			}
		}
		_, err := s.led.update(p.PeerID, func(bal *big.Int, b *kv.Batch) (*big.Int, error) {
			var tr traffic
			if err := getJSON(s.db, trafficKey(p.PeerID), &tr); err != nil {
				return nil, err
			}
			tr.In += din
			tr.Out += dout
			booked, _ := new(big.Int).SetString(tr.Booked, 10)
			if booked == nil {
				booked = new(big.Int)
			}
			now, err := s.trafficAmount(p.PeerID, tr)
			if err != nil {
				return nil, err
			}
			tr.Booked = now.String()
			b.Set([]byte("usage/epoch"), []byte(fmt.Sprint(u.Epoch)))
			b.Set([]byte("usage/p/"+p.PeerID), []byte(fmt.Sprintf("%d,%d", p.BytesIn, p.BytesOut)))
			b.Set(trafficKey(p.PeerID), mustJSON(tr))
			return new(big.Int).Add(bal, now.Sub(now, booked)), nil
		})
		if err != nil {
			return err
		}
		if active {
			if err := s.handOver(ctx, p.PeerID); err != nil {
				s.log.Debug("routing terms", "peer", p.PeerID, "err", err)
			}
		}
	}
	return nil
}

// revet forgets what vet found for peer (its price changed) and wakes Run
// to look again.
func (s *Service) revet(peer string) {
	s.vetMu.Lock()
	delete(s.vetted, peer)
	s.vetMu.Unlock()
	s.wake()
}

// wake makes Run start its next round now.
func (s *Service) wake() {
	select {
	case s.booked <- struct{}{}:
	default:
	}
}

// AddUsage books units of another service: peer owes v (negative: this
// node owes the peer).
func (s *Service) AddUsage(peer string, v *big.Int) (*big.Int, error) {
	// The next round of Run settles it (an invoice, a block).
	defer s.wake()
	return s.led.update(peer, func(bal *big.Int, _ *kv.Batch) (*big.Int, error) {
		nb := new(big.Int).Add(bal, v)
		// No real debt comes near this; a balance past what a cheque can
		// carry is a runaway caller, and would make every later invoice
		// and cheque for the peer fail.
		if new(big.Int).Abs(nb).Cmp(amount.Max) > 0 {
			return nil, localapi.BadRequest("the balance with %s would leave ±2^256 base units (it is %s MFT)", peer, amount.Format(bal))
		}
		return nb, nil
	})
}

// settle invoices debtors, blocks those with more at risk than the
// disconnect threshold, and cashes cheques. It reports whether anything
// is left to follow up soon: a debt still over the payment threshold, a
// peer cut off for its debt, a failed cashing.
func (s *Service) settle(ctx context.Context) (busy bool) {
	bals, err := s.led.balances()
	if err != nil {
		return true
	}
	for peer, bal := range bals {
		refuse := !s.vet(ctx, peer)
		if bal.Cmp(s.set.Payment) > 0 {
			if err := s.invoice(ctx, peer, bal); err != nil {
				s.log.Debug("invoice", "peer", peer, "err", err)
			}
			bal, _ = s.led.balance(peer)
			busy = busy || bal.Cmp(s.set.Payment) > 0
		}
		// What counts is what is at risk: the debt plus the peer's
		// cheques that no hard deposit guarantees. When the chain cannot
		// be read, the last reading stands in; without one, the peer's
		// service stays as it is until the chain answers.
		g, err := s.guaranteeOf(ctx, peer, false)
		if err != nil {
			s.log.Debug("reading the hard deposit", "peer", peer, "err", err)
			s.cacheMu.Lock()
			g = s.covers[peer]
			s.cacheMu.Unlock()
		}
		if g == nil && !refuse {
			continue
		}
		risk := new(big.Int)
		if g != nil {
			risk = g.atRisk(bal)
		}
		over := risk.Cmp(s.set.Disconnect) > 0 || refuse
		busy = busy || over && !refuse
		if over != s.isBlocked(peer) {
			if err := s.route.Block(ctx, peer, over); err == nil {
				s.mu.Lock()
				s.blocked[peer] = over
				s.mu.Unlock()
				s.log.Info("peer service", "peer", peer, "refused", over, "owes", amount.Format(bal), "at_risk", amount.Format(risk))
			}
		}
		// A decrease of the hard deposit announced: cash before it is made.
		force := g != nil && g.Decrease.Sign() > 0 && g.Uncashed.Sign() > 0
		if err := s.maybeCash(ctx, peer, force); err != nil {
			busy = true
			s.log.Debug("cashing", "peer", peer, "err", err)
		}
	}
	return busy
}

// isBlocked reports whether this node has asked mf-route to refuse peer.
func (s *Service) isBlocked(peer string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blocked[peer]
}

func crypto_PubkeyToAddress(k *ecdsa.PrivateKey) common.Address {
	return crypto.PubkeyToAddress(k.PublicKey)
}

func hexBytes(b []byte) string { return hex.EncodeToString(b) }

func trim0x(s string) string { return strings.TrimPrefix(s, "0x") }

// vet decides whether to deal with a peer at all (whitepaper: peers query
// each other's manifest before peering and refuse prices above their
// maximum or scores below their minimum). The answer is kept for ten
// minutes; a peer that cannot be asked is given the benefit of the doubt
// and asked again later.
func (s *Service) vet(ctx context.Context, peer string) bool {
	if s.set.MaxPrice == nil && s.set.MinScore == 0 {
		return true
	}
	s.vetMu.Lock()
	v, ok := s.vetted[peer]
	s.vetMu.Unlock()
	if ok && time.Since(v.at) < 10*time.Minute {
		return v.ok
	}
	v = vetting{ok: true, at: time.Now()}
	if s.set.MinScore > 0 {
		if addr, err := s.db.Get([]byte("addr/" + peer)); err == nil {
			sc, err := s.score(ctx, common.HexToAddress(string(addr)))
			if err != nil {
				return true
			}
			if sc.Score < s.set.MinScore {
				v = vetting{ok: false, at: v.at, why: fmt.Sprintf("score %.3f below %.3f", sc.Score, s.set.MinScore)}
			}
		}
	}
	if v.ok && s.set.MaxPrice != nil {
		// The price the peer proposed in its terms is what this node
		// would pay; before any, its manifest at this node's own score.
		var p *big.Int
		var sc schedule
		if err := getJSON(s.db, buyKey(peer), &sc); err == nil && sc.last() != nil {
			p, _ = sc.last().PriceAmount()
		} else {
			var m Manifest
			if err := s.route.CallService(ctx, peer, "swap", "GET", "/v0/manifest", nil, &m); err != nil {
				return true
			}
			myScore := 0.5
			if sc, err := s.score(ctx, s.self); err == nil {
				myScore = sc.Score
			}
			p = m.PriceFor("route", myScore)
		}
		if p != nil && p.Cmp(s.set.MaxPrice) > 0 {
			v = vetting{ok: false, at: v.at, why: fmt.Sprintf("asks %s MFT per KiB, above %s", amount.Format(p), amount.Format(s.set.MaxPrice))}
		}
	}
	if !v.ok {
		s.log.Info("refusing to deal with peer", "peer", peer, "why", v.why)
	}
	s.vetMu.Lock()
	s.vetted[peer] = v
	s.vetMu.Unlock()
	return v.ok
}

// Prices of routing, per KiB. A node's manifest entry "route" sets its
// price (by the payer's credit tier); without one, swap.price_per_kib.

type cached[T any] struct {
	v  T
	at time.Time
}

const priceCacheTTL = 10 * time.Minute

// ownPrice is what this node charges peer.
func (s *Service) ownPrice(ctx context.Context, peer string) *big.Int {
	m, err := s.manifest()
	if err != nil {
		return s.set.PricePerKiB
	}
	if p := m.PriceFor("route", s.cachedScore(ctx, peer)); p != nil {
		return p
	}
	return s.set.PricePerKiB
}

// selfKey stands for this node in the score cache.
const selfKey = "\x00self"

// cachedScore is peer's credit score, kept for ten minutes (0.5 when its
// address is not known yet).
func (s *Service) cachedScore(ctx context.Context, peer string) float64 {
	s.cacheMu.Lock()
	c, ok := s.scores[peer]
	s.cacheMu.Unlock()
	if ok && time.Since(c.at) < priceCacheTTL {
		return c.v
	}
	v := 0.5
	if peer == selfKey {
		if sc, err := s.score(ctx, s.self); err == nil {
			v = sc.Score
		}
	} else if addr, err := s.db.Get([]byte("addr/" + peer)); err == nil {
		if sc, err := s.score(ctx, common.HexToAddress(string(addr))); err == nil {
			v = sc.Score
		}
	}
	s.cacheMu.Lock()
	s.scores[peer] = cached[float64]{v: v, at: time.Now()}
	s.cacheMu.Unlock()
	return v
}
