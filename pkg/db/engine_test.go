package db

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/db/dbapi"
)

// snapshot is everything an engine stored, to show that a refused input
// changed nothing.
func snapshot(t testing.TB, e *Engine) string {
	t.Helper()
	var b strings.Builder
	if err := e.db.Scan(nil, func(k, v []byte) error {
		fmt.Fprintf(&b, "%x=%x\n", k, v)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestPutGetVerify(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	e := newEngine(t)
	m := notes(t, alice, bob)
	if err := e.PutMeta(m); err != nil {
		t.Fatal(err)
	}
	c, err := e.Write(bob.key(), Write{Dataset: m.ID, Key: "b1", Op: dbapi.OpInsert, Value: []byte(`{"name":"bob","age":30}`)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Seq != 1 || c.Writer != bob.addr {
		t.Fatalf("seq %d writer %s", c.Seq, c.Writer.Hex())
	}
	got, err := e.Get(m.ID, alice.addr, "b1")
	if err != nil {
		t.Fatal(err)
	}
	// The reader checks the row itself against the owner's metadata.
	meta, err := e.Meta(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := dbapi.VerifyRow(meta, "b1", got); err != nil {
		t.Fatalf("reader's check: %v", err)
	}
	if _, err := e.Get(m.ID, alice.addr, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing row: %v", err)
	}
	// Survives a restart.
	dir := t.TempDir()
	e2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := e2.PutMeta(m); err != nil {
		t.Fatal(err)
	}
	mustApply(t, e2, got)
	e2.Close()
	e2, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if r, err := e2.Get(m.ID, alice.addr, "b1"); err != nil || r.Digest() != got.Digest() {
		t.Fatalf("after reopening: %v", err)
	}
}

// TestReaderDetectsAlteredRow: a provider that changes a stored row (here
// in its own Pebble, under the engine) is caught by the reader's check.
func TestReaderDetectsAlteredRow(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	e := newEngine(t)
	m := notes(t, alice, bob)
	if err := e.PutMeta(m); err != nil {
		t.Fatal(err)
	}
	c, err := e.Write(bob.key(), Write{Dataset: m.ID, Key: "b1", Op: dbapi.OpInsert, Value: []byte(`{"amount":10}`)})
	if err != nil {
		t.Fatal(err)
	}
	rk := dkey(pChange, m.ID, c.Writer[:], u64(c.Seq)) // where the row's change is kept
	b, err := e.db.Get(rk)
	if err != nil {
		t.Fatal(err)
	}
	altered := bytes.Replace(b, []byte(`{"amount":10}`), []byte(`{"amount":99}`), 1)
	if bytes.Equal(altered, b) {
		t.Fatal("value not found in the stored row")
	}
	if err := e.db.Set(rk, altered); err != nil {
		t.Fatal(err)
	}
	got, err := e.Get(m.ID, alice.addr, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Value) != `{"amount":99}` {
		t.Fatalf("engine served %s", got.Value)
	}
	if err := dbapi.VerifyRow(m, "b1", got); !errors.Is(err, dbapi.ErrSignature) {
		t.Fatalf("reader's check of an altered row: %v, want ErrSignature", err)
	}
	// A provider that serves a genuine row under another key is caught too.
	if _, err := e.Write(alice.key(), Write{Dataset: m.ID, Key: "a1", Op: dbapi.OpPut, Value: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	a1, _ := e.Get(m.ID, alice.addr, "a1")
	if err := dbapi.VerifyRow(m, "b1", a1); !errors.Is(err, dbapi.ErrInvalid) {
		t.Fatalf("row served under another key: %v", err)
	}
}

func TestRefusedInputChangesNothing(t *testing.T) {
	alice, bob, mallory := newPerson(t, 1), newPerson(t, 2), newPerson(t, 3)
	e := newEngine(t)
	m := notes(t, alice, bob)
	if err := e.PutMeta(m); err != nil {
		t.Fatal(err)
	}
	mustApply(t, e, change(t, bob, m, dbapi.OpInsert, "b1", `{"name":"x"}`, 1, 100))
	before := snapshot(t, e)

	forged := change(t, bob, m, dbapi.OpInsert, "b2", `{}`, 2, 101)
	forged.Value = []byte(`{"evil":1}`)
	forgedBatch := []*dbapi.Change{change(t, bob, m, dbapi.OpInsert, "b3", `{}`, 2, 102), forged}
	badMeta := *m
	badMeta.ID[0] ^= 1
	unknown := change(t, bob, &badMeta, dbapi.OpInsert, "b4", `{}`, 1, 102)
	tests := []struct {
		name string
		do   func() error
		want error
		text string
	}{
		{"forged signature", func() error { _, err := e.Apply(forged); return err }, dbapi.ErrSignature, "signed by"},
		{"forged change in a batch", func() error { _, err := e.ApplyBatch(forgedBatch); return err }, dbapi.ErrSignature, "change 1"},
		{"insert by a stranger", func() error {
			_, err := e.Apply(change(t, mallory, m, dbapi.OpInsert, "m1", `{}`, 1, 100))
			return err
		}, dbapi.ErrDenied, "may not insert"},
		{"update by an inserter", func() error {
			_, err := e.Apply(change(t, bob, m, dbapi.OpUpdate, "b1", `{}`, 2, 100))
			return err
		}, dbapi.ErrDenied, "may not update"},
		{"delete by an inserter", func() error {
			_, err := e.Write(bob.key(), Write{Dataset: m.ID, Key: "b1", Op: dbapi.OpDelete})
			return err
		}, dbapi.ErrDenied, "may not delete"},
		{"oversize row", func() error {
			_, err := e.Write(alice.key(), Write{Dataset: m.ID, Key: "big", Op: dbapi.OpPut, Raw: true, Value: make([]byte, dbapi.MaxValue+1)})
			return err
		}, dbapi.ErrTooLarge, "at most 65536"},
		{"oversize key", func() error {
			_, err := e.Write(alice.key(), Write{Dataset: m.ID, Key: strings.Repeat("k", 513), Op: dbapi.OpPut, Value: []byte(`1`)})
			return err
		}, dbapi.ErrTooLarge, "row key of 513 bytes"},
		{"invalid JSON", func() error {
			_, err := e.Write(alice.key(), Write{Dataset: m.ID, Key: "j", Op: dbapi.OpPut, Value: []byte(`{"a":`)})
			return err
		}, dbapi.ErrInvalid, "not valid JSON"},
		{"insert of an existing key", func() error {
			_, err := e.Write(bob.key(), Write{Dataset: m.ID, Key: "b1", Op: dbapi.OpInsert, Value: []byte(`{}`)})
			return err
		}, ErrExists, "insert creates rows only"},
		{"update of a missing key", func() error {
			_, err := e.Write(alice.key(), Write{Dataset: m.ID, Key: "zz", Op: dbapi.OpUpdate, Value: []byte(`{}`)})
			return err
		}, ErrNotFound, `"zz"`},
		{"unknown dataset", func() error { _, err := e.Apply(unknown); return err }, ErrUnknownDataset, badMeta.ID.String()},
		{"a batch with one bad write", func() error {
			_, err := e.WriteBatch(alice.key(), []Write{
				{Dataset: m.ID, Key: "ok", Op: dbapi.OpPut, Value: []byte(`1`)},
				{Dataset: m.ID, Key: "bad", Op: dbapi.OpPut, Value: []byte(`nope`)},
			})
			return err
		}, dbapi.ErrInvalid, "not valid JSON"},
		{"a change from the future", func() error {
			_, err := e.Apply(change(t, bob, m, dbapi.OpInsert, "f", `{}`, 2, uint64(time.Now().Add(time.Hour).UnixMilli())))
			return err
		}, dbapi.ErrInvalid, "ahead of this clock"},
		{"a gap too far", func() error {
			_, err := e.Apply(change(t, bob, m, dbapi.OpInsert, "far", `{}`, MaxGap+5, 100))
			return err
		}, ErrGap, "held back"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.want, tt.text)
			}
			if snapshot(t, e) != before {
				t.Fatal("a refused input changed what is stored")
			}
		})
	}
}

func TestReadACL(t *testing.T) {
	alice, bob, mallory := newPerson(t, 1), newPerson(t, 2), newPerson(t, 3)
	e := newEngine(t)
	m := notes(t, alice, bob)
	if err := e.PutMeta(m); err != nil {
		t.Fatal(err)
	}
	mustApply(t, e, change(t, bob, m, dbapi.OpInsert, "b1", `{"name":"x"}`, 1, 100))
	if _, err := e.Get(m.ID, bob.addr, "b1"); err != nil {
		t.Fatalf("bob reading: %v", err)
	}
	if _, err := e.Get(m.ID, mallory.addr, "b1"); !errors.Is(err, dbapi.ErrDenied) || !strings.Contains(err.Error(), "may not read") {
		t.Fatalf("mallory get: %v", err)
	}
	if _, err := e.Query(m.ID, mallory.addr, dbapi.Query{}); !errors.Is(err, dbapi.ErrDenied) {
		t.Fatalf("mallory query: %v", err)
	}
	err := e.Watch(context.Background(), m.ID, mallory.addr, nil, func(*dbapi.Change) error { return nil })
	if !errors.Is(err, dbapi.ErrDenied) {
		t.Fatalf("mallory watch: %v", err)
	}
}

// TestMetaUpdates: only the owner changes a dataset's metadata, only
// upward, and a revocation takes effect.
func TestMetaUpdates(t *testing.T) {
	alice, bob, mallory := newPerson(t, 1), newPerson(t, 2), newPerson(t, 3)
	e := newEngine(t)
	m := notes(t, alice, bob)
	if err := e.PutMeta(m); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, e)

	// Mallory grants himself insert on alice's dataset.
	g, err := m.Grant(dbapi.Insert, mallory.addr)
	if err != nil {
		t.Fatal(err)
	}
	g.Card = mallory.card
	if err := g.Sign(mallory.key()); err != nil {
		t.Fatal(err)
	}
	g.Owner, g.ID, g.Card = m.Owner, m.ID, m.Card
	if err := e.PutMeta(g); !errors.Is(err, dbapi.ErrSignature) {
		t.Fatalf("grant signed by mallory: %v", err)
	}
	// Alice's own grant, replayed at an old version.
	if err := e.PutMeta(m); !errors.Is(err, ErrStale) {
		t.Fatalf("same version again: %v", err)
	}
	if snapshot(t, e) != before {
		t.Fatal("refused metadata changed what is stored")
	}
	// Alice revokes bob's insert right.
	r, err := m.Revoke(dbapi.Insert, bob.addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Sign(alice.key()); err != nil {
		t.Fatal(err)
	}
	if err := e.PutMeta(r); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Write(bob.key(), Write{Dataset: m.ID, Key: "b", Op: dbapi.OpInsert, Value: []byte(`1`)}); !errors.Is(err, dbapi.ErrDenied) {
		t.Fatalf("insert after revocation: %v", err)
	}
	if err := e.PutMeta(m); !errors.Is(err, ErrStale) {
		t.Fatalf("rollback to version 1: %v", err)
	}
	if _, err := m.Revoke(dbapi.Update, bob.addr); !errors.Is(err, dbapi.ErrInvalid) {
		t.Fatalf("revoke from an owner rule: %v", err)
	}
}

// TestOrderIndependence: two engines that receive the same changes in
// different orders (gaps, late arrivals, replays) end with the same rows,
// version and digest.
func TestOrderIndependence(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	m := notes(t, alice, bob)
	m2, err := m.Grant(dbapi.Update, bob.addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.Sign(alice.key()); err != nil {
		t.Fatal(err)
	}
	cs := []*dbapi.Change{
		change(t, alice, m2, dbapi.OpPut, "k", `{"v":"a1"}`, 1, 100),
		change(t, bob, m2, dbapi.OpInsert, "k", `{"v":"b-insert"}`, 1, 90), // earlier: it creates the row
		change(t, bob, m2, dbapi.OpUpdate, "k", `{"v":"b2"}`, 2, 150),      // latest: wins
		change(t, alice, m2, dbapi.OpPut, "j", `{"v":"a2"}`, 2, 120),
		change(t, alice, m2, dbapi.OpDelete, "j", ``, 3, 130),
		change(t, bob, m2, dbapi.OpInsert, "j", `{"v":"b3"}`, 3, 125), // before the delete: deleted
		change(t, bob, m2, dbapi.OpInsert, "q", `{"v":"b4"}`, 4, 200),
		change(t, alice, m2, dbapi.OpInsert, "q", `{"v":"a4"}`, 4, 210), // q is live: no effect
	}
	want := ""
	var wantDigest *dbapi.Digest
	orders := [][]int{{0, 1, 2, 3, 4, 5, 6, 7}, {7, 6, 5, 4, 3, 2, 1, 0}, {2, 5, 6, 1, 7, 4, 0, 3}, {3, 0, 4, 7, 6, 5, 1, 2}}
	for n, order := range orders {
		e := newEngine(t)
		if err := e.PutMeta(m2); err != nil {
			t.Fatal(err)
		}
		for _, i := range order {
			mustApply(t, e, cs[i])
			mustApply(t, e, cs[i]) // a replay is a duplicate
		}
		got := rows(t, e, m2)
		d, err := e.Digest(m2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			want, wantDigest = got, d
			if !strings.Contains(got, `k={"v":"b2"}`) || strings.Contains(got, "j=") || !strings.Contains(got, `q={"v":"b4"}`) {
				t.Fatalf("rows:\n%s", got)
			}
			if d.Version[alice.addr] != 4 || d.Version[bob.addr] != 4 || d.Changes != 8 {
				t.Fatalf("digest %+v", d)
			}
			continue
		}
		if got != want {
			t.Fatalf("order %v: rows\n%s\nwant\n%s", order, got, want)
		}
		if d.Hash != wantDigest.Hash || d.Version.String() != wantDigest.Version.String() {
			t.Fatalf("order %v: digest differs", order)
		}
	}
}

func TestGapsAndReplays(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	e := newEngine(t)
	m := notes(t, alice, bob)
	if err := e.PutMeta(m); err != nil {
		t.Fatal(err)
	}
	c1 := change(t, bob, m, dbapi.OpInsert, "a", `1`, 1, 100)
	c2 := change(t, bob, m, dbapi.OpInsert, "b", `2`, 2, 101)
	c3 := change(t, bob, m, dbapi.OpInsert, "c", `3`, 3, 102)
	if rs := mustApply(t, e, c3); rs[0] != Held {
		t.Fatalf("seq 3 first: %v", rs[0])
	}
	if rs := mustApply(t, e, c2); rs[0] != Held {
		t.Fatalf("seq 2: %v", rs[0])
	}
	if _, err := e.Get(m.ID, alice.addr, "c"); !errors.Is(err, ErrNotFound) {
		t.Fatal("a held change is visible")
	}
	v, _ := e.Version(m.ID)
	if v[bob.addr] != 0 {
		t.Fatalf("version %v before the gap is filled", v)
	}
	if rs := mustApply(t, e, c1); rs[0] != Applied {
		t.Fatalf("seq 1: %v", rs[0])
	}
	v, _ = e.Version(m.ID)
	if v[bob.addr] != 3 {
		t.Fatalf("version %v after the gap is filled", v)
	}
	d := &dataset{meta: m}
	if err := d.load(e.db); err != nil || d.held != 0 {
		t.Fatalf("%d held after the gap is filled, %v", d.held, err)
	}
	for _, c := range []*dbapi.Change{c1, c2, c3} {
		if rs := mustApply(t, e, c); rs[0] != Duplicate {
			t.Fatalf("replay of %d: %v", c.Seq, rs[0])
		}
	}
	if rows(t, e, m) == "" || strings.Count(rows(t, e, m), "\n") != 3 {
		t.Fatalf("rows:\n%s", rows(t, e, m))
	}
}

// TestEquivocation: a writer that signs two changes with one seq is
// caught; every engine keeps the same one (the lower digest), whichever
// arrived first, and both are kept as evidence.
func TestEquivocation(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	m := notes(t, alice, bob)
	x := change(t, bob, m, dbapi.OpInsert, "x", `"first"`, 1, 100)
	y := change(t, bob, m, dbapi.OpInsert, "y", `"second"`, 1, 100)
	keep, drop := x, y
	if dx, dy := x.Digest(), y.Digest(); bytes.Compare(dy[:], dx[:]) < 0 {
		keep, drop = y, x
	}
	for _, order := range [][]*dbapi.Change{{x, y}, {y, x}} {
		{
			e := newEngine(t)
			if err := e.PutMeta(m); err != nil {
				t.Fatal(err)
			}
			if rs := mustApply(t, e, order[0]); rs[0] != Applied {
				t.Fatalf("first: %v", rs[0])
			}
			if rs := mustApply(t, e, order[1]); rs[0] != Equivocation {
				t.Fatalf("second: %v", rs[0])
			}
			if _, err := e.Get(m.ID, alice.addr, keep.Key); err != nil {
				t.Fatalf("kept change %q is not the row: %v", keep.Key, err)
			}
			if _, err := e.Get(m.ID, alice.addr, drop.Key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("dropped change %q is a row: %v", drop.Key, err)
			}
			ev, err := e.Equivocations(m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(ev) != 1 || len(ev[0].Changes) != 2 || ev[0].Changes[0].Digest() != keep.Digest() || ev[0].Writer != bob.addr {
				t.Fatalf("evidence %+v", ev)
			}
			for _, c := range ev[0].Changes {
				if err := c.Verify(); err != nil {
					t.Fatalf("evidence does not verify: %v", err)
				}
			}
			c, err := e.Missing(m.ID, nil, 0)
			if err != nil || len(c) != 1 || c[0].Digest() != keep.Digest() {
				t.Fatalf("the change served for seq 1 is not the kept one: %v", err)
			}
		}
	}
	// Behind a gap: the pair is held, and the kept one applies.
	x2 := change(t, bob, m, dbapi.OpInsert, "x2", `1`, 2, 100)
	y2 := change(t, bob, m, dbapi.OpInsert, "y2", `1`, 2, 100)
	for _, order := range [][]*dbapi.Change{{x2, y2}, {y2, x2}} {
		e := newEngine(t)
		if err := e.PutMeta(m); err != nil {
			t.Fatal(err)
		}
		if rs := mustApply(t, e, order[0]); rs[0] != Held {
			t.Fatalf("first of the held pair: %v", rs[0])
		}
		if rs := mustApply(t, e, order[1]); rs[0] != Equivocation {
			t.Fatalf("held pair: %v", rs[0])
		}
		mustApply(t, e, change(t, bob, m, dbapi.OpInsert, "z", `1`, 1, 100))
		k2 := x2
		if dx, dy := x2.Digest(), y2.Digest(); bytes.Compare(dy[:], dx[:]) < 0 {
			k2 = y2
		}
		if _, err := e.Get(m.ID, alice.addr, k2.Key); err != nil {
			t.Fatalf("kept held change: %v", err)
		}
	}
}

func TestLastWriterWins(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	m := notes(t, alice, bob)
	m2, _ := m.Grant(dbapi.Update, bob.addr)
	if err := m2.Sign(alice.key()); err != nil {
		t.Fatal(err)
	}
	a := change(t, alice, m2, dbapi.OpPut, "k", `"alice"`, 1, 500)
	b := change(t, bob, m2, dbapi.OpPut, "k", `"bob"`, 1, 500) // same time: the higher address wins
	winner := "alice"
	if bytes.Compare(bob.addr[:], alice.addr[:]) > 0 {
		winner = "bob"
	}
	for _, order := range [][]*dbapi.Change{{a, b}, {b, a}} {
		e := newEngine(t)
		if err := e.PutMeta(m2); err != nil {
			t.Fatal(err)
		}
		mustApply(t, e, order...)
		got, err := e.Get(m2.ID, alice.addr, "k")
		if err != nil || string(got.Value) != `"`+winner+`"` {
			t.Fatalf("row = %s, want %s", got.Value, winner)
		}
	}
	// The engine's own write is stamped after the row it replaces, even
	// when its clock is behind.
	ck := &clock{ms: 10}
	e := newEngine(t, WithClock(ck.now))
	if err := e.PutMeta(m2); err != nil {
		t.Fatal(err)
	}
	mustApply(t, e, a)
	c, err := e.Write(alice.key(), Write{Dataset: m2.ID, Key: "k", Op: dbapi.OpUpdate, Value: []byte(`"later"`)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Time != 501 || c.Seq != 2 {
		t.Fatalf("time %d seq %d", c.Time, c.Seq)
	}
	if got, _ := e.Get(m2.ID, alice.addr, "k"); string(got.Value) != `"later"` {
		t.Fatalf("row = %s", got.Value)
	}
}

func TestQuery(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	e := newEngine(t)
	m := notes(t, alice, bob)
	if err := e.PutMeta(m); err != nil {
		t.Fatal(err)
	}
	var ws []Write
	for i, v := range []string{
		`{"name":"ann","age":30}`, `{"name":"bob","age":4}`, `{"name":"cy","age":-2.5}`,
		`{"name":"dee","age":"old"}`, `{"name":"ed"}`, `[1,2]`, `{"name":"b\u0000x","age":100}`,
	} {
		ws = append(ws, Write{Dataset: m.ID, Key: fmt.Sprintf("p/%d", i), Op: dbapi.OpPut, Value: []byte(v)})
	}
	ws = append(ws, Write{Dataset: m.ID, Key: "q/raw", Op: dbapi.OpPut, Raw: true, Value: []byte{0, 1}})
	if _, err := e.WriteBatch(alice.key(), ws); err != nil {
		t.Fatal(err)
	}
	keys := func(q dbapi.Query) string {
		t.Helper()
		cs, err := e.Query(m.ID, bob.addr, q)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, c := range cs {
			s = append(s, c.Key)
		}
		return strings.Join(s, " ")
	}
	where := func(ss ...string) []dbapi.Cond {
		var out []dbapi.Cond
		for _, s := range ss {
			c, err := dbapi.ParseWhere(s)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
		return out
	}
	tests := []struct {
		q    dbapi.Query
		want string
	}{
		{dbapi.Query{}, "p/0 p/1 p/2 p/3 p/4 p/5 p/6 q/raw"},
		{dbapi.Query{Prefix: "q/"}, "q/raw"},
		{dbapi.Query{Limit: 2}, "p/0 p/1"},
		{dbapi.Query{Where: where("age>4")}, "p/0 p/6"},
		{dbapi.Query{Where: where("age>=4")}, "p/1 p/0 p/6"},
		{dbapi.Query{Where: where("age<4")}, "p/2"},
		{dbapi.Query{Where: where("age<=30")}, "p/2 p/1 p/0"},
		{dbapi.Query{Where: where("age=30")}, "p/0"},
		{dbapi.Query{Where: where("age=old")}, "p/3"},
		{dbapi.Query{Where: where("name>b")}, "p/6 p/1 p/2 p/3 p/4"},
		{dbapi.Query{Where: where("name=b")}, ""},
		{dbapi.Query{Where: where("name<bob")}, "p/0 p/6"},
		{dbapi.Query{Where: where("name>a", "age<31")}, "p/0 p/1 p/2"},
		{dbapi.Query{Where: where("age>0"), Limit: 1}, "p/1"},
		{dbapi.Query{Where: where(`name="30"`)}, ""},
	}
	for _, tt := range tests {
		if got := keys(tt.q); got != tt.want {
			t.Errorf("query %+v = %q, want %q", tt.q, got, tt.want)
		}
	}
	_, err := e.Query(m.ID, bob.addr, dbapi.Query{Where: where("colour=red")})
	if !errors.Is(err, ErrNotIndexed) || !strings.Contains(err.Error(), `field "colour" is not indexed`) || !strings.Contains(err.Error(), "age, name") {
		t.Fatalf("unindexed field: %v", err)
	}
	// The index follows updates and deletes.
	if _, err := e.WriteBatch(alice.key(), []Write{
		{Dataset: m.ID, Key: "p/0", Op: dbapi.OpUpdate, Value: []byte(`{"name":"ann","age":3}`)},
		{Dataset: m.ID, Key: "p/6", Op: dbapi.OpDelete},
	}); err != nil {
		t.Fatal(err)
	}
	if got := keys(dbapi.Query{Where: where("age>=0")}); got != "p/0 p/1" {
		t.Fatalf("after update and delete: %q", got)
	}
	// New metadata indexing another field rebuilds the index.
	m2 := *m
	m2.Indexes = []string{"name"}
	m2.Version = 2
	if err := m2.Sign(alice.key()); err != nil {
		t.Fatal(err)
	}
	if err := e.PutMeta(&m2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Query(m.ID, bob.addr, dbapi.Query{Where: where("age>0")}); !errors.Is(err, ErrNotIndexed) {
		t.Fatalf("dropped index: %v", err)
	}
	if got := keys(dbapi.Query{Where: where("name=ed")}); got != "p/4" {
		t.Fatalf("rebuilt index: %q", got)
	}
	n := 0
	_ = e.db.Scan(dkey(pIndex, m.ID), func(k, _ []byte) error { n++; return nil })
	if n != 5 {
		t.Fatalf("%d index entries after the rebuild, want 5 (names)", n)
	}
}

func TestWatch(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	e := newEngine(t)
	m := notes(t, alice, bob)
	if err := e.PutMeta(m); err != nil {
		t.Fatal(err)
	}
	put := func(p person, key string) {
		t.Helper()
		op := dbapi.OpInsert
		if p.addr == alice.addr {
			op = dbapi.OpPut
		}
		if _, err := e.Write(p.key(), Write{Dataset: m.ID, Key: key, Op: op, Value: []byte(`1`)}); err != nil {
			t.Fatal(err)
		}
	}
	put(alice, "a1")
	put(bob, "b1")

	// watch collects changes into a channel until cancelled.
	watch := func(from dbapi.Version) (<-chan *dbapi.Change, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		ch := make(chan *dbapi.Change, 100)
		go func() {
			_ = e.Watch(ctx, m.ID, bob.addr, from, func(c *dbapi.Change) error { ch <- c; return nil })
		}()
		return ch, cancel
	}
	next := func(ch <-chan *dbapi.Change) *dbapi.Change {
		t.Helper()
		select {
		case c := <-ch:
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("no change within 10 s")
		}
		return nil
	}
	ch, cancel := watch(nil)
	seen := dbapi.Version{}
	for _, want := range []string{"a1", "b1"} {
		c := next(ch)
		if c.Key != want {
			t.Fatalf("got %s, want %s", c.Key, want)
		}
		seen[c.Writer] = c.Seq
	}
	put(alice, "a2") // followed live
	if c := next(ch); c.Key != "a2" {
		t.Fatalf("live: %s", c.Key)
	} else {
		seen[c.Writer] = c.Seq
	}
	cancel()
	// While nobody watches, three more; a watcher resuming from its
	// version gets exactly those, in each writer's order.
	put(bob, "b2")
	put(alice, "a3")
	put(bob, "b3")
	resume, err := dbapi.ParseVersion(seen.String())
	if err != nil {
		t.Fatal(err)
	}
	ch, cancel = watch(resume)
	defer cancel()
	got := map[string]bool{}
	var bobs []string
	for range 3 {
		c := next(ch)
		got[c.Key] = true
		if c.Writer == bob.addr {
			bobs = append(bobs, c.Key)
		}
	}
	if !got["b2"] || !got["a3"] || !got["b3"] || strings.Join(bobs, ",") != "b2,b3" {
		t.Fatalf("resumed with %v", got)
	}
	select {
	case c := <-ch:
		t.Fatalf("a change twice or extra: %s", c.Key)
	case <-time.After(50 * time.Millisecond):
	}
}

// TestAntiEntropy: a provider that missed changes gets exactly them from
// another's Missing, and then has the same digest.
func TestAntiEntropy(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	m := notes(t, alice, bob)
	a, b := newEngine(t), newEngine(t)
	for _, e := range []*Engine{a, b} {
		if err := e.PutMeta(m); err != nil {
			t.Fatal(err)
		}
	}
	var all []*dbapi.Change
	for i := range 6 {
		p := alice
		op := dbapi.OpPut
		if i%2 == 1 {
			p, op = bob, dbapi.OpInsert
		}
		c, err := a.Write(p.key(), Write{Dataset: m.ID, Key: fmt.Sprint("k", i), Op: op, Value: []byte(`1`)})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, c)
	}
	mustApply(t, b, all[0], all[1]) // b saw the first two only
	da, _ := a.Digest(m.ID)
	db0, _ := b.Digest(m.ID)
	if da.Hash == db0.Hash {
		t.Fatal("digests of different sets are equal")
	}
	missing, err := a.Missing(m.ID, db0.Version, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) != 4 {
		t.Fatalf("%d missing, want 4", len(missing))
	}
	mustApply(t, b, missing...)
	db1, _ := b.Digest(m.ID)
	if db1.Hash != da.Hash || db1.Version.String() != da.Version.String() {
		t.Fatal("digests differ after repair")
	}
	if rows(t, a, m) != rows(t, b, m) {
		t.Fatal("rows differ after repair")
	}
	if l, _ := a.Missing(m.ID, da.Version, 0); len(l) != 0 {
		t.Fatalf("%d missing from an equal version", len(l))
	}
	if l, _ := a.Missing(m.ID, nil, 2); len(l) != 2 {
		t.Fatalf("limit: %d", len(l))
	}
}

// TestConcurrentWritersAndWatchers: writers and watchers at once; every
// watcher sees every change exactly once, each writer's in order.
func TestConcurrentWritersAndWatchers(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	e := newEngine(t)
	m := notes(t, alice, bob)
	if err := e.PutMeta(m); err != nil {
		t.Fatal(err)
	}
	const perWriter = 50
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		n   int
		err error
	}
	results := make(chan result, 3)
	for range 3 {
		go func() {
			last := dbapi.Version{}
			n := 0
			err := e.Watch(ctx, m.ID, alice.addr, nil, func(c *dbapi.Change) error {
				if c.Seq != last[c.Writer]+1 {
					return fmt.Errorf("writer %s: seq %d after %d", c.Writer.Hex()[:8], c.Seq, last[c.Writer])
				}
				last[c.Writer] = c.Seq
				if n++; n == 2*perWriter {
					return errDone
				}
				return nil
			})
			results <- result{n, err}
		}()
	}
	errs := make(chan error, 2)
	for _, p := range []person{alice, bob} {
		go func() {
			for i := range perWriter {
				op := dbapi.OpInsert
				if _, err := e.Write(p.key(), Write{Dataset: m.ID, Key: fmt.Sprintf("%s/%d", p.addr.Hex()[:6], i), Op: op, Value: []byte(`1`)}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		select {
		case r := <-results:
			if !errors.Is(r.err, errDone) {
				t.Fatalf("watcher after %d changes: %v", r.n, r.err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("a watcher did not see every change")
		}
	}
}

var errDone = errors.New("done")

// TestCorruptStore: damaged entries on disk give errors, never a panic.
func TestCorruptStore(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	m := notes(t, alice, bob)
	for _, p := range []byte{pVector, pLog, pRow, pChange, pState, pMeta} {
		t.Run(string(p), func(t *testing.T) {
			e := newEngine(t)
			if err := e.PutMeta(m); err != nil {
				t.Fatal(err)
			}
			c, err := e.Write(alice.key(), Write{Dataset: m.ID, Key: "k", Op: dbapi.OpPut, Value: []byte(`{"age":1}`)})
			if err != nil {
				t.Fatal(err)
			}
			var keys [][]byte
			_ = e.db.Scan([]byte{p}, func(k, _ []byte) error { keys = append(keys, bytes.Clone(k)); return nil })
			if len(keys) == 0 {
				t.Fatalf("no %c entries", p)
			}
			for _, k := range keys {
				if err := e.db.Set(k, []byte{1, 2, 3}); err != nil {
					t.Fatal(err)
				}
			}
			e.metas = map[dbapi.ID]*dbapi.Meta{} // read the damaged metadata too
			_, err1 := e.Get(m.ID, alice.addr, "k")
			_, err2 := e.Query(m.ID, alice.addr, dbapi.Query{})
			_, err3 := e.Version(m.ID)
			_, err4 := e.Digest(m.ID)
			_, err5 := e.Apply(change(t, alice, m, dbapi.OpPut, "k", `2`, c.Seq+1, c.Time+1))
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			err6 := e.Watch(ctx, m.ID, alice.addr, nil, func(*dbapi.Change) error { return nil })
			if err1 == nil && err2 == nil && err3 == nil && err4 == nil && err5 == nil && errors.Is(err6, context.DeadlineExceeded) {
				t.Fatalf("no operation noticed the damaged %c entries", p)
			}
		})
	}
}

// TestRandomOrders: three writers make random changes (every operation,
// colliding keys and times, a few equivocations) under every kind of
// rule; engines that receive them in random orders, with replays, end
// with the same rows, version and digest.
func TestRandomOrders(t *testing.T) {
	alice, bob, carol := newPerson(t, 1), newPerson(t, 2), newPerson(t, 4)
	writers := []person{alice, bob, carol}
	metas := map[string]*dbapi.Meta{}
	for name, acl := range map[string]dbapi.ACL{
		"open":  {Read: dbapi.Anyone, Insert: dbapi.Anyone, Update: dbapi.Anyone, Delete: dbapi.Anyone},
		"claim": {Read: dbapi.Anyone, Insert: dbapi.Claim, Update: dbapi.Claim, Delete: dbapi.Claim},
	} {
		m := &dbapi.Meta{Name: name, Card: alice.card, ACL: acl, Indexes: []string{"v"}, Version: 1}
		if err := m.Sign(alice.key()); err != nil {
			t.Fatal(err)
		}
		metas[name] = m
	}
	for _, seed := range []uint64{42, 7, 1234, 99} {
		rng := newRand(seed)
		for _, name := range []string{"open", "claim"} {
			m := metas[name]
			t.Run(fmt.Sprint(name, seed), func(t *testing.T) {
				var cs []*dbapi.Change
				for _, w := range writers {
					for seq := uint64(1); seq <= 30; seq++ {
						op := []dbapi.Op{dbapi.OpInsert, dbapi.OpPut, dbapi.OpUpdate, dbapi.OpDelete}[rng.intn(4)]
						val := fmt.Sprintf(`{"v":%d}`, rng.intn(100))
						if op == dbapi.OpDelete {
							val = ""
						}
						key := fmt.Sprintf("k%d", rng.intn(5))
						ms := uint64(1000 + rng.intn(60)) // colliding times
						cs = append(cs, change(t, w, m, op, key, val, seq, ms))
						if rng.intn(15) == 0 { // an equivocation
							cs = append(cs, change(t, w, m, dbapi.OpPut, key, `{"v":-1}`, seq, ms+1))
						}
					}
				}
				var want, wantDigest string
				for round := range 4 {
					order := append([]*dbapi.Change(nil), cs...)
					rng.shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
					order = append(order, order[:len(order)/3]...) // replays
					e := newEngine(t)
					if err := e.PutMeta(m); err != nil {
						t.Fatal(err)
					}
					for i := 0; i < len(order); {
						n := min(1+rng.intn(7), len(order)-i) // batches of several sizes
						mustApply(t, e, order[i:i+n]...)
						i += n
					}
					got := rows(t, e, m)
					idx, err := e.Query(m.ID, alice.addr, dbapi.Query{Where: []dbapi.Cond{{Field: "v", Op: dbapi.Ge, Value: -10.0}}})
					if err != nil {
						t.Fatal(err)
					}
					live, err := e.Query(m.ID, alice.addr, dbapi.Query{})
					if err != nil {
						t.Fatal(err)
					}
					seen := map[string]bool{}
					for _, c := range idx {
						if seen[c.Key] {
							t.Fatalf("round %d: row %s twice in the index", round, c.Key)
						}
						seen[c.Key] = true
						got += "idx " + c.Key + "\n"
					}
					if len(idx) != len(live) {
						t.Fatalf("round %d: %d rows in the index, %d live", round, len(idx), len(live))
					}
					d, err := e.Digest(m.ID)
					if err != nil {
						t.Fatal(err)
					}
					dg := d.Version.String() + " " + d.Hash.Hex()
					if round == 0 {
						want, wantDigest = got, dg
						if !strings.Contains(got, "k") {
							t.Fatalf("no rows at all:\n%s", got)
						}
						continue
					}
					if got != want {
						t.Fatalf("round %d: rows\n%s\nwant\n%s", round, got, want)
					}
					if dg != wantDigest {
						t.Fatalf("round %d: digest %s, want %s", round, dg, wantDigest)
					}
				}
			})
		}
	}
}

// xorshift is a small deterministic generator, so a failure repeats.
type xorshift struct{ s uint64 }

func newRand(seed uint64) *xorshift { return &xorshift{s: seed} }

func (r *xorshift) next() uint64 {
	r.s ^= r.s << 13
	r.s ^= r.s >> 7
	r.s ^= r.s << 17
	return r.s
}

func (r *xorshift) intn(n int) int { return int(r.next() % uint64(n)) }

func (r *xorshift) shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, r.intn(i+1))
	}
}

// TestHeldBound: changes held back behind gaps are bounded per dataset,
// whoever sends them.
func TestHeldBound(t *testing.T) {
	alice, bob := newPerson(t, 1), newPerson(t, 2)
	e := newEngine(t)
	e.maxHeld = 3
	m := notes(t, alice, bob)
	if err := e.PutMeta(m); err != nil {
		t.Fatal(err)
	}
	mustApply(t, e, change(t, bob, m, dbapi.OpInsert, "a", `1`, 3, 1), change(t, bob, m, dbapi.OpInsert, "b", `1`, 4, 1))
	mustApply(t, e, change(t, alice, m, dbapi.OpPut, "c", `1`, 2, 1))
	before := snapshot(t, e)
	_, err := e.Apply(change(t, alice, m, dbapi.OpPut, "d", `1`, 3, 1))
	if !errors.Is(err, ErrGap) || !strings.Contains(err.Error(), "holds 3 changes back") {
		t.Fatalf("a fourth held change: %v", err)
	}
	if snapshot(t, e) != before {
		t.Fatal("the refused change changed the store")
	}
	// Filling bob's gap frees room.
	mustApply(t, e, change(t, bob, m, dbapi.OpInsert, "z", `1`, 1, 1), change(t, bob, m, dbapi.OpInsert, "y", `1`, 2, 1))
	mustApply(t, e, change(t, alice, m, dbapi.OpPut, "d", `1`, 3, 1))
	if v, _ := e.Version(m.ID); v[bob.addr] != 4 || v[alice.addr] != 0 {
		t.Fatalf("version %v", v)
	}
}
