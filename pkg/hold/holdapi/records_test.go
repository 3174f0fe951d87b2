package holdapi

import (
	"crypto/sha256"
	"errors"
	"testing"
)

// TestPacketIDKinds: a delegate holds data packets (kind 0) and session
// packets (kind 1, mf-chat's 1:1 messages), whose ids are mf-route's
// (SHA-256 without the ttl byte); a group packet (kind 2) in this layout
// has no destination commitment, and is refused (TestGroupCopy has the
// group packets a delegate holds).
func TestPacketIDKinds(t *testing.T) {
	for _, tt := range []struct {
		name string
		kind byte
		ok   bool
	}{{"data", 0, true}, {"session", 1, true}, {"group without a commitment", 2, false}, {"unknown", 9, false}} {
		t.Run(tt.name, func(t *testing.T) {
			b := append([]byte{2, tt.kind, 16, 1, 0, 0xab, 1, 2, 3, 4}, make([]byte, 32)...)
			b = append(b, 3, 'a', 'b', 'c')
			id, err := PacketID(b)
			if !tt.ok {
				if !errors.Is(err, ErrPacket) {
					t.Fatalf("kind %d: err %v, want ErrPacket", tt.kind, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := sha256.Sum256(append(append([]byte{}, b[:2]...), b[3:]...))
			if id != want {
				t.Fatalf("id %x, want %x", id, want)
			}
		})
	}
}
