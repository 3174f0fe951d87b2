package route

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/seal"
	"github.com/mainframe/mf/pkg/wire"
)

// Packet wire format, version 2. Everything a relay needs is in clear; the
// payload and everything about the sender travel sealed to the recipient.
//
//	version  1 byte (2)
//	kind     1 byte (KindData)
//	ttl      1 byte, decremented by every relay; not covered by the id
//	bits     2 bytes, big-endian: how many leading bits of the destination
//	         overlay address the packet discloses (the luminosity, 0..256)
//	prefix   ceil(bits/8) bytes; bits past `bits` are zero
//	topic    4 bytes: TopicID of the topic name
//	eph      32 bytes: the sender's ephemeral X25519 key
//	body     varint length ≤ MaxBody, then the sealed envelope
//
// The packet id is SHA-256 of the packet without its ttl byte, so it is the
// same at every hop; relays drop packets whose id they have seen.
//
// Three kinds share this layout:
//
//	KindData     first contact: eph is a fresh X25519 key, the body is
//	             sealed to the recipient's key (package seal)
//	KindSession  inside a session (session.go): eph is a random nonce, the
//	             body is sealed with the session's symmetric key, and the
//	             packet carries no key of either party
//	KindGroup    multicast (group.go): instead of one bits+prefix there is
//	             the sender's commitment to its destination list (a Merkle
//	             root) and 1..MaxDests destinations, one per member, each
//	             with its proof (dests.go); eph is a random nonce and the
//	             body is sealed once with the group key. Relays split the
//	             destination list where the members' paths part, so the id
//	             of a group packet covers the commitment but not the
//	             destinations carried (nor the ttl).
//
// Version 2 added the commitment; version 1 group packets carried bare
// destinations, which relays could add to or rewrite.
const (
	Version     = 2
	KindData    = 0
	KindSession = 1
	KindGroup   = 2

	// MaxDests bounds the destinations of a group packet.
	MaxDests = 64

	// MaxPayload is the largest payload one packet carries.
	MaxPayload = 64 << 10
	// MaxTopic is the longest topic name.
	MaxTopic = 255

	envelopeOverhead = 1 + 65 + 32 + 8 + 2 + MaxTopic
	// MaxBody bounds the sealed envelope.
	MaxBody = MaxPayload + envelopeOverhead + seal.Overhead
	// MaxPacket bounds a whole encoded packet.
	MaxPacket = 3 + 1 + 32 + 1 + MaxDests*(1+2+32+maxDestDepth*32) + 4 + 32 + 4 + MaxBody
)

// Errors that decoding a packet or an envelope reports.
var (
	ErrPacket   = errors.New("route: malformed packet")
	ErrEnvelope = errors.New("route: malformed envelope")
)

// TopicID is the 4-byte tag of a topic name that travels in clear. Different
// names may share an id; receivers tell them apart after opening.
func TopicID(name string) [4]byte {
	h := sha256.Sum256([]byte("mf/topic/" + name))
	return [4]byte(h[:4])
}

// Packet is one decoded packet.
type Packet struct {
	Kind   byte
	TTL    byte
	Bits   uint16   // KindData, KindSession
	Prefix []byte   // KindData, KindSession
	Dests  []Dest   // KindGroup, each with its proof
	Root   [32]byte // KindGroup: the Merkle root of the sender's destinations
	Depth  byte     // KindGroup: the depth of that tree
	Topic  [4]byte
	Eph    seal.PublicKey // the ephemeral key, or a nonce
	Body   []byte
}

// header is the authenticated part of a packet that relays can read: the
// sealed envelope is bound to it, so a relay cannot re-address or re-tag a
// packet without the recipient noticing.
func (p *Packet) header() []byte {
	var w wire.Writer
	w.Byte(Version)
	w.Byte(p.Kind)
	if p.Kind != KindGroup {
		w.Uint16(p.Bits)
		w.Fixed(p.Prefix)
	} else {
		w.Byte(p.Depth)
		w.Fixed(p.Root[:])
	}
	w.Fixed(p.Topic[:])
	return w.B
}

// Marshal encodes p.
func (p *Packet) Marshal() []byte {
	w := wire.Writer{B: make([]byte, 0, 80+len(p.Prefix)+len(p.Body))}
	w.Byte(Version)
	w.Byte(p.Kind)
	w.Byte(p.TTL)
	if p.Kind == KindGroup {
		p.writeDests(&w)
	} else {
		w.Uint16(p.Bits)
		w.Fixed(p.Prefix)
	}
	w.Fixed(p.Topic[:])
	w.Fixed(p.Eph[:])
	w.Bytes(p.Body)
	return w.B
}

// ttlOffset is where the ttl byte sits in an encoded packet.
const ttlOffset = 2

// ID is the packet's hop-invariant hash.
func (p *Packet) ID() [32]byte {
	if p.Kind == KindGroup {
		h := sha256.New()
		h.Write([]byte{Version, p.Kind, p.Depth})
		h.Write(p.Root[:])
		h.Write(p.Topic[:])
		h.Write(p.Eph[:])
		h.Write(p.Body)
		return [32]byte(h.Sum(nil))
	}
	return PacketID(p.Marshal())
}

// PacketID computes the id of an encoded packet without decoding it.
func PacketID(b []byte) [32]byte {
	h := sha256.New()
	if len(b) > 3 {
		h.Write(b[:2])
		h.Write(b[3:])
	}
	return [32]byte(h.Sum(nil))
}

func prefixLen(bits uint16) int { return (int(bits) + 7) / 8 }

// UnmarshalPacket decodes and checks a packet. Body and Prefix alias b.
func UnmarshalPacket(b []byte) (*Packet, error) {
	if len(b) > MaxPacket {
		return nil, fmt.Errorf("%w: %d bytes", ErrPacket, len(b))
	}
	r := wire.NewReader(b)
	if v := r.Byte(); r.Err() == nil && v != Version {
		return nil, fmt.Errorf("%w: unknown version %d", ErrPacket, v)
	}
	p := &Packet{Kind: r.Byte(), TTL: r.Byte()}
	switch {
	case r.Err() != nil:
	case p.Kind == KindData || p.Kind == KindSession:
		p.Bits = r.Uint16()
		if p.Bits > 256 {
			return nil, fmt.Errorf("%w: luminosity %d over 256 bits", ErrPacket, p.Bits)
		}
		p.Prefix = r.Fixed(prefixLen(p.Bits))
		if err := checkPrefix(p.Prefix, p.Bits); r.Err() == nil && err != nil {
			return nil, err
		}
	case p.Kind == KindGroup:
		if err := p.readDests(r); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: unknown kind %d", ErrPacket, p.Kind)
	}
	copy(p.Topic[:], r.Fixed(4))
	copy(p.Eph[:], r.Fixed(32))
	p.Body = r.Bytes(MaxBody)
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPacket, err)
	}
	return p, nil
}

func checkPrefix(prefix []byte, bits uint16) error {
	if bits%8 != 0 && len(prefix) > 0 && prefix[len(prefix)-1]&(0xff>>(bits%8)) != 0 {
		return fmt.Errorf("%w: prefix has bits set past its length", ErrPacket)
	}
	return nil
}

// AddressPrefix returns the first bits of overlay o, zero-padded, as the
// prefix field of a packet.
func AddressPrefix(o identity.Overlay, bits uint16) []byte {
	p := append([]byte(nil), o[:prefixLen(bits)]...)
	if bits%8 != 0 {
		p[len(p)-1] &= 0xff << (8 - bits%8)
	}
	return p
}

// Matches reports whether overlay o lies in the zone the packet addresses.
func (p *Packet) Matches(o identity.Overlay) bool {
	return matchesPrefix(o, p.Prefix, p.Bits)
}

// Dest is the packet's destination.
func (p *Packet) Dest() Dest { return Dest{Bits: p.Bits, Prefix: p.Prefix} }

func matchesPrefix(o identity.Overlay, prefix []byte, bits uint16) bool {
	full := int(bits / 8)
	for i := 0; i < full; i++ {
		if o[i] != prefix[i] {
			return false
		}
	}
	if rem := bits % 8; rem != 0 {
		mask := byte(0xff) << (8 - rem)
		return o[full]&mask == prefix[full]
	}
	return true
}

// Envelope is what a packet carries sealed: who sent it (proved by a
// signature), how to reply, the full topic name, and the payload.
//
//	flags    1 byte
//	sig      65 bytes: the sender's secp256k1 signature (see signHash)
//	enc      32 bytes: the sender's X25519 key, so the recipient can reply
//	sent     8 bytes, big-endian: the sender's clock, Unix milliseconds
//	topic    varint length ≤ MaxTopic, then the name
//	payload  the rest, ≤ MaxPayload
//
// The send time is signed with the rest, so a relay that replays a packet
// after the recipient has forgotten its id finds it refused as stale (see
// replay.go).
type Envelope struct {
	Flags   byte
	Enc     seal.PublicKey
	Sent    time.Time
	Topic   string
	Payload []byte

	// Sender is recovered from the signature when opening.
	Sender identity.Public
}

// Envelope flags.
const (
	// FlagBench asks the recipient's daemon to acknowledge receipt at once
	// with its clock reading, for mf-route bench.
	FlagBench = 1 << 0
)

// signHash binds the signature to this packet's header and ephemeral key,
// so a recipient cannot re-seal a signed envelope to someone else as if it
// came fresh from the sender.
func signHash(header []byte, eph *seal.PublicKey, flags byte, enc *seal.PublicKey, sent uint64, topic string, payload []byte) []byte {
	// The topic is length-prefixed so that topic and payload cannot trade
	// bytes under the same signature.
	return crypto.Keccak256([]byte("mf/envelope/v1"), header, eph[:], []byte{flags}, enc[:], binary.BigEndian.AppendUint64(nil, sent), []byte{byte(len(topic))}, []byte(topic), payload)
}

// sentStamp is the send time as it travels: Unix milliseconds.
func sentStamp(t time.Time) uint64 { return uint64(t.UnixMilli()) }

// sentTime reads a send time; values past year 292 million are clamped so
// that no stamp overflows time.Time arithmetic.
func sentTime(ms uint64) time.Time { return time.UnixMilli(int64(min(ms, 1<<62))) }

// SealPacket builds a data packet from id to a recipient: the destination
// prefix (bits of the recipient's overlay) and topic are in clear, the rest
// is sealed to the recipient's X25519 key.
func SealPacket(id *identity.Identity, to identity.Public, bits uint16, ttl byte, topic string, flags byte, payload []byte) (*Packet, error) {
	return SealPacketAt(nowFunc(), id, to, bits, ttl, topic, flags, payload)
}

// SealPacketAt is SealPacket with a given send time: a recipient refuses a
// packet sent long before it arrives (replay.go), which tools that replay or
// test that rule need to produce.
func SealPacketAt(sent time.Time, id *identity.Identity, to identity.Public, bits uint16, ttl byte, topic string, flags byte, payload []byte) (*Packet, error) {
	if len(topic) == 0 || len(topic) > MaxTopic {
		return nil, fmt.Errorf("route: topic must be 1..%d bytes", MaxTopic)
	}
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("route: payload of %d bytes is over the %d-byte limit", len(payload), MaxPayload)
	}
	if bits > 256 {
		return nil, fmt.Errorf("route: luminosity must be 0..256 bits, not %d", bits)
	}
	p := &Packet{Kind: KindData, TTL: ttl, Bits: bits, Prefix: AddressPrefix(to.Overlay(), bits), Topic: TopicID(topic)}
	hdr := p.header()
	// The signature covers the ephemeral public key, so it is made first.
	eph, err := seal.NewEphemeral()
	if err != nil {
		return nil, err
	}
	p.Eph = eph.Pub
	enc := id.Public().Enc
	stamp := sentStamp(sent)
	sig, err := crypto.Sign(signHash(hdr, &p.Eph, flags, &enc, stamp, topic, payload), id.Key)
	if err != nil {
		return nil, err
	}
	var w wire.Writer
	w.B = make([]byte, 0, 1+65+32+8+2+len(topic)+len(payload)+seal.Overhead)
	w.Byte(flags)
	w.Fixed(sig)
	w.Fixed(enc[:])
	w.Uint64(stamp)
	w.Bytes([]byte(topic))
	w.Fixed(payload)
	p.Body, err = eph.Seal(nil, &to.Enc, w.B, hdr)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// OpenPacket opens a packet with o and checks the sender's signature.
// seal.ErrOpen means the packet is not for this key or was altered.
func OpenPacket(o *seal.Opener, p *Packet) (*Envelope, error) {
	hdr := p.header()
	pt, err := o.Open(nil, &p.Eph, p.Body, hdr)
	if err != nil {
		return nil, err
	}
	return decodeEnvelope(pt, hdr, &p.Eph)
}

func decodeEnvelope(pt, hdr []byte, eph *seal.PublicKey) (*Envelope, error) {
	r := wire.NewReader(pt)
	e := &Envelope{Flags: r.Byte()}
	sig := r.Fixed(65)
	copy(e.Enc[:], r.Fixed(32))
	sent := r.Uint64()
	e.Sent = sentTime(sent)
	e.Topic = string(r.Bytes(MaxTopic))
	e.Payload = r.Rest()
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEnvelope, err)
	}
	if len(e.Payload) > MaxPayload {
		return nil, fmt.Errorf("%w: payload over %d bytes", ErrEnvelope, MaxPayload)
	}
	key, err := crypto.SigToPub(signHash(hdr, eph, e.Flags, &e.Enc, sent, e.Topic, e.Payload), sig)
	if err != nil {
		return nil, fmt.Errorf("%w: bad sender signature", ErrEnvelope)
	}
	e.Sender = identity.Public{Key: key, Enc: e.Enc}
	return e, nil
}
