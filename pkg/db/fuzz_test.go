package db

import (
	"testing"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/kv"
)

// FuzzDecodeRow feeds arbitrary bytes to the decoder of a stored row (a
// damaged disk): it never panics, and a row it accepts encodes back to the
// same bytes.
func FuzzDecodeRow(f *testing.F) {
	alice, bob := newPerson(f, 1), newPerson(f, 2)
	m := notes(f, alice, bob)
	c := change(f, bob, m, dbapi.OpInsert, "k", `{"a":1}`, 1, 5)
	db, err := kv.Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	if err := db.Set(dkey(pChange, m.ID, c.Writer[:], u64(c.Seq)), c.Encode()); err != nil {
		f.Fatal(err)
	}
	r := &row{live: true, claimed: true, claimant: c.Writer, last: lastOf(c), eff: c}
	f.Add(r.encode())
	f.Add((&row{last: lastOf(c)}).encode())
	f.Add([]byte{7})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRow(db, m.ID, b)
		if err != nil {
			return
		}
		if string(r.encode()) != string(b) {
			t.Fatalf("decoded row encodes to % x, not % x", r.encode(), b)
		}
	})
}
