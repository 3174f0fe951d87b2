package hold

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/identity"
)

// groupCopy is a group packet to members (full luminosity) narrowed to
// member i, as mf-route's sender hands it to that member's delegates.
func groupCopy(members []*identity.Identity, i int, body []byte) []byte {
	depth := 0
	for 1<<depth < len(members) {
		depth++
	}
	level := make([][32]byte, 1<<depth)
	for j, m := range members {
		o := m.Public().Overlay()
		level[j] = sha256.Sum256(append([]byte{0, 1, 0}, o[:]...))
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
	o := members[i].Public().Overlay()
	b := append([]byte{2, 2, 16, byte(depth)}, level[0][:]...)
	b = append(append(b, 1, byte(i), 1, 0), o[:]...)
	b = append(append(b, path...), 1, 2, 3, 4)
	b = append(b, bytes.Repeat([]byte{9}, 32)...)
	return append(binary.AppendUvarint(b, uint64(len(body))), body...)
}

// TestHoldGroupCopy: a delegate holds the copy of a group packet narrowed
// to its client, under the packet's id, and refuses, holding nothing, the
// copy narrowed to another member and one whose destination was rewritten.
func TestHoldGroupCopy(t *testing.T) {
	d := newDelegate(t, testOptions())
	client, sender, other := person(t, 2), person(t, 3), person(t, 4)
	d.agree(client)
	members := []*identity.Identity{sender, other, client}
	mine := groupCopy(members, 2, []byte("sealed for the group"))
	rc := d.mustHold(sender, client, mine)
	id, err := holdapi.PacketID(mine)
	if err != nil || rc.ID != id {
		t.Fatalf("receipt for %x, the packet's id is %x (%v)", rc.ID, id, err)
	}

	for _, tt := range []struct {
		name   string
		packet []byte
		code   int
		errc   string
	}{
		{"another member's copy", groupCopy(members, 1, []byte("sealed for the group")), 403, "not_addressed"},
		{"a destination rewritten", func() []byte {
			b := groupCopy(members, 1, []byte("sealed for the group"))
			o := client.Public().Overlay()
			copy(b[4+32+1+1+2:], o[:]) // the client's address with another's proof
			return b
		}(), 400, "bad_packet"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, b := d.hold(sender, client, tt.packet)
			if code != tt.code || !strings.Contains(string(b), tt.errc) {
				t.Fatalf("hold: %d %s, want %d %s", code, b, tt.code, tt.errc)
			}
		})
	}
	hs := d.fetch(client, 0)
	if len(hs) != 1 || !bytes.Equal(hs[0].Packet, mine) {
		t.Fatalf("%d packets held for the client, want its copy alone", len(hs))
	}
}
