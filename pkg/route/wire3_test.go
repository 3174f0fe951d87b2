package route

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/seal"
	"github.com/mainframe/mf/pkg/wire"
)

// Fuzz targets and tests for the wire messages of dark routing, certified
// delivery, sessions and groups.

func FuzzDecodeReceipt(f *testing.F) {
	id := seededIdentity(f, "signer")
	rc, err := routeapi.SignReceipt(id, [32]byte{1, 2, 3}, ReceiptUnreachable, identity.Overlay{7})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rc.Marshal())
	back, err := routeapi.SignReceipt(id, [32]byte{1, 2, 3}, ReceiptReturned, identity.Overlay{7})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(back.Marshal())
	f.Add(make([]byte, routeapi.ReceiptLen))
	f.Fuzz(func(t *testing.T, b []byte) {
		rc, err := routeapi.DecodeReceipt(b)
		if err != nil {
			return
		}
		if !bytes.Equal(rc.Marshal(), b) {
			t.Fatalf("re-marshalled differently")
		}
		if rc.Kind > ReceiptReturned {
			t.Fatalf("accepted out-of-range receipt %+v", rc)
		}
	})
}

func TestReceipt(t *testing.T) {
	id := newIdentity(t)
	rc, err := routeapi.SignReceipt(id, [32]byte{9}, ReceiptTaken, identity.Overlay{5})
	if err != nil {
		t.Fatal(err)
	}
	got, err := routeapi.DecodeReceipt(rc.Marshal())
	if err != nil || got.Signer.Overlay() != id.Public().Overlay() || got.ID != rc.ID {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	b := rc.Marshal()
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x10
		if r2, err := routeapi.DecodeReceipt(c); err == nil && r2.Signer.Overlay() == id.Public().Overlay() && r2.ID == rc.ID && r2.Kind == rc.Kind && r2.Prev == rc.Prev {
			t.Fatalf("altered byte %d still verifies as the same receipt", i)
		}
	}
	for _, bad := range [][]byte{nil, b[:10], append(bytes.Clone(b), 0)} {
		if _, err := routeapi.DecodeReceipt(bad); err == nil {
			t.Fatalf("accepted %x", bad)
		}
	}
	// Every kind up to ReceiptReturned decodes, and none after it.
	for kind := byte(0); kind <= ReceiptReturned+1; kind++ {
		rc, err := routeapi.SignReceipt(id, [32]byte{9}, kind, identity.Overlay{5})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := routeapi.DecodeReceipt(rc.Marshal()); (err == nil) != (kind <= ReceiptReturned) {
			t.Fatalf("kind %d: %v", kind, err)
		}
	}
}

func FuzzDecodeCertified(f *testing.F) {
	restore := deterministicSeeds(f)
	alice, bob := seededIdentity(f, "alice"), seededIdentity(f, "bob")
	p := mustSeal(f, alice, bob.Public(), 256, "t", 0, []byte("x"))
	restore()
	f.Add(certifiedFrame(1000, p.Marshal())[1:])
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		bond, raw, err := decodeCertified(b)
		if err != nil {
			return
		}
		if !bytes.Equal(certifiedFrame(bond, raw)[1:], b) {
			t.Fatalf("re-encoded differently")
		}
	})
}

func FuzzSessionOffer(f *testing.F) {
	o := sessionOffer{Topic: "s/abc", Luminosity: 256}
	f.Add(o.marshal())
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := decodeSessionOffer(b)
		if err != nil {
			return
		}
		if !bytes.Equal(o.marshal(), b) || o.Topic == "" || o.Luminosity > 256 {
			t.Fatalf("accepted %x as %+v", b, o)
		}
	})
}

func FuzzGroupAck(f *testing.F) {
	f.Add((&groupAck{Topic: "g/0123456789abcdef01234567", Epoch: 3}).marshal())
	f.Add([]byte{1, 0})
	f.Add([]byte{2, 1, 'g', 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := decodeGroupAck(b)
		if err != nil {
			return
		}
		if !bytes.Equal(a.marshal(), b) || a.Topic == "" {
			t.Fatalf("accepted %x as %+v", b, a)
		}
	})
}

func FuzzGroupInvite(f *testing.F) {
	v := groupInvite{Name: "team", Topic: "g/1", Epoch: 2, Luminosity: 256, Members: []identity.Overlay{{1}, {2}}}
	f.Add(v.marshal())
	f.Add([]byte{1, 1, 'a', 1, 'b'})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeGroupInvite(b)
		if err != nil {
			return
		}
		if !bytes.Equal(v.marshal(), b) || len(v.Members) == 0 || len(v.Members) > MaxDests {
			t.Fatalf("accepted %x as %+v", b, v)
		}
	})
}

func groupPacket(t testing.TB) (*Packet, *group, *identity.Identity) {
	owner := seededIdentity(t, "owner")
	key, _ := seal.NewSymKey()
	x := &group{Name: "team", Topic: "g/test", Key: hex.EncodeToString(key[:]), Owner: owner.Public().Overlay(), Luminosity: 256}
	if err := x.load(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		x.Members = append(x.Members, GroupMember{Overlay: seededIdentity(t, fmt.Sprint("member", i)).Public().Overlay()})
	}
	g := &groups{n: &Node{id: owner, self: owner.Public().Overlay()}}
	p, err := g.seal(x, 16, 0, []byte("hello group"))
	if err != nil {
		t.Fatal(err)
	}
	return p, x, owner
}

func TestGroupPacket(t *testing.T) {
	p, x, owner := groupPacket(t)
	if len(p.Dests) != 3 {
		t.Fatalf("%d destinations", len(p.Dests))
	}
	q, err := UnmarshalPacket(p.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	// Splitting the destination list keeps the id.
	split := *q
	split.Dests = q.Dests[1:]
	if split.ID() != p.ID() {
		t.Fatal("the id of a group packet depends on its destinations")
	}
	g := &groups{byID: map[[4]byte][]*group{TopicID(x.Topic): {x}}}
	env, err := g.openPacket(&split)
	if err != nil {
		t.Fatal(err)
	}
	if string(env.Payload) != "hello group" || env.Sender.Overlay() != owner.Public().Overlay() {
		t.Fatalf("opened %+v", env)
	}
	// Without the key (a non-member), it does not open.
	other := *x
	k2, _ := seal.NewSymKey()
	other.Key = hex.EncodeToString(k2[:])
	if err := other.load(); err != nil {
		t.Fatal(err)
	}
	g2 := &groups{byID: map[[4]byte][]*group{TopicID(x.Topic): {&other}}}
	if _, err := g2.openPacket(q); err != seal.ErrOpen {
		t.Fatalf("a non-member opened it: %v", err)
	}
}

// testSession is one side of a session in epoch 1 with key.
func testSession(t testing.TB, peer identity.Public, opened bool, key seal.SymKey) *session {
	t.Helper()
	x := &session{Topic: "s/1", Peer: hex.EncodeToString(crypto.CompressPubkey(peer.Key)), Opened: opened, Send: 1}
	x.setKey(1, key)
	if err := x.load(); err != nil {
		t.Fatal(err)
	}
	return x
}

func TestSessionPacket(t *testing.T) {
	peer := newIdentity(t)
	key, _ := seal.NewSymKey()
	x := testSession(t, peer.Public(), false, key)
	p, err := sealSession(x, 16, 256, 0, sessionControl{}, true, []byte("in session"))
	if err != nil {
		t.Fatal(err)
	}
	raw := p.Marshal()
	enc := peer.Public().Enc
	if bytes.Contains(raw, enc[:]) {
		t.Fatal("a session packet carries a key")
	}
	// The other side holds the same key with the opposite role.
	other := testSession(t, peer.Public(), !x.Opened, key)
	s := &sessions{byID: map[[4]byte][]*session{TopicID(x.Topic): {other}}}
	q, _ := UnmarshalPacket(raw)
	env, err := s.openPacket(q)
	if err != nil || string(env.Payload) != "in session" {
		t.Fatalf("open: %v", err)
	}
	if d := time.Since(env.Sent); d < 0 || d > time.Minute {
		t.Fatalf("send time %v is not now", env.Sent)
	}
	// Sent back to its sealer, a packet must not pass as the peer's.
	self := &sessions{byID: map[[4]byte][]*session{TopicID(x.Topic): {x}}}
	if _, err := self.openPacket(q); !errors.Is(err, ErrEnvelope) {
		t.Fatalf("a reflected session packet: %v", err)
	}
	q.Body[0] ^= 1
	if _, err := s.openPacket(q); err != seal.ErrOpen {
		t.Fatalf("tampered session packet: %v", err)
	}
}

func TestDecide(t *testing.T) {
	var self identity.Overlay // 0000…
	peers := []identity.Overlay{{0x80}, {0x40}, {0x01}, {0x00, 0x01}}
	full := func(o identity.Overlay) Dest { return Dest{Bits: 256, Prefix: o[:]} }
	// Toward 0xc0…: peer 0 (0x80) shares 1 bit, the others none.
	if d := Decide(self, peers, -1, full(identity.Overlay{0xc0})); len(d.Next) != 1 || d.Next[0] != 0 || d.InZone {
		t.Fatalf("greedy: %+v", d)
	}
	// In a 4-bit zone 0000: self matches; peers 2 and 3 also do.
	zone := Dest{Bits: 4, Prefix: []byte{0x00}}
	d := Decide(self, peers, 2, zone)
	if !d.InZone || len(d.Next) != 1 || d.Next[0] != 3 {
		t.Fatalf("zone flood (not back to the previous hop): %+v", d)
	}
	// Fully addressed to self: deliver, do not forward.
	if d := Decide(self, peers, -1, full(self)); !d.InZone || len(d.Next) != 0 {
		t.Fatalf("self: %+v", d)
	}
	// No peers: nowhere to go, and this node is the closest.
	if d := Decide(self, nil, -1, full(identity.Overlay{0xff})); len(d.Next) != 0 || !d.Closest {
		t.Fatalf("alone: %+v", d)
	}
}

func BenchmarkDecide(b *testing.B) {
	self := newIdentity(b).Public().Overlay()
	var peers []identity.Overlay
	for i := 0; i < 100; i++ {
		var o identity.Overlay
		o[0], o[1] = byte(i*37), byte(i)
		peers = append(peers, o)
	}
	dest := Dest{Bits: 256, Prefix: bytes.Repeat([]byte{0xa5}, 32)}
	b.ReportAllocs()
	for b.Loop() {
		Decide(self, peers, 3, dest)
	}
}

// BenchmarkTrialDecryptData is a zone member trying a first-contact packet
// that is not for it: one X25519 and a failed tag check.
func BenchmarkTrialDecryptData(b *testing.B) {
	alice, bob, carol := newIdentity(b), newIdentity(b), newIdentity(b)
	p := mustSeal(b, alice, bob.Public(), 2, "t", 0, make([]byte, 4096))
	o := seal.NewOpener(carol.Enc)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := OpenPacket(o, p); err != seal.ErrOpen {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrialDecryptSession is the same for a session packet: a failed
// symmetric tag check, no key agreement.
func BenchmarkTrialDecryptSession(b *testing.B) {
	k1, _ := seal.NewSymKey()
	k2, _ := seal.NewSymKey()
	x := testSession(b, newIdentity(b).Public(), false, k1)
	p, _ := sealSession(x, 16, 2, 0, sessionControl{}, true, make([]byte, 4096))
	s := &sessions{byID: map[[4]byte][]*session{TopicID(x.Topic): {testSession(b, newIdentity(b).Public(), true, k2)}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.openPacket(p); err != seal.ErrOpen {
			b.Fatal(err)
		}
	}
}

// FuzzSessionEnvelope feeds arbitrary plaintext to the session envelope
// decoder, as a key holder could seal it: it must not panic, and what it
// accepts must be within limits and carry the session's topic.
func FuzzSessionEnvelope(f *testing.F) {
	restore := deterministicSeeds(f)
	peer := seededIdentity(f, "peer").Public()
	key := seal.SymKey{1}
	x := testSession(f, peer, true, key)
	other := testSession(f, peer, false, key)
	p, err := sealSession(other, 16, 256, 0, sessionControl{Kind: ctlPropose, Epoch: 2, A: seal.PublicKey{3}}, true, []byte("in session"))
	if err != nil {
		f.Fatal(err)
	}
	pt, err := seal.OpenSym(nil, &key, p.Eph[:seal.NonceSize], p.Body, p.header())
	if err != nil {
		f.Fatal(err)
	}
	restore()
	f.Add(pt)
	f.Add([]byte{0, 0})
	f.Add([]byte{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 's', '/', '1'})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, _, _, err := decodeSessionEnvelope(b, x, 1)
		if err != nil {
			if !errors.Is(err, ErrEnvelope) {
				t.Fatalf("error %v is not ErrEnvelope", err)
			}
			return
		}
		if e.Topic != x.Topic || len(e.Payload) > MaxPayload {
			t.Fatalf("accepted %x as %+v", b, e)
		}
	})
}

// FuzzGroupEnvelope does the same for group packets: anything accepted
// must be signed by a member.
func FuzzGroupEnvelope(f *testing.F) {
	restore := deterministicSeeds(f)
	p, x, _ := groupPacket(f)
	restore()
	hdr := p.header()
	pt, err := seal.OpenSym(nil, &x.key, p.Eph[:seal.NonceSize], p.Body, hdr)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pt)
	f.Add([]byte{0})
	f.Add(append([]byte{0}, make([]byte, 80)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeGroupEnvelope(b, hdr, &p.Eph, x, x.Topic)
		if err != nil {
			if !errors.Is(err, ErrEnvelope) {
				t.Fatalf("error %v is not ErrEnvelope", err)
			}
			return
		}
		member := e.Sender.Overlay() == x.Owner
		for _, m := range x.Members {
			member = member || m.Overlay == e.Sender.Overlay()
		}
		if !member || len(e.Payload) > MaxPayload || e.Topic != GroupListenTopic(x.Name) {
			t.Fatalf("accepted %x as %+v", b, e)
		}
	})
}

// FuzzInboxEntry: inbox entries are read back from disk at start, on
// subscribe and on consume; a damaged one must never panic.
func FuzzInboxEntry(f *testing.F) {
	b, _ := json.Marshal(inboxEntry{Message: &Message{ID: "1", Topic: "t", Payload: []byte("x")}, Stranger: true})
	f.Add(b)
	f.Add([]byte(`{"from":"zz"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeInboxEntry(b)
		if e.Message == nil {
			t.Fatalf("nil message for %q (err %v)", b, err)
		}
	})
}

// FuzzSealedInvite feeds arbitrary bytes to the sealed invite decoder: what
// it accepts encodes back to the same bytes.
func FuzzSealedInvite(f *testing.F) {
	var w wire.Writer
	w.Byte(2)
	w.Fixed(make([]byte, 64))
	w.Bytes([]byte("sealed"))
	f.Add(w.B)
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, b []byte) {
		to, eph, body, err := decodeSealedInvite(b)
		if err != nil {
			return
		}
		var w wire.Writer
		w.Byte(2)
		w.Fixed(to[:])
		w.Fixed(eph[:])
		w.Bytes(body)
		if !bytes.Equal(w.B, b) || len(body) > maxSealedInvite {
			t.Fatalf("accepted %x", b)
		}
	})
}
