package swap

import (
	"crypto/rand"
	"encoding/hex"
	"math/big"
	"testing"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// A bond event is booked once per link, across restarts, and only on
// evidence that shows it: a charge needs the charged hop's own signed
// acceptance naming this node.
func TestBookBondOnce(t *testing.T) {
	t.Parallel()
	n := newNode(t, nil)
	hop, stranger := anIdentity(t), anIdentity(t)
	var id [32]byte
	rand.Read(id[:])
	accept := func(by *identity.Identity) string {
		rc, err := routeapi.SignReceipt(by, id, routeapi.ReceiptTaken, n.id.Public().Overlay())
		if err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(rc.Marshal())
	}
	hopPeer := hop.Public().PeerID().String()
	ev := routeapi.BondEvent{Seq: 1, Packet: hex.EncodeToString(id[:]), Peer: hopPeer, Role: routeapi.BondCharged, Bond: 990}

	// Forged: the acceptance is signed by a stranger, not by the hop.
	forged := ev
	forged.Proof = accept(stranger)
	before := n.dump()
	if ok, err := n.BookBond(&forged); ok || err == nil {
		t.Fatalf("a forged acceptance was booked (%v, %v)", ok, err)
	}
	sameDump(t, "a forged charge", before, n.dump())

	ev.Proof = accept(hop)
	if ok, err := n.BookBond(&ev); !ok || err != nil {
		t.Fatalf("the charge was not booked: %v, %v", ok, err)
	}
	wantEq(t, "balance after the charge", n.bal(hopPeer), big.NewInt(990))
	if ok, err := n.BookBond(&ev); ok || err != nil {
		t.Fatalf("booked twice: %v, %v", ok, err)
	}
	// The other outcome of the same link cannot be booked either.
	paid := ev
	paid.Role = routeapi.BondPaid
	rc, err := routeapi.SignReceipt(stranger, id, routeapi.ReceiptTaken, hop.Public().Overlay())
	if err != nil {
		t.Fatal(err)
	}
	paid.Proof = hex.EncodeToString(rc.Marshal())
	if ok, err := n.BookBond(&paid); ok || err != nil {
		t.Fatalf("the link was booked a second way: %v, %v", ok, err)
	}
	n.restart()
	if ok, err := n.BookBond(&ev); ok || err != nil {
		t.Fatalf("booked again after a restart: %v, %v", ok, err)
	}
	wantEq(t, "balance at the end", n.bal(hopPeer), big.NewInt(990))
}

func anIdentity(t *testing.T) *identity.Identity {
	t.Helper()
	id, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return id
}
