package route

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/localapi"
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

// Headers the gateway sets on requests it hands to a local service.
const (
	HeaderPeerID      = "X-Mf-Peer-Id"
	HeaderPeerOverlay = "X-Mf-Peer-Overlay"
	HeaderPeerAddress = "X-Mf-Peer-Address"
)

const maxGatewayBody = 4 << 20

func serviceProtocol(svc string) protocol.ID { return protocol.ID("/mf/" + svc + "/1") }

func (n *Node) startGateway() {
	for _, svc := range gatewayServices {
		n.host.SetStreamHandler(serviceProtocol(svc), n.gatewayHandler(svc))
	}
}

// home is where service sockets live; empty in tests without a home.
func (n *Node) serviceSocket(svc string) string {
	return filepath.Join(n.opts.Home, svc+".sock")
}

func (n *Node) gatewayHandler(svc string) network.StreamHandler {
	return func(s network.Stream) {
		defer s.Close()
		from := s.Conn().RemotePeer()
		if n.blocked(from) {
			s.Reset()
			return
		}
		_ = s.SetDeadline(time.Now().Add(30 * time.Second))
		req, err := http.ReadRequest(bufio.NewReaderSize(io.LimitReader(s, maxGatewayBody+64<<10), 16<<10))
		if err != nil {
			n.stats.BadFrames.Add(1)
			s.Reset()
			return
		}
		resp := n.serveRemote(svc, from, req)
		_ = resp.Write(s)
	}
}

// serveRemote hands a peer's request to the local service.
func (n *Node) serveRemote(svc string, from peer.ID, req *http.Request) *http.Response {
	fail := func(status int, msg string) *http.Response {
		body := fmt.Sprintf(`{"error":%q,"code":"gateway"}`+"\n", msg)
		return &http.Response{StatusCode: status, ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxGatewayBody+1))
	if err != nil || len(body) > maxGatewayBody {
		return fail(http.StatusRequestEntityTooLarge, "request body too large")
	}
	sock := n.serviceSocket(svc)
	if _, err := os.Stat(sock); err != nil {
		return fail(http.StatusServiceUnavailable, "this node does not run mf-"+svc)
	}
	pub, err := publicOfPeer(from)
	if err != nil {
		return fail(http.StatusForbidden, "unknown peer key")
	}
	path := req.URL.Path
	if !strings.HasPrefix(path, "/") || strings.Contains(path, "..") {
		return fail(http.StatusBadRequest, "bad path")
	}
	out, err := http.NewRequest(req.Method, "http://mf/remote"+path+queryOf(req), bytes.NewReader(body))
	if err != nil {
		return fail(http.StatusBadRequest, "bad request")
	}
	out.Header.Set("Content-Type", req.Header.Get("Content-Type"))
	out.Header.Set(HeaderPeerID, from.String())
	out.Header.Set(HeaderPeerOverlay, identity.OverlayOf(from).String())
	out.Header.Set(HeaderPeerAddress, pub.Address().Hex())
	hc := localapi.HTTPClient(sock, 30*time.Second)
	resp, err := hc.Do(out)
	if err != nil {
		return fail(http.StatusServiceUnavailable, "mf-"+svc+" is not answering")
	}
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, maxGatewayBody))
	resp.Body.Close()
	return &http.Response{StatusCode: resp.StatusCode, ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {resp.Header.Get("Content-Type")}},
		Body:   io.NopCloser(bytes.NewReader(rb)), ContentLength: int64(len(rb))}
}

func queryOf(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return "?" + r.URL.RawQuery
}

// publicOfPeer recovers the identity key inlined in a secp256k1 peer ID.
func publicOfPeer(p peer.ID) (identity.Public, error) {
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

// apiCall carries a local service's request to a peer's service.
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxGatewayBody))
	if err != nil {
		localapi.WriteError(w, localapi.Errorf(http.StatusRequestEntityTooLarge, "too_large", "request body over %d bytes", maxGatewayBody))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	s, err := n.host.NewStream(ctx, pid, serviceProtocol(svc))
	if err != nil {
		localapi.WriteError(w, localapi.Errorf(http.StatusBadGateway, "unreachable", "cannot reach %s's mf-%s: %v", pid, svc, err))
		return
	}
	defer s.Close()
	_ = s.SetDeadline(time.Now().Add(30 * time.Second))
	out, _ := http.NewRequest(r.Method, "http://mf/"+r.PathValue("path")+queryOf(r), bytes.NewReader(body))
	out.Header.Set("Content-Type", r.Header.Get("Content-Type"))
	if err := out.Write(s); err != nil {
		localapi.WriteError(w, localapi.Errorf(http.StatusBadGateway, "unreachable", "writing to %s: %v", pid, err))
		return
	}
	resp, err := http.ReadResponse(bufio.NewReader(io.LimitReader(s, maxGatewayBody+64<<10)), out)
	if err != nil {
		localapi.WriteError(w, localapi.Errorf(http.StatusBadGateway, "bad_answer", "bad answer from %s: %v", pid, err))
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, io.LimitReader(resp.Body, maxGatewayBody))
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

// PeerUsage is the packet traffic exchanged with one peer since the daemon
// started.
type PeerUsage struct {
	PeerID   string           `json:"peer_id"`
	Overlay  identity.Overlay `json:"overlay"`
	Address  string           `json:"address"`
	BytesIn  uint64           `json:"bytes_in"`  // received from the peer: service this node gave it
	BytesOut uint64           `json:"bytes_out"` // sent to the peer: service it gave this node
	Blocked  bool             `json:"blocked,omitempty"`
}

// Usage answers /v0/usage: Epoch changes when the daemon restarts and the
// counters start again from zero.
type Usage struct {
	Epoch int64       `json:"epoch"`
	Peers []PeerUsage `json:"peers"`
}

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
	n.meter.mu.Lock()
	defer n.meter.mu.Unlock()
	u := Usage{Epoch: n.start.UnixNano(), Peers: []PeerUsage{}}
	for p, pm := range n.meter.peers {
		pu := PeerUsage{PeerID: p.String(), Overlay: identity.OverlayOf(p), BytesIn: pm.in.Load(), BytesOut: pm.out.Load(), Blocked: n.meter.block[p]}
		if pub, err := publicOfPeer(p); err == nil {
			pu.Address = pub.Address().Hex()
		}
		u.Peers = append(u.Peers, pu)
	}
	return u, nil
}

// BlockRequest blocks or unblocks a peer.
type BlockRequest struct {
	Peer    string `json:"peer"`
	Blocked bool   `json:"blocked"`
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
