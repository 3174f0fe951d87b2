package court

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/proof"
)

// holder serves the proof convention of courtapi.PromiseRequest on
// home/store.sock for one promise, as a service that holds the data itself
// (mf-store) does; drop forgets the data.
type holder struct {
	key  [32]byte
	data []byte
	tree *proof.Tree
	drop bool
}

func (h *holder) serve(t *testing.T, home string) {
	ln, err := localapi.Listen(filepath.Join(home, "store.sock"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.drop || r.URL.Path != "/v0/proof" || r.URL.Query().Get("key") != hex.EncodeToString(h.key[:]) {
			http.NotFound(w, r)
			return
		}
		idx, err := proof.ParseIndices(r.URL.Query().Get("index"), h.tree.Chunks(), proof.MaxProofs)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var out []proof.Proof
		for _, i := range idx {
			p, _ := h.tree.Prove(bytes.NewReader(h.data), i)
			out = append(out, p)
		}
		b, _ := proof.Encode(out)
		w.Write(b)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// TestPromiseHeldByService: a promise may name data that the agreement's
// service holds (a root and a chunk count, no data). mf-court keeps none of
// it, signs only once the service proves a chunk, and answers a case with
// the chunks the service gives; a service that no longer has them loses
// the case. Before, a promise had to carry its data (at most 1 MiB).
func TestPromiseHeldByService(t *testing.T) {
	e := newCourtEnv(t)
	prov, provDB := e.service(t, e.fundedKey(t), e.info.IPC, "prov")
	defer provDB.Close()
	defer prov.Close()
	client, clientDB := e.service(t, e.fundedKey(t), e.info.IPC, "client")
	defer clientDB.Close()
	defer client.Close()

	h := &holder{data: make([]byte, 3<<20)} // three times what mf-court would keep itself
	rand.Read(h.data)
	h.tree = proof.FromBytes(h.data)
	h.key = crypto.Keccak256Hash([]byte("store:file"))
	h.serve(t, e.dir)

	var ag Agreement
	call(t, prov, "/v0/stakes", StakeRequest{Service: "store", Client: client.self.Hex(), Amount: "1000", Term: time.Now().Add(time.Hour).Unix()}, &ag)
	root := h.tree.Root()
	req := PromiseRequest{Agreement: ag.ID, Key: "store:file", Root: hex.EncodeToString(root[:]), Chunks: h.tree.Chunks()}

	// a root the service does not prove is refused, and so is data and a
	// root at once
	bad := req
	bad.Root = strings.Repeat("11", 32)
	if w := post(prov, "/v0/promises", bad); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "does not prove") {
		t.Fatalf("promise of data the service does not hold: %d %s", w.Code, w.Body)
	}
	both := req
	both.Data = []byte("x")
	if w := post(prov, "/v0/promises", both); w.Code != http.StatusBadRequest {
		t.Fatalf("promise with data and root: %d %s", w.Code, w.Body)
	}

	var claim Claim
	call(t, prov, "/v0/promises", req, &claim)
	if claim.Chunks != h.tree.Chunks() || claim.Root != hex.EncodeToString(root[:]) {
		t.Fatalf("claim %+v", claim)
	}
	id, _ := parseID(ag.ID)
	if _, err := provDB.Get(promiseKey(id, h.key)); err == nil {
		t.Fatal("mf-court kept a copy of data its service holds")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := prov.watch(ctx); err != nil {
		t.Fatal(err)
	}
	c1 := openCase(t, client, claim)
	until(t, 60*time.Second, "the provider answers from the service", func() bool {
		_ = prov.watch(ctx)
		prov.runPending(ctx)
		return caseStatus(t, client, c1) != chain.CaseOpen
	})
	if st := caseStatus(t, client, c1); st != chain.CaseNotGuilty {
		t.Fatalf("case %s: %s, want not guilty", c1, st)
	}

	// the service dropped the data: mf-court has nothing to answer with
	h.drop = true
	if _, err := prov.proofs(ctx, "store", id, h.key, []uint64{0}); err == nil {
		t.Fatal("proofs of dropped data")
	}
}

func post(s *Service, path string, body any) *httptest.ResponseRecorder {
	b, _ := json.Marshal(body)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "http://mf"+path, bytes.NewReader(b)))
	return w
}
