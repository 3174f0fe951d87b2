package db

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/seal"
)

// TestMailbox: bob and carol put sealed rows in alice's mailbox; neither
// can read, update or delete there; the engine stores only ciphertext;
// alice opens both.
func TestMailbox(t *testing.T) {
	alice, bob, carol := newPerson(t, 1), newPerson(t, 2), newPerson(t, 4)
	card, err := identity.ParseCard(alice.card)
	if err != nil {
		t.Fatal(err)
	}
	m := dbapi.MailboxMeta(card, dbapi.MailboxName, dbapi.Anyone)
	if err := m.Sign(alice.key()); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t)
	if err := e.PutMeta(m); err != nil {
		t.Fatal(err)
	}
	secrets := map[common.Address]string{bob.addr: "bob's secret plans 7f3a", carol.addr: "carol's secret diary 91c2"}
	send := func(p person, id, msg string) string {
		t.Helper()
		key := dbapi.MailKey(p.addr, id)
		v, err := dbapi.SealMail(m, key, []byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Write(p.key(), Write{Dataset: m.ID, Key: key, Op: dbapi.OpInsert, Raw: true, Value: v}); err != nil {
			t.Fatalf("%s sends: %v", p.addr.Hex(), err)
		}
		return key
	}
	bk := send(bob, "1", secrets[bob.addr])
	ck := send(carol, "1", secrets[carol.addr])

	// Every value the engine stored, read back through its own storage.
	if err := e.db.Scan(nil, func(k, v []byte) error {
		for _, s := range secrets {
			if bytes.Contains(v, []byte(s)) || bytes.Contains(k, []byte(s)) {
				return fmt.Errorf("stored key %x holds plaintext %q", k, s)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	for _, p := range []person{bob, carol} {
		if _, err := e.Get(m.ID, p.addr, bk); !errors.Is(err, dbapi.ErrDenied) {
			t.Fatalf("%s reading alice's mailbox: %v", p.addr.Hex(), err)
		}
		if _, err := e.Query(m.ID, p.addr, dbapi.Query{}); !errors.Is(err, dbapi.ErrDenied) {
			t.Fatalf("query: %v", err)
		}
		v, _ := dbapi.SealMail(m, bk, []byte("overwritten"))
		for _, op := range []dbapi.Op{dbapi.OpUpdate, dbapi.OpPut} {
			if _, err := e.Write(p.key(), Write{Dataset: m.ID, Key: bk, Op: op, Raw: true, Value: v}); !errors.Is(err, dbapi.ErrDenied) {
				t.Fatalf("%s %s: %v", p.addr.Hex(), op, err)
			}
		}
		if _, err := e.Write(p.key(), Write{Dataset: m.ID, Key: bk, Op: dbapi.OpDelete}); !errors.Is(err, dbapi.ErrDenied) {
			t.Fatalf("delete: %v", err)
		}
	}
	// Carol cannot insert over bob's row (it is keyed by bob), nor store
	// plaintext.
	v, _ := dbapi.SealMail(m, bk, []byte("carol's forgery"))
	if _, err := e.Write(carol.key(), Write{Dataset: m.ID, Key: bk, Op: dbapi.OpInsert, Raw: true, Value: v}); !errors.Is(err, dbapi.ErrDenied) {
		t.Fatalf("carol inserting under bob's key: %v", err)
	}
	if _, err := e.Write(carol.key(), Write{Dataset: m.ID, Key: dbapi.MailKey(carol.addr, "2"), Op: dbapi.OpInsert, Raw: true, Value: []byte("plain")}); !errors.Is(err, dbapi.ErrInvalid) {
		t.Fatalf("unsealed mail: %v", err)
	}

	// Alice reads, verifies and opens both, and may delete.
	o := seal.NewOpener(alice.Enc)
	rows, err := e.Query(m.ID, alice.addr, dbapi.Query{})
	if err != nil || len(rows) != 2 {
		t.Fatalf("alice's query: %d rows, %v", len(rows), err)
	}
	for _, c := range rows {
		if err := dbapi.VerifyRow(m, c.Key, c); err != nil {
			t.Fatal(err)
		}
		pt, err := dbapi.OpenMail(o, m.ID, c.Key, c.Value)
		if err != nil || string(pt) != secrets[c.Writer] {
			t.Fatalf("opened %q, %v", pt, err)
		}
	}
	if _, err := e.Write(alice.key(), Write{Dataset: m.ID, Key: ck, Op: dbapi.OpDelete}); err != nil {
		t.Fatalf("alice deleting: %v", err)
	}
}

// TestNetworkTable: in a table with no owner, a row is written only by
// the address its key names (self), or owned by its first writer (claim).
func TestNetworkTable(t *testing.T) {
	bob, carol := newPerson(t, 2), newPerson(t, 4)
	holders := &dbapi.Meta{Name: "holders", ACL: dbapi.ACL{Read: dbapi.Anyone, Insert: dbapi.Self, Update: dbapi.Self, Delete: dbapi.Self}, Version: 1}
	names := &dbapi.Meta{Name: "names", ACL: dbapi.ACL{Read: dbapi.Anyone, Insert: dbapi.Claim, Update: dbapi.Claim, Delete: dbapi.Claim}, Version: 1}
	e := newEngine(t)
	for _, m := range []*dbapi.Meta{holders, names} {
		if err := m.SetNetworkID(); err != nil {
			t.Fatal(err)
		}
		if err := e.PutMeta(m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Write(bob.key(), Write{Dataset: holders.ID, Key: bob.hexKey(), Op: dbapi.OpPut, Value: []byte(`{"holder":1}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Write(carol.key(), Write{Dataset: holders.ID, Key: bob.hexKey(), Op: dbapi.OpPut, Value: []byte(`{"holder":2}`)}); !errors.Is(err, dbapi.ErrDenied) {
		t.Fatalf("carol writing bob's row: %v", err)
	}

	// Claims: bob claims "bob" first (earlier time); carol's later put
	// has no effect, on any engine, in any arrival order.
	b1 := change(t, bob, names, dbapi.OpInsert, "bob", `"0xb0b"`, 1, 100)
	c1 := change(t, carol, names, dbapi.OpPut, "bob", `"0xca201"`, 1, 200)
	b2 := change(t, bob, names, dbapi.OpUpdate, "bob", `"0xb0b2"`, 2, 300)
	for _, order := range [][]*dbapi.Change{{b1, c1, b2}, {c1, b2, b1}, {b2, c1, b1}} {
		e := newEngine(t)
		if err := e.PutMeta(names); err != nil {
			t.Fatal(err)
		}
		for _, c := range order {
			mustApply(t, e, c)
		}
		got, err := e.Get(names.ID, carol.addr, "bob")
		if err != nil || string(got.Value) != `"0xb0b2"` || got.Writer != bob.addr {
			t.Fatalf("claimed row = %s by %s, %v", got.Value, got.Writer.Hex(), err)
		}
	}
}
