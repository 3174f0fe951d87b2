package route

import (
	"fmt"

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
