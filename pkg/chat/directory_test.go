package chat

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/identity"
)

// TestCardOf: a directory row gives a card only when its owner signed it
// under its own address and the card is the owner's; a row its owner
// deleted is no card (errCardDeleted, "published no card"), not a
// forgery; another's row, or another's card, is refused.
func TestCardOf(t *testing.T) {
	meta := &dbapi.Meta{Name: DirectoryTable.Name, ACL: dbapi.ACL{Read: dbapi.Anyone, Insert: dbapi.Self, Update: dbapi.Self, Delete: dbapi.Self}, Version: 1}
	if err := meta.SetNetworkID(); err != nil {
		t.Fatal(err)
	}
	alice, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	mallory, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	owner := alice.Public().Address()
	key := strings.ToLower(owner.Hex())
	row := func(signer *identity.Identity, card *identity.Identity, op dbapi.Op, seq uint64) *dbapi.Change {
		ch := &dbapi.Change{Dataset: meta.ID, Key: key, Op: op, Seq: seq, Time: uint64(time.Now().UnixMilli())}
		if op != dbapi.OpDelete {
			c, err := card.NewCard(nil, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			ch.Value, _ = json.Marshal(directoryRow{Card: c.String()})
		}
		if err := ch.Sign(signer.Key); err != nil {
			t.Fatal(err)
		}
		return ch
	}
	if _, c, err := cardOf(meta, row(alice, alice, dbapi.OpPut, 1), owner); err != nil || c.Address() != owner {
		t.Fatalf("alice's own card: %v", err)
	}
	if _, _, err := cardOf(meta, row(alice, alice, dbapi.OpDelete, 2), owner); !errors.Is(err, errCardDeleted) {
		t.Fatalf("a deleted row: %v, want errCardDeleted", err)
	}
	if _, _, err := cardOf(meta, row(alice, mallory, dbapi.OpPut, 3), owner); err == nil || !strings.Contains(err.Error(), "not the owner's") {
		t.Fatalf("mallory's card under alice's row: %v", err)
	}
	if _, _, err := cardOf(meta, row(mallory, mallory, dbapi.OpPut, 1), owner); err == nil || errors.Is(err, errCardDeleted) {
		t.Fatalf("a row mallory wrote under alice's key: %v", err)
	}
	if _, _, err := cardOf(meta, row(alice, alice, dbapi.OpPut, 4), common.Address{1}); err == nil {
		t.Fatal("alice's row taken for another owner")
	}
}
