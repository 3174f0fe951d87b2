package dbapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

var testTime = time.Unix(1700000000, 0)

// Each fuzz target feeds arbitrary bytes to a decoder: it never panics,
// fails only with the package's errors, and whatever it accepts verifies
// and encodes back to exactly the input (one encoding per value).

func FuzzDecodeMeta(f *testing.F) {
	alice, bob := fixedKey(f, 1), fixedKey(f, 2)
	f.Add(testMeta(f, alice, bob).Encode())
	n := &Meta{Name: "holders", ACL: ACL{Read: Anyone, Insert: Self, Update: Claim, Delete: Self}, Version: 1}
	if err := n.SetNetworkID(); err != nil {
		f.Fatal(err)
	}
	f.Add(n.Encode())
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMeta(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrSignature) {
				t.Fatalf("error %v is not ErrInvalid or ErrSignature", err)
			}
			return
		}
		if !bytes.Equal(m.Encode(), b) {
			t.Fatal("accepted a non-canonical encoding")
		}
		if err := m.Verify(); err != nil {
			t.Fatalf("accepted metadata that does not verify: %v", err)
		}
	})
}

func changeSeeds(f *testing.F) [][]byte {
	alice, bob := fixedKey(f, 1), fixedKey(f, 2)
	m := testMeta(f, alice, bob)
	out := [][]byte{testChange(f, m, bob, "k", `{"a":1}`, 1).Encode()}
	del := &Change{Dataset: m.ID, Key: "k", Op: OpDelete, Seq: 2, Time: 5}
	if err := del.Sign(alice.Key); err != nil {
		f.Fatal(err)
	}
	out = append(out, del.Encode())
	var cs []*Change
	for i := range 3 {
		cs = append(cs, &Change{Dataset: m.ID, Key: "b", Op: OpPut, Raw: true, Value: []byte{byte(i)}, Seq: uint64(i + 1)})
	}
	if _, err := SignBatch(bob.Key, cs); err != nil {
		f.Fatal(err)
	}
	for _, c := range cs {
		out = append(out, c.Encode())
	}
	return out
}

func FuzzDecodeChange(f *testing.F) {
	for _, s := range changeSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeChange(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v is not one of the package's", err)
			}
			return
		}
		if !bytes.Equal(c.Encode(), b) {
			t.Fatal("accepted a non-canonical encoding")
		}
		if err := c.Verify(); err != nil {
			t.Fatalf("accepted a change that does not verify: %v", err)
		}
	})
}

// FuzzChangeJSON: the JSON form that arrives over an API decodes only
// through the binary form, so it is as strict.
func FuzzChangeJSON(f *testing.F) {
	for _, s := range changeSeeds(f) {
		c, err := DecodeChange(s)
		if err != nil {
			f.Fatal(err)
		}
		j, _ := json.Marshal(c)
		f.Add(j)
	}
	f.Add([]byte(`{"change":""}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Change
		if err := json.Unmarshal(b, &c); err != nil {
			return
		}
		if err := c.Verify(); err != nil {
			t.Fatalf("accepted a change that does not verify: %v", err)
		}
	})
}

func FuzzDecodeAck(f *testing.F) {
	prov := fixedKey(f, 9)
	a := &Ack{Dataset: ID{1}, Writer: common.Address{2}, FromSeq: 1, ToSeq: 4, Time: 9}
	if err := a.Sign(prov.Key); err != nil {
		f.Fatal(err)
	}
	f.Add(a.Encode())
	a.Root = common.Hash{7}
	if err := a.Sign(prov.Key); err != nil {
		f.Fatal(err)
	}
	f.Add(a.Encode())
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeAck(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrSignature) {
				t.Fatalf("error %v is not one of the package's", err)
			}
			return
		}
		if !bytes.Equal(a.Encode(), b) {
			t.Fatal("accepted a non-canonical encoding")
		}
	})
}

func FuzzParseVersion(f *testing.F) {
	f.Add("AQA")
	f.Add(Version{common.Address{1}: 3, common.Address{2}: 1 << 40}.String())
	f.Add("")
	f.Add("AQ==")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if v.String() != s {
			t.Fatalf("accepted %q, which is spelled %q", s, v.String())
		}
	})
}

// FuzzDecodeStoredChange: the decoder a store reads its own disk with
// checks no signature, but must still never panic and accept only the
// canonical form.
func FuzzDecodeStoredChange(f *testing.F) {
	for _, s := range changeSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeStoredChange(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v is not one of the package's", err)
			}
			return
		}
		if !bytes.Equal(c.Encode(), b) {
			t.Fatal("accepted a non-canonical encoding")
		}
	})
}

// FuzzParseWhere: a where clause from a query string parses into a clause
// that passes Check, or fails with ErrInvalid.
func FuzzParseWhere(f *testing.F) {
	for _, s := range []string{"age>30", "age>=1.5e3", "name=bob", `name="42"`, "a<=-0", "x<", "=1", "a=>b", `n="\u00e9"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseWhere(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if err := c.Check(); err != nil {
			t.Fatalf("ParseWhere(%q) gave a clause that fails Check: %v", s, err)
		}
		c.Match(1.0)
		c.Match("x")
	})
}

// FuzzDecodeBatch feeds arbitrary bytes to the decoder of a batch request
// (what mf-db's socket takes from its clients): it never panics, and a
// request it accepts encodes back to the same bytes.
func FuzzDecodeBatch(f *testing.F) {
	for _, req := range []BatchRequest{
		{Writes: []WriteRequest{{Op: OpPut, Key: "k", Value: []byte(`{"a":1}`)}}},
		{Writes: []WriteRequest{{Op: OpInsert, Key: "r", IsRaw: true, Raw: []byte{0, 1, 2}}, {Op: OpDelete, Key: "d"}}},
	} {
		b, _ := EncodeBatch(req)
		f.Add(b)
	}
	f.Add([]byte{1, 0})
	f.Add([]byte{2, 1, 1, 0, 1, 'k', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := DecodeBatch(b)
		if err != nil {
			return
		}
		out, ok := EncodeBatch(*req)
		if !ok || !bytes.Equal(out, b) {
			t.Fatalf("decoded batch encodes to % x, not % x", out, b)
		}
	})
}
