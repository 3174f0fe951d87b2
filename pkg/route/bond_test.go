package route

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// Bonds of certified delivery: each link settles from signed receipts
// (bond.go). These tests hand a node's certifier crafted receipts and read
// the bond events it records.

func (f *certFixture) bonds() []BondEvent {
	f.t.Helper()
	evs, err := f.n.certs.bondEvents(0)
	if err != nil {
		f.t.Fatal(err)
	}
	return evs
}

// expire moves the packet's relay entry past its bond deadline and sweeps.
func (f *certFixture) expire() {
	f.n.certs.mu.Lock()
	f.n.certs.relays[f.id].at = time.Now().Add(-time.Minute)
	f.n.certs.mu.Unlock()
	f.n.certs.sweep(time.Second)
}

func bondedPacket(t *testing.T) *certFixture {
	f := sentPacket(t, ov(newIdentity(t)), 256)
	f.n.certs.offer(f.id, 1000)
	return f
}

func wantEvents(t *testing.T, evs []BondEvent, self identity.Overlay, want ...string) {
	t.Helper()
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Role+" "+ev.Peer)
		if err := routeapi.CheckBondEvent(&ev, self); err != nil {
			t.Errorf("event %+v does not check: %v", ev, err)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("bond events %q, want %q", got, want)
	}
}

// The first hop shows the next hop's acceptance: the sender owes it the
// bond, once, however many proofs follow.
func TestBondPaidOnProof(t *testing.T) {
	f := bondedPacket(t)
	first := f.first.Public().PeerID().String()
	f.back(f.first, ReceiptTaken, f.n.self)
	wantEvents(t, f.bonds(), f.n.self)
	next := newIdentity(t)
	f.back(next, ReceiptTaken, ov(f.first))
	f.back(newIdentity(t), ReceiptTaken, ov(next))
	f.expire()
	evs := f.bonds()
	wantEvents(t, evs, f.n.self, BondPaid+" "+first)
	if evs[0].Bond != 1000 || evs[0].Owed() != -1000 {
		t.Fatalf("paid %d (owed %d), want the 1000 offered", evs[0].Bond, evs[0].Owed())
	}
}

// The first hop took the packet and showed nothing: it is charged, on its
// own signed acceptance; a proof that comes after the charge changes
// nothing, and neither does another sweep.
func TestBondChargedWhereProofsEnd(t *testing.T) {
	f := bondedPacket(t)
	first := f.first.Public().PeerID().String()
	f.back(f.first, ReceiptTaken, f.n.self)
	f.n.certs.sweep(time.Second) // not yet past the deadline
	wantEvents(t, f.bonds(), f.n.self)
	f.expire()
	wantEvents(t, f.bonds(), f.n.self, BondCharged+" "+first)
	f.back(newIdentity(t), ReceiptTaken, ov(f.first))
	f.expire()
	wantEvents(t, f.bonds(), f.n.self, BondCharged+" "+first)
	// A restarted certifier numbers on from the last event.
	if c := newCertifier(f.n); c.bondSeq != 1 {
		t.Fatalf("a new certifier starts at event %d, want 1", c.bondSeq)
	}
}

// A hop that says it could not pass the packet on is not charged: the
// recipient is unreachable from there, which is no fault.
func TestBondStatementMovesNothing(t *testing.T) {
	f := bondedPacket(t)
	f.back(f.first, ReceiptTaken, f.n.self)
	f.back(f.first, ReceiptUnreachable, f.n.self)
	f.expire()
	wantEvents(t, f.bonds(), f.n.self)
}

// Nobody is charged on a statement someone else signed: an acceptance
// "from" the first hop signed by another key, or one the first hop never
// gave, charges no one; a hop that did not take the packet is not charged.
func TestBondForgedAcceptanceChargesNobody(t *testing.T) {
	f := bondedPacket(t)
	stranger := newIdentity(t)
	f.back(stranger, ReceiptTaken, f.n.self) // claims to have taken it from the sender
	f.expire()
	wantEvents(t, f.bonds(), f.n.self)
}

// A relay earns the bond it was offered once it shows proof (its next
// hop's acceptance), and pays its next hop once that one shows its own;
// with no proof at all it forfeits the bond to the hop before it.
func TestBondRelaySide(t *testing.T) {
	for _, tt := range []struct {
		name  string
		proof bool
		want  string
	}{
		{"proof", true, BondEarned},
		{"nothing", false, BondForfeit},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := inboxNode(t)
			n.id = newIdentity(t)
			n.pub = n.id.Public()
			n.self = n.pub.Overlay()
			n.certs = newCertifier(n)
			prev, next := newIdentity(t), newIdentity(t)
			var id [32]byte
			rand.Read(id[:])
			n.certs.track(id, prev.Public().PeerID(), 1000)
			n.certs.offer(id, 990)
			n.certs.askedFor(id, []peer.ID{next.Public().PeerID()})
			own, err := routeapi.SignReceipt(n.id, id, ReceiptTaken, ov(prev))
			if err != nil {
				t.Fatal(err)
			}
			c := n.certs
			c.mu.Lock()
			e := c.relays[id]
			c.bondReceipt(e, own, "")
			if tt.proof {
				rc, err := routeapi.SignReceipt(next, id, ReceiptTaken, n.self)
				if err != nil {
					t.Fatal(err)
				}
				c.bondReceipt(e, rc, next.Public().PeerID())
				// The hop after next took it from next: next's proof,
				// passed back through next.
				further, err := routeapi.SignReceipt(newIdentity(t), id, ReceiptTaken, ov(next))
				if err != nil {
					t.Fatal(err)
				}
				c.bondReceipt(e, further, next.Public().PeerID())
			}
			e.at = time.Now().Add(-time.Minute)
			c.mu.Unlock()
			c.sweep(time.Second)
			evs, _ := c.bondEvents(0)
			want := []string{tt.want + " " + prev.Public().PeerID().String()}
			if tt.proof {
				want = append(want, BondPaid+" "+next.Public().PeerID().String())
			}
			wantEvents(t, evs, n.self, want...)
			if evs[0].Bond != 1000 {
				t.Fatalf("bond %d, want the 1000 offered", evs[0].Bond)
			}
		})
	}
}

// CheckBondEvent refuses events whose evidence does not show what they
// claim: mf-swap books nothing on them.
func TestCheckBondEventRefusesForgery(t *testing.T) {
	self, hop, other := newIdentity(t), newIdentity(t), newIdentity(t)
	var id [32]byte
	rand.Read(id[:])
	sign := func(by *identity.Identity, kind byte, prev identity.Overlay) string {
		rc, err := routeapi.SignReceipt(by, id, kind, prev)
		if err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(rc.Marshal())
	}
	hopID := hop.Public().PeerID().String()
	good := BondEvent{Packet: hex.EncodeToString(id[:]), Peer: hopID, Role: BondCharged, Bond: 5, Proof: sign(hop, ReceiptTaken, ov(self))}
	if err := routeapi.CheckBondEvent(&good, ov(self)); err != nil {
		t.Fatalf("a good charge: %v", err)
	}
	tamper := []byte(good.Proof)
	tamper[len(tamper)-3] ^= 1
	for _, tt := range []struct {
		name string
		edit func(*BondEvent)
	}{
		{"acceptance signed by another key", func(e *BondEvent) { e.Proof = sign(other, ReceiptTaken, ov(self)) }},
		{"acceptance naming another previous hop", func(e *BondEvent) { e.Proof = sign(hop, ReceiptTaken, ov(other)) }},
		{"a statement, not an acceptance", func(e *BondEvent) { e.Proof = sign(hop, ReceiptUnreachable, ov(self)) }},
		{"tampered signature", func(e *BondEvent) { e.Proof = string(tamper) }},
		{"another packet", func(e *BondEvent) { e.Packet = strings.Repeat("00", 32) }},
		{"not hex", func(e *BondEvent) { e.Proof = "zz" }},
		{"no peer", func(e *BondEvent) { e.Peer = "nobody" }},
		{"unknown role", func(e *BondEvent) { e.Role = "bonus" }},
		{"paid without a proof of handover", func(e *BondEvent) { e.Role = BondPaid; e.Proof = sign(other, ReceiptTaken, ov(self)) }},
		{"earned on own acceptance", func(e *BondEvent) { e.Role = BondEarned; e.Proof = sign(self, ReceiptTaken, ov(hop)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev := good
			tt.edit(&ev)
			if err := routeapi.CheckBondEvent(&ev, ov(self)); err == nil {
				t.Fatalf("accepted %+v", ev)
			}
		})
	}
}

// FuzzCheckBondEvent: whatever an event's fields hold, checking it never
// panics, and an event that checks rests on a receipt that decodes.
func FuzzCheckBondEvent(f *testing.F) {
	self, hop := newIdentity(f), newIdentity(f)
	id := [32]byte{1, 2, 3}
	rc, err := routeapi.SignReceipt(hop, id, ReceiptTaken, ov(self))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(hex.EncodeToString(id[:]), hop.Public().PeerID().String(), BondCharged, hex.EncodeToString(rc.Marshal()))
	f.Add("", "", "", "")
	f.Add("zz", "nobody", BondPaid, "00")
	f.Fuzz(func(t *testing.T, packet, p, role, proof string) {
		ev := BondEvent{Packet: packet, Peer: p, Role: role, Bond: 1, Proof: proof}
		if routeapi.CheckBondEvent(&ev, ov(self)) != nil {
			return
		}
		raw, err := hex.DecodeString(proof)
		if err != nil {
			t.Fatalf("checked with a proof that is not hex: %v", err)
		}
		if _, err := routeapi.DecodeReceipt(raw); err != nil {
			t.Fatalf("checked with a proof that does not decode: %v", err)
		}
	})
}
