package db

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/proof"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// testCourt is a chain and court to sign promises for, without a chain:
// the signature is the court's EIP-712 digest over these.
// testCourtAddr is the court the tests' promises are signed for.
var testCourtAddr = common.HexToAddress("0x00000000000000000000000000000000000c0047")

func testCourt() *chain.CourtRef { return chain.KnownCourt(big.NewInt(1337), testCourtAddr) }

// staked is a provider's service that staked for m under agreement 7.
func staked(t testing.TB, pr person, m *dbapi.Meta, pl *dbapi.Placement) *Service {
	t.Helper()
	s := NewService(newEngine(t), pr.Identity, pr.card)
	s.EnableNetwork(t.TempDir(), 0, nil)
	s.net.chain = testCourt()
	if err := s.e.PutMeta(m); err != nil {
		t.Fatal(err)
	}
	if err := s.e.PutPlacement(pl); err != nil {
		t.Fatal(err)
	}
	if err := s.e.db.Set(dkey(pStake, m.ID), []byte("7")); err != nil {
		t.Fatal(err)
	}
	return s
}

// batchOf is n puts by p, signed once through the batch root; one of them
// is larger than a proof chunk, so that its promise spans several.
func batchOf(t testing.TB, p person, m *dbapi.Meta, n int) []*dbapi.Change {
	t.Helper()
	var cs []*dbapi.Change
	for i := range n {
		v := fmt.Sprintf(`{"n": %d}`, i)
		if i == 1 {
			v = fmt.Sprintf(`{"pad": %q}`, strings.Repeat("x", 9000))
		}
		cs = append(cs, &dbapi.Change{Dataset: m.ID, Key: fmt.Sprintf("k%d", i), Op: dbapi.OpInsert, Value: []byte(v), Seq: uint64(i + 1), Time: 1700000000000})
	}
	if _, err := dbapi.SignBatch(p.key(), cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// A staked provider's claims are court promises over the changes as it
// stores them: the writer checks and keeps them, mf-court gets the chunks
// from GET /v0/proof, and once the provider drops or alters a row, the
// chunks it serves no longer prove the promise.
func TestClaimsEnforceable(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	p1, p2 := newPerson(t, 11), newPerson(t, 12)
	m, pl := placedNotes(t, alice, bob, p1, p2)
	prov := staked(t, p1, m, pl)
	cs := batchOf(t, bob, m, 3)
	if _, err := prov.e.ApplyBatch(cs); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	claims, err := prov.claimsFor(ctx, m, cs)
	if err != nil || len(claims) != len(cs) {
		t.Fatalf("claims: %v, %d", err, len(claims))
	}
	if claims[1].Chunks < 3 {
		t.Fatalf("a 9 KB row is %d chunks", claims[1].Chunks)
	}

	// The writer checks them: signed by the provider, for the court, each
	// for a change it sent.
	writer := NewService(newEngine(t), bob.Identity, bob.card)
	writer.EnableNetwork(t.TempDir(), 0, nil)
	writer.net.chain = testCourt()
	pr := pl.Providers[0]
	sent := newSentChanges(cs)
	for _, rc := range claims {
		if err := checkClaim(rc, pr.Address, sent, big.NewInt(1337), testCourtAddr); err != nil {
			t.Fatalf("check: %v", err)
		}
	}
	// The agreement they name is read through mf-court, which does not run
	// here: unchecked, they are not kept (dbcourt.txtar has a provider
	// whose claims name another agreement).
	if got, err := writer.checkClaims(ctx, m, pr, claims, sent); err != nil || got != nil {
		t.Fatalf("with no mf-court: %d claims kept, %v", len(got), err)
	}
	// The claim's signature is what the court recovers.
	d, _ := chain.PromiseDigest(big.NewInt(1337), testCourtAddr, chain.Promise{Agreement: big.NewInt(7), Key: claims[0].Promise, Root: claims[0].Root, Chunks: claims[0].Chunks})
	if a, err := chain.RecoverSigner(d, claims[0].Sig); err != nil || a != p1.addr {
		t.Fatalf("court signer %s, %v", a.Hex(), err)
	}
	bad := func(name string, f func(rc *dbapi.RowClaim), who dbapi.Provider) {
		t.Helper()
		b, _ := json.Marshal(claims[0])
		var rc dbapi.RowClaim
		_ = json.Unmarshal(b, &rc)
		f(&rc)
		if _, err := writer.checkClaims(ctx, m, who, []*dbapi.RowClaim{&rc}, newSentChanges(cs)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	bad("another provider's", func(*dbapi.RowClaim) {}, pl.Providers[1])
	bad("another root", func(rc *dbapi.RowClaim) { rc.Root[0] ^= 1 }, pr)
	bad("another agreement", func(rc *dbapi.RowClaim) { rc.Agreement = "8" }, pr)
	bad("another change", func(rc *dbapi.RowClaim) { rc.Seq = 2 }, pr)
	bad("a change not sent", func(rc *dbapi.RowClaim) { rc.Seq = 9 }, pr)
	bad("no agreement", func(rc *dbapi.RowClaim) { rc.Agreement = "" }, pr)
	bad("short signature", func(rc *dbapi.RowClaim) { rc.Sig = rc.Sig[:10] }, pr)
	if err := writer.keepAcks(nil, claims); err != nil {
		t.Fatal(err)
	}
	if got, _ := writer.e.Claims(m.ID, "k1", p1.addr); len(got) != 1 || got[0].Seq != 2 {
		t.Fatalf("kept claims for k1: %v", got)
	}

	// What mf-court asks the provider's socket, for each claim.
	h := prov.Handler()
	prove := func(rc *dbapi.RowClaim) (int, error) {
		idx := []uint64{0, rc.Chunks - 1}
		code, body := peerCall(t, h, nil, "GET", fmt.Sprintf("/v0/proof?key=%x&index=0,%d", rc.Promise[:], rc.Chunks-1), nil)
		if code != http.StatusOK {
			return code, fmt.Errorf("%s", body)
		}
		ans, err := proof.Decode(body)
		if err == nil {
			err = proof.VerifyChunks(proof.Hash(rc.Root), rc.Chunks, idx, ans)
		}
		return code, err
	}
	for _, rc := range claims {
		if _, err := prove(rc); err != nil {
			t.Fatalf("proof of %s: %v", rc.Key, err)
		}
	}
	// Dropped: nothing to answer with. Altered: chunks that do not prove.
	if err := prov.e.db.Delete(dkey(pChange, m.ID, bob.addr[:], u64(1))); err != nil {
		t.Fatal(err)
	}
	if code, err := prove(claims[0]); code != http.StatusNotFound || err == nil {
		t.Fatalf("dropped row: %d %v", code, err)
	}
	c := *cs[1]
	c.Value = []byte(`{"pad": "mallory"}`)
	if err := prov.e.db.Set(dkey(pChange, m.ID, bob.addr[:], u64(2)), c.Encode()); err != nil {
		t.Fatal(err)
	}
	if _, err := prove(claims[1]); err == nil {
		t.Fatal("an altered row proved its promise")
	}
	if _, err := prove(claims[2]); err != nil {
		t.Fatalf("a kept row: %v", err)
	}

	// A provider that did not stake signs no promises.
	plain := NewService(newEngine(t), p2.Identity, p2.card)
	plain.EnableNetwork(t.TempDir(), 0, nil)
	plain.net.chain = testCourt()
	if cl, err := plain.claimsFor(ctx, m, cs); err != nil || cl != nil {
		t.Fatalf("unstaked: %v %v", cl, err)
	}
}

// A change held back behind a gap is promised too, and proved from where
// it is held.
func TestClaimHeldChange(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	p1 := newPerson(t, 11)
	m, pl := placedNotes(t, alice, bob, p1)
	prov := staked(t, p1, m, pl)
	c := change(t, bob, m, dbapi.OpInsert, "late", `{"n": 1}`, 3, 1700000000000)
	if rs := mustApply(t, prov.e, c); rs[0] != Held {
		t.Fatalf("result %v", rs[0])
	}
	claims, err := prov.claimsFor(context.Background(), m, []*dbapi.Change{c})
	if err != nil {
		t.Fatal(err)
	}
	code, body := peerCall(t, prov.Handler(), nil, "GET", fmt.Sprintf("/v0/proof?key=%x&index=0", claims[0].Promise[:]), nil)
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
}

func TestClaimEndpointsBadInput(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	p1 := newPerson(t, 11)
	m, pl := placedNotes(t, alice, bob, p1)
	prov := staked(t, p1, m, pl)
	cs := batchOf(t, bob, m, 2)
	if _, err := prov.e.ApplyBatch(cs); err != nil {
		t.Fatal(err)
	}
	claims, err := prov.claimsFor(context.Background(), m, cs)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := prov.e.Digest(m.ID)
	key := fmt.Sprintf("%x", claims[0].Promise[:])
	many := strings.TrimSuffix(strings.Repeat("0,", proof.MaxProofs+1), ",")
	h := prov.Handler()
	// bob's node holds no dataset of its own: it cannot take anyone to
	// court on alice's.
	bh := NewService(newEngine(t), bob.Identity, bob.card)
	if err := bh.e.PutMeta(m); err != nil {
		t.Fatal(err)
	}
	ds := "/v0/datasets/" + m.ID.String()
	for _, tt := range []struct {
		name, method, path string
		h                  http.Handler
		body               any
		code               int
	}{
		{"proof without a key", "GET", "/v0/proof?index=0", h, nil, http.StatusBadRequest},
		{"proof with a short key", "GET", "/v0/proof?key=abcd&index=0", h, nil, http.StatusBadRequest},
		{"proof with a key not hex", "GET", "/v0/proof?key=" + strings.Repeat("z", 64) + "&index=0", h, nil, http.StatusBadRequest},
		{"proof of an unknown promise", "GET", "/v0/proof?key=" + strings.Repeat("0", 64) + "&index=0", h, nil, http.StatusNotFound},
		{"proof without an index", "GET", "/v0/proof?key=" + key, h, nil, http.StatusBadRequest},
		{"proof of a chunk past the end", "GET", "/v0/proof?key=" + key + "&index=1", h, nil, http.StatusBadRequest},
		{"proof of a negative chunk", "GET", "/v0/proof?key=" + key + "&index=-1", h, nil, http.StatusBadRequest},
		{"proof of too many chunks", "GET", "/v0/proof?key=" + key + "&index=" + many, h, nil, http.StatusBadRequest},
		{"claims of an unknown dataset", "GET", "/v0/datasets/nope/claims", h, nil, http.StatusNotFound},
		{"claims by a provider not an address", "GET", ds + "/claims?provider=bob", h, nil, http.StatusBadRequest},
		{"case on an unknown dataset", "POST", "/v0/datasets/nope/case", h, `{"key": "k0", "provider": "` + p1.addr.Hex() + `"}`, http.StatusNotFound},
		{"case not JSON", "POST", ds + "/case", bh.Handler(), `{`, http.StatusBadRequest},
		{"case without a key", "POST", ds + "/case", bh.Handler(), `{"provider": "` + p1.addr.Hex() + `"}`, http.StatusBadRequest},
		{"case against a provider not an address", "POST", ds + "/case", bh.Handler(), `{"key": "k0", "provider": "p1"}`, http.StatusBadRequest},
		{"case by a writer, not the owner", "POST", ds + "/case", bh.Handler(), `{"key": "k0", "provider": "` + p1.addr.Hex() + `"}`, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := peerCall(t, tt.h, nil, tt.method, tt.path, tt.body)
			if code != tt.code || !json.Valid(body) {
				t.Fatalf("got %d %s, want %d with a JSON error", code, body, tt.code)
			}
		})
	}
	if after, _ := prov.e.Digest(m.ID); after.Hash != before.Hash {
		t.Fatal("bad input changed the dataset")
	}
	// The owner's node, without mf-route: a clear refusal, not a panic.
	ah := NewService(newEngine(t), alice.Identity, alice.card)
	if err := ah.e.PutMeta(m); err != nil {
		t.Fatal(err)
	}
	if code, body := peerCall(t, ah.Handler(), nil, "POST", ds+"/case", `{"key": "k0", "provider": "`+p1.addr.Hex()+`"}`); code != http.StatusServiceUnavailable {
		t.Fatalf("case without the network: %d %s", code, body)
	}
}

// FuzzProofRequest feeds arbitrary query strings to GET /v0/proof, what
// mf-court asks mf-db: it never panics, refuses with a JSON error, and
// every chunk it serves proves against the promise.
func FuzzProofRequest(f *testing.F) {
	alice, bob := newPerson(f, 1), newPerson(f, 2)
	p1 := newPerson(f, 11)
	m, pl := placedNotes(f, alice, bob, p1)
	prov := staked(f, p1, m, pl)
	cs := batchOf(f, bob, m, 2)
	if _, err := prov.e.ApplyBatch(cs); err != nil {
		f.Fatal(err)
	}
	claims, err := prov.claimsFor(context.Background(), m, cs)
	if err != nil {
		f.Fatal(err)
	}
	rc := claims[1]
	h := prov.Handler()
	key := fmt.Sprintf("%x", rc.Promise[:])
	f.Add(key, "0,1,2")
	f.Add(key, "2,0")
	f.Add(key, "")
	f.Add(strings.Repeat("0", 64), "0")
	f.Add("zz", "0,,1")
	f.Fuzz(func(t *testing.T, k, index string) {
		code, body := peerCall(t, h, nil, "GET", "/v0/proof?key="+url.QueryEscape(k)+"&index="+url.QueryEscape(index), nil)
		if code != http.StatusOK {
			if !json.Valid(body) {
				t.Fatalf("%d without a JSON error: %q", code, body)
			}
			return
		}
		idx, err := proof.ParseIndices(index, rc.Chunks, proof.MaxProofs)
		if err != nil || !strings.EqualFold(k, key) {
			t.Fatalf("served %q for key %q", index, k)
		}
		ans, err := proof.Decode(body)
		if err == nil {
			err = proof.VerifyChunks(proof.Hash(rc.Root), rc.Chunks, idx, ans)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzCheckClaim feeds arbitrary JSON, as a provider's answer carries it,
// to the writer's check of a claim: it never panics, and what it accepts
// promises exactly the change it names, signed by the provider.
func FuzzCheckClaim(f *testing.F) {
	alice, bob := newPerson(f, 1), newPerson(f, 2)
	p1 := newPerson(f, 11)
	m, pl := placedNotes(f, alice, bob, p1)
	prov := staked(f, p1, m, pl)
	cs := batchOf(f, bob, m, 2)
	claims, err := prov.claimsFor(context.Background(), m, cs)
	if err != nil {
		f.Fatal(err)
	}
	for _, rc := range claims {
		b, _ := json.Marshal(rc)
		f.Add(b)
	}
	f.Add([]byte(`{"agreement": "1e3", "sig": "0x00"}`))
	sent := newSentChanges(cs)
	ccID, ccCourt, _ := testCourt().Get(context.Background())
	f.Fuzz(func(t *testing.T, b []byte) {
		var rc dbapi.RowClaim
		if json.Unmarshal(b, &rc) != nil {
			return
		}
		if checkClaim(&rc, p1.addr, sent, ccID, ccCourt) != nil {
			return
		}
		c := cs[rc.Seq-1]
		key, root, chunks := dbapi.PromiseOf(c)
		if rc.Provider != p1.addr || rc.Key != c.Key || rc.Promise != key || rc.Root != root || rc.Chunks != chunks || rc.Agreement != "7" {
			t.Fatalf("accepted a claim that promises something else: %+v", rc)
		}
	})
}

// The socket's batch endpoint takes the binary form (what the client
// sends) and refuses a body that is not one, storing nothing; a good one
// stores what its JSON would.
func TestBatchBinaryEndpoint(t *testing.T) {
	alice := newPerson(t, 1)
	s := NewService(newEngine(t), alice.Identity, alice.card)
	h := s.Handler()
	if code, body := peerCall(t, h, nil, "POST", "/v0/datasets", `{"name": "mine"}`); code != http.StatusOK {
		t.Fatalf("create: %d %s", code, body)
	}
	post := func(b []byte) (int, []byte) {
		r := httptest.NewRequest("POST", "/v0/datasets/mine/batch", bytes.NewReader(b))
		r.Header.Set("Content-Type", localapi.OctetStream)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.Bytes()
	}
	big, _ := dbapi.EncodeBatch(dbapi.BatchRequest{Writes: []dbapi.WriteRequest{{Op: dbapi.OpPut, Key: "big", IsRaw: true, Raw: make([]byte, dbapi.MaxValue+1)}}})
	notJSON, _ := dbapi.EncodeBatch(dbapi.BatchRequest{Writes: []dbapi.WriteRequest{{Op: dbapi.OpPut, Key: "a", Value: []byte(`{"a":`)}}})
	for name, tt := range map[string]struct {
		body []byte
		code int
	}{
		"garbage":      {[]byte("hello"), http.StatusBadRequest},
		"no writes":    {[]byte{1, 0}, http.StatusBadRequest},
		"over a limit": {big, http.StatusRequestEntityTooLarge},
		"invalid JSON": {notJSON, http.StatusBadRequest},
	} {
		if code, body := post(tt.body); code != tt.code || !json.Valid(body) {
			t.Errorf("%s: got %d %s, want %d with a JSON error", name, code, body, tt.code)
		}
	}
	if d, _ := s.e.Digest(mustID(t, s, "mine")); d.Changes != 0 {
		t.Fatalf("bad input stored %d changes", d.Changes)
	}
	good, _ := dbapi.EncodeBatch(dbapi.BatchRequest{Writes: []dbapi.WriteRequest{{Op: dbapi.OpPut, Key: "a", Value: []byte(`{"a": 1}`)}, {Op: dbapi.OpInsert, Key: "b", IsRaw: true, Raw: []byte("x")}}})
	if code, body := post(good); code != http.StatusOK {
		t.Fatalf("good batch: %d %s", code, body)
	}
	c, err := s.e.Get(mustID(t, s, "mine"), alice.addr, "b")
	if err != nil || !c.Raw || string(c.Value) != "x" {
		t.Fatalf("row b: %+v %v", c, err)
	}
}

func mustID(t *testing.T, s *Service, name string) dbapi.ID {
	t.Helper()
	ms, err := s.e.Datasets()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Name == name {
			return m.ID
		}
	}
	t.Fatalf("no dataset %s", name)
	return dbapi.ID{}
}

// The largest batch a provider takes, with the longest keys, is answered
// with its acknowledgement and every claim within what a writer reads of
// an answer.
func TestClaimsFitAnAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("signs 4096 promises")
	}
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	p1 := newPerson(t, 11)
	m, pl := placedNotes(t, alice, bob, p1)
	prov := staked(t, p1, m, pl)
	cs := make([]*dbapi.Change, MaxApply)
	for i := range cs {
		key := fmt.Sprintf("%0512d", i)
		cs[i] = &dbapi.Change{Dataset: m.ID, Key: key, Op: dbapi.OpInsert, Value: []byte(`1`), Seq: uint64(i + 1), Time: 1700000000000}
	}
	if _, err := dbapi.SignBatch(bob.key(), cs); err != nil {
		t.Fatal(err)
	}
	claims, err := prov.claimsFor(context.Background(), m, cs)
	if err != nil {
		t.Fatal(err)
	}
	acks, err := dbapi.AcksFor(p1.key(), cs, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(&dbapi.AckResult{Acks: acks, Claims: claims})
	if len(b) > routeapi.MaxServiceAnswer {
		t.Fatalf("an answer of %d bytes, over %d", len(b), routeapi.MaxServiceAnswer)
	}
}
