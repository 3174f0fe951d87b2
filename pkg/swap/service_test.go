package swap

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
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

func neg(v *big.Int) *big.Int { return new(big.Int).Neg(v) }

func sum(vs ...*big.Int) *big.Int {
	s := new(big.Int)
	for _, v := range vs {
		s.Add(s, v)
	}
	return s
}

func diff(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) }

func wantEq(tb testing.TB, what string, got, want *big.Int) {
	tb.Helper()
	if got.Cmp(want) != 0 {
		tb.Errorf("%s = %s, want %s", what, got, want)
	}
}

// owe books usage so that debtor owes creditor amount, on both sides.
func owe(tb testing.TB, debtor, creditor *testNode, amount *big.Int) {
	tb.Helper()
	if _, err := creditor.AddUsage(debtor.peer, amount); err != nil {
		tb.Fatal(err)
	}
	if _, err := debtor.AddUsage(creditor.peer, neg(amount)); err != nil {
		tb.Fatal(err)
	}
}

func errCode(err error) string {
	var le *localapi.Error
	if errors.As(err, &le) {
		return le.Code
	}
	return ""
}

// TestChequeExchange: A owes B; A's cheque settles both ledgers to zero,
// and cashing it moves exactly its amount from A's checkbook to B's wallet
// on chain. The second round goes the way the daemon does it: B's settle
// invoices A through the gateway, books A's answer and cashes it.
func TestChequeExchange(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	a := newNode(t, nil)
	b := newNode(t, nil)
	a.deposit(mft(5))

	x := milli(1500)
	owe(t, a, b, x)
	c, err := a.issue(b.peer, b.self, x)
	if err != nil {
		t.Fatal(err)
	}
	if c.Checkbook != a.checkbook || c.Beneficiary != b.self || c.Cumulative.Cmp(x) != 0 {
		t.Fatalf("cheque %+v, want %s on %s to %s", c, x, a.checkbook, b.self)
	}
	raw, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	gained, err := b.ReceiveCheque(ctx, a.peer, raw)
	if err != nil {
		t.Fatal(err)
	}
	wantEq(t, "gained", gained, x)
	wantEq(t, "B's balance of A", b.bal(a.peer), new(big.Int))
	wantEq(t, "A's balance of B", a.bal(b.peer), new(big.Int))

	wallet, cb := mftOf(t, b.self), mftOf(t, a.checkbook)
	if err := b.maybeCash(ctx, a.peer, true); err != nil {
		t.Fatal(err)
	}
	wantEq(t, "B's wallet", mftOf(t, b.self), sum(wallet, x))
	wantEq(t, "A's checkbook", mftOf(t, a.checkbook), diff(cb, x))

	// Round two through the gateway: over the payment threshold (1 MFT),
	// B invoices, A answers with a cumulative cheque, B books and (over
	// the cash threshold) cashes the difference only.
	b.serveRoute(a)
	y := milli(1200)
	owe(t, a, b, y)
	wallet, cb = mftOf(t, b.self), mftOf(t, a.checkbook)
	b.settle(ctx)
	wantEq(t, "B's balance of A after settle", b.bal(a.peer), new(big.Int))
	wantEq(t, "A's balance of B after settle", a.bal(b.peer), new(big.Int))
	last, err := b.lastCheque("in", a.peer)
	if err != nil || last == nil {
		t.Fatalf("B's stored cheque: %v, %v", last, err)
	}
	wantEq(t, "cumulative", last.Cumulative, sum(x, y))
	wantEq(t, "B's wallet after settle", mftOf(t, b.self), sum(wallet, y))
	wantEq(t, "A's checkbook after settle", mftOf(t, a.checkbook), diff(cb, y))
	if b.route.blocks[a.peer] {
		t.Error("B refused service to A, which paid")
	}

	// Both sides agree through the API.
	for _, side := range []struct {
		n    *testNode
		peer string
	}{{a, b.peer}, {b, a.peer}} {
		code, body := side.n.do(http.MethodGet, "/v0/balances/"+side.peer, nil, "")
		var pb PeerBalance
		if code != http.StatusOK || json.Unmarshal([]byte(body), &pb) != nil || pb.Balance != "0" {
			t.Errorf("GET /v0/balances/%s = %d %s, want balance 0", side.peer, code, body)
		}
	}
}

// TestBadChequesRefused: every bad cheque a debtor can answer an invoice
// with is refused with a 4xx error and changes nothing stored on the
// creditor (nor on the debtor). Each is tried on ReceiveCheque and over
// the gateway, as the answer to B's invoice.
func TestBadChequesRefused(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	a := newNode(t, nil)
	b := newNode(t, nil)
	e := newNode(t, nil) // another node, with its own checkbook
	a.deposit(mft(5))
	e.deposit(mft(5))
	c, _ := testChain(t)
	chainID := c.ChainID

	// B learns A's address the way the daemon does: from mf-route's
	// usage report.
	fr := b.serveRoute(a, e)
	fr.usage = routeapi.Usage{Epoch: 1, Peers: []routeapi.PeerUsage{{PeerID: a.peer, Address: a.self.Hex(), BytesIn: 1024}}}
	if err := b.meterOnce(ctx); err != nil {
		t.Fatal(err)
	}

	// A pays a first good cheque; E pays B one too.
	owe(t, a, b, mft(3))
	good, err := a.issue(b.peer, b.self, mft(1))
	if err != nil {
		t.Fatal(err)
	}
	goodRaw, _ := good.MarshalBinary()
	if _, err := b.ReceiveCheque(ctx, a.peer, goodRaw); err != nil {
		t.Fatal(err)
	}
	owe(t, e, b, mft(1))
	eGood, err := e.issue(b.peer, b.self, mft(1))
	if err != nil {
		t.Fatal(err)
	}
	eRaw, _ := eGood.MarshalBinary()
	if _, err := b.ReceiveCheque(ctx, e.peer, eRaw); err != nil {
		t.Fatal(err)
	}

	// A checkbook deployed by hand, with A as issuer: the same code, but
	// not the factory's.
	auth, err := bind.NewKeyedTransactorWithChainID(a.id.Key, chainID)
	if err != nil {
		t.Fatal(err)
	}
	auth.Context = ctx
	_, tx, _, err := chain.DeployCheckbook(auth, c.Client(), common.HexToAddress(devInfo.Token), a.self, big.NewInt(0))
	if err != nil {
		t.Fatal(err)
	}
	rogue, err := bind.WaitDeployed(ctx, c.Client(), tx)
	if err != nil {
		t.Fatal(err)
	}

	cheque := func(key *testNode, cb, ben common.Address, cum *big.Int) []byte {
		t.Helper()
		ch, err := chain.NewCheque(key.id.Key, chainID, cb, ben, cum)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := ch.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	edit := func(raw []byte, f func([]byte)) []byte {
		out := bytes.Clone(raw)
		f(out)
		return out
	}
	two := mft(2)
	stranger := "a-peer-whose-address-B-does-not-know"
	cases := []struct {
		name string
		raw  []byte
		code string
		peer string // default A
	}{
		{"empty", nil, "bad_request", ""},
		{"one byte", goodRaw[:1], "bad_request", ""},
		{"truncated", goodRaw[:len(goodRaw)-1], "bad_request", ""},
		{"one byte too long", append(bytes.Clone(goodRaw), 0), "bad_request", ""},
		{"garbage", bytes.Repeat([]byte{0xa5}, chain.ChequeSize), "bad_request", ""},
		{"wrong version", edit(goodRaw, func(b []byte) { b[0] = chain.ChequeVersion + 1 }), "bad_request", ""},
		{"version zero", edit(goodRaw, func(b []byte) { b[0] = 0 }), "bad_request", ""},
		{"replayed", goodRaw, "replayed", ""},
		{"lower cumulative", cheque(a, a.checkbook, b.self, milli(500)), "replayed", ""},
		{"zero cumulative", cheque(a, a.checkbook, b.self, new(big.Int)), "replayed", ""},
		{"amount raised after signing", edit(goodRaw, func(b []byte) { b[1+20+20+31]++ }), "bad_request", ""},
		{"signature byte flipped", edit(goodRaw, func(b []byte) { b[len(b)-2] ^= 1 }), "bad_request", ""},
		{"signature v out of range", edit(goodRaw, func(b []byte) { b[len(b)-1] = 29 }), "bad_request", ""},
		{"zero signature", edit(goodRaw, func(b []byte) { clear(b[len(b)-65:]) }), "bad_request", ""},
		{"signed by another key on A's checkbook", cheque(e, a.checkbook, b.self, two), "bad_request", ""},
		{"for another beneficiary", cheque(a, a.checkbook, e.self, two), "bad_request", ""},
		{"on a checkbook the factory did not deploy", cheque(a, rogue, b.self, two), "bad_request", ""},
		{"on an address with no code", cheque(a, common.HexToAddress("0x00000000000000000000000000000000000000aa"), b.self, two), "bad_request", ""},
		{"signer not the checkbook's issuer", cheque(a, e.checkbook, b.self, two), "bad_request", ""},
		{"another node's cheque, presented by A", cheque(e, e.checkbook, b.self, two), "bad_request", ""},
		{"another node's booked cheque, replayed by A", eRaw, "bad_request", ""},
		{"another node's booked cheque, replayed by a stranger", eRaw, "replayed", stranger},
		{"A's booked cheque, replayed by a stranger", goodRaw, "replayed", stranger},
	}
	beforeB, beforeA := b.dump(), a.dump()
	walletB, cbA := mftOf(t, b.self), mftOf(t, a.checkbook)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			peer := a.peer
			if tt.peer != "" {
				peer = tt.peer
			}
			_, err := b.ReceiveCheque(ctx, peer, tt.raw)
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.code != "" && errCode(err) != tt.code {
				t.Errorf("error %q has code %q, want %q", err, errCode(err), tt.code)
			}
			if errCode(err) == "" || errCode(err) == "internal" {
				t.Errorf("error %q is not a 4xx for the peer", err)
			}
			// The same answer to an invoice, over the gateway.
			fr.mu.Lock()
			fr.answer = func(string) (int, any) { return http.StatusOK, ChequeMsg{Cheque: hex.EncodeToString(tt.raw)} }
			fr.mu.Unlock()
			err2 := b.invoice(ctx, peer, mft(1))
			if err2 == nil || errCode(err2) != errCode(err) {
				t.Errorf("over the gateway: %v, want the code of %v", err2, err)
			}
			sameDump(t, "B's database", beforeB, b.dump())
		})
	}
	fr.mu.Lock()
	fr.answer = nil
	fr.mu.Unlock()

	// Answers that are not cheques at all.
	for _, ans := range []struct {
		name string
		code int
		v    any
	}{
		{"not hex", http.StatusOK, ChequeMsg{Cheque: "zz"}},
		{"odd hex", http.StatusOK, ChequeMsg{Cheque: "abc"}},
		{"not an object", http.StatusOK, []int{1, 2}},
		{"a number as cheque", http.StatusOK, map[string]int{"cheque": 5}},
		{"a refusal", http.StatusPaymentRequired, localapi.Errorf(http.StatusPaymentRequired, "refused", "no")},
		{"a server error", http.StatusInternalServerError, "boom"},
	} {
		fr.mu.Lock()
		fr.answer = func(string) (int, any) { return ans.code, ans.v }
		fr.mu.Unlock()
		if err := b.invoice(ctx, a.peer, b.bal(a.peer)); err == nil {
			t.Errorf("invoice answered with %s: accepted", ans.name)
		}
	}
	fr.mu.Lock()
	fr.answer = nil
	fr.mu.Unlock()
	sameDump(t, "B's database", beforeB, b.dump())
	sameDump(t, "A's database", beforeA, a.dump())
	wantEq(t, "B's wallet", mftOf(t, b.self), walletB)
	wantEq(t, "A's checkbook", mftOf(t, a.checkbook), cbA)

	// A switches to a second genuine checkbook (the factory lets an issuer
	// deploy a new one) and pays a little on it; presenting the first
	// checkbook's cheque again must still be a replay: the high-water mark
	// is per checkbook, not "whatever the last cheque was drawn on".
	t.Run("replay after a cheque on another checkbook", func(t *testing.T) {
		cb2, _, err := a.factory.DeployCheckbook(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.ReceiveCheque(ctx, a.peer, cheque(a, cb2, b.self, milli(100))); err != nil {
			t.Fatalf("cheque on A's second checkbook: %v", err)
		}
		before := b.dump()
		if _, err := b.ReceiveCheque(ctx, a.peer, goodRaw); errCode(err) != "replayed" {
			t.Errorf("first checkbook's cheque again: %v, want replayed", err)
		}
		sameDump(t, "B's database", before, b.dump())
		// A higher cheque on the first checkbook pays only what it adds.
		gained, err := b.ReceiveCheque(ctx, a.peer, cheque(a, a.checkbook, b.self, milli(1300)))
		if err != nil {
			t.Fatal(err)
		}
		wantEq(t, "gained", gained, milli(300))
	})
}

// TestChequeCannotCreateDebt: a peer cannot turn a cheque for more than it
// owes (on a checkbook that need not hold anything) into a debt of this
// node, which its next invoice would collect in real cheques.
func TestChequeCannotCreateDebt(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	a := newNode(t, nil) // its checkbook stays empty
	b := newNode(t, nil)
	b.deposit(mft(5))
	c, _ := testChain(t)
	owe(t, a, b, mft(1))
	ch, err := chain.NewCheque(a.id.Key, c.ChainID, a.checkbook, b.self, mft(100))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := ch.MarshalBinary()
	if _, err := b.ReceiveCheque(ctx, a.peer, raw); err != nil {
		t.Fatal(err)
	}
	if bal := b.bal(a.peer); bal.Sign() < 0 {
		t.Fatalf("after an overpaying cheque B owes A %s", amount.Format(neg(bal)))
	}
	code, body := b.do(http.MethodPost, "/remote/v0/invoice", a.peerHeaders(), fmt.Sprintf(`{"amount":%q}`, mft(99).String()))
	if code == http.StatusOK {
		t.Fatalf("A's invoice to B was paid: %s", body)
	}
	if _, err := b.lastCheque("out", a.peer); err != nil {
		t.Fatal(err)
	}
	if c, _ := b.lastCheque("out", a.peer); c != nil {
		t.Fatalf("B issued A a cheque for %s", c.Cumulative)
	}
}

// The crash helper runs in a child process (this test binary, started by
// TestIssueSurvivesSIGKILL): it opens a node's database, issues one cheque,
// prints it and waits to be killed with SIGKILL.
const crashHelperEnv = "MF_SWAP_TEST_CRASH_HELPER"

type crashJob struct {
	Home        string
	Key         string
	Cfg         config.Swap
	Peer        string
	Beneficiary string
	Amount      string
}

func crashHelper() {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash helper:", err)
		os.Exit(2)
	}
	var job crashJob
	if err := json.Unmarshal([]byte(os.Getenv(crashHelperEnv)), &job); err != nil {
		fail(err)
	}
	key, err := crypto.HexToECDSA(job.Key)
	if err != nil {
		fail(err)
	}
	set, err := ParseSettings(job.Cfg)
	if err != nil {
		fail(err)
	}
	db, err := kv.Open(job.Home + "/db")
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := NewService(ctx, key, job.Cfg.EthRPC, set, db, routeapi.NewClient(job.Home), quiet)
	if err != nil {
		fail(err)
	}
	amount, _ := new(big.Int).SetString(job.Amount, 10)
	c, err := s.issue(job.Peer, common.HexToAddress(job.Beneficiary), amount)
	if err != nil {
		fail(err)
	}
	raw, _ := c.MarshalBinary()
	fmt.Printf("%x\n", raw)
	time.Sleep(time.Minute) // the parent kills us long before
	os.Exit(3)
}

// TestIssueSurvivesSIGKILL: A issues a cheque and is killed with SIGKILL
// before it reaches B. Restarted, A still has the cheque and the reduced
// debt; B's next invoice gets the same cumulative cheque again (never a
// lower one, never nothing), and more debt gives a higher cumulative.
// Then B cashes, restarts, and cashing again pays nothing.
func TestIssueSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	a := newNode(t, nil)
	b := newNode(t, nil)
	a.deposit(mft(5))
	x := mft(2)
	owe(t, a, b, x)

	a.stop()
	job, _ := json.Marshal(crashJob{Home: a.home, Key: hex.EncodeToString(crypto.FromECDSA(a.id.Key)), Cfg: a.cfg,
		Peer: b.peer, Beneficiary: b.self.Hex(), Amount: x.String()})
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashHelperEnv+"="+string(job))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	_ = cmd.Process.Signal(syscall.SIGKILL)
	werr := cmd.Wait()
	if err != nil {
		t.Fatalf("crash helper: %v (%v) %s", err, werr, stderr.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("crash helper ended with %v, not SIGKILL", werr)
	}
	printed, err := hex.DecodeString(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}

	a.start()
	stored, err := a.db.Get(chqKey("out", b.peer))
	if err != nil || !bytes.Equal(stored, printed) {
		t.Fatalf("after SIGKILL A's stored cheque is %x (%v), want the issued %x", stored, err, printed)
	}
	wantEq(t, "A's balance of B after the crash", a.bal(b.peer), new(big.Int))

	// The cheque never reached B. B invoices: A has nothing more to pay
	// but answers with its last cheque again, which B books.
	b.serveRoute(a)
	if err := b.invoice(ctx, a.peer, b.bal(a.peer)); err != nil {
		t.Fatalf("invoice after A's crash: %v", err)
	}
	wantEq(t, "B's balance of A", b.bal(a.peer), new(big.Int))
	got, _ := b.lastCheque("in", a.peer)
	if got == nil || got.Cumulative.Cmp(x) != 0 {
		t.Fatalf("B holds %v, want A's cheque for %s", got, x)
	}
	// Receiving it again is a replay that changes nothing.
	if err := b.invoice(ctx, a.peer, x); errCode(err) != "replayed" && errCode(err) != "nothing_owed" {
		t.Errorf("invoice with nothing owed: %v", err)
	}

	y := milli(700)
	owe(t, a, b, y)
	if err := b.invoice(ctx, a.peer, b.bal(a.peer)); err != nil {
		t.Fatal(err)
	}
	got, _ = b.lastCheque("in", a.peer)
	wantEq(t, "cumulative after more debt", got.Cumulative, sum(x, y))
	wantEq(t, "B's balance of A", b.bal(a.peer), new(big.Int))
	wantEq(t, "A's balance of B", a.bal(b.peer), new(big.Int))

	// Cash once; then, also after a restart, cashing again pays nothing.
	wallet, cb := mftOf(t, b.self), mftOf(t, a.checkbook)
	if err := b.maybeCash(ctx, a.peer, true); err != nil {
		t.Fatal(err)
	}
	wantEq(t, "B's wallet", mftOf(t, b.self), sum(wallet, x, y))
	wantEq(t, "A's checkbook", mftOf(t, a.checkbook), diff(cb, sum(x, y)))
	wallet, cb = mftOf(t, b.self), mftOf(t, a.checkbook)
	for i, restart := range []bool{false, true} {
		if restart {
			b.restart()
		}
		err := b.maybeCash(ctx, a.peer, true)
		if errCode(err) != "cashed" || !strings.Contains(err.Error(), "already cashed") {
			t.Errorf("cashing again (%d): %v, want a clear 'already cashed'", i, err)
		}
		code, body := b.do(http.MethodPost, "/v0/cash", nil, fmt.Sprintf(`{"peer":%q}`, a.peer))
		if e := apiError(t, "POST /v0/cash again", code, body); e.Code != "cashed" {
			t.Errorf("POST /v0/cash again: %d %s", code, body)
		}
	}
	// Straight to the contract, bypassing mf-swap: it reverts.
	cbk, err := chain.NewCheckbook(a.checkbook, b.eth)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cbk.CashCheque(b.txOpts(ctx), b.self, got.Cumulative, got.Signature); err == nil {
		t.Error("the contract accepted the same cheque twice")
	}
	wantEq(t, "B's wallet after cashing again", mftOf(t, b.self), wallet)
	wantEq(t, "A's checkbook after cashing again", mftOf(t, a.checkbook), cb)
}

// TestBouncedChequeLowersScore: A's checkbook holds less than its cheque;
// B cashes and gets what it held; a third node C then scores A below the
// middle. Once A refills, presenting the same cheque again collects the
// rest.
func TestBouncedChequeLowersScore(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	a := newNode(t, nil)
	b := newNode(t, nil)
	c := newNode(t, nil)
	a.deposit(mft(1))

	score := func(addr common.Address) Score {
		t.Helper()
		code, body := c.do(http.MethodGet, "/v0/score/"+addr.Hex(), nil, "")
		var s Score
		if code != http.StatusOK || json.Unmarshal([]byte(body), &s) != nil {
			t.Fatalf("GET /v0/score/%s = %d %s", addr, code, body)
		}
		return s
	}
	if s := score(a.self); s.Score != 0.5 || s.BounceCount != 0 {
		t.Fatalf("A's score before = %+v, want 0.5", s)
	}
	if s := score(common.HexToAddress("0x00000000000000000000000000000000000000bb")); s.Score != 0.5 {
		t.Fatalf("an unknown address scores %v, want 0.5", s.Score)
	}

	owe(t, a, b, mft(3))
	ch, err := a.issue(b.peer, b.self, mft(3))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := ch.MarshalBinary()
	if _, err := b.ReceiveCheque(ctx, a.peer, raw); err != nil {
		t.Fatal(err)
	}
	wallet := mftOf(t, b.self)
	code, body := b.do(http.MethodPost, "/v0/cash", nil, fmt.Sprintf(`{"peer":%q}`, a.peer))
	var ci ChequeInfo
	if code != http.StatusOK || json.Unmarshal([]byte(body), &ci) != nil {
		t.Fatalf("POST /v0/cash: %d %s", code, body)
	}
	if ci.Cumulative != mft(3).String() || ci.Cashed != mft(1).String() {
		t.Errorf("POST /v0/cash = %+v, want cumulative 3 MFT of which 1 MFT cashed", ci)
	}
	wantEq(t, "B got", diff(mftOf(t, b.self), wallet), mft(1))
	wantEq(t, "A's checkbook", mftOf(t, a.checkbook), new(big.Int))
	cbk, _ := chain.NewCheckbook(a.checkbook, b.eth)
	bounced, err := cbk.BouncedOf(&bind.CallOpts{Context: ctx}, b.self)
	if err != nil {
		t.Fatal(err)
	}
	wantEq(t, "bounced", bounced, mft(2))
	wantEq(t, "B's balance of A after the bounce (owed again)", b.bal(a.peer), mft(2))

	s := score(a.self)
	if s.Score >= 0.5 || s.BounceCount != 1 || s.Bounced != mft(2).String() {
		t.Errorf("A's score after the bounce, seen by C = %+v, want below 0.5 with one bounce of 2 MFT", s)
	}
	if sc, err := b.score(ctx, a.self); err != nil || sc.Score != s.Score {
		t.Errorf("B's score of A = %v, %v; C's %v", sc, err, s.Score)
	}

	// While the checkbook is empty, cashing again pays nothing and says so.
	wallet = mftOf(t, b.self)
	if err := b.maybeCash(ctx, a.peer, true); errCode(err) != "bounced" {
		t.Errorf("cashing a bounced cheque on an empty checkbook: %v, want a 'bounced' refusal", err)
	}
	if err := b.maybeCash(ctx, a.peer, false); err != nil {
		t.Errorf("the cash loop on a bounced cheque and an empty checkbook: %v, want a quiet no-op", err)
	}
	wantEq(t, "B's wallet", mftOf(t, b.self), wallet)
	// A refills; the same cheque now collects the rest.
	a.deposit(mft(5))
	if err := b.maybeCash(ctx, a.peer, true); err != nil {
		t.Fatalf("cashing the bounced rest after a refill: %v", err)
	}
	wantEq(t, "B got the rest", diff(mftOf(t, b.self), wallet), mft(2))
	wantEq(t, "B's balance of A once the rest is paid", b.bal(a.peer), new(big.Int))

	// A fresh checkbook does not wash the bounce away: the score sums the
	// history of every checkbook A ever had.
	before := score(a.self)
	fresh, _, err := a.factory.DeployCheckbook(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	after := score(a.self)
	if after.Checkbook != fresh.Hex() || after.Checkbooks != 2 || after.BounceCount != before.BounceCount || after.Score != before.Score {
		t.Errorf("A's score after a fresh checkbook = %+v, want the same history as before (%+v) over 2 checkbooks", after, before)
	}
}

// TestWithdrawNotice: a withdrawal waits out the notice period on chain.
// Not parallel: AdjustTime refuses while transactions are pending, and the
// parallel tests (which send them) only start once this one is done.
func TestWithdrawNotice(t *testing.T) {
	c, _ := testChain(t)
	a := newNode(t, func(s *config.Swap) { s.NoticeSeconds = 3600 })
	a.deposit(mft(4))
	body := fmt.Sprintf(`{"amount":%q}`, mft(1).String())

	code, out := a.do(http.MethodPost, "/v0/withdraw", nil, body)
	var wr WithdrawResult
	if code != http.StatusOK || json.Unmarshal([]byte(out), &wr) != nil || wr.Announced != mft(1).String() || wr.NotBefore == 0 {
		t.Fatalf("announce: %d %s", code, out)
	}
	wallet, cb := mftOf(t, a.self), mftOf(t, a.checkbook)
	code, out = a.do(http.MethodPost, "/v0/withdraw", nil, body)
	if e := apiError(t, "withdraw before the notice", code, out); code != http.StatusConflict || e.Code != "notice" {
		t.Errorf("withdraw before the notice: %d %s, want 409 notice", code, out)
	}
	wantEq(t, "wallet", mftOf(t, a.self), wallet)
	wantEq(t, "checkbook", mftOf(t, a.checkbook), cb)

	if err := c.AdjustTime(time.Hour + time.Minute); err != nil {
		t.Fatal(err)
	}
	code, out = a.do(http.MethodPost, "/v0/withdraw", nil, body)
	if code != http.StatusOK || json.Unmarshal([]byte(out), &wr) != nil || wr.Withdrawn != mft(1).String() {
		t.Fatalf("withdraw after the notice: %d %s", code, out)
	}
	wantEq(t, "wallet", mftOf(t, a.self), sum(wallet, mft(1)))
	wantEq(t, "checkbook", mftOf(t, a.checkbook), diff(cb, mft(1)))
}

// meterOnce is one metering round as Run makes it: the usage mf-route
// reports now, booked.
func (s *Service) meterOnce(ctx context.Context) error {
	u, err := s.route.Usage(ctx)
	if err != nil {
		return err
	}
	return s.meter(ctx, u)
}
