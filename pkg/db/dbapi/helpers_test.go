package dbapi

import (
	"crypto/ecdsa"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/identity"
)

// fixedKey is a deterministic key, so fuzz seeds are the same every run.
func fixedKey(t testing.TB, b byte) *identity.Identity {
	t.Helper()
	raw := make([]byte, 32)
	raw[31] = b
	raw[0] = 0x10
	k, err := crypto.ToECDSA(raw)
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.FromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func cardOf(t testing.TB, id *identity.Identity) string {
	t.Helper()
	c, err := id.NewCard(nil, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	return c.String()
}

func addr(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

// testMeta is alice's dataset "notes": read anyone, insert bob, update and
// delete owner, indexed on age and name.
func testMeta(t testing.TB, owner, bob *identity.Identity) *Meta {
	t.Helper()
	m := &Meta{Name: "notes", Card: cardOf(t, owner),
		ACL:     ACL{Read: Anyone, Insert: List(addr(bob.Key)), Update: Owner, Delete: Owner},
		Indexes: []string{"name", "age"}, Redundancy: 3, Quorum: 2, Version: 1}
	if err := m.Sign(owner.Key); err != nil {
		t.Fatal(err)
	}
	return m
}

func testChange(t testing.TB, m *Meta, w *identity.Identity, key, value string, seq uint64) *Change {
	t.Helper()
	c := &Change{Dataset: m.ID, Key: key, Op: OpInsert, Value: []byte(value), Seq: seq, Time: 1700000000000 + seq}
	if err := c.Sign(w.Key); err != nil {
		t.Fatal(err)
	}
	return c
}
