package swap

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// callerHeaders are the headers mf-route's gateway would set for a peer
// with a fresh key.
func callerHeaders(tb testing.TB, peer string) http.Header {
	tb.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	h := http.Header{}
	h.Set(routeapi.HeaderPeerID, peer)
	h.Set(routeapi.HeaderPeerAddress, crypto.PubkeyToAddress(k.PublicKey).Hex())
	return h
}

// TestAPIRefusesBadInput: every local endpoint that takes a body, and the
// remote invoice, answers malformed, oversize and wrongly typed bodies and
// bad amounts with a 4xx and a JSON {error, code}, and changes nothing: not
// the database, not the wallet, not the checkbook, no withdrawal announced.
func TestAPIRefusesBadInput(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	n := newNode(t, nil)
	n.deposit(mft(2))
	// The node owes the invoicing peer, so that an invoice mistaken for a
	// good one would be paid.
	const debtor = "peer-owed-one-mft"
	if _, err := n.AddUsage(debtor, neg(mft(1))); err != nil {
		t.Fatal(err)
	}
	peerHdr := callerHeaders(t, debtor)

	over := new(big.Int).Lsh(big.NewInt(1), 256).String() // 2^256
	oversize := `{"amount":"` + strings.Repeat("1", localapi.MaxBody) + `"}`
	generic := []string{
		"",
		"\x00\xff\xfe garbage",
		"amount=1",
		`{"amount":"1"`,
		`{"amount":"1"}{"amount":"1"}`,
		`{"amount":"1"}]`,
		`[]`,
		`"1"`,
		`{"amount":"1","peer":"x","extra":1}`,
		oversize,
	}
	amountTypes := []string{`{"amount":5}`, `{"amount":true}`, `{"amount":{"v":"1"}}`, `{"amount":["1"]}`, `{"amount":null}`, `null`}
	badAmounts := []string{"-1", "0", "-0", "abc", "1.5", "1e18", "0x10", " 1", "", "1 MFT", "1500wei", over, "-" + over,
		over + "0", strings.Repeat("9", 100)}

	type req struct {
		method, path string
		hdr          http.Header
		body         string
	}
	var reqs []req
	post := func(path string, hdr http.Header, bodies ...string) {
		for _, b := range bodies {
			reqs = append(reqs, req{http.MethodPost, path, hdr, b})
		}
	}
	for _, p := range []string{"/v0/cash", "/v0/deposit", "/v0/withdraw", "/v0/usage", "/v0/manifest"} {
		post(p, nil, generic...)
	}
	post("/remote/v0/invoice", peerHdr, generic...)

	post("/v0/cash", nil, `{"peer":5}`, `{"peer":["a"]}`, `{"peer":null}`, `{"peer":""}`, `{"peer":"nobody-sent-a-cheque"}`)
	for _, p := range []string{"/v0/deposit", "/v0/withdraw"} {
		post(p, nil, amountTypes...)
		for _, a := range badAmounts {
			post(p, nil, fmt.Sprintf(`{"amount":%q}`, a))
		}
	}
	// More than the wallet holds is a well-formed deposit the node refuses.
	post("/v0/deposit", nil, fmt.Sprintf(`{"amount":%q}`, mft(1000).String()), fmt.Sprintf(`{"amount":%q}`, amount.Max.String()))

	// Usage may be negative (this node owes the peer), but not beyond a
	// uint256, nor anything but a whole number.
	post("/v0/usage", nil, `{"peer":"p","amount":5}`, `{"peer":1,"amount":"1"}`, `{"peer":"","amount":"1"}`, `{"amount":"1"}`,
		`{"peer":"p","amount":null}`)
	for _, a := range []string{"abc", "1.5", "", "1e3", "0x10", "--1", over, "-" + over, over + "0"} {
		post("/v0/usage", nil, fmt.Sprintf(`{"peer":"p","amount":%q}`, a))
	}
	// The peer becomes a ledger key and a listing's name: a peer ID only.
	for _, p := range []string{"p", "../..", "\u0000", "a\nb", "12D3KooW", "0x0000000000000000000000000000000000000001"} {
		post("/v0/usage", nil, fmt.Sprintf(`{"peer":"%s","amount":"1"}`, p))
	}
	// The checkbook holds 2 MFT: a withdrawal of more is not announced.
	post("/v0/withdraw", nil, fmt.Sprintf(`{"amount":%q}`, mft(3).String()))

	post("/v0/manifest", nil,
		`{"service":1,"price":"1"}`,
		`{"service":"relay","price":5}`,
		`{"service":"relay","price":"1","min_score":"high"}`,
		`{"service":"Relay!","price":"1"}`,
		`{"service":"","price":"1"}`,
		`{"service":"abcdefghijklmnopq","price":"1"}`,
		`{"service":"relay","price":"-1"}`,
		`{"service":"relay","price":"1.5"}`,
		`{"service":"relay","price":"`+over+`"}`,
		`{"service":"relay","price":"1","min_score":2}`,
		`{"service":"relay","price":"1","min_score":-0.1}`,
		`{"service":"relay","price":"1","tiers":[{"min_score":2,"price":"1"}]}`,
		`{"service":"relay","price":"1","tiers":[{"min_score":0.5,"price":"x"}]}`,
		`{"service":"relay","price":"1","tiers":"x"}`,
	)

	post("/remote/v0/invoice", peerHdr, amountTypes...)
	for _, a := range []string{"-1", "0", "abc", "1.5", "", over, "-" + over} {
		post("/remote/v0/invoice", peerHdr, fmt.Sprintf(`{"amount":%q}`, a))
	}
	// The hard deposit asked for is a whole number of base units too.
	for _, h := range []string{"-1", "abc", "1.5", " 1", "0x10", over} {
		post("/remote/v0/invoice", peerHdr, fmt.Sprintf(`{"amount":%q,"hard_deposit":%q}`, mft(1).String(), h))
	}
	post("/remote/v0/invoice", peerHdr, fmt.Sprintf(`{"amount":%q,"hard_deposit":5}`, mft(1).String()))
	// A good invoice that did not come through mf-route.
	good := fmt.Sprintf(`{"amount":%q}`, mft(1).String())
	onlyID, onlyAddr, badAddr := http.Header{}, http.Header{}, http.Header{}
	onlyID.Set(routeapi.HeaderPeerID, debtor)
	onlyAddr.Set(routeapi.HeaderPeerAddress, peerHdr.Get(routeapi.HeaderPeerAddress))
	badAddr.Set(routeapi.HeaderPeerID, debtor)
	badAddr.Set(routeapi.HeaderPeerAddress, "0x1234")
	for _, h := range []http.Header{nil, onlyID, onlyAddr, badAddr} {
		post("/remote/v0/invoice", h, good)
	}

	for _, p := range []string{"/v0/score/notanaddress", "/v0/score/0x1234", "/v0/score/0x" + strings.Repeat("z", 40), "/v0/score/" + strings.Repeat("a", 41)} {
		reqs = append(reqs, req{http.MethodGet, p, nil, ""})
	}
	reqs = append(reqs, req{http.MethodGet, "/v0/cash", nil, ""}, req{http.MethodPost, "/v0/nothing", nil, "{}"},
		req{http.MethodGet, "/remote/v0/invoice", peerHdr, ""})

	before := n.dump()
	wallet, cb := mftOf(t, n.self), mftOf(t, n.checkbook)
	for _, r := range reqs {
		what := fmt.Sprintf("%s %s %.60q", r.method, r.path, r.body)
		if r.hdr != nil {
			what += fmt.Sprintf(" (peer %q at %q)", r.hdr.Get(routeapi.HeaderPeerID), r.hdr.Get(routeapi.HeaderPeerAddress))
		}
		code, body := n.do(r.method, r.path, r.hdr, r.body)
		apiError(t, what, code, body)
	}
	sameDump(t, "the database", before, n.dump())
	wantEq(t, "wallet", mftOf(t, n.self), wallet)
	wantEq(t, "checkbook", mftOf(t, n.checkbook), cb)
	cbk, err := chain.NewCheckbook(n.checkbook, n.eth)
	if err != nil {
		t.Fatal(err)
	}
	if w, err := cbk.WithdrawAmount(&bind.CallOpts{Context: ctx}); err != nil || w.Sign() != 0 {
		t.Errorf("a withdrawal of %v was announced (%v)", w, err)
	}
	if h, err := cbk.TotalHardDeposit(&bind.CallOpts{Context: ctx}); err != nil || h.Sign() != 0 {
		t.Errorf("a hard deposit of %v was set aside (%v)", h, err)
	}

	// The same good invoice through mf-route's headers is paid, so the
	// refusals above were about the input.
	if code, body := n.do(http.MethodPost, "/remote/v0/invoice", peerHdr, good); code != http.StatusOK {
		t.Errorf("a good invoice: %d %s", code, body)
	}
}

// FuzzInvoiceBody: whatever body a peer posts to /remote/v0/invoice, a
// node that owes it nothing never panics, answers a 4xx with a JSON error,
// and never issues (or stores) a cheque nor touches a balance.
func FuzzInvoiceBody(f *testing.F) {
	n := newNode(f, nil)
	hdr := callerHeaders(f, "fuzz-peer")
	for _, s := range []string{`{"amount":"1"}`, `{"amount":"1","hard_deposit":"1"}`, `{"amount":"` + amount.Max.String() + `"}`, `{"amount":"-1"}`, `{}`, ``, `{"amount":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code, out := n.do(http.MethodPost, "/remote/v0/invoice", hdr, string(body))
		if code < 400 || code > 499 {
			t.Fatalf("%q: status %d (%s)", body, code, out)
		}
		var e localapi.Error
		if err := json.Unmarshal([]byte(out), &e); err != nil || e.Code == "" || e.Message == "" {
			t.Fatalf("%q: answer %q is not a JSON error", body, out)
		}
		for _, prefix := range []string{"chq/", "bal/", "booked/"} {
			if err := n.db.Scan([]byte(prefix), func(k, _ []byte) error {
				return fmt.Errorf("%q stored %s", body, k)
			}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestUsageBounded: usage adds up only while the balance stays within what a
// cheque can carry; past that it is refused and the balance stays.
func TestUsageBounded(t *testing.T) {
	t.Parallel()
	n := newNode(t, nil)
	other := fundedIdentity(t).Public().PeerID().String()
	body := fmt.Sprintf(`{"peer":%q,"amount":%q}`, other, amount.Max.String())
	if code, out := n.do(http.MethodPost, "/v0/usage", nil, body); code != http.StatusOK {
		t.Fatalf("first usage: %d %s", code, out)
	}
	code, out := n.do(http.MethodPost, "/v0/usage", nil, body)
	apiError(t, "usage past 2^256", code, out)
	wantEq(t, "balance", n.bal(other), amount.Max)
}

// TestWithdrawPending: a second amount does not silently replace an
// announced withdrawal (which would restart its notice); --replace does.
func TestWithdrawPending(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	n := newNode(t, nil)
	n.deposit(mft(2))
	cbk, err := chain.NewCheckbook(n.checkbook, n.eth)
	if err != nil {
		t.Fatal(err)
	}
	announced := func() (*big.Int, *big.Int) {
		w, err := cbk.WithdrawAmount(&bind.CallOpts{Context: ctx})
		if err != nil {
			t.Fatal(err)
		}
		after, err := cbk.WithdrawAfter(&bind.CallOpts{Context: ctx})
		if err != nil {
			t.Fatal(err)
		}
		return w, after
	}
	if code, out := n.do(http.MethodPost, "/v0/withdraw", nil, fmt.Sprintf(`{"amount":%q}`, mft(1).String())); code != http.StatusOK {
		t.Fatalf("announce: %d %s", code, out)
	}
	w0, after0 := announced()
	code, out := n.do(http.MethodPost, "/v0/withdraw", nil, fmt.Sprintf(`{"amount":%q}`, milli(500).String()))
	if e := apiError(t, "a second amount", code, out); e.Code != "pending" {
		t.Errorf("code %q, want pending", e.Code)
	}
	if w, after := announced(); w.Cmp(w0) != 0 || after.Cmp(after0) != 0 {
		t.Errorf("announcement changed to %s until %s, want %s until %s", w, after, w0, after0)
	}
	if code, out := n.do(http.MethodPost, "/v0/withdraw", nil, fmt.Sprintf(`{"amount":%q,"replace":true}`, milli(500).String())); code != http.StatusOK {
		t.Fatalf("replace: %d %s", code, out)
	}
	if w, _ := announced(); w.Cmp(milli(500)) != 0 {
		t.Errorf("announced %s after replace, want 0.5 MFT", w)
	}
}
