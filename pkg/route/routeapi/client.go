package routeapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mainframe/mf/pkg/localapi"
)

// Client is the typed client of mf-route's local API; the mf-route commands
// and other mf services use nothing else to talk to the daemon.
type Client struct {
	c *localapi.Client
	// raw carries streaming calls, whose bodies the JSON client would
	// hold whole.
	rawOnce sync.Once
	raw     *http.Client
}

// NewClient returns a client for the daemon of home.
func NewClient(home string) *Client { return &Client{c: localapi.NewClient(SocketPath(home))} }

// Status returns the node's identity and counters.
func (c *Client) Status(ctx context.Context) (*StatusInfo, error) {
	var out StatusInfo
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/status", nil, &out)
}

// Peers lists connected peers.
func (c *Client) Peers(ctx context.Context) ([]PeerInfo, error) {
	var out []PeerInfo
	return out, c.c.Call(ctx, http.MethodGet, "/v0/peers", nil, &out)
}

// Contacts lists the contact book.
func (c *Client) Contacts(ctx context.Context) ([]ContactInfo, error) {
	var out []ContactInfo
	return out, c.c.Call(ctx, http.MethodGet, "/v0/contacts", nil, &out)
}

// AddContact stores a card under name.
func (c *Client) AddContact(ctx context.Context, name, card string) (*ContactInfo, error) {
	var out ContactInfo
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/contacts", ContactInfo{Name: name, Card: card}, &out)
}

// RemoveContact deletes a contact.
func (c *Client) RemoveContact(ctx context.Context, name string) error {
	return c.c.Call(ctx, http.MethodDelete, "/v0/contacts/"+url.PathEscape(name), nil, nil)
}

// Resolve turns a target into a card.
func (c *Client) Resolve(ctx context.Context, target string) (*ContactInfo, error) {
	var out ContactInfo
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/resolve", ResolveRequest{Target: target}, &out)
}

// Send sends one packet.
//
// The payload travels as a raw body, the rest in the query string.
func (c *Client) Send(ctx context.Context, req SendRequest) (*SendResult, error) {
	var out SendResult
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/send?"+req.Query().Encode(), localapi.Octets(req.Payload), &out)
}

// Listen streams messages on topic to fn until count messages (0: no
// limit), ctx ends, or fn fails.
func (c *Client) Listen(ctx context.Context, topic string, count int, fn func(*Message) error) error {
	return c.ListenOpen(ctx, topic, count, nil, fn)
}

// ListenOpen is Listen that calls opened once the daemon is subscribed, so a
// caller can start sending knowing nothing will be missed.
func (c *Client) ListenOpen(ctx context.Context, topic string, count int, opened func(), fn func(*Message) error) error {
	q := url.Values{"topic": {topic}}
	if count > 0 {
		q.Set("count", strconv.Itoa(count))
	}
	return c.c.StreamOpen(ctx, http.MethodGet, "/v0/listen?"+q.Encode(), nil, opened, func(line []byte) error {
		var m Message
		if err := json.Unmarshal(line, &m); err != nil {
			return err
		}
		return fn(&m)
	})
}

// Ping pings target count times, calling fn with each result.
func (c *Client) Ping(ctx context.Context, target string, count int, fn func(PingResult) error) error {
	return c.c.Stream(ctx, http.MethodPost, "/v0/ping", PingRequest{Target: target, Count: count}, func(line []byte) error {
		var r PingResult
		if err := json.Unmarshal(line, &r); err != nil {
			return err
		}
		return fn(r)
	})
}

// AddContactWith stores a card under name with a default luminosity.
func (c *Client) AddContactWith(ctx context.Context, name, card string, luminosity *int) (*ContactInfo, error) {
	var out ContactInfo
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/contacts", ContactInfo{Name: name, Card: card, Luminosity: luminosity}, &out)
}

// Estimate predicts the cost of a send without sending.
func (c *Client) Estimate(ctx context.Context, req SendRequest) (*Estimate, error) {
	var out Estimate
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/estimate", req, &out)
}

// Luminosity advises a luminosity for an anonymity set of k.
func (c *Client) Luminosity(ctx context.Context, k int) (*LuminosityAdvice, error) {
	var out LuminosityAdvice
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/luminosity?anonymity="+strconv.Itoa(k), nil, &out)
}

// Receipts lists the certified packets sent from this node.
func (c *Client) Receipts(ctx context.Context) ([]SentRecord, error) {
	var out []SentRecord
	return out, c.c.Call(ctx, http.MethodGet, "/v0/receipts", nil, &out)
}

// Receipt returns one certified packet's record.
func (c *Client) Receipt(ctx context.Context, id string) (*SentRecord, error) {
	var out SentRecord
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/receipts/"+url.PathEscape(id), nil, &out)
}

// Bonds lists the settled bond links after event number after, oldest
// first (at most a thousand at a time).
func (c *Client) Bonds(ctx context.Context, after uint64) ([]BondEvent, error) {
	var out []BondEvent
	return out, c.c.Call(ctx, http.MethodGet, "/v0/bonds?after="+strconv.FormatUint(after, 10), nil, &out)
}

// Ledger lists the certified packets this node relayed, with their bonds.
func (c *Client) Ledger(ctx context.Context) ([]LedgerEntry, error) {
	var out []LedgerEntry
	return out, c.c.Call(ctx, http.MethodGet, "/v0/ledger", nil, &out)
}

// Topics lists the watched topics.
func (c *Client) Topics(ctx context.Context) ([]string, error) {
	var out []string
	return out, c.c.Call(ctx, http.MethodGet, "/v0/topics", nil, &out)
}

// Unwatch stops collecting a topic and empties its inbox.
func (c *Client) Unwatch(ctx context.Context, topic string) error {
	return c.c.Call(ctx, http.MethodDelete, "/v0/topics/"+url.PathEscape(topic), nil, nil)
}

// OpenSession starts a session with a contact.
func (c *Client) OpenSession(ctx context.Context, req SessionRequest) (*SessionInfo, error) {
	var out SessionInfo
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/sessions", req, &out)
}

// Sessions lists sessions.
func (c *Client) Sessions(ctx context.Context) ([]SessionInfo, error) {
	var out []SessionInfo
	return out, c.c.Call(ctx, http.MethodGet, "/v0/sessions", nil, &out)
}

// CreateGroup creates a group and hands its key to the members.
func (c *Client) CreateGroup(ctx context.Context, req GroupRequest) (*GroupInfo, error) {
	var out GroupInfo
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/groups", req, &out)
}

// Groups lists groups.
func (c *Client) Groups(ctx context.Context) ([]GroupInfo, error) {
	var out []GroupInfo
	return out, c.c.Call(ctx, http.MethodGet, "/v0/groups", nil, &out)
}

// ResendGroup hands the current key of a group this node owns again to the
// members that have not confirmed it.
func (c *Client) ResendGroup(ctx context.Context, name string) (*GroupInfo, error) {
	var out GroupInfo
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/groups/"+url.PathEscape(name)+"/resend", nil, &out)
}

// ChangeGroup adds or removes members of a group this node owns; the group
// gets a new key.
func (c *Client) ChangeGroup(ctx context.Context, name string, ch GroupChange) (*GroupInfo, error) {
	var out GroupInfo
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/groups/"+url.PathEscape(name)+"/members", ch, &out)
}

// Usage returns the bytes exchanged with each peer since the daemon
// started.
func (c *Client) Usage(ctx context.Context) (*Usage, error) {
	var out Usage
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/usage", nil, &out)
}

// ChangesAfter waits until contacts, sessions or groups change past
// version (an earlier answer's), or wait passes, and returns the version
// then. Version 0 with wait 0 reads the current one.
func (c *Client) ChangesAfter(ctx context.Context, version uint64, wait time.Duration) (uint64, error) {
	var out Changes
	path := fmt.Sprintf("/v0/changes?version=%d&wait=%s", version, wait)
	err := c.c.Call(ctx, http.MethodGet, path, nil, &out)
	return out.Version, err
}

// UsageAfter is Usage once the counters or the bond events moved past
// version (an earlier answer's), or after wait.
func (c *Client) UsageAfter(ctx context.Context, version uint64, wait time.Duration) (*Usage, error) {
	var out Usage
	path := fmt.Sprintf("/v0/usage?version=%d&wait=%s", version, wait)
	return &out, c.c.Call(ctx, http.MethodGet, path, nil, &out)
}

// Block refuses (or restores) service to a peer.
func (c *Client) Block(ctx context.Context, peerID string, blocked bool) error {
	return c.c.Call(ctx, http.MethodPost, "/v0/blocks", BlockRequest{Peer: peerID, Blocked: blocked}, nil)
}

// MaxServiceAnswer bounds the JSON answer CallService reads, and
// ServiceCallTimeout the call when ctx sets no deadline: the gateway
// streams bodies of any size for as long as both ends want, but a JSON call
// to a peer that may be hostile must not read without end.
const (
	MaxServiceAnswer   = 4 << 20
	ServiceCallTimeout = 30 * time.Second
)

// CallService sends a JSON request to a peer's service through the gateway
// and decodes the JSON answer, of at most MaxServiceAnswer bytes, into out.
func (c *Client) CallService(ctx context.Context, peer, service, method, path string, in, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, ServiceCallTimeout)
		defer cancel()
	}
	sc := ServiceCall{Peer: peer, Service: service, Method: method, Path: path}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		sc.Body, sc.Length, sc.ContentType = bytes.NewReader(b), int64(len(b)), "application/json"
	}
	resp, err := c.CallServiceStream(ctx, sc)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxServiceAnswer))
		return err
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, MaxServiceAnswer)).Decode(out); err != nil {
		return fmt.Errorf("route: bad answer from %s's mf-%s: %w", peer, service, err)
	}
	return nil
}

// IsNotRunning reports whether err means the daemon is not running.
func IsNotRunning(err error) bool { return err == localapi.ErrNotRunning }

// ServiceCall is a call to a peer's service whose bodies stream: Body is
// sent as it is read (nil: none), and the answer's body is read as the peer
// writes it.
type ServiceCall struct {
	Peer, Service, Method, Path string
	// ContentType of Body; empty: application/octet-stream.
	ContentType string
	Body        io.Reader
	// Length of Body if known (it then travels with a Content-Length);
	// -1 or 0 with a Body: unknown, sent chunked.
	Length int64
}

// CallServiceStream makes a streaming call through the gateway. The caller
// must close the response's body; a status of 300 or more comes back as a
// *localapi.Error, as with every other call.
func (c *Client) CallServiceStream(ctx context.Context, sc ServiceCall) (*http.Response, error) {
	path := "/v0/call/" + url.PathEscape(sc.Peer) + "/" + sc.Service + "/" + strings.TrimPrefix(sc.Path, "/")
	var body io.Reader
	if sc.Body != nil {
		body = BigReader{R: sc.Body}
	}
	req, err := http.NewRequestWithContext(ctx, sc.Method, "http://mf"+path, body)
	if err != nil {
		return nil, err
	}
	if sc.Body != nil {
		req.ContentLength = sc.Length
		if sc.Length == 0 {
			req.ContentLength = -1
		}
		ct := sc.ContentType
		if ct == "" {
			ct = localapi.OctetStream
		}
		req.Header.Set("Content-Type", ct)
	}
	return c.rawDo(req)
}

// rawDo makes a call whose bodies stream, on its own HTTP client: the
// JSON client would hold them whole. A status of 300 or more comes back
// as a *localapi.Error.
func (c *Client) rawDo(req *http.Request) (*http.Response, error) {
	c.rawOnce.Do(func() {
		// Large buffers: a body moves in a few big writes, not many 4 KiB
		// ones.
		sock := c.c.Socket
		c.raw = &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", sock)
			},
			MaxIdleConnsPerHost: 16,
			DisableCompression:  true,
			WriteBufferSize:     128 << 10,
			ReadBufferSize:      128 << 10,
		}}
	})
	resp, err := c.raw.Do(req)
	if err != nil {
		if localapi.IsConnRefused(err) {
			return nil, localapi.ErrNotRunning
		}
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		e := &localapi.Error{Status: resp.StatusCode}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, localapi.MaxBody))
		if json.Unmarshal(b, e) != nil || e.Message == "" {
			e.Message = "daemon answered " + resp.Status
		}
		return nil, e
	}
	return resp, nil
}

// Announce announces a service in the DHT, or renews its lease; lease 0
// means DefaultServiceLease. Renew it well within the lease while the
// service runs.
func (c *Client) Announce(ctx context.Context, service string, lease time.Duration) (*Announcement, error) {
	var out Announcement
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/services", AnnounceRequest{Service: service, LeaseSeconds: int(lease / time.Second)}, &out)
}

// Withdraw stops announcing a service.
func (c *Client) Withdraw(ctx context.Context, service string) error {
	return c.c.Call(ctx, http.MethodDelete, "/v0/services/"+url.PathEscape(service), nil, nil)
}

// Announcements lists the services this node announces.
func (c *Client) Announcements(ctx context.Context) ([]Announcement, error) {
	var out []Announcement
	return out, c.c.Call(ctx, http.MethodGet, "/v0/services", nil, &out)
}

// Providers looks up the nodes that announce a service (limit 0: the most
// the daemon returns). They are claims: check each against its manifest.
func (c *Client) Providers(ctx context.Context, service string, limit int) ([]Provider, error) {
	var out []Provider
	p := "/v0/providers/" + url.PathEscape(service)
	if limit > 0 {
		p += "?limit=" + strconv.Itoa(limit)
	}
	return out, c.c.Call(ctx, http.MethodGet, p, nil, &out)
}

// SendStreamWindow is how many packets SendStream has sent and not yet
// had answered. The daemon answers a packet once it is queued for its first
// hop, and it queues only what that hop takes in a few milliseconds; the
// window keeps the socket between them from becoming a queue of its own
// (a socket buffer holds dozens of packets, hundreds of milliseconds of
// them on a busy machine), so next is called when the daemon can take more.
// Two: one packet the daemon works on, the next one ready behind it.
const SendStreamWindow = 2

// SendStream sends every packet next yields (nil: no more) over one call
// to /v0/send/stream, and hands fn each answer, in order: the packet's
// result, or why it was not sent (Error set). Requests are written as
// next yields them, while answers come back, at most SendStreamWindow
// ahead of the answers, so that a sender is held back by the daemon's
// pace. It returns the first error of the call itself, or fn's.
func (c *Client) SendStream(ctx context.Context, next func() *SendRequest, fn func(*SendStreamResult) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	window := make(chan struct{}, SendStreamWindow)
	go func() {
		enc := json.NewEncoder(pw)
		for {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				pw.CloseWithError(ctx.Err())
				return
			}
			req := next()
			if req == nil {
				break
			}
			if err := enc.Encode(req); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.Close()
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://mf/v0/send/stream", pr)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := c.rawDo(req)
	if err != nil {
		pr.CloseWithError(err)
		return err
	}
	defer resp.Body.Close()
	defer pr.Close() // ends the writer if the daemon stopped reading
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var r SendStreamResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return fmt.Errorf("send stream: bad answer line: %v", err)
		}
		select {
		case <-window:
		default: // an answer to no request: the daemon's to judge
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return sc.Err()
}

// GroupReceipt returns one certified group packet's record, with a
// receipt per member.
func (c *Client) GroupReceipt(ctx context.Context, id string) (*GroupSentRecord, error) {
	var out GroupSentRecord
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/group-receipts/"+url.PathEscape(id), nil, &out)
}

// GroupReceipts lists the certified group packets sent from this node,
// newest first.
func (c *Client) GroupReceipts(ctx context.Context) ([]GroupSentRecord, error) {
	var out []GroupSentRecord
	return out, c.c.Call(ctx, http.MethodGet, "/v0/group-receipts", nil, &out)
}
