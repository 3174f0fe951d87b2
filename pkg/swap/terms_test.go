package swap

import (
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// The cost of a count under a schedule is rounded once over the whole
// count, and a price change applies from its mark on.
func TestScheduleCost(t *testing.T) {
	sc := schedule{}
	sc.add(Terms{Seq: 1, Mark: 0, Price: "3"})
	sc.add(Terms{Seq: 2, Mark: 1000, Price: "7"})
	for _, tt := range []struct {
		count uint64
		want  int64
	}{
		{0, 0},
		{341, 0},     // 1023 / 1024
		{342, 1},     // 1026 / 1024
		{1000, 2},    // 3000 / 1024
		{1001, 2},    // 3007 / 1024
		{2000, 9},    // (3000 + 7000) / 1024
		{1 << 20, 7}, // checked below
	} {
		want := big.NewInt(tt.want)
		if tt.count == 1<<20 {
			want = big.NewInt((3*1000 + 7*(1<<20-1000)) / 1024)
		}
		if got := sc.cost(tt.count); got.Cmp(want) != 0 {
			t.Errorf("cost(%d) = %s, want %s", tt.count, got, want)
		}
	}
	// Pricing each look apart and adding up would round each part: the
	// whole count is what both sides agree on.
	parts := new(big.Int)
	prev := new(big.Int)
	for c := uint64(0); c <= 2000; c += 37 {
		now := sc.cost(c)
		parts.Add(parts, new(big.Int).Sub(now, prev))
		prev = now
	}
	if parts.Cmp(sc.cost(1998)) != 0 {
		t.Errorf("booking the differences of whole counts gives %s, want %s", parts, sc.cost(1998))
	}
	// Folding old terms into the base keeps every cost past their marks.
	long := schedule{}
	for i := range uint64(maxTerms + 10) {
		long.add(Terms{Seq: i + 1, Mark: i * 100, Price: fmt.Sprint(i + 1)})
	}
	var want int64
	for i := range int64(maxTerms + 10) {
		want += (i + 1) * 100
	}
	if len(long.Terms) != maxTerms {
		t.Fatalf("%d terms kept, want %d", len(long.Terms), maxTerms)
	}
	if got := long.cost(uint64(maxTerms+10) * 100); got.Cmp(big.NewInt(want/1024)) != 0 {
		t.Fatalf("cost after folding %s, want %d", got, want/1024)
	}
}

// seller is a peer proposing terms to a node.
type seller struct {
	key  *ecdsa.PrivateKey
	peer string
	addr string
}

func newSeller(t *testing.T) *seller {
	id, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return &seller{key: id.Key, peer: id.Public().PeerID().String(), addr: id.Public().Address().Hex()}
}

func (s *seller) headers() http.Header {
	h := http.Header{}
	h.Set(routeapi.HeaderPeerID, s.peer)
	h.Set(routeapi.HeaderPeerAddress, s.addr)
	return h
}

func (s *seller) terms(t *testing.T, buyer string, seq, mark uint64, price string) Terms {
	tm := Terms{Seller: s.addr, Buyer: buyer, Seq: seq, Mark: mark, Price: price}
	d, err := tm.Digest()
	if err != nil {
		t.Fatal(err)
	}
	sig, err := crypto.Sign(d, s.key)
	if err != nil {
		t.Fatal(err)
	}
	tm.SellerSig = hex.EncodeToString(sig)
	return tm
}

func body(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// POST /remote/v0/terms refuses terms that are malformed, not the
// caller's, not signed by it, or out of order, and changes nothing; good
// terms are countersigned, a resend answers the same, and a conflicting
// resend is refused. GET /v0/terms/{peer} refuses what is not a peer ID.
func TestRemoteTermsRefusesBadInput(t *testing.T) {
	t.Parallel()
	n := newNode(t, nil)
	s, other := newSeller(t), newSeller(t)
	me := n.self.Hex()
	good := s.terms(t, me, 1, 0, "1000")
	badSig := good
	badSig.SellerSig = other.terms(t, me, 1, 0, "1000").SellerSig
	short := good
	short.SellerSig = "abcd"
	for _, tt := range []struct {
		name string
		hdr  http.Header
		body string
	}{
		{"no gateway headers", nil, body(t, good)},
		{"garbage", s.headers(), "\x00 not json"},
		{"empty", s.headers(), ""},
		{"unknown field", s.headers(), `{"seller":"x","extra":1}`},
		{"no addresses", s.headers(), `{"seq":1,"price":"1"}`},
		{"negative price", s.headers(), fmt.Sprintf(`{"seller":%q,"buyer":%q,"seq":1,"price":"-1","seller_sig":%q}`, s.addr, me, good.SellerSig)},
		{"another seller's terms", other.headers(), body(t, good)},
		{"terms for another buyer", s.headers(), body(t, s.terms(t, other.addr, 1, 0, "1000"))},
		{"signed by someone else", s.headers(), body(t, badSig)},
		{"short signature", s.headers(), body(t, short)},
		{"first terms not from mark 0", s.headers(), body(t, s.terms(t, me, 1, 5, "1000"))},
		{"first terms not seq 1", s.headers(), body(t, s.terms(t, me, 2, 0, "1000"))},
		{"price over 2^256", s.headers(), fmt.Sprintf(`{"seller":%q,"buyer":%q,"seq":1,"price":"%s0","seller_sig":""}`, s.addr, me, amount.Max)},
	} {
		before := n.dump()
		code, b := n.do(http.MethodPost, "/remote/v0/terms", tt.hdr, tt.body)
		apiError(t, tt.name, code, b)
		sameDump(t, tt.name, before, n.dump())
	}
	for _, p := range []string{"nobody", "bad%20peer", "0x0000000000000000000000000000000000000001"} {
		code, b := n.do(http.MethodGet, "/v0/terms/"+p, nil, "")
		apiError(t, "terms of "+p, code, b)
	}

	code, b := n.do(http.MethodPost, "/remote/v0/terms", s.headers(), body(t, good))
	if code != http.StatusOK {
		t.Fatalf("good terms: %d %s", code, b)
	}
	var ack Terms
	if err := json.Unmarshal([]byte(b), &ack); err != nil {
		t.Fatal(err)
	}
	if err := good.SignedBy(ack.BuyerSig, me); err != nil {
		t.Fatalf("the countersignature: %v", err)
	}
	if code, b2 := n.do(http.MethodPost, "/remote/v0/terms", s.headers(), body(t, good)); code != http.StatusOK || b2 != b {
		t.Fatalf("a resend: %d %s, want the same answer", code, b2)
	}
	for name, tm := range map[string]Terms{
		"same seq, another price": s.terms(t, me, 1, 0, "2000"),
		"a seq skipped":           s.terms(t, me, 3, 10, "2000"),
	} {
		before := n.dump()
		code, b := n.do(http.MethodPost, "/remote/v0/terms", s.headers(), body(t, tm))
		apiError(t, name, code, b)
		sameDump(t, name, before, n.dump())
	}
	if code, b := n.do(http.MethodPost, "/remote/v0/terms", s.headers(), body(t, s.terms(t, me, 2, 100, "2000"))); code != http.StatusOK {
		t.Fatalf("second terms: %d %s", code, b)
	}
	before := n.dump()
	code, b = n.do(http.MethodPost, "/remote/v0/terms", s.headers(), body(t, s.terms(t, me, 3, 50, "2000")))
	apiError(t, "a mark going back", code, b)
	sameDump(t, "a mark going back", before, n.dump())

	code, b = n.do(http.MethodGet, "/v0/terms/"+s.peer, nil, "")
	var a Agreement
	if code != http.StatusOK || json.Unmarshal([]byte(b), &a) != nil || len(a.Buy) != 2 || len(a.Sell) != 0 {
		t.Fatalf("the agreement: %d %s", code, b)
	}
}

// FuzzParseTerms: whatever bytes come as terms, parsing never panics, and
// what parses has a digest to sign.
func FuzzParseTerms(f *testing.F) {
	f.Add([]byte(`{"seller":"0x0000000000000000000000000000000000000001","buyer":"0x0000000000000000000000000000000000000002","seq":1,"mark":0,"price":"1000","seller_sig":""}`))
	f.Add([]byte(`{"price":"-1"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, b []byte) {
		tm, err := ParseTerms(b)
		if err != nil {
			return
		}
		if _, err := tm.Digest(); err != nil {
			t.Fatalf("parsed terms without a digest: %v", err)
		}
		_ = tm.SignedBy(tm.SellerSig, tm.Seller)
		sc := schedule{}
		sc.add(*tm)
		sc.cost(tm.Mark + 12345)
	})
}

// Two nodes whose meters look at different moments, and a price change
// whose mark the buyer's count has already passed, still end with ledgers
// that are exact mirror images once both counted the same bytes.
func TestTermsKeepLedgersMirrored(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	a, b := newNode(t, nil), newNode(t, nil)
	fa, fb := a.serveRoute(b), b.serveRoute(a)
	setPrice := func(n *testNode, price string) {
		if code, body := n.do(http.MethodPost, "/v0/manifest", nil, fmt.Sprintf(`{"service":"route","price":%q}`, price)); code != http.StatusOK {
			t.Fatalf("manifest: %d %s", code, body)
		}
	}
	count := func(fr *fakeRoute, peer *testNode, in, out uint64) {
		fr.mu.Lock()
		fr.usage = routeapi.Usage{Epoch: 1, Peers: []routeapi.PeerUsage{{PeerID: peer.peer, Address: peer.self.Hex(), BytesIn: in, BytesOut: out}}}
		fr.mu.Unlock()
	}
	look := func(n *testNode) {
		if err := n.meterOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mirrored := func(what string) {
		t.Helper()
		ab, ba := a.bal(b.peer), b.bal(a.peer)
		if new(big.Int).Add(ab, ba).Sign() != 0 {
			t.Fatalf("%s: a says %s, b says %s", what, ab, ba)
		}
	}
	setPrice(a, "3001")
	setPrice(b, "17")
	// a handed b 7000 bytes and b handed a 5000; b's meter looks before
	// the last 1000 of a's reached it.
	count(fa, b, 5000, 7000)
	count(fb, a, 6000, 5000)
	look(a)
	look(b)
	look(a) // the terms are agreed by now: book again
	look(b)
	count(fb, a, 7000, 5000)
	look(b)
	mirrored("after the first traffic")
	want := new(big.Int).Sub(big.NewInt(5000*3001/1024), big.NewInt(7000*17/1024))
	wantEq(t, "a's balance", a.bal(b.peer), want)

	// a's price changes. b's count of what it handed a runs ahead of a's.
	setPrice(a, "9999")
	count(fb, a, 7000, 9000)
	look(b)
	count(fa, b, 8000, 7000)
	look(a) // proposes from mark 5000 and hands the terms over
	look(b) // b's 4000 bytes past the mark are repriced
	count(fa, b, 9000, 7000)
	look(a)
	mirrored("after the price change")
	want = new(big.Int).Sub(big.NewInt((5000*3001+4000*9999)/1024), big.NewInt(7000*17/1024))
	wantEq(t, "a's balance after the change", a.bal(b.peer), want)
}
