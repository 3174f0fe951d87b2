package route

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/mainframe/mf/pkg/wire"
)

// The destination list of a group packet is committed to by its sender, so
// that relays can narrow it (forwarding splits it where the members' paths
// part) but never add to it or rewrite it.
//
// The sender builds a Merkle tree over its destinations: leaf i is
// H(0x00 ‖ bits ‖ prefix) of destination i, leaves past the last are 32 zero
// bytes (no destination hashes to them), and an inner node is
// H(0x01 ‖ left ‖ right), with H SHA-256. The tree has 2^depth leaves. The
// root and depth travel in the packet's header, which the sealed body is
// bound to (its associated data) and which the packet id covers. Each
// destination carries its leaf index and its path (the depth sibling
// hashes from leaf to root), so any node, relay or member, can check every
// destination it reads against the root without opening anything, and
// drops a packet where one does not check.
//
// What a relay can still do: forward fewer destinations (what a split
// does), or build a tree of its own. A tree of its own changes the root,
// hence the id and the associated data: members cannot open that packet,
// and it does not share an id with the genuine one, so it cannot stand in
// for it in the duplicate filter. It is then no more than junk the relay
// could have made up, which any peer can send.

// maxDestDepth is the depth of a tree of MaxDests leaves.
const maxDestDepth = 6

// destLeaf is the leaf hash of a destination.
func destLeaf(d Dest) [32]byte {
	var b [3 + 32]byte
	binary.BigEndian.PutUint16(b[1:], d.Bits)
	return sha256.Sum256(b[:3+copy(b[3:], d.Prefix)])
}

// destNode is the hash of an inner node.
func destNode(l, r [32]byte) [32]byte {
	var b [65]byte
	b[0] = 1
	copy(b[1:], l[:])
	copy(b[33:], r[:])
	return sha256.Sum256(b[:])
}

// destDepth is the depth of the smallest tree with n leaves.
func destDepth(n int) byte {
	d := byte(0)
	for 1<<d < n {
		d++
	}
	return d
}

// commitDests builds the tree over p.Dests (1..MaxDests of them): it sets
// p.Root and p.Depth, and each destination's Index and Path.
func (p *Packet) commitDests() {
	depth := destDepth(len(p.Dests))
	level := make([][32]byte, 1<<depth)
	for i := range p.Dests {
		level[i] = destLeaf(p.Dests[i])
		p.Dests[i].Index = uint8(i)
		p.Dests[i].Path = make([][32]byte, 0, depth)
	}
	for l := byte(0); l < depth; l++ {
		for i := range p.Dests {
			p.Dests[i].Path = append(p.Dests[i].Path, level[(i>>l)^1])
		}
		next := make([][32]byte, len(level)/2)
		for j := range next {
			next[j] = destNode(level[2*j], level[2*j+1])
		}
		level = next
	}
	p.Root, p.Depth = level[0], depth
}

// verifyDest reports whether d, with its index and path, is a leaf of the
// tree of that root and depth.
func verifyDest(root [32]byte, depth byte, d Dest) bool {
	if depth > maxDestDepth || len(d.Path) != int(depth) || int(d.Index) >= 1<<depth {
		return false
	}
	// The leaf hashes at most 32 bytes of prefix: a longer one, or one
	// of another length than its bits need, would pass with bytes the
	// commitment never covered.
	if d.Bits > 256 || len(d.Prefix) != (int(d.Bits)+7)/8 {
		return false
	}
	h := destLeaf(d)
	idx := d.Index
	for _, s := range d.Path {
		if idx&1 == 0 {
			h = destNode(h, s)
		} else {
			h = destNode(s, h)
		}
		idx >>= 1
	}
	return h == root
}

// writeDests encodes a group packet's commitment and destinations:
//
//	depth  1 byte, 0..6: the tree has 2^depth leaves
//	root   32 bytes
//	n      1 byte, 1..min(MaxDests, 2^depth)
//	n ×    index 1 byte (increasing), bits 2 bytes, prefix ceil(bits/8)
//	       bytes, path depth × 32 bytes
func (p *Packet) writeDests(w *wire.Writer) {
	w.Byte(p.Depth)
	w.Fixed(p.Root[:])
	w.Byte(byte(len(p.Dests)))
	for _, d := range p.Dests {
		w.Byte(d.Index)
		w.Uint16(d.Bits)
		w.Fixed(d.Prefix)
		for _, s := range d.Path {
			w.Fixed(s[:])
		}
	}
}

// readDests decodes what writeDests wrote and checks every destination
// against the root: a list a relay added to or rewrote is refused here.
// Prefixes alias r's buffer.
func (p *Packet) readDests(r *wire.Reader) error {
	p.Depth = r.Byte()
	if r.Err() == nil && p.Depth > maxDestDepth {
		return fmt.Errorf("%w: destination tree of depth %d, over %d", ErrPacket, p.Depth, maxDestDepth)
	}
	copy(p.Root[:], r.Fixed(32))
	n := int(r.Byte())
	if r.Err() == nil && (n < 1 || n > MaxDests || n > 1<<p.Depth) {
		return fmt.Errorf("%w: %d destinations in a tree of depth %d", ErrPacket, n, p.Depth)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		d := Dest{Index: r.Byte(), Bits: r.Uint16()}
		if r.Err() != nil {
			break
		}
		if i > 0 && d.Index <= p.Dests[i-1].Index {
			return fmt.Errorf("%w: destination indexes not increasing", ErrPacket)
		}
		if d.Bits > 256 {
			return fmt.Errorf("%w: luminosity %d over 256 bits", ErrPacket, d.Bits)
		}
		d.Prefix = r.Fixed(prefixLen(d.Bits))
		if err := checkPrefix(d.Prefix, d.Bits); r.Err() == nil && err != nil {
			return err
		}
		d.Path = make([][32]byte, p.Depth)
		for j := range d.Path {
			copy(d.Path[j][:], r.Fixed(32))
		}
		if r.Err() == nil && !verifyDest(p.Root, p.Depth, d) {
			return fmt.Errorf("%w: destination %d is not in the sender's list", ErrPacket, d.Index)
		}
		p.Dests = append(p.Dests, d)
	}
	return nil
}
