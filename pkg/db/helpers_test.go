package db

import (
	"crypto/ecdsa"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/identity"
)

// people are deterministic identities: alice owns, bob may insert,
// mallory may nothing.
type person struct {
	*identity.Identity
	addr common.Address
	card string
}

func newPerson(t testing.TB, b byte) person {
	t.Helper()
	raw := make([]byte, 32)
	raw[0], raw[31] = 0x20, b
	k, err := crypto.ToECDSA(raw)
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.FromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := id.NewCard(nil, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	return person{Identity: id, addr: crypto.PubkeyToAddress(k.PublicKey), card: c.String()}
}

func (p person) key() *ecdsa.PrivateKey { return p.Key }

func (p person) hexKey() string { return strings.ToLower(p.addr.Hex()) }

// clock is a settable clock for an engine's own writes.
type clock struct{ ms int64 }

func (c *clock) now() time.Time { return time.UnixMilli(c.ms) }

func newEngine(t testing.TB, opts ...Option) *Engine {
	t.Helper()
	e, err := Open(t.TempDir(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// notes is alice's dataset: read by alice and bob, insert by bob, update
// and delete by alice only, indexed on name and age.
func notes(t testing.TB, alice, bob person) *dbapi.Meta {
	t.Helper()
	m := &dbapi.Meta{Name: "notes", Card: alice.card,
		ACL:     dbapi.ACL{Read: dbapi.List(bob.addr), Insert: dbapi.List(bob.addr), Update: dbapi.Owner, Delete: dbapi.Owner},
		Indexes: []string{"name", "age"}, Version: 1}
	if err := m.Sign(alice.key()); err != nil {
		t.Fatal(err)
	}
	return m
}

// change signs a change by p.
func change(t testing.TB, p person, m *dbapi.Meta, op dbapi.Op, key, value string, seq, ms uint64) *dbapi.Change {
	t.Helper()
	c := &dbapi.Change{Dataset: m.ID, Key: key, Op: op, Value: []byte(value), Seq: seq, Time: ms}
	if err := c.Sign(p.key()); err != nil {
		t.Fatal(err)
	}
	return c
}

// rows is the dataset's live rows as "key=value" lines, for comparing.
func rows(t testing.TB, e *Engine, m *dbapi.Meta) string {
	t.Helper()
	cs, err := e.Query(m.ID, m.Owner, dbapi.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%s=%s by %s\n", c.Key, c.Value, c.Writer.Hex()[:6])
	}
	return b.String()
}

func mustApply(t testing.TB, e *Engine, cs ...*dbapi.Change) []Result {
	t.Helper()
	rs, err := e.ApplyBatch(cs)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}
