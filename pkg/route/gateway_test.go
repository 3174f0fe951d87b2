package route

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// gwNode is a real node with a home, its local API served on the home's
// route.sock as the daemon does.
type gwNode struct {
	*Node
	home string
}

func startGatewayNode(t testing.TB, perPeer int) *gwNode {
	t.Helper()
	// Unix socket paths are short; t.TempDir's can be too long.
	home, err := os.MkdirTemp("", "mfgw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	id, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	db, err := kv.Open(filepath.Join(home, "db"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(context.Background(), id, db, Options{Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Home: home,
		Logger: slog.New(slog.DiscardHandler), MaxCallsPerPeer: perPeer})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	ln, err := localapi.Listen(routeapi.SocketPath(home))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = localapi.Serve(ctx, ln, n.Handler()); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		n.Close()
		db.Close()
	})
	return &gwNode{Node: n, home: home}
}

// testService serves a home's store.sock as a service daemon would:
//
//	/remote/echo    the request body back, streamed
//	/remote/sink    reads the body, answers its length and SHA-256
//	/remote/source  ?n= bytes of zeros
//	/remote/lines   NDJSON: a line, then the next only once next is signalled
//	/remote/hold    answers once release is closed
type testService struct {
	next    chan struct{}
	release chan struct{}
	open    atomic.Int64 // requests being served
	peak    atomic.Int64
}

func serveTestService(t testing.TB, home string) *testService {
	t.Helper()
	ts := &testService{next: make(chan struct{}), release: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/remote/echo", func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		w.Header().Set("Content-Type", localapi.OctetStream)
		_, _ = io.Copy(w, r.Body)
	})
	mux.HandleFunc("/remote/sink", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		k, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "%d %x", k, h.Sum(nil))
	})
	mux.HandleFunc("/remote/endless", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"v":"`)
		junk := bytes.Repeat([]byte("a"), 64<<10)
		for r.Context().Err() == nil {
			if _, err := w.Write(junk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/remote/discard", func(w http.ResponseWriter, r *http.Request) {
		k, _ := io.CopyBuffer(io.Discard, struct{ io.Reader }{r.Body}, make([]byte, 256<<10))
		fmt.Fprint(w, k)
	})
	mux.HandleFunc("/remote/source", func(w http.ResponseWriter, r *http.Request) {
		k, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		w.Header().Set("Content-Type", localapi.OctetStream)
		buf := make([]byte, 256<<10)
		for k > 0 {
			m := min(k, int64(len(buf)))
			if _, err := w.Write(buf[:m]); err != nil {
				return
			}
			k -= m
		}
	})
	mux.HandleFunc("/remote/lines", func(w http.ResponseWriter, r *http.Request) {
		s := localapi.NewStream(w)
		for i := 0; i < 3; i++ {
			if err := s.Send(map[string]int{"line": i}); err != nil {
				return
			}
			select {
			case <-ts.next:
			case <-r.Context().Done():
				return
			}
		}
	})
	mux.HandleFunc("/remote/hold", func(w http.ResponseWriter, r *http.Request) {
		k := ts.open.Add(1)
		defer ts.open.Add(-1)
		for {
			p := ts.peak.Load()
			if k <= p || ts.peak.CompareAndSwap(p, k) {
				break
			}
		}
		select {
		case <-ts.release:
		case <-r.Context().Done():
		}
		fmt.Fprint(w, "released")
	})
	ln, err := localapi.Listen(filepath.Join(home, "store.sock"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = localapi.Serve(ctx, ln, mux); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ts
}

func linkNodes(t testing.TB, a, b *Node) {
	t.Helper()
	if err := a.host.Connect(context.Background(), peer.AddrInfo{ID: b.host.ID(), Addrs: b.host.Addrs()}); err != nil {
		t.Fatal(err)
	}
}

// A body far over the old 4 MiB cap goes through the gateway whole, in both
// directions, and unchanged.
func TestGatewayLargeBodies(t *testing.T) {
	a, b := startGatewayNode(t, 0), startGatewayNode(t, 0)
	serveTestService(t, b.home)
	linkNodes(t, a.Node, b.Node)
	c := routeapi.NewClient(a.home)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	body := make([]byte, 12<<20)
	rand.Read(body)
	want := fmt.Sprintf("%d %x", len(body), sha256.Sum256(body))
	for _, length := range []int64{int64(len(body)), -1} { // with a Content-Length, and chunked
		resp, err := c.CallServiceStream(ctx, routeapi.ServiceCall{Peer: b.host.ID().String(), Service: "store", Method: "POST", Path: "/sink",
			Body: bytes.NewReader(body), Length: length})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(got) != want {
			t.Fatalf("length %d: sink answered %q, %v; want %q", length, got, err, want)
		}
	}

	resp, err := c.CallServiceStream(ctx, routeapi.ServiceCall{Peer: b.host.ID().String(), Service: "store", Method: "POST", Path: "/echo",
		Body: bytes.NewReader(body), Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("echo: %d bytes back (%v), want the %d sent", len(got), err, len(body))
	}

	resp, err = c.CallServiceStream(ctx, routeapi.ServiceCall{Peer: b.host.ID().String(), Service: "store", Method: "GET", Path: "/source?n=" + strconv.Itoa(20<<20)})
	if err != nil {
		t.Fatal(err)
	}
	k, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || k != 20<<20 {
		t.Fatalf("source: %d bytes (%v), want %d", k, err, 20<<20)
	}

	// The JSON callers (swap, court) keep working as before.
	var out map[string]any
	if err := c.CallService(ctx, b.host.ID().String(), "store", "GET", "/lines", nil, &out); err != nil || out["line"] != 0.0 {
		// CallService decodes the first value of the answer.
		t.Fatalf("CallService: %v %v", out, err)
	}
}

// A JSON call reads at most routeapi.MaxServiceAnswer bytes of the answer: a peer's
// service that answers without end (the gateway no longer caps bodies)
// gets an error, not the caller's memory.
func TestCallServiceBoundsAnswer(t *testing.T) {
	a, b := startGatewayNode(t, 0), startGatewayNode(t, 0)
	serveTestService(t, b.home)
	linkNodes(t, a.Node, b.Node)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out map[string]string
	err := routeapi.NewClient(a.home).CallService(ctx, b.host.ID().String(), "store", "GET", "/endless", nil, &out)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("an endless answer: %v (context: %v), want an error at once", err, ctx.Err())
	}
}

// The answer's head is due a while after the whole request has been
// written, not after the call began: an upload that takes longer than that
// passes. A service that then keeps silent is given up on.
func TestGatewayHeadTimeoutAfterUpload(t *testing.T) {
	defer func(d time.Duration) { gatewayHeadTimeout = d }(gatewayHeadTimeout)
	gatewayHeadTimeout = time.Second
	a, b := startGatewayNode(t, 0), startGatewayNode(t, 0)
	ts := serveTestService(t, b.home)
	defer close(ts.release)
	linkNodes(t, a.Node, b.Node)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := routeapi.NewClient(a.home)
	// Ten pieces a quarter of a second apart: 2.5 s of upload.
	resp, err := c.CallServiceStream(ctx, routeapi.ServiceCall{Peer: b.host.ID().String(), Service: "store", Method: "POST", Path: "/sink",
		Body: &slowBody{pieces: 10, every: 250 * time.Millisecond}, Length: -1})
	if err != nil {
		t.Fatalf("a slow upload: %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.HasPrefix(got, []byte("10240 ")) {
		t.Fatalf("the sink saw %q, want 10240 bytes", got)
	}
	start := time.Now()
	_, err = c.CallServiceStream(ctx, routeapi.ServiceCall{Peer: b.host.ID().String(), Service: "store", Method: "GET", Path: "/hold"})
	var le *localapi.Error
	if !errors.As(err, &le) || le.Status != http.StatusServiceUnavailable || time.Since(start) > 20*time.Second {
		t.Fatalf("a silent service: %v after %v, want a 503 after about a second", err, time.Since(start))
	}
}

// slowBody yields pieces of 1 KiB, one every every.
type slowBody struct {
	pieces int
	every  time.Duration
}

func (s *slowBody) Read(p []byte) (int, error) {
	if s.pieces == 0 {
		return 0, io.EOF
	}
	time.Sleep(s.every)
	s.pieces--
	return copy(p, make([]byte, min(len(p), 1024))), nil
}

// A long-lived NDJSON answer reaches the caller line by line: the service
// writes its second line only after the caller has read the first, so a
// gateway that held the body until its end would never deliver either.
func TestGatewayStreamsLines(t *testing.T) {
	a, b := startGatewayNode(t, 0), startGatewayNode(t, 0)
	ts := serveTestService(t, b.home)
	linkNodes(t, a.Node, b.Node)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := routeapi.NewClient(a.home).CallServiceStream(ctx, routeapi.ServiceCall{Peer: b.host.ID().String(), Service: "store", Method: "GET", Path: "/lines"})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for i := 0; i < 3; i++ {
		if !sc.Scan() {
			t.Fatalf("line %d never came: %v", i, sc.Err())
		}
		if want := fmt.Sprintf(`{"line":%d}`, i); sc.Text() != want {
			t.Fatalf("line %d is %q, want %q", i, sc.Text(), want)
		}
		ts.next <- struct{}{}
	}
	if sc.Scan() {
		t.Fatalf("a line after the last: %q", sc.Text())
	}
}

// A peer gets at most MaxCallsPerPeer calls at once. A hostile one that
// opens many gateway streams and sends nothing on them holds that many and
// no more: the rest are answered 429 at once, the service sees no more
// connections than the bound, and other peers are still served.
func TestGatewayPerPeerBound(t *testing.T) {
	const bound = 3
	a, b, c := startGatewayNode(t, 0), startGatewayNode(t, bound), startGatewayNode(t, 0)
	ts := serveTestService(t, b.home)
	linkNodes(t, a.Node, b.Node)
	linkNodes(t, c.Node, b.Node)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Slow streams: a request head that never ends.
	var refused int
	for i := 0; i < 20; i++ {
		s, err := a.host.NewStream(ctx, b.host.ID(), serviceProtocol("store"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Reset()
		// A head begun and never finished (the stream itself only reaches
		// the peer with its first bytes).
		if _, err := io.WriteString(s, "GET /hold HTTP/1.1\r\n"); err != nil {
			t.Fatal(err)
		}
		if i < bound {
			waitFor(t, "gateway state", func() bool { return b.calls.count(a.host.ID()) == i+1 })
			continue
		}
		_ = s.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(s), nil)
		if err != nil {
			t.Fatalf("stream %d over the bound: %v, want a 429", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("stream %d over the bound: %s", i, resp.Status)
		}
		refused++
	}
	if got := b.calls.count(a.host.ID()); got != bound || refused != 20-bound {
		t.Fatalf("%d calls held, %d refused; want %d and %d", got, refused, bound, 20-bound)
	}
	// The gateway refuses a's real calls too while it holds the bound...
	_, err := routeapi.NewClient(a.home).CallServiceStream(ctx, routeapi.ServiceCall{Peer: b.host.ID().String(), Service: "store", Method: "GET", Path: "/hold"})
	var le *localapi.Error
	if !errors.As(err, &le) || le.Status != http.StatusTooManyRequests {
		t.Fatalf("a's call over the bound: %v, want a 429", err)
	}
	// ...while c, another peer, is served.
	done := make(chan error, bound+1)
	for i := 0; i < bound; i++ {
		go func() {
			resp, err := routeapi.NewClient(c.home).CallServiceStream(ctx, routeapi.ServiceCall{Peer: b.host.ID().String(), Service: "store", Method: "GET", Path: "/hold"})
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			done <- err
		}()
	}
	waitFor(t, "gateway state", func() bool { return ts.open.Load() == bound })
	// c is at its bound as well: its next call is refused, and the service
	// never sees more connections than the bound.
	_, err = routeapi.NewClient(c.home).CallServiceStream(ctx, routeapi.ServiceCall{Peer: b.host.ID().String(), Service: "store", Method: "GET", Path: "/hold"})
	if !errors.As(err, &le) || le.Status != http.StatusTooManyRequests {
		t.Fatalf("c's call over the bound: %v, want a 429", err)
	}
	close(ts.release)
	for i := 0; i < bound; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if p := ts.peak.Load(); p > bound {
		t.Fatalf("the service saw %d calls at once, over the bound %d", p, bound)
	}
	// Calls end, and their slots come back.
	waitFor(t, "gateway state", func() bool { return b.calls.count(c.host.ID()) == 0 })
}

// A request head larger than the limit is refused when the limit is
// reached: the gateway does not read (or keep) more of it.
func TestGatewayHeadLimit(t *testing.T) {
	a, b := startGatewayNode(t, 0), startGatewayNode(t, 0)
	serveTestService(t, b.home)
	linkNodes(t, a.Node, b.Node)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := a.host.NewStream(ctx, b.host.ID(), serviceProtocol("store"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Reset()
	before := b.stats.BadFrames.Load()
	go func() {
		_, _ = io.WriteString(s, "GET /echo HTTP/1.1\r\nHost: mf\r\nX-Junk: ")
		junk := bytes.Repeat([]byte("j"), 64<<10)
		for i := 0; i < 64; i++ { // 4 MiB of one header line
			if _, err := s.Write(junk); err != nil {
				return
			}
		}
	}()
	waitFor(t, "gateway state", func() bool { return b.stats.BadFrames.Load() > before })
	_ = s.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(s); err == nil {
		t.Fatal("the stream of an oversized head ended cleanly, want a reset")
	}
}

// Bad input on the local endpoint.
func TestGatewayCallBadInput(t *testing.T) {
	a := startGatewayNode(t, 0)
	hc := localapi.HTTPClient(routeapi.SocketPath(a.home), 10*time.Second)
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/v0/call/" + a.host.ID().String() + "/nosuch/x", http.StatusBadRequest},
		{"/v0/call/" + a.host.ID().String() + "/STORE/x", http.StatusBadRequest},
		{"/v0/call/" + a.host.ID().String() + "/store/x", http.StatusBadRequest}, // itself
		{"/v0/call/not-a-peer/store/x", http.StatusNotFound},
	} {
		resp, err := hc.Post("http://mf"+tc.path, "application/json", bytes.NewReader([]byte("{}")))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want && !(tc.want == http.StatusNotFound && resp.StatusCode >= 400) {
			t.Errorf("%s: %s, want %d", tc.path, resp.Status, tc.want)
		}
	}
}

// FuzzGatewayHead feeds arbitrary bytes to the gateway's reading of a
// request from a peer: it must not panic, and must never read more than the
// head limit before it has a head.
func FuzzGatewayHead(f *testing.F) {
	f.Add([]byte("GET /v0/manifest HTTP/1.1\r\nHost: mf\r\n\r\n"))
	f.Add([]byte("POST /x HTTP/1.1\r\nHost: mf\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
	f.Add([]byte("POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"))
	f.Add([]byte("POST /x HTTP/1.1\r\nX-Mf-Body: eof\r\n\r\nto the end"))
	f.Add([]byte("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cr := &countReader{r: bytes.NewReader(b)}
		req, hl, err := readGatewayRequest(cr)
		if err != nil {
			if cr.n > gatewayHeaderLimit {
				t.Fatalf("read %d bytes for a bad head", cr.n)
			}
			return
		}
		if cr.n > gatewayHeaderLimit {
			t.Fatalf("read %d bytes for a head", cr.n)
		}
		hl.lift.Store(true)
		_, _ = io.Copy(io.Discard, req.Body)
	})
}

type countReader struct {
	r io.Reader
	n int
}

func (c *countReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += k
	return k, err
}
