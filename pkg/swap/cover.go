package swap

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/chain"
)

// Hard deposits: what the chain guarantees a creditor.
//
// A checkbook's issuer can empty its liquid balance at any moment with a
// cheque to itself or to a second address, so a cheque is only as good as
// the hard deposit its checkbook holds for the beneficiary: that part pays
// the beneficiary's cheques and nothing else, and lowering it takes the
// checkbook's notice period (Checkbook.sol). A creditor therefore
//
//   - asks, with each invoice, for a hard deposit covering the cheques it
//     holds and the one it asks for (Invoice.HardDeposit);
//   - counts as safe only the part of its uncashed cheques that the hard
//     deposit covers, less any decrease already announced, and only when the
//     checkbook's notice period leaves it time to cash (minNotice);
//   - refuses service on what is at risk, not on the ledger balance alone:
//     the peer's debt plus its uncashed cheques, less what is safe;
//   - cashes at once when a decrease of its hard deposit is announced.
//
// A debtor answers an invoice with a cheque and then raises the
// creditor's hard deposit towards what it asked, never above what the
// debtor's own cheques to it can still draw, and only from its liquid
// balance.

// minNotice is the shortest notice period under which a hard deposit counts
// as safe: below it, the issuer can announce and make a decrease before a
// creditor checking every few seconds has noticed and cashed.
const minNotice = 10 * time.Minute

// coverTTL is how long a creditor's reading of a peer's hard deposit is
// reused by the settle loop, which runs every second.
const coverTTL = 5 * time.Second

// guarantee is what the chain guarantees this node of one peer's cheques.
type guarantee struct {
	// Cumulative of the cheque it was read for.
	Cumulative *big.Int
	// Uncashed is the value of the peer's cheques not yet presented on
	// chain (what bounced is back in the ledger balance).
	Uncashed *big.Int
	// Hard is the hard deposit the peer's checkbook holds for this node,
	// and Decrease the part of it whose decrease is announced.
	Hard, Decrease *big.Int
	// Safe is the part of Uncashed the hard deposit guarantees.
	Safe *big.Int
	at   time.Time
}

// atRisk is what this node would lose if the peer paid nothing more: its
// debt in the ledger (when positive) plus its uncashed cheques, less what
// the chain guarantees.
func (g *guarantee) atRisk(bal *big.Int) *big.Int {
	r := new(big.Int).Sub(g.Uncashed, g.Safe)
	if bal.Sign() > 0 {
		r.Add(r, bal)
	}
	return r
}

func zeroGuarantee() *guarantee {
	return &guarantee{Cumulative: new(big.Int), Uncashed: new(big.Int), Hard: new(big.Int), Decrease: new(big.Int), Safe: new(big.Int), at: time.Now()}
}

// guaranteeOf reads, from the chain, what the hard deposit of peer's
// checkbook guarantees this node of the best cheque it holds from peer. A
// reading younger than coverTTL for the same cheque is reused unless fresh
// is set.
func (s *Service) guaranteeOf(ctx context.Context, peer string, fresh bool) (*guarantee, error) {
	c, err := s.lastCheque("in", peer)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return zeroGuarantee(), nil
	}
	if !fresh {
		s.cacheMu.Lock()
		g, ok := s.covers[peer]
		s.cacheMu.Unlock()
		if ok && g.Cumulative.Cmp(c.Cumulative) == 0 && time.Since(g.at) < coverTTL {
			return g, nil
		}
	}
	cb, err := chain.NewCheckbook(c.Checkbook, s.eth)
	if err != nil {
		return nil, err
	}
	opts := s.call(ctx)
	presented, err := cb.Presented(opts, s.self)
	if err != nil {
		return nil, err
	}
	hard, err := cb.HardDeposit(opts, s.self)
	if err != nil {
		return nil, err
	}
	dec, err := cb.DecreaseAmount(opts, s.self)
	if err != nil {
		return nil, err
	}
	notice, err := cb.NoticePeriod(opts)
	if err != nil {
		return nil, err
	}
	g := &guarantee{Cumulative: new(big.Int).Set(c.Cumulative), Uncashed: new(big.Int), Hard: hard, Decrease: dec, Safe: new(big.Int), at: time.Now()}
	if c.Cumulative.Cmp(presented) > 0 {
		g.Uncashed.Sub(c.Cumulative, presented)
	}
	// An announced decrease is as good as made: the issuer can make it
	// the moment the notice is over.
	if notice.Cmp(big.NewInt(int64(minNotice/time.Second))) >= 0 && hard.Cmp(dec) > 0 {
		g.Safe.Sub(hard, dec)
		if g.Safe.Cmp(g.Uncashed) > 0 {
			g.Safe.Set(g.Uncashed)
		}
	}
	s.cacheMu.Lock()
	s.covers[peer] = g
	s.cacheMu.Unlock()
	return g, nil
}

// hardDepositAsk is the hard deposit this node asks peer for when it
// invoices owed: enough to cover its uncashed cheques and the one asked for.
func (s *Service) hardDepositAsk(ctx context.Context, peer string, owed *big.Int) *big.Int {
	ask := new(big.Int).Set(owed)
	if g, err := s.guaranteeOf(ctx, peer, true); err == nil {
		ask.Add(ask, g.Uncashed)
	}
	return ask
}

// cover raises the hard deposit this node's checkbook holds for
// beneficiary towards asked (nil: as far as needed), after it issued c: at
// most what its cheques to beneficiary can still draw (c's cumulative less
// what was paid), and only from the liquid balance. It returns the hard
// deposit afterwards.
func (s *Service) cover(ctx context.Context, beneficiary common.Address, c *chain.Cheque, asked *big.Int) (*big.Int, error) {
	s.txMu.Lock()
	defer s.txMu.Unlock()
	opts := s.call(ctx)
	paid, err := s.cb.PaidOut(opts, beneficiary)
	if err != nil {
		return nil, err
	}
	hard, err := s.cb.HardDeposit(opts, beneficiary)
	if err != nil {
		return nil, err
	}
	need := new(big.Int).Sub(c.Cumulative, paid)
	if asked != nil && asked.Cmp(need) < 0 {
		need = asked
	}
	if hard.Cmp(need) >= 0 {
		return hard, nil
	}
	liquid, err := s.cb.LiquidBalance(opts)
	if err != nil {
		return nil, err
	}
	raise := new(big.Int).Sub(need, hard)
	if raise.Cmp(liquid) > 0 {
		raise = liquid
	}
	if raise.Sign() == 0 {
		return hard, fmt.Errorf("swap: no liquid balance to cover the cheque to %s: deposit more", beneficiary)
	}
	tx, err := s.cb.IncreaseHardDeposit(s.txOpts(ctx), beneficiary, raise)
	if err != nil {
		return hard, fmt.Errorf("swap: raising the hard deposit of %s: %v", beneficiary, err)
	}
	if _, err := chain.Wait(ctx, s.eth, tx); err != nil {
		return hard, fmt.Errorf("swap: raising the hard deposit of %s: %v", beneficiary, err)
	}
	hard.Add(hard, raise)
	if hard.Cmp(need) < 0 {
		return hard, fmt.Errorf("swap: the hard deposit of %s covers %s MFT of %s: deposit more", beneficiary, amount.Format(hard), amount.Format(need))
	}
	return hard, nil
}
