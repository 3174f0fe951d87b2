package hold

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/court/courtapi"
	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/proof"
)

var (
	testChainID = big.NewInt(1337)
	testCourt   = common.Address{0xc0, 0x47}
	testAg      = big.NewInt(7)
)

// staked makes d a delegate that staked agreement 7 for client at
// testCourt (mf-court is not run here: the record is set as a stake
// would set it).
func staked(t *testing.T, d *delegate, client *identity.Identity) {
	t.Helper()
	d.chain = chain.KnownCourt(testChainID, testCourt)
	d.agree(client)
	d.mu.Lock()
	d.clients[client.Public().Address()].Agreement = testAg.String()
	d.mu.Unlock()
}

// releaseList is a received-list from client naming ps, with a court
// release signed by releaser for agreement ag.
func releaseList(t *testing.T, client, releaser *identity.Identity, d *delegate, ag *big.Int, ps ...[]byte) []byte {
	t.Helper()
	l := &holdapi.ReceivedList{Delegate: d.self.Address(), AtMs: uint64(time.Now().UnixMilli())}
	for _, p := range ps {
		id, _ := holdapi.PacketID(p)
		l.IDs = append(l.IDs, id)
	}
	if releaser != nil {
		if err := l.SignRelease(releaser.Key, testChainID, testCourt, ag); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Sign(client.Key); err != nil {
		t.Fatal(err)
	}
	return l.Encode()
}

// TestStakedDelegateClaimsAndReleases: a staked delegate's receipt carries
// its court claim for the packet, which its mf-court proves from the
// packet as held (GET /v0/proof); it deletes the packet only on a
// received-list carrying the client's court release, which it then serves
// for a case on it (GET /v0/release); a release signed by anyone else or
// for another agreement deletes nothing, and neither does ending a staked
// agreement while packets are held.
func TestStakedDelegateClaimsAndReleases(t *testing.T) {
	d := newDelegate(t, testOptions())
	client, sender := person(t, 2), person(t, 3)
	staked(t, d, client)
	p, q := packet(1, 9000), packet(2, 100)
	rc := d.mustHold(sender, client, p)
	d.mustHold(sender, client, q)
	if rc.Claim == nil {
		t.Fatal("a staked delegate's receipt has no claim")
	}
	if err := rc.Claim.Check(testChainID, testCourt, d.self.Address(), client.Public().Address(), p); err != nil {
		t.Fatal(err)
	}
	if err := rc.Claim.Check(testChainID, testCourt, d.self.Address(), client.Public().Address(), q); err == nil {
		t.Fatal("the claim checks against another packet")
	}
	key := hex.EncodeToString(rc.Claim.Key[:])

	// The proof convention: chunks of the packet as held.
	code, b := d.call(nil, "GET", "/v0/proof?key="+key+"&index=0,2", nil)
	if code != 200 {
		t.Fatalf("proof: %d %s", code, b)
	}
	ans, err := proof.Decode(b)
	if err != nil || len(ans) != 2 {
		t.Fatalf("proof answer: %d, %v", len(ans), err)
	}
	for _, a := range ans {
		if err := proof.Verify(rc.Claim.Root, rc.Claim.Chunks, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []string{"/v0/proof?key=zz&index=0", "/v0/proof?key=" + key + "&index=9", "/v0/release?key=12"} {
		if code, _ := d.call(nil, "GET", bad, nil); code != 400 {
			t.Fatalf("%s: %d, want 400", bad, code)
		}
	}
	if code, _ := d.call(nil, "GET", "/v0/release?key="+key, nil); code != 404 {
		t.Fatalf("a release of a packet still held: %d", code)
	}

	// Lists that delete nothing.
	for _, tt := range []struct {
		name string
		body []byte
		code int
	}{
		{"no release", releaseList(t, client, nil, d, nil, p), 409},
		{"released by the sender", releaseList(t, client, sender, d, testAg, p), 403},
		{"for another agreement", releaseList(t, client, client, d, big.NewInt(8), p), 403},
	} {
		if code, b := d.call(client, "POST", "/remote/v0/received", tt.body); code != tt.code {
			t.Fatalf("%s: %d %s, want %d", tt.name, code, b, tt.code)
		}
		if hs := d.fetch(client, 0); len(hs) != 2 {
			t.Fatalf("%s: %d packets held, want 2", tt.name, len(hs))
		}
	}
	if code, b := d.call(client, "DELETE", "/remote/v0/agree", nil); code != 409 || !strings.Contains(string(b), "still_held") {
		t.Fatalf("ending a staked agreement with packets held: %d %s", code, b)
	}

	// The client's release deletes it, and is kept for a case.
	if code, b := d.call(client, "POST", "/remote/v0/received", releaseList(t, client, client, d, testAg, q, p)); code != 200 {
		t.Fatalf("received: %d %s", code, b)
	}
	if code, _ := d.call(nil, "GET", "/v0/proof?key="+key+"&index=0", nil); code != 404 {
		t.Fatalf("a proof of a deleted packet: %d", code)
	}
	d.open(testOptions()) // kept across a restart
	d.chain = chain.KnownCourt(testChainID, testCourt)
	code, b = d.call(nil, "GET", "/v0/release?key="+key, nil)
	if code != 200 {
		t.Fatalf("release: %d %s", code, b)
	}
	var ra courtapi.ReleaseAnswer
	if err := json.Unmarshal(b, &ra); err != nil {
		t.Fatal(err)
	}
	root, _ := hex.DecodeString(ra.Root)
	sig, _ := hex.DecodeString(ra.Signature)
	rel := chain.Release{Agreement: testAg, Count: ra.Count}
	copy(rel.Root[:], root)
	dg, _ := chain.ReleaseDigest(testChainID, testCourt, rel)
	if who, err := chain.RecoverSigner(dg, sig); err != nil || who != client.Public().Address() || ra.Agreement != "7" || ra.Count != 2 || ra.Index != 1 {
		t.Fatalf("release answer %+v signed by %s (%v)", ra, who, err)
	}
	pr := proof.Proof{Index: ra.Index, Chunk: rc.Claim.Key[:]}
	for _, h := range ra.Path {
		v, _ := hex.DecodeString(h)
		pr.Path = append(pr.Path, proof.Hash(v))
	}
	if err := proof.Verify(rel.Root, rel.Count, pr); err != nil {
		t.Fatalf("the release's path: %v", err)
	}
}

// TestSenderKeepsClaims: the sender's mf-hold keeps the claims of the
// receipts mf-route hands it, checked; a claim signed by someone else, or
// promising another packet, is refused and nothing is kept.
func TestSenderKeepsClaims(t *testing.T) {
	d := newDelegate(t, testOptions())
	client, sender := person(t, 2), person(t, 3)
	staked(t, d, client)
	p := packet(1, 500)
	rc := d.mustHold(sender, client, p)

	s := newDelegate(t, testOptions()) // the sender's own mf-hold
	s.chain = chain.KnownCourt(testChainID, testCourt)
	keep := func(rcs ...*holdapi.Receipt) int {
		b, _ := json.Marshal(holdapi.KeepRequest{Receipts: rcs})
		code, _ := s.call(nil, "POST", "/v0/claims", b)
		return code
	}
	forged := *rc
	fc := *rc.Claim
	fc.Sig, _ = chain.SignPromise(sender.Key, testChainID, testCourt, fc.Promise())
	forged.Claim = &fc
	other := *rc
	oc := *rc.Claim
	oc.Root = [32]byte{1}
	other.Claim = &oc
	noClaim := *rc
	noClaim.Claim = nil
	for name, code := range map[string]int{"forged": keep(&forged), "other packet": keep(&other), "no claim": keep(&noClaim), "none": keep()} {
		if code/100 != 4 {
			t.Fatalf("%s: %d, want refused", name, code)
		}
	}
	if code, b := s.call(nil, "GET", "/v0/claims", nil); code != 200 || string(b) != "[]\n" {
		t.Fatalf("claims after refusals: %d %s", code, b)
	}
	if code := keep(rc); code != 200 {
		t.Fatalf("keep: %d", code)
	}
	id := hex.EncodeToString(rc.ID[:])
	code, b := s.call(nil, "GET", "/v0/claims?id="+id+"&delegate="+d.self.Address().Hex(), nil)
	var cs []holdapi.ClaimInfo
	if code != 200 || json.Unmarshal(b, &cs) != nil || len(cs) != 1 || cs[0].Claim.Key != rc.Claim.Key || cs[0].Client != client.Public().Address().Hex() {
		t.Fatalf("claims: %d %s", code, b)
	}
	if code, _ := s.call(nil, "GET", "/v0/claims?id=nope", nil); code != 400 {
		t.Fatalf("claims?id=nope: %d", code)
	}
}

// TestClientTakesForwardedClaims: a client's mf-hold keeps the claims a
// sender passes on when each is for this node, by one of its staked
// delegates under its agreement, signed for its court; a claim for another
// client, by a node that is no delegate, under another agreement or signed
// by another key is refused, and nothing is kept.
func TestClientTakesForwardedClaims(t *testing.T) {
	d := newDelegate(t, testOptions()) // the delegate
	client, sender := person(t, 2), person(t, 3)
	staked(t, d, client)
	p := packet(1, 500)
	rc := d.mustHold(sender, client, p)
	ci := holdapi.ClaimInfo{ID: hex.EncodeToString(rc.ID[:]), Client: client.Public().Address().Hex(), Delegate: d.self.Address().Hex(),
		Size: rc.Size, TakenMs: rc.TakenMs, Claim: rc.Claim}

	c := newDelegateAs(t, client, testOptions()) // the client's own mf-hold
	c.chain = chain.KnownCourt(testChainID, testCourt)
	rec, _ := json.Marshal(holdapi.Delegate{PeerID: d.self.PeerID().String(), Address: d.self.Address().Hex(), Price: "1", Agreement: testAg.String()})
	if err := c.db.Set(delegateKey(d.self.PeerID().String()), rec); err != nil {
		t.Fatal(err)
	}
	forward := func(cs ...holdapi.ClaimInfo) int {
		b, _ := json.Marshal(holdapi.ForwardRequest{Claims: cs})
		code, _ := c.call(sender, "POST", "/remote/v0/claims", b)
		return code
	}
	otherClient := ci
	otherClient.Client = sender.Public().Address().Hex()
	noDelegate := ci
	noDelegate.Delegate = sender.Public().Address().Hex()
	otherAg := ci
	oc := *rc.Claim
	oc.Agreement = big.NewInt(8)
	otherAg.Claim = &oc
	forged := ci
	fc := *rc.Claim
	fc.Sig, _ = chain.SignPromise(sender.Key, testChainID, testCourt, fc.Promise())
	forged.Claim = &fc
	for name, code := range map[string]int{"for another client": forward(otherClient), "by no delegate": forward(noDelegate),
		"under another agreement": forward(otherAg), "forged": forward(forged), "none": forward(), "among good ones": forward(ci, forged)} {
		if code/100 != 4 {
			t.Fatalf("%s: %d, want refused", name, code)
		}
	}
	if code, b := c.call(nil, "GET", "/v0/claims", nil); code != 200 || string(b) != "[]\n" {
		t.Fatalf("claims after refusals: %d %s", code, b)
	}
	if code := forward(ci); code != 200 {
		t.Fatalf("forward: %d", code)
	}
	code, b := c.call(nil, "GET", "/v0/claims?client="+client.Public().Address().Hex()+"&id="+ci.ID, nil)
	var cs []holdapi.ClaimInfo
	if code != 200 || json.Unmarshal(b, &cs) != nil || len(cs) != 1 || cs[0].Claim.Key != rc.Claim.Key {
		t.Fatalf("claims: %d %s", code, b)
	}
	if code, _ := c.call(nil, "POST", "/remote/v0/claims", []byte(`{"claims":[]}`)); code != 403 {
		t.Fatalf("claims without the gateway: %d", code)
	}
}

// TestSenderPassesClaimsOn: the sender's mf-hold passes the claims it
// keeps on to the client's, through mf-route's gateway (a stand-in here
// that hands the call to the client's handler as the gateway would), and
// forgets them once the client took them; while the client is away they
// stay, to be passed on later.
func TestSenderPassesClaimsOn(t *testing.T) {
	d := newDelegate(t, testOptions())
	client, sender := person(t, 2), person(t, 3)
	staked(t, d, client)
	rc := d.mustHold(sender, client, packet(1, 500))

	c := newDelegateAs(t, client, testOptions())
	c.chain = chain.KnownCourt(testChainID, testCourt)
	rec, _ := json.Marshal(holdapi.Delegate{PeerID: d.self.PeerID().String(), Address: d.self.Address().Hex(), Price: "1", Agreement: testAg.String()})
	c.db.Set(delegateKey(d.self.PeerID().String()), rec)

	s := newDelegateAs(t, sender, testOptions())
	s.chain = chain.KnownCourt(testChainID, testCourt)
	b, _ := json.Marshal(holdapi.KeepRequest{ClientPeer: client.Public().PeerID().String(), Receipts: []*holdapi.Receipt{rc}})
	if code, b := s.call(nil, "POST", "/v0/claims", b); code != 200 {
		t.Fatalf("keep: %d %s", code, b)
	}
	// mf-route's gateway, as the sender's mf-hold reaches it: the client
	// is away at first.
	away := true
	sock := filepath.Join(s.dir, "route.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if away {
			localapi.WriteError(w, localapi.Errorf(http.StatusBadGateway, "unreachable", "the client is away"))
			return
		}
		body, _ := io.ReadAll(r.Body)
		path := r.URL.Path[strings.Index(r.URL.Path, "/hold/")+len("/hold"):]
		code, out := c.call(sender, r.Method, "/remote"+path, body)
		w.WriteHeader(code)
		w.Write(out)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	kept := func(x *delegate) int {
		_, b := x.call(nil, "GET", "/v0/claims", nil)
		var cs []holdapi.ClaimInfo
		json.Unmarshal(b, &cs)
		return len(cs)
	}
	s.forward(context.Background())
	if kept(s) != 1 || kept(c) != 0 {
		t.Fatalf("with the client away: the sender keeps %d, the client %d; want 1, 0", kept(s), kept(c))
	}
	away = false
	s.forward(context.Background())
	if kept(s) != 0 || kept(c) != 1 {
		t.Fatalf("with the client back: the sender keeps %d, the client %d; want 0, 1", kept(s), kept(c))
	}
}
