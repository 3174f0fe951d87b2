package court

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/chaindir"
	"github.com/mainframe/mf/pkg/court/courtapi"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/proof"
)

// releasedSetup has a provider stake for a client and sign a promise for
// data it then deleted on the client's release, which its mf-hold socket
// serves; it returns the claim.
func releasedSetup(t *testing.T) (e *courtEnv, prov, client *Service, claim Claim, agID *big.Int) {
	t.Helper()
	e = newCourtEnv(t)
	var provDB, clientDB *kv.DB
	prov, provDB = e.service(t, e.fundedKey(t), e.info.IPC, "prov")
	t.Cleanup(func() { prov.Close(); provDB.Close() })
	client, clientDB = e.service(t, e.fundedKey(t), e.info.IPC, "client")
	t.Cleanup(func() { client.Close(); clientDB.Close() })

	var ag Agreement
	call(t, prov, "/v0/stakes", StakeRequest{Service: "hold", Client: client.self.Hex(), Amount: "1000", Term: time.Now().Add(time.Hour).Unix()}, &ag)
	agID, _ = new(big.Int).SetString(ag.ID, 10)
	data := []byte("a held packet, since deleted")
	tr := proof.FromBytes(data)
	p := chain.Promise{Agreement: agID, Key: crypto.Keccak256Hash([]byte("packet")), Root: tr.Root(), Chunks: tr.Chunks()}
	sig, err := chain.SignPromise(prov.key, prov.chainID, prov.court, p)
	if err != nil {
		t.Fatal(err)
	}

	// The client's release of two keys, the promise's second.
	keys := [][32]byte{crypto.Keccak256Hash([]byte("other")), p.Key}
	leaves := []proof.Hash{proof.Leaf(keys[0][:]), proof.Leaf(keys[1][:])}
	rt, err := proof.FromLeaves(leaves)
	if err != nil {
		t.Fatal(err)
	}
	rel := chain.Release{Agreement: agID, Root: rt.Root(), Count: rt.Chunks()}
	rsig, err := chain.SignRelease(client.key, prov.chainID, prov.court, rel)
	if err != nil {
		t.Fatal(err)
	}
	path, _ := rt.Path(1)
	ans := courtapi.ReleaseAnswer{Agreement: ag.ID, Root: hex.EncodeToString(rel.Root[:]), Count: rel.Count, Index: 1, Signature: hex.EncodeToString(rsig)}
	for _, h := range path {
		ans.Path = append(ans.Path, hex.EncodeToString(h[:]))
	}
	// mf-hold's socket: the packet is gone, the release is kept.
	ln, err := net.Listen("unix", filepath.Join(e.dir, "hold.sock"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v0/release" && strings.EqualFold(r.URL.Query().Get("key"), hex.EncodeToString(p.Key[:])) {
			json.NewEncoder(w).Encode(ans)
			return
		}
		http.Error(w, `{"error":"not held"}`, http.StatusNotFound)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	claim = Claim{Agreement: ag.ID, Key: hex.EncodeToString(p.Key[:]), Root: hex.EncodeToString(p.Root[:]), Chunks: p.Chunks, Signature: hex.EncodeToString(sig)}
	return e, prov, client, claim, agID
}

// TestReleasedPromiseAnswered: a provider that no longer holds what it
// promised, because its client released it (mf-hold deletes what its
// client's received-list names), answers the case with the release its
// service kept (GET /v0/release on the service's socket), and the court
// dismisses the case: stake kept.
func TestReleasedPromiseAnswered(t *testing.T) {
	_, prov, client, claim, agID := releasedSetup(t)
	id := openCase(t, client, claim)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	until(t, 2*time.Minute, "the provider answers with the release", func() bool {
		_ = prov.watch(ctx)
		prov.runPending(ctx)
		return caseStatus(t, client, id) != chain.CaseOpen
	})
	if st := caseStatus(t, client, id); st != chain.CaseDismissed {
		t.Fatalf("case %s: %s, want dismissed", id, st)
	}
	a, err := prov.reg.Agreements(prov.call(ctx), agID)
	if err != nil || chain.AgreementStatus(a.Status) != chain.AgreementStaked || a.CaseOpen {
		t.Fatalf("agreement after the dismissal: %+v, %v", a, err)
	}
}

// TestReleasedWitnessCaseDismissedBeforeTheDraw: a witness case on a
// released promise is dismissed with the release before any panel is
// drawn: the witnesses would ask for data the provider was let drop, and
// find it guilty.
func TestReleasedWitnessCaseDismissedBeforeTheDraw(t *testing.T) {
	e, prov, client, claim, _ := releasedSetup(t)
	wkey, _ := crypto.GenerateKey()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := chaindir.Faucet(ctx, filepath.Join(e.dir, "c"), crypto.PubkeyToAddress(wkey.PublicKey), new(big.Int).Mul(big.NewInt(100), big.NewInt(1e18))); err != nil {
		t.Fatal(err)
	}
	auth, err := bind.NewKeyedTransactorWithChainID(wkey, prov.chainID)
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.JoinWitnesses(ctx, client.eth, auth, prov.court); err != nil {
		t.Fatal(err)
	}
	var c CaseInfo
	call(t, client, "/v0/cases", CaseRequest{Claim: claim, Witnesses: 1}, &c)
	id, _ := new(big.Int).SetString(c.ID, 10)
	until(t, 2*time.Minute, "the provider answers with the release", func() bool {
		_ = prov.watch(ctx)
		prov.runPending(ctx)
		return caseStatus(t, client, id) != chain.CaseOpen
	})
	cs, err := client.crt.Cases(client.call(ctx), id)
	if err != nil || chain.CaseStatus(cs.Status) != chain.CaseDismissed || cs.Drawn {
		t.Fatalf("case %s: %s, drawn %v (%v); want dismissed before the draw", id, chain.CaseStatus(cs.Status), cs.Drawn, err)
	}
}
