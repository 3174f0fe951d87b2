package route

import (
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/seal"
)

func prekeyNode(t *testing.T, dir string, id *identity.Identity) (*Node, *kv.DB) {
	t.Helper()
	db, err := kv.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{id: id, pub: id.Public(), db: db, log: slog.New(slog.DiscardHandler)}
	n.self = n.pub.Overlay()
	n.prekeys = newPrekeys(n)
	return n, db
}

// TestPrekeyRotation: a new prekey every PrekeyRotation, each private half
// kept until PrekeyLifetime + KeyGrace and no longer, across restarts.
func TestPrekeyRotation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	id := newIdentity(t)
	n, db := prekeyNode(t, dir, id)
	t0 := time.Unix(1_800_000_000, 0)
	if _, err := n.prekeys.maintain(t0); err != nil {
		t.Fatal(err)
	}
	first := n.prekeys.current()
	if first == nil || first.Owner.Overlay() != n.self || !first.Valid(t0) {
		t.Fatalf("first prekey: %+v", first)
	}
	if _, _ = n.prekeys.maintain(t0.Add(PrekeyRotation - time.Second)); n.prekeys.current() != first {
		t.Fatal("rotated early")
	}
	if _, err := n.prekeys.maintain(t0.Add(PrekeyRotation)); err != nil {
		t.Fatal(err)
	}
	second := n.prekeys.current()
	if second == first {
		t.Fatal("not rotated after a day")
	}
	db.Close()

	// After a restart both private halves are there until the first's grace ends.
	n, db = prekeyNode(t, dir, id)
	defer db.Close()
	if n.prekeys.opener(first.Key) == nil || n.prekeys.opener(second.Key) == nil {
		t.Fatal("a prekey was lost across a restart")
	}
	if del, _ := n.prekeys.maintain(first.Expires.Add(KeyGrace)); del || n.prekeys.opener(first.Key) == nil {
		t.Fatal("deleted within the grace")
	}
	if del, _ := n.prekeys.maintain(first.Expires.Add(KeyGrace + time.Second)); !del || n.prekeys.opener(first.Key) != nil {
		t.Fatal("kept after the grace")
	}
	if n.prekeys.opener(second.Key) == nil {
		t.Fatal("the newer prekey went too")
	}
	if KeyGrace <= maxAge+maxSkewAhead {
		t.Fatalf("a key is kept %v after it is replaced, less than the %v a packet stays fresh", KeyGrace, maxAge+maxSkewAhead)
	}
}

func TestPrekeyValidator(t *testing.T) {
	alice, bob := newIdentity(t), newIdentity(t)
	now := time.Now().Truncate(time.Second)
	sign := func(id *identity.Identity, created time.Time) []byte {
		p, err := id.SignPrekey(seal.PublicKey{byte(created.Unix())}, created, created.Add(PrekeyLifetime))
		if err != nil {
			t.Fatal(err)
		}
		return p.Bytes()
	}
	key := prekeyKey(alice.Public().Overlay())
	v := prekeyValidator{}
	if err := v.Validate(key, sign(alice, now)); err != nil {
		t.Fatal(err)
	}
	if v.Validate(key, sign(bob, now)) == nil {
		t.Fatal("bob's prekey accepted under alice's address")
	}
	if v.Validate(key, sign(alice, now.Add(-PrekeyLifetime-time.Minute))) == nil {
		t.Fatal("an expired prekey accepted")
	}
	if v.Validate("/mf/"+alice.Public().Overlay().String(), sign(alice, now)) == nil {
		t.Fatal("a prekey accepted under a card key")
	}
	older, newer := sign(alice, now.Add(-time.Hour)), sign(alice, now)
	if i, err := v.Select(key, [][]byte{older, []byte("junk"), newer}); err != nil || i != 2 {
		t.Fatalf("Select = %d, %v", i, err)
	}
}
