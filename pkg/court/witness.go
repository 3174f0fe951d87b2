package court

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/proof"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// A witness drawn for a case checks the evidence itself: it asks the
// provider's mf-court, over the network through mf-route's gateway, for a
// few chunks of the promised data that it picks at random (so that no
// earlier answer, and no chunk revealed on chain, can stand in for them),
// checks each against the promise's Merkle root, and testifies: not guilty
// when every chunk proves, guilty when one does not or when the provider
// gives no chunks within half the testimony window.
//
// The provider's side of it, reached by peers only (the gateway adds the
// /remote prefix and the caller's authenticated address):
//
//	GET /remote/v0/chunks?case=<id>&index=<i>,<j>,...
//	    → ChunksAnswer, to a witness drawn for the case only

// testimonyRetry is the first pause between a witness's attempts to reach
// the provider; it doubles up to maxTestimonyRetry.
const (
	testimonyRetry    = 2 * time.Second
	maxTestimonyRetry = time.Minute
)

// testify answers a call as witness in case caseID. It checks the call
// and starts the witness's work in the background, since asking an
// unreachable provider goes on for up to half the testimony window (hours
// on a real chain) and must hold up nothing else; a call already being
// worked on is not started twice.
func (s *Service) testify(ctx context.Context, caseID *big.Int) error {
	// The pending loop calls this each pass until the chain shows the
	// testimony; while the work runs, nothing here needs the chain (the
	// case's opening is found by scanning logs, which is not cheap).
	s.mu.Lock()
	running := s.witnessing[caseID.String()]
	s.mu.Unlock()
	if running {
		return nil
	}
	c, err := s.crt.Cases(s.call(ctx), caseID)
	if err != nil {
		return err
	}
	if c.Status != uint8(chain.CaseOpen) || !c.Drawn {
		return nil
	}
	if t, err := s.crt.TestimonyOf(s.call(ctx), caseID, s.self); err != nil || chain.Testimony(t) != chain.TestimonyCalled {
		return err
	}
	ev, err := s.caseOpened(ctx, caseID)
	if err != nil {
		return err
	}
	peer, err := s.providerPeer(ev)
	if err != nil {
		// The promise was checked on chain when the case opened: this
		// cannot fail short of a broken node.
		return err
	}
	s.mu.Lock()
	if s.witnessing == nil {
		s.witnessing = map[string]bool{}
	}
	busy := s.witnessing[caseID.String()]
	s.witnessing[caseID.String()] = true
	s.mu.Unlock()
	if busy {
		return nil
	}
	// The work outlives the pass that started it (Run bounds each pass),
	// and ends with the testimony window.
	wctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), time.Unix(int64(c.Deadline), 0).Add(time.Minute))
	go func() {
		defer cancel()
		defer func() {
			s.mu.Lock()
			delete(s.witnessing, caseID.String())
			s.mu.Unlock()
		}()
		if err := s.witness(wctx, caseID, time.Unix(int64(c.Deadline), 0), ev, peer); err != nil {
			s.log.Warn("witness: no testimony", "case", caseID, "err", err)
		}
	}()
	return nil
}

// witness asks the provider at peer for chunks of the promise ev cites,
// checks them and testifies in case caseID before deadline.
func (s *Service) witness(ctx context.Context, caseID *big.Int, deadline time.Time, ev *chain.CourtCaseOpened, peer string) error {
	idx := randomIndices(ev.Chunks)
	// Try until half the testimony window is gone: a provider briefly
	// unreachable is not yet a provider that does not hold the data.
	until := time.Now().Add(time.Until(deadline) / 2)
	var guilty bool
	var why string
	pause := testimonyRetry
	for attempt := 1; ; attempt++ {
		var ans ChunksAnswer
		err := s.route.CallService(ctx, peer, "court", http.MethodGet, "/v0/chunks?case="+caseID.String()+"&index="+joinIndices(idx), nil, &ans)
		if err == nil {
			proofs, derr := proof.Decode(ans.Proofs)
			if derr == nil {
				derr = proof.VerifyChunks(ev.Root, ev.Chunks, idx, proofs)
			}
			guilty, why = derr != nil, fmt.Sprint(derr)
			if !guilty {
				why = fmt.Sprintf("chunks %v prove against the root", idx)
			}
			break
		}
		if errors.Is(err, localapi.ErrNotRunning) {
			// This node cannot check anything without its mf-route: better
			// silent (and the small penalty) than a testimony made up.
			s.log.Warn("called as witness but mf-route is not running: cannot ask the provider", "case", caseID)
			return err
		}
		// Unreachable, or an answer other than chunks (a provider whose
		// chain connection lags may not see the case yet): try again
		// until half the window is gone.
		if time.Now().After(until) {
			guilty, why = true, fmt.Sprintf("the provider did not answer in %d attempts: %v", attempt, err)
			break
		}
		s.log.Debug("witness: provider not reached yet", "case", caseID, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retryPause(pause, until)):
		}
		pause = min(2*pause, maxTestimonyRetry)
	}
	tx, err := s.crt.Testify(s.txOpts(ctx), caseID, guilty)
	if err == nil {
		_, err = chain.Wait(ctx, s.eth, tx)
	}
	if err != nil {
		s.log.Warn("testifying", "case", caseID, "err", err)
		return err
	}
	s.log.Info("testified as witness", "case", caseID, "provider", ev.Provider, "guilty", guilty, "because", why)
	return nil
}

// retryPause is how long a witness waits before its next attempt: pause,
// but never past until, so that the last attempt is made at until and the
// testimony that follows still lands inside the window. (Doubling alone
// could sleep from just before until to past the deadline: with a 30 s
// window, attempts at 0, 2, 6 and 14 s and then a 16 s pause.)
func retryPause(pause time.Duration, until time.Time) time.Duration {
	return max(0, min(pause, time.Until(until)))
}

// caseOpened finds the CaseOpened event of case caseID: the promise and
// its signature.
func (s *Service) caseOpened(ctx context.Context, caseID *big.Int) (*chain.CourtCaseOpened, error) {
	it, err := s.crt.FilterCaseOpened(&bind.FilterOpts{Context: ctx}, []*big.Int{caseID}, nil, nil)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if !it.Next() {
		return nil, fmt.Errorf("court: no CaseOpened event for case %s", caseID)
	}
	return it.Event, nil
}

// providerPeer is the libp2p peer ID of the node that signed the promise a
// case cites: the identity key that signs promises is the one the peer ID
// is made from.
func (s *Service) providerPeer(ev *chain.CourtCaseOpened) (string, error) {
	d, err := chain.PromiseDigest(s.chainID, s.court, chain.Promise{Agreement: ev.AgreementId, Key: ev.Key, Root: ev.Root, Chunks: ev.Chunks})
	if err != nil {
		return "", err
	}
	pub, err := chain.RecoverKey(d, ev.Signature)
	if err != nil {
		return "", err
	}
	return identity.Public{Key: pub}.PeerID().String(), nil
}

// randomIndices picks min(proof.Challenges, n) chunk numbers below n from
// crypto/rand: nobody, the provider included, knows them before asking.
func randomIndices(n uint64) []uint64 {
	k := min(uint64(proof.Challenges), n)
	out := make([]uint64, k)
	var b [8]byte
	for i := range out {
		_, _ = rand.Read(b[:])
		out[i] = binary.BigEndian.Uint64(b[:]) % n
	}
	return out
}

// apiRemoteChunks is the provider's side: a witness drawn for a case asks
// for chunks of the promised data.
func (s *Service) apiRemoteChunks(w http.ResponseWriter, r *http.Request) (any, error) {
	caller := r.Header.Get(routeapi.HeaderPeerAddress)
	if !common.IsHexAddress(caller) {
		return nil, localapi.Errorf(http.StatusForbidden, "forbidden", "only peers, through mf-route, may ask for chunks")
	}
	id, err := parseID(r.URL.Query().Get("case"))
	if err != nil {
		return nil, err
	}
	c, err := s.crt.Cases(s.call(r.Context()), id)
	if err != nil {
		return nil, err
	}
	if c.Status == uint8(chain.CaseNone) || c.Provider != s.self {
		return nil, localapi.NotFound("no case %s against this node", id)
	}
	if t, err := s.crt.TestimonyOf(s.call(r.Context()), id, common.HexToAddress(caller)); err != nil || chain.Testimony(t) == chain.TestimonyNone {
		return nil, localapi.Errorf(http.StatusForbidden, "forbidden", "%s is not a witness of case %s", caller, id)
	}
	// A witness needs a challenge's worth of chunks, not the data: the
	// promise may be private.
	idx, err := proof.ParseIndices(r.URL.Query().Get("index"), c.Chunks, proof.Challenges)
	if err != nil {
		return nil, localapi.BadRequest("%v", err)
	}
	ag, err := s.reg.Agreements(s.call(r.Context()), c.AgreementId)
	if err != nil {
		return nil, err
	}
	proofs, err := s.proofs(r.Context(), chain.ServiceName(ag.Service), c.AgreementId, c.Key, idx)
	if err != nil {
		return nil, localapi.NotFound("%v", err)
	}
	b, err := proof.Encode(proofs)
	if err != nil {
		return nil, err
	}
	s.log.Info("gave a witness the chunks it asked for", "case", id, "witness", caller, "chunks", idx)
	return ChunksAnswer{Proofs: b}, nil
}
