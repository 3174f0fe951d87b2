package court

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/kv"
)

// Pending actions.
//
// A case against this node, or a call to testify, is an event the watcher
// sees once: it reads the Court's logs from the block after the last one it
// saw. Acting on the event (a transaction) can fail for reasons that pass:
// the chain connection drops, the node is restarting, another transaction
// took the nonce. So the watcher does not act on an event; it records what
// has to be done as a pending action, in the same synced batch that moves
// its last-seen block forward. A pending action survives a crash (SIGKILL
// included) and is tried again, with backoff, until it is done, the case is
// no longer open, or its deadline has passed on chain. The same holds for
// asking judgement on this node's own cases (the mycase/ records), which
// are kept until the chain says the case is closed.
//
// In the store:
//
//	pending/answer/<case>   JSON pendingAction: answer a promise case
//	pending/draw/<case>     JSON pendingAction: draw the panel of a witness
//	                        case against this node (fix its seed)
//	pending/testify/<case>  JSON pendingAction: testify as a called witness
//	mycase/<case>           deadline: ask judgement once it has passed

const pendingPrefix = "pending/"

// Kinds of pending action.
const (
	actAnswer  = "answer"
	actDraw    = "draw"
	actTestify = "testify"
)

// pendingAction is what the watcher saw and has yet to act on. For an
// answer it keeps the promise from the CaseOpened event, so that a retry
// needs no second look at old logs.
type pendingAction struct {
	Kind      string `json:"kind"`
	Case      string `json:"case"`
	Agreement string `json:"agreement,omitempty"`
	Key       string `json:"key,omitempty"`  // 32 bytes hex
	Root      string `json:"root,omitempty"` // 32 bytes hex: the promise's Merkle root
	Chunks    uint64 `json:"chunks,omitempty"`
	Deadline  uint64 `json:"deadline,omitempty"`
}

func pendingKey(kind, caseID string) []byte {
	return []byte(pendingPrefix + kind + "/" + caseID)
}

func (a *pendingAction) encode() []byte {
	b, _ := json.Marshal(a)
	return b
}

// decodePendingAction reads a stored pendingAction; a damaged record is an
// error rather than a zero action, so that it is reported and not acted on.
func decodePendingAction(b []byte) (*pendingAction, error) {
	var a pendingAction
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("court: damaged pending action: %v", err)
	}
	if a.Kind != actAnswer && a.Kind != actDraw && a.Kind != actTestify {
		return nil, fmt.Errorf("court: pending action of unknown kind %q", a.Kind)
	}
	if _, ok := new(big.Int).SetString(a.Case, 10); !ok {
		return nil, fmt.Errorf("court: pending action for case %q", a.Case)
	}
	if a.Kind == actAnswer {
		if _, ok := new(big.Int).SetString(a.Agreement, 10); !ok {
			return nil, fmt.Errorf("court: pending answer for agreement %q", a.Agreement)
		}
		if _, err := decode32(a.Key, "key"); err != nil {
			return nil, fmt.Errorf("court: pending answer: %v", err)
		}
		if _, err := decode32(a.Root, "root"); err != nil {
			return nil, fmt.Errorf("court: pending answer: %v", err)
		}
	}
	return &a, nil
}

func answerAction(ev *chain.CourtCaseOpened) *pendingAction {
	return &pendingAction{Kind: actAnswer, Case: ev.CaseId.String(), Agreement: ev.AgreementId.String(),
		Key: common.Hash(ev.Key).Hex()[2:], Root: common.Hash(ev.Root).Hex()[2:], Chunks: ev.Chunks, Deadline: ev.Deadline}
}

// event rebuilds the CaseOpened event an answer acts on.
func (a *pendingAction) event() *chain.CourtCaseOpened {
	caseID, _ := new(big.Int).SetString(a.Case, 10)
	ag, _ := new(big.Int).SetString(a.Agreement, 10)
	key, _ := decode32(a.Key, "key")
	root, _ := decode32(a.Root, "root")
	return &chain.CourtCaseOpened{CaseId: caseID, AgreementId: ag, Key: key, Root: root, Chunks: a.Chunks, Deadline: a.Deadline, Kind: uint8(chain.PromiseCase)}
}

// Backoff between tries of one action: it doubles from retryMin up to
// retryMax. The cap stays well below the devnet's 10-second response
// window, so that a connection back in time is used in time.
const (
	retryMin = 500 * time.Millisecond
	retryMax = 4 * time.Second
)

// backoff is when each pending action (by store key) may next be tried. It
// lives in memory only: after a restart every action is tried at once,
// which is what a restart after an outage wants.
type backoff struct {
	mu   sync.Mutex
	next map[string]time.Time
	wait map[string]time.Duration
}

func (b *backoff) due(key string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !now.Before(b.next[key])
}

func (b *backoff) failed(key string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.next == nil {
		b.next, b.wait = map[string]time.Time{}, map[string]time.Duration{}
	}
	w := b.wait[key] * 2
	w = max(w, retryMin)
	w = min(w, retryMax)
	b.wait[key] = w
	b.next[key] = now.Add(w)
	return w
}

func (b *backoff) done(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.next, key)
	delete(b.wait, key)
}

// runPending tries every pending action that is due. An action is removed
// only once the chain says it is no longer needed.
func (s *Service) runPending(ctx context.Context) {
	type item struct {
		key string
		a   *pendingAction
	}
	var items []item
	_ = s.db.Scan([]byte(pendingPrefix), func(k, v []byte) error {
		a, err := decodePendingAction(v)
		if err != nil {
			// Not acted on, and not deleted: a damaged record is worth a
			// look, and each pass says so once at debug level only.
			s.log.Debug("skipping a pending action", "key", string(k), "err", err)
			return nil
		}
		items = append(items, item{string(k), a})
		return nil
	})
	for _, it := range items {
		if ctx.Err() != nil {
			return
		}
		if !s.retry.due(it.key, time.Now()) {
			continue
		}
		done, err := s.attempt(ctx, it.a)
		if err != nil {
			wait := s.retry.failed(it.key, time.Now())
			// Said at warn level while the backoff grows, then at debug: a
			// long outage would otherwise fill the log.
			level := slog.LevelWarn
			if wait >= retryMax {
				level = slog.LevelDebug
			}
			s.log.Log(ctx, level, "a pending action failed; retrying", "action", it.a.Kind, "case", it.a.Case, "in", wait, "err", err)
			continue
		}
		if done {
			s.retry.done(it.key)
			if err := s.db.Delete([]byte(it.key)); err != nil {
				s.log.Warn("removing a done action", "key", it.key, "err", err)
			}
		}
	}
}

// attempt makes one try at a pending action. done is true when nothing
// more is to be done: the action succeeded, the case is closed, or its
// deadline passed. Any error means "try again later".
func (s *Service) attempt(ctx context.Context, a *pendingAction) (done bool, err error) {
	caseID, _ := new(big.Int).SetString(a.Case, 10)
	c, err := s.crt.Cases(s.call(ctx), caseID)
	if err != nil {
		return false, fmt.Errorf("reading the case: %w", err)
	}
	if c.Status != uint8(chain.CaseOpen) {
		return true, nil
	}
	head, err := s.eth.HeaderByNumber(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("reading the chain's time: %w", err)
	}
	if head.Time >= c.Deadline {
		s.log.Warn("a pending action's deadline passed before it could be done", "action", a.Kind, "case", a.Case)
		return true, nil
	}
	switch a.Kind {
	case actAnswer:
		err = s.answer(ctx, a.event())
	case actDraw:
		// A witness case on a promise the client released is dismissed
		// with the release before any panel is drawn: the witnesses would
		// ask for data the client said the provider could drop.
		if ag, aerr := s.reg.Agreements(s.call(ctx), c.AgreementId); aerr == nil {
			ev := &chain.CourtCaseOpened{CaseId: caseID, AgreementId: c.AgreementId, Key: c.Key}
			if s.answerReleased(ctx, chain.ServiceName(ag.Service), ev) == nil {
				return true, nil
			}
		}
		err = s.draw(ctx, caseID, chain.WitnessCase)
	case actTestify:
		var t uint8
		if t, err = s.crt.TestimonyOf(s.call(ctx), caseID, s.self); err == nil && chain.Testimony(t) != chain.TestimonyCalled {
			return true, nil // testified already, or not a witness after all
		}
		if err != nil {
			return false, err
		}
		// testify starts the witness's work in the background (it asks the
		// provider for up to half the testimony window) and does not start
		// it twice; the action stays pending until the chain shows the
		// testimony, so work that failed is started again on a later pass.
		return false, s.testify(ctx, caseID)
	}
	return err == nil, err
}

// judgeMine asks for judgement on this node's open cases past their
// deadline. A case is forgotten only once the chain shows it closed; a
// failed read or a failed judge is tried again on a later pass, with
// backoff.
func (s *Service) judgeMine(ctx context.Context) error {
	head, err := s.eth.HeaderByNumber(ctx, nil)
	if err != nil {
		return err
	}
	var due []string
	_ = s.db.Scan([]byte("mycase/"), func(k, v []byte) error {
		var deadline uint64
		fmt.Sscan(string(v), &deadline)
		if head.Time >= deadline && s.retry.due(string(k), time.Now()) {
			due = append(due, string(k))
		}
		return nil
	})
	for _, k := range due {
		id := strings.TrimPrefix(k, "mycase/")
		caseID, ok := new(big.Int).SetString(id, 10)
		if !ok {
			_ = s.db.Delete([]byte(k)) // not a case id: nothing to judge
			continue
		}
		if err := s.judge(ctx, caseID); err != nil {
			wait := s.retry.failed(k, time.Now())
			s.log.Warn("judging a case failed; retrying", "case", id, "in", wait, "err", err)
			continue
		}
		s.retry.done(k)
		if err := s.db.Delete([]byte(k)); err != nil && err != kv.ErrNotFound {
			return err
		}
	}
	return nil
}

// judge asks the court for its verdict on caseID, unless the chain shows
// the case closed already. nil means the case is closed now.
func (s *Service) judge(ctx context.Context, caseID *big.Int) error {
	c, err := s.crt.Cases(s.call(ctx), caseID)
	if err != nil {
		return fmt.Errorf("reading the case: %w", err)
	}
	if c.Status != uint8(chain.CaseOpen) {
		return nil
	}
	tx, err := s.crt.Judge(s.txOpts(ctx), caseID)
	if err == nil {
		_, err = chain.Wait(ctx, s.eth, tx)
	}
	if err != nil {
		return err
	}
	s.log.Info("case judged after its deadline", "case", caseID)
	return nil
}
