package holdapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/mainframe/mf/pkg/identity"
)

// testGroupCopy is a group packet to members (at luminosity bits) narrowed
// to member i, as mf-route's sender hands it to that member's delegates,
// and the packet's id (mf-route's Packet.ID, worked out here on its own).
func testGroupCopy(members []identity.Overlay, bits uint16, i int, body []byte) ([]byte, [32]byte) {
	depth := 0
	for 1<<depth < len(members) {
		depth++
	}
	prefix := func(o identity.Overlay) []byte {
		p := bytes.Clone(o[:(bits+7)/8])
		if bits%8 != 0 {
			p[len(p)-1] &= 0xff << (8 - bits%8)
		}
		return p
	}
	level := make([][32]byte, 1<<depth)
	for j, o := range members {
		level[j] = sha256.Sum256(append(binary.BigEndian.AppendUint16([]byte{0}, bits), prefix(o)...))
	}
	var path []byte
	for idx := i; len(level) > 1; idx >>= 1 {
		path = append(path, level[idx^1][:]...)
		next := make([][32]byte, len(level)/2)
		for j := range next {
			next[j] = sha256.Sum256(append(append([]byte{1}, level[2*j][:]...), level[2*j+1][:]...))
		}
		level = next
	}
	root := level[0]
	topic, nonce := []byte{1, 2, 3, 4}, bytes.Repeat([]byte{7}, 32)
	b := append([]byte{2, 2, 16, byte(depth)}, root[:]...)
	b = append(b, 1, byte(i))
	b = binary.BigEndian.AppendUint16(b, bits)
	b = append(append(b, prefix(members[i])...), path...)
	b = append(append(b, topic...), nonce...)
	b = append(binary.AppendUvarint(b, uint64(len(body))), body...)
	h := sha256.New()
	h.Write([]byte{2, 2, byte(depth)})
	h.Write(root[:])
	h.Write(topic)
	h.Write(nonce)
	h.Write(body)
	return b, [32]byte(h.Sum(nil))
}

func testMembers(n int) []identity.Overlay {
	var out []identity.Overlay
	for i := range n {
		out = append(out, sha256.Sum256([]byte{'m', byte(i)}))
	}
	return out
}

// TestGroupCopy: a group packet narrowed to one member has the packet's
// id and names that member only; one whose destination does not check
// against the commitment is not a packet.
func TestGroupCopy(t *testing.T) {
	ms := testMembers(5)
	for _, bits := range []uint16{256, 13, 0} {
		for i := range ms {
			b, want := testGroupCopy(ms, bits, i, []byte("sealed"))
			id, err := PacketID(b)
			if err != nil || id != want {
				t.Fatalf("bits %d, member %d: id %x (%v), want %x", bits, i, id, err, want)
			}
			if err := CheckAddressed(b, ms[i]); err != nil {
				t.Fatalf("bits %d: the copy for member %d refused for it: %v", bits, i, err)
			}
			err = CheckAddressed(b, ms[(i+1)%len(ms)])
			if bits == 256 && !errors.Is(err, ErrNotAddressed) || bits == 0 && err != nil {
				t.Fatalf("bits %d: the copy for member %d checked for another: %v", bits, i, err)
			}
		}
	}
	b, _ := testGroupCopy(ms, 256, 2, []byte("sealed"))
	bad := bytes.Clone(b)
	bad[4+32+1+1+2] ^= 1 // the destination's prefix: its proof no longer checks
	if _, err := PacketID(bad); !errors.Is(err, ErrPacket) {
		t.Fatalf("a rewritten destination: %v", err)
	}
	if err := CheckAddressed(bad, ms[2]); !errors.Is(err, ErrPacket) {
		t.Fatalf("a rewritten destination checked: %v", err)
	}
}

// FuzzGroupPacket: a group packet's parse never panics; what parses has
// one id whatever its ttl, and a copy another member's destination was
// taken for names nobody the check did not.
func FuzzGroupPacket(f *testing.F) {
	ms := testMembers(3)
	for _, bits := range []uint16{256, 13, 0} {
		b, _ := testGroupCopy(ms, bits, 1, []byte("sealed"))
		f.Add(b)
	}
	b, _ := testGroupCopy(testMembers(64), 256, 63, nil)
	f.Add(b)
	f.Add([]byte{2, 2, 16, 7})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := PacketID(b)
		if len(b) > 1 && b[1] == kindGroup && err == nil {
			c := bytes.Clone(b)
			c[2]++
			if id2, _ := PacketID(c); id2 != id {
				t.Fatal("the id covers the ttl")
			}
		}
		aerr := CheckAddressed(b, ms[1])
		if aerr == nil && err != nil && len(b) > 1 && b[1] == kindGroup {
			t.Fatal("a group packet that does not parse was addressed")
		}
	})
}
