package swap

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/http"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
)

// Invoice is what a creditor sends its debtor (POST /remote/invoice through
// the mf-route gateway): how much it thinks it is owed.
type Invoice struct {
	Amount string `json:"amount"` // base units
	// HardDeposit (base units, optional) is the hard deposit the creditor
	// asks the debtor's checkbook to hold for it: what covers its uncashed
	// cheques and the one asked for. The debtor raises it after issuing
	// the cheque, never beyond what its cheques to the creditor can draw.
	HardDeposit string `json:"hard_deposit,omitempty"`
}

// ChequeMsg carries a cheque as hex of its binary form.
type ChequeMsg struct {
	Cheque string `json:"cheque"`
}

func chqKey(dir, peer string) []byte { return []byte("chq/" + dir + "/" + peer) }

func (s *Service) lastCheque(dir, peer string) (*chain.Cheque, error) {
	b, err := s.db.Get(chqKey(dir, peer))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c := new(chain.Cheque)
	if err := c.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("swap: stored cheque for %s is damaged: %v", peer, err)
	}
	return c, nil
}

// invoice asks a debtor for a cheque and books what it sends.
func (s *Service) invoice(ctx context.Context, peer string, owed *big.Int) error {
	var msg ChequeMsg
	inv := Invoice{Amount: owed.String(), HardDeposit: s.hardDepositAsk(ctx, peer, owed).String()}
	if err := s.route.CallService(ctx, peer, "swap", http.MethodPost, "/v0/invoice", inv, &msg); err != nil {
		return err
	}
	b, err := hex.DecodeString(msg.Cheque)
	if err != nil {
		return fmt.Errorf("swap: cheque from %s is not hex", peer)
	}
	_, err = s.ReceiveCheque(ctx, peer, b)
	return err
}

// ReceiveCheque verifies a cheque from peer and books it: it must be signed
// by the peer's key, drawn on a genuine checkbook that the peer issues,
// payable to this node, and worth more than the last one. The balance
// drops by the difference, in the same synced batch that stores it.
func (s *Service) ReceiveCheque(ctx context.Context, peer string, raw []byte) (*big.Int, error) {
	// Run looks at once: a peer cut off for its debt may be served again.
	defer s.wake()
	c := new(chain.Cheque)
	if err := c.UnmarshalBinary(raw); err != nil {
		return nil, localapi.BadRequest("malformed cheque: %v", err)
	}
	if c.Beneficiary != s.self {
		return nil, localapi.BadRequest("cheque is payable to %s, not to this node", c.Beneficiary)
	}
	signer, err := c.Signer(s.chainID)
	if err != nil {
		return nil, localapi.BadRequest("cheque signature: %v", err)
	}
	addr, _ := s.db.Get([]byte("addr/" + peer))
	if len(addr) > 0 && common.HexToAddress(string(addr)) != signer {
		return nil, localapi.BadRequest("cheque signed by %s, not by the peer %s", signer, string(addr))
	}
	genuine, err := s.factory.Genuine(ctx, c.Checkbook)
	if err != nil {
		return nil, err
	}
	if !genuine {
		return nil, localapi.BadRequest("cheque drawn on %s, which the checkbook factory did not deploy", c.Checkbook)
	}
	cb, err := chain.NewCheckbook(c.Checkbook, s.eth)
	if err != nil {
		return nil, err
	}
	issuer, err := cb.Issuer(&bind.CallOpts{Context: ctx})
	if err != nil {
		return nil, err
	}
	if issuer != signer {
		return nil, localapi.BadRequest("cheque signed by %s, but checkbook %s is issued by %s", signer, c.Checkbook, issuer)
	}
	var gained, credited *big.Int
	_, err = s.led.update(peer, func(bal *big.Int, b *kv.Batch) (*big.Int, error) {
		// Cumulative payouts count per checkbook (this node is always the
		// beneficiary), whichever peer presents the cheque: a peer that
		// alternates between two checkbooks, or presents a cheque another
		// peer already paid with, is replaying.
		prev, err := getInt(s.db, bookedKey(c.Checkbook))
		if err != nil {
			return nil, err
		}
		last, err := s.lastCheque("in", peer)
		if err != nil {
			return nil, err
		}
		if last != nil && last.Checkbook == c.Checkbook && last.Cumulative.Cmp(prev) > 0 {
			prev = last.Cumulative // booked before booked/ was kept
		}
		if c.Cumulative.Cmp(prev) <= 0 {
			return nil, localapi.Errorf(http.StatusConflict, "replayed", "cheque for %s is not above the last one (%s): replayed", amount.Format(c.Cumulative), amount.Format(prev))
		}
		gained = new(big.Int).Sub(c.Cumulative, prev)
		// A cheque settles what the peer owes and no more: were the
		// balance to go negative, a cheque on an empty checkbook would
		// become a debt of this node, which the peer's next invoice would
		// collect in real cheques. Anything above the debt is a gift.
		credited = new(big.Int).Set(gained)
		if credited.Cmp(bal) > 0 {
			credited.SetInt64(0)
			if bal.Sign() > 0 {
				credited.Set(bal)
			}
		}
		b.Set(chqKey("in", peer), raw)
		b.Set(bookedKey(c.Checkbook), []byte(c.Cumulative.String()))
		return new(big.Int).Sub(bal, credited), nil
	})
	if err != nil {
		return nil, err
	}
	if credited.Cmp(gained) != 0 {
		s.log.Warn("cheque pays more than the peer owes; the rest is not booked", "peer", peer, "amount", amount.Format(gained), "owed", amount.Format(credited))
	}
	s.log.Info("cheque received", "peer", peer, "amount", amount.Format(gained), "cumulative", amount.Format(c.Cumulative))
	return credited, nil
}

func bookedKey(checkbook common.Address) []byte { return []byte("booked/" + checkbook.Hex()) }

// issue answers an invoice: a cheque for what this node's own accounting
// says it owes, at most what was asked. The cheque is stored (and the debt
// reduced) before it is handed out, so a crash can only make the next
// cheque cover it again, never lose or double it.
func (s *Service) issue(peer string, beneficiary common.Address, asked *big.Int) (*chain.Cheque, error) {
	if !s.set.Pay {
		return nil, localapi.Errorf(http.StatusPaymentRequired, "refused", "this node does not pay")
	}
	var cheque *chain.Cheque
	_, err := s.led.update(peer, func(bal *big.Int, b *kv.Batch) (*big.Int, error) {
		last, err := s.lastCheque("out", peer)
		if err != nil {
			return nil, err
		}
		resendable := last != nil && last.Checkbook == s.checkbook && last.Beneficiary == beneficiary
		owed := new(big.Int).Neg(bal)
		if owed.Sign() <= 0 {
			if resendable {
				// The last cheque may never have arrived (this node was
				// killed after storing it, or the answer was lost): send
				// it again. It is cumulative, so it cannot pay twice.
				cheque = last
				return bal, nil
			}
			return nil, localapi.Errorf(http.StatusConflict, "nothing_owed", "this node owes you nothing")
		}
		amount := owed
		if asked.Cmp(owed) < 0 {
			amount = asked
		}
		cum := new(big.Int).Set(amount)
		if resendable {
			cum.Add(cum, last.Cumulative)
		}
		cheque, err = chain.NewCheque(s.key, s.chainID, s.checkbook, beneficiary, cum)
		if err != nil {
			return nil, err
		}
		raw, err := cheque.MarshalBinary()
		if err != nil {
			return nil, err
		}
		b.Set(chqKey("out", peer), raw)
		return new(big.Int).Add(bal, amount), nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("cheque issued", "peer", peer, "cumulative", amount.Format(cheque.Cumulative))
	return cheque, nil
}

// maybeCash cashes a peer's best cheque when enough is uncashed (or always,
// when forced).
func (s *Service) maybeCash(ctx context.Context, peer string, force bool) error {
	s.cashMu.Lock()
	defer s.cashMu.Unlock()
	c, err := s.lastCheque("in", peer)
	if err != nil || c == nil {
		if force && c == nil && err == nil {
			return localapi.NotFound("no cheque from %s to cash", peer)
		}
		return err
	}
	// The settle loop looks every second; a cheque it already found not
	// worth cashing is not asked about on chain again until a new one comes.
	if !force && s.quiet[peer] != nil && s.quiet[peer].Cmp(c.Cumulative) == 0 {
		return nil
	}
	cb, err := chain.NewCheckbook(c.Checkbook, s.eth)
	if err != nil {
		return err
	}
	opts := &bind.CallOpts{Context: ctx}
	paid, err := cb.PaidOut(opts, s.self)
	if err != nil {
		return err
	}
	uncashed := new(big.Int).Sub(c.Cumulative, paid)
	if uncashed.Sign() <= 0 {
		if force {
			return localapi.Errorf(http.StatusConflict, "cashed", "the last cheque from %s is already cashed", peer)
		}
		return nil
	}
	// A cheque presented before that bounced is worth presenting again
	// (the contract then pays the rest) only once its checkbook holds
	// something; until then it would only burn gas.
	presented, err := cb.Presented(opts, s.self)
	if err != nil {
		return err
	}
	if c.Cumulative.Cmp(presented) <= 0 {
		held, err := cb.Balance(opts)
		if err != nil {
			return err
		}
		if held.Sign() == 0 {
			if force {
				return localapi.Errorf(http.StatusConflict, "bounced", "the last cheque from %s bounced for %s MFT and its checkbook %s is still empty", peer, amount.Format(uncashed), c.Checkbook)
			}
			return nil
		}
	}
	if !force && uncashed.Cmp(s.set.Cash) < 0 {
		s.quiet[peer] = c.Cumulative
		return nil
	}
	s.txMu.Lock()
	tx, err := cb.CashCheque(s.txOpts(ctx), s.self, c.Cumulative, c.Signature)
	if err != nil {
		s.txMu.Unlock()
		return fmt.Errorf("swap: cashing %s's cheque: %v", peer, err)
	}
	_, err = chain.Wait(ctx, s.eth, tx)
	s.txMu.Unlock()
	if err != nil {
		return fmt.Errorf("swap: cashing %s's cheque: %v", peer, err)
	}
	bounced, err := cb.BouncedOf(&bind.CallOpts{Context: ctx}, s.self)
	if err != nil {
		return err
	}
	// What bounced is owed again: the cheque was booked as payment in
	// full when it arrived.
	_, err = s.led.update(peer, func(bal *big.Int, b *kv.Batch) (*big.Int, error) {
		prev, err := getInt(s.db, []byte("bounced/"+peer))
		if err != nil {
			return nil, err
		}
		b.Set([]byte("bounced/"+peer), []byte(bounced.String()))
		return new(big.Int).Add(bal, new(big.Int).Sub(bounced, prev)), nil
	})
	s.log.Info("cheque cashed", "peer", peer, "cumulative", amount.Format(c.Cumulative), "bounced", amount.Format(bounced))
	return err
}

func (s *Service) txOpts(ctx context.Context) *bind.TransactOpts {
	o := *s.auth
	o.Context = ctx
	return &o
}

// send sends one transaction under txMu: the settle loop, the invoice
// handler and the API all send from this node's key, and two sends at once
// would take the same nonce. The lock covers the send only; waiting for
// the receipt needs no lock.
func (s *Service) send(f func() (*types.Transaction, error)) (*types.Transaction, error) {
	s.txMu.Lock()
	defer s.txMu.Unlock()
	return f()
}
