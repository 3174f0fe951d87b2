package routeapi

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/wire"
)

// Receipt kinds.
const (
	// ReceiptReceived: the signer took the packet as a member of its
	// destination zone (for a fully addressed packet: the recipient got it).
	ReceiptReceived = 0
	// ReceiptUnreachable: the signer could not pass the packet on and
	// dropped it (the ttl ran out, or the write handing it on or back
	// failed): finger pointing.
	// How close the signer is to the destination follows from its address.
	ReceiptUnreachable = 1
	// ReceiptTaken: the signer was handed the packet, by Prev, and answers
	// for it from now on. Every hop asked for proof signs one at once, so a
	// sender that hears nothing more can follow the hops to the last one
	// that took the packet: the one that showed no proof.
	ReceiptTaken = 2
	// ReceiptReturned: the signer, handed the packet by Prev, gave it back
	// to Prev (it had no untried peer left to pass it to), or gave back a
	// copy that came round a loop from Prev (backtrack.go). It answers
	// for the signer's part without ending the packet's walk: the sender
	// stops counting the signer as holding the packet, and names the
	// farthest such hop when every way was tried.
	ReceiptReturned = 3
)

// ReceiptLen is the size of a marshalled receipt.
const ReceiptLen = 32 + 1 + 32 + 65

// ErrReceipt means a receipt is malformed or its signature invalid.
var ErrReceipt = errors.New("route: invalid receipt")

// ReceiptHeld is reserved for mf-hold: a delegate's signed statement that
// it holds the packet for an offline recipient, naming the hop that handed
// it over. It will count as proof of handover for the hops before it, like
// an acceptance; decoders refuse it until mf-hold issues it.
const ReceiptHeld = 4

// Bond event roles, from the point of view of the node that reports them.
const (
	BondEarned  = "earned"  // the previous hop owes this node the bond
	BondForfeit = "forfeit" // this node showed no proof: it owes the previous hop
	BondPaid    = "paid"    // the next hop showed proof: this node owes it
	BondCharged = "charged" // the next hop showed no proof: it owes this node
)

// Headers the gateway sets on requests it hands to a local service.
const (
	HeaderPeerID      = "X-Mf-Peer-Id"
	HeaderPeerOverlay = "X-Mf-Peer-Overlay"
	HeaderPeerAddress = "X-Mf-Peer-Address"
)

// StatusInfo is /v0/status.
type StatusInfo struct {
	IDInfo
	Peers int `json:"peers"`
	// Neighbours is how many of the peers packets are routed to: those
	// identified as speaking /mf/route/1 (speakers.go).
	Neighbours int `json:"neighbours"`
	// Published tells whether the node's card is in the DHT, so that others
	// can find it by overlay address.
	Published bool          `json:"published"`
	Listeners int           `json:"listeners"`
	Uptime    float64       `json:"uptime_seconds"`
	Packets   StatsSnapshot `json:"packets"`
	// Inbox is how many packets wait for a listener, of which
	// InboxStrangers came from senders who are not contacts.
	Inbox          int `json:"inbox"`
	InboxStrangers int `json:"inbox_strangers"`
	// Reachability is what AutoNAT found: "public" (others can dial this
	// node), "private" (behind a NAT or firewall: it is reached through
	// relays) or "unknown" (not found out yet, or no public address to
	// test, as on a LAN).
	Reachability string `json:"reachability"`
	// Relays are the peer IDs of the relays this node holds a slot on.
	Relays []string `json:"relays,omitempty"`
	// DHT is "server" while the node answers DHT queries, "client" while
	// it only asks (it is private, or waiting to learn whether it is).
	DHT string `json:"dht"`
}

// PeerInfo is one connected peer.
type PeerInfo struct {
	PeerID    string           `json:"peer_id"`
	Overlay   identity.Overlay `json:"overlay"`
	Addr      string           `json:"addr"`
	Direction string           `json:"direction"`
	LatencyMS float64          `json:"latency_ms,omitempty"`
	// Neighbour: the peer is among those packets are routed to (it spoke
	// /mf/route/1 in identify; see speakers.go).
	Neighbour bool `json:"neighbour"`
	// Path is "direct", or "relayed" while the only connection runs
	// through a relay (hole punching may yet make it direct).
	Path string `json:"path"`
	// QueuedBytes are the bytes waiting in this node's queue to the peer,
	// and QueueLimit what the queue holds at the pace the peer has been
	// taking them (about 5 ms of it): senders wait beyond that.
	QueuedBytes int `json:"queued_bytes"`
	QueueLimit  int `json:"queue_limit,omitempty"`
}

// ContactInfo is a contact or a resolved target.
type ContactInfo struct {
	Name    string            `json:"name,omitempty"`
	Card    string            `json:"card"`
	Overlay *identity.Overlay `json:"overlay,omitempty"`
	PeerID  string            `json:"peer_id,omitempty"`
	Address string            `json:"address,omitempty"`
	// Luminosity is this contact's default, if set.
	Luminosity *int `json:"luminosity,omitempty"`
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
	// Luminosity overrides the contact's and the node's default (0..256).
	Luminosity *int `json:"luminosity,omitempty"`
	// Certify asks for proof of delivery; see /v0/receipts.
	Certify bool `json:"certify,omitempty"`
	// Group multicasts to a group instead (To and Topic stay empty).
	Group string `json:"group,omitempty"`
}

// query is req without its payload, as the query string of a raw-body send.
func (req *SendRequest) Query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"to": req.To, "topic": req.Topic, "group": req.Group} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if req.Luminosity != nil {
		q.Set("luminosity", strconv.Itoa(*req.Luminosity))
	}
	if req.Certify {
		q.Set("certify", "true")
	}
	if req.Bench {
		q.Set("bench", "true")
	}
	return q
}

// FromQuery is the inverse of Query. Unknown or repeated parameters are
// errors, as unknown JSON fields are.
func (req *SendRequest) FromQuery(q url.Values) error {
	for k, vs := range q {
		if len(vs) != 1 {
			return localapi.BadRequest("parameter %q given %d times", k, len(vs))
		}
		v := vs[0]
		var err error
		switch k {
		case "to":
			req.To = v
		case "topic":
			req.Topic = v
		case "group":
			req.Group = v
		case "luminosity":
			var l int
			l, err = strconv.Atoi(v)
			req.Luminosity = &l
		case "certify":
			req.Certify, err = strconv.ParseBool(v)
		case "bench":
			req.Bench, err = strconv.ParseBool(v)
		default:
			return localapi.BadRequest("unknown parameter %q", k)
		}
		if err != nil {
			return localapi.BadRequest("parameter %s=%q is not a valid value", k, v)
		}
	}
	return nil
}

// LuminosityAdvice answers /v0/luminosity.
type LuminosityAdvice struct {
	Anonymity int `json:"anonymity"`
	Estimate
}

// SendResult identifies the packet sent.
type SendResult struct {
	ID         string           `json:"id"`
	To         identity.Overlay `json:"to"`
	Bytes      int              `json:"bytes"`
	Luminosity int              `json:"luminosity"`
	Certify    bool             `json:"certify,omitempty"`
	SentAt     time.Time        `json:"sent_at"`
	Contact    string           `json:"contact,omitempty"`
	// Session is set when the packet went inside a session.
	Session bool `json:"session,omitempty"`
	// Group and Members are set for a multicast.
	Group   string `json:"group,omitempty"`
	Members int    `json:"members,omitempty"`
}

// SendStreamResult is one line of the answer to POST /v0/send/stream:
// the result of the request on the same line, or why it was not sent.
type SendStreamResult struct {
	*SendResult
	Error string `json:"error,omitempty"`
	Code  string `json:"code,omitempty"`
}

// SessionRequest opens a session with a contact.
type SessionRequest struct {
	With       string `json:"with"`
	Luminosity *int   `json:"luminosity,omitempty"`
}

// GroupRequest creates a group of contacts.
type GroupRequest struct {
	Name       string   `json:"name"`
	Members    []string `json:"members"`
	Luminosity *int     `json:"luminosity,omitempty"`
}

// GroupChange adds and removes members (contact names).
type GroupChange struct {
	Add    []string `json:"add,omitempty"`
	Remove []string `json:"remove,omitempty"`
}

// BondEvent is one settled link of a certified packet.
type BondEvent struct {
	Seq    uint64 `json:"seq"`
	Packet string `json:"packet"` // hex packet id
	Peer   string `json:"peer"`   // the other end of the link (peer ID)
	Role   string `json:"role"`
	Bond   uint64 `json:"bond"` // base units
	// Proof is the receipt (hex) the outcome rests on: the handover proof
	// for earned and paid, the charged hop's own signed acceptance for
	// charged and forfeit.
	Proof string    `json:"proof"`
	At    time.Time `json:"at"`
}

// Owed is what the event moves on the balance with Peer: positive, the
// peer owes this node.
func (e *BondEvent) Owed() int64 {
	v := int64(min(e.Bond, 1<<62))
	if e.Role == BondForfeit || e.Role == BondPaid {
		return -v
	}
	return v
}

// Link is the side of the link an event settles: "in" for the link from
// the previous hop, "out" for the link to a next hop.
func (e *BondEvent) Link() string {
	if e.Role == BondEarned || e.Role == BondForfeit {
		return "in"
	}
	return "out"
}

// SentRecord is what a sender knows about a certified packet.
type SentRecord struct {
	ID        string           `json:"id"`
	To        identity.Overlay `json:"to"`
	Bits      int              `json:"luminosity"`
	Topic     string           `json:"topic"`
	Bond      uint64           `json:"bond"`
	FirstHops []string         `json:"first_hops"`
	SentAt    time.Time        `json:"sent_at"`
	Status    string           `json:"status"`
	DoneAt    *time.Time       `json:"done_at,omitempty"`
	// Receipt is the recipient's signed receipt, once delivered.
	Receipt *ReceiptInfo `json:"receipt,omitempty"`
	// ZoneReceipts are receipts of other zone members (dark mode).
	ZoneReceipts []ReceiptInfo `json:"zone_receipts,omitempty"`
	// FailedHop names the hop that could not show proof of delivery, and
	// Statement is its signed answer when it gave one.
	FailedHop *identity.Overlay `json:"failed_hop,omitempty"`
	Statement *ReceiptInfo      `json:"statement,omitempty"`
	Reason    string            `json:"reason,omitempty"`
	// Hops are the signed acceptances of the hops that took the packet, as
	// they came back: the chain a failure is traced along.
	Hops []ReceiptInfo `json:"hops,omitempty"`
	// Returned are the signed statements of hops that gave the packet
	// back (backtracking): they no longer hold it.
	Returned []ReceiptInfo `json:"returned,omitempty"`
	// HeldBy are the recipient's delegates (addresses) that signed hold
	// receipts for the packet (mf-hold): status "held" until the
	// recipient signs.
	HeldBy []string `json:"held_by,omitempty"`
}

// LedgerEntry is what a relay records for a certified packet it passed on.
type LedgerEntry struct {
	ID      string            `json:"id"`
	Prev    *identity.Overlay `json:"prev,omitempty"`
	Next    []string          `json:"next"`
	BondIn  uint64            `json:"bond_in"`
	BondOut uint64            `json:"bond_out"`
	At      time.Time         `json:"at"`
	Proofs  []ReceiptInfo     `json:"proofs,omitempty"`
}

// Message is a packet as delivered to a listener.
type Message struct {
	ID       string           `json:"id"`
	From     identity.Overlay `json:"from"`
	PeerID   string           `json:"peer_id"`
	Address  string           `json:"address"`
	Topic    string           `json:"topic"`
	Payload  []byte           `json:"payload"`
	Sent     time.Time        `json:"sent"` // the sender's clock, signed
	Received time.Time        `json:"received"`

	// InboxKey is the daemon's own: the message's inbox key when it was
	// stored before being handed out (certified packets), so that whoever
	// writes it to a listener removes it from the inbox. Never on the wire.
	InboxKey []byte `json:"-"`
}

// AnnounceRequest asks mf-route to announce a service for LeaseSeconds
// (0: DefaultServiceLease).
type AnnounceRequest struct {
	Service      string `json:"service"`
	LeaseSeconds int    `json:"lease_seconds,omitempty"`
}

// Announcement is a service this node announces.
type Announcement struct {
	Service string    `json:"service"`
	Key     string    `json:"key"`
	Until   time.Time `json:"until"`              // the lease ends
	Last    time.Time `json:"announced,omitzero"` // the last announcement that landed
	Error   string    `json:"error,omitempty"`    // why the last one failed
}

// Provider is a node the DHT names as a provider of a service: a claim,
// not yet checked against the node's manifest.
type Provider struct {
	PeerID  string           `json:"peer_id"`
	Overlay identity.Overlay `json:"overlay"`
	Address string           `json:"address"`
	Addrs   []string         `json:"addrs,omitempty"`
}

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
// counters start again from zero. Version moves with every change to the
// counters and with every bond event: GET /v0/usage?version=V&wait=D
// answers once it is not V, or after D (at most a minute).
type Usage struct {
	Epoch   int64       `json:"epoch"`
	Version uint64      `json:"version"`
	Peers   []PeerUsage `json:"peers"`
}

// Changes answers /v0/changes: Version moves whenever a contact, a session
// or a group is added, changed or removed. GET /v0/changes?version=V&wait=D
// answers once it is not V, or after D (at most a minute).
type Changes struct {
	Version uint64 `json:"version"`
}

// BlockRequest blocks or unblocks a peer.
type BlockRequest struct {
	Peer    string `json:"peer"`
	Blocked bool   `json:"blocked"`
}

// GroupInfo is a group as the API shows it.
type GroupInfo struct {
	Name    string           `json:"name"`
	Topic   string           `json:"topic"`
	Epoch   uint64           `json:"epoch"`
	Owner   identity.Overlay `json:"owner"`
	Mine    bool             `json:"mine"`
	Members []GroupMember    `json:"members"`
}

// Estimate is the expected cost of a packet at one luminosity.
type Estimate struct {
	NetworkSize    float64 `json:"network_size"`
	Luminosity     int     `json:"luminosity"`
	ZoneSize       float64 `json:"zone_size"`
	Hops           float64 `json:"hops"`
	ExpectedCopies float64 `json:"expected_copies"`
}

// SessionInfo is a session as the API shows it.
type SessionInfo struct {
	Topic      string           `json:"topic"`
	Peer       identity.Overlay `json:"peer"`
	Luminosity int              `json:"luminosity"`
	OpenedHere bool             `json:"opened_here"`
	Created    time.Time        `json:"created"`
	// Epoch is the key epoch this side seals with.
	Epoch uint64 `json:"epoch"`
}

// IDInfo describes this node.
type IDInfo struct {
	Overlay identity.Overlay `json:"overlay"`
	PeerID  string           `json:"peer_id"`
	Address string           `json:"address"`
	EncKey  string           `json:"enc_key"`
	Card    string           `json:"card"`
	Addrs   []string         `json:"addrs"`
}

// ProvesHandover reports whether rc shows that hop handed the packet on or
// took it as its recipient: the proof that earns hop its bond.
func ProvesHandover(rc *Receipt, hop identity.Overlay) bool {
	signer := rc.Signer.Overlay()
	if signer == hop {
		return rc.Kind == ReceiptReceived
	}
	if rc.Prev != hop {
		return false
	}
	switch rc.Kind {
	case ReceiptTaken, ReceiptUnreachable, ReceiptReceived, ReceiptHeld:
		return true
	}
	return false
}

// CheckBondEvent checks the signed evidence of a bond event reported by
// the node self: the outcome it claims must rest on a receipt for that
// packet, signed by the right key. It cannot check that a proof is absent
// (a charge rests on the charged hop's own acceptance plus the reporting
// node's word that nothing followed it); it does make sure that nobody is
// charged, or paid, on a statement someone else forged.
func CheckBondEvent(ev *BondEvent, self identity.Overlay) error {
	id, err := hex.DecodeString(ev.Packet)
	if err != nil || len(id) != 32 {
		return errors.New("route: bond event: packet is not a 32-byte hex id")
	}
	p, err := peer.Decode(ev.Peer)
	if err != nil {
		return fmt.Errorf("route: bond event: peer: %v", err)
	}
	raw, err := hex.DecodeString(ev.Proof)
	if err != nil {
		return errors.New("route: bond event: proof is not hex")
	}
	rc, err := DecodeReceipt(raw)
	if err != nil {
		return fmt.Errorf("route: bond event: %w", err)
	}
	if rc.ID != [32]byte(id) {
		return errors.New("route: bond event: the proof is about another packet")
	}
	other := identity.OverlayOf(p)
	ok := false
	switch ev.Role {
	case BondEarned:
		ok = ProvesHandover(rc, self)
	case BondPaid:
		ok = ProvesHandover(rc, other)
	case BondCharged:
		// The charged hop's own acceptance, naming this node.
		ok = rc.Signer.Overlay() == other && rc.Kind == ReceiptTaken && rc.Prev == self
	case BondForfeit:
		ok = rc.Signer.Overlay() == self && rc.Kind == ReceiptTaken && rc.Prev == other
	default:
		return fmt.Errorf("route: bond event: unknown role %q", ev.Role)
	}
	if !ok {
		return fmt.Errorf("route: bond event: the receipt does not show %s", ev.Role)
	}
	return nil
}

// ReceiptInfo is a receipt as the API shows it.
type ReceiptInfo struct {
	Signer identity.Overlay `json:"signer"`
	PeerID string           `json:"peer_id"`
	Kind   string           `json:"kind"`
	// Prev is the peer that handed the signer the packet, as it says.
	Prev *identity.Overlay `json:"prev,omitempty"`
	// Proximity is how many bits the signer of a statement shares with
	// the destination, computed by the sender from the signer's address.
	Proximity int    `json:"proximity,omitempty"`
	Receipt   string `json:"receipt"` // hex of the signed receipt
}

func ReceiptInfoOf(rc *Receipt) ReceiptInfo {
	kind := "received"
	switch rc.Kind {
	case ReceiptUnreachable:
		kind = "unreachable"
	case ReceiptTaken:
		kind = "taken"
	case ReceiptReturned:
		kind = "returned"
	}
	info := ReceiptInfo{Signer: rc.Signer.Overlay(), PeerID: rc.Signer.PeerID().String(), Kind: kind, Receipt: hex.EncodeToString(rc.Marshal())}
	if rc.Prev != (identity.Overlay{}) {
		prev := rc.Prev
		info.Prev = &prev
	}
	return info
}

// SocketPath is the API socket of home's daemon.
func SocketPath(home string) string { return filepath.Join(home, SocketName) }

// Receipt is a signed statement about one packet.
//
//	id    32 bytes, the packet id
//	kind  1 byte
//	prev  32 bytes, the overlay address of the peer that handed the signer
//	      the packet (zero where the signer is its sender)
//	sig   65 bytes, secp256k1 over Keccak-256("mf/receipt/v2" ‖ id ‖ kind ‖ prev)
type Receipt struct {
	ID   [32]byte
	Kind byte
	Prev identity.Overlay
	Sig  []byte

	// Signer is recovered from Sig when decoding.
	Signer identity.Public
}

func receiptHash(id [32]byte, kind byte, prev identity.Overlay) []byte {
	return crypto.Keccak256([]byte("mf/receipt/v2"), id[:], []byte{kind}, prev[:])
}

// SignReceipt makes a receipt by id; prev is the peer that handed id the
// packet.
func SignReceipt(id *identity.Identity, packet [32]byte, kind byte, prev identity.Overlay) (*Receipt, error) {
	sig, err := crypto.Sign(receiptHash(packet, kind, prev), id.Key)
	if err != nil {
		return nil, err
	}
	return &Receipt{ID: packet, Kind: kind, Prev: prev, Sig: sig, Signer: id.Public()}, nil
}

// Marshal encodes r without the frame byte.
func (r *Receipt) Marshal() []byte {
	var w wire.Writer
	w.Fixed(r.ID[:])
	w.Byte(r.Kind)
	w.Fixed(r.Prev[:])
	w.Fixed(r.Sig)
	return w.B
}

// DecodeReceipt parses and verifies a receipt.
func DecodeReceipt(b []byte) (*Receipt, error) {
	r := wire.NewReader(b)
	rc := &Receipt{}
	copy(rc.ID[:], r.Fixed(32))
	rc.Kind = r.Byte()
	copy(rc.Prev[:], r.Fixed(32))
	rc.Sig = append([]byte(nil), r.Fixed(65)...)
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReceipt, err)
	}
	if rc.Kind > ReceiptReturned {
		return nil, fmt.Errorf("%w: unknown kind %d", ErrReceipt, rc.Kind)
	}
	key, err := crypto.SigToPub(receiptHash(rc.ID, rc.Kind, rc.Prev), rc.Sig)
	if err != nil {
		return nil, fmt.Errorf("%w: bad signature", ErrReceipt)
	}
	rc.Signer = identity.Public{Key: key}
	return rc, nil
}

// StatsSnapshot is Stats as plain numbers, for the API.
type StatsSnapshot struct {
	Received      uint64 `json:"received"`
	Sent          uint64 `json:"sent"`
	Delivered     uint64 `json:"delivered"`
	Relayed       uint64 `json:"relayed"`
	Duplicates    uint64 `json:"duplicates"`
	Tampered      uint64 `json:"tampered"`
	NotForUs      uint64 `json:"not_for_us"`
	BadFrames     uint64 `json:"bad_frames"`
	BadPackets    uint64 `json:"bad_packets"`
	Expired       uint64 `json:"expired"`
	NoRoute       uint64 `json:"no_route"`
	QueueFull     uint64 `json:"queue_full"`
	SendFailed    uint64 `json:"send_failed"`
	InboxFull     uint64 `json:"inbox_full"`
	StrayReceipts uint64 `json:"stray_receipts"`
	Refused       uint64 `json:"refused"`
	Stale         uint64 `json:"stale"`
	Forged        uint64 `json:"forged"`
	Rerouted      uint64 `json:"rerouted"`
	DeadPeers     uint64 `json:"dead_peers"`
	Backtracked   uint64 `json:"backtracked"`
	// PunchRetries counts relayed connections closed and dialled again
	// through the relay, so that the peer tries another hole punch.
	PunchRetries uint64 `json:"punch_retries"`
	// QueueWaits counts frames whose sender (a local send, or a relay's
	// reader) waited for room in a peer's queue; QueueWaitMS is the time
	// they waited in all.
	QueueWaits  uint64 `json:"queue_waits"`
	QueueWaitMS uint64 `json:"queue_wait_ms"`
}

// Files of mf-route inside a home that its clients need.
const (
	SocketName = "route.sock"
	PIDName    = "route.pid"
)

// BigReader moves a body in large pieces: net/http copies a request body
// with its own 32 KiB buffer (or the reader's WriteTo), and frames each piece
// as a chunk with a write of its own.
type BigReader struct{ R io.Reader }

func (b BigReader) Read(p []byte) (int, error) { return b.R.Read(p) }

func (b BigReader) WriteTo(w io.Writer) (int64, error) { return CopyBody(w, b.R) }

// BodyBuffer is the piece size in which the gateway and its clients move
// bodies.
const BodyBuffer = 256 << 10

// CopyBody copies src to dst in BodyBuffer pieces. Both sides' other
// methods are hidden from io.CopyBuffer, so that neither a ReadFrom nor a
// WriteTo with a smaller buffer of its own takes over.
func CopyBody(dst io.Writer, src io.Reader) (int64, error) {
	buf := GetBuffer()
	defer PutBuffer(buf)
	return io.CopyBuffer(onlyWriter{dst}, onlyReader{src}, *buf)
}

// bodyBuffers keeps BodyBuffer-sized buffers for reuse. A small call passes
// through five copies (client, both mf-routes, the service's socket), and
// allocating and zeroing 256 KiB for each was most of its CPU.
var bodyBuffers = sync.Pool{New: func() any {
	b := make([]byte, BodyBuffer)
	return &b
}}

// GetBuffer returns a buffer of BodyBuffer bytes; give it back with
// PutBuffer once nothing refers to it.
func GetBuffer() *[]byte { return bodyBuffers.Get().(*[]byte) }

// PutBuffer returns a buffer from GetBuffer.
func PutBuffer(b *[]byte) { bodyBuffers.Put(b) }

type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(p []byte) (int, error) { return o.w.Write(p) }

type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// GroupMember is a member as stored and shown.
type GroupMember struct {
	Name    string           `json:"name,omitempty"`
	Overlay identity.Overlay `json:"overlay"`
	Card    string           `json:"card,omitempty"` // kept by the owner, to hand out keys
	// HasKey is the owner's knowledge that the member confirmed the
	// current epoch's key.
	HasKey bool `json:"has_key,omitempty"`
}
