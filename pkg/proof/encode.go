package proof

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The wire form of an answer (a list of proofs), as a provider sends it to
// a witness or to mf-court:
//
//	version  byte 1
//	count    uvarint, at most MaxProofs
//	count times:
//	  index  uvarint
//	  size   uvarint, at most ChunkSize, then size bytes of chunk
//	  depth  byte, at most MaxDepth, then depth hashes of 32 bytes
//
// Varints are canonical (the shortest form), and nothing may follow the
// last proof, so every answer has exactly one encoding.

// wireVersion is the first byte of an encoded answer.
const wireVersion = 1

// MaxProofs is the most proofs one encoded answer may carry.
const MaxProofs = 64

// ErrEncoding means bytes are not an encoded answer.
var ErrEncoding = errors.New("proof: malformed answer")

// Encode writes proofs in the wire form.
func Encode(proofs []Proof) ([]byte, error) {
	if len(proofs) > MaxProofs {
		return nil, fmt.Errorf("%w: %d proofs, at most %d", ErrEncoding, len(proofs), MaxProofs)
	}
	var b []byte
	b = append(b, wireVersion)
	b = binary.AppendUvarint(b, uint64(len(proofs)))
	for _, p := range proofs {
		if len(p.Chunk) > ChunkSize || len(p.Path) > MaxDepth {
			return nil, fmt.Errorf("%w: chunk of %d bytes or path of %d hashes", ErrEncoding, len(p.Chunk), len(p.Path))
		}
		b = binary.AppendUvarint(b, p.Index)
		b = binary.AppendUvarint(b, uint64(len(p.Chunk)))
		b = append(b, p.Chunk...)
		b = append(b, byte(len(p.Path)))
		for _, h := range p.Path {
			b = append(b, h[:]...)
		}
	}
	return b, nil
}

// Decode reads an answer in the wire form. It checks the form only;
// Verify and VerifyChunks check what the proofs prove.
func Decode(b []byte) ([]Proof, error) {
	r := bytes.NewReader(b)
	v, err := r.ReadByte()
	if err != nil || v != wireVersion {
		return nil, fmt.Errorf("%w: not version %d", ErrEncoding, wireVersion)
	}
	count, err := uvarint(r, MaxProofs)
	if err != nil {
		return nil, fmt.Errorf("%w: count: %v", ErrEncoding, err)
	}
	out := make([]Proof, 0, count)
	for j := range count {
		var p Proof
		if p.Index, err = uvarint(r, MaxChunks-1); err != nil {
			return nil, fmt.Errorf("%w: proof %d: index: %v", ErrEncoding, j, err)
		}
		size, err := uvarint(r, ChunkSize)
		if err != nil {
			return nil, fmt.Errorf("%w: proof %d: chunk size: %v", ErrEncoding, j, err)
		}
		p.Chunk = make([]byte, size)
		if _, err := io.ReadFull(r, p.Chunk); err != nil {
			return nil, fmt.Errorf("%w: proof %d: chunk cut short", ErrEncoding, j)
		}
		depth, err := r.ReadByte()
		if err != nil || depth > MaxDepth {
			return nil, fmt.Errorf("%w: proof %d: path length", ErrEncoding, j)
		}
		p.Path = make([]Hash, depth)
		for k := range p.Path {
			if _, err := io.ReadFull(r, p.Path[k][:]); err != nil {
				return nil, fmt.Errorf("%w: proof %d: path cut short", ErrEncoding, j)
			}
		}
		out = append(out, p)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last proof", ErrEncoding, r.Len())
	}
	return out, nil
}

// uvarint reads a canonical uvarint no larger than max.
func uvarint(r *bytes.Reader, max uint64) (uint64, error) {
	start := r.Len()
	v, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, err
	}
	if start-r.Len() != len(binary.AppendUvarint(nil, v)) {
		return 0, errors.New("not the shortest form")
	}
	if v > max {
		return 0, fmt.Errorf("%d is over %d", v, max)
	}
	return v, nil
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
