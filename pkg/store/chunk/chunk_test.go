package chunk

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// memStore is a map of chunks, checked on the way out as a real fetch is.
type memStore struct {
	mu sync.Mutex
	m  map[Addr][]byte
}

func newMem() *memStore { return &memStore{m: map[Addr][]byte{}} }

func (s *memStore) put(a Addr, b []byte) error {
	if err := Verify(a, b); err != nil {
		return err
	}
	s.mu.Lock()
	s.m[a] = b
	s.mu.Unlock()
	return nil
}

func (s *memStore) fetch(_ context.Context, a Addr) ([]byte, error) {
	s.mu.Lock()
	b, ok := s.m[a]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("no chunk %s", a)
	}
	if err := Verify(a, b); err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

func build(t testing.TB, s *memStore, data []byte, key *[KeySize]byte) Ref {
	b := NewBuilder(key, s.put)
	// odd write sizes, to cross chunk boundaries mid-write
	for p := data; len(p) > 0; {
		k := min(len(p), 100_003)
		if _, err := b.Write(p[:k]); err != nil {
			t.Fatal(err)
		}
		p = p[k:]
	}
	ref, err := b.Close()
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func randKey() *[KeySize]byte {
	var k [KeySize]byte
	rand.Read(k[:])
	return &k
}

func read(t testing.TB, s *memStore, ref Ref, off, n int64) []byte {
	f, err := Open(context.Background(), ref, s.fetch)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := f.Copy(context.Background(), &out, off, n, 4); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, Size - 1, Size, Size + 1, 5*Size + 77} {
		for _, public := range []bool{true, false} {
			t.Run(fmt.Sprintf("%d/public=%v", size, public), func(t *testing.T) {
				data := make([]byte, size)
				rand.Read(data)
				var key *[KeySize]byte
				if !public {
					key = randKey()
				}
				s := newMem()
				ref := build(t, s, data, key)
				if got := read(t, s, ref, 0, int64(size)); !bytes.Equal(got, data) {
					t.Fatalf("read back %d bytes differ from the %d written", len(got), size)
				}
				if size > 10 {
					if got := read(t, s, ref, 3, int64(size-10)); !bytes.Equal(got, data[3:size-7]) {
						t.Fatal("a range reads other bytes")
					}
				}
				r2, err := ParseRef(ref.String())
				if err != nil || r2.String() != ref.String() {
					t.Fatalf("reference does not round-trip: %v", err)
				}
				if !public {
					for a, b := range s.m {
						if size > 64 && bytes.Contains(b, data[:32]) {
							t.Fatalf("chunk %s holds plaintext", a)
						}
					}
				}
			})
		}
	}
}

// TestDeepTree lowers the fan-out so that small files need two levels of
// intermediate chunks, and reads every range that crosses a node.
func TestDeepTree(t *testing.T) {
	fanout, rootCap = 4, 3
	defer func() { fanout, rootCap = Fanout, RootCap }()
	for _, n := range []int{3, 4, 5, 12, 13, 17, 33} {
		data := make([]byte, n*Size-5)
		rand.Read(data)
		s := newMem()
		ref := build(t, s, data, randKey())
		sh := ShapeOf(uint64(len(data)))
		f, err := Open(context.Background(), ref, s.fetch)
		if err != nil {
			t.Fatal(err)
		}
		if f.Root.Shape.Depth() != sh.Depth() {
			t.Fatalf("%d chunks: depth %d, want %d", n, f.Root.Shape.Depth(), sh.Depth())
		}
		want := 1 + n
		for _, c := range sh.Counts[1:] {
			want += int(c)
		}
		if len(s.m) != want {
			t.Fatalf("%d chunks: stored %d chunks, want %d (%v)", n, len(s.m), want, sh.Counts)
		}
		for _, off := range []int64{0, Size - 1, 4 * Size, int64(len(data)) - 1} {
			if off >= int64(len(data)) {
				continue
			}
			got := read(t, s, ref, off, int64(len(data))-off)
			if !bytes.Equal(got, data[off:]) {
				t.Fatalf("%d chunks: read from %d differs", n, off)
			}
		}
	}
}

func TestWrongKeyAndDamage(t *testing.T) {
	data := make([]byte, 3*Size)
	rand.Read(data)
	s := newMem()
	ref := build(t, s, data, randKey())
	bad := ref
	bad.Key = randKey()
	if _, err := Open(context.Background(), bad, s.fetch); !errors.Is(err, ErrKey) {
		t.Fatalf("wrong key: %v, want ErrKey", err)
	}
	pub := ref
	pub.Key = nil
	if _, err := Open(context.Background(), pub, s.fetch); !errors.Is(err, ErrKey) {
		t.Fatalf("missing key: %v, want ErrKey", err)
	}
	// a chunk changed in the store is refused on the way out
	f, _ := Open(context.Background(), ref, s.fetch)
	a := f.Root.Entries[1]
	s.m[a][10] ^= 1
	if _, err := f.Copy(context.Background(), &bytes.Buffer{}, 0, int64(len(data)), 2); !errors.Is(err, ErrChunk) {
		t.Fatalf("damaged chunk: %v, want ErrChunk", err)
	}
}

func TestParseRef(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"", false},
		{"zz" + string(bytes.Repeat([]byte("0"), 62)), false},
		{string(bytes.Repeat([]byte("a"), 64)), true},
		{string(bytes.Repeat([]byte("A"), 128)), true},
		{string(bytes.Repeat([]byte("a"), 96)), false},
		{string(bytes.Repeat([]byte("a"), 65)), false},
	} {
		_, err := ParseRef(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseRef(%q): %v", tt.in, err)
		}
		if err != nil && !errors.Is(err, ErrRef) {
			t.Errorf("ParseRef(%q): %v is not ErrRef", tt.in, err)
		}
	}
}

func FuzzParseRef(f *testing.F) {
	f.Add(string(bytes.Repeat([]byte("a"), 64)))
	f.Add(string(bytes.Repeat([]byte("0"), 128)))
	f.Add("not a ref")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			return
		}
		r2, err := ParseRef(r.String())
		if err != nil || r2.String() != r.String() {
			t.Fatalf("%q: a parsed reference does not parse back", s)
		}
	})
}

func FuzzDecodeRoot(f *testing.F) {
	f.Add(EncodeRoot(0, nil))
	f.Add(EncodeRoot(3*Size, []Addr{{1}, {2}, {3}}))
	f.Add([]byte("mfstore1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRoot(b)
		if err != nil {
			return
		}
		if !bytes.Equal(EncodeRoot(r.Shape.Size, r.Entries), b) {
			t.Fatal("a root that decodes does not encode back to itself")
		}
	})
}

func FuzzDecodeNode(f *testing.F) {
	f.Add(make([]byte, 64), 2)
	f.Add(make([]byte, 31), 1)
	f.Fuzz(func(t *testing.T, b []byte, want int) {
		a, err := DecodeNode(b, want)
		if err != nil {
			return
		}
		if len(a) != want || len(a)*AddrSize != len(b) {
			t.Fatal("DecodeNode accepted a node of the wrong length")
		}
	})
}
