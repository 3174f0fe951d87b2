package db

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// placedNotes is alice's dataset of redundancy 3 on the providers, with
// its placement: read and insert by bob.
func placedNotes(t testing.TB, alice, bob person, providers ...person) (*dbapi.Meta, *dbapi.Placement) {
	t.Helper()
	m := &dbapi.Meta{Name: "notes", Card: alice.card,
		ACL:     dbapi.ACL{Read: dbapi.List(bob.addr), Insert: dbapi.List(bob.addr), Update: dbapi.Owner, Delete: dbapi.Owner},
		Indexes: []string{"age"}, Redundancy: uint8(len(providers)), Quorum: Majority(uint8(len(providers))), Version: 1}
	if err := m.Sign(alice.key()); err != nil {
		t.Fatal(err)
	}
	p := &dbapi.Placement{Dataset: m.ID, Version: 1}
	for i, pr := range providers {
		p.Providers = append(p.Providers, dbapi.Provider{Address: pr.addr, PeerID: "12D3KooWprovider" + string(rune('A'+i))})
	}
	if err := p.Sign(alice.key()); err != nil {
		t.Fatal(err)
	}
	return m, p
}

// peerCall calls the provider's handler as mf-route's gateway does, as
// the peer from (nobody: no gateway headers).
func peerCall(t testing.TB, h http.Handler, from *person, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	r := httptest.NewRequest(method, path, rd)
	r.Header.Set("Content-Type", "application/json")
	if from != nil {
		r.Header.Set(routeapi.HeaderPeerAddress, from.addr.Hex())
		r.Header.Set(routeapi.HeaderPeerID, "12D3KooWcaller")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes()
}

func TestProvider(t *testing.T) {
	alice, bob, mallory := newPerson(t, 1), newPerson(t, 2), newPerson(t, 3)
	p1, p2, p3 := newPerson(t, 11), newPerson(t, 12), newPerson(t, 13)
	m, pl := placedNotes(t, alice, bob, p1, p2, p3)
	e := newEngine(t)
	h := NewService(e, p1.Identity, p1.card).Handler()
	ds := "/remote/v0/datasets/" + m.ID.String()
	ref := &dbapi.Ref{Meta: m, Placement: pl}

	// Only peers, through the gateway, reach /remote.
	if code, _ := peerCall(t, h, nil, "POST", "/remote/v0/meta", ref); code != http.StatusForbidden {
		t.Fatalf("meta without a peer: %d", code)
	}
	// A provider stores only what its owner placed on it.
	_, other := placedNotes(t, alice, bob, p2, p3, mallory)
	if code, body := peerCall(t, h, &alice, "POST", "/remote/v0/meta", &dbapi.Ref{Meta: m, Placement: other}); code != http.StatusForbidden || !strings.Contains(string(body), "not placed") {
		t.Fatalf("meta placed elsewhere: %d %s", code, body)
	}
	if _, err := e.Meta(m.ID); err == nil {
		t.Fatal("stored a dataset placed elsewhere")
	}
	// Anyone may bring the owner's records (they are signed); mallory does.
	if code, body := peerCall(t, h, &mallory, "POST", "/remote/v0/meta", ref); code != http.StatusOK {
		t.Fatalf("meta: %d %s", code, body)
	}
	if code, body := peerCall(t, h, &mallory, "POST", "/remote/v0/meta", ref); code != http.StatusOK {
		t.Fatalf("the same meta again: %d %s", code, body)
	}
	// Metadata signed by someone else is refused and changes nothing.
	forged := *m
	forged.ACL.Read = dbapi.Anyone
	forged.Version = 2 // keeps alice's signature of version 1
	if code, _ := peerCall(t, h, &mallory, "POST", "/remote/v0/meta", &dbapi.Ref{Meta: &forged, Placement: pl}); code < 400 {
		t.Fatalf("forged meta: %d", code)
	}
	if got, _ := e.Meta(m.ID); got.Version != 1 {
		t.Fatal("forged meta stored")
	}

	// Bob's insert is stored and acknowledged, signed by the provider.
	c1 := change(t, bob, m, dbapi.OpInsert, "k1", `{"age": 3}`, 1, 1700000000000)
	code, body := peerCall(t, h, &bob, "POST", ds+"/changes", []*dbapi.Change{c1})
	if code != http.StatusOK {
		t.Fatalf("changes: %d %s", code, body)
	}
	var res dbapi.AckResult
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	if err := checkAcks(pl.Providers[0], res.Acks, newSentChanges([]*dbapi.Change{c1})); err != nil {
		t.Fatal(err)
	}
	before, _ := e.Digest(m.ID)

	// Refused changes store nothing: forged, denied, for another dataset,
	// malformed.
	bad := change(t, bob, m, dbapi.OpInsert, "k2", `{"age": 4}`, 2, 1700000000001)
	bad.Value = []byte(`{"age": 5}`)
	denied := change(t, mallory, m, dbapi.OpInsert, "k3", `{}`, 1, 1700000000001)
	for _, tt := range []struct {
		name string
		body any
		code int
	}{
		{"forged signature", []*dbapi.Change{bad}, http.StatusBadRequest},
		{"no insert right", []*dbapi.Change{denied}, http.StatusForbidden},
		{"empty", []*dbapi.Change{}, http.StatusBadRequest},
		{"not JSON", "{", http.StatusBadRequest},
		{"not a change", `[{"key": 1}]`, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := peerCall(t, h, &bob, "POST", ds+"/changes", tt.body)
			if code != tt.code {
				t.Fatalf("got %d %s, want %d", code, body, tt.code)
			}
		})
	}
	// The binary form a writer sends: a forged change and a cut frame are
	// refused, a good one stored.
	for _, tt := range []struct {
		name string
		body []byte
		code int
	}{
		{"binary forged", dbapi.EncodeChanges([]*dbapi.Change{bad}), http.StatusBadRequest},
		{"binary cut short", dbapi.EncodeChanges([]*dbapi.Change{c1})[:20], http.StatusBadRequest},
		{"binary empty", nil, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", ds+"/changes", bytes.NewReader(tt.body))
			r.Header.Set("Content-Type", localapi.OctetStream)
			r.Header.Set(routeapi.HeaderPeerAddress, bob.addr.Hex())
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.code {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.code)
			}
		})
	}
	if after, _ := e.Digest(m.ID); after.Hash != before.Hash {
		t.Fatal("refused changes changed the dataset")
	}

	// Reads follow the read rule for the caller.
	if code, _ := peerCall(t, h, &mallory, "GET", ds+"/row?key=k1", nil); code != http.StatusForbidden {
		t.Fatalf("mallory read: %d", code)
	}
	code, body = peerCall(t, h, &bob, "GET", ds+"/row?key=k1", nil)
	var got dbapi.Change
	if code != http.StatusOK || json.Unmarshal(body, &got) != nil || dbapi.VerifyRow(m, "k1", &got) != nil {
		t.Fatalf("bob read: %d %s", code, body)
	}
	if code, _ := peerCall(t, h, &bob, "GET", ds+"/row", nil); code != http.StatusBadRequest {
		t.Fatalf("row without key: %d", code)
	}
	if code, body := peerCall(t, h, &bob, "GET", ds+"/query?where=name=x", nil); code != http.StatusBadRequest || !strings.Contains(string(body), "index") {
		t.Fatalf("query on a field not indexed: %d %s", code, body)
	}
	if code, _ := peerCall(t, h, &mallory, "GET", ds+"/query", nil); code != http.StatusForbidden {
		t.Fatalf("mallory query: %d", code)
	}

	// The digest goes to providers, readers and writers; missing changes
	// (which carry rows) to providers and readers only.
	if code, _ := peerCall(t, h, &mallory, "GET", ds+"/digest", nil); code != http.StatusForbidden {
		t.Fatalf("mallory digest: %d", code)
	}
	if code, _ := peerCall(t, h, &mallory, "POST", ds+"/missing", dbapi.MissingRequest{}); code != http.StatusForbidden {
		t.Fatalf("mallory missing: %d", code)
	}
	code, body = peerCall(t, h, &p2, "POST", ds+"/missing", dbapi.MissingRequest{})
	var cs []*dbapi.Change
	if code != http.StatusOK || json.Unmarshal(body, &cs) != nil || len(cs) != 1 || cs[0].Digest() != c1.Digest() {
		t.Fatalf("provider missing: %d %s", code, body)
	}
	if code, _ := peerCall(t, h, &p2, "POST", ds+"/missing", `{"version": "!"}`); code != http.StatusBadRequest {
		t.Fatalf("missing with a bad version: %d", code)
	}

	// Unknown datasets and bad ids.
	if code, _ := peerCall(t, h, &bob, "GET", "/remote/v0/datasets/"+strings.Repeat("ab", 32)+"/row?key=k1", nil); code != http.StatusNotFound {
		t.Fatalf("unknown dataset: %d", code)
	}
	if code, _ := peerCall(t, h, &bob, "GET", "/remote/v0/datasets/xyz/row?key=k1", nil); code != http.StatusBadRequest {
		t.Fatalf("bad id: %d", code)
	}
}

// The endpoints of the network side not covered above refuse bad input
// with a 4xx and change nothing.
func TestNetEndpointsBadInput(t *testing.T) {
	alice, bob, mallory := newPerson(t, 1), newPerson(t, 2), newPerson(t, 3)
	p1, p2 := newPerson(t, 11), newPerson(t, 12)
	m, pl := placedNotes(t, alice, bob, p1, p2)
	e := newEngine(t)
	h := NewService(e, p1.Identity, p1.card).Handler()
	if code, body := peerCall(t, h, &alice, "POST", "/remote/v0/meta", &dbapi.Ref{Meta: m, Placement: pl}); code != http.StatusOK {
		t.Fatalf("meta: %d %s", code, body)
	}
	before, _ := e.Digest(m.ID)
	ds := "/remote/v0/datasets/" + m.ID.String()
	for _, tt := range []struct {
		name, method, path string
		from               *person
		body               any
		code               int
	}{
		{"meta not JSON", "POST", "/remote/v0/meta", &bob, "{", http.StatusBadRequest},
		{"meta without metadata", "POST", "/remote/v0/meta", &bob, `{}`, http.StatusBadRequest},
		{"meta placement missing", "POST", "/remote/v0/meta", &bob, &dbapi.Ref{Meta: m}, http.StatusBadRequest},
		{"get meta without a peer", "GET", ds + "/meta", nil, nil, http.StatusForbidden},
		{"watch from a bad version", "GET", ds + "/watch?from=!!", &bob, nil, http.StatusBadRequest},
		{"watch denied", "GET", ds + "/watch", &mallory, nil, http.StatusForbidden},
		{"query with a bad limit", "GET", ds + "/query?limit=-1", &bob, nil, http.StatusBadRequest},
		{"missing not JSON", "POST", ds + "/missing", &p2, "[", http.StatusBadRequest},
		{"changes without a peer", "POST", ds + "/changes", nil, "[]", http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := peerCall(t, h, tt.from, tt.method, tt.path, tt.body)
			if code != tt.code || !json.Valid(body) {
				t.Fatalf("got %d %s, want %d with a JSON error", code, body, tt.code)
			}
		})
	}
	if code, body := peerCall(t, h, &p2, "GET", ds+"/meta", nil); code != http.StatusOK || !strings.Contains(string(body), "placement") {
		t.Fatalf("meta: %d %s", code, body)
	}

	// Local endpoints: a bad reference, a dataset without providers.
	local := newEngine(t)
	lh := NewService(local, alice.Identity, alice.card).Handler()
	for _, tt := range []struct {
		name, method, path string
		body               any
		code               int
	}{
		{"open not a reference", "POST", "/v0/open", `{"ref": "hello"}`, http.StatusBadRequest},
		{"open a forged reference", "POST", "/v0/open", dbapi.OpenRequest{Ref: (&dbapi.Ref{Meta: m, Placement: placementBy(t, mallory, m, p1, p2)}).String()}, http.StatusBadRequest},
		{"open not JSON", "POST", "/v0/open", "{", http.StatusBadRequest},
		{"ref of an unknown dataset", "GET", "/v0/datasets/nope/ref", nil, http.StatusNotFound},
		{"acks of an unknown dataset", "GET", "/v0/datasets/nope/acks", nil, http.StatusNotFound},
		{"providers of an unknown dataset", "GET", "/v0/datasets/nope/providers", nil, http.StatusNotFound},
		{"redundancy without the network", "POST", "/v0/datasets", `{"name": "x", "redundancy": 3}`, http.StatusBadRequest},
		{"check without a key", "GET", "/v0/datasets/nope/check", nil, http.StatusNotFound},
		{"replace not an address", "POST", "/v0/datasets/nope/replace", `{"provider": "bob"}`, http.StatusNotFound},
		{"table without redundancy", "POST", "/v0/tables", `{"name": "t"}`, http.StatusBadRequest},
		{"table with a bad rule", "POST", "/v0/tables", `{"name": "t", "read": "self", "redundancy": 3}`, http.StatusBadRequest},
		{"table with a bad name", "POST", "/v0/tables", `{"name": "a b", "redundancy": 3}`, http.StatusBadRequest},
		{"table not JSON", "POST", "/v0/tables", `{`, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := peerCall(t, lh, nil, tt.method, tt.path, tt.body)
			if code != tt.code || !json.Valid(body) {
				t.Fatalf("got %d %s, want %d with a JSON error", code, body, tt.code)
			}
		})
	}
	if after, _ := e.Digest(m.ID); after.Hash != before.Hash {
		t.Fatal("bad input changed the dataset")
	}
	if ms, _ := local.Datasets(); len(ms) != 0 {
		t.Fatal("bad input stored a dataset")
	}

	// The same on a dataset that exists here and has no providers.
	if code, body := peerCall(t, lh, nil, "POST", "/v0/datasets", `{"name": "mine"}`); code != http.StatusOK {
		t.Fatalf("create: %d %s", code, body)
	}
	for _, tt := range []struct {
		name, method, path string
		body               any
		code               int
	}{
		{"check without a key", "GET", "/v0/datasets/mine/check", nil, http.StatusBadRequest},
		{"check without providers", "GET", "/v0/datasets/mine/check?key=k", nil, http.StatusNotFound},
		{"replace not an address", "POST", "/v0/datasets/mine/replace", `{"provider": "bob"}`, http.StatusBadRequest},
		{"replace without providers", "POST", "/v0/datasets/mine/replace", `{"provider": "0x0000000000000000000000000000000000000001"}`, http.StatusNotFound},
		{"providers without providers", "GET", "/v0/datasets/mine/providers", nil, http.StatusNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := peerCall(t, lh, nil, tt.method, tt.path, tt.body)
			if code != tt.code || !json.Valid(body) {
				t.Fatalf("got %d %s, want %d with a JSON error", code, body, tt.code)
			}
		})
	}
}

// placementBy is a placement of m signed by someone who is not its owner.
func placementBy(t testing.TB, signer person, m *dbapi.Meta, providers ...person) *dbapi.Placement {
	t.Helper()
	p := &dbapi.Placement{Dataset: m.ID, Version: 1}
	for i, pr := range providers {
		p.Providers = append(p.Providers, dbapi.Provider{Address: pr.addr, PeerID: "12D3KooWprovider" + string(rune('A'+i))})
	}
	if err := p.Sign(signer.key()); err != nil {
		t.Fatal(err)
	}
	return p
}

// A network table's placement, which nobody signs, cannot be replaced on a
// provider by whoever sends another.
func TestNetworkPlacementFixed(t *testing.T) {
	p1, p2, p3 := newPerson(t, 11), newPerson(t, 12), newPerson(t, 13)
	m := &dbapi.Meta{Name: "holders", ACL: dbapi.ACL{Read: dbapi.Anyone, Insert: dbapi.Self, Update: dbapi.Self, Delete: dbapi.Self}, Redundancy: 2, Quorum: 1, Version: 1}
	if err := m.SetNetworkID(); err != nil {
		t.Fatal(err)
	}
	pl, err := dbapi.NetworkPlacement(m.ID, []dbapi.Provider{{Address: p1.addr, PeerID: "12D3KooWa"}, {Address: p2.addr, PeerID: "12D3KooWb"}})
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t)
	h := NewService(e, p1.Identity, p1.card).Handler()
	if code, body := peerCall(t, h, &p3, "POST", "/remote/v0/meta", &dbapi.Ref{Meta: m, Placement: pl}); code != http.StatusOK {
		t.Fatalf("meta: %d %s", code, body)
	}
	evil := *pl
	evil.Version = 2
	evil.Providers = []dbapi.Provider{{Address: p1.addr, PeerID: "12D3KooWa"}, {Address: p3.addr, PeerID: "12D3KooWc"}}
	// The provider keeps what it holds and answers with it.
	if code, body := peerCall(t, h, &p3, "POST", "/remote/v0/meta", &dbapi.Ref{Meta: m, Placement: &evil}); code != http.StatusOK || !strings.Contains(string(body), strings.ToLower(p2.addr.Hex())) {
		t.Fatalf("another placement: %d %s", code, body)
	}
	if got, _ := e.Placement(m.ID); got.Version != 1 || !got.Has(p2.addr) {
		t.Fatal("the placement changed")
	}
}

func TestStorageUnits(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	m, _ := placedNotes(t, alice, bob, newPerson(t, 11))
	small := change(t, bob, m, dbapi.OpInsert, "k", `{}`, 1, 1700000000000)
	if got := storageUnits([]*dbapi.Change{small}); got != StorageDays {
		t.Fatalf("one small change: %d KiB·days, want %d (a KiB, rounded up)", got, StorageDays)
	}
	big := change(t, bob, m, dbapi.OpInsert, "b", `"`+strings.Repeat("x", 3000)+`"`, 2, 1700000000000)
	if got := storageUnits([]*dbapi.Change{small, big}); got != 4*StorageDays {
		t.Fatalf("about 3.2 KiB: %d KiB·days, want %d", got, 4*StorageDays)
	}
}
