package court

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/chaindir"
	"github.com/mainframe/mf/pkg/devchain"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// newTestService runs a devchain with the court contracts and an mf-court
// service for a funded key.
func newTestService(t *testing.T) (*Service, *devchain.Chain) {
	t.Helper()
	env := newCourtEnv(t)
	dir, c, info := env.dir, env.chain, env.info
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	key, _ := crypto.GenerateKey()
	if err := chaindir.Faucet(ctx, filepath.Join(dir, "c"), crypto.PubkeyToAddress(key.PublicKey), big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	db, err := kv.Open(filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := NewService(ctx, dir, key, info.IPC, common.HexToAddress(info.Registry), common.HexToAddress(info.Court), db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, c
}

var (
	hex64  = strings.Repeat("ab", 32)
	sig130 = strings.Repeat("cd", 65)
)

// TestAPIBadInput: every endpoint answers bad input with a 4xx JSON error
// and changes nothing.
func TestAPIBadInput(t *testing.T) {
	s, _ := newTestService(t)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	big := strings.Repeat("A", 2<<20)
	bodies := []string{"", "garbage{", `{"nonsense": 1}`, `{} {}`, `{"service": 5}`, `{"id": "x"}`, `{"amount": "-1", "service": "hold", "client": "0x0000000000000000000000000000000000000001", "term": 1}`, `{"claim": {"agreement": "1", "key": "zz", "hash": "", "signature": ""}}`, `{"agreement": "0", "key": "", "data": ""}`, `"` + big + `"`,
		// Funded and well formed, but locked for ever, or already over.
		`{"amount": "1000", "service": "hold", "client": "0x0000000000000000000000000000000000000001", "term": 9223372036854775807}`,
		`{"amount": "1000", "service": "hold", "client": "0x0000000000000000000000000000000000000001", "term": 1}`}
	bodies = append(bodies,
		// Claims of the wrong shape: a bad root, no chunks, too many, a
		// panel that is not odd, a signature nobody made.
		`{"claim": {"agreement": "1", "key": "`+hex64+`", "root": "zz", "chunks": 1, "signature": "`+sig130+`"}}`,
		`{"claim": {"agreement": "1", "key": "`+hex64+`", "root": "`+hex64+`", "chunks": 0, "signature": "`+sig130+`"}}`,
		`{"claim": {"agreement": "1", "key": "`+hex64+`", "root": "`+hex64+`", "chunks": 1099511627777, "signature": "`+sig130+`"}}`,
		`{"claim": {"agreement": "1", "key": "`+hex64+`", "root": "`+hex64+`", "chunks": 1, "signature": "`+sig130+`"}, "witnesses": 2}`,
		`{"claim": {"agreement": "1", "key": "`+hex64+`", "root": "`+hex64+`", "chunks": 1, "signature": "`+sig130+`"}, "witnesses": -1}`,
		`{"claim": {"agreement": "1", "key": "`+hex64+`", "root": "`+hex64+`", "chunks": 1, "signature": "`+sig130+`"}}`,
		`{"join": "yes"}`, `{"join": false}`)
	for _, path := range []string{"/v0/stakes", "/v0/unstake", "/v0/promises", "/v0/cases", "/v0/witness"} {
		for _, b := range bodies {
			resp, err := http.Post(srv.URL+path, "application/json", bytes.NewReader([]byte(b)))
			if err != nil {
				t.Fatal(err)
			}
			var e struct{ Error, Code string }
			derr := json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			if resp.StatusCode < 400 || resp.StatusCode >= 500 || derr != nil || e.Error == "" {
				t.Errorf("POST %s %.40q: status %d, %+v", path, b, resp.StatusCode, e)
			}
		}
	}
	for _, path := range []string{"/v0/cases/x", "/v0/cases/0", "/v0/cases/99", "/v0/record/nope", "/v0/nothing",
		"/v0/agreements/x", "/v0/agreements/0", "/v0/agreements/99", "/v0/agreements/-1",
		// Chunks are for peers through the gateway, and then only for a
		// case's witnesses.
		"/remote/v0/chunks?case=1&index=0", "/remote/v0/chunks", "/v0/chunks?case=1&index=0"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("GET %s: status %d", path, resp.StatusCode)
		}
	}
	// Through the gateway, a peer that is no witness, or a bad case, is refused.
	for _, q := range []string{"case=1&index=0", "case=x&index=0", "case=1&index=a", "case=1&index=", "case=99999&index=0"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/remote/v0/chunks?"+q, nil)
		req.Header.Set(routeapi.HeaderPeerAddress, "0x0000000000000000000000000000000000000001")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("GET /remote/v0/chunks?%s from a peer: status %d", q, resp.StatusCode)
		}
	}
	// Nothing was staked.
	resp, _ := http.Get(srv.URL + "/v0/stakes")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(b)) != "[]" {
		t.Fatalf("stakes after bad input: %s", b)
	}
}

// FuzzParseClaim: a claim file from disk never panics the parser, and what
// it accepts re-encodes to the same fields.
func FuzzParseClaim(f *testing.F) {
	f.Add([]byte(`{"agreement":"1","key":"00","root":"00","chunks":64,"signature":"00"}`))
	f.Add([]byte(`{"agreement": 1}`))
	f.Add([]byte(`garbage`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseClaim(b)
		if err != nil {
			return
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseClaim(out)
		if err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("%s → %+v → %s → %+v, %v", b, c, out, again, err)
		}
	})
}
