package route

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/seal"
	"github.com/mainframe/mf/pkg/wire"
)

// Sessions (whitepaper, "Dark routing": "When a new session is negotiated
// between nodes or groups of nodes, a topic ID is generated and shared
// privately with all session participants"). `session open` makes a random
// topic and a random symmetric key and sends both to the contact in one
// first-contact packet on the control topic mf/session. From then on,
// packets between the two on that topic are KindSession: sealed with the
// key under a random nonce, carrying no key of either party, and costing no
// key agreement. Both sides watch the topic, so trial decryption only runs
// on packets tagged with it.

// SessionTopic is the control topic session offers travel on.
const SessionTopic = "mf/session"

const sessionPrefix = "session/" // session/<topic>: sessionRecord

// ErrNoSession means no session has that topic.
var ErrNoSession = errors.New("route: no such session")

type session struct {
	Topic      string `json:"topic"`
	Key        string `json:"key"`  // hex
	Peer       string `json:"peer"` // hex compressed secp256k1 key
	Luminosity int    `json:"luminosity"`
	Opened     bool   `json:"opened_here"`
	Created    time.Time

	key  seal.SymKey
	peer identity.Public
}

func (s *session) load() error {
	kb, err := hex.DecodeString(s.Key)
	if err != nil || len(kb) != 32 {
		return errors.New("bad key")
	}
	s.key = seal.SymKey(kb)
	pb, err := hex.DecodeString(s.Peer)
	if err != nil {
		return err
	}
	k, err := crypto.DecompressPubkey(pb)
	if err != nil {
		return err
	}
	s.peer = identity.Public{Key: k}
	return nil
}

// SessionInfo is a session as the API shows it.
type SessionInfo struct {
	Topic      string           `json:"topic"`
	Peer       identity.Overlay `json:"peer"`
	Luminosity int              `json:"luminosity"`
	OpenedHere bool             `json:"opened_here"`
	Created    time.Time        `json:"created"`
}

type sessions struct {
	n       *Node
	mu      sync.Mutex
	byTopic map[string]*session
	byID    map[[4]byte][]*session
}

func newSessions(n *Node) *sessions {
	s := &sessions{n: n, byTopic: map[string]*session{}, byID: map[[4]byte][]*session{}}
	_ = n.db.Scan([]byte(sessionPrefix), func(_, v []byte) error {
		var x session
		if json.Unmarshal(v, &x) != nil || x.load() != nil {
			n.log.Warn("skipping damaged session record")
			return nil
		}
		s.add(&x)
		return nil
	})
	return s
}

func (s *sessions) add(x *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.byTopic[x.Topic]; old != nil {
		return
	}
	s.byTopic[x.Topic] = x
	id := TopicID(x.Topic)
	s.byID[id] = append(s.byID[id], x)
}

func (s *sessions) store(x *session) error {
	b, _ := json.Marshal(x)
	if err := s.n.db.Set([]byte(sessionPrefix+x.Topic), b); err != nil {
		return err
	}
	s.add(x)
	return s.n.subs.watch(x.Topic)
}

func (s *sessions) get(topic string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byTopic[topic]
}

func (s *sessions) list() []SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []SessionInfo{}
	for _, x := range s.byTopic {
		out = append(out, SessionInfo{Topic: x.Topic, Peer: x.peer.Overlay(), Luminosity: x.Luminosity, OpenedHere: x.Opened, Created: x.Created})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out
}

// sessionOffer is the payload of a packet on SessionTopic:
//
//	version     1 byte (1)
//	topic       varint length ≤ MaxTopic, then the name
//	key         32 bytes
//	luminosity  2 bytes
type sessionOffer struct {
	Topic      string
	Key        seal.SymKey
	Luminosity uint16
}

func (o *sessionOffer) marshal() []byte {
	var w wire.Writer
	w.Byte(1)
	w.Bytes([]byte(o.Topic))
	w.Fixed(o.Key[:])
	w.Uint16(o.Luminosity)
	return w.B
}

func decodeSessionOffer(b []byte) (*sessionOffer, error) {
	r := wire.NewReader(b)
	if v := r.Byte(); r.Err() == nil && v != 1 {
		return nil, fmt.Errorf("route: session offer version %d", v)
	}
	o := &sessionOffer{Topic: string(r.Bytes(MaxTopic))}
	copy(o.Key[:], r.Fixed(32))
	o.Luminosity = r.Uint16()
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("route: session offer: %w", err)
	}
	if o.Topic == "" || o.Luminosity > 256 {
		return nil, errors.New("route: session offer out of range")
	}
	return o, nil
}

// Open starts a session with a contact and returns its topic.
func (s *sessions) open(card *identity.Card, luminosity int) (string, error) {
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	key, err := seal.NewSymKey()
	if err != nil {
		return "", err
	}
	topic := "s/" + hex.EncodeToString(rnd[:])
	offer := sessionOffer{Topic: topic, Key: key, Luminosity: uint16(luminosity)}
	// The offer goes first contact, at the session's luminosity.
	if _, err := s.n.Send(s.n.ctx, card, SendOptions{Topic: SessionTopic, Payload: offer.marshal(), Luminosity: luminosity}); err != nil {
		return "", err
	}
	x := &session{Topic: topic, Key: hex.EncodeToString(key[:]), Peer: hex.EncodeToString(crypto.CompressPubkey(card.Key)), Luminosity: luminosity, Opened: true, Created: time.Now()}
	if err := x.load(); err != nil {
		return "", err
	}
	return topic, s.store(x)
}

// accept stores a session a peer offered.
func (s *sessions) accept(env *Envelope) {
	o, err := decodeSessionOffer(env.Payload)
	if err != nil {
		s.n.log.Debug("dropping session offer", "err", err)
		return
	}
	// Only contacts may open sessions here, and only on session topics: a
	// stranger must not be able to store keys on this node or take over a
	// topic the user relies on.
	if !s.n.isContact(env.Sender.Overlay()) || !strings.HasPrefix(o.Topic, "s/") {
		s.n.stats.Refused.Add(1)
		return
	}
	x := &session{Topic: o.Topic, Key: hex.EncodeToString(o.Key[:]), Peer: hex.EncodeToString(crypto.CompressPubkey(env.Sender.Key)), Luminosity: int(o.Luminosity), Created: time.Now()}
	if err := x.load(); err != nil {
		return
	}
	if old := s.get(o.Topic); old != nil {
		return // a topic is never re-keyed by whoever asks
	}
	if err := s.store(x); err != nil {
		s.n.log.Warn("storing session", "err", err)
	}
}

// sessionEnvelope is the plaintext of a KindSession packet:
//
//	flags    1 byte
//	dir      1 byte: 1 if sealed by the side that opened the session, else 0
//	sent     8 bytes, big-endian: Unix milliseconds
//	topic    varint length ≤ MaxTopic, then the name
//	payload  the rest
//
// Both sides share one key, so without dir a relay could send a party's
// own packet back to it, to be read as the other party's.
func sealSession(x *session, ttl byte, bits uint16, flags byte, payload []byte) (*Packet, error) {
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("route: payload of %d bytes is over the %d-byte limit", len(payload), MaxPayload)
	}
	p := &Packet{Kind: KindSession, TTL: ttl, Bits: bits, Prefix: AddressPrefix(x.peer.Overlay(), bits), Topic: TopicID(x.Topic)}
	if _, err := rand.Read(p.Eph[:]); err != nil {
		return nil, err
	}
	var w wire.Writer
	w.B = make([]byte, 0, 12+len(x.Topic)+len(payload))
	w.Byte(flags)
	w.Byte(sessionDir(x.Opened))
	w.Uint64(sentStamp(nowFunc()))
	w.Bytes([]byte(x.Topic))
	w.Fixed(payload)
	var err error
	p.Body, err = seal.SealSym(nil, &x.key, p.Eph[:seal.NonceSize], w.B, p.header())
	return p, err
}

func sessionDir(opener bool) byte {
	if opener {
		return 1
	}
	return 0
}

// openPacket tries the sessions whose topic has the packet's tag.
func (s *sessions) openPacket(p *Packet) (*Envelope, error) {
	s.mu.Lock()
	cands := s.byID[p.Topic]
	s.mu.Unlock()
	hdr := p.header()
	for _, x := range cands {
		pt, err := seal.OpenSym(nil, &x.key, p.Eph[:seal.NonceSize], p.Body, hdr)
		if err != nil {
			continue
		}
		return decodeSessionEnvelope(pt, x)
	}
	return nil, seal.ErrOpen
}

// decodeSessionEnvelope reads the opened plaintext of a packet in session x.
func decodeSessionEnvelope(pt []byte, x *session) (*Envelope, error) {
	r := wire.NewReader(pt)
	e := &Envelope{Flags: r.Byte()}
	dir := r.Byte()
	e.Sent = sentTime(r.Uint64())
	e.Topic, e.Payload, e.Sender = string(r.Bytes(MaxTopic)), r.Rest(), x.peer
	if r.Err() != nil || e.Topic != x.Topic || len(e.Payload) > MaxPayload {
		return nil, fmt.Errorf("%w: session envelope", ErrEnvelope)
	}
	if dir != sessionDir(!x.Opened) {
		return nil, fmt.Errorf("%w: session packet sealed by this side, sent back", ErrEnvelope)
	}
	return e, nil
}
