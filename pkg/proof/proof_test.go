package proof

import (
	"bytes"
	"errors"
	"math/big"
	"reflect"
	"testing"
)

// data is n deterministic bytes, different in every chunk.
func data(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/ChunkSize)
	}
	return b
}

func TestTreeProvesEveryChunk(t *testing.T) {
	for _, size := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 2 * ChunkSize, 3*ChunkSize + 5, 5 * ChunkSize, 8 * ChunkSize, 9*ChunkSize + 1} {
		b := data(size)
		tr := FromBytes(b)
		if tr.Chunks() != ChunksOf(int64(size)) {
			t.Fatalf("size %d: %d chunks, ChunksOf says %d", size, tr.Chunks(), ChunksOf(int64(size)))
		}
		for i := range tr.Chunks() {
			p, err := tr.Prove(bytes.NewReader(b), i)
			if err != nil {
				t.Fatalf("size %d chunk %d: %v", size, i, err)
			}
			if err := Verify(tr.Root(), tr.Chunks(), p); err != nil {
				t.Fatalf("size %d chunk %d: %v", size, i, err)
			}
		}
	}
}

// The tree is the one the rules in the package comment describe, computed
// by hand for three chunks.
func TestTreeShape(t *testing.T) {
	b := data(2*ChunkSize + 10)
	l0, l1, l2 := Leaf(b[:ChunkSize]), Leaf(b[ChunkSize:2*ChunkSize]), Leaf(b[2*ChunkSize:])
	want := Node(Node(l0, l1), Node(l2, Hash{}))
	if got := FromBytes(b).Root(); got != want {
		t.Fatalf("root %x, want %x", got, want)
	}
	if got := FromBytes([]byte("x")).Root(); got != Leaf([]byte("x")) {
		t.Fatal("the root of one chunk is not its leaf")
	}
	if Leaf(nil) == (Hash{}) || Node(Hash{}, Hash{}) == Leaf(make([]byte, 64)) {
		t.Fatal("leaves and nodes are not kept apart")
	}
}

func TestVerifyRefuses(t *testing.T) {
	b := data(5*ChunkSize + 100)
	tr := FromBytes(b)
	p, err := tr.Prove(bytes.NewReader(b), 3)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := tr.Prove(bytes.NewReader(b), 4)
	flip := func(f func(*Proof)) Proof {
		q := Proof{Index: p.Index, Chunk: append([]byte(nil), p.Chunk...), Path: append([]Hash(nil), p.Path...)}
		f(&q)
		return q
	}
	tests := []struct {
		name   string
		p      Proof
		chunks uint64
		want   error
	}{
		{"a flipped chunk byte", flip(func(q *Proof) { q.Chunk[0] ^= 1 }), tr.Chunks(), ErrRoot},
		{"a flipped path byte", flip(func(q *Proof) { q.Path[1][5] ^= 1 }), tr.Chunks(), ErrRoot},
		{"another index", flip(func(q *Proof) { q.Index = 2 }), tr.Chunks(), ErrRoot},
		{"another chunk's data", flip(func(q *Proof) { q.Chunk = other.Chunk }), tr.Chunks(), ErrRoot},
		{"a path too short", flip(func(q *Proof) { q.Path = q.Path[1:] }), tr.Chunks(), ErrPath},
		{"a path too long", flip(func(q *Proof) { q.Path = append(q.Path, Hash{}) }), tr.Chunks(), ErrPath},
		{"an index past the end", flip(func(q *Proof) { q.Index = 6 }), tr.Chunks(), ErrIndex},
		{"a chunk too long", flip(func(q *Proof) { q.Chunk = make([]byte, ChunkSize+1) }), tr.Chunks(), ErrChunk},
		{"a promise of no chunks", p, 0, ErrChunks},
		{"a wrong chunk count", p, 17, ErrPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Verify(tr.Root(), tt.chunks, tt.p); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := tr.Path(6); !errors.Is(err, ErrIndex) {
		t.Fatalf("Path past the end: %v", err)
	}
	if _, err := tr.Prove(bytes.NewReader(data(6*ChunkSize)), 5); err == nil {
		t.Fatal("Prove took data that is not the tree's")
	}
}

func TestIndicesAndAnswer(t *testing.T) {
	b := data(64 * ChunkSize)
	tr := FromBytes(b)
	s1 := Seed(Hash{1}, big.NewInt(1))
	s2 := Seed(Hash{1}, big.NewInt(2))
	if s1 == s2 || s1 == Seed(Hash{2}, big.NewInt(1)) {
		t.Fatal("seeds of different cases or blocks agree")
	}
	i1 := Indices(s1, tr.Chunks())
	if len(i1) != Challenges || reflect.DeepEqual(i1, Indices(s2, tr.Chunks())) {
		t.Fatalf("indices %v", i1)
	}
	for _, i := range i1 {
		if i >= tr.Chunks() {
			t.Fatalf("index %d of %d", i, tr.Chunks())
		}
	}
	if got := Indices(s1, 2); len(got) != 2 {
		t.Fatalf("two chunks: %d indices", len(got))
	}
	ans, err := tr.Answer(bytes.NewReader(b), s1)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyAnswer(tr.Root(), tr.Chunks(), s1, ans); err != nil {
		t.Fatal(err)
	}
	// The answer to one challenge does not answer another.
	if err := VerifyAnswer(tr.Root(), tr.Chunks(), s2, ans); !errors.Is(err, ErrAnswer) {
		t.Fatalf("a replayed answer: %v", err)
	}
	if err := VerifyAnswer(tr.Root(), tr.Chunks(), s1, ans[:3]); !errors.Is(err, ErrAnswer) {
		t.Fatalf("a short answer: %v", err)
	}
}

// Indices is uint256(keccak256(abi.encode(seed, i))) mod n: a fixed
// vector, so that a change to either side shows.
func TestIndicesVector(t *testing.T) {
	seed := Seed(Hash{0xaa}, big.NewInt(7))
	got := Indices(seed, 1000)
	h := keccak(seed[:], make([]byte, 32))
	want0 := new(big.Int).Mod(new(big.Int).SetBytes(h[:]), big.NewInt(1000)).Uint64()
	if got[0] != want0 {
		t.Fatalf("index 0 = %d, want %d", got[0], want0)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	b := data(10 * ChunkSize)
	tr := FromBytes(b)
	ans, err := tr.Answer(bytes.NewReader(b), Seed(Hash{9}, big.NewInt(3)))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := Encode(ans)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := Decode(enc)
	if err != nil || !reflect.DeepEqual(dec, ans) {
		t.Fatalf("Decode(Encode(answer)) = %v, %v", dec, err)
	}
	for name, bad := range map[string][]byte{
		"empty":           nil,
		"wrong version":   append([]byte{2}, enc[1:]...),
		"cut short":       enc[:len(enc)-1],
		"trailing byte":   append(append([]byte(nil), enc...), 0),
		"too many":        {1, MaxProofs + 1},
		"long varint":     {1, 0x80, 0x00},
		"chunk over size": {1, 1, 0, 0x81, 0x20},
		"path over depth": {1, 1, 0, 0, MaxDepth + 1},
	} {
		if _, err := Decode(bad); !errors.Is(err, ErrEncoding) {
			t.Errorf("%s: Decode = %v, want ErrEncoding", name, err)
		}
	}
}

// FuzzDecode: no bytes panic the decoder, and what it accepts encodes back
// to the same bytes (one encoding per answer).
func FuzzDecode(f *testing.F) {
	b := data(3 * ChunkSize)
	tr := FromBytes(b)
	ans, _ := tr.Answer(bytes.NewReader(b), Seed(Hash{}, big.NewInt(1)))
	enc, _ := Encode(ans)
	f.Add(enc)
	f.Add([]byte{1, 0})
	f.Add([]byte{1, 1, 5, 3, 'a', 'b', 'c', 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		ps, err := Decode(in)
		if err != nil {
			return
		}
		out, err := Encode(ps)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("Decode(%x) = %v; Encode = %x, %v", in, ps, out, err)
		}
		for _, p := range ps {
			_ = Verify(tr.Root(), tr.Chunks(), p)
		}
	})
}

func BenchmarkBuild(b *testing.B) {
	d := data(1 << 20)
	b.SetBytes(int64(len(d)))
	b.ReportAllocs()
	for b.Loop() {
		FromBytes(d)
	}
}
