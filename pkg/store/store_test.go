package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/proof"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/store/chunk"
	"github.com/mainframe/mf/pkg/store/storeapi"
)

// newTestService is a storer on its own: no mf-route, mf-swap or mf-court
// answers in its home, so it is the only storer it finds.
func newTestService(t *testing.T, capacity uint64) *Service {
	t.Helper()
	home := t.TempDir()
	db, err := kv.Open(filepath.Join(home, "data", "store"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	d, err := openDisk(filepath.Join(home, ChunkDir), capacity)
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	opt := DefaultOptions()
	opt.Parallel = 4
	s := newService(context.Background(), home, id.Public(), db, d, opt, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(s.bg.Wait)
	return s
}

func do(s *Service, method, path string, body []byte, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	if body != nil && !json.Valid(body) {
		r.Header.Set("Content-Type", "application/octet-stream")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

func putFile(t *testing.T, s *Service, data []byte, query string) storeapi.PutResult {
	t.Helper()
	w := do(s, "POST", "/v0/put?copies=1&"+query, data, "Content-Type", "application/octet-stream")
	if w.Code != 200 {
		t.Fatalf("put: %d %s", w.Code, w.Body)
	}
	var res storeapi.PutResult
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestPutGetOnOneStorer(t *testing.T) {
	s := newTestService(t, 0)
	data := make([]byte, 3*chunk.Size+12345)
	rand.Read(data)
	hash := fmt.Sprintf("%x", contentHash(data))
	res := putFile(t, s, data, "hash="+hash)
	if res.Sent != 5 || res.Present != 0 || res.Chunks != 5 {
		t.Fatalf("first put: %+v", res)
	}
	// the same file again: same key, same chunks, nothing moves
	again := putFile(t, s, data, "hash="+hash)
	if again.Ref != res.Ref || again.Sent != 0 || again.Present != 5 || again.BytesSent != 0 {
		t.Fatalf("second put moved data: %+v", again)
	}
	w := do(s, "GET", "/v0/files/"+res.Ref, nil)
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), data) {
		t.Fatalf("get: %d, %d bytes", w.Code, w.Body.Len())
	}
	w = do(s, "GET", "/v0/files/"+res.Ref, nil, "Range", "bytes=1000-1999")
	if w.Code != 206 || !bytes.Equal(w.Body.Bytes(), data[1000:2000]) || w.Header().Get("Content-Range") != fmt.Sprintf("bytes 1000-1999/%d", len(data)) {
		t.Fatalf("range: %d %q", w.Code, w.Header().Get("Content-Range"))
	}
	w = do(s, "GET", "/v0/files/"+res.Ref, nil, "Range", "bytes=-10")
	if w.Code != 206 || !bytes.Equal(w.Body.Bytes(), data[len(data)-10:]) {
		t.Fatalf("suffix range: %d", w.Code)
	}
	// a public put of the same bytes is another file
	pub := putFile(t, s, data, "public=1")
	if len(pub.Ref) != 64 || pub.Ref == res.Ref[:64] {
		t.Fatalf("public ref %q", pub.Ref)
	}
}

// contentHash stands for the file hash a client sends: any fixed digest
// of the content will do here.
func contentHash(b []byte) []byte {
	h := crypto.Keccak256(b) // any fixed digest of the content will do here
	return h
}

// TestDamagedChunk: a chunk edited on disk is never served, and a get
// says the file is incomplete instead of returning wrong bytes.
func TestDamagedChunk(t *testing.T) {
	s := newTestService(t, 0)
	data := make([]byte, 2*chunk.Size)
	rand.Read(data)
	res := putFile(t, s, data, "")
	var files []string
	s.disk.each(func(a chunk.Addr) error {
		files = append(files, s.disk.path(a))
		return nil
	})
	// damage every chunk but the root's tree: find a data chunk by size
	damaged := 0
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if len(b) == chunk.Size {
			b[7] ^= 1
			os.WriteFile(f, b, 0o600)
			damaged++
		}
	}
	if damaged != 2 {
		t.Fatalf("damaged %d data chunks", damaged)
	}
	w := do(s, "GET", "/v0/files/"+res.Ref, nil)
	if w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), "incomplete") {
		t.Fatalf("get of a damaged file: %d %s", w.Code, w.Body)
	}
	w = do(s, "POST", "/v0/check", nil)
	if !strings.Contains(w.Body.String(), `"damaged":0`) {
		t.Fatalf("check after the damaged chunks were removed: %s", w.Body)
	}
}

func TestFull(t *testing.T) {
	s := newTestService(t, 3*chunk.Size/2)
	data := make([]byte, 2*chunk.Size)
	rand.Read(data)
	w := do(s, "POST", "/v0/put?copies=1", data, "Content-Type", "application/octet-stream")
	if w.Code != http.StatusInsufficientStorage || !strings.Contains(w.Body.String(), "full") {
		t.Fatalf("put past capacity: %d %s", w.Code, w.Body)
	}
	if s.disk.used.Load() > 3*chunk.Size/2 {
		t.Fatalf("used %d past capacity", s.disk.used.Load())
	}
}

// TestProof: the proof convention answers from the chunk files, and a
// storer whose chunks are gone cannot answer.
func TestProof(t *testing.T) {
	s := newTestService(t, 0)
	data := make([]byte, chunk.Size+5000)
	rand.Read(data)
	putFile(t, s, data, "")
	rec := promiseRecord{File: "f", Client: "c"}
	var all []byte
	s.disk.each(func(a chunk.Addr) error {
		b, _ := s.disk.Get(a)
		all = append(all, b...)
		rec.Addrs = append(rec.Addrs, a.String())
		rec.Sizes = append(rec.Sizes, int64(len(b)))
		return nil
	})
	key := crypto.Keccak256Hash([]byte("k"))
	b, _ := json.Marshal(rec)
	s.db.Set([]byte("promise/"+hex.EncodeToString(key[:])), b)
	tree := proof.FromBytes(all)
	idx := []uint64{0, 255, 256, tree.Chunks() - 1}
	w := do(s, "GET", "/v0/proof?key="+hex.EncodeToString(key[:])+"&index="+joinIndices(idx), nil)
	if w.Code != 200 {
		t.Fatalf("proof: %d %s", w.Code, w.Body)
	}
	ans, err := proof.Decode(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := proof.VerifyChunks(tree.Root(), tree.Chunks(), idx, ans); err != nil {
		t.Fatalf("the answer does not prove the data: %v", err)
	}
	a, _ := chunk.ParseAddr(rec.Addrs[0])
	os.Remove(s.disk.path(a))
	w = do(s, "GET", "/v0/proof?key="+hex.EncodeToString(key[:])+"&index=0", nil)
	if w.Code != 404 {
		t.Fatalf("proof of a deleted chunk: %d %s", w.Code, w.Body)
	}
}

// TestBadInput: every endpoint refuses malformed input with a clear 4xx,
// and nothing stored changes.
func TestBadInput(t *testing.T) {
	s := newTestService(t, 0)
	data := make([]byte, 1000)
	rand.Read(data)
	good := putFile(t, s, data, "")
	zero := strings.Repeat("0", 64)
	some := chunk.AddrOf([]byte("x"))
	many, _ := json.Marshal(storeapi.HaveRequest{Addrs: make([]string, storeapi.MaxHave+1)})
	for _, tt := range []struct {
		name, method, path string
		body               []byte
		hdr                []string
		status             int
		want               string
	}{
		{"copies 0", "POST", "/v0/put?copies=0", []byte("x"), nil, 400, "copies must be"},
		{"copies 99", "POST", "/v0/put?copies=99", []byte("x"), nil, 400, "copies must be"},
		{"bad hash", "POST", "/v0/put?hash=zz", []byte("x"), nil, 400, "hash must be"},
		{"long name", "POST", "/v0/put?name=" + strings.Repeat("n", 300), []byte("x"), nil, 400, "name is at most"},
		{"malformed ref", "GET", "/v0/files/nothex", nil, nil, 400, "malformed reference"},
		{"unknown ref", "GET", "/v0/files/" + zero, nil, nil, 404, "unknown reference"},
		{"wrong key", "GET", "/v0/files/" + good.Ref[:64] + strings.Repeat("ab", 32), nil, nil, 400, "does not open"},
		{"no key", "GET", "/v0/stat/" + good.Ref[:64], nil, nil, 400, "not the root of a public file"},
		{"bad range", "GET", "/v0/files/" + good.Ref, nil, []string{"Range", "bytes=5000-"}, 416, "outside"},
		{"two ranges", "GET", "/v0/files/" + good.Ref, nil, []string{"Range", "bytes=0-1,5-6"}, 416, "one range"},
		{"pin garbage", "POST", "/v0/pin", []byte("{{"), nil, 400, "malformed"},
		{"unpin not pinned", "POST", "/v0/unpin", []byte(`{"ref":"` + good.Ref + `"}`), nil, 404, "not pinned"},
		{"audit bad ref", "POST", "/v0/audit", []byte(`{"ref":"x"}`), nil, 400, "malformed reference"},
		{"audit unsworn", "POST", "/v0/audit", []byte(`{"ref":"` + good.Ref + `"}`), nil, 404, "no storer has sworn"},
		{"audit bad storer", "POST", "/v0/audit", []byte(`{"ref":"` + good.Ref + `","storer":"me"}`), nil, 404, "no storer has sworn"},
		{"chunk bad addr", "PUT", "/remote/v0/chunks/zz", []byte("x"), nil, 400, "64 hex"},
		{"chunk wrong bytes", "PUT", "/remote/v0/chunks/" + some.String(), []byte("y"), nil, 400, "does not match its address"},
		{"chunk too big", "PUT", "/remote/v0/chunks/" + some.String(), make([]byte, chunk.Size+1), nil, 413, "over"},
		{"chunk unknown", "GET", "/remote/v0/chunks/" + zero, nil, nil, 404, "no chunk"},
		{"have too many", "POST", "/remote/v0/have", many, nil, 400, "at most"},
		{"have bad addr", "POST", "/remote/v0/have", []byte(`{"addrs":["zz"]}`), nil, 400, "64 hex"},
		{"swear not via route", "POST", "/remote/v0/swear", []byte(`{}`), nil, 403, "through mf-route"},
		{"swear missing chunk", "POST", "/remote/v0/swear", []byte(`{"root":"` + zero + `","addrs":["` + zero + `"]}`), []string{routeapi.HeaderPeerAddress, "0x0000000000000000000000000000000000000001"}, 409, "not here"},
		{"swear nothing", "POST", "/remote/v0/swear", []byte(`{"root":"` + zero + `","addrs":[]}`), []string{routeapi.HeaderPeerAddress, "0x0000000000000000000000000000000000000001"}, 400, "covers 1 to"},
		{"claims bad root", "GET", "/remote/v0/claims/zz", nil, nil, 400, "64 hex"},
		{"proof bad key", "GET", "/v0/proof?key=zz&index=0", nil, nil, 400, "64 hex"},
		{"proof unknown key", "GET", "/remote/v0/proof?key=" + zero + "&index=0", nil, nil, 404, "no promise"},
		{"no endpoint", "GET", "/v0/nothing", nil, nil, 404, "no endpoint"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := do(s, tt.method, tt.path, tt.body, tt.hdr...)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.want) {
				t.Fatalf("%s %s: %d %s; want %d and %q", tt.method, tt.path, w.Code, w.Body, tt.status, tt.want)
			}
		})
	}
	w := do(s, "GET", "/v0/files/"+good.Ref, nil)
	if !bytes.Equal(w.Body.Bytes(), data) {
		t.Fatal("the stored file changed")
	}
}

func FuzzParseRange(f *testing.F) {
	f.Add("bytes=0-99", int64(1000))
	f.Add("bytes=-5", int64(10))
	f.Add("bytes=7-", int64(8))
	f.Add("bytes=5-1", int64(8))
	f.Add("bytes=-5", int64(0))
	f.Add("bytes=0-", int64(0))
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			return
		}
		off, n, partial, err := parseRange(h, size)
		if err != nil {
			return
		}
		if off < 0 || n < 0 || off+n > size {
			t.Fatalf("%q on %d bytes: %d+%d", h, size, off, n)
		}
		// A partial answer names its first and last byte in
		// Content-Range: it has at least one.
		if partial && n < 1 {
			t.Fatalf("%q on %d bytes: a partial answer of %d bytes", h, size, n)
		}
	})
}

func FuzzParseIndices(f *testing.F) {
	f.Add("0,1,2", uint64(3))
	f.Add("", uint64(1))
	f.Add("18446744073709551615", uint64(5))
	f.Fuzz(func(t *testing.T, s string, n uint64) {
		idx, err := proof.ParseIndices(s, n, proof.MaxProofs)
		if err != nil {
			return
		}
		if len(idx) == 0 || len(idx) > proof.MaxProofs {
			t.Fatalf("%q: %d indices", s, len(idx))
		}
		for _, i := range idx {
			if i >= n {
				t.Fatalf("%q: index %d of %d", s, i, n)
			}
		}
	})
}

func TestPinUnpin(t *testing.T) {
	s := newTestService(t, 0)
	data := make([]byte, chunk.Size+1)
	rand.Read(data)
	res := putFile(t, s, data, "public=1")
	body := []byte(`{"ref":"` + res.Ref + `"}`)
	if w := do(s, "POST", "/v0/pin", body); w.Code != 200 || !strings.Contains(w.Body.String(), `"pinned":true`) {
		t.Fatalf("pin: %d %s", w.Code, w.Body)
	}
	if w := do(s, "GET", "/v0/files", nil); !strings.Contains(w.Body.String(), `"pinned":true`) {
		t.Fatalf("ls after pin: %s", w.Body)
	}
	if w := do(s, "POST", "/v0/unpin", body); w.Code != 200 || !strings.Contains(w.Body.String(), `"pinned":false`) {
		t.Fatalf("unpin: %d %s", w.Code, w.Body)
	}
	if w := do(s, "POST", "/v0/unpin", body); w.Code != 404 {
		t.Fatalf("unpin twice: %d %s", w.Code, w.Body)
	}
}

// Proofs asked for at once (peers may ask: GET /remote/v0/proof) share one
// build of the promise's tree rather than each holding its own.
func TestProofsAtOnceBuildOneTree(t *testing.T) {
	s := newTestService(t, 0)
	data := make([]byte, 3*chunk.Size)
	rand.Read(data)
	putFile(t, s, data, "public=1")
	rec := promiseRecord{File: "f", Client: "c"}
	s.disk.each(func(a chunk.Addr) error {
		rec.Addrs = append(rec.Addrs, a.String())
		rec.Sizes = append(rec.Sizes, s.disk.Size(a))
		return nil
	})
	key := crypto.Keccak256Hash([]byte("k"))
	b, _ := json.Marshal(rec)
	s.db.Set([]byte("promise/"+hex.EncodeToString(key[:])), b)

	const n = 8
	var builds atomic.Int32
	release := make(chan struct{})
	buildTree = func(r io.Reader) (*proof.Tree, error) {
		builds.Add(1)
		<-release
		return proof.Build(r)
	}
	t.Cleanup(func() { buildTree = proof.Build })
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if w := do(s, "GET", "/remote/v0/proof?key="+hex.EncodeToString(key[:])+"&index=0", nil); w.Code != 200 {
				t.Errorf("proof: %d %s", w.Code, w.Body)
			}
		}()
	}
	// Let the builds through once every request builds its own (the
	// fault) or after a second (each request has long reached the cache).
	for deadline := time.Now().Add(time.Second); builds.Load() < n && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	if got := builds.Load(); got != 1 {
		t.Fatalf("%d proofs asked at once built the tree %d times, want 1", n, got)
	}
}

// A range asked of an empty file (mf-store serve sniffs every file's type
// with bytes=0-511) is answered with the whole empty file, not with a
// Content-Range that names no byte.
func TestEmptyFileRange(t *testing.T) {
	s := newTestService(t, 0)
	res := putFile(t, s, nil, "public=1")
	for _, rg := range []string{"bytes=0-511", "bytes=-5", "bytes=0-"} {
		w := do(s, "GET", "/v0/files/"+res.Ref, nil, "Range", rg)
		if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Range") != "" {
			t.Fatalf("%s of an empty file: %d, %d bytes, Content-Range %q", rg, w.Code, w.Body.Len(), w.Header().Get("Content-Range"))
		}
	}
}
