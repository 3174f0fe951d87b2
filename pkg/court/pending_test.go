package court

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/chaindir"
	"github.com/mainframe/mf/pkg/devchain"
	"github.com/mainframe/mf/pkg/kv"
)

// courtEnv is a development chain with the court contracts, on which
// tests start mf-court services for several keys.
type courtEnv struct {
	dir   string
	chain *devchain.Chain
	info  *chaindir.Info
	log   *lockedBuffer // every service's log, shown when the test fails
}

// lockedBuffer collects the services' logs: a background goroutine may
// still log after the test ends, when t.Log would panic.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newCourtEnv(t *testing.T) *courtEnv {
	t.Helper()
	return newCourtEnvWindow(t, devchain.DevCourtConfig.ResponseWindow)
}

// newCourtEnvWindow is newCourtEnv with a court whose providers have
// window to answer a case.
func newCourtEnvWindow(t *testing.T, window time.Duration) *courtEnv {
	t.Helper()
	// The court is deployed with devchain's configuration; this package's
	// tests do not run in parallel.
	cfg := devchain.DevCourtConfig
	defer func() { devchain.DevCourtConfig = cfg }()
	devchain.DevCourtConfig.ResponseWindow = window
	dir, err := os.MkdirTemp("", "ct")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c, err := devchain.Start(devchain.Options{Dir: filepath.Join(dir, "c")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	info, err := c.Setup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := &courtEnv{dir: dir, chain: c, info: info, log: &lockedBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the services' log:\n%s", e.log)
		}
	})
	return e
}

// fundedKey is a new key with ether and 1 MFT.
func (e *courtEnv) fundedKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, _ := crypto.GenerateKey()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := chaindir.Faucet(ctx, filepath.Join(e.dir, "c"), crypto.PubkeyToAddress(key.PublicKey), big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	return key
}

// service starts mf-court for key on the Pebble store in dbDir, talking to
// the chain at rpc. The caller closes both (to restart it), or cleanup
// does.
func (e *courtEnv) service(t *testing.T, key *ecdsa.PrivateKey, rpc, dbDir string) (*Service, *kv.DB) {
	t.Helper()
	db, err := kv.Open(filepath.Join(e.dir, dbDir))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := NewService(ctx, e.dir, key, rpc, common.HexToAddress(e.info.Registry), common.HexToAddress(e.info.Court), db, slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug})).With("service", dbDir))
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

// call posts body to s's API (GET when body is nil) and decodes the answer
// into out.
func call(t *testing.T, s *Service, path string, body, out any) {
	t.Helper()
	method := http.MethodGet
	var rd io.Reader
	if body != nil {
		method = http.MethodPost
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest(method, "http://mf"+path, rd))
	if w.Code != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
}

// promise has prov stake for client and promise data; it returns the
// claim.
func promise(t *testing.T, prov, client *Service) Claim {
	t.Helper()
	var ag Agreement
	call(t, prov, "/v0/stakes", StakeRequest{Service: "hold", Client: client.self.Hex(), Amount: "1000", Term: time.Now().Add(time.Hour).Unix()}, &ag)
	var claim Claim
	call(t, prov, "/v0/promises", PromiseRequest{Agreement: ag.ID, Key: "photo", Data: []byte("the promised bytes")}, &claim)
	return claim
}

// openCase has client open a promise case with claim; it returns the case
// id.
func openCase(t *testing.T, client *Service, claim Claim) *big.Int {
	t.Helper()
	var c CaseInfo
	call(t, client, "/v0/cases", CaseRequest{Claim: claim}, &c)
	id, _ := new(big.Int).SetString(c.ID, 10)
	return id
}

func caseStatus(t *testing.T, s *Service, id *big.Int) chain.CaseStatus {
	t.Helper()
	c, err := s.crt.Cases(s.call(context.Background()), id)
	if err != nil {
		t.Fatal(err)
	}
	return chain.CaseStatus(c.Status)
}

// until runs step every 100 ms until ok, or fails after d.
func until(t *testing.T, d time.Duration, what string, step func() bool) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if step() {
			return
		}
	}
	t.Fatalf("timed out: %s", what)
}

// TestAnswerSurvivesCutConnection (issue 10, item 2): the provider's chain
// connection drops just as it sends its answer and comes back at once; then
// the chain goes away for a while, and the daemon is killed meanwhile. The
// case was seen once, but the answer is a pending action in the store:
// once the chain is back, the restarted daemon answers, and the provider is
// found not guilty. Before, the watcher moved past the event after the
// failed answer and the provider lost its stake.
func TestAnswerSurvivesCutConnection(t *testing.T) {
	start := time.Now()
	// Time for one chain call that never returns (go-ethereum's client can
	// lose a request written as the connection drops; chain.CallLimit
	// cuts it off) and the restart, under -race on a loaded machine: on CI
	// the 10 s window of the devnet's court was missed that way.
	e := newCourtEnvWindow(t, 90*time.Second)
	proxy, err := devchain.NewProxy(filepath.Join(e.dir, "p.ipc"), e.info.IPC)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	prov, provDB := e.service(t, e.fundedKey(t), proxy.Path, "prov")
	client, clientDB := e.service(t, e.fundedKey(t), e.info.IPC, "client")
	defer clientDB.Close()
	defer client.Close()

	// The watcher runs once before the case, so that the case is new to it.
	claim := promise(t, prov, client)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := prov.watch(ctx); err != nil {
		t.Fatal(err)
	}
	proxy.BreakOn("eth_sendRawTransaction", false)
	id := openCase(t, client, claim)
	t.Logf("%v: case %s opened", time.Since(start), id)
	until(t, 2*time.Minute, "the provider tries to answer", func() bool {
		prov.pass(ctx)
		_, hits := proxy.Broken()
		return hits > 0
	})
	if st := caseStatus(t, client, id); st != chain.CaseOpen {
		t.Fatalf("case %s is %s before the answer could reach the chain", id, st)
	}

	t.Logf("%v: the answer cut the connection", time.Since(start))
	proxy.Break()
	// SIGKILL stands in here as closing without any goodbye: the store is
	// what was synced, nothing more. (The daemon started during the outage
	// waits for the chain: cmd/mf-route's courtoutage.txtar.)
	prov.Close()
	provDB.Close()
	proxy.Heal()
	prov, provDB = e.service(t, prov.key, proxy.Path, "prov")
	defer provDB.Close()
	defer prov.Close()
	if _, err := provDB.Get(pendingKey(actAnswer, id.String())); err != nil {
		t.Fatalf("the pending answer did not survive the restart: %v", err)
	}

	t.Logf("%v: restarted", time.Since(start))
	until(t, 2*time.Minute, "the provider answers after the connection is back", func() bool {
		prov.pass(ctx)
		return caseStatus(t, client, id) != chain.CaseOpen
	})
	if st := caseStatus(t, client, id); st != chain.CaseNotGuilty {
		t.Fatalf("case %s: %s, want not guilty", id, st)
	}
	if _, err := provDB.Get(pendingKey(actAnswer, id.String())); err == nil {
		t.Fatal("the answer is done but still pending")
	}
}

// TestJudgeSurvivesFailedRead (issue 10, item 2): the client's read of its
// case fails once the deadline has passed. The case is kept and judged on a
// later pass; before, judgeMine dropped it and the stake stayed locked.
func TestJudgeSurvivesFailedRead(t *testing.T) {
	e := newCourtEnv(t)
	proxy, err := devchain.NewProxy(filepath.Join(e.dir, "p.ipc"), e.info.IPC)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	prov, provDB := e.service(t, e.fundedKey(t), e.info.IPC, "prov")
	defer provDB.Close()
	defer prov.Close()
	client, clientDB := e.service(t, e.fundedKey(t), proxy.Path, "client")
	defer clientDB.Close()
	defer client.Close()

	// The provider's daemon does not run: nobody answers.
	id := openCase(t, client, promise(t, prov, client))
	if err := e.chain.AdjustTime(devchain.DevCourtConfig.ResponseWindow + time.Second); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	proxy.BreakOn("eth_call", false)
	until(t, 2*time.Minute, "the client tries to read its case", func() bool {
		_ = client.judgeMine(ctx)
		_, hits := proxy.Broken()
		return hits > 0
	})
	if _, err := clientDB.Get([]byte("mycase/" + id.String())); err != nil {
		t.Fatalf("the case was dropped after a failed read: %v", err)
	}
	proxy.Heal()
	until(t, 2*time.Minute, "the client has its case judged", func() bool {
		_ = client.judgeMine(ctx)
		return caseStatus(t, prov, id) != chain.CaseOpen
	})
	if st := caseStatus(t, prov, id); st != chain.CaseGuilty {
		t.Fatalf("case %s: %s, want guilty", id, st)
	}
}

// FuzzPendingAction: a pending action read back from the store never
// panics the decoder, and what it accepts re-encodes to itself.
func FuzzPendingAction(f *testing.F) {
	f.Add([]byte(`{"kind":"testify","case":"3"}`))
	f.Add([]byte(`{"kind":"answer","case":"1","agreement":"2","key":"` + string(bytes.Repeat([]byte("ab"), 32)) + `","root":"` + string(bytes.Repeat([]byte("cd"), 32)) + `","deadline":5}`))
	f.Add([]byte(`{"kind":"answer","case":"x"}`))
	f.Add([]byte(`garbage`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := decodePendingAction(b)
		if err != nil {
			return
		}
		again, err := decodePendingAction(a.encode())
		if err != nil || !reflect.DeepEqual(again, a) {
			t.Fatalf("%s → %+v → %+v, %v", b, a, again, err)
		}
		if a.Kind == actAnswer {
			_ = a.event()
		}
	})
}

// A witness's retries never sleep past half the testimony window: the
// doubling pause once slept from 14 s to 30 s of a 30 s window, and the
// testimony landed after the deadline (case dismissed, witness penalized).
func TestRetryPauseStopsAtUntil(t *testing.T) {
	until := time.Now().Add(time.Second)
	if p := retryPause(16*time.Second, until); p > time.Second {
		t.Fatalf("pause %v runs past until, 1 s away", p)
	}
	if p := retryPause(2*time.Second, time.Now().Add(time.Minute)); p != 2*time.Second {
		t.Fatalf("pause %v, want the 2 s asked for while until is far", p)
	}
	if p := retryPause(2*time.Second, time.Now().Add(-time.Second)); p != 0 {
		t.Fatalf("pause %v after until, want 0", p)
	}
}

// TestAgreementReadByAnyone: a client reads the agreement a provider's
// promises name, though it is not its own to list (mf-db's writers check
// that it is the provider's, with them as client).
func TestAgreementReadByAnyone(t *testing.T) {
	e := newCourtEnv(t)
	prov, provDB := e.service(t, e.fundedKey(t), e.info.IPC, "prov")
	defer provDB.Close()
	defer prov.Close()
	client, clientDB := e.service(t, e.fundedKey(t), e.info.IPC, "client")
	defer clientDB.Close()
	defer client.Close()
	other, otherDB := e.service(t, e.fundedKey(t), e.info.IPC, "other")
	defer otherDB.Close()
	defer other.Close()
	claim := promise(t, prov, client)
	var ag Agreement
	call(t, other, "/v0/agreements/"+claim.Agreement, nil, &ag)
	if ag.ID != claim.Agreement || ag.Service != "hold" || ag.Provider != prov.self.Hex() || ag.Client != client.self.Hex() || ag.Amount != "1000" || ag.Status != "staked" {
		t.Fatalf("agreement %+v", ag)
	}
}
