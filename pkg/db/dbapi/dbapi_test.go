package dbapi

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/proof"
	"github.com/mainframe/mf/pkg/seal"
)

func TestMetaSignVerifyRoundTrip(t *testing.T) {
	alice, bob := fixedKey(t, 1), fixedKey(t, 2)
	m := testMeta(t, alice, bob)
	if m.ID != DatasetID(addr(alice.Key), "notes") {
		t.Fatal("id is not keccak(domain, owner, name)")
	}
	if strings.Join(m.Indexes, ",") != "age,name" {
		t.Fatalf("indexes not sorted: %v", m.Indexes)
	}
	got, err := DecodeMeta(m.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Encode(), m.Encode()) || got.ID != m.ID {
		t.Fatal("round trip changed the metadata")
	}
	j, _ := json.Marshal(m)
	var back Meta
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(); err != nil {
		t.Fatalf("metadata through JSON: %v", err)
	}
}

// TestMetaNotOwner: metadata signed by anyone but its owner, or altered
// after signing, does not verify.
func TestMetaNotOwner(t *testing.T) {
	alice, bob, mallory := fixedKey(t, 1), fixedKey(t, 2), fixedKey(t, 3)
	m := testMeta(t, alice, bob)

	// Mallory re-signs alice's dataset with himself on the read list.
	forged := *m
	forged.ACL.Read = List(addr(mallory.Key))
	forged.Version = 2
	forged.Card = cardOf(t, mallory)
	if err := forged.Sign(mallory.Key); err != nil {
		t.Fatal(err)
	}
	// Sign made mallory the owner; claim alice's identity instead.
	forged.Owner, forged.ID, forged.Card = m.Owner, m.ID, m.Card
	if err := forged.Verify(); !errors.Is(err, ErrSignature) {
		t.Fatalf("metadata signed by mallory for alice: %v, want ErrSignature", err)
	}
	// An altered ACL under alice's signature.
	altered := *m
	altered.ACL.Insert = Anyone
	if err := altered.Verify(); !errors.Is(err, ErrSignature) {
		t.Fatalf("altered ACL: %v, want ErrSignature", err)
	}
	// Another owner's card.
	wrongCard := *m
	wrongCard.Card = cardOf(t, bob)
	if err := wrongCard.Verify(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bob's card on alice's dataset: %v", err)
	}
	// A wrong id.
	wrongID := *m
	wrongID.ID[0] ^= 1
	if err := wrongID.Verify(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("wrong id: %v", err)
	}
}

func TestMetaCheck(t *testing.T) {
	alice, bob := fixedKey(t, 1), fixedKey(t, 2)
	tests := []struct {
		name string
		edit func(m *Meta)
		want string
	}{
		{"empty name", func(m *Meta) { m.Name = "" }, "empty dataset name"},
		{"bad name", func(m *Meta) { m.Name = "a b" }, "only letters"},
		{"read self", func(m *Meta) { m.ACL.Read = Self }, "govern writes only"},
		{"quorum over R", func(m *Meta) { m.Quorum = 4 }, "write quorum"},
		{"quorum 0", func(m *Meta) { m.Quorum = 0 }, "write quorum"},
		{"version 0", func(m *Meta) { m.Version = 0 }, "version 0"},
		{"too many indexes", func(m *Meta) {
			m.Indexes = nil
			for i := range MaxIndexes + 1 {
				m.Indexes = append(m.Indexes, "f"+string(rune('a'+i)))
			}
		}, "indexed fields"},
		{"bad field", func(m *Meta) { m.Indexes = []string{"a/b"} }, "indexed field"},
		{"no card", func(m *Meta) { m.Card = "" }, "owner card"},
		{"empty list", func(m *Meta) { m.ACL.Insert = Rule{Kind: RuleList} }, "lists no address"},
		{"mailbox index", func(m *Meta) { m.Kind = KindMailbox }, "cannot be indexed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMeta(t, alice, bob)
			tt.edit(m)
			err := m.Sign(alice.Key)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Sign = %v, want ErrInvalid with %q", err, tt.want)
			}
		})
	}
}

func TestNetworkTable(t *testing.T) {
	m := &Meta{Name: "holders", ACL: ACL{Read: Anyone, Insert: Self, Update: Self, Delete: Self}, Version: 1}
	if err := m.SetNetworkID(); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeMeta(m.Encode())
	if err != nil || got.ID != m.ID {
		t.Fatalf("decode: %v", err)
	}
	// Another ACL under the same name is another table.
	m2 := &Meta{Name: "holders", ACL: ACL{Read: Anyone, Insert: Anyone, Update: Self, Delete: Self}, Version: 1}
	if err := m2.SetNetworkID(); err != nil {
		t.Fatal(err)
	}
	if m2.ID == m.ID {
		t.Fatal("two definitions share an id")
	}
	// An altered table no longer matches its id.
	m2.ID = m.ID
	if err := m2.Verify(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("altered network table: %v", err)
	}
	alice := fixedKey(t, 1)
	if err := m.Allowed(Insert, addr(alice.Key), strings.ToLower(addr(alice.Key).Hex())); err != nil {
		t.Fatalf("self row: %v", err)
	}
	if err := m.Allowed(Insert, addr(alice.Key), strings.ToLower(addr(alice.Key).Hex())+"/x"); err != nil {
		t.Fatalf("self sub-row: %v", err)
	}
	bob := fixedKey(t, 2)
	if err := m.Allowed(Insert, addr(bob.Key), strings.ToLower(addr(alice.Key).Hex())); !errors.Is(err, ErrDenied) {
		t.Fatalf("bob writing alice's row: %v", err)
	}
	bad := &Meta{Name: "x", ACL: ACL{Read: Owner, Insert: Self, Update: Self, Delete: Self}, Version: 1}
	if err := bad.SetNetworkID(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("owner rule in a network table: %v", err)
	}
}

func TestParseRule(t *testing.T) {
	a := common.HexToAddress("0x00000000000000000000000000000000000000b2")
	b := common.HexToAddress("0x00000000000000000000000000000000000000a1")
	r, err := ParseRule(a.Hex() + ", " + b.Hex() + "," + a.Hex())
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != RuleList || len(r.Addrs) != 2 || r.Addrs[0] != b {
		t.Fatalf("list = %+v", r)
	}
	back, err := ParseRule(r.String())
	if err != nil || back.String() != r.String() {
		t.Fatalf("round trip: %v", err)
	}
	for _, bad := range []string{"", "contacts", "bob", "0x12", "owner,anyone", a.Hex()[2:]} {
		if _, err := ParseRule(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRule(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestChangeSignVerify(t *testing.T) {
	alice, bob, mallory := fixedKey(t, 1), fixedKey(t, 2), fixedKey(t, 3)
	m := testMeta(t, alice, bob)
	c := testChange(t, m, bob, "k1", `{"name":"x","age":3}`, 1)
	if err := VerifyRow(m, "k1", c); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeChange(c.Encode())
	if err != nil || !bytes.Equal(got.Encode(), c.Encode()) {
		t.Fatalf("round trip: %v", err)
	}
	j, _ := json.Marshal(c)
	var back Change
	if err := json.Unmarshal(j, &back); err != nil || back.Digest() != c.Digest() {
		t.Fatalf("through JSON: %v", err)
	}

	t.Run("forged signature", func(t *testing.T) {
		f := *c
		f.Value = []byte(`{"name":"evil"}`) // altered by a provider
		if err := f.Verify(); !errors.Is(err, ErrSignature) {
			t.Fatalf("altered value: %v", err)
		}
		f = *c
		f.Sig = append([]byte(nil), c.Sig...)
		f.Sig[10] ^= 1
		if err := f.Verify(); !errors.Is(err, ErrSignature) {
			t.Fatalf("flipped signature bit: %v", err)
		}
		// Mallory signs and claims bob wrote it.
		g := testChange(t, m, mallory, "k1", `{}`, 1)
		g.Writer = addr(bob.Key)
		if err := g.Verify(); !errors.Is(err, ErrSignature) {
			t.Fatalf("claimed writer: %v", err)
		}
	})
	t.Run("ACL", func(t *testing.T) {
		g := testChange(t, m, mallory, "k2", `{}`, 1)
		if err := VerifyRow(m, "k2", g); !errors.Is(err, ErrDenied) {
			t.Fatalf("insert by mallory: %v, want ErrDenied", err)
		}
		u := &Change{Dataset: m.ID, Key: "k1", Op: OpUpdate, Value: []byte(`1`), Seq: 2}
		if err := u.Sign(bob.Key); err != nil {
			t.Fatal(err)
		}
		if err := VerifyRow(m, "k1", u); !errors.Is(err, ErrDenied) {
			t.Fatalf("update by bob (insert only): %v", err)
		}
		p := &Change{Dataset: m.ID, Key: "k1", Op: OpPut, Value: []byte(`1`), Seq: 2}
		if err := p.Sign(bob.Key); err != nil {
			t.Fatal(err)
		}
		if err := VerifyRow(m, "k1", p); !errors.Is(err, ErrDenied) {
			t.Fatalf("put by bob (insert only): %v", err)
		}
		if err := VerifyRow(m, "other", c); !errors.Is(err, ErrInvalid) {
			t.Fatalf("row under another key: %v", err)
		}
	})
	t.Run("limits", func(t *testing.T) {
		big := &Change{Dataset: m.ID, Key: "k", Op: OpPut, Raw: true, Value: make([]byte, MaxValue+1), Seq: 1}
		if err := big.Sign(bob.Key); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("oversize value: %v", err)
		}
		big = &Change{Dataset: m.ID, Key: strings.Repeat("k", MaxKey+1), Op: OpPut, Value: []byte(`1`), Seq: 1}
		if err := big.Sign(bob.Key); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("oversize key: %v", err)
		}
		bad := &Change{Dataset: m.ID, Key: "k", Op: OpPut, Value: []byte(`{"a":`), Seq: 1}
		if err := bad.Sign(bob.Key); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "not valid JSON") {
			t.Fatalf("invalid JSON: %v", err)
		}
		del := &Change{Dataset: m.ID, Key: "k", Op: OpDelete, Value: []byte(`1`), Seq: 1}
		if err := del.Sign(bob.Key); !errors.Is(err, ErrInvalid) {
			t.Fatalf("delete with a value: %v", err)
		}
		ok := &Change{Dataset: m.ID, Key: "k", Op: OpPut, Raw: true, Value: make([]byte, MaxValue), Seq: 1}
		if err := ok.Sign(bob.Key); err != nil {
			t.Fatalf("value at the limit: %v", err)
		}
		if _, err := DecodeChange(ok.Encode()); err != nil {
			t.Fatalf("decode at the limit: %v", err)
		}
	})
}

func TestBatch(t *testing.T) {
	alice, bob := fixedKey(t, 1), fixedKey(t, 2)
	m := testMeta(t, alice, bob)
	var cs []*Change
	for i := range 5 {
		cs = append(cs, &Change{Dataset: m.ID, Key: "k" + string(rune('a'+i)), Op: OpInsert, Value: []byte(`{}`), Seq: uint64(i + 1)})
	}
	root, err := SignBatch(bob.Key, cs)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		// Each change is checked alone, from its own bytes.
		d, err := DecodeChange(c.Encode())
		if err != nil {
			t.Fatalf("change %d: %v", i, err)
		}
		if r, ok, _ := d.BatchRoot(); !ok || r != root {
			t.Fatalf("change %d: root differs", i)
		}
	}
	// A change moved to another position, or altered, fails.
	moved := *cs[1]
	moved.Proof = &BatchProof{Index: 2, Count: 5, Path: cs[1].Proof.Path}
	if err := moved.Verify(); !errors.Is(err, ErrSignature) {
		t.Fatalf("moved change: %v", err)
	}
	altered := *cs[3]
	altered.Key = "zz"
	if err := altered.Verify(); !errors.Is(err, ErrSignature) {
		t.Fatalf("altered change: %v", err)
	}
	short := *cs[3]
	short.Proof = &BatchProof{Index: 3, Count: 5, Path: cs[3].Proof.Path[:1]}
	if err := short.Verify(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("short path: %v", err)
	}
	// A provider's acknowledgement of the batch covers each change.
	prov := fixedKey(t, 9)
	ack := &Ack{Dataset: m.ID, Writer: addr(bob.Key), FromSeq: 1, ToSeq: 5, Root: common.Hash(root), Time: 7}
	if err := ack.Sign(prov.Key); err != nil {
		t.Fatal(err)
	}
	a2, err := DecodeAck(ack.Encode())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if !a2.Covers(c) {
			t.Fatalf("ack does not cover change %d", c.Seq)
		}
	}
	other := testChange(t, m, bob, "x", `1`, 3)
	if a2.Covers(other) {
		t.Fatal("ack of a batch covers a change outside it")
	}
	a2.ToSeq = 6
	if err := a2.Verify(); !errors.Is(err, ErrSignature) {
		t.Fatalf("altered ack: %v", err)
	}
	if _, err := SignBatch(bob.Key, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty batch: %v", err)
	}
	var _ proof.Hash = root
}

func TestVersion(t *testing.T) {
	a := common.HexToAddress("0x00000000000000000000000000000000000000b2")
	b := common.HexToAddress("0x00000000000000000000000000000000000000a1")
	v := Version{a: 5, b: 300, common.Address{1}: 0}
	s := v.String()
	got, err := ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[a] != 5 || got[b] != 300 || got.String() != s {
		t.Fatalf("round trip = %v", got)
	}
	if Version(nil).String() != "AQA" {
		t.Fatalf("empty version = %q", Version(nil).String())
	}
	if e, err := ParseVersion("AQA"); err != nil || len(e) != 0 {
		t.Fatalf("empty: %v %v", e, err)
	}
	if !got.Covers(a, 5) || got.Covers(a, 6) || got.Covers(common.Address{9}, 1) {
		t.Fatal("Covers")
	}
	// Unsorted writers, a writer at 0, trailing bytes, padding, bad
	// characters: all refused.
	unsorted := []byte{1, 2}
	unsorted = append(append(unsorted, a[:]...), 1)
	unsorted = append(append(unsorted, b[:]...), 1)
	zero := append(append([]byte{1, 1}, a[:]...), 0)
	for _, bad := range [][]byte{unsorted, zero, append(v.Encode(), 0), {2, 0}, {1, 5}} {
		if _, err := DecodeVersion(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("DecodeVersion(% x) = %v", bad, err)
		}
	}
	for _, bad := range []string{"", s + "=", s + "\n", "!!", "AQB"} {
		if _, err := ParseVersion(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseVersion(%q) = %v", bad, err)
		}
	}
}

func TestMail(t *testing.T) {
	alice, bob := fixedKey(t, 1), fixedKey(t, 2)
	card, err := alice.NewCard(nil, testTime)
	if err != nil {
		t.Fatal(err)
	}
	m := MailboxMeta(card, MailboxName, Anyone)
	if err := m.Sign(alice.Key); err != nil {
		t.Fatal(err)
	}
	v, err := SealMail(m, "k", []byte("secret hello"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(v, []byte("secret")) {
		t.Fatal("sealed value holds the plaintext")
	}
	pt, err := OpenMail(seal.NewOpener(alice.Enc), m.ID, "k", v)
	if err != nil || string(pt) != "secret hello" {
		t.Fatalf("open: %q %v", pt, err)
	}
	if _, err := OpenMail(seal.NewOpener(bob.Enc), m.ID, "k", v); err == nil {
		t.Fatal("bob opened alice's mail")
	}
	if _, err := OpenMail(seal.NewOpener(alice.Enc), m.ID, "other", v); err == nil {
		t.Fatal("a row moved to another key opened")
	}
	c := &Change{Dataset: m.ID, Key: "k", Op: OpInsert, Raw: true, Value: v, Seq: 1}
	if err := c.Sign(bob.Key); err != nil {
		t.Fatal(err)
	}
	if err := VerifyRow(m, "k", c); !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), "keyed by its sender") {
		t.Fatalf("bob's mail under a key not his: %v", err)
	}
	bk := MailKey(addr(bob.Key), "1")
	if v, err = SealMail(m, bk, []byte("secret hello")); err != nil {
		t.Fatal(err)
	}
	c = &Change{Dataset: m.ID, Key: bk, Op: OpInsert, Raw: true, Value: v, Seq: 1}
	if err := c.Sign(bob.Key); err != nil {
		t.Fatal(err)
	}
	if err := VerifyRow(m, bk, c); err != nil {
		t.Fatalf("bob's mail: %v", err)
	}
	plain := &Change{Dataset: m.ID, Key: bk, Op: OpInsert, Raw: true, Value: []byte("in clear"), Seq: 2}
	if err := plain.Sign(bob.Key); err != nil {
		t.Fatal(err)
	}
	if err := VerifyRow(m, bk, plain); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unsealed mail: %v", err)
	}
	del := &Change{Dataset: m.ID, Key: bk, Op: OpDelete, Seq: 3}
	if err := del.Sign(bob.Key); err != nil {
		t.Fatal(err)
	}
	if err := VerifyRow(m, bk, del); !errors.Is(err, ErrDenied) {
		t.Fatalf("bob deleting in alice's mailbox: %v", err)
	}
}

func TestAcksFor(t *testing.T) {
	alice, bob, prov := fixedKey(t, 1), fixedKey(t, 2), fixedKey(t, 9)
	m := testMeta(t, alice, bob)
	var batch []*Change
	for i := range 3 {
		batch = append(batch, &Change{Dataset: m.ID, Key: "b", Op: OpInsert, Value: []byte(`1`), Seq: uint64(4 + i)})
	}
	if _, err := SignBatch(bob.Key, batch); err != nil {
		t.Fatal(err)
	}
	singles := []*Change{testChange(t, m, bob, "a", `1`, 1), testChange(t, m, bob, "a", `1`, 2), testChange(t, m, bob, "a", `1`, 3)}
	other := testChange(t, m, alice, "x", `1`, 1)
	all := append(append(append([]*Change{}, singles...), batch...), other)
	acks, err := AcksFor(prov.Key, all, 77)
	if err != nil {
		t.Fatal(err)
	}
	if len(acks) != 3 {
		t.Fatalf("%d acks, want 3 (a run, a batch, another writer)", len(acks))
	}
	for _, c := range all {
		n := 0
		for _, a := range acks {
			if err := a.Verify(); err != nil {
				t.Fatal(err)
			}
			if a.Covers(c) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("change %d of %s covered by %d acks", c.Seq, c.Writer.Hex(), n)
		}
	}
	if acks[0].FromSeq != 1 || acks[0].ToSeq != 3 || acks[1].FromSeq != 4 || acks[1].ToSeq != 6 || acks[1].Root == (common.Hash{}) {
		t.Fatalf("acks %+v %+v", acks[0], acks[1])
	}
}

// A batch request's binary form carries what its JSON does, and the
// decoder refuses what is not one.
func TestBatchBinary(t *testing.T) {
	req := BatchRequest{Writes: []WriteRequest{
		{Op: OpPut, Key: "a", Value: []byte(`{"n": 1}`)},
		{Op: OpInsert, Key: "b", IsRaw: true, Raw: []byte("bytes")},
		{Op: OpInsert, Key: "c", IsRaw: true},
		{Op: OpDelete, Key: "d"},
	}}
	b, ok := EncodeBatch(req)
	if !ok {
		t.Fatal("not encodable")
	}
	got, err := DecodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	j1, _ := json.Marshal(req)
	j2, _ := json.Marshal(got)
	if string(j1) != string(j2) {
		t.Fatalf("round trip:\n%s\n%s", j1, j2)
	}
	if _, ok := EncodeBatch(BatchRequest{Writes: []WriteRequest{{Op: OpPut, Key: "x", Value: []byte(`1`), Raw: []byte("y")}}}); ok {
		t.Fatal("encoded a write with both kinds of value")
	}
	for name, bad := range map[string][]byte{
		"empty":         nil,
		"version":       {2, 1, 1, 0, 1, 'k', 0},
		"no writes":     {1, 0},
		"too many":      append([]byte{1}, binary.AppendUvarint(nil, MaxBatch+1)...),
		"bad flags":     {1, 1, 1, 2, 1, 'k', 0},
		"short":         {1, 2, 1, 0, 1, 'k', 0},
		"trailing":      {1, 1, 1, 0, 1, 'k', 0, 9},
		"key too long":  append([]byte{1, 1, 1, 0}, binary.AppendUvarint(nil, MaxKey+1)...),
		"long varint":   {1, 0x81, 0x00},
		"value too big": append([]byte{1, 1, 1, 0, 1, 'k'}, binary.AppendUvarint(nil, 2*MaxValue+1)...),
	} {
		if _, err := DecodeBatch(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
