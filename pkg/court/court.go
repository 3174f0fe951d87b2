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
	// retry paces the pending actions (pending.go).
	retry backoff
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

// Run watches the court until ctx ends: it records what cases against this
// node and calls to testify require, acts on those records until they are
// done (pending.go), and asks for judgement on this node's own cases once
// their deadline has passed.
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
		s.runPending(ctx)
		if err := s.judgeMine(ctx); err != nil {
			s.log.Debug("judging this node's cases", "err", err)
		}
	}
}

const lastBlockKey = "watch/last-block"

// watch reads the Court's events since the last block it saw and records
// the actions they call for. The actions and the new last-seen block are
// written in one synced batch: an event is either still ahead of the
// watcher or recorded as pending, never lost in between.
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
		return nil
	}
	b := s.db.NewBatch()
	it, err := s.crt.FilterCaseOpened(&bind.FilterOpts{Start: from, End: &head, Context: ctx}, nil, nil, nil)
	if err != nil {
		return err
	}
	for it.Next() {
		ev := it.Event
		switch {
		case ev.Provider == s.self && ev.Kind == uint8(chain.PromiseCase):
			b.Set([]byte("case/"+ev.CaseId.String()), nil)
			b.Set(pendingKey(actAnswer, ev.CaseId.String()), answerAction(ev).encode())
		case ev.Plaintiff == s.self:
			b.Set([]byte("mycase/"+ev.CaseId.String()), []byte(fmt.Sprint(ev.Deadline)))
		}
	}
	err = it.Error()
	it.Close()
	if err != nil {
		return err
	}
	wit, err := s.crt.FilterWitnessCalled(&bind.FilterOpts{Start: from, End: &head, Context: ctx}, nil, []common.Address{s.self})
	if err != nil {
		return err
	}
	for wit.Next() {
		id := wit.Event.CaseId.String()
		b.Set([]byte("case/"+id), nil)
		b.Set(pendingKey(actTestify, id), (&pendingAction{Kind: actTestify, Case: id}).encode())
	}
	err = wit.Error()
	wit.Close()
	if err != nil {
		return err
	}
	b.Set([]byte(lastBlockKey), []byte(fmt.Sprint(head)))
	return b.Commit()
}

// answer responds to a promise case with the promised data. An error
// leaves the case to be tried again (runPending).
func (s *Service) answer(ctx context.Context, ev *chain.CourtCaseOpened) error {
	ag, err := s.reg.Agreements(s.call(ctx), ev.AgreementId)
	if err != nil {
		return fmt.Errorf("reading the agreement: %w", err)
	}
	data, err := s.proof(ctx, chain.ServiceName(ag.Service), ev.AgreementId, ev.Key)
	if err != nil {
		return fmt.Errorf("no proof: %w", err)
	}
	if crypto.Keccak256Hash(data) != common.Hash(ev.Hash) {
		return errors.New("the data held does not match the promise")
	}
	tx, err := s.crt.Respond(s.txOpts(ctx), ev.CaseId, data)
	if err == nil {
		_, err = chain.Wait(ctx, s.eth, tx)
	}
	if err != nil {
		return fmt.Errorf("answering: %w", err)
	}
	s.log.Info("answered a case with the promised data", "case", ev.CaseId, "agreement", ev.AgreementId)
	return nil
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

const maxPromise = 64 << 10

// testify answers a call as witness. The node testifies from what it knows
// of the provider: its credit score as this node's mf-swap computes it
// (payments, bounces and court verdicts seen on chain, and this node's own
// experience). Below 0.5 it says guilty. Without a running mf-swap it does
// not testify at all rather than guess.
func (s *Service) testify(ctx context.Context, caseID *big.Int) error {
	c, err := s.crt.Cases(s.call(ctx), caseID)
	if err != nil {
		return fmt.Errorf("reading the case: %w", err)
	}
	if c.Status != uint8(chain.CaseOpen) {
		return nil
	}
	score, err := s.swapScore(ctx, c.Provider)
	if err != nil {
		return fmt.Errorf("called as witness but cannot judge the provider (is mf-swap running?): %w", err)
	}
	guilty := score < 0.5
	tx, err := s.crt.Testify(s.txOpts(ctx), caseID, guilty)
	if err == nil {
		_, err = chain.Wait(ctx, s.eth, tx)
	}
	if err != nil {
		return fmt.Errorf("testifying: %w", err)
	}
	s.log.Info("testified as witness", "case", caseID, "provider", c.Provider, "score", score, "guilty", guilty)
	return nil
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
