package route

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// TestGroupReceipts: the sender takes a member's receipt only from that
// member, only for a packet it sent to it, once; the record is delivered
// when every member signed.
func TestGroupReceipts(t *testing.T) {
	n := inboxNode(t)
	n.grcpts = newGroupReceipts(n)
	a, b, outsider := newIdentity(t), newIdentity(t), newIdentity(t)
	id := [32]byte{1, 2, 3}
	rec := &GroupSentRecord{ID: hex.EncodeToString(id[:]), Group: "team", SentAt: time.Now(), Status: StatusPending,
		Members: []MemberReceipt{{Name: "a", Overlay: a.Public().Overlay()}, {Name: "b", Overlay: b.Public().Overlay()}}}
	if err := n.grcpts.save(id, rec, true); err != nil {
		t.Fatal(err)
	}
	sign := func(who *identity.Identity, packet [32]byte, kind byte) *Receipt {
		rc, err := routeapi.SignReceipt(who, packet, kind, identity.Overlay{})
		if err != nil {
			t.Fatal(err)
		}
		return rc
	}
	for _, c := range []struct {
		what string
		rc   *Receipt
		from identity.Overlay
	}{
		{"b answering for a", sign(a, id, ReceiptReceived), b.Public().Overlay()},
		{"a non-member", sign(outsider, id, ReceiptReceived), outsider.Public().Overlay()},
		{"a packet not sent", sign(a, [32]byte{9}, ReceiptReceived), a.Public().Overlay()},
		{"another kind", sign(a, id, ReceiptTaken), a.Public().Overlay()},
	} {
		if n.grcpts.apply(c.rc, c.from) {
			t.Fatalf("%s: counted", c.what)
		}
	}
	if r, _ := n.grcpts.record(id); r.Delivered() != 0 {
		t.Fatalf("%d receipts after the refused ones", r.Delivered())
	}
	if !n.grcpts.apply(sign(a, id, ReceiptReceived), a.Public().Overlay()) {
		t.Fatal("a's own receipt refused")
	}
	if n.grcpts.apply(sign(a, id, ReceiptReceived), a.Public().Overlay()) {
		t.Fatal("a second receipt of a counted")
	}
	if r, _ := n.grcpts.record(id); r.Status != StatusPending || r.Delivered() != 1 {
		t.Fatalf("after a: %s %d", r.Status, r.Delivered())
	}
	if !n.grcpts.apply(sign(b, id, ReceiptReceived), b.Public().Overlay()) {
		t.Fatal("b's receipt refused")
	}
	r, _ := n.grcpts.record(id)
	if r.Status != StatusDelivered || r.Delivered() != 2 || r.Members[1].Receipt == nil || r.Members[1].Receipt.Signer != b.Public().Overlay() {
		t.Fatalf("after b: %+v", r)
	}
	// A batch on the wire: what goes in comes out, verified.
	raw := [][]byte{sign(a, id, ReceiptReceived).Marshal(), sign(b, id, ReceiptReceived).Marshal()}
	got, err := decodeGroupReceipts(encodeGroupReceipts(raw))
	if err != nil || len(got) != 2 || got[1].Signer.Overlay() != b.Public().Overlay() {
		t.Fatalf("decode: %v %v", got, err)
	}
	// An altered receipt recovers another signer, or none: it cannot
	// count for b.
	bad := encodeGroupReceipts(raw)
	bad[len(bad)-40] ^= 1
	if got, err := decodeGroupReceipts(bad); err == nil && got[1].Signer.Overlay() == b.Public().Overlay() {
		t.Fatal("an altered receipt still names b")
	}
	if _, err := decodeGroupReceipts(append(encodeGroupReceipts(raw), 0)); err == nil {
		t.Fatal("a batch with a trailing byte decoded")
	}
	if err := n.grcpts.prune(time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if rs, _ := n.grcpts.list(); len(rs) != 0 {
		t.Fatalf("%d records after pruning", len(rs))
	}
}

func FuzzDecodeGroupReceipts(f *testing.F) {
	// A fixed key, so the seeds are the same on every run.
	k, err := crypto.ToECDSA(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	id, err := identity.FromKey(k)
	if err != nil {
		f.Fatal(err)
	}
	rc, err := routeapi.SignReceipt(id, [32]byte{1}, ReceiptReceived, identity.Overlay{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encodeGroupReceipts([][]byte{rc.Marshal()}))
	f.Add([]byte{1, 0})
	f.Add([]byte{1, 65})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := decodeGroupReceipts(b)
		if err != nil {
			return
		}
		if len(rs) == 0 || len(rs) > maxGroupReceiptBatch {
			t.Fatalf("%d receipts", len(rs))
		}
		var raw [][]byte
		for _, r := range rs {
			raw = append(raw, r.Marshal())
		}
		if !bytes.Equal(encodeGroupReceipts(raw), b) {
			t.Fatal("a batch that does not encode back to itself")
		}
	})
}
