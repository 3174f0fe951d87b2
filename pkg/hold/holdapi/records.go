package holdapi

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/wire"
)

// Errors of the records.
var (
	ErrPacket    = errors.New("hold: not a sealed data, session or group packet")
	ErrRecord    = errors.New("hold: malformed record")
	ErrSignature = errors.New("hold: bad signature")
)

// Domains of the signatures.
const (
	receiptDomain  = "mf/hold/receipt/v1"
	receivedDomain = "mf/hold/received/v2"
)

// PacketID is mf-route's id of a sealed packet a delegate may hold:
//
//   - a data packet (version 2, kind 0) or session packet (kind 1, the
//     same layout: its eph is a nonce): SHA-256 of the packet without its
//     ttl byte (the third), so that it is the same at every hop and the
//     same the recipient sees;
//   - a group packet (kind 2): SHA-256 of what mf-route's group id covers
//     (version, kind, the destination commitment, topic, nonce and body),
//     not the destinations carried, so that the copy narrowed to one member
//     (ForGroupMember) has the id of the packet every member gets. Every
//     destination it carries is checked against the commitment first.
func PacketID(b []byte) ([32]byte, error) {
	if len(b) > 2 && b[0] == 2 && b[1] == kindGroup {
		g, err := parseGroup(b)
		if err != nil {
			return [32]byte{}, err
		}
		return g.id(), nil
	}
	// version, kind, ttl, bits (2), topic (4), eph (32), body length (1+)
	if len(b) < 3+2+4+32+1 || len(b) > MaxPacket || b[0] != 2 || (b[1] != 0 && b[1] != 1) {
		return [32]byte{}, ErrPacket
	}
	h := sha256.New()
	h.Write(b[:2])
	h.Write(b[3:])
	var id [32]byte
	h.Sum(id[:0])
	return id, nil
}

// Receipt is a delegate's signed word that it holds a packet for a
// client: the packet's id and the SHA-256 of its bytes as taken. A sender
// counts a certified packet as held from these receipts; a client that
// does not get a packet a receipt names from its delegate has the receipt
// to show.
type Receipt struct {
	Delegate common.Address `json:"delegate"`
	Client   common.Address `json:"client"`
	ID       [32]byte       `json:"-"`
	Hash     [32]byte       `json:"-"`
	Size     uint32         `json:"size"`
	TakenMs  uint64         `json:"taken_ms"`
	Sig      []byte         `json:"-"`
	// Claim is the delegate's court promise for the packet, when it
	// staked for the client (court.go); the receipt's signature does not
	// cover it: it carries its own, for the court.
	Claim *Claim `json:"-"`
}

func (r *Receipt) body() []byte {
	var w wire.Writer
	w.Fixed(r.Delegate[:])
	w.Fixed(r.Client[:])
	w.Fixed(r.ID[:])
	w.Fixed(r.Hash[:])
	w.Uvarint(uint64(r.Size))
	w.Uint64(r.TakenMs)
	return w.B
}

func digest(domain string, body []byte) []byte {
	return crypto.Keccak256([]byte(domain), body)
}

// SignReceipt signs a receipt for packet, taken at takenMs, with the
// delegate's key.
func SignReceipt(key *ecdsa.PrivateKey, client common.Address, packet []byte, takenMs uint64) (*Receipt, error) {
	id, err := PacketID(packet)
	if err != nil {
		return nil, err
	}
	r := &Receipt{Delegate: crypto.PubkeyToAddress(key.PublicKey), Client: client, ID: id, Hash: sha256.Sum256(packet),
		Size: uint32(len(packet)), TakenMs: takenMs}
	r.Sig, err = crypto.Sign(digest(receiptDomain, r.body()), key)
	return r, err
}

// Verify checks that the delegate signed the receipt.
func (r *Receipt) Verify() error {
	a, err := recoverAddr(digest(receiptDomain, r.body()), r.Sig)
	if err != nil {
		return err
	}
	if a != r.Delegate {
		return fmt.Errorf("%w: receipt signed by %s, not by the delegate %s", ErrSignature, a.Hex(), r.Delegate.Hex())
	}
	return nil
}

// Encode is the binary form: the body and the 65-byte signature.
func (r *Receipt) Encode() []byte { return append(r.body(), r.Sig...) }

// DecodeReceipt reads the binary form and verifies it.
func DecodeReceipt(b []byte) (*Receipt, error) {
	rd := wire.NewReader(b)
	r := &Receipt{}
	copy(r.Delegate[:], rd.Fixed(20))
	copy(r.Client[:], rd.Fixed(20))
	copy(r.ID[:], rd.Fixed(32))
	copy(r.Hash[:], rd.Fixed(32))
	size := rd.Uvarint()
	r.TakenMs = rd.Uint64()
	r.Sig = append([]byte(nil), rd.Fixed(crypto.SignatureLength)...)
	if err := rd.Done(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRecord, err)
	}
	if size == 0 || size > MaxPacket {
		return nil, fmt.Errorf("%w: packet size %d", ErrRecord, size)
	}
	r.Size = uint32(size)
	return r, r.Verify()
}

// receiptJSON shows a receipt: the binary form in hex beside the fields.
type receiptJSON struct {
	Delegate common.Address `json:"delegate"`
	Client   common.Address `json:"client"`
	ID       string         `json:"id"`
	Hash     string         `json:"hash"`
	Size     uint32         `json:"size"`
	TakenMs  uint64         `json:"taken_ms"`
	Sig      string         `json:"signature"`
	Claim    *Claim         `json:"claim,omitempty"`
}

// MarshalJSON shows the fields in hex.
func (r *Receipt) MarshalJSON() ([]byte, error) {
	return jsonMarshal(receiptJSON{Delegate: r.Delegate, Client: r.Client, ID: hex.EncodeToString(r.ID[:]),
		Hash: hex.EncodeToString(r.Hash[:]), Size: r.Size, TakenMs: r.TakenMs, Sig: hex.EncodeToString(r.Sig), Claim: r.Claim})
}

// UnmarshalJSON reads what MarshalJSON writes and verifies the signature.
func (r *Receipt) UnmarshalJSON(b []byte) error {
	var j receiptJSON
	if err := jsonUnmarshal(b, &j); err != nil {
		return err
	}
	id, err1 := hex.DecodeString(j.ID)
	h, err2 := hex.DecodeString(j.Hash)
	sig, err3 := hex.DecodeString(j.Sig)
	if err := errors.Join(err1, err2, err3); err != nil || len(id) != 32 || len(h) != 32 {
		return fmt.Errorf("%w: receipt fields", ErrRecord)
	}
	*r = Receipt{Delegate: j.Delegate, Client: j.Client, Size: j.Size, TakenMs: j.TakenMs, Sig: sig, Claim: j.Claim}
	copy(r.ID[:], id)
	copy(r.Hash[:], h)
	return r.Verify()
}

// ReceivedList is a client's signed list of packet ids it has received,
// for one delegate: the delegate deletes the ones it holds and charges
// for the time it held them, up to AtMs, the time the client signed. A
// list names its delegate, so that it cannot be replayed to another. A
// list for a delegate that staked carries the client's court Release of
// the ids (court.go), without which the delegate keeps them.
type ReceivedList struct {
	Client   common.Address
	Delegate common.Address
	AtMs     uint64
	IDs      [][32]byte
	Release  *Release
	Sig      []byte
}

func (l *ReceivedList) body() []byte {
	var w wire.Writer
	w.Fixed(l.Client[:])
	w.Fixed(l.Delegate[:])
	w.Uint64(l.AtMs)
	w.Uvarint(uint64(len(l.IDs)))
	for _, id := range l.IDs {
		w.Fixed(id[:])
	}
	if l.Release == nil {
		w.Byte(0)
		return w.B
	}
	w.Byte(1)
	var ag [32]byte
	if l.Release.Agreement != nil && l.Release.Agreement.Sign() > 0 && l.Release.Agreement.BitLen() <= 256 {
		l.Release.Agreement.FillBytes(ag[:])
	}
	w.Fixed(ag[:])
	w.Fixed(l.Release.Sig)
	return w.B
}

// Sign sets the client to key's address and signs.
func (l *ReceivedList) Sign(key *ecdsa.PrivateKey) error {
	if len(l.IDs) == 0 || len(l.IDs) > MaxReceived {
		return fmt.Errorf("%w: a received-list names 1 to %d ids", ErrRecord, MaxReceived)
	}
	l.Client = crypto.PubkeyToAddress(key.PublicKey)
	var err error
	l.Sig, err = crypto.Sign(digest(receivedDomain, l.body()), key)
	return err
}

// Verify checks that the client signed the list.
func (l *ReceivedList) Verify() error {
	a, err := recoverAddr(digest(receivedDomain, l.body()), l.Sig)
	if err != nil {
		return err
	}
	if a != l.Client {
		return fmt.Errorf("%w: received-list signed by %s, not by the client %s", ErrSignature, a.Hex(), l.Client.Hex())
	}
	return nil
}

// Encode is the binary form: the body and the signature.
func (l *ReceivedList) Encode() []byte { return append(l.body(), l.Sig...) }

// DecodeReceivedList reads the binary form and verifies it.
func DecodeReceivedList(b []byte) (*ReceivedList, error) {
	rd := wire.NewReader(b)
	l := &ReceivedList{}
	copy(l.Client[:], rd.Fixed(20))
	copy(l.Delegate[:], rd.Fixed(20))
	l.AtMs = rd.Uint64()
	n := rd.Uvarint()
	if n == 0 || n > MaxReceived {
		return nil, fmt.Errorf("%w: a received-list names 1 to %d ids, not %d", ErrRecord, MaxReceived, n)
	}
	l.IDs = make([][32]byte, 0, n)
	for range n {
		var id [32]byte
		copy(id[:], rd.Fixed(32))
		l.IDs = append(l.IDs, id)
	}
	switch rd.Byte() {
	case 0:
	case 1:
		l.Release = &Release{Agreement: new(big.Int).SetBytes(rd.Fixed(32)), Sig: append([]byte(nil), rd.Fixed(crypto.SignatureLength)...)}
		if l.Release.Agreement.Sign() == 0 {
			return nil, fmt.Errorf("%w: a release for agreement 0", ErrRecord)
		}
	default:
		return nil, fmt.Errorf("%w: a received-list's release flag", ErrRecord)
	}
	l.Sig = append([]byte(nil), rd.Fixed(crypto.SignatureLength)...)
	if err := rd.Done(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRecord, err)
	}
	return l, l.Verify()
}

// Held is one packet a fetch answers with: its place in the order the
// delegate took the client's packets, when it took it, its place in the
// order its sender sent (Order: the sender's, 0 when it gave none; it
// orders packets sent within the same millisecond, which the signed send
// time cannot), the sender's flags, and its bytes.
type Held struct {
	Seq     uint64
	TakenMs uint64
	Order   uint64
	Flags   byte
	Packet  []byte
}

// Flags a sender gives a held packet.
const (
	// FlagCertified: the sender asked for proof of delivery, so the
	// recipient signs a receipt for it when it fetches it.
	FlagCertified = 1
	knownFlags    = FlagCertified
)

// AppendHeld appends h's frame to b: seq, taken, order, flags, then the
// packet with its length.
func AppendHeld(b []byte, h Held) []byte {
	w := wire.Writer{B: b}
	w.Uint64(h.Seq)
	w.Uint64(h.TakenMs)
	w.Uint64(h.Order)
	w.Byte(h.Flags)
	w.Bytes(h.Packet)
	return w.B
}

// EncodeHeld is the body of a fetch answer.
func EncodeHeld(hs []Held) []byte {
	var b []byte
	for _, h := range hs {
		b = AppendHeld(b, h)
	}
	return b
}

// DecodeHeld reads a fetch answer: at most MaxFetch frames, each packet a
// data packet of at most MaxPacket bytes, in increasing seq.
func DecodeHeld(b []byte) ([]Held, error) {
	rd := wire.NewReader(b)
	var out []Held
	for rd.Len() > 0 {
		if len(out) == MaxFetch {
			return nil, fmt.Errorf("%w: more than %d held packets in one answer", ErrRecord, MaxFetch)
		}
		h := Held{Seq: rd.Uint64(), TakenMs: rd.Uint64(), Order: rd.Uint64(), Flags: rd.Byte(), Packet: rd.Bytes(MaxPacket)}
		if err := rd.Err(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrRecord, err)
		}
		if h.Flags&^knownFlags != 0 {
			return nil, fmt.Errorf("%w: unknown flags %#x", ErrRecord, h.Flags)
		}
		if _, err := PacketID(h.Packet); err != nil {
			return nil, err
		}
		if len(out) > 0 && h.Seq <= out[len(out)-1].Seq {
			return nil, fmt.Errorf("%w: held packets out of order", ErrRecord)
		}
		out = append(out, h)
	}
	return out, nil
}

// ParseAmount reads a whole amount of base units, at least 0.
func ParseAmount(s string) (*big.Int, bool) {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok || v.Sign() < 0 || v.BitLen() > 256 {
		return nil, false
	}
	return v, true
}

// recoverAddr returns the address that signed digest. Only the low-s form
// is accepted, so that a signature has one spelling.
func recoverAddr(d, sig []byte) (common.Address, error) {
	if len(sig) != crypto.SignatureLength {
		return common.Address{}, fmt.Errorf("%w: signature of %d bytes", ErrSignature, len(sig))
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	if !crypto.ValidateSignatureValues(sig[64], r, s, true) {
		return common.Address{}, fmt.Errorf("%w: malformed signature values", ErrSignature)
	}
	pub, err := crypto.SigToPub(d, sig)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}
