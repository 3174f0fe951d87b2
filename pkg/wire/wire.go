// Package wire holds the byte-level building blocks of every mf format that
// crosses a network or lands on disk: a bounded reader and a writer for
// length-prefixed fields, and stream framing. Every decoder in mf is built on
// Reader so that no length read from untrusted bytes can make it allocate or
// loop more than the caller allowed.
package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxFrame bounds one frame on a stream; a peer announcing more is cut off.
const MaxFrame = 128 << 10

var (
	// ErrShort means the input ended inside a field.
	ErrShort = errors.New("wire: truncated input")
	// ErrTooLong means a length field exceeded the limit for that field.
	ErrTooLong = errors.New("wire: field too long")
	// ErrTrailing means bytes were left after the last field.
	ErrTrailing = errors.New("wire: trailing bytes")
)

// Writer appends fields to a byte slice.
type Writer struct{ B []byte }

// Byte appends one byte.
func (w *Writer) Byte(v byte) { w.B = append(w.B, v) }

// Uint16 appends v big-endian.
func (w *Writer) Uint16(v uint16) { w.B = binary.BigEndian.AppendUint16(w.B, v) }

// Uint64 appends v big-endian.
func (w *Writer) Uint64(v uint64) { w.B = binary.BigEndian.AppendUint64(w.B, v) }

// Uvarint appends v as an unsigned varint.
func (w *Writer) Uvarint(v uint64) { w.B = binary.AppendUvarint(w.B, v) }

// Fixed appends b without a length.
func (w *Writer) Fixed(b []byte) { w.B = append(w.B, b...) }

// Bytes appends b with a varint length prefix.
func (w *Writer) Bytes(b []byte) {
	w.Uvarint(uint64(len(b)))
	w.B = append(w.B, b...)
}

// Reader consumes fields from a byte slice. The first error sticks: later
// reads return zero values, and Err or Done reports it, so decoders can read
// a whole record and check once. Its errors are ErrShort, ErrTooLong (possibly
// wrapped) and ErrVarint; Done adds ErrTrailing.
type Reader struct {
	b   []byte
	err error
}

// NewReader reads from b; it never modifies b, and slices it returns alias b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

func (r *Reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

// Err is the first error met, if any.
func (r *Reader) Err() error { return r.err }

// Len is the number of unread bytes.
func (r *Reader) Len() int { return len(r.b) }

// Done returns the first error, or ErrTrailing when input is left over.
func (r *Reader) Done() error {
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return ErrTrailing
	}
	return nil
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if len(r.b) < 1 {
		r.fail(ErrShort)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// Uint16 reads a big-endian uint16.
func (r *Reader) Uint16() uint16 {
	if len(r.b) < 2 {
		r.fail(ErrShort)
		return 0
	}
	v := binary.BigEndian.Uint16(r.b)
	r.b = r.b[2:]
	return v
}

// Uint64 reads a big-endian uint64.
func (r *Reader) Uint64() uint64 {
	if len(r.b) < 8 {
		r.fail(ErrShort)
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

// ErrVarint means a varint was not in its shortest form; accepting such
// forms would give one value several encodings, and one packet several ids.
var ErrVarint = errors.New("wire: non-minimal varint")

// Uvarint reads an unsigned varint in its shortest form.
func (r *Reader) Uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(ErrShort)
		return 0
	}
	if n > 1 && r.b[n-1] == 0 {
		r.fail(ErrVarint)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Fixed reads exactly n bytes.
func (r *Reader) Fixed(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.fail(ErrShort)
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// Bytes reads a varint-prefixed field of at most max bytes.
func (r *Reader) Bytes(max int) []byte {
	n := r.Uvarint()
	if r.err != nil {
		return nil
	}
	if max < 0 || n > uint64(max) {
		r.fail(fmt.Errorf("%w: %d > %d", ErrTooLong, n, max))
		return nil
	}
	return r.Fixed(int(n))
}

// Rest returns all unread bytes.
func (r *Reader) Rest() []byte {
	v := r.b
	r.b = nil
	return v
}

// WriteFrame writes b as one frame: a varint length, then b.
func WriteFrame(w io.Writer, b []byte) error {
	if len(b) > MaxFrame {
		return fmt.Errorf("%w: frame of %d bytes", ErrTooLong, len(b))
	}
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(b)))
	if _, err := w.Write(hdr[:n]); err != nil {
		return err
	}
	_, err := w.Write(b)
	return err
}

// ReadFrame reads one frame of at most max bytes into buf (grown as needed)
// and returns it. A frame over max is an error and the stream is unusable.
func ReadFrame(r *bufio.Reader, buf []byte, max int) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if max < 0 || n > uint64(max) {
		return nil, fmt.Errorf("%w: frame of %d bytes", ErrTooLong, n)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}
