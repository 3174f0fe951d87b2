package route

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/seal"
	"github.com/mainframe/mf/pkg/wire"
)

func newIdentity(t testing.TB) *identity.Identity {
	t.Helper()
	id, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustSeal(t testing.TB, from *identity.Identity, to identity.Public, bits uint16, topic string, flags byte, payload []byte) *Packet {
	t.Helper()
	p, err := SealPacket(from, to, bits, 16, topic, flags, payload)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// clonePacket is a deep copy, so tests can alter one field of a packet.
func clonePacket(p *Packet) *Packet {
	q := *p
	q.Prefix = bytes.Clone(p.Prefix)
	q.Body = bytes.Clone(p.Body)
	return &q
}

func TestSealOpenPacket(t *testing.T) {
	alice, bob := newIdentity(t), newIdentity(t)
	tests := []struct {
		name    string
		bits    uint16
		topic   string
		flags   byte
		payload []byte
	}{
		{"short", 256, "chat", 0, []byte("hello bob")},
		{"empty payload", 256, "chat", 0, nil},
		{"bench flag", 256, "mf/bench", FlagBench, []byte("x")},
		{"dim", 9, "chat", 0, []byte("hidden in a zone")},
		{"dark", 0, "chat", 0, []byte("anyone might be the recipient")},
		{"longest topic", 256, strings.Repeat("t", MaxTopic), 0, []byte("p")},
		{"largest payload", 256, "bulk", 0, bytes.Repeat([]byte{0xa5}, MaxPayload)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustSeal(t, alice, bob.Public(), tt.bits, tt.topic, tt.flags, tt.payload)
			if len(tt.payload) > 8 && bytes.Contains(p.Body, tt.payload) {
				t.Fatal("body carries the payload in clear")
			}
			if len(tt.topic) > 4 && bytes.Contains(p.Marshal(), []byte(tt.topic)) {
				t.Fatal("packet carries the topic name in clear")
			}
			if !p.Matches(bob.Public().Overlay()) {
				t.Fatal("packet does not address its recipient")
			}
			b := p.Marshal()
			if len(b) > MaxPacket {
				t.Fatalf("packet of %d bytes is over MaxPacket", len(b))
			}
			q, err := UnmarshalPacket(b)
			if err != nil {
				t.Fatal(err)
			}
			env, err := OpenPacket(seal.NewOpener(bob.Enc), q)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(env.Payload, tt.payload) {
				t.Fatalf("payload = %q, want %q", env.Payload, tt.payload)
			}
			if env.Topic != tt.topic || q.Topic != TopicID(tt.topic) {
				t.Fatalf("topic = %q (%x), want %q", env.Topic, q.Topic, tt.topic)
			}
			if env.Flags != tt.flags {
				t.Fatalf("flags = %#x, want %#x", env.Flags, tt.flags)
			}
			if env.Sender.Overlay() != alice.Public().Overlay() {
				t.Fatal("sender overlay is not alice's")
			}
			if env.Sender.Enc != alice.Public().Enc || env.Enc != alice.Public().Enc {
				t.Fatal("reply key is not alice's")
			}
		})
	}
}

func TestOpenPacketWrongRecipient(t *testing.T) {
	alice, bob, carol := newIdentity(t), newIdentity(t), newIdentity(t)
	p := mustSeal(t, alice, bob.Public(), 256, "chat", 0, []byte("for bob only"))
	for name, id := range map[string]*identity.Identity{"carol": carol, "the sender": alice} {
		if env, err := OpenPacket(seal.NewOpener(id.Enc), p); !errors.Is(err, seal.ErrOpen) {
			t.Fatalf("%s opened bob's packet: %v, %v", name, env, err)
		}
	}
}

// TestOpenPacketTampered alters every part of a packet that the recipient
// relies on: each alteration must make OpenPacket fail.
func TestOpenPacketTampered(t *testing.T) {
	alice, bob := newIdentity(t), newIdentity(t)
	o := seal.NewOpener(bob.Enc)
	p := mustSeal(t, alice, bob.Public(), 256, "chat", 0, []byte("an ordinary message"))

	t.Run("every body byte", func(t *testing.T) {
		for i := range p.Body {
			for _, mask := range []byte{0x01, 0xff} {
				q := clonePacket(p)
				q.Body[i] ^= mask
				if env, err := OpenPacket(o, q); !errors.Is(err, seal.ErrOpen) {
					t.Fatalf("body byte %d ^ %#x: %v, %v", i, mask, env, err)
				}
			}
		}
	})

	other := newIdentity(t).Public().Overlay()
	tests := []struct {
		name  string
		alter func(q *Packet)
	}{
		{"topic", func(q *Packet) { q.Topic = TopicID("chat2") }},
		{"topic bit", func(q *Packet) { q.Topic[3] ^= 1 }},
		{"bits", func(q *Packet) { q.Bits = 255; q.Prefix = AddressPrefix(bob.Public().Overlay(), 255) }},
		{"bits only", func(q *Packet) { q.Bits = 128 }},
		{"prefix", func(q *Packet) { q.Prefix = AddressPrefix(other, 256) }},
		{"prefix bit", func(q *Packet) { q.Prefix[31] ^= 1 }},
		{"kind", func(q *Packet) { q.Kind = 1 }},
		{"ephemeral key", func(q *Packet) { q.Eph[0] ^= 1 }},
		{"low-order ephemeral key", func(q *Packet) { q.Eph = seal.PublicKey{} }},
		{"truncated body", func(q *Packet) { q.Body = q.Body[:len(q.Body)-1] }},
		{"extended body", func(q *Packet) { q.Body = append(q.Body, 0) }},
		{"empty body", func(q *Packet) { q.Body = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := clonePacket(p)
			tt.alter(q)
			if env, err := OpenPacket(o, q); !errors.Is(err, seal.ErrOpen) {
				t.Fatalf("opened an altered packet: %v, %v", env, err)
			}
		})
	}

	t.Run("ttl is not covered", func(t *testing.T) {
		// Relays decrement the ttl, so it must not break the seal or the id.
		q := clonePacket(p)
		q.TTL = 1
		if _, err := OpenPacket(o, q); err != nil {
			t.Fatal(err)
		}
		if q.ID() != p.ID() {
			t.Fatal("ttl changed the packet id")
		}
	})
}

func TestAddressPrefix(t *testing.T) {
	var o identity.Overlay
	for i := range o {
		o[i] = byte(0x5a + 37*i) // no two neighbouring bits alike for long
	}
	// flipBit returns o with bit i (0 = most significant of byte 0) flipped.
	flipBit := func(o identity.Overlay, i int) identity.Overlay {
		o[i/8] ^= 0x80 >> (i % 8)
		return o
	}
	tests := []struct {
		bits    uint16
		wantLen int
	}{
		{0, 0}, {1, 1}, {7, 1}, {8, 1}, {9, 2}, {255, 32}, {256, 32},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.bits), func(t *testing.T) {
			prefix := AddressPrefix(o, tt.bits)
			if len(prefix) != tt.wantLen {
				t.Fatalf("prefix of %d bytes, want %d", len(prefix), tt.wantLen)
			}
			// The prefix is o's first bits, then zeros.
			for i := 0; i < 8*len(prefix); i++ {
				got := prefix[i/8]&(0x80>>(i%8)) != 0
				want := i < int(tt.bits) && o[i/8]&(0x80>>(i%8)) != 0
				if got != want {
					t.Fatalf("bit %d = %v, want %v (prefix % x)", i, got, want, prefix)
				}
			}
			p := &Packet{Bits: tt.bits, Prefix: prefix}
			if !p.Matches(o) {
				t.Fatal("does not match the overlay it came from")
			}
			// Every disclosed bit counts; no hidden bit does.
			for i := 0; i < 256; i++ {
				want := i >= int(tt.bits)
				if got := p.Matches(flipBit(o, i)); got != want {
					t.Fatalf("overlay with bit %d flipped: Matches = %v, want %v", i, got, want)
				}
			}
			// The prefix survives the wire.
			b := (&Packet{Bits: tt.bits, Prefix: prefix}).Marshal()
			q, err := UnmarshalPacket(b)
			if err != nil {
				t.Fatal(err)
			}
			if q.Bits != tt.bits || !bytes.Equal(q.Prefix, prefix) {
				t.Fatalf("decoded bits %d prefix % x", q.Bits, q.Prefix)
			}
		})
	}
}

func TestSealPacketRefuses(t *testing.T) {
	alice, bob := newIdentity(t), newIdentity(t)
	tests := []struct {
		name    string
		topic   string
		payload []byte
	}{
		{"payload over MaxPayload", "chat", make([]byte, MaxPayload+1)},
		{"empty topic", "", []byte("x")},
		{"topic over MaxTopic", strings.Repeat("t", MaxTopic+1), []byte("x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p, err := SealPacket(alice, bob.Public(), 256, 16, tt.topic, 0, tt.payload); err == nil {
				t.Fatalf("sealed a packet of %d bytes", len(p.Marshal()))
			}
		})
	}
	t.Run("luminosity over 256", func(t *testing.T) {
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("SealPacket panics for bits > 256 instead of returning an error: %v", r)
				}
			}()
			_, err = SealPacket(alice, bob.Public(), 257, 16, "chat", 0, []byte("x"))
		}()
		if err == nil {
			t.Fatal("sealed a packet with 257 bits")
		}
	})
}

// rawPacket encodes a packet field by field, so tests can write what
// Marshal would not.
func rawPacket(version, kind, ttl byte, bits uint16, prefix []byte, body []byte) []byte {
	var w wire.Writer
	w.Byte(version)
	w.Byte(kind)
	w.Byte(ttl)
	w.Uint16(bits)
	w.Fixed(prefix)
	w.Fixed([]byte("tpc4"))
	w.Fixed(make([]byte, 32))
	w.Bytes(body)
	return w.B
}

func TestUnmarshalPacket(t *testing.T) {
	alice, bob := newIdentity(t), newIdentity(t)
	p := mustSeal(t, alice, bob.Public(), 256, "chat", 0, []byte("hello"))
	good := p.Marshal()

	q, err := UnmarshalPacket(good)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(q.Marshal(), good) {
		t.Fatal("re-marshalled packet differs")
	}
	if PacketID(good) != p.ID() || q.ID() != p.ID() {
		t.Fatal("packet id is not stable across the wire")
	}
	ttl := bytes.Clone(good)
	ttl[2] = 3
	if PacketID(ttl) != PacketID(good) {
		t.Fatal("ttl changed the packet id")
	}

	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"unknown version", rawPacket(Version+1, KindData, 16, 8, []byte{0xab}, []byte("b"))},
		{"version 1, before the destination commitment", rawPacket(1, KindData, 16, 8, []byte{0xab}, []byte("b"))},
		{"version 0", rawPacket(0, KindData, 16, 8, []byte{0xab}, []byte("b"))},
		{"unknown kind", rawPacket(Version, 9, 16, 8, []byte{0xab}, []byte("b"))},
		{"257 bits", rawPacket(Version, KindData, 16, 257, make([]byte, 33), []byte("b"))},
		{"65535 bits", rawPacket(Version, KindData, 16, 0xffff, make([]byte, 8192), []byte("b"))},
		{"bit set past 9 bits", rawPacket(Version, KindData, 16, 9, []byte{0xff, 0x40}, []byte("b"))},
		{"lowest bit set past 1 bit", rawPacket(Version, KindData, 16, 1, []byte{0x81}, []byte("b"))},
		{"bit set past 255 bits", rawPacket(Version, KindData, 16, 255, append(make([]byte, 31), 0x01), []byte("b"))},
		{"prefix shorter than bits", rawPacket(Version, KindData, 16, 256, make([]byte, 31), nil)},
		{"body over MaxBody", rawPacket(Version, KindData, 16, 0, nil, make([]byte, MaxBody+1))},
		{"body length past the end", append(rawPacket(Version, KindData, 16, 0, nil, nil)[:3+2+4+32], 10, 'x')},
		{"over MaxPacket", append(bytes.Clone(good), make([]byte, MaxPacket)...)},
		{"trailing byte", append(bytes.Clone(good), 0)},
	}
	for i := 1; i < len(good); i++ {
		tests = append(tests, struct {
			name string
			in   []byte
		}{fmt.Sprintf("truncated to %d bytes", i), good[:i]})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p, err := UnmarshalPacket(tt.in); !errors.Is(err, ErrPacket) {
				t.Fatalf("UnmarshalPacket = %+v, %v; want ErrPacket", p, err)
			}
		})
	}
}

// TestUnmarshalPacketCanonical feeds a packet whose body length is a
// non-minimal varint. A decoder that accepts it gives one packet two
// encodings, and so two ids by PacketID.
func TestUnmarshalPacketCanonical(t *testing.T) {
	good := rawPacket(Version, KindData, 16, 8, []byte{0xab}, []byte("b"))
	// The body length 1 is the last-but-one byte; write it as 0x81 0x00.
	odd := append(bytes.Clone(good[:len(good)-2]), 0x81, 0x00, 'b')
	if n, k := binary.Uvarint(odd[len(odd)-3:]); n != 1 || k != 2 {
		t.Fatalf("test input wrong: %d, %d", n, k)
	}
	p, err := UnmarshalPacket(odd)
	if err != nil {
		return
	}
	if !bytes.Equal(p.Marshal(), odd) || PacketID(odd) != p.ID() {
		t.Fatalf("UnmarshalPacket accepts a non-minimal varint body length: % x re-marshals to % x, PacketID(b) %x != p.ID() %x",
			odd, p.Marshal(), PacketID(odd), p.ID())
	}
}

const benchPayload = 4 << 10

func BenchmarkSealPacket(b *testing.B) {
	alice, bob := newIdentity(b), newIdentity(b)
	to := bob.Public()
	payload := bytes.Repeat([]byte{0x42}, benchPayload)
	b.SetBytes(benchPayload)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SealPacket(alice, to, 256, 16, "bench", 0, payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenPacket(b *testing.B) {
	alice, bob := newIdentity(b), newIdentity(b)
	p := mustSeal(b, alice, bob.Public(), 256, "bench", 0, bytes.Repeat([]byte{0x42}, benchPayload))
	o := seal.NewOpener(bob.Enc)
	b.SetBytes(benchPayload)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := OpenPacket(o, p); err != nil {
			b.Fatal(err)
		}
	}
}
