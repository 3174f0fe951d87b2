// Package court is mf-court: swear and swindle (whitepaper, "Incentivized
// packet holding", "file storage", "data services"). A provider stakes MFT
// for a service agreement with a client (swear); the client can take the
// provider to the Court contract with a claim (swindle). mf-court is the
// node's agent for both sides: it stakes, keeps the data the provider
// promised (or asks the service that holds it), answers cases against this
// node automatically with the data that proves compliance, and asks the
// court to judge this node's cases once their deadline has passed.
//
// The proof interface a service offers mf-court on its own socket:
//
//	GET /v0/proof?key=<64 hex digits>   → the bytes stored under that key
//	                                      (200), or 404
//
// Until a service implements it, mf-court answers from the data given to
// `mf-court promise`, which it keeps in its own store.
package court

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/swap"
)

// Service is a running mf-court.
type Service struct {
	home     string
	key      *ecdsa.PrivateKey
	self     common.Address
	db       *kv.DB
	eth      *chain.Client
	chainID  *big.Int
	auth     *bind.TransactOpts
	registry common.Address
	court    common.Address
	reg      *chain.StakeRegistry
	crt      *chain.Court
	log      *slog.Logger
}

// NewService connects to the chain.
func NewService(ctx context.Context, home string, key *ecdsa.PrivateKey, rpcURL string, registry, court common.Address, db *kv.DB, log *slog.Logger) (*Service, error) {
	eth, chainID, err := swap.Dial(ctx, rpcURL)
	if err != nil {
		return nil, err
	}
	s := &Service{home: home, key: key, self: crypto.PubkeyToAddress(key.PublicKey), db: db, eth: eth, chainID: chainID, registry: registry, court: court, log: log}
	if s.auth, err = bind.NewKeyedTransactorWithChainID(key, chainID); err != nil {
		return nil, err
	}
	if s.reg, err = chain.NewStakeRegistry(registry, eth); err != nil {
		return nil, err
	}
	if s.crt, err = chain.NewCourt(court, eth); err != nil {
		return nil, err
	}
	return s, nil
}

// Close releases the chain connection.
func (s *Service) Close() { s.eth.Close() }

func (s *Service) txOpts(ctx context.Context) *bind.TransactOpts {
	o := *s.auth
	o.Context = ctx
	return &o
}

func (s *Service) call(ctx context.Context) *bind.CallOpts { return &bind.CallOpts{Context: ctx} }

// Run watches the court until ctx ends: it answers promise cases against
// this node and asks for judgement on this node's own cases once their
// deadline has passed.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.watch(ctx); err != nil {
			s.log.Debug("watching the court", "err", err)
		}
	}
}

const lastBlockKey = "watch/last-block"

func (s *Service) watch(ctx context.Context) error {
	head, err := s.eth.BlockNumber(ctx)
	if err != nil {
		return err
	}
	from := uint64(0)
	if b, err := s.db.Get([]byte(lastBlockKey)); err == nil {
		fmt.Sscan(string(b), &from)
		from++
	}
	if from > head {
		return s.judgeMine(ctx)
	}
	it, err := s.crt.FilterCaseOpened(&bind.FilterOpts{Start: from, End: &head, Context: ctx}, nil, nil, nil)
	if err != nil {
		return err
	}
	for it.Next() {
		ev := it.Event
		switch {
		case ev.Provider == s.self && ev.Kind == uint8(chain.PromiseCase):
			_ = s.db.Set([]byte("case/"+ev.CaseId.String()), nil)
			s.answer(ctx, ev)
		case ev.Plaintiff == s.self:
			_ = s.db.Set([]byte("mycase/"+ev.CaseId.String()), []byte(fmt.Sprint(ev.Deadline)))
		}
	}
	it.Close()
	wit, err := s.crt.FilterWitnessCalled(&bind.FilterOpts{Start: from, End: &head, Context: ctx}, nil, []common.Address{s.self})
	if err != nil {
		return err
	}
	for wit.Next() {
		_ = s.db.Set([]byte("case/"+wit.Event.CaseId.String()), nil)
		s.testify(ctx, wit.Event.CaseId)
	}
	wit.Close()
	if err := s.db.Set([]byte(lastBlockKey), []byte(fmt.Sprint(head))); err != nil {
		return err
	}
	return s.judgeMine(ctx)
}

// answer responds to a promise case with the promised data.
func (s *Service) answer(ctx context.Context, ev *chain.CourtCaseOpened) {
	ag, err := s.reg.Agreements(s.call(ctx), ev.AgreementId)
	if err != nil {
		return
	}
	data, err := s.proof(ctx, chain.ServiceName(ag.Service), ev.AgreementId, ev.Key)
	if err != nil {
		s.log.Warn("cannot answer a case: no proof", "case", ev.CaseId, "err", err)
		return
	}
	if crypto.Keccak256Hash(data) != common.Hash(ev.Hash) {
		s.log.Warn("cannot answer a case: the data held does not match the promise", "case", ev.CaseId)
		return
	}
	tx, err := s.crt.Respond(s.txOpts(ctx), ev.CaseId, data)
	if err == nil {
		_, err = chain.Wait(ctx, s.eth, tx)
	}
	if err != nil {
		s.log.Warn("answering a case", "case", ev.CaseId, "err", err)
		return
	}
	s.log.Info("answered a case with the promised data", "case", ev.CaseId, "agreement", ev.AgreementId)
}

// proof gets the data promised under key: from the service's socket if it
// runs, else from mf-court's own store.
func (s *Service) proof(ctx context.Context, service string, agreement *big.Int, key [32]byte) ([]byte, error) {
	sock := filepath.Join(s.home, service+".sock")
	if _, err := os.Stat(sock); err == nil {
		hc := localapi.HTTPClient(sock, 10*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://mf/v0/proof?key="+hex.EncodeToString(key[:]), nil)
		if resp, err := hc.Do(req); err == nil {
			defer resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return io.ReadAll(io.LimitReader(resp.Body, maxPromise+1))
			}
		}
	}
	b, err := s.db.Get(promiseKey(agreement, key))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, fmt.Errorf("court: no data promised under key %x for agreement %s", key, agreement)
	}
	return b, err
}

func promiseKey(agreement *big.Int, key [32]byte) []byte {
	return []byte(fmt.Sprintf("promise/%s/%x", agreement, key))
}

// judgeMine asks for judgement on this node's open cases past their
// deadline.
func (s *Service) judgeMine(ctx context.Context) error {
	head, err := s.eth.HeaderByNumber(ctx, nil)
	if err != nil {
		return err
	}
	var due []string
	_ = s.db.Scan([]byte("mycase/"), func(k, v []byte) error {
		var deadline uint64
		fmt.Sscan(string(v), &deadline)
		if head.Time > deadline {
			due = append(due, string(k[len("mycase/"):]))
		}
		return nil
	})
	for _, id := range due {
		caseID, _ := new(big.Int).SetString(id, 10)
		c, err := s.crt.Cases(s.call(ctx), caseID)
		if err == nil && c.Status == uint8(chain.CaseOpen) {
			tx, err := s.crt.Judge(s.txOpts(ctx), caseID)
			if err == nil {
				_, err = chain.Wait(ctx, s.eth, tx)
			}
			if err != nil {
				s.log.Debug("judging", "case", id, "err", err)
				continue
			}
			s.log.Info("case judged after its deadline", "case", id)
		}
		_ = s.db.Delete([]byte("mycase/" + id))
	}
	return nil
}

const maxPromise = 64 << 10

// testify answers a call as witness. The node testifies from what it knows
// of the provider: its credit score as this node's mf-swap computes it
// (payments, bounces and court verdicts seen on chain, and this node's own
// experience). Below 0.5 it says guilty. Without a running mf-swap it does
// not testify at all rather than guess.
func (s *Service) testify(ctx context.Context, caseID *big.Int) {
	c, err := s.crt.Cases(s.call(ctx), caseID)
	if err != nil || c.Status != uint8(chain.CaseOpen) {
		return
	}
	score, err := s.swapScore(ctx, c.Provider)
	if err != nil {
		s.log.Warn("called as witness but cannot judge the provider (is mf-swap running?)", "case", caseID, "err", err)
		return
	}
	guilty := score < 0.5
	tx, err := s.crt.Testify(s.txOpts(ctx), caseID, guilty)
	if err == nil {
		_, err = chain.Wait(ctx, s.eth, tx)
	}
	if err != nil {
		s.log.Warn("testifying", "case", caseID, "err", err)
		return
	}
	s.log.Info("testified as witness", "case", caseID, "provider", c.Provider, "score", score, "guilty", guilty)
}

// swapScore asks this node's mf-swap for an address's credit score.
func (s *Service) swapScore(ctx context.Context, a common.Address) (float64, error) {
	sock := filepath.Join(s.home, "swap.sock")
	hc := localapi.HTTPClient(sock, 10*time.Second)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://mf/v0/score/"+a.Hex(), nil)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("mf-swap answered %s", resp.Status)
	}
	var sc struct {
		Score float64 `json:"score"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&sc); err != nil {
		return 0, err
	}
	return sc.Score, nil
}
