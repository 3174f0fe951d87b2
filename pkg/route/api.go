package route

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
)

// The endpoints of the local API are listed in routeapi's package doc,
// beside the types and the client.

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
	mux.HandleFunc("POST /v0/send/stream", n.apiSendStream)
	mux.Handle("POST /v0/estimate", localapi.Handle(n.apiEstimate))
	mux.HandleFunc("GET /v0/listen", n.apiListen)
	mux.Handle("GET /v0/topics", localapi.Handle(n.apiTopics))
	mux.Handle("DELETE /v0/topics/{topic}", localapi.Handle(n.apiUnwatch))
	mux.Handle("GET /v0/receipts", localapi.Handle(n.apiReceipts))
	mux.Handle("GET /v0/receipts/{id}", localapi.Handle(n.apiReceipt))
	mux.Handle("GET /v0/group-receipts", localapi.Handle(n.apiGroupReceipts))
	mux.Handle("GET /v0/group-receipts/{id}", localapi.Handle(n.apiGroupReceipt))
	mux.Handle("GET /v0/ledger", localapi.Handle(n.apiLedger))
	mux.Handle("GET /v0/bonds", localapi.Handle(n.apiBonds))
	mux.Handle("GET /v0/luminosity", localapi.Handle(n.apiLuminosity))
	mux.HandleFunc("/v0/call/{peer}/{service}/{path...}", n.apiCall)
	mux.Handle("GET /v0/usage", localapi.Handle(n.apiUsage))
	mux.Handle("GET /v0/changes", localapi.Handle(n.apiChanges))
	mux.Handle("POST /v0/services", localapi.Handle(n.apiAnnounce))
	mux.Handle("GET /v0/services", localapi.Handle(n.apiAnnouncements))
	mux.Handle("DELETE /v0/services/{service}", localapi.Handle(n.apiWithdraw))
	mux.Handle("GET /v0/providers/{service}", localapi.Handle(n.apiProviders))
	mux.Handle("POST /v0/blocks", localapi.Handle(n.apiBlock))
	mux.Handle("POST /v0/sessions", localapi.Handle(n.apiOpenSession))
	mux.Handle("GET /v0/sessions", localapi.Handle(n.apiSessions))
	mux.Handle("POST /v0/groups", localapi.Handle(n.apiCreateGroup))
	mux.Handle("GET /v0/groups", localapi.Handle(n.apiGroups))
	mux.Handle("POST /v0/groups/{name}/members", localapi.Handle(n.apiChangeGroup))
	mux.Handle("POST /v0/groups/{name}/resend", localapi.Handle(n.apiResendGroup))
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
	n.subs.mu.Lock()
	inbox := n.subs.inbox
	n.subs.mu.Unlock()
	neighbours := 0
	if nb := n.neighbours.Load(); nb != nil {
		neighbours = len(nb.peers)
	}
	return StatusInfo{
		IDInfo:         n.idInfo(),
		Peers:          len(n.host.Network().Peers()),
		Neighbours:     neighbours,
		Published:      n.published.Load(),
		Listeners:      n.subs.count(),
		Uptime:         time.Since(n.start).Seconds(),
		Packets:        n.stats.Snapshot(),
		Inbox:          inbox.total,
		InboxStrangers: inbox.strangers,
		Reachability:   n.Reachability(),
		Relays:         n.Relays(),
		DHT:            n.dhtRole(),
	}, nil
}

func (n *Node) apiPeers(w http.ResponseWriter, r *http.Request) (any, error) {
	out := []PeerInfo{}
	nb := n.neighbours.Load()
	for _, p := range n.host.Network().Peers() {
		conns := n.host.Network().ConnsToPeer(p)
		if len(conns) == 0 {
			continue
		}
		// Show the best connection: a direct one where there is one
		// (hole punching leaves the relayed one open for a while).
		c := conns[0]
		for _, cc := range conns {
			if !cc.Stat().Limited && !isRelayAddr(cc.RemoteMultiaddr()) {
				c = cc
				break
			}
		}
		path := "direct"
		if c.Stat().Limited || isRelayAddr(c.RemoteMultiaddr()) {
			path = "relayed"
		}
		pi := PeerInfo{
			PeerID:    p.String(),
			Overlay:   identity.OverlayOf(p),
			Addr:      c.RemoteMultiaddr().String(),
			Direction: c.Stat().Direction.String(),
			Neighbour: nb != nil && slices.Contains(nb.peers, p),
			Path:      path,
		}
		if l := n.host.Peerstore().LatencyEWMA(p); l > 0 {
			pi.LatencyMS = float64(l.Microseconds()) / 1000
		}
		n.mu.Lock()
		w := n.writers[p]
		n.mu.Unlock()
		if w != nil {
			pi.QueuedBytes, pi.QueueLimit = w.room.queued()
		}
		out = append(out, pi)
	}
	return out, nil
}

func contactInfo(name string, c *identity.Card, lum *int) ContactInfo {
	o := c.Overlay()
	return ContactInfo{Name: name, Card: c.String(), Overlay: &o, PeerID: c.PeerID().String(), Address: c.Address().Hex(), Luminosity: lum}
}

func (n *Node) apiContacts(w http.ResponseWriter, r *http.Request) (any, error) {
	cs, err := n.Contacts()
	if err != nil {
		return nil, err
	}
	out := []ContactInfo{}
	for _, c := range cs {
		out = append(out, contactInfo(c.Name, c.Card, c.Luminosity))
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
	if req.Luminosity != nil && (*req.Luminosity < 0 || *req.Luminosity > 256) {
		return nil, localapi.BadRequest("luminosity must be 0..256, not %d", *req.Luminosity)
	}
	if err := n.AddContact(req.Name, c, req.Luminosity); err != nil {
		if errors.Is(err, ErrContactName) || errors.Is(err, ErrContactTarget) || errors.Is(err, ErrContactExists) {
			return nil, localapi.BadRequest("%v", err)
		}
		return nil, err
	}
	return contactInfo(req.Name, c, req.Luminosity), nil
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
	return contactInfo(t.Name, t.Card, t.Luminosity), nil
}

func (n *Node) apiSend(w http.ResponseWriter, r *http.Request) (any, error) {
	var req SendRequest
	if localapi.IsOctets(r) {
		if err := req.FromQuery(r.URL.Query()); err != nil {
			return nil, err
		}
		var err error
		if req.Payload, err = localapi.ReadOctets(w, r, MaxPayload); err != nil {
			return nil, err
		}
	} else if err := localapi.DecodeBody(w, r, &req, maxSendBody); err != nil {
		return nil, err
	}
	return n.sendOne(r.Context(), req)
}

// sendOne sends what req asks: to a target, in a session, or to a group.
func (n *Node) sendOne(ctx context.Context, req SendRequest) (*SendResult, error) {
	if len(req.Payload) > MaxPayload {
		return nil, localapi.Errorf(http.StatusRequestEntityTooLarge, "too_large", "payload of %d bytes is over the %d-byte limit", len(req.Payload), MaxPayload)
	}
	var flags0 byte
	if req.Bench {
		flags0 |= FlagBench
	}
	if req.Group != "" {
		if req.To != "" || req.Topic != "" || req.Luminosity != nil {
			return nil, localapi.BadRequest("a group send takes no target, topic or luminosity: the group has them")
		}
		send := n.SendGroup
		if req.Certify {
			send = n.SendGroupCertified // a signed receipt per member: groupreceipt.go
		}
		id, members, err := send(ctx, req.Group, flags0, req.Payload)
		if errors.Is(err, ErrNoGroup) || errors.Is(err, ErrGroupEmpty) {
			return nil, localapi.BadRequest("%v", err)
		}
		if err != nil {
			return nil, err
		}
		return &SendResult{ID: fmt.Sprintf("%x", id), Bytes: len(req.Payload), Certify: req.Certify, SentAt: time.Now(), Group: req.Group, Members: members}, nil
	}
	if !validTopic(req.Topic) {
		return nil, localapi.BadRequest("topic must be 1..%d bytes without NUL", MaxTopic)
	}
	if x := n.sess.get(req.Topic); x != nil && req.Luminosity == nil {
		if req.To != "" {
			t, err := n.Resolve(ctx, req.To)
			if err != nil {
				return nil, resolveErr(err)
			}
			if t.Card.Overlay() != x.peer.Overlay() {
				return nil, localapi.BadRequest("topic %s is a session with %s, not with %s", req.Topic, x.peer.Overlay(), t.Card.Overlay())
			}
		}
		send := n.SendSession
		if req.Certify {
			send = n.SendSessionCertified
		}
		id, err := send(ctx, req.Topic, flags0, req.Payload)
		if err != nil {
			return nil, err
		}
		return &SendResult{ID: fmt.Sprintf("%x", id), To: x.peer.Overlay(), Bytes: len(req.Payload), Luminosity: x.Luminosity, Certify: req.Certify, SentAt: time.Now(), Session: true}, nil
	}
	if ReservedTopic(req.Topic) && !(req.Topic == BenchTopic && req.Bench) {
		// Receivers drop plain packets on these topics (reserved.go).
		if n.sess.get(req.Topic) != nil {
			return nil, localapi.BadRequest("topic %s is a session: its packets take no luminosity (the session has one)", req.Topic)
		}
		return nil, localapi.BadRequest("topic %s is reserved for the daemon (topics starting with group/, g/, s/ or mf/ are)", req.Topic)
	}
	if req.To == "" {
		return nil, localapi.BadRequest("a send needs a target (to), a session topic, or a group")
	}
	t, lum, err := n.sendTarget(ctx, req)
	if err != nil {
		return nil, err
	}
	var flags byte
	if req.Bench {
		flags |= FlagBench
	}
	sentAt := time.Now()
	id, err := n.Send(ctx, t.Card, SendOptions{Topic: req.Topic, Payload: req.Payload, Flags: flags, Luminosity: lum, Certify: req.Certify})
	if err != nil {
		if errors.Is(err, ErrNoRoute) {
			return nil, localapi.Errorf(http.StatusServiceUnavailable, "no_route", "%v", err)
		}
		return nil, err
	}
	return &SendResult{ID: fmt.Sprintf("%x", id), To: t.Card.Overlay(), Bytes: len(req.Payload), Luminosity: lum, Certify: req.Certify, SentAt: sentAt, Contact: t.Name}, nil
}

// apiSendStream sends one packet per line of an NDJSON body of
// SendRequests (payloads in base64) and answers, in order, one line per
// request: its SendResult, or its error. One call carries any number of
// packets, so a script or the bench pays for HTTP once, not per packet.
// The call reads a line only once the one before it is sent, which is
// what pushes back on a sender that is faster than the network. Answers
// are flushed whenever no further request is waiting, so a sender that
// waits for each answer gets it at once.
func (n *Node) apiSendStream(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.EnableFullDuplex()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	enc := json.NewEncoder(w)
	br := bufio.NewReaderSize(r.Body, 64<<10)
	for line := 1; ; line++ {
		b, err := readLine(br, maxSendBody)
		if err == io.EOF {
			return
		}
		var res SendStreamResult
		if err == nil {
			var req SendRequest
			if jerr := json.Unmarshal(b, &req); jerr != nil {
				err = localapi.BadRequest("line %d is not a send request: %v", line, jerr)
			} else {
				res.SendResult, err = n.sendOne(r.Context(), req)
			}
		}
		if err != nil {
			if r.Context().Err() != nil {
				return
			}
			e := localapi.AsError(err)
			res.Error, res.Code = e.Message, e.Code
		}
		// Each answer goes out at once: a client keeps only a few
		// packets unanswered (routeapi.SendStreamWindow), and waits for
		// this one before it sends more.
		if enc.Encode(&res) != nil || rc.Flush() != nil {
			return
		}
		if errors.Is(err, errLineTooLong) {
			// What follows is the rest of that line: nothing to resync on.
			return
		}
	}
}

var errLineTooLong = localapi.Errorf(http.StatusRequestEntityTooLarge, "too_large", "a send request line is over the %d-byte limit", maxSendBody)

// readLine reads one line of at most max bytes, without its newline.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > max {
			return nil, errLineTooLong
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(line) > 0:
			return line, nil
		case err != nil:
			return nil, err
		}
		return line[:len(line)-1], nil
	}
}

// sendTarget resolves a send's target and its luminosity: the request's,
// else the contact's, else the node's default.
func (n *Node) sendTarget(ctx context.Context, req SendRequest) (*Target, int, error) {
	if req.Luminosity != nil && (*req.Luminosity < 0 || *req.Luminosity > 256) {
		return nil, 0, localapi.BadRequest("luminosity must be 0..256, not %d", *req.Luminosity)
	}
	t, err := n.Resolve(ctx, req.To)
	if err != nil {
		return nil, 0, resolveErr(err)
	}
	lum := n.opts.Luminosity
	switch {
	case req.Luminosity != nil:
		lum = *req.Luminosity
	case t.Luminosity != nil:
		lum = *t.Luminosity
	}
	return t, lum, nil
}

func (n *Node) apiEstimate(w http.ResponseWriter, r *http.Request) (any, error) {
	var req SendRequest
	if err := localapi.DecodeBody(w, r, &req, maxSendBody); err != nil {
		return nil, err
	}
	_, lum, err := n.sendTarget(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return EstimateCost(n.networkSize(), lum), nil
}

// networkSize estimates the network from the DHT's routing table and the
// connected peers.
func (n *Node) networkSize() float64 {
	var overlays []identity.Overlay
	for _, p := range n.kad.RoutingTable().ListPeers() {
		overlays = append(overlays, identity.OverlayOf(p))
	}
	for _, p := range n.connectedPeers() {
		overlays = append(overlays, identity.OverlayOf(p))
	}
	return EstimateNetworkSize(n.self, overlays)
}

func (n *Node) apiLuminosity(w http.ResponseWriter, r *http.Request) (any, error) {
	k, err := strconv.Atoi(r.URL.Query().Get("anonymity"))
	if err != nil || k < 1 {
		return nil, localapi.BadRequest("anonymity must be a whole number of at least 1")
	}
	size := n.networkSize()
	bits := AdviseLuminosity(size, k)
	return LuminosityAdvice{Anonymity: k, Estimate: EstimateCost(size, bits)}, nil
}

func (n *Node) apiTopics(w http.ResponseWriter, r *http.Request) (any, error) {
	ts := n.subs.watchedTopics()
	sort.Strings(ts)
	return ts, nil
}

func (n *Node) apiUnwatch(w http.ResponseWriter, r *http.Request) (any, error) {
	ok, err := n.subs.unwatch(r.PathValue("topic"))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, localapi.NotFound("topic %q is not watched", r.PathValue("topic"))
	}
	return struct{}{}, nil
}

func (n *Node) apiReceipts(w http.ResponseWriter, r *http.Request) (any, error) {
	rs, err := n.certs.sent()
	if rs == nil {
		rs = []SentRecord{}
	}
	return rs, err
}

func (n *Node) apiReceipt(w http.ResponseWriter, r *http.Request) (any, error) {
	b, err := hex.DecodeString(r.PathValue("id"))
	if err != nil || len(b) != 32 {
		return nil, localapi.BadRequest("a packet id is 64 hex digits")
	}
	rec, err := n.certs.record([32]byte(b))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, localapi.NotFound("no certified packet %x was sent from this node", b)
	}
	return rec, err
}

func (n *Node) apiLedger(w http.ResponseWriter, r *http.Request) (any, error) {
	es, err := n.certs.ledger()
	if es == nil {
		es = []LedgerEntry{}
	}
	return es, err
}

func (n *Node) apiListen(w http.ResponseWriter, r *http.Request) {
	topic := r.URL.Query().Get("topic")
	if !validTopic(topic) {
		localapi.WriteError(w, localapi.BadRequest("topic must be 1..%d bytes without NUL", MaxTopic))
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
	release, err := n.streamSlot()
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	defer release()
	sub, waiting, keys, err := n.subs.subscribe(topic)
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	defer n.subs.unsubscribe(sub)
	st := localapi.NewStream(w)
	sent := 0
	// A message stored before it was handed out can be both in the inbox
	// scan and on the channel: it goes out once.
	scanned := make(map[string]bool, len(keys))
	for i, m := range waiting {
		scanned[string(keys[i])] = true
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
		case <-n.subs.done:
			return
		case m := <-sub.ch:
			if m.InboxKey != nil && scanned[string(m.InboxKey)] {
				continue
			}
			if err := st.Send(m); err != nil {
				if m.InboxKey == nil {
					n.subs.store(m)
				}
				return
			}
			if m.InboxKey != nil {
				n.subs.consumed(m.InboxKey)
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

func (n *Node) apiOpenSession(w http.ResponseWriter, r *http.Request) (any, error) {
	var req SessionRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	t, lum, err := n.sendTarget(r.Context(), SendRequest{To: req.With, Luminosity: req.Luminosity})
	if err != nil {
		return nil, err
	}
	if t.Card.Overlay() == n.self {
		return nil, localapi.BadRequest("cannot open a session with this node itself")
	}
	topic, err := n.sess.open(t.Card, lum)
	if err != nil {
		if errors.Is(err, ErrNoRoute) {
			return nil, localapi.Errorf(http.StatusServiceUnavailable, "no_route", "%v", err)
		}
		return nil, err
	}
	x := n.sess.get(topic)
	return SessionInfo{Topic: topic, Peer: x.peer.Overlay(), Luminosity: x.Luminosity, OpenedHere: true, Created: x.Created, Epoch: x.Send}, nil
}

func (n *Node) apiSessions(w http.ResponseWriter, r *http.Request) (any, error) {
	return n.sess.list(), nil
}

func (n *Node) groupContacts(names []string) ([]Contact, error) {
	var out []Contact
	for _, name := range names {
		c, err := n.Contact(name)
		if err != nil {
			return nil, localapi.BadRequest("member %q: %v", name, err)
		}
		out = append(out, Contact{Name: name, Card: c})
	}
	return out, nil
}

func groupErr(err error) error {
	for _, e := range []error{ErrNoGroup, ErrGroupName, ErrGroupExists, ErrGroupEmpty, ErrDuplicateMember, ErrNotOwner} {
		if errors.Is(err, e) {
			return localapi.BadRequest("%v", err)
		}
	}
	return err
}

func (n *Node) groupInfo(name string) (any, error) {
	for _, gi := range n.groups.list() {
		if gi.Name == name {
			return gi, nil
		}
	}
	return nil, localapi.NotFound("no group %s", name)
}

func (n *Node) apiCreateGroup(w http.ResponseWriter, r *http.Request) (any, error) {
	var req GroupRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	lum := n.opts.Luminosity
	if req.Luminosity != nil {
		if *req.Luminosity < 0 || *req.Luminosity > 256 {
			return nil, localapi.BadRequest("luminosity must be 0..256, not %d", *req.Luminosity)
		}
		lum = *req.Luminosity
	}
	if !groupName.MatchString(req.Name) {
		return nil, localapi.BadRequest("%v", ErrGroupName)
	}
	members, err := n.groupContacts(req.Members)
	if err != nil {
		return nil, err
	}
	if _, err := n.groups.create(req.Name, members, lum); err != nil {
		return nil, groupErr(err)
	}
	return n.groupInfo(req.Name)
}

func (n *Node) apiGroups(w http.ResponseWriter, r *http.Request) (any, error) {
	return n.groups.list(), nil
}

func (n *Node) apiChangeGroup(w http.ResponseWriter, r *http.Request) (any, error) {
	var req GroupChange
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	if len(req.Add)+len(req.Remove) == 0 {
		return nil, localapi.BadRequest("nothing to change: give members to add or remove")
	}
	add, err := n.groupContacts(req.Add)
	if err != nil {
		return nil, err
	}
	name := r.PathValue("name")
	if _, err := n.groups.change(name, add, req.Remove); err != nil {
		return nil, groupErr(err)
	}
	return n.groupInfo(name)
}

func (n *Node) apiResendGroup(w http.ResponseWriter, r *http.Request) (any, error) {
	name := r.PathValue("name")
	if _, err := n.groups.resend(name); err != nil {
		if errors.Is(err, ErrNoGroup) {
			return nil, localapi.NotFound("%v", err)
		}
		return nil, groupErr(err)
	}
	return n.groupInfo(name)
}

// validTopic: inbox keys end a topic with NUL, so a topic cannot hold one.
func validTopic(t string) bool {
	return t != "" && len(t) <= MaxTopic && !strings.ContainsRune(t, 0)
}
