// Package proof is the challenge proof of mf's services: a promise to hold
// some data commits to a Merkle root over the data's fixed-size chunks, and
// a challenge asks for a few chunks, picked from a seed nobody knew when the
// promise was made, with the Merkle path of each. The court contract
// (pkg/chain/contracts/Court.sol) checks an answer on chain with exactly the
// rules below; mf-court, and the services that hold data (mf-hold,
// mf-store, mf-db), build and answer challenges with this package. The
// rules, and why a past answer cannot win a new challenge, are in
// docs/challenges.md.
//
// The tree:
//
//   - the data is cut into chunks of ChunkSize bytes, the last one shorter
//     (at least one chunk: empty data is one empty chunk);
//   - a leaf is keccak256(0x00 || chunk), an inner node
//     keccak256(0x01 || left || right), so that no chunk can pass for a node;
//   - the leaves are padded with zero hashes to the next power of two, and
//     the root is the node over all of them (one chunk: its leaf).
//
// A challenge with seed s on a promise of n chunks asks for the chunks
// Indices(s, n): min(Challenges, n) indices, index i being
// uint256(keccak256(abi.encode(s, i))) mod n (they may repeat).
package proof

import (
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/bits"

	"golang.org/x/crypto/sha3"
)

const (
	// ChunkSize is the size of every chunk but the last (Court.CHUNK_SIZE).
	ChunkSize = 4096
	// Challenges is how many chunks a challenge asks for, at most
	// (Court.CHALLENGE_CHUNKS); a promise of fewer chunks is asked for each
	// index drawn, as many times as it has chunks.
	Challenges = 4
	// MaxDepth bounds the tree: at most 2^MaxDepth chunks (4 PiB), so a
	// path is at most MaxDepth hashes (Court.MAX_DEPTH).
	MaxDepth = 40
	// MaxChunks is the most chunks a promise may cover.
	MaxChunks = uint64(1) << MaxDepth
)

// Hash is a keccak256 digest: a leaf, node, root or seed.
type Hash [32]byte

// Errors of Verify. Wrapped with detail; test with errors.Is.
var (
	// ErrIndex: the proof is for a chunk the promise does not have.
	ErrIndex = errors.New("proof: chunk index out of range")
	// ErrChunk: the chunk is longer than ChunkSize.
	ErrChunk = errors.New("proof: chunk too long")
	// ErrPath: the path has the wrong length for the promise.
	ErrPath = errors.New("proof: path length does not match the tree")
	// ErrRoot: chunk and path do not hash to the promised root.
	ErrRoot = errors.New("proof: chunk and path do not lead to the root")
	// ErrChunks: a promise must cover 1 to MaxChunks chunks.
	ErrChunks = errors.New("proof: chunk count out of range")
	// ErrAnswer: an answer does not prove the chunks the challenge asked for.
	ErrAnswer = errors.New("proof: answer does not match the challenge")
)

func keccak(parts ...[]byte) Hash {
	h := sha3.NewLegacyKeccak256()
	for _, p := range parts {
		h.Write(p)
	}
	var out Hash
	h.Sum(out[:0])
	return out
}

// Leaf is the leaf hash of a chunk: keccak256(0x00 || chunk).
func Leaf(chunk []byte) Hash { return keccak([]byte{0}, chunk) }

// Node is the hash of an inner node: keccak256(0x01 || left || right).
func Node(left, right Hash) Hash { return keccak([]byte{1}, left[:], right[:]) }

// Depth is the length of every path in a tree of n chunks: the number of
// bits needed to number them (0 for one chunk).
func Depth(n uint64) int {
	if n <= 1 {
		return 0
	}
	return bits.Len64(n - 1)
}

// ChunksOf is the number of chunks in size bytes of data.
func ChunksOf(size int64) uint64 {
	if size <= 0 {
		return 1
	}
	return uint64((size + ChunkSize - 1) / ChunkSize)
}

// Tree is the Merkle tree of some data: its hashes, not the data. Build it
// once when the promise is made; Path answers for any chunk.
type Tree struct {
	// levels[0] are the leaves, levels[len-1] is the root alone; every
	// level but the root's has even length (padded).
	levels [][]Hash
	n      uint64
}

// Build reads r to its end and returns the tree over its chunks.
func Build(r io.Reader) (*Tree, error) {
	var leaves []Hash
	buf := make([]byte, ChunkSize)
	for {
		k, err := io.ReadFull(r, buf)
		if k > 0 {
			if uint64(len(leaves)) == MaxChunks {
				return nil, fmt.Errorf("%w: data over %d chunks", ErrChunks, MaxChunks)
			}
			leaves = append(leaves, Leaf(buf[:k]))
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("proof: reading data: %w", err)
		}
	}
	if len(leaves) == 0 {
		leaves = append(leaves, Leaf(nil))
	}
	return FromLeaves(leaves)
}

// FromBytes is Build over a byte slice.
func FromBytes(b []byte) *Tree {
	t, err := Build(bytesReader(b))
	if err != nil {
		panic(err) // a byte slice cannot fail to read nor exceed MaxChunks
	}
	return t
}

// FromLeaves builds the tree over leaf hashes already computed (Leaf of
// each chunk, in order), for a holder that keeps them rather than the data.
func FromLeaves(leaves []Hash) (*Tree, error) {
	n := uint64(len(leaves))
	if n == 0 || n > MaxChunks {
		return nil, fmt.Errorf("%w: %d", ErrChunks, n)
	}
	t := &Tree{n: n}
	level := append([]Hash(nil), leaves...)
	var pad Hash // the hash of an all-padding subtree at this level
	for d := 0; d < Depth(n); d++ {
		if len(level)%2 == 1 {
			level = append(level, pad)
		}
		t.levels = append(t.levels, level)
		up := make([]Hash, len(level)/2)
		for i := range up {
			up[i] = Node(level[2*i], level[2*i+1])
		}
		level, pad = up, Node(pad, pad)
	}
	t.levels = append(t.levels, level)
	return t, nil
}

// Root is the root a promise commits to.
func (t *Tree) Root() Hash { return t.levels[len(t.levels)-1][0] }

// Chunks is the number of chunks, the other half of a promise.
func (t *Tree) Chunks() uint64 { return t.n }

// Path is the Merkle path of chunk i: its sibling at each level, from the
// leaves up.
func (t *Tree) Path(i uint64) ([]Hash, error) {
	if i >= t.n {
		return nil, fmt.Errorf("%w: chunk %d of %d", ErrIndex, i, t.n)
	}
	path := make([]Hash, 0, len(t.levels)-1)
	for d := 0; d < len(t.levels)-1; d++ {
		path = append(path, t.levels[d][i^1])
		i >>= 1
	}
	return path, nil
}

// Proof is one chunk of a promise with its Merkle path.
type Proof struct {
	Index uint64
	Chunk []byte
	Path  []Hash
}

// Prove reads chunk i of data (the bytes the tree was built from) and
// returns it with its path.
func (t *Tree) Prove(data io.ReaderAt, i uint64) (Proof, error) {
	path, err := t.Path(i)
	if err != nil {
		return Proof{}, err
	}
	buf := make([]byte, ChunkSize)
	k, err := data.ReadAt(buf, int64(i)*ChunkSize)
	if err != nil && err != io.EOF {
		return Proof{}, fmt.Errorf("proof: reading chunk %d: %w", i, err)
	}
	if Leaf(buf[:k]) != t.levels[0][i] {
		return Proof{}, fmt.Errorf("proof: chunk %d of the data differs from the tree's", i)
	}
	return Proof{Index: i, Chunk: buf[:k], Path: path}, nil
}

// Verify checks that p is chunk p.Index of the data a promise of n chunks
// with this root commits to, as the court does.
func Verify(root Hash, n uint64, p Proof) error {
	if n == 0 || n > MaxChunks {
		return fmt.Errorf("%w: %d", ErrChunks, n)
	}
	if p.Index >= n {
		return fmt.Errorf("%w: chunk %d of %d", ErrIndex, p.Index, n)
	}
	if len(p.Chunk) > ChunkSize {
		return fmt.Errorf("%w: %d bytes", ErrChunk, len(p.Chunk))
	}
	if len(p.Path) != Depth(n) {
		return fmt.Errorf("%w: %d hashes for %d chunks, want %d", ErrPath, len(p.Path), n, Depth(n))
	}
	h, i := Leaf(p.Chunk), p.Index
	for _, sib := range p.Path {
		if i&1 == 1 {
			h = Node(sib, h)
		} else {
			h = Node(h, sib)
		}
		i >>= 1
	}
	if h != root {
		return ErrRoot
	}
	return nil
}

// Seed is the challenge seed of court case caseID whose seed block has
// hash blockHash: keccak256(abi.encode(blockHash, caseID)), as
// Court.challenge computes it.
func Seed(blockHash Hash, caseID *big.Int) Hash {
	var id [32]byte
	caseID.FillBytes(id[:]) // panics on a negative or over-256-bit id, which no case has
	return keccak(blockHash[:], id[:])
}

// Indices are the chunks a challenge with seed asks of a promise of n
// chunks: min(Challenges, n) of them, index i being
// uint256(keccak256(abi.encode(seed, i))) mod n.
func Indices(seed Hash, n uint64) []uint64 {
	if n == 0 {
		return nil
	}
	k := min(uint64(Challenges), n)
	out := make([]uint64, k)
	nn := new(big.Int).SetUint64(n)
	var enc [64]byte
	copy(enc[:32], seed[:])
	for i := range k {
		big.NewInt(int64(i)).FillBytes(enc[32:])
		h := keccak(enc[:])
		out[i] = new(big.Int).Mod(new(big.Int).SetBytes(h[:]), nn).Uint64()
	}
	return out
}

// Answer proves the chunks a challenge with seed asks of the data the tree
// was built from, in the order Indices gives them.
func (t *Tree) Answer(data io.ReaderAt, seed Hash) ([]Proof, error) {
	return t.ProveAll(data, Indices(seed, t.n))
}

// ProveAll proves the chunks idx of the data the tree was built from, in
// that order.
func (t *Tree) ProveAll(data io.ReaderAt, idx []uint64) ([]Proof, error) {
	out := make([]Proof, len(idx))
	for j, i := range idx {
		p, err := t.Prove(data, i)
		if err != nil {
			return nil, err
		}
		out[j] = p
	}
	return out, nil
}

// VerifyAnswer checks an answer to the challenge with seed on a promise
// (root, n) as the court does: one proof for each index Indices gives, in
// that order, each valid.
func VerifyAnswer(root Hash, n uint64, seed Hash, answer []Proof) error {
	return VerifyChunks(root, n, Indices(seed, n), answer)
}

// VerifyChunks checks that answer proves exactly the chunks idx, in order:
// the check a witness makes of the chunks it asked a provider for.
func VerifyChunks(root Hash, n uint64, idx []uint64, answer []Proof) error {
	if len(answer) != len(idx) {
		return fmt.Errorf("%w: %d proofs for %d chunks", ErrAnswer, len(answer), len(idx))
	}
	for j, p := range answer {
		if p.Index != idx[j] {
			return fmt.Errorf("%w: proof %d is for chunk %d, not %d", ErrAnswer, j, p.Index, idx[j])
		}
		if err := Verify(root, n, p); err != nil {
			return fmt.Errorf("proof %d (chunk %d): %w", j, p.Index, err)
		}
	}
	return nil
}
