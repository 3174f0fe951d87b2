package route

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/seal"
	"github.com/mainframe/mf/pkg/wire"
)

// Sessions (whitepaper, "Dark routing": "When a new session is negotiated
// between nodes or groups of nodes, a topic ID is generated and shared
// privately with all session participants"). `session open` makes a random
// topic and sends it, with a fresh ephemeral X25519 key, to the contact in
// one first-contact packet on the control topic mf/session. From then on,
// packets between the two on that topic are KindSession: sealed with the
// current epoch's key under a random nonce, carrying no key of either
// party, and costing no key agreement. Both sides watch the topic, so trial
// decryption only runs on packets tagged with it.
//
// Keys, for forward secrecy (see prekey.go for how long each lives). Epoch
// e's key is
//
//	K_e = HKDF-SHA256(secret = X25519(a, B), salt = K_{e-1}, info = "mf/session/v2" ‖ topic ‖ e)
//
// where a and B are the two sides' keys for that agreement, and K_0 is
// empty. Epoch 1 is agreed with the opener's ephemeral key and the peer's
// signed prekey (its static key when no prekey can be had), so that the
// opener may send at once, while the peer is offline. Every later epoch is
// agreed with an ephemeral key on each side:
//
//	propose  one side sends its ephemeral public key A for epoch e+1, and
//	         keeps the private half (on disk) until answered
//	answer   the other side makes an ephemeral key b, derives K_{e+1} from
//	         X25519(b, A), forgets b at once and sends B back; it keeps
//	         sealing with K_e until it sees a packet sealed with K_{e+1}
//	confirm  the proposer derives K_{e+1}, forgets its private key, seals
//	         with K_{e+1} from then on, and says so in a packet sealed with
//	         it; that packet moves the answerer to K_{e+1}
//
// The session offer is itself the proposal for epoch 2, answered as soon as
// the peer accepts. A side proposes again when its epoch is
// SessionRekeyAfter old or has sealed SessionRekeyPackets packets. The
// rekey messages ride inside the sealed envelope of any session packet, so
// a lost one is repeated with the next packet: a proposal until answered,
// an answer until confirmed. Both sides keep every key they may still be
// sent with; a replaced key is kept KeyGrace for packets still in flight
// and then deleted and purged from disk. When both propose at once, the
// opener's proposal wins.

// SessionTopic is the control topic session offers travel on.
const SessionTopic = "mf/session"

// sessionControlTopic is the local topic of a session packet that carries
// only a rekey message: deliver takes it and hands it to no listener.
const sessionControlTopic = "mf/session/control"

const sessionPrefix = "session/" // session/<topic>: session record

// ErrNoSession means no session has that topic.
var ErrNoSession = errors.New("route: no such session")

// session is a session record. Records are replaced, never changed in
// place: a reader (trial decryption) holds a consistent copy.
type session struct {
	Topic      string    `json:"topic"`
	Peer       string    `json:"peer"` // hex compressed secp256k1 key
	Luminosity int       `json:"luminosity"`
	Opened     bool      `json:"opened_here"`
	Created    time.Time `json:"Created"`

	// Send is the epoch this side seals with, since Since.
	Send  uint64    `json:"send_epoch"`
	Since time.Time `json:"since"`
	// Keys are the epoch keys this side opens with: the current ones, and
	// replaced ones until their Until.
	Keys []epochKey `json:"keys"`
	// Pending is this side's proposal for epoch Send+1, not yet answered.
	Pending *sessionProposal `json:"pending,omitempty"`
	// Answered is the last proposal this side answered, repeated until the
	// proposer confirms it and answered again if the proposal comes again.
	Answered *sessionAnswer `json:"answered,omitempty"`

	peer identity.Public
	keys []liveKey
	// sealed counts packets sealed in epoch Send by this process (a restart
	// starts the count again, which only delays a rekey by count).
	sealed *atomic.Int64
}

type epochKey struct {
	Epoch uint64    `json:"epoch"`
	Key   string    `json:"key"` // hex
	Until time.Time `json:"until,omitzero"`
}

type liveKey struct {
	epoch uint64
	key   seal.SymKey
	until time.Time
}

type sessionProposal struct {
	Epoch uint64    `json:"epoch"`
	Priv  string    `json:"priv"` // hex X25519 private key
	At    time.Time `json:"at"`
}

type sessionAnswer struct {
	Epoch  uint64 `json:"epoch"`
	Theirs string `json:"theirs"` // hex public keys
	Mine   string `json:"mine"`
}

func (x *session) load() error {
	pb, err := hex.DecodeString(x.Peer)
	if err != nil {
		return err
	}
	k, err := crypto.DecompressPubkey(pb)
	if err != nil {
		return err
	}
	x.peer = identity.Public{Key: k}
	x.keys = nil
	for _, ek := range x.Keys {
		kb, err := hex.DecodeString(ek.Key)
		if err != nil || len(kb) != 32 {
			return errors.New("bad key")
		}
		x.keys = append(x.keys, liveKey{epoch: ek.Epoch, key: seal.SymKey(kb), until: ek.Until})
	}
	if x.key(x.Send) == nil {
		return errors.New("no key for the sending epoch")
	}
	if x.sealed == nil {
		x.sealed = new(atomic.Int64)
	}
	return nil
}

// key is the key of epoch e, if this side holds it.
func (x *session) key(e uint64) *seal.SymKey {
	for i := range x.keys {
		if x.keys[i].epoch == e {
			return &x.keys[i].key
		}
	}
	return nil
}

// clone copies x for a change; load fills the derived fields after it.
func (x *session) clone() *session {
	y := *x
	y.Keys = slices.Clone(x.Keys)
	return &y
}

func (x *session) setKey(e uint64, k seal.SymKey) {
	x.Keys = slices.DeleteFunc(x.Keys, func(ek epochKey) bool { return ek.Epoch == e })
	x.Keys = append(x.Keys, epochKey{Epoch: e, Key: hex.EncodeToString(k[:])})
}

// retire sets every key but the sending epoch's and later ones to expire
// KeyGrace from now, unless it expires sooner already.
func (x *session) retire(now time.Time) {
	for i, ek := range x.Keys {
		if ek.Epoch < x.Send && (ek.Until.IsZero() || ek.Until.After(now.Add(KeyGrace))) {
			x.Keys[i].Until = now.Add(KeyGrace)
		}
	}
}

// sessionKey derives epoch e's key of the session on topic.
func sessionKey(secret []byte, prev *seal.SymKey, topic string, e uint64) seal.SymKey {
	info := binary.BigEndian.AppendUint64(append([]byte("mf/session/v2"), topic...), e)
	var salt []byte
	if prev != nil {
		salt = prev[:]
	}
	return seal.DeriveSymKey(secret, salt, info)
}

type sessions struct {
	n       *Node
	mu      sync.Mutex
	byTopic map[string]*session
	byID    map[[4]byte][]*session

	// writeMu orders the read-modify-store changes of sessions (rekeys).
	writeMu sync.Mutex
	// repeated rate-limits repeated answers and confirmations (again).
	repeated map[string]time.Time
}

func newSessions(n *Node) *sessions {
	s := &sessions{n: n, byTopic: map[string]*session{}, byID: map[[4]byte][]*session{}, repeated: map[string]time.Time{}}
	_ = n.db.Scan([]byte(sessionPrefix), func(_, v []byte) error {
		var x session
		if json.Unmarshal(v, &x) != nil || x.load() != nil {
			n.log.Warn("skipping damaged session record")
			return nil
		}
		s.index(&x)
		return nil
	})
	return s
}

// index makes x the session of its topic, replacing an older record.
func (s *sessions) index(x *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := TopicID(x.Topic)
	if old := s.byTopic[x.Topic]; old != nil {
		x.sealed = old.sealed
		if old.Send != x.Send {
			x.sealed = new(atomic.Int64) // a new epoch counts anew
		}
		s.byID[id] = slices.DeleteFunc(s.byID[id], func(y *session) bool { return y == old })
	}
	s.byTopic[x.Topic] = x
	s.byID[id] = append(s.byID[id], x)
}

// store writes x and makes it current. Callers hold writeMu.
func (s *sessions) store(x *session) error {
	if err := x.load(); err != nil {
		return err
	}
	b, _ := json.Marshal(x)
	if err := s.n.db.Set([]byte(sessionPrefix+x.Topic), b); err != nil {
		return err
	}
	s.index(x)
	s.n.changes.bump()
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
		out = append(out, SessionInfo{Topic: x.Topic, Peer: x.peer.Overlay(), Luminosity: x.Luminosity, OpenedHere: x.Opened, Created: x.Created, Epoch: x.Send})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out
}

// sessionOffer is the payload of a packet on SessionTopic:
//
//	version     1 byte (2)
//	topic       varint length ≤ MaxTopic, then the name
//	luminosity  2 bytes
//	to          32 bytes: the recipient's X25519 key epoch 1 is agreed
//	            with, its signed prekey or else its static key
//	eph         32 bytes: the opener's ephemeral key
//	prekey      varint length, 0 or identity.PrekeySize: the opener's
//	            signed prekey, for the peer to seal to later
type sessionOffer struct {
	Topic      string
	Luminosity uint16
	To         seal.PublicKey
	Eph        seal.PublicKey
	Prekey     []byte
}

func (o *sessionOffer) marshal() []byte {
	var w wire.Writer
	w.Byte(2)
	w.Bytes([]byte(o.Topic))
	w.Uint16(o.Luminosity)
	w.Fixed(o.To[:])
	w.Fixed(o.Eph[:])
	w.Bytes(o.Prekey)
	return w.B
}

func decodeSessionOffer(b []byte) (*sessionOffer, error) {
	r := wire.NewReader(b)
	if v := r.Byte(); r.Err() == nil && v != 2 {
		return nil, fmt.Errorf("route: session offer version %d", v)
	}
	o := &sessionOffer{Topic: string(r.Bytes(MaxTopic)), Luminosity: r.Uint16()}
	copy(o.To[:], r.Fixed(32))
	copy(o.Eph[:], r.Fixed(32))
	o.Prekey = r.Bytes(identity.PrekeySize)
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("route: session offer: %w", err)
	}
	if o.Topic == "" || o.Luminosity > 256 || (len(o.Prekey) != 0 && len(o.Prekey) != identity.PrekeySize) {
		return nil, errors.New("route: session offer out of range")
	}
	return o, nil
}

// ownPrekeyBytes is this node's current signed prekey, to hand to peers.
func (n *Node) ownPrekeyBytes() []byte {
	if p := n.prekeys.current(); p != nil {
		return p.Bytes()
	}
	return nil
}

// Open starts a session with a contact and returns its topic.
func (s *sessions) open(card *identity.Card, luminosity int) (string, error) {
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	topic := "s/" + hex.EncodeToString(rnd[:])
	eph, err := seal.NewPrivateKey()
	if err != nil {
		return "", err
	}
	to := card.Enc
	if pk := s.n.prekeys.of(s.n.ctx, card.Public); pk != nil {
		to = pk.Key
	} else {
		s.n.log.Info("no prekey of the peer: its static key agrees the first session key, the next epoch is ephemeral", "peer", card.Overlay())
	}
	secret, err := seal.DH(&eph, &to)
	if err != nil {
		return "", err
	}
	offer := sessionOffer{Topic: topic, Luminosity: uint16(luminosity), To: to, Eph: eph.Public(), Prekey: s.n.ownPrekeyBytes()}
	now := nowFunc()
	x := &session{Topic: topic, Peer: hex.EncodeToString(crypto.CompressPubkey(card.Key)), Luminosity: luminosity, Opened: true, Created: now,
		Send: 1, Since: now, Pending: &sessionProposal{Epoch: 2, Priv: hex.EncodeToString(eph[:]), At: now}}
	x.setKey(1, sessionKey(secret, nil, topic, 1))
	// The offer goes first contact, at the session's luminosity. writeMu
	// holds a quick answer back until the session is stored.
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if _, err := s.n.Send(s.n.ctx, card, SendOptions{Topic: SessionTopic, Payload: offer.marshal(), Luminosity: luminosity}); err != nil {
		return "", err
	}
	return topic, s.store(x)
}

// accept stores a session a peer offered, and answers its proposal for
// epoch 2.
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
	opener := s.n.prekeys.opener(o.To)
	if o.To == s.n.pub.Enc {
		opener = s.n.opener
	}
	if opener == nil {
		s.n.log.Info("session offer sealed to a prekey this node no longer holds", "from", env.Sender.Overlay())
		return
	}
	secret, err := opener.DH(&o.Eph)
	if err != nil {
		s.n.stats.BadPackets.Add(1)
		return
	}
	if len(o.Prekey) > 0 {
		if p, err := identity.DecodePrekey(o.Prekey); err == nil && p.Owner.Overlay() == env.Sender.Overlay() {
			s.n.prekeys.learn(p)
		}
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if old := s.get(o.Topic); old != nil {
		return // a topic is never re-keyed by whoever asks
	}
	now := nowFunc()
	x := &session{Topic: o.Topic, Peer: hex.EncodeToString(crypto.CompressPubkey(env.Sender.Key)), Luminosity: int(o.Luminosity), Created: now, Send: 1, Since: now}
	k1 := sessionKey(secret, nil, o.Topic, 1)
	x.setKey(1, k1)
	if err := s.answer(x, 2, o.Eph); err != nil {
		s.n.log.Warn("answering a session offer", "err", err)
		return
	}
	if err := s.store(x); err != nil {
		s.n.log.Warn("storing session", "err", err)
		return
	}
	s.sendControl(x)
}

// answer agrees epoch e's key with the proposer's key A: it makes and
// forgets an ephemeral key, records the answer in x and adds the key.
func (s *sessions) answer(x *session, e uint64, theirs seal.PublicKey) error {
	if err := x.load(); err != nil {
		return err
	}
	prev := x.key(e - 1)
	if prev == nil {
		return fmt.Errorf("route: no key of epoch %d", e-1)
	}
	mine, err := seal.NewPrivateKey()
	if err != nil {
		return err
	}
	secret, err := seal.DH(&mine, &theirs)
	if err != nil {
		return err
	}
	x.setKey(e, sessionKey(secret, prev, x.Topic, e))
	pub := mine.Public()
	x.Answered = &sessionAnswer{Epoch: e, Theirs: hex.EncodeToString(theirs[:]), Mine: hex.EncodeToString(pub[:])}
	return x.load()
}

// sessionControl is a rekey message inside a session envelope:
//
//	kind   1 byte: 0 none, 1 propose, 2 answer, 3 confirm
//	epoch  8 bytes: the epoch being agreed (propose, answer, confirm)
//	a      32 bytes: the proposer's key (propose, answer)
//	b      32 bytes: the answerer's key (answer)
type sessionControl struct {
	Kind  byte
	Epoch uint64
	A, B  seal.PublicKey
}

const (
	ctlNone byte = iota
	ctlPropose
	ctlAnswer
	ctlConfirm
)

func (c *sessionControl) write(w *wire.Writer) {
	w.Byte(c.Kind)
	if c.Kind == ctlNone {
		return
	}
	w.Uint64(c.Epoch)
	if c.Kind == ctlPropose || c.Kind == ctlAnswer {
		w.Fixed(c.A[:])
	}
	if c.Kind == ctlAnswer {
		w.Fixed(c.B[:])
	}
}

func readSessionControl(r *wire.Reader) sessionControl {
	c := sessionControl{Kind: r.Byte()}
	if c.Kind == ctlNone || c.Kind > ctlConfirm {
		return c
	}
	c.Epoch = r.Uint64()
	if c.Kind == ctlPropose || c.Kind == ctlAnswer {
		copy(c.A[:], r.Fixed(32))
	}
	if c.Kind == ctlAnswer {
		copy(c.B[:], r.Fixed(32))
	}
	return c
}

// control is the rekey message x's next packet carries: an answer not yet
// confirmed, else a pending proposal, else nothing.
func (x *session) control() sessionControl {
	if a := x.Answered; a != nil && a.Epoch > x.Send {
		c := sessionControl{Kind: ctlAnswer, Epoch: a.Epoch}
		hexKey(a.Theirs, &c.A)
		hexKey(a.Mine, &c.B)
		return c
	}
	if p := x.Pending; p != nil {
		var priv seal.PrivateKey
		hexKey(p.Priv, (*seal.PublicKey)(&priv))
		return sessionControl{Kind: ctlPropose, Epoch: p.Epoch, A: priv.Public()}
	}
	return sessionControl{}
}

func hexKey(s string, k *seal.PublicKey) {
	b, _ := hex.DecodeString(s)
	copy(k[:], b)
}

// sessionEnvelope is the plaintext of a KindSession packet:
//
//	flags    1 byte
//	dir      1 byte: 1 if sealed by the side that opened the session, else 0
//	epoch    8 bytes: the epoch whose key sealed it
//	sent     8 bytes, big-endian: Unix milliseconds
//	topic    varint length ≤ MaxTopic, then the name
//	control  a sessionControl
//	data     1 byte: 1 if the payload is for listeners, 0 for a packet
//	         that only carries control
//	payload  the rest
//
// Both sides share one key, so without dir a relay could send a party's
// own packet back to it, to be read as the other party's.
func sealSession(x *session, ttl byte, bits uint16, flags byte, ctl sessionControl, data bool, payload []byte) (*Packet, error) {
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("route: payload of %d bytes is over the %d-byte limit", len(payload), MaxPayload)
	}
	key := x.key(x.Send)
	if key == nil {
		return nil, fmt.Errorf("route: session %s has no key of epoch %d", x.Topic, x.Send)
	}
	p := &Packet{Kind: KindSession, TTL: ttl, Bits: bits, Prefix: AddressPrefix(x.peer.Overlay(), bits), Topic: TopicID(x.Topic)}
	if _, err := rand.Read(p.Eph[:]); err != nil {
		return nil, err
	}
	var w wire.Writer
	w.B = make([]byte, 0, 100+len(x.Topic)+len(payload))
	w.Byte(flags)
	w.Byte(sessionDir(x.Opened))
	w.Uint64(x.Send)
	w.Uint64(sentStamp(nowFunc()))
	w.Bytes([]byte(x.Topic))
	ctl.write(&w)
	if data {
		w.Byte(1)
	} else {
		w.Byte(0)
	}
	w.Fixed(payload)
	var err error
	p.Body, err = seal.SealSym(nil, key, p.Eph[:seal.NonceSize], w.B, p.header())
	if x.sealed != nil {
		x.sealed.Add(1)
	}
	return p, err
}

func sessionDir(opener bool) byte {
	if opener {
		return 1
	}
	return 0
}

// openPacket tries the keys of the sessions whose topic has the packet's
// tag, and acts on the rekey message it carries.
func (s *sessions) openPacket(p *Packet) (*Envelope, error) {
	s.mu.Lock()
	cands := slices.Clone(s.byID[p.Topic])
	s.mu.Unlock()
	hdr := p.header()
	now := nowFunc()
	for _, x := range cands {
		for _, k := range x.keys {
			if !k.until.IsZero() && now.After(k.until) {
				continue
			}
			pt, err := seal.OpenSym(nil, &k.key, p.Eph[:seal.NonceSize], p.Body, hdr)
			if err != nil {
				continue
			}
			e, ctl, data, err := decodeSessionEnvelope(pt, x, k.epoch)
			if err != nil {
				return nil, err
			}
			if s.n != nil && s.n.fresh(e.Sent) {
				s.rekeyStep(x.Topic, k.epoch, ctl)
			}
			if !data {
				e.Topic, e.Payload = sessionControlTopic, nil
			}
			return e, nil
		}
	}
	return nil, seal.ErrOpen
}

// decodeSessionEnvelope reads the opened plaintext of a packet in session
// x, opened with epoch's key.
func decodeSessionEnvelope(pt []byte, x *session, epoch uint64) (*Envelope, sessionControl, bool, error) {
	r := wire.NewReader(pt)
	e := &Envelope{Flags: r.Byte()}
	dir := r.Byte()
	sealedIn := r.Uint64()
	e.Sent = sentTime(r.Uint64())
	e.Topic = string(r.Bytes(MaxTopic))
	ctl := readSessionControl(r)
	data := r.Byte()
	e.Payload, e.Sender = r.Rest(), x.peer
	if r.Err() != nil || e.Topic != x.Topic || len(e.Payload) > MaxPayload || ctl.Kind > ctlConfirm || data > 1 || sealedIn != epoch {
		return nil, ctl, false, fmt.Errorf("%w: session envelope", ErrEnvelope)
	}
	if dir != sessionDir(!x.Opened) {
		return nil, ctl, false, fmt.Errorf("%w: session packet sealed by this side, sent back", ErrEnvelope)
	}
	return e, ctl, data == 1, nil
}

// rekeyStep moves session topic's key agreement on after a packet from the
// peer, sealed in epoch, carried ctl.
func (s *sessions) rekeyStep(topic string, epoch uint64, ctl sessionControl) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	x := s.get(topic)
	if x == nil {
		return
	}
	now := nowFunc()
	y := x.clone()
	changed, reply := false, false
	// A packet sealed with the epoch this side answered confirms it.
	if a := x.Answered; a != nil && epoch == a.Epoch && a.Epoch > x.Send {
		y.Send, y.Since = a.Epoch, now
		y.retire(now)
		changed = true
	}
	switch ctl.Kind {
	case ctlPropose:
		switch {
		case ctl.Epoch != y.Send+1:
			// Old, or beyond what this side knows.
		case y.Answered != nil && y.Answered.Epoch == ctl.Epoch:
			// The answer was lost, or is on its way while more packets
			// carry the proposal: answer again, at most every few seconds.
			reply = s.again(topic+"/answer", now)
		case y.Pending != nil && y.Opened:
			// Both proposed: the opener's proposal wins, the peer
			// answers it.
		default:
			y.Pending = nil // the peer's proposal wins over a non-opener's
			if err := s.answer(y, ctl.Epoch, ctl.A); err != nil {
				s.n.log.Warn("answering a session rekey", "err", err)
				return
			}
			changed, reply = true, true
		}
	case ctlAnswer:
		p := y.Pending
		if p == nil || p.Epoch != ctl.Epoch {
			// Answered already: confirm again, at most every few seconds.
			reply = ctl.Epoch <= y.Send && s.again(topic+"/confirm", now)
			break
		}
		var priv seal.PrivateKey
		hexKey(p.Priv, (*seal.PublicKey)(&priv))
		if priv.Public() != ctl.A {
			break
		}
		prev := y.key(ctl.Epoch - 1)
		secret, err := seal.DH(&priv, &ctl.B)
		if prev == nil || err != nil {
			break
		}
		y.setKey(ctl.Epoch, sessionKey(secret, prev, topic, ctl.Epoch))
		y.Send, y.Since, y.Pending = ctl.Epoch, now, nil
		y.retire(now)
		changed, reply = true, true
	}
	if changed {
		if err := s.store(y); err != nil {
			s.n.log.Warn("storing session", "err", err)
			return
		}
		s.n.keysDeleted() // a private key or a key of a past epoch
		x = y
	}
	if reply {
		s.sendControl(x)
	}
}

// again reports whether a repeated rekey message of kind (topic and
// message) may be sent at now: at most one every 5 seconds, so that a burst
// of packets that all carry a stale message is not answered packet for
// packet. Callers hold writeMu.
func (s *sessions) again(kind string, now time.Time) bool {
	if now.Sub(s.repeated[kind]) < 5*time.Second {
		return false
	}
	s.repeated[kind] = now
	return true
}

// sendControl sends x's peer a packet that carries only x's rekey message,
// or a confirmation of the sending epoch when there is none. It runs apart
// from the packet that caused it (see groups.acknowledge).
func (s *sessions) sendControl(x *session) {
	ctl := x.control()
	if ctl.Kind == ctlNone {
		ctl = sessionControl{Kind: ctlConfirm, Epoch: x.Send}
	}
	s.n.goLoop(func() {
		p, err := sealSession(x, byte(s.n.opts.TTL), uint16(x.Luminosity), 0, ctl, false, nil)
		if err != nil {
			return
		}
		if err := s.n.handlePacket(s.n.ctx, p, p.Marshal(), "", nil); err != nil {
			s.n.log.Debug("session control not sent", "topic", x.Topic, "err", err)
		}
	})
}

// propose starts a rekey of x if it is due and none is under way. It
// reports the session to seal with.
func (s *sessions) propose(x *session, force bool) *session {
	now := nowFunc()
	due := force || now.Sub(x.Since) >= SessionRekeyAfter || x.sealed.Load() >= SessionRekeyPackets
	if !due || x.Pending != nil || (x.Answered != nil && x.Answered.Epoch > x.Send) {
		return x
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if cur := s.get(x.Topic); cur != x {
		return cur // changed meanwhile
	}
	priv, err := seal.NewPrivateKey()
	if err != nil {
		return x
	}
	y := x.clone()
	y.Pending = &sessionProposal{Epoch: x.Send + 1, Priv: hex.EncodeToString(priv[:]), At: now}
	if err := s.store(y); err != nil {
		s.n.log.Warn("storing session", "err", err)
		return x
	}
	return y
}

// maintain proposes the rekeys that are due (a proposal not answered for a
// minute is sent again), and deletes keys past their grace. It reports
// whether it deleted any.
func (s *sessions) maintain(now time.Time) bool {
	s.mu.Lock()
	all := slices.Collect(maps.Values(s.byTopic))
	s.mu.Unlock()
	deleted := false
	for _, x := range all {
		// A proposal not answered, or an answer not confirmed, is sent
		// again: the packets it rode on may have been lost.
		y := s.propose(x, false)
		unconfirmed := y.Answered != nil && y.Answered.Epoch > y.Send
		if y != x || unconfirmed || (y.Pending != nil && now.Sub(y.Pending.At) > time.Minute) {
			s.sendControl(y)
		}
		if s.expire(x.Topic, now) {
			deleted = true
		}
	}
	return deleted
}

// expire deletes topic's keys past their grace.
func (s *sessions) expire(topic string, now time.Time) bool {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	x := s.get(topic)
	if x == nil {
		return false
	}
	y := x.clone()
	y.Keys = slices.DeleteFunc(y.Keys, func(ek epochKey) bool { return !ek.Until.IsZero() && now.After(ek.Until) })
	if len(y.Keys) == len(x.Keys) {
		return false
	}
	if err := s.store(y); err != nil {
		s.n.log.Warn("storing session", "err", err)
		return false
	}
	return true
}

// rekey starts a rekey of the session on topic now, whatever its age.
func (s *sessions) rekey(topic string) error {
	x := s.get(topic)
	if x == nil {
		return fmt.Errorf("%w: %s", ErrNoSession, topic)
	}
	s.sendControl(s.propose(x, true))
	return nil
}

// SendSessionCertified is SendSession with proof of delivery: the packet
// carries a bond like a certified first-contact packet (certify.go), every
// hop signs that it took it, and the session peer signs a receipt over the
// packet id, which /v0/receipts/{id} shows. The receipt says the peer's
// node took the packet; what the packet held stays inside the session.
func (n *Node) SendSessionCertified(ctx context.Context, topic string, flags byte, payload []byte) ([32]byte, error) {
	x := n.sess.get(topic)
	if x == nil {
		return [32]byte{}, fmt.Errorf("%w: %s", ErrNoSession, topic)
	}
	x = n.sess.propose(x, false)
	p, err := sealSession(x, byte(n.opts.TTL), uint16(x.Luminosity), flags, x.control(), true, payload)
	if err != nil {
		return [32]byte{}, err
	}
	raw := p.Marshal()
	// Held by the peer's delegates as well (hold.go): a peer that is
	// offline settles the packet as held, and delivered when it fetches it.
	n.hold.sent(x.peer, raw, PacketID(raw), true)
	return n.sendCertified(ctx, p, raw, x.peer.Overlay(), topic)
}
