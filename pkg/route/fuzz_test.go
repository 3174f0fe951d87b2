package route

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	ma "github.com/multiformats/go-multiaddr"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/seal"
)

// minimalBodyLength reports whether the body length of an encoded packet
// that UnmarshalPacket accepted is a minimal varint.
func minimalBodyLength(b []byte, p *Packet) bool {
	hdr := 3 + 2 + len(p.Prefix) + 4 + 32
	if p.Kind == KindGroup {
		hdr = 3 + 1 + 32 + 1 + 4 + 32
		for _, d := range p.Dests {
			hdr += 1 + 2 + len(d.Prefix) + 32*len(d.Path)
		}
	}
	n := len(b) - len(p.Body) - hdr
	return n == len(binary.AppendUvarint(nil, uint64(len(p.Body))))
}

// FuzzUnmarshalPacket feeds arbitrary bytes to UnmarshalPacket: it never
// panics, fails only with ErrPacket, and every packet it accepts is within
// its limits, re-marshals to the same bytes and has the same id either way.
func FuzzUnmarshalPacket(f *testing.F) {
	alice, bob := newIdentity(f), newIdentity(f)
	for _, bits := range []uint16{0, 9, 256} {
		f.Add(mustSeal(f, alice, bob.Public(), bits, "chat", 0, []byte("hello")).Marshal())
	}
	f.Add(rawPacket(Version, KindData, 16, 12, []byte{0xab, 0xc0}, []byte("body")))
	f.Add(rawPacket(Version, KindData, 0, 0, nil, nil))
	f.Add([]byte{})
	gp := fixedGroupPacket(5)
	f.Add(gp.Marshal())
	gp.Dests = gp.Dests[1:]
	f.Add(gp.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		p, err := UnmarshalPacket(b)
		if !bytes.Equal(b, in) {
			t.Fatal("UnmarshalPacket modified its input")
		}
		if err != nil {
			if !errors.Is(err, ErrPacket) {
				t.Fatalf("error %v is not ErrPacket", err)
			}
			return
		}
		if p.Bits > 256 || len(p.Prefix) != prefixLen(p.Bits) || len(p.Body) > MaxBody || len(b) > MaxPacket {
			t.Fatalf("accepted a packet out of limits: bits %d, prefix %d bytes, body %d bytes", p.Bits, len(p.Prefix), len(p.Body))
		}
		if !minimalBodyLength(b, p) {
			t.Fatal("accepted a non-minimal body length")
		}
		if m := p.Marshal(); !bytes.Equal(m, b) {
			t.Fatalf("re-marshalled to % x, input % x", m, b)
		}
		// A group packet's id leaves out its destinations (relays split
		// them), so only the other kinds hash the encoding.
		if p.Kind != KindGroup && PacketID(b) != p.ID() {
			t.Fatal("PacketID(b) != p.ID()")
		}
		// Every destination of an accepted group packet is in the list its
		// sender committed to.
		for _, d := range p.Dests {
			if !verifyDest(p.Root, p.Depth, d) {
				t.Fatalf("accepted destination %d that is not under the root", d.Index)
			}
		}
		// The prefix is a valid zone: the overlay made of it lies in it,
		// and AddressPrefix gives the prefix back.
		var o identity.Overlay
		copy(o[:], p.Prefix)
		if !p.Matches(o) {
			t.Fatal("the prefix's own overlay does not match")
		}
		if ap := AddressPrefix(o, p.Bits); !bytes.Equal(ap, p.Prefix) {
			t.Fatalf("AddressPrefix = % x, prefix % x", ap, p.Prefix)
		}
	})
}

// xorInto applies mask to b byte by byte; mask bytes past the end of b are
// appended.
func xorInto(b, mask []byte) []byte {
	b = bytes.Clone(b)
	for i, m := range mask {
		if i < len(b) {
			b[i] ^= m
		} else {
			b = append(b, m)
		}
	}
	return b
}

// Mode bits of FuzzOpenEnvelope.
const (
	fuzzCut       = 1 << iota // truncate the body (or plaintext) to cut bytes
	fuzzBits                  // replace the luminosity with bits
	fuzzPlaintext             // seal the masked plaintext afresh: reaches the envelope decoder
	fuzzRaw                   // with fuzzPlaintext: seal the mask itself as the plaintext
)

// FuzzOpenEnvelope alters a real packet from alice to bob — its body, its
// clear header fields, or, sealing afresh, the envelope inside — and hands
// it to bob's OpenPacket. It must never panic, and never open anything but
// the original as coming from alice.
func FuzzOpenEnvelope(f *testing.F) {
	alice, err := identity.Generate()
	if err != nil {
		f.Fatal(err)
	}
	bob, err := identity.Generate()
	if err != nil {
		f.Fatal(err)
	}
	payload := []byte("the original payload")
	p, err := SealPacket(alice, bob.Public(), 256, 16, "topic", 0, payload)
	if err != nil {
		f.Fatal(err)
	}
	o := seal.NewOpener(bob.Enc)
	orig, err := o.Open(nil, &p.Eph, p.Body, p.header())
	if err != nil {
		f.Fatal(err)
	}
	bobEnc := bob.Public().Enc
	// A fixed ephemeral key is fine here: the test seals only to itself.
	var eph seal.PrivateKey
	eph[0] = 1

	f.Add(byte(0), []byte{}, uint16(0), uint16(0), []byte{}, []byte{}, []byte{})
	f.Add(byte(0), []byte{0, 0, 0, 1}, uint16(0), uint16(0), []byte{}, []byte{}, []byte{})
	f.Add(byte(fuzzCut), []byte{}, uint16(10), uint16(0), []byte{}, []byte{}, []byte{})
	f.Add(byte(fuzzBits), []byte{}, uint16(0), uint16(255), []byte{}, []byte{}, []byte{})
	f.Add(byte(0), []byte{}, uint16(0), uint16(0), []byte{0, 0, 1}, []byte{1}, []byte{})
	f.Add(byte(0), []byte{}, uint16(0), uint16(0), []byte{}, []byte{}, []byte{0x80})
	f.Add(byte(fuzzPlaintext), []byte{}, uint16(0), uint16(0), []byte{}, []byte{}, []byte{})
	f.Add(byte(fuzzPlaintext), []byte{1}, uint16(0), uint16(0), []byte{}, []byte{}, []byte{})
	f.Add(byte(fuzzPlaintext), make([]byte, 100), uint16(0), uint16(0), []byte{}, []byte{}, []byte{})
	f.Add(byte(fuzzPlaintext|fuzzCut), []byte{}, uint16(98), uint16(0), []byte{}, []byte{}, []byte{})
	f.Add(byte(fuzzPlaintext|fuzzRaw), []byte("\x00sig"), uint16(0), uint16(0), []byte{}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, mode byte, mask []byte, cut, bits uint16, prefixMask, topicMask, ephMask []byte) {
		q := clonePacket(p)
		if mode&fuzzBits != 0 {
			q.Bits = bits
		}
		q.Prefix = xorInto(q.Prefix, prefixMask)
		copy(q.Topic[:], xorInto(q.Topic[:], topicMask))
		copy(q.Eph[:], xorInto(q.Eph[:], ephMask))

		resealed := mode&fuzzPlaintext != 0
		if !resealed {
			q.Body = xorInto(q.Body, mask)
			if mode&fuzzCut != 0 && int(cut) < len(q.Body) {
				q.Body = q.Body[:cut]
			}
		} else {
			pt := xorInto(orig, mask)
			if mode&fuzzRaw != 0 {
				pt = mask
			}
			if mode&fuzzCut != 0 && int(cut) < len(pt) {
				pt = pt[:cut]
			}
			q.Eph = eph.Public()
			body, err := seal.SealWith(nil, &eph, &bobEnc, pt, q.header())
			if err != nil {
				t.Fatal(err)
			}
			q.Body = body
		}

		env, err := OpenPacket(o, q)
		if err != nil {
			if !errors.Is(err, seal.ErrOpen) && !errors.Is(err, ErrEnvelope) {
				t.Fatalf("error %v is neither seal.ErrOpen nor ErrEnvelope", err)
			}
			if !resealed && !errors.Is(err, seal.ErrOpen) {
				t.Fatalf("an altered ciphertext got past the seal: %v", err)
			}
			return
		}
		if len(env.Payload) > MaxPayload || len(env.Topic) > MaxTopic {
			t.Fatalf("opened an envelope out of limits: payload %d, topic %d bytes", len(env.Payload), len(env.Topic))
		}
		fromAlice := env.Sender.Overlay() == alice.Public().Overlay()
		if !resealed {
			// Only the untouched packet opens.
			if q.Bits != p.Bits || !bytes.Equal(q.Prefix, p.Prefix) || q.Topic != p.Topic || q.Eph != p.Eph || !bytes.Equal(q.Body, p.Body) {
				t.Fatal("an altered packet opened")
			}
		} else {
			// A re-sealed envelope may open, but alice's signature covers
			// the ephemeral key, which is new here: it must not vouch for
			// the envelope, even when it is alice's own unchanged.
			if fromAlice {
				t.Fatalf("re-sealed envelope opened as alice's: topic %q payload %q", env.Topic, env.Payload)
			}
			return
		}
		if !fromAlice || string(env.Payload) != string(payload) || env.Topic != "topic" || env.Enc != alice.Public().Enc {
			t.Fatalf("the original opened wrong: sender alice %v, topic %q, payload %q", fromAlice, env.Topic, env.Payload)
		}
	})
}

func peerRecordSeeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, addrs := range [][]string{
		nil,
		{"/ip4/127.0.0.1/tcp/7700"},
		{"/ip4/10.0.0.1/tcp/7700", "/ip4/10.0.0.1/udp/7700/quic-v1", "/ip6/::1/tcp/1", "/dns4/example.com/tcp/7700"},
	} {
		rec := peerRecord{Seen: time.Unix(1_700_000_000, 0)}
		for _, s := range addrs {
			a, err := ma.NewMultiaddr(s)
			if err != nil {
				t.Fatal(err)
			}
			rec.Addrs = append(rec.Addrs, a)
		}
		out = append(out, rec.marshal())
	}
	return out
}

func TestPeerRecordRoundTrip(t *testing.T) {
	for _, b := range peerRecordSeeds(t) {
		rec, err := unmarshalPeerRecord(b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rec.marshal(), b) {
			t.Fatal("peer record changed in the round trip")
		}
		if rec.Seen.Unix() != 1_700_000_000 {
			t.Fatalf("seen = %v", rec.Seen)
		}
	}
	// More addresses than a record holds are cut, not an error.
	a, _ := ma.NewMultiaddr("/ip4/127.0.0.1/tcp/1")
	rec := peerRecord{Seen: time.Unix(1, 0)}
	for i := 0; i < maxPeerAddrs+5; i++ {
		rec.Addrs = append(rec.Addrs, a)
	}
	got, err := unmarshalPeerRecord(rec.marshal())
	if err != nil || len(got.Addrs) != maxPeerAddrs {
		t.Fatalf("got %v, %v", got, err)
	}
}

// minimalAddrLengths reports whether every address length in an encoded
// peer record that unmarshalPeerRecord accepted is a minimal varint.
func minimalAddrLengths(b []byte, rec *peerRecord) bool {
	b = b[9:]
	for range rec.Addrs {
		n, k := binary.Uvarint(b)
		if k != len(binary.AppendUvarint(nil, n)) {
			return false
		}
		b = b[k+int(n):]
	}
	return true
}

// FuzzPeerRecord feeds arbitrary bytes to unmarshalPeerRecord, which reads
// the peer book from disk: it never panics, and every record it accepts is
// within its limits and re-marshals to the same bytes.
func FuzzPeerRecord(f *testing.F) {
	for _, b := range peerRecordSeeds(f) {
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, maxPeerAddrs + 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := unmarshalPeerRecord(b)
		if err != nil {
			return
		}
		if len(rec.Addrs) > maxPeerAddrs {
			t.Fatalf("%d addresses", len(rec.Addrs))
		}
		for _, a := range rec.Addrs {
			if _, err := ma.NewMultiaddrBytes(a.Bytes()); err != nil {
				t.Fatalf("accepted address %x does not re-parse: %v", a.Bytes(), err)
			}
		}
		if binary.BigEndian.Uint64(b) >= 1<<40 {
			t.Fatal("accepted a seen time over 40 bits")
		}
		if !minimalAddrLengths(b, rec) {
			t.Fatal("accepted a non-minimal address length")
		}
		if m := rec.marshal(); !bytes.Equal(m, b) {
			t.Fatalf("re-marshalled to % x, input % x", m, b)
		}
	})
}
