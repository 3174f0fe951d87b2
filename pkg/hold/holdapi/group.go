package holdapi

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/wire"
)

// Group packets. A sender hands each member's delegates a copy of a group
// packet narrowed to that member: the destination list carries the
// member's destination alone, with its Merkle proof against the sender's
// commitment (the root), which the id covers. Narrowing is what every relay
// does where the members' paths part, so the copy is a packet a relay could
// have carried, with the id the member sees on the live copy: one
// received-list entry covers both.
//
// A delegate reads no more than a relay does: it checks every destination
// against the root and holds the copy only for a client one of them names
// (by its overlay address, to the luminosity the group uses). It cannot add
// a member of its own: that changes the root, hence the id and the sealed
// body's associated data, and no member opens the result.
//
// The layout (mf-route's, pkg/route/packet.go and dests.go):
//
//	version 1 byte (2), kind 1 byte (2), ttl 1 byte
//	depth   1 byte, 0..6
//	root    32 bytes
//	n       1 byte, 1..min(64, 2^depth)
//	n ×     index 1 byte (increasing, < 2^depth), bits 2 bytes (≤ 256),
//	        prefix ceil(bits/8) bytes (no bits set past bits), path depth × 32
//	topic   4 bytes
//	nonce   32 bytes
//	body    varint length, then the sealed body
//
// Leaf i of the tree is SHA-256(0x00 ‖ bits ‖ prefix), an inner node
// SHA-256(0x01 ‖ left ‖ right).

// ErrNotAddressed: a group packet none of whose destinations names the
// client it is to be held for.
var ErrNotAddressed = errors.New("hold: the group packet names no destination of this client")

const (
	kindGroup     = 2
	maxGroupDests = 64
	maxGroupDepth = 6
)

type groupDest struct {
	index  byte
	bits   uint16
	prefix []byte
}

// groupPacket is what a delegate reads of a group packet.
type groupPacket struct {
	depth byte
	root  [32]byte
	dests []groupDest
	// rest is topic, nonce and the length-prefixed body: what the id
	// covers after the commitment.
	rest []byte
}

// parseGroup decodes a group packet and checks each destination's proof.
func parseGroup(b []byte) (*groupPacket, error) {
	if len(b) > MaxPacket {
		return nil, fmt.Errorf("%w: %d bytes", ErrPacket, len(b))
	}
	r := wire.NewReader(b)
	if v, k := r.Byte(), r.Byte(); r.Err() == nil && (v != 2 || k != kindGroup) {
		return nil, ErrPacket
	}
	r.Byte() // ttl
	g := &groupPacket{depth: r.Byte()}
	if r.Err() == nil && g.depth > maxGroupDepth {
		return nil, fmt.Errorf("%w: a destination tree of depth %d", ErrPacket, g.depth)
	}
	copy(g.root[:], r.Fixed(32))
	n := int(r.Byte())
	if r.Err() == nil && (n < 1 || n > maxGroupDests || n > 1<<g.depth) {
		return nil, fmt.Errorf("%w: %d destinations in a tree of depth %d", ErrPacket, n, g.depth)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		d := groupDest{index: r.Byte(), bits: r.Uint16()}
		if r.Err() != nil {
			break
		}
		if int(d.index) >= 1<<g.depth || i > 0 && d.index <= g.dests[i-1].index || d.bits > 256 {
			return nil, fmt.Errorf("%w: a destination out of range", ErrPacket)
		}
		d.prefix = r.Fixed((int(d.bits) + 7) / 8)
		if r.Err() != nil {
			break
		}
		if d.bits%8 != 0 && d.prefix[len(d.prefix)-1]&(0xff>>(d.bits%8)) != 0 {
			return nil, fmt.Errorf("%w: a prefix with bits set past its length", ErrPacket)
		}
		h := d.leaf()
		idx := d.index
		for range g.depth {
			s := r.Fixed(32)
			if s == nil {
				break
			}
			if idx&1 == 0 {
				h = node(h[:], s)
			} else {
				h = node(s, h[:])
			}
			idx >>= 1
		}
		if r.Err() == nil && h != g.root {
			return nil, fmt.Errorf("%w: destination %d is not in the sender's list", ErrPacket, d.index)
		}
		g.dests = append(g.dests, d)
	}
	start := len(b) - r.Len()
	r.Fixed(4 + 32)
	r.Bytes(MaxPacket)
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPacket, err)
	}
	g.rest = b[start:]
	return g, nil
}

func (d groupDest) leaf() [32]byte {
	b := make([]byte, 3, 3+len(d.prefix))
	binary.BigEndian.PutUint16(b[1:], d.bits)
	return sha256.Sum256(append(b, d.prefix...))
}

func node(l, r []byte) [32]byte {
	b := make([]byte, 1, 65)
	b[0] = 1
	return sha256.Sum256(append(append(b, l...), r...))
}

// id is mf-route's id of a group packet: SHA-256 of version, kind, depth,
// root, topic, nonce and body (the body without its length prefix).
func (g *groupPacket) id() [32]byte {
	r := wire.NewReader(g.rest)
	topic, nonce, body := r.Fixed(4), r.Fixed(32), r.Bytes(MaxPacket)
	h := sha256.New()
	h.Write([]byte{2, kindGroup, g.depth})
	h.Write(g.root[:])
	h.Write(topic)
	h.Write(nonce)
	h.Write(body)
	return [32]byte(h.Sum(nil))
}

// names reports whether a destination of g is the zone o lies in.
func (g *groupPacket) names(o identity.Overlay) bool {
	for _, d := range g.dests {
		full := int(d.bits / 8)
		ok := string(o[:full]) == string(d.prefix[:full])
		if rem := d.bits % 8; ok && rem != 0 {
			mask := byte(0xff << (8 - rem))
			ok = o[full]&mask == d.prefix[full]
		}
		if ok {
			return true
		}
	}
	return false
}

// CheckAddressed checks that a delegate may hold a group packet for the
// client whose overlay address is client: one of its destinations must
// name it (ErrNotAddressed otherwise), and it must parse (ErrPacket). A
// data or session packet, whose one destination is its recipient's, is not
// looked at here: PacketID checks its form.
func CheckAddressed(packet []byte, client identity.Overlay) error {
	if len(packet) < 2 || packet[1] != kindGroup {
		return nil
	}
	g, err := parseGroup(packet)
	if err != nil {
		return err
	}
	if !g.names(client) {
		return ErrNotAddressed
	}
	return nil
}
