package route

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/localapi"
)

// The local API of mf-route, served on $MF_HOME/route.sock. Every body is
// JSON; errors are {"error": "...", "code": "..."}.
//
//	GET    /v0/status              IDInfo plus counters
//	GET    /v0/peers               []PeerInfo
//	POST   /v0/ping                PingRequest → NDJSON PingResult
//	GET    /v0/contacts            []ContactInfo
//	POST   /v0/contacts            ContactInfo{name, card}
//	DELETE /v0/contacts/{name}
//	POST   /v0/resolve             ResolveRequest → ContactInfo
//	POST   /v0/send                SendRequest → SendResult
//	GET    /v0/listen?topic=T&count=N   NDJSON Message

// IDInfo describes this node.
type IDInfo struct {
	Overlay identity.Overlay `json:"overlay"`
	PeerID  string           `json:"peer_id"`
	Address string           `json:"address"`
	EncKey  string           `json:"enc_key"`
	Card    string           `json:"card"`
	Addrs   []string         `json:"addrs"`
}

// StatusInfo is /v0/status.
type StatusInfo struct {
	IDInfo
	Peers int `json:"peers"`
	// Published tells whether the node's card is in the DHT, so that others
	// can find it by overlay address.
	Published bool          `json:"published"`
	Listeners int           `json:"listeners"`
	Uptime    float64       `json:"uptime_seconds"`
	Packets   StatsSnapshot `json:"packets"`
}

// PeerInfo is one connected peer.
type PeerInfo struct {
	PeerID    string           `json:"peer_id"`
	Overlay   identity.Overlay `json:"overlay"`
	Addr      string           `json:"addr"`
	Direction string           `json:"direction"`
	LatencyMS float64          `json:"latency_ms,omitempty"`
}

// ContactInfo is a contact or a resolved target.
type ContactInfo struct {
	Name    string            `json:"name,omitempty"`
	Card    string            `json:"card"`
	Overlay *identity.Overlay `json:"overlay,omitempty"`
	PeerID  string            `json:"peer_id,omitempty"`
	Address string            `json:"address,omitempty"`
}

// PingRequest asks for Count pings of Target.
type PingRequest struct {
	Target string `json:"target"`
	Count  int    `json:"count"`
}

// PingResult is one ping.
type PingResult struct {
	Seq   int     `json:"seq"`
	RTTMS float64 `json:"rtt_ms,omitempty"`
	Error string  `json:"error,omitempty"`
}

// ResolveRequest names a target.
type ResolveRequest struct {
	Target string `json:"target"`
}

// SendRequest sends Payload to To on Topic.
type SendRequest struct {
	To      string `json:"to"`
	Topic   string `json:"topic"`
	Payload []byte `json:"payload"`
	Bench   bool   `json:"bench,omitempty"`
}

// SendResult identifies the packet sent.
type SendResult struct {
	ID      string           `json:"id"`
	To      identity.Overlay `json:"to"`
	Bytes   int              `json:"bytes"`
	SentAt  time.Time        `json:"sent_at"`
	Contact string           `json:"contact,omitempty"`
}

// maxSendBody leaves room for a base64 payload of MaxPayload.
const maxSendBody = MaxPayload*4/3 + 16<<10

// Handler is the API's http.Handler.
func (n *Node) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /v0/status", localapi.Handle(n.apiStatus))
	mux.Handle("GET /v0/peers", localapi.Handle(n.apiPeers))
	mux.HandleFunc("POST /v0/ping", n.apiPing)
	mux.Handle("GET /v0/contacts", localapi.Handle(n.apiContacts))
	mux.Handle("POST /v0/contacts", localapi.Handle(n.apiAddContact))
	mux.Handle("DELETE /v0/contacts/{name}", localapi.Handle(n.apiRemoveContact))
	mux.Handle("POST /v0/resolve", localapi.Handle(n.apiResolve))
	mux.Handle("POST /v0/send", localapi.Handle(n.apiSend))
	mux.HandleFunc("GET /v0/listen", n.apiListen)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		localapi.WriteError(w, localapi.NotFound("no endpoint %s %s", r.Method, r.URL.Path))
	})
	return mux
}

func (n *Node) idInfo() IDInfo {
	c := n.Card()
	info := IDInfo{
		Overlay: n.self,
		PeerID:  n.host.ID().String(),
		Address: n.pub.Address().Hex(),
		EncKey:  fmt.Sprintf("%x", n.pub.Enc[:]),
		Card:    c.String(),
	}
	for _, a := range c.Addrs {
		info.Addrs = append(info.Addrs, a.String())
	}
	return info
}

func (n *Node) apiStatus(w http.ResponseWriter, r *http.Request) (any, error) {
	return StatusInfo{
		IDInfo:    n.idInfo(),
		Peers:     len(n.host.Network().Peers()),
		Published: n.published.Load(),
		Listeners: n.subs.count(),
		Uptime:    time.Since(n.start).Seconds(),
		Packets:   n.stats.Snapshot(),
	}, nil
}

func (n *Node) apiPeers(w http.ResponseWriter, r *http.Request) (any, error) {
	out := []PeerInfo{}
	for _, p := range n.host.Network().Peers() {
		conns := n.host.Network().ConnsToPeer(p)
		if len(conns) == 0 {
			continue
		}
		pi := PeerInfo{
			PeerID:    p.String(),
			Overlay:   identity.OverlayOf(p),
			Addr:      conns[0].RemoteMultiaddr().String(),
			Direction: conns[0].Stat().Direction.String(),
		}
		if l := n.host.Peerstore().LatencyEWMA(p); l > 0 {
			pi.LatencyMS = float64(l.Microseconds()) / 1000
		}
		out = append(out, pi)
	}
	return out, nil
}

func contactInfo(name string, c *identity.Card) ContactInfo {
	o := c.Overlay()
	return ContactInfo{Name: name, Card: c.String(), Overlay: &o, PeerID: c.PeerID().String(), Address: c.Address().Hex()}
}

func (n *Node) apiContacts(w http.ResponseWriter, r *http.Request) (any, error) {
	cs, err := n.Contacts()
	if err != nil {
		return nil, err
	}
	out := []ContactInfo{}
	for _, c := range cs {
		out = append(out, contactInfo(c.Name, c.Card))
	}
	return out, nil
}

func (n *Node) apiAddContact(w http.ResponseWriter, r *http.Request) (any, error) {
	var req ContactInfo
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	c, err := identity.ParseCard(req.Card)
	if err != nil {
		return nil, localapi.BadRequest("%v", err)
	}
	if err := n.AddContact(req.Name, c); err != nil {
		if errors.Is(err, ErrContactName) || errors.Is(err, ErrContactExists) {
			return nil, localapi.BadRequest("%v", err)
		}
		return nil, err
	}
	return contactInfo(req.Name, c), nil
}

func (n *Node) apiRemoveContact(w http.ResponseWriter, r *http.Request) (any, error) {
	name := r.PathValue("name")
	if err := n.RemoveContact(name); err != nil {
		if errors.Is(err, ErrNoContact) {
			return nil, localapi.NotFound("%v", err)
		}
		return nil, err
	}
	return struct{}{}, nil
}

// resolveErr turns resolution failures into 4xx answers.
func resolveErr(err error) error {
	if errors.Is(err, ErrUnknownTarget) || errors.Is(err, identity.ErrCard) {
		return localapi.BadRequest("%v", err)
	}
	if _, ok := err.(*localapi.Error); ok {
		return err
	}
	return localapi.BadRequest("%v", err)
}

func (n *Node) apiResolve(w http.ResponseWriter, r *http.Request) (any, error) {
	var req ResolveRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	t, err := n.Resolve(r.Context(), req.Target)
	if err != nil {
		return nil, resolveErr(err)
	}
	return contactInfo(t.Name, t.Card), nil
}

func (n *Node) apiSend(w http.ResponseWriter, r *http.Request) (any, error) {
	var req SendRequest
	if err := localapi.DecodeBody(w, r, &req, maxSendBody); err != nil {
		return nil, err
	}
	if req.Topic == "" || len(req.Topic) > MaxTopic {
		return nil, localapi.BadRequest("topic must be 1..%d bytes", MaxTopic)
	}
	if len(req.Payload) > MaxPayload {
		return nil, localapi.Errorf(http.StatusRequestEntityTooLarge, "too_large", "payload of %d bytes is over the %d-byte limit", len(req.Payload), MaxPayload)
	}
	t, err := n.Resolve(r.Context(), req.To)
	if err != nil {
		return nil, resolveErr(err)
	}
	var flags byte
	if req.Bench {
		flags |= FlagBench
	}
	sentAt := time.Now()
	id, err := n.Send(r.Context(), t.Card, req.Topic, flags, req.Payload)
	if err != nil {
		if errors.Is(err, ErrNoRoute) {
			return nil, localapi.Errorf(http.StatusServiceUnavailable, "no_route", "%v", err)
		}
		return nil, err
	}
	return SendResult{ID: fmt.Sprintf("%x", id), To: t.Card.Overlay(), Bytes: len(req.Payload), SentAt: sentAt, Contact: t.Name}, nil
}

func (n *Node) apiListen(w http.ResponseWriter, r *http.Request) {
	topic := r.URL.Query().Get("topic")
	if topic == "" || len(topic) > MaxTopic {
		localapi.WriteError(w, localapi.BadRequest("topic must be 1..%d bytes", MaxTopic))
		return
	}
	count := 0
	if c := r.URL.Query().Get("count"); c != "" {
		v, err := strconv.Atoi(c)
		if err != nil || v < 0 {
			localapi.WriteError(w, localapi.BadRequest("count must be a non-negative number"))
			return
		}
		count = v
	}
	sub, waiting, keys := n.subs.subscribe(topic)
	defer n.subs.unsubscribe(sub)
	st := localapi.NewStream(w)
	sent := 0
	for i, m := range waiting {
		if err := st.Send(m); err != nil {
			return
		}
		n.subs.consumed(keys[i])
		if sent++; count > 0 && sent >= count {
			return
		}
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case m, ok := <-sub.ch:
			if !ok {
				return
			}
			if err := st.Send(m); err != nil {
				n.subs.store(m)
				return
			}
			if sent++; count > 0 && sent >= count {
				return
			}
		}
	}
}

func (n *Node) apiPing(w http.ResponseWriter, r *http.Request) {
	var req PingRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		localapi.WriteError(w, err)
		return
	}
	if req.Count <= 0 || req.Count > 10000 {
		localapi.WriteError(w, localapi.BadRequest("count must be 1..10000"))
		return
	}
	t, err := n.Resolve(r.Context(), req.Target)
	if err != nil {
		localapi.WriteError(w, resolveErr(err))
		return
	}
	pid := t.Card.PeerID()
	if pid == n.host.ID() {
		localapi.WriteError(w, localapi.BadRequest("cannot ping this node itself"))
		return
	}
	if err := n.connect(r.Context(), peer.AddrInfo{ID: pid, Addrs: t.Card.Addrs}); err != nil {
		localapi.WriteError(w, localapi.Errorf(http.StatusServiceUnavailable, "unreachable", "cannot reach %s: %v", t.Card.Overlay(), err))
		return
	}
	st := localapi.NewStream(w)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	results := ping.Ping(network.WithAllowLimitedConn(ctx, "ping"), n.host, pid)
	for seq := 1; seq <= req.Count; seq++ {
		if seq > 1 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
		res := PingResult{Seq: seq}
		select {
		case <-ctx.Done():
			return
		case pr, ok := <-results:
			switch {
			case !ok:
				res.Error = "ping stream closed"
			case pr.Error != nil:
				res.Error = pr.Error.Error()
			default:
				res.RTTMS = float64(pr.RTT.Microseconds()) / 1000
			}
		case <-time.After(10 * time.Second):
			res.Error = "timeout"
		}
		if st.Send(res) != nil {
			return
		}
	}
}
