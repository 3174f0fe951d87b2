package route

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/wire"
)

// Frames on a /mf/route/1 stream. A frame whose first byte is the packet
// version is a plain packet; the others are control frames of certified
// delivery:
//
//	certified  0x80, bond (varint, token units offered to the next hop),
//	           then the packet: the sender asks for proof of delivery
//	receipt    0x81, then a Receipt: proof travelling back toward the sender
//
// Keeping the certify request outside the packet keeps the packet id the
// same whether or not a hop was asked for proof, so in dark mode a relay can
// ask only some zone members without anyone telling the copies apart.
const (
	frameCertified = 0x80
	frameReceipt   = 0x81
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

const receiptLen = 32 + 1 + 32 + 65

// ErrReceipt means a receipt is malformed or its signature invalid.
var ErrReceipt = errors.New("route: invalid receipt")

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

// certifiedFrame wraps a packet in a certify request.
func certifiedFrame(bond uint64, raw []byte) []byte {
	w := wire.Writer{B: make([]byte, 0, 11+len(raw))}
	w.Byte(frameCertified)
	w.Uvarint(bond)
	w.Fixed(raw)
	return w.B
}

// decodeCertified splits a certified frame (without its type byte) into the
// bond and the packet bytes.
func decodeCertified(b []byte) (uint64, []byte, error) {
	r := wire.NewReader(b)
	bond := r.Uvarint()
	if err := r.Err(); err != nil {
		return 0, nil, fmt.Errorf("%w: certified frame: %v", ErrPacket, err)
	}
	return bond, r.Rest(), nil
}
