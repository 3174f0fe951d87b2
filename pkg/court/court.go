// Package court is mf-court: swear and swindle (whitepaper, "Incentivized
// packet holding", "file storage", "data services"). A provider stakes MFT
// for a service agreement with a client (swear) and signs promises that it
// holds data: the Merkle root over the data's 4 KiB chunks and their count
// (pkg/proof, docs/challenges.md). The client can take the provider to the
// Court contract on such a promise (swindle). mf-court is the node's agent
// on every side: it stakes, keeps the data the provider promised (or asks
// the service that holds it), answers challenges against this node with the
// chunks and Merkle paths the court asks for, fixes the seed of this node's
// own cases as soon as it can, asks the court to judge them once their
// deadline has passed, and, as a witness in the court's pool, checks the
// chunks it asks a provider for over the network and testifies.
//
// The proof interface a service offers mf-court on its own socket:
//
//	GET /v0/proof?key=<64 hex digits>&index=<i>,<j>,...
//	    → 200 with the answer in pkg/proof's wire form (the chunks i, j, ...
//	      of the data promised under key, with their Merkle paths), or 404
//
// A service that holds the data itself (mf-store) has mf-court sign a
// promise over a root and a chunk count (courtapi.PromiseRequest without
// data): mf-court keeps nothing, signs only once the service proves a chunk
// of it, and asks the service whenever a case or a witness needs chunks.
// For data given to `mf-court promise`, mf-court keeps it in its own store
// and answers from it.
package court

import (
	"bytes"
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
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/court/courtapi"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/proof"
	"github.com/mainframe/mf/pkg/route/routeapi"
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
	route    *routeapi.Client // mf-route's gateway: witnesses reach providers through it

	mu         sync.Mutex
	witnessing map[string]bool // cases this node is working on as a witness
	reg        *chain.StakeRegistry
	crt        *chain.Court
	log        *slog.Logger
	// retry paces the pending actions (pending.go).
	retry backoff
}

// NewService connects to the chain.
func NewService(ctx context.Context, home string, key *ecdsa.PrivateKey, rpcURL string, registry, court common.Address, db *kv.DB, log *slog.Logger) (*Service, error) {
	eth, chainID, err := chain.Dial(ctx, rpcURL)
	if err != nil {
		return nil, fmt.Errorf("court: %w", err)
	}
	s := &Service{home: home, key: key, self: crypto.PubkeyToAddress(key.PublicKey), db: db, eth: eth, chainID: chainID, registry: registry, court: court,
		route: routeapi.NewClient(home), log: log}
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
// node, the panels of witness cases against it and calls to testify
// require, acts on those records until they are done (pending.go), and asks
// for judgement on this node's own cases once their deadline has passed.
//
// It looks once a second while it has actions pending or cases of its own
// open. Otherwise it looks when the chain seals a block (a subscription to
// new heads, where the chain offers one, as its IPC socket does), or every
// idleRound: an idle mf-court used to read the chain every second all day.
func (s *Service) Run(ctx context.Context) {
	heads := make(chan *types.Header, 16)
	var sub ethereum.Subscription
	defer func() {
		if sub != nil {
			sub.Unsubscribe()
		}
	}()
	first := true
	for {
		if sub == nil {
			// The context bounds the request only, not the
			// subscription: a chain connection cut halfway must not
			// hold the loop.
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if x, err := s.eth.SubscribeNewHead(sctx, heads); err == nil {
				sub = x
			}
			cancel()
		}
		wait := time.Second
		if sub != nil && !hasPending(s.db) {
			wait = idleRound
		}
		var subErr <-chan error
		if sub != nil {
			subErr = sub.Err()
		}
		if !first {
			select {
			case <-ctx.Done():
				return
			case <-heads:
				// One look covers every block since the last: the
				// heads that came meanwhile are spent too.
				for len(heads) > 0 {
					<-heads
				}
			case <-subErr:
				sub.Unsubscribe()
				sub = nil
			case <-time.After(wait):
			}
		}
		first = false
		s.pass(ctx)
	}
}

// passLimit bounds one look at the court, as a second line behind
// chain.CallLimit (every single chain call is bounded already): a pass
// makes many calls, and a stuck one must not stop the watcher for good. An
// answer waits up to seedWait for its seed; what is not done within the
// limit stays pending for the next pass.
const passLimit = seedWait + time.Minute

// pass reads new events, acts on what is pending and asks for judgement
// on this node's cases past their deadline.
func (s *Service) pass(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, passLimit)
	defer cancel()
	if err := s.watch(ctx); err != nil {
		s.log.Debug("watching the court", "err", err)
	}
	s.runPending(ctx)
	if err := s.judgeMine(ctx); err != nil {
		s.log.Debug("judging this node's cases", "err", err)
	}
}

// idleRound is the longest Run waits between looks while it follows the
// chain's new heads and has nothing pending.
const idleRound = 30 * time.Second

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
		case ev.Provider == s.self && ev.Kind == uint8(chain.WitnessCase):
			b.Set([]byte("case/"+ev.CaseId.String()), nil)
			b.Set(pendingKey(actDraw, ev.CaseId.String()), (&pendingAction{Kind: actDraw, Case: ev.CaseId.String()}).encode())
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

// seedWait bounds how long answer and draw wait for a case's seed block:
// a few blocks on any chain.
const seedWait = 2 * time.Minute

// answer responds to a promise case against this node: it waits for the
// seed block, takes the chunks the challenge asks for from the data held
// under the promise's key, checks them against the promise's root (a wrong
// answer is refused on chain anyway, and costs gas), and sends them. An
// error leaves the case to be tried again (runPending).
func (s *Service) answer(ctx context.Context, ev *chain.CourtCaseOpened) error {
	ag, err := s.reg.Agreements(s.call(ctx), ev.AgreementId)
	if err != nil {
		return fmt.Errorf("reading the agreement: %w", err)
	}
	_, idx, err := s.challenge(ctx, ev.CaseId)
	if err != nil {
		return fmt.Errorf("no challenge: %w", err)
	}
	ans, err := s.proofs(ctx, chain.ServiceName(ag.Service), ev.AgreementId, ev.Key, idx)
	if err != nil {
		// No data: the client may have released it (mf-hold deletes what
		// its client's received-list names, on the client's signed word).
		if rerr := s.answerReleased(ctx, chain.ServiceName(ag.Service), ev); rerr == nil {
			return nil
		} else if !errors.Is(rerr, errNoRelease) {
			return fmt.Errorf("no proof (%v), and the release did not dismiss the case: %w", err, rerr)
		}
		return fmt.Errorf("no proof: %w", err)
	}
	if err := proof.VerifyChunks(ev.Root, ev.Chunks, idx, ans); err != nil {
		return fmt.Errorf("the data held does not match the promise: %w", err)
	}
	if _, err := chain.Respond(ctx, s.eth, s.txOpts(ctx), s.court, ev.CaseId, ans); err != nil {
		return fmt.Errorf("answering: %w", err)
	}
	s.log.Info("answered a case with the chunks it asked for", "case", ev.CaseId, "agreement", ev.AgreementId, "chunks", idx)
	return nil
}

// challenge waits until case caseID's seed can be used and returns it with
// the indices it picks; a seed block out of reach is moved first.
func (s *Service) challenge(ctx context.Context, caseID *big.Int) (proof.Hash, []uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, seedWait)
	defer cancel()
	for {
		seed, idx, err := chain.Challenge(ctx, s.eth, s.court, caseID)
		switch {
		case err == nil:
			return seed, idx, nil
		case errors.Is(err, chain.ErrSeedOutOfReach):
			if err := chain.DrawChallenge(ctx, s.eth, s.txOpts(ctx), s.court, caseID); err != nil && !errors.Is(err, chain.ErrSeedMoved) {
				return proof.Hash{}, nil, err
			}
		case !errors.Is(err, chain.ErrSeedNotReady):
			return proof.Hash{}, nil, err
		}
		select {
		case <-ctx.Done():
			return proof.Hash{}, nil, fmt.Errorf("court: waiting for the seed of case %s: %w", caseID, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// draw fixes the seed of case caseID (drawing the panel of a witness
// case) as soon as its seed block allows, so that nobody can wait for the
// seed block to fall out of reach and draw again. Both parties' agents do
// it; the second finds it done.
func (s *Service) draw(ctx context.Context, caseID *big.Int, kind chain.CaseKind) error {
	ctx, cancel := context.WithTimeout(ctx, seedWait)
	defer cancel()
	for {
		var err error
		if kind == chain.WitnessCase {
			var called []common.Address
			called, err = chain.DrawPanel(ctx, s.eth, s.txOpts(ctx), s.court, caseID)
			if err == nil {
				s.log.Info("drew the panel of a case", "case", caseID, "witnesses", called)
			}
		} else {
			err = chain.DrawChallenge(ctx, s.eth, s.txOpts(ctx), s.court, caseID)
		}
		switch {
		case err == nil, errors.Is(err, chain.ErrSeedFixed):
			return nil
		case !errors.Is(err, chain.ErrSeedNotReady) && !errors.Is(err, chain.ErrSeedMoved):
			// Another agent's transaction may have fixed it meanwhile.
			if c, cerr := s.crt.Cases(s.call(ctx), caseID); cerr == nil && (c.Seed != [32]byte{} || c.Status != uint8(chain.CaseOpen)) {
				return nil
			}
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("court: waiting for the seed of case %s: %w", caseID, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// proofs gets the chunks idx of the data promised under key, with their
// Merkle paths: from the service's socket if it runs, else from the data
// mf-court keeps itself.
func (s *Service) proofs(ctx context.Context, service string, agreement *big.Int, key [32]byte, idx []uint64) ([]proof.Proof, error) {
	if ans, err := s.serviceProofs(ctx, service, key, idx); err == nil {
		return ans, nil
	}
	data, err := s.db.Get(promiseKey(agreement, key))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, fmt.Errorf("court: no data promised under key %x for agreement %s", key, agreement)
	}
	if err != nil {
		return nil, err
	}
	return proof.FromBytes(data).ProveAll(bytes.NewReader(data), idx)
}

// serviceProofs asks the service's own socket for chunks idx of the data
// promised under key (the proof convention of courtapi.PromiseRequest).
func (s *Service) serviceProofs(ctx context.Context, service string, key [32]byte, idx []uint64) ([]proof.Proof, error) {
	if !serviceName.MatchString(service) {
		return nil, fmt.Errorf("court: %q is not a service name", service)
	}
	sock := filepath.Join(s.home, service+".sock")
	if _, err := os.Stat(sock); err != nil {
		return nil, fmt.Errorf("court: mf-%s is not running", service)
	}
	hc := localapi.HTTPClient(sock, 30*time.Second)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://mf/v0/proof?key="+hex.EncodeToString(key[:])+"&index="+joinIndices(idx), nil)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("court: mf-%s answered %s", service, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, err
	}
	return proof.Decode(b)
}

// errNoRelease: the service keeps no release of the promise.
var errNoRelease = errors.New("court: no release of the promise")

// answerReleased dismisses a case on a promise the client released, with
// the release the service that holds the data kept (GET /v0/release on
// its socket, the proof convention of courtapi.PromiseRequest).
func (s *Service) answerReleased(ctx context.Context, service string, ev *chain.CourtCaseOpened) error {
	if !serviceName.MatchString(service) {
		return errNoRelease
	}
	sock := filepath.Join(s.home, service+".sock")
	if _, err := os.Stat(sock); err != nil {
		return errNoRelease
	}
	hc := localapi.HTTPClient(sock, 30*time.Second)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://mf/v0/release?key="+hex.EncodeToString(ev.Key[:]), nil)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return errNoRelease
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("court: mf-%s answered %s", service, resp.Status)
	}
	var ra courtapi.ReleaseAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&ra); err != nil {
		return fmt.Errorf("court: mf-%s's release: %w", service, err)
	}
	ag, ok := new(big.Int).SetString(ra.Agreement, 10)
	root, err1 := decode32(ra.Root, "root")
	sig, err2 := hex.DecodeString(ra.Signature)
	if !ok || ag.Cmp(ev.AgreementId) != 0 || err1 != nil || err2 != nil || len(ra.Path) > proof.MaxDepth {
		return fmt.Errorf("court: mf-%s's release is not for this case", service)
	}
	path := make([]proof.Hash, len(ra.Path))
	for i, h := range ra.Path {
		v, err := decode32(h, "path")
		if err != nil {
			return err
		}
		path[i] = v
	}
	if _, err := chain.DismissReleased(ctx, s.eth, s.txOpts(ctx), s.court, ev.CaseId, chain.Release{Agreement: ag, Root: root, Count: ra.Count}, ra.Index, path, sig); err != nil {
		return err
	}
	s.log.Info("a case on a promise the client released was dismissed", "case", ev.CaseId, "agreement", ev.AgreementId)
	return nil
}

// serviceName is what a service's socket may be called: the agreement's
// service comes from the chain, where anyone may write any name.
var serviceName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// maxAnswer bounds an encoded answer: MaxProofs chunks with full paths.
const maxAnswer = proof.MaxProofs * (proof.ChunkSize + 32*proof.MaxDepth + 32)

func joinIndices(idx []uint64) string {
	parts := make([]string, len(idx))
	for i, v := range idx {
		parts[i] = strconv.FormatUint(v, 10)
	}
	return strings.Join(parts, ",")
}

func promiseKey(agreement *big.Int, key [32]byte) []byte {
	return []byte(fmt.Sprintf("promise/%s/%x", agreement, key))
}

// maxPromise bounds the data mf-court keeps for a promise itself: a
// service that holds more answers GET /v0/proof on its own socket.
const maxPromise = 1 << 20
