package swap

import (
	"context"
	"math"
	"math/big"
	"slices"
	"sort"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/chain"
)

// Credit scores. docs/score.md states the rule for people; the constants
// below are its numbers.
//
// On chain, a cheque to one's own second address looks like any other, and
// so does a not-guilty verdict won against one's own sybil client. What
// stops both is how they count: a payment counts by the standing its
// beneficiary has independently of the payer, one beneficiary adds a capped
// amount, and the raise grows with the number of distinct beneficiaries; a
// verdict counts by the standing of the client who lost it, once per client,
// and all verdicts together add a capped amount.
const (
	// newcomerScore is the score of an address without history.
	newcomerScore = 0.5
	// payRaisePerDoubling is what each doubling of the weighted payments
	// (in MFT, plus one) adds, up to maxPayRaise in all.
	payRaisePerDoubling = 0.05
	maxPayRaise         = 0.45
	// perPayeeRaise is the most each distinct beneficiary with standing
	// allows: the raise is at most perPayeeRaise times their number.
	perPayeeRaise = 0.05
	// perPayeeCapMFT is the most one beneficiary's payments count for.
	perPayeeCapMFT = 10.0
	// A beneficiary's standing is the number of distinct addresses (other
	// than the payer being scored and itself) its own checkbooks paid at
	// least standingMin (0.1 MFT) each, over standingPayees, at most 1.
	standingPayees = 5
	// maxPayees and maxPlaintiffs bound the chain reads of one score: the
	// payees paid most and the plaintiffs with most cases are examined.
	// 64 payees at the cap weigh 640 MFT, past the 511 that reach
	// maxPayRaise.
	maxPayees     = 64
	maxPlaintiffs = 32
	// verdictBonus is what a not-guilty verdict adds, times the standing
	// of the client who lost it, once per client; maxVerdictBonus caps the
	// sum.
	verdictBonus    = 0.01
	maxVerdictBonus = 0.05
)

// standingMin is 0.1 MFT in base units.
var standingMin = new(big.Int).Div(amount.Unit, big.NewInt(10))

// payee is one beneficiary of the scored address's cheques.
type payee struct {
	addr     common.Address
	paid     *big.Int
	standing float64
}

// plaintiff is one client that lost cases against the scored address.
type plaintiff struct {
	addr     common.Address
	cases    uint64
	standing float64
}

// history is what a score is computed from.
type history struct {
	hasCheckbook bool
	// paid and bounced are the raw totals of the address's checkbooks.
	paid, bounced *big.Int
	bounceCount   uint64
	payees        []payee
	against       uint64
	verdictsFor   uint64
	plaintiffs    []plaintiff
	// This node's own experience with the address's cheques.
	bouncedHere, paidHere bool
}

// rated is a score and the figures behind it.
type rated struct {
	score      float64
	weighted   float64 // MFT of payments that count
	payees     int     // distinct payees with standing
	plaintiffs int     // distinct plaintiffs with standing
}

func toMFT(v *big.Int) float64 {
	f, _ := new(big.Float).Quo(new(big.Float).SetInt(v), new(big.Float).SetInt(amount.Unit)).Float64()
	return f
}

// rate applies the scoring rule of docs/score.md to h.
func rate(h *history) rated {
	var r rated
	v := newcomerScore
	if h.hasCheckbook {
		for _, p := range h.payees {
			if p.standing <= 0 || p.paid.Sign() <= 0 {
				continue
			}
			r.payees++
			r.weighted += p.standing * math.Min(toMFT(p.paid), perPayeeCapMFT)
		}
		raise := math.Min(maxPayRaise, payRaisePerDoubling*math.Log2(1+r.weighted))
		v += math.Min(raise, perPayeeRaise*float64(r.payees))
		if h.bounceCount > 0 {
			// Each bounce halves the score, and what is still unpaid
			// weighs against what counts as paid (plus one MFT, so that
			// a newcomer's first bounce does not floor it): a bouncing
			// payer always ends up below a newcomer, and cheques to its
			// own addresses do not dilute its bounces.
			v *= math.Pow(0.5, float64(h.bounceCount))
			v *= (r.weighted + 1) / (r.weighted + 1 + toMFT(h.bounced))
		}
	}
	// Court verdicts against the address halve the score each; verdicts
	// for it count a little, by the standing of the client who lost.
	v *= math.Pow(0.5, float64(h.against))
	bonus := 0.0
	for _, p := range h.plaintiffs {
		if p.standing <= 0 || p.cases == 0 {
			continue
		}
		r.plaintiffs++
		bonus += verdictBonus * p.standing
	}
	v += math.Min(bonus, maxVerdictBonus)
	// Local experience: cheques from this address that bounced on this
	// node count against it even before the chain shows a pattern;
	// cheques it paid here in full count a little for it.
	if h.bouncedHere {
		v *= 0.8
	} else if h.paidHere && h.hasCheckbook {
		v += 0.02
	}
	r.score = math.Max(0, math.Min(1, v))
	return r
}

// score computes the credit score of a from the chain and this node's
// experience.
func (s *Service) score(ctx context.Context, a common.Address) (*Score, error) {
	h, sc, err := s.history(ctx, a)
	if err != nil {
		return nil, err
	}
	r := rate(h)
	sc.Score, sc.Payees, sc.Plaintiffs = r.score, r.payees, r.plaintiffs
	if r.weighted > 0 {
		sc.Weighted = big.NewFloat(r.weighted).Text('f', 3)
	}
	return sc, nil
}

// history reads what a's score is computed from.
func (s *Service) history(ctx context.Context, a common.Address) (*history, *Score, error) {
	sc := &Score{Address: a.Hex(), PaidOut: "0", Bounced: "0"}
	h := &history{paid: new(big.Int), bounced: new(big.Int)}
	h.bouncedHere, h.paidHere = s.localExperience(a)
	sc.BouncedHere = h.bouncedHere
	h.against, h.verdictsFor, h.plaintiffs = s.verdicts(ctx, a)
	sc.VerdictsAgainst, sc.VerdictsFor = h.against, h.verdictsFor

	cbAddr, err := s.factory.CheckbookOf(s.call(ctx), a)
	if err != nil {
		return nil, nil, err
	}
	if cbAddr == (common.Address{}) {
		return h, sc, nil
	}
	h.hasCheckbook = true
	// The history is summed over every checkbook the address ever had, so
	// that a fresh checkbook does not wash its bounces away. A chain that
	// will not list the events (some RPC providers limit log queries) gives
	// the current checkbook only.
	books, err := s.factory.CheckbooksOf(ctx, a)
	if err != nil || !slices.Contains(books, cbAddr) {
		books = []common.Address{cbAddr}
	}
	count := new(big.Int)
	for _, addr := range books {
		cb, err := chain.NewCheckbook(addr, s.eth)
		if err != nil {
			return nil, nil, err
		}
		p, err := cb.TotalPaidOut(s.call(ctx))
		if err != nil {
			return nil, nil, err
		}
		b, err := cb.TotalBounced(s.call(ctx))
		if err != nil {
			return nil, nil, err
		}
		c, err := cb.BounceCount(s.call(ctx))
		if err != nil {
			return nil, nil, err
		}
		h.paid.Add(h.paid, p)
		h.bounced.Add(h.bounced, b)
		count.Add(count, c)
	}
	h.bounceCount = count.Uint64()
	sc.Checkbook, sc.Checkbooks, sc.PaidOut, sc.Bounced, sc.BounceCount = cbAddr.Hex(), len(books), h.paid.String(), h.bounced.String(), h.bounceCount

	// Payments to the address itself never count. A chain that will not
	// list the events gives no payees: nothing counts that cannot be
	// weighed.
	paid, err := s.payeesOf(ctx, books)
	if err == nil {
		delete(paid, a)
		for addr, v := range paid {
			h.payees = append(h.payees, payee{addr: addr, paid: v})
		}
		sort.Slice(h.payees, func(i, j int) bool {
			if c := h.payees[i].paid.Cmp(h.payees[j].paid); c != 0 {
				return c > 0
			}
			return h.payees[i].addr.Cmp(h.payees[j].addr) < 0
		})
		if len(h.payees) > maxPayees {
			h.payees = h.payees[:maxPayees]
		}
		for i := range h.payees {
			h.payees[i].standing = s.standing(ctx, h.payees[i].addr, a)
		}
	}
	return h, sc, nil
}

// payeesOf sums what the checkbooks paid each beneficiary, from their
// ChequeCashed events.
func (s *Service) payeesOf(ctx context.Context, books []common.Address) (map[common.Address]*big.Int, error) {
	out := map[common.Address]*big.Int{}
	for _, addr := range books {
		cb, err := chain.NewCheckbook(addr, s.eth)
		if err != nil {
			return nil, err
		}
		it, err := cb.FilterChequeCashed(&bind.FilterOpts{Context: ctx}, nil)
		if err != nil {
			return nil, err
		}
		for it.Next() {
			b := it.Event.Beneficiary
			if out[b] == nil {
				out[b] = new(big.Int)
			}
			out[b].Add(out[b], it.Event.Paid)
		}
		err = it.Error()
		it.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// standing is b's history independent of the address being scored (not):
// how many distinct others b's own checkbooks paid at least standingMin,
// over standingPayees, at most 1. An address without a checkbook, or that
// paid only not and itself, has none. A chain that cannot be read gives
// none.
func (s *Service) standing(ctx context.Context, b, not common.Address) float64 {
	books, err := s.factory.CheckbooksOf(ctx, b)
	if err != nil || len(books) == 0 {
		return 0
	}
	paid, err := s.payeesOf(ctx, books)
	if err != nil {
		return 0
	}
	n := 0
	for addr, v := range paid {
		if addr != b && addr != not && v.Cmp(standingMin) >= 0 {
			n++
		}
	}
	return math.Min(1, float64(n)/standingPayees)
}

// verdicts reads the court's record of an address, when a court is set:
// the guilty verdicts against it, the not-guilty ones for it, and who lost
// those, with the standing of each (the plaintiffs with most cases first,
// maxPlaintiffs of them). A chain that will not list the Verdict events gives
// no plaintiffs: verdicts for the address then count for nothing.
func (s *Service) verdicts(ctx context.Context, a common.Address) (against, favour uint64, plaintiffs []plaintiff) {
	if s.set.Court == (common.Address{}) {
		return 0, 0, nil
	}
	c, err := chain.NewCourt(s.set.Court, s.eth)
	if err != nil {
		return 0, 0, nil
	}
	if v, err := c.VerdictsAgainst(s.call(ctx), a); err == nil {
		against = v.Uint64()
	}
	if v, err := c.VerdictsFor(s.call(ctx), a); err == nil {
		favour = v.Uint64()
	}
	if favour == 0 {
		return against, favour, nil
	}
	it, err := c.FilterVerdict(&bind.FilterOpts{Context: ctx}, nil, nil, []common.Address{a})
	if err != nil {
		return against, favour, nil
	}
	cases := map[common.Address]uint64{}
	for it.Next() {
		if !it.Event.Guilty && it.Event.Plaintiff != a {
			cases[it.Event.Plaintiff]++
		}
	}
	err = it.Error()
	it.Close()
	if err != nil {
		return against, favour, nil
	}
	for p, n := range cases {
		plaintiffs = append(plaintiffs, plaintiff{addr: p, cases: n})
	}
	sort.Slice(plaintiffs, func(i, j int) bool {
		if plaintiffs[i].cases != plaintiffs[j].cases {
			return plaintiffs[i].cases > plaintiffs[j].cases
		}
		return plaintiffs[i].addr.Cmp(plaintiffs[j].addr) < 0
	})
	if len(plaintiffs) > maxPlaintiffs {
		plaintiffs = plaintiffs[:maxPlaintiffs]
	}
	for i := range plaintiffs {
		plaintiffs[i].standing = s.standing(ctx, plaintiffs[i].addr, a)
	}
	return against, favour, plaintiffs
}
