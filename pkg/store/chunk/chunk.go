// Package chunk is mf-store's file format: a file cut into chunks of Size
// bytes, each stored under its content address (the SHA-256 of the bytes as
// stored), tied together by a tree of address lists whose root chunk is the
// file's reference (docs/store.md).
//
// The tree:
//
//   - data chunks: the file cut into Size-byte pieces, the last one shorter;
//     an empty file has none;
//   - when the data chunks' addresses fit in the root (at most RootCap), the
//     root lists them; else they are grouped Fanout at a time into level-1
//     chunks (a chunk of addresses, the last one shorter), and so on up,
//     until a level fits in the root;
//   - the root chunk: a 64-byte header (magic "mfstore1", the file size,
//     the depth, the number of entries, zeros) and the entries' addresses.
//
// The shape follows from the size alone, so a reader checks every chunk's
// length and every node's entry count against it, and finds data chunk i
// by walking from the root without reading the others.
//
// Encryption: a private file has a random 32-byte key, carried in the
// reference and nowhere else. Every chunk is encrypted with AES-256-CTR under
// that key with an IV made of the chunk's place in the tree (level and
// index), so no two chunks of a file share a keystream; the addresses are
// of the ciphertext, so storers hold, hash and prove bytes they cannot
// read. A wrong key decrypts the root's header to noise and fails the
// magic. A public file (--public) is stored plain and its reference is the
// root address alone.
package chunk

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

const (
	// Size is the size of every data chunk but a file's last, and the most
	// any chunk may hold (BenchmarkChunkSize, docs/store.md).
	Size = 1 << 20
	// AddrSize is the size of a chunk address.
	AddrSize = 32
	// Fanout is how many addresses an intermediate chunk holds.
	Fanout = Size / AddrSize
	// HeaderSize is the size of the root chunk's header.
	HeaderSize = 64
	// RootCap is how many addresses the root holds after its header.
	RootCap = (Size - HeaderSize) / AddrSize
	// MaxFileSize bounds a file (1 TiB): a tree of at most one level
	// below the root, and sizes no reader can be tricked into overflowing.
	MaxFileSize = 1 << 40
	// KeySize is the size of a private file's key.
	KeySize = 32
)

// fanout and rootCap are Fanout and RootCap; tests lower them to build
// deep trees from small files.
var fanout, rootCap uint64 = Fanout, RootCap

var magic = [8]byte{'m', 'f', 's', 't', 'o', 'r', 'e', '1'}

// Errors of the format. Wrapped with detail; test with errors.Is.
var (
	// ErrRef: the text is not a reference.
	ErrRef = errors.New("store: malformed reference")
	// ErrKey: the root does not decrypt to a root: the key is wrong, or the
	// reference names a chunk that is not a file's root.
	ErrKey = errors.New("store: wrong key, or not the root of a file")
	// ErrChunk: a chunk's bytes do not hash to the address asked for.
	ErrChunk = errors.New("store: chunk does not match its address")
	// ErrFormat: a chunk decodes to something the tree cannot hold.
	ErrFormat = errors.New("store: malformed chunk")
)

// Addr is a chunk's address: the SHA-256 of its bytes as stored.
type Addr [AddrSize]byte

// AddrOf is the address of chunk bytes b.
func AddrOf(b []byte) Addr { return sha256.Sum256(b) }

func (a Addr) String() string { return hex.EncodeToString(a[:]) }

// ParseAddr reads 64 hex digits.
func ParseAddr(s string) (Addr, error) {
	var a Addr
	if len(s) != 2*AddrSize {
		return a, fmt.Errorf("%w: a chunk address is 64 hex digits", ErrRef)
	}
	if _, err := hex.Decode(a[:], []byte(s)); err != nil {
		return a, fmt.Errorf("%w: a chunk address is 64 hex digits", ErrRef)
	}
	return a, nil
}

// Verify checks that b is the chunk stored under a.
func Verify(a Addr, b []byte) error {
	if len(b) > Size {
		return fmt.Errorf("%w: %d bytes, more than %d", ErrChunk, len(b), Size)
	}
	if AddrOf(b) != a {
		return fmt.Errorf("%w: %s", ErrChunk, a)
	}
	return nil
}

// Ref is a file's reference: the root's address, and the key of a private
// file.
type Ref struct {
	Root Addr
	Key  *[KeySize]byte // nil: a public file
}

// String is the reference as users copy it: 64 hex digits for a public
// file, 128 (address, then key) for a private one.
func (r Ref) String() string {
	if r.Key == nil {
		return r.Root.String()
	}
	return r.Root.String() + hex.EncodeToString(r.Key[:])
}

// Public is the reference without its key: what may be shown or logged.
func (r Ref) Public() string { return r.Root.String() }

// ParseRef reads a reference: 64 or 128 lower- or upper-case hex digits,
// nothing else.
func ParseRef(s string) (Ref, error) {
	var r Ref
	switch len(s) {
	case 2 * AddrSize, 2 * (AddrSize + KeySize):
	default:
		return r, fmt.Errorf("%w: %d characters; a reference is 64 hex digits (public) or 128 (private)", ErrRef, len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return r, fmt.Errorf("%w: not hex", ErrRef)
	}
	copy(r.Root[:], b)
	if len(b) > AddrSize {
		var k [KeySize]byte
		copy(k[:], b[AddrSize:])
		r.Key = &k
	}
	return r, nil
}

// LooksLikeRef reports whether s is shaped like a reference, for commands
// that take either a reference or something else.
func LooksLikeRef(s string) bool {
	_, err := ParseRef(strings.TrimSpace(s))
	return err == nil
}

// rootLevel is the level byte of the root's IV.
const rootLevel = 0xff

// Crypt encrypts or decrypts (the same XOR) b in place: chunk index of
// level (0: data; rootLevel: the root) under key. A nil key leaves b as it
// is (a public file).
func Crypt(key *[KeySize]byte, level byte, index uint64, b []byte) {
	if key == nil {
		return
	}
	blk, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	var iv [aes.BlockSize]byte
	iv[0] = level
	binary.BigEndian.PutUint64(iv[1:9], index)
	// iv[9:16] is the block counter: a chunk is at most Size/16 = 2^14
	// blocks, so it never carries into the index.
	cipher.NewCTR(blk, iv[:]).XORKeyStream(b, b)
}

// Shape is the tree of a file of a given size.
type Shape struct {
	Size uint64
	// Counts[l] is the number of chunks at level l: Counts[0] data chunks,
	// then intermediate levels; the last level is what the root lists.
	Counts []uint64
}

// Depth is the number of intermediate levels between the root and the
// data.
func (s Shape) Depth() int { return len(s.Counts) - 1 }

// RootEntries is how many addresses the root lists.
func (s Shape) RootEntries() uint64 { return s.Counts[len(s.Counts)-1] }

// DataChunks is the number of data chunks.
func (s Shape) DataChunks() uint64 { return s.Counts[0] }

// ShapeOf is the tree of a file of size bytes.
func ShapeOf(size uint64) Shape {
	n := (size + Size - 1) / Size
	s := Shape{Size: size, Counts: []uint64{n}}
	for n > rootCap {
		n = (n + fanout - 1) / fanout
		s.Counts = append(s.Counts, n)
	}
	return s
}

// DataLen is the length of data chunk i.
func (s Shape) DataLen(i uint64) int {
	if i+1 < s.Counts[0] {
		return Size
	}
	return int(s.Size - i*Size)
}

// NodeEntries is the number of addresses in chunk index of level l >= 1.
func (s Shape) NodeEntries(l int, index uint64) int {
	below := s.Counts[l-1]
	if (index+1)*fanout <= below {
		return int(fanout)
	}
	return int(below - index*fanout)
}

// Root is a decoded root chunk.
type Root struct {
	Shape   Shape
	Entries []Addr
}

// EncodeRoot makes the plain root of a file of size bytes listing entries.
func EncodeRoot(size uint64, entries []Addr) []byte {
	sh := ShapeOf(size)
	b := make([]byte, HeaderSize+AddrSize*len(entries))
	copy(b, magic[:])
	binary.BigEndian.PutUint64(b[8:], size)
	b[16] = byte(sh.Depth())
	binary.BigEndian.PutUint32(b[17:], uint32(len(entries)))
	for i, e := range entries {
		copy(b[HeaderSize+i*AddrSize:], e[:])
	}
	return b
}

// DecodeRoot reads a plain root: the header must be exact and agree with
// the entries.
func DecodeRoot(b []byte) (*Root, error) {
	if len(b) < HeaderSize || [8]byte(b[:8]) != magic {
		return nil, ErrKey
	}
	size := binary.BigEndian.Uint64(b[8:])
	if size > MaxFileSize {
		return nil, fmt.Errorf("%w: root names a file of %d bytes, over %d", ErrFormat, size, uint64(MaxFileSize))
	}
	sh := ShapeOf(size)
	depth, n := int(b[16]), uint64(binary.BigEndian.Uint32(b[17:]))
	for _, c := range b[21:HeaderSize] {
		if c != 0 {
			return nil, fmt.Errorf("%w: root header has non-zero reserved bytes", ErrFormat)
		}
	}
	if depth != sh.Depth() || n != sh.RootEntries() || uint64(len(b)) != HeaderSize+AddrSize*n {
		return nil, fmt.Errorf("%w: root of a %d-byte file must list %d entries at depth %d", ErrFormat, size, sh.RootEntries(), sh.Depth())
	}
	return &Root{Shape: sh, Entries: addrs(b[HeaderSize:])}, nil
}

// DecodeNode reads a plain intermediate chunk that must hold want entries.
func DecodeNode(b []byte, want int) ([]Addr, error) {
	if want < 1 || want > Fanout || len(b) != want*AddrSize {
		return nil, fmt.Errorf("%w: an intermediate chunk of %d bytes where %d addresses were due", ErrFormat, len(b), want)
	}
	return addrs(b), nil
}

func addrs(b []byte) []Addr {
	out := make([]Addr, len(b)/AddrSize)
	for i := range out {
		copy(out[i][:], b[i*AddrSize:])
	}
	return out
}
