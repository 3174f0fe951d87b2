package route

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// Finger pointing against forgery: the sender counts only what it can
// check. These tests hand a sender's certifier crafted receipts, as its
// first hop would pass them back.

type certFixture struct {
	t     *testing.T
	n     *Node
	id    [32]byte
	first *identity.Identity // the hop the sender handed the packet to
}

// sentPacket makes a node that has just sent a certified packet to the
// overlay to at luminosity bits, through one first hop.
func sentPacket(t *testing.T, to identity.Overlay, bits int) *certFixture {
	n := inboxNode(t)
	n.id = newIdentity(t)
	n.pub = n.id.Public()
	n.self = n.pub.Overlay()
	n.certs = newCertifier(n)
	f := &certFixture{t: t, n: n, first: newIdentity(t)}
	rand.Read(f.id[:])
	n.certs.track(f.id, "", 0)
	n.certs.started(f.id, &sentRecord{SentRecord: SentRecord{ID: hex.EncodeToString(f.id[:]), To: to, Bits: bits, SentAt: time.Now(), Status: StatusPending}})
	n.certs.askedFor(f.id, []peer.ID{f.first.Public().PeerID()})
	return f
}

// back hands the sender a receipt signed by signer, naming prev as the hop
// it took the packet from, as the first hop passes it back.
func (f *certFixture) back(signer *identity.Identity, kind byte, prev identity.Overlay) {
	f.t.Helper()
	rc, err := routeapi.SignReceipt(signer, f.id, kind, prev)
	if err != nil {
		f.t.Fatal(err)
	}
	f.n.certs.receipt(rc, f.first.Public().PeerID())
}

func (f *certFixture) record() *SentRecord {
	f.t.Helper()
	r, err := f.n.certs.record(f.id)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// timeout runs the sweeper as if the wait was over.
func (f *certFixture) timeout() *SentRecord {
	f.n.certs.sweep(0)
	return f.record()
}

func ov(id *identity.Identity) identity.Overlay { return id.Public().Overlay() }

// A statement signed by a key the packet was never handed to does not
// count: a relay cannot sign one with a fresh key and walk away.
func TestStatementFromStrangerDoesNotCount(t *testing.T) {
	to := newIdentity(t)
	f := sentPacket(t, ov(to), 256)
	stranger := newIdentity(t)
	f.back(f.first, ReceiptTaken, f.n.self)
	f.back(stranger, ReceiptUnreachable, ov(f.first))
	if r := f.record(); r.Status != StatusPending {
		t.Fatalf("a stranger's statement settled the packet: %s, failed hop %v", r.Status, r.FailedHop)
	}
	r := f.timeout()
	if r.Status != StatusFailed || r.FailedHop == nil || *r.FailedHop != ov(f.first) {
		t.Fatalf("after the timeout: %s, failed hop %v; want the first hop %s", r.Status, r.FailedHop, ov(f.first))
	}
	if r.Statement != nil {
		t.Fatalf("the stranger's statement was kept: %+v", r.Statement)
	}
}

// An acceptance that claims the sender handed over the packet counts only
// from a hop the sender did hand it to.
func TestAcceptanceFromFalseFirstHop(t *testing.T) {
	to := newIdentity(t)
	f := sentPacket(t, ov(to), 256)
	fake := newIdentity(t)
	f.back(fake, ReceiptTaken, f.n.self)
	f.back(fake, ReceiptUnreachable, f.n.self)
	if r := f.record(); r.Status != StatusPending {
		t.Fatalf("a false first hop's statement settled the packet: %s", r.Status)
	}
	if r := f.timeout(); r.FailedHop == nil || *r.FailedHop != ov(f.first) {
		t.Fatalf("failed hop %v, want the first hop", r.FailedHop)
	}
}

// A valid statement names its signer, and its proximity is computed from
// the signer's address.
func TestStatementProximityFromAddress(t *testing.T) {
	to := newIdentity(t)
	f := sentPacket(t, ov(to), 256)
	second := newIdentity(t)
	f.back(f.first, ReceiptTaken, f.n.self)
	f.back(second, ReceiptTaken, ov(f.first))
	f.back(second, ReceiptUnreachable, ov(f.first))
	r := f.record()
	if r.Status != StatusFailed || r.FailedHop == nil || *r.FailedHop != ov(second) {
		t.Fatalf("%s, failed hop %v; want the second hop", r.Status, r.FailedHop)
	}
	want := Dest{Bits: 256, Prefix: AddressPrefix(ov(to), 256)}.Proximity(ov(second))
	if r.Statement == nil || r.Statement.Proximity != want {
		t.Fatalf("statement %+v, want proximity %d", r.Statement, want)
	}
	if len(r.Hops) != 2 {
		t.Fatalf("%d hops recorded, want 2", len(r.Hops))
	}
}

// A statement that comes before its signer's acceptance counts once the
// acceptance comes.
func TestStatementBeforeAcceptance(t *testing.T) {
	to := newIdentity(t)
	f := sentPacket(t, ov(to), 256)
	second := newIdentity(t)
	f.back(second, ReceiptUnreachable, ov(f.first))
	f.back(f.first, ReceiptTaken, f.n.self)
	if r := f.record(); r.Status != StatusPending {
		t.Fatalf("%s before the second hop's acceptance", r.Status)
	}
	f.back(second, ReceiptTaken, ov(f.first))
	if r := f.record(); r.Status != StatusFailed || *r.FailedHop != ov(second) {
		t.Fatalf("%s, failed hop %v; want the second hop", r.Status, r.FailedHop)
	}
}

// In dark mode a "received" receipt settles the packet as taken by the
// zone only when its signer is a zone member.
func TestZoneReceiptOnlyFromMembers(t *testing.T) {
	to := newIdentity(t)
	const bits = 4
	zone := Dest{Bits: bits, Prefix: AddressPrefix(ov(to), bits)}
	var member, outsider *identity.Identity
	for member == nil || outsider == nil {
		id := newIdentity(t)
		if zone.Matches(ov(id)) {
			member = id
		} else {
			outsider = id
		}
	}
	f := sentPacket(t, ov(to), bits)
	f.back(outsider, ReceiptReceived, ov(f.first))
	if r := f.record(); r.Status != StatusPending || len(r.ZoneReceipts) != 0 {
		t.Fatalf("a receipt from outside the zone counted: %s, %d zone receipts", r.Status, len(r.ZoneReceipts))
	}
	f.back(member, ReceiptReceived, ov(f.first))
	if r := f.record(); r.Status != StatusZone || len(r.ZoneReceipts) != 1 {
		t.Fatalf("a zone member's receipt: %s, %d zone receipts", r.Status, len(r.ZoneReceipts))
	}
}

// On timeout the hop named is the last one that took the packet, not
// always the first hop: here the recipient took it and gave no receipt.
func TestTimeoutNamesEndOfChain(t *testing.T) {
	to := newIdentity(t)
	second := newIdentity(t)
	for _, c := range []struct {
		name  string
		chain []*identity.Identity // after the first hop
		want  func(f *certFixture) identity.Overlay
	}{
		{"nobody answered", nil, func(f *certFixture) identity.Overlay { return ov(f.first) }},
		{"the second hop went silent", []*identity.Identity{second}, func(*certFixture) identity.Overlay { return ov(second) }},
		{"the recipient took it", []*identity.Identity{second, to}, func(*certFixture) identity.Overlay { return ov(to) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := sentPacket(t, ov(to), 256)
			if c.chain != nil {
				f.back(f.first, ReceiptTaken, f.n.self)
				prev := ov(f.first)
				for _, h := range c.chain {
					f.back(h, ReceiptTaken, prev)
					prev = ov(h)
				}
			}
			r := f.timeout()
			if want := c.want(f); r.Status != StatusFailed || r.FailedHop == nil || *r.FailedHop != want {
				t.Fatalf("%s, failed hop %v (%s); want %s", r.Status, r.FailedHop, r.Reason, want)
			}
		})
	}
}

// With real nodes on a line: the recipient took the packet but its inbox
// was full for the sender, so it signed no receipt; the sender names the
// recipient, not its first hop.
//
//	a ── c ── z
func TestFullInboxNamesRecipient(t *testing.T) {
	ia, ic, iz := newIdentity(t), newIdentity(t), newIdentity(t)
	z := startNode(t, iz, ic.Public().PeerID())
	c := startNode(t, ic, ia.Public().PeerID(), iz.Public().PeerID())
	a := startNode(t, ia, ic.Public().PeerID())
	link(t, c, a)
	link(t, c, z)
	for range maxInboxPerSender {
		z.subs.store(&Message{From: a.self, Topic: "full", Payload: []byte("x")})
	}
	id, err := a.Send(context.Background(), z.Card(), SendOptions{Topic: "full", Payload: []byte("one more"), Luminosity: 256, Certify: true})
	if err != nil {
		t.Fatal(err)
	}
	var r *SentRecord
	waitFor(t, "the packet is settled", func() bool {
		r, err = a.certs.record(id)
		return err == nil && r.Status != StatusPending
	})
	if r.Status != StatusFailed || r.FailedHop == nil || *r.FailedHop != ov(iz) {
		t.Fatalf("%s, failed hop %v (%s); want the recipient %s", r.Status, r.FailedHop, r.Reason, ov(iz))
	}
	if !strings.Contains(r.Reason, "recipient") {
		t.Fatalf("reason %q does not say the recipient", r.Reason)
	}
	if z.stats.InboxFull.Load() == 0 {
		t.Fatal("the recipient's inbox was not full")
	}
}

// A packet rerouted after a failed write has two first hops: the chain may
// start at either.
func TestRerouteAddsFirstHop(t *testing.T) {
	to := newIdentity(t)
	f := sentPacket(t, ov(to), 256)
	other := newIdentity(t)
	f.n.certs.askedFor(f.id, []peer.ID{other.Public().PeerID()})
	rc, err := routeapi.SignReceipt(other, f.id, ReceiptTaken, f.n.self)
	if err != nil {
		t.Fatal(err)
	}
	f.n.certs.receipt(rc, other.Public().PeerID())
	r := f.timeout()
	if len(r.FirstHops) != 2 || r.FailedHop == nil || *r.FailedHop != ov(other) {
		t.Fatalf("first hops %v, failed hop %v; want both first hops and the one that took it", r.FirstHops, r.FailedHop)
	}
}
