package route

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// The gateway lets the other mf services (mf-swap, mf-court, ...) talk to
// their counterparts on other nodes without a libp2p host of their own
// (docs/architecture.md, "Processes and sockets"). A service calls
//
//	POST /v0/call/{peer}/{service}/{path...}
//
// on mf-route's socket; mf-route opens a stream with protocol
// /mf/{service}/1 to the peer and writes the HTTP request on it. The peer's
// mf-route reads it and hands it to its own $MF_HOME/{service}.sock under
// /remote/{path}, adding the authenticated caller in X-Mf-Peer-Id,
// X-Mf-Peer-Overlay and X-Mf-Peer-Address (headers with those names from
// the wire are dropped, so they cannot be forged). The /remote prefix keeps
// a service's local administration endpoints out of reach of peers.
//
// mf-route also meters the packet traffic it exchanges with each peer
// (GET /v0/usage), which mf-swap prices, and refuses service to peers that
// mf-swap blocks for not paying (POST /v0/blocks).

// Services the gateway carries.
var gatewayServices = []string{"swap", "court", "hold", "store", "db"}

var serviceName = regexp.MustCompile(`^[a-z]{1,16}$`)

// Limits of the gateway. Bodies are streamed, never held whole, so what a
// call costs is its buffers (about gatewayCallMemory) and, on the serving
// side, one connection to the local service: the number of calls bounds
// both. A peer gets at most MaxCallsPerPeer calls at once, and all peers
// together MaxCalls (Options); calls over either are answered 429 at once.
const (
	// gatewayHeaderLimit caps the request or response head (start line and
	// headers) read from a peer; a body is framed (Content-Length,
	// chunked, or the end of the stream) and never read whole.
	gatewayHeaderLimit = 64 << 10
	// gatewayBuf is the copy buffer of a body in each direction.
	gatewayBuf = routeapi.BodyBuffer

	DefaultMaxCallsPerPeer = routeapi.DefaultCallsPerPeer
	DefaultMaxCalls        = 64
)

// gatewayScope is the libp2p resource manager service that gateway streams
// are charged to, so the host's own stream limits apply to them as well.
const gatewayScope = "mf.gateway"

// gatewayHeadTimeout is how long a peer may take to send a request head,
// and a service to begin its answer once it has the whole request. Bodies
// have no deadline: an upload may take hours, and an NDJSON answer (a
// watch) stay open as long. A variable so that tests can shorten it.
var gatewayHeadTimeout = 30 * time.Second

func serviceProtocol(svc string) protocol.ID { return protocol.ID("/mf/" + svc + "/1") }

// gateCalls counts the calls being served, per peer and in all.
type gateCalls struct {
	mu      sync.Mutex
	perPeer map[peer.ID]int
	total   int
	refused atomic.Uint64
}

// acquire admits one more call from p, or reports that p (or everyone) is
// at the limit.
func (g *gateCalls) acquire(p peer.ID, perPeer, total int) (release func(), ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.perPeer == nil {
		g.perPeer = map[peer.ID]int{}
	}
	if g.perPeer[p] >= perPeer || g.total >= total {
		g.refused.Add(1)
		return nil, false
	}
	g.perPeer[p]++
	g.total++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			g.total--
			if g.perPeer[p]--; g.perPeer[p] <= 0 {
				delete(g.perPeer, p)
			}
		})
	}, true
}

func (g *gateCalls) count(p peer.ID) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.perPeer[p]
}

func (n *Node) startGateway() {
	n.svcClients = map[string]*http.Client{}
	for _, svc := range gatewayServices {
		n.host.SetStreamHandler(serviceProtocol(svc), n.gatewayHandler(svc))
	}
}

// home is where service sockets live; empty in tests without a home.
func (n *Node) serviceSocket(svc string) string {
	return filepath.Join(n.opts.Home, svc+".sock")
}

// serviceClient is the HTTP client of a local service's socket. It has no
// overall timeout (a response may stream for as long as both ends want),
// only one on the response head.
func (n *Node) serviceClient(svc string) *http.Client {
	n.svcMu.Lock()
	defer n.svcMu.Unlock()
	if c := n.svcClients[svc]; c != nil {
		return c
	}
	sock := n.serviceSocket(svc)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		MaxIdleConnsPerHost:   16,
		ResponseHeaderTimeout: gatewayHeadTimeout,
		DisableCompression:    true,
		// Bodies move in gatewayBuf pieces, which bufio passes
		// straight through: these buffers only gather heads.
		WriteBufferSize: 64 << 10,
		ReadBufferSize:  64 << 10,
	}
	c := &http.Client{Transport: tr}
	n.svcClients[svc] = c
	return c
}

// headLimit lets at most n bytes through until lift is called: a head read
// from a peer is bounded, the body after it is not (it is streamed).
type headLimit struct {
	r    io.Reader
	n    int
	lift atomic.Bool
}

func (h *headLimit) Read(p []byte) (int, error) {
	if h.lift.Load() {
		return h.r.Read(p)
	}
	if h.n <= 0 {
		return 0, errHeadTooLarge
	}
	if len(p) > h.n {
		p = p[:h.n]
	}
	k, err := h.r.Read(p)
	h.n -= k
	return k, err
}

var errHeadTooLarge = errors.New("gateway: message head too large")

// readHead reads a request or response head of at most gatewayHeaderLimit
// bytes from r, through a reader whose limit is lifted once the head is in.
func newHeadReader(r io.Reader) (*bufio.Reader, *headLimit) {
	hl := &headLimit{r: r, n: gatewayHeaderLimit}
	return bufio.NewReaderSize(hl, 16<<10), hl
}

// headerStreamBody marks a request whose body has no length and runs to
// the end of the stream (the caller's half-close): cheaper than chunked
// framing, which a peer may still use.
const headerStreamBody = "X-Mf-Body"

// smallBody is the largest body of known length that is written with its
// head in one piece: a small call (a db get, a hold receipt) then costs one
// frame each way instead of two, and one wake-up of the reader.
const smallBody = 32 << 10

// headBuf sizes the buffer a head is written through, room for a small
// body of length bytes included.
func headBuf(length int64) int {
	if length > 0 && length <= smallBody {
		return 4<<10 + int(length)
	}
	return 4 << 10
}

// writeGatewayRequest writes req's head to s and then body, of length
// bytes (-1: unknown, delimited by the end of the stream), copied in large
// pieces.
func writeGatewayRequest(s io.Writer, req *http.Request, ctype string, length int64, body io.Reader) error {
	h := http.Header{}
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	switch {
	case length > 0:
		h.Set("Content-Length", strconv.FormatInt(length, 10))
	case length < 0:
		h.Set(headerStreamBody, "eof")
	}
	bw := bufio.NewWriterSize(s, headBuf(length))
	fmt.Fprintf(bw, "%s %s HTTP/1.1\r\nHost: mf\r\n", req.Method, req.URL.RequestURI())
	_ = h.Write(bw)
	_, _ = bw.WriteString("\r\n")
	return writeBody(s, bw, body, length)
}

// writeBody writes what bw holds (a head) and then body, of length bytes
// (-1: up to its end): a small body in the same write as the head, a
// larger one after it in large pieces.
func writeBody(s io.Writer, bw *bufio.Writer, body io.Reader, length int64) error {
	if body == nil || length == 0 {
		return bw.Flush()
	}
	if length > 0 && length <= smallBody {
		if k, err := io.CopyN(bw, body, length); err != nil {
			if err == io.EOF && k < length {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		return bw.Flush()
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	src := body
	if length > 0 {
		src = io.LimitReader(body, length)
	}
	k, err := routeapi.CopyBody(s, src)
	if err == nil && length > 0 && k < length {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// writeGatewayResponse writes resp's head to s and then its body, which
// runs to the end of the stream unless resp has a length.
func writeGatewayResponse(s io.Writer, resp *http.Response) error {
	h := http.Header{}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		h.Set("Content-Type", ct)
	}
	if resp.ContentLength >= 0 {
		h.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	} else {
		h.Set("Connection", "close")
	}
	bw := bufio.NewWriterSize(s, headBuf(resp.ContentLength))
	fmt.Fprintf(bw, "HTTP/1.1 %03d %s\r\n", resp.StatusCode, http.StatusText(resp.StatusCode))
	_ = h.Write(bw)
	_, _ = bw.WriteString("\r\n")
	return writeBody(s, bw, resp.Body, resp.ContentLength)
}

// readGatewayRequest reads a request from a peer: a head of at most
// gatewayHeaderLimit bytes, and a body left unread. The caller lifts the
// limit before reading the body.
func readGatewayRequest(r io.Reader) (*http.Request, *headLimit, error) {
	br, hl := newHeadReader(r)
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, nil, err
	}
	if req.Header.Get(headerStreamBody) == "eof" && req.ContentLength == 0 && len(req.TransferEncoding) == 0 {
		req.Body = io.NopCloser(br)
		req.ContentLength = -1
	}
	return req, hl, nil
}

func (n *Node) gatewayHandler(svc string) network.StreamHandler {
	return func(s network.Stream) {
		from := s.Conn().RemotePeer()
		if n.blocked(from) {
			s.Reset()
			return
		}
		// Charged to the gateway's service scope, the stream counts
		// against the resource manager's limits for it too.
		if err := s.Scope().SetService(gatewayScope); err != nil {
			s.Reset()
			return
		}
		release, ok := n.calls.acquire(from, n.opts.MaxCallsPerPeer, n.opts.MaxCalls)
		if !ok {
			// Answered without reading the request, and at once, so the
			// caller learns why instead of waiting.
			_ = s.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_ = gatewayFail(http.StatusTooManyRequests, "too many calls at once").Write(s)
			_ = s.Close()
			return
		}
		defer release()
		_ = s.SetReadDeadline(time.Now().Add(gatewayHeadTimeout))
		req, hl, err := readGatewayRequest(s)
		if err != nil {
			n.stats.BadFrames.Add(1)
			s.Reset()
			return
		}
		hl.lift.Store(true)
		_ = s.SetReadDeadline(time.Time{})
		ctx, cancel := context.WithCancel(n.ctx)
		defer cancel()
		resp := n.serveRemote(ctx, svc, from, req)
		defer resp.Body.Close()
		if err := writeGatewayResponse(s, resp); err != nil {
			// The caller went away, or the service broke off its
			// answer: a reset tells the caller the body is cut short.
			s.Reset()
			return
		}
		_ = s.Close()
	}
}

func gatewayFail(status int, msg string) *http.Response {
	body := fmt.Sprintf(`{"error":%q,"code":"gateway"}`+"\n", msg)
	return &http.Response{StatusCode: status, ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

// serveRemote hands a peer's request to the local service, streaming the
// request body to it and returning its response with the body unread.
func (n *Node) serveRemote(ctx context.Context, svc string, from peer.ID, req *http.Request) *http.Response {
	sock := n.serviceSocket(svc)
	if _, err := os.Stat(sock); err != nil {
		return gatewayFail(http.StatusServiceUnavailable, "this node does not run mf-"+svc)
	}
	pub, err := publicOfPeer(from)
	if err != nil {
		return gatewayFail(http.StatusForbidden, "unknown peer key")
	}
	path := req.URL.Path
	if !strings.HasPrefix(path, "/") || strings.Contains(path, "..") {
		return gatewayFail(http.StatusBadRequest, "bad path")
	}
	var body io.Reader = routeapi.BigReader{R: req.Body}
	if req.ContentLength == 0 {
		body = http.NoBody
	}
	out, err := http.NewRequestWithContext(ctx, req.Method, "http://mf/remote"+path+queryOf(req), body)
	if err != nil {
		return gatewayFail(http.StatusBadRequest, "bad request")
	}
	out.ContentLength = req.ContentLength
	out.Header.Set("Content-Type", req.Header.Get("Content-Type"))
	out.Header.Set(HeaderPeerID, from.String())
	out.Header.Set(HeaderPeerOverlay, identity.OverlayOf(from).String())
	out.Header.Set(HeaderPeerAddress, pub.Address().Hex())
	resp, err := n.serviceClient(svc).Do(out)
	if err != nil {
		return gatewayFail(http.StatusServiceUnavailable, "mf-"+svc+" is not answering")
	}
	// Only the content type goes back; the body keeps its length when the
	// service gave one, and otherwise runs to the end of the stream (which
	// a reset, not a close, cuts short).
	return &http.Response{StatusCode: resp.StatusCode, ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {resp.Header.Get("Content-Type")}},
		Body:   resp.Body, ContentLength: resp.ContentLength}
}

func queryOf(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return "?" + r.URL.RawQuery
}

// publicOfPeer recovers the identity key inlined in a secp256k1 peer ID.
// Recovering it means decompressing a curve point, 5 % of a small gateway
// call's CPU, so the keys of recent callers are kept.
func publicOfPeer(p peer.ID) (identity.Public, error) {
	if v, ok := peerKeys.Get(p); ok {
		return v.(identity.Public), nil
	}
	pub, err := extractPublic(p)
	if err == nil {
		peerKeys.Add(p, pub)
	}
	return pub, err
}

// peerKeys caches publicOfPeer: a peer ID names its key for good.
var peerKeys, _ = lru.New(1024)

func extractPublic(p peer.ID) (identity.Public, error) {
	k, err := p.ExtractPublicKey()
	if err != nil {
		return identity.Public{}, err
	}
	raw, err := k.Raw()
	if err != nil {
		return identity.Public{}, err
	}
	return identity.PublicFromCompressed(raw)
}

// apiCall carries a local service's request to a peer's service. Both
// bodies stream: the request body is written to the peer while the
// response is read, and each piece of the response is flushed to the
// caller as it arrives.
func (n *Node) apiCall(w http.ResponseWriter, r *http.Request) {
	svc := r.PathValue("service")
	if !serviceName.MatchString(svc) || !contains(gatewayServices, svc) {
		localapi.WriteError(w, localapi.BadRequest("unknown service %q", svc))
		return
	}
	pid, err := n.peerOf(r.Context(), r.PathValue("peer"))
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	if pid == n.host.ID() {
		localapi.WriteError(w, localapi.BadRequest("the peer is this node"))
		return
	}
	rc := http.NewResponseController(w)
	// Read the request body while the answer is being written: an upload
	// and its progress may flow at once.
	_ = rc.EnableFullDuplex()
	ctx, cancel := context.WithTimeout(network.WithAllowLimitedConn(r.Context(), "mf gateway"), gatewayHeadTimeout)
	s, err := n.host.NewStream(ctx, pid, serviceProtocol(svc))
	cancel()
	if err != nil {
		localapi.WriteError(w, localapi.Errorf(http.StatusBadGateway, "unreachable", "cannot reach %s's mf-%s: %v", pid, svc, err))
		return
	}
	defer s.Close()
	// The caller hanging up ends the call on the peer too.
	stop := context.AfterFunc(r.Context(), func() { s.Reset() })
	defer stop()
	out, err := http.NewRequest(r.Method, "http://mf/"+r.PathValue("path")+queryOf(r), nil)
	if err != nil {
		s.Reset()
		localapi.WriteError(w, localapi.BadRequest("bad request: %v", err))
		return
	}
	// The answer's head is due some time after the whole request is
	// written, however long the upload took; headMu keeps the writer
	// from setting that deadline after the head has come.
	var headMu sync.Mutex
	headIn := false
	wrote := make(chan error, 1)
	go func() {
		err := writeGatewayRequest(s, out, r.Header.Get("Content-Type"), r.ContentLength, r.Body)
		if err == nil {
			err = s.CloseWrite()
		}
		headMu.Lock()
		if !headIn {
			// Twice the peer's own wait for its service, so that the
			// peer's account of a silent service arrives first.
			_ = s.SetReadDeadline(time.Now().Add(2 * gatewayHeadTimeout))
		}
		headMu.Unlock()
		wrote <- err
	}()
	br, hl := newHeadReader(s)
	resp, err := http.ReadResponse(br, out)
	headMu.Lock()
	headIn = true
	_ = s.SetReadDeadline(time.Time{})
	headMu.Unlock()
	if err != nil {
		s.Reset()
		if werr := <-wrote; werr != nil {
			err = werr
		}
		localapi.WriteError(w, localapi.Errorf(http.StatusBadGateway, "bad_answer", "bad answer from %s: %v", pid, err))
		return
	}
	hl.lift.Store(true)
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	if resp.ContentLength >= 0 {
		w.Header().Set("Content-Length", fmt.Sprint(resp.ContentLength))
	}
	w.WriteHeader(resp.StatusCode)
	if resp.ContentLength < 0 {
		// A long-lived answer: the caller learns its status before the
		// first line. An answer of known length takes its head along
		// with the body's first piece.
		_ = rc.Flush()
	}
	if err := copyFlush(w, rc, resp.Body); err != nil {
		// Cut short: make sure the caller sees an error rather than a
		// body that merely ends early.
		s.Reset()
		panic(http.ErrAbortHandler)
	}
	select {
	case err := <-wrote:
		if err != nil && r.Context().Err() == nil {
			n.log.Debug("gateway request body", "peer", pid, "err", err)
		}
	default:
		// The peer answered without reading all of the request body (a
		// refusal, say); it will read no more, so stop writing it.
		s.Reset()
		<-wrote
	}
}

// copyFlush copies src to w, flushing after each read so that a line of a
// long-lived response reaches the caller when it is written, not when a
// buffer fills.
func copyFlush(w io.Writer, rc *http.ResponseController, src io.Reader) error {
	pb := routeapi.GetBuffer()
	defer routeapi.PutBuffer(pb)
	buf := *pb
	for {
		k, err := src.Read(buf)
		if k > 0 {
			if _, werr := w.Write(buf[:k]); werr != nil {
				return werr
			}
			if ferr := rc.Flush(); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// peerOf turns a peer ID or overlay address into a connectable peer.
func (n *Node) peerOf(ctx context.Context, s string) (peer.ID, error) {
	if pid, err := peer.Decode(s); err == nil {
		return pid, nil
	}
	t, err := n.Resolve(ctx, s)
	if err != nil {
		return "", resolveErr(err)
	}
	_ = n.connect(ctx, peer.AddrInfo{ID: t.Card.PeerID(), Addrs: t.Card.Addrs})
	return t.Card.PeerID(), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Usage metering and blocking.

type meter struct {
	mu    sync.Mutex
	peers map[peer.ID]*peerMeter
	block map[peer.ID]bool
}

type peerMeter struct{ in, out atomic.Uint64 }

func (m *meter) of(p peer.ID) *peerMeter {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.peers == nil {
		m.peers = map[peer.ID]*peerMeter{}
	}
	pm := m.peers[p]
	if pm == nil {
		pm = &peerMeter{}
		m.peers[p] = pm
	}
	return pm
}

func (n *Node) blocked(p peer.ID) bool {
	n.meter.mu.Lock()
	defer n.meter.mu.Unlock()
	return n.meter.block[p]
}

func (n *Node) apiUsage(w http.ResponseWriter, r *http.Request) (any, error) {
	v, d, ok, err := parseWait(r.URL.Query())
	if err != nil {
		return nil, err
	}
	if ok {
		n.act.wait(r.Context(), v, d)
	}
	version := n.act.version()
	n.meter.mu.Lock()
	defer n.meter.mu.Unlock()
	u := Usage{Epoch: n.start.UnixNano(), Version: version, Peers: []PeerUsage{}}
	for p, pm := range n.meter.peers {
		pu := PeerUsage{PeerID: p.String(), Overlay: identity.OverlayOf(p), BytesIn: pm.in.Load(), BytesOut: pm.out.Load(), Blocked: n.meter.block[p]}
		if pub, err := publicOfPeer(p); err == nil {
			pu.Address = pub.Address().Hex()
		}
		u.Peers = append(u.Peers, pu)
	}
	return u, nil
}

func (n *Node) apiBlock(w http.ResponseWriter, r *http.Request) (any, error) {
	var req BlockRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	p, err := peer.Decode(req.Peer)
	if err != nil {
		return nil, localapi.BadRequest("peer must be a peer ID: %v", err)
	}
	n.meter.mu.Lock()
	if n.meter.block == nil {
		n.meter.block = map[peer.ID]bool{}
	}
	if req.Blocked {
		n.meter.block[p] = true
	} else {
		delete(n.meter.block, p)
	}
	n.meter.mu.Unlock()
	if req.Blocked {
		n.log.Info("refusing service to peer", "peer", p)
	}
	return req, nil
}
