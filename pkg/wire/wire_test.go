package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var w Writer
	w.Byte(0xab)
	w.Uint16(0xbeef)
	w.Uint64(1<<63 | 42)
	w.Uvarint(0)
	w.Uvarint(300)
	w.Uvarint(1<<64 - 1)
	w.Fixed([]byte("fix"))
	w.Bytes(nil)
	w.Bytes([]byte("hello"))

	r := NewReader(w.B)
	if got := r.Byte(); got != 0xab {
		t.Errorf("Byte = %#x", got)
	}
	if got := r.Uint16(); got != 0xbeef {
		t.Errorf("Uint16 = %#x", got)
	}
	if got := r.Uint64(); got != 1<<63|42 {
		t.Errorf("Uint64 = %#x", got)
	}
	for _, want := range []uint64{0, 300, 1<<64 - 1} {
		if got := r.Uvarint(); got != want {
			t.Errorf("Uvarint = %d, want %d", got, want)
		}
	}
	if got := r.Fixed(3); string(got) != "fix" {
		t.Errorf("Fixed = %q", got)
	}
	if got := r.Bytes(0); len(got) != 0 {
		t.Errorf("Bytes(0) = %q", got)
	}
	if got := r.Bytes(5); string(got) != "hello" {
		t.Errorf("Bytes = %q", got)
	}
	if err := r.Done(); err != nil {
		t.Fatalf("Done = %v", err)
	}
}

func TestBigEndian(t *testing.T) {
	var w Writer
	w.Uint16(0x0102)
	w.Uint64(0x030405060708090a)
	want := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if !bytes.Equal(w.B, want) {
		t.Fatalf("got % x, want % x", w.B, want)
	}
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		read func(r *Reader)
		want error
	}{
		{"byte of nothing", nil, func(r *Reader) { r.Byte() }, ErrShort},
		{"short uint16", []byte{1}, func(r *Reader) { r.Uint16() }, ErrShort},
		{"short uint64", []byte{1, 2, 3, 4, 5, 6, 7}, func(r *Reader) { r.Uint64() }, ErrShort},
		{"unterminated uvarint", []byte{0x80, 0x80}, func(r *Reader) { r.Uvarint() }, ErrShort},
		{"overflowing uvarint", bytes.Repeat([]byte{0xff}, 11), func(r *Reader) { r.Uvarint() }, ErrShort},
		{"short fixed", []byte{1, 2}, func(r *Reader) { r.Fixed(3) }, ErrShort},
		{"negative fixed", []byte{1, 2}, func(r *Reader) { r.Fixed(-1) }, ErrShort},
		{"short bytes", []byte{5, 'a', 'b'}, func(r *Reader) { r.Bytes(10) }, ErrShort},
		{"bytes without length", nil, func(r *Reader) { r.Bytes(10) }, ErrShort},
		{"bytes over max", []byte{3, 'a', 'b', 'c'}, func(r *Reader) { r.Bytes(2) }, ErrTooLong},
		{"huge length", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, func(r *Reader) { r.Bytes(1 << 20) }, ErrTooLong},
		{"trailing", []byte{1, 2}, func(r *Reader) { r.Byte() }, ErrTrailing},
		{"first error sticks", []byte{9, 1, 2, 3}, func(r *Reader) { r.Bytes(1); r.Byte(); r.Uint16() }, ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(tt.in)
			tt.read(r)
			if err := r.Done(); !errors.Is(err, tt.want) {
				t.Fatalf("Done = %v, want %v", err, tt.want)
			}
			if tt.want != ErrTrailing {
				if !errors.Is(r.Err(), tt.want) {
					t.Fatalf("Err = %v, want %v", r.Err(), tt.want)
				}
				if r.Len() != 0 {
					t.Fatalf("Len = %d after an error, want 0", r.Len())
				}
			}
		})
	}
}

func TestReaderAfterError(t *testing.T) {
	r := NewReader([]byte{1})
	r.Uint16()
	if r.Byte() != 0 || r.Uint16() != 0 || r.Uint64() != 0 || r.Uvarint() != 0 ||
		r.Fixed(0) != nil || r.Bytes(10) != nil || r.Rest() != nil {
		t.Fatal("reads after an error returned data")
	}
	if !errors.Is(r.Err(), ErrShort) {
		t.Fatalf("Err = %v", r.Err())
	}
}

func TestReaderAliasesInput(t *testing.T) {
	in := []byte{3, 'a', 'b', 'c', 'z'}
	orig := bytes.Clone(in)
	r := NewReader(in)
	b := r.Bytes(3)
	if cap(b) != len(b) {
		t.Errorf("Bytes returned cap %d > len %d: appending would overwrite the input", cap(b), len(b))
	}
	_ = append(b, 'X')
	if !bytes.Equal(in, orig) {
		t.Fatalf("input modified: %q", in)
	}
	if rest := r.Rest(); string(rest) != "z" || r.Len() != 0 {
		t.Fatalf("Rest = %q, Len = %d", rest, r.Len())
	}
}

func TestFrameRoundTrip(t *testing.T) {
	frames := [][]byte{{}, []byte("a"), bytes.Repeat([]byte("x"), 200), bytes.Repeat([]byte("y"), MaxFrame)}
	var buf bytes.Buffer
	for _, f := range frames {
		if err := WriteFrame(&buf, f); err != nil {
			t.Fatal(err)
		}
	}
	br := bufio.NewReader(&buf)
	var scratch []byte
	for i, want := range frames {
		got, err := ReadFrame(br, scratch, MaxFrame)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("frame %d: got %d bytes, want %d", i, len(got), len(want))
		}
		scratch = got
	}
	if _, err := ReadFrame(br, scratch, MaxFrame); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
}

func TestFrameLimits(t *testing.T) {
	t.Run("write refuses oversize", func(t *testing.T) {
		var buf bytes.Buffer
		err := WriteFrame(&buf, make([]byte, MaxFrame+1))
		if !errors.Is(err, ErrTooLong) {
			t.Fatalf("err = %v, want ErrTooLong", err)
		}
		if buf.Len() != 0 {
			t.Fatalf("wrote %d bytes of a refused frame", buf.Len())
		}
	})
	tests := []struct {
		name string
		in   []byte
		max  int
		want error
	}{
		{"over max", frame(11, "hello world"), 10, ErrTooLong},
		{"announces huge", binary.AppendUvarint(nil, 1<<62), MaxFrame, ErrTooLong},
		{"truncated body", frame(5, "abc"), 10, io.ErrUnexpectedEOF},
		{"truncated length", []byte{0x80}, 10, io.ErrUnexpectedEOF},
		{"empty stream", nil, 10, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadFrame(bufio.NewReader(bytes.NewReader(tt.in)), nil, tt.max)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Fatalf("returned %d bytes with an error", len(got))
			}
		})
	}
	t.Run("exactly max", func(t *testing.T) {
		got, err := ReadFrame(bufio.NewReader(bytes.NewReader(frame(5, "hello"))), nil, 5)
		if err != nil || string(got) != "hello" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
}

func frame(n uint64, body string) []byte {
	return append(binary.AppendUvarint(nil, n), body...)
}

// FuzzReader drives a Reader over arbitrary bytes with a script of reads:
// each op byte picks a read and the next byte, if any, its argument. No
// script may panic, return more than it was allowed, or hand out bytes that
// are not the next ones of the input. Its errors are the Reader's contract:
// ErrShort, ErrTooLong or ErrVarint (a varint that is not minimal, which
// binary.Uvarint would accept).
func FuzzReader(f *testing.F) {
	var w Writer
	w.Byte(1)
	w.Uint16(2)
	w.Uint64(3)
	w.Uvarint(300)
	w.Bytes([]byte("hello"))
	f.Add(w.B, []byte{0, 0, 1, 0, 2, 0, 3, 0, 5, 8, 7, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, []byte{5, 255, 6, 0})
	f.Add([]byte("abc"), []byte{4, 2, 4, 2, 7, 0})
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, data, script []byte) {
		in := bytes.Clone(data)
		r := NewReader(data)
		var firstErr error
		for i := 0; i < len(script); i += 2 {
			op := script[i] % 8
			var arg int
			if i+1 < len(script) {
				arg = int(script[i+1])
			}
			off := len(data) - r.Len()
			before := r.Len()
			errBefore := r.Err()
			var got []byte
			switch op {
			case 0:
				if v := r.Byte(); r.Err() == nil {
					got = []byte{v}
				}
			case 1:
				if v := r.Uint16(); r.Err() == nil {
					got = binary.BigEndian.AppendUint16(nil, v)
				}
			case 2:
				if v := r.Uint64(); r.Err() == nil {
					got = binary.BigEndian.AppendUint64(nil, v)
				}
			case 3:
				v := r.Uvarint()
				if errBefore == nil && errors.Is(r.Err(), ErrVarint) {
					// Only a longer form of a value binary.Uvarint reads is refused.
					if u, m := binary.Uvarint(data[off:]); m <= 0 || len(binary.AppendUvarint(nil, u)) == m {
						t.Fatalf("Uvarint refused % x as non-minimal", data[off:])
					}
				}
				if r.Err() == nil {
					n := before - r.Len()
					if u, m := binary.Uvarint(data[off:]); u != v || m != n {
						t.Fatalf("Uvarint = %d (%d bytes), binary.Uvarint = %d (%d bytes)", v, n, u, m)
					}
					got = data[off : off+n]
				}
			case 4:
				got = r.Fixed(arg)
				if r.Err() == nil && len(got) != arg {
					t.Fatalf("Fixed(%d) returned %d bytes", arg, len(got))
				}
			case 5, 6:
				max := arg
				if op == 6 {
					max = arg % 4
				}
				b := r.Bytes(max)
				if len(b) > max {
					t.Fatalf("Bytes(%d) returned %d bytes", max, len(b))
				}
				if r.Err() == nil {
					// The field is the bytes after its length prefix.
					n := before - r.Len() - len(b)
					if n < 1 || !bytes.Equal(b, data[off+n:off+n+len(b)]) {
						t.Fatalf("Bytes(%d) returned % x, not the input at %d", max, b, off+n)
					}
					if cap(b) != len(b) {
						t.Fatalf("Bytes returned spare capacity %d", cap(b)-len(b))
					}
				} else if b != nil {
					t.Fatalf("Bytes returned % x with error %v", b, r.Err())
				}
				got = nil
			case 7:
				got = r.Rest()
				if r.Len() != 0 {
					t.Fatalf("Len = %d after Rest", r.Len())
				}
			}
			if r.Len() > before {
				t.Fatalf("op %d: Len grew from %d to %d", op, before, r.Len())
			}
			if got != nil && !bytes.Equal(got, data[off:off+len(got)]) {
				t.Fatalf("op %d returned % x, not the input at %d", op, got, off)
			}
			if err := r.Err(); err != nil {
				if firstErr == nil {
					firstErr = err
				}
				if err != firstErr {
					t.Fatalf("error changed from %v to %v", firstErr, err)
				}
				if r.Len() != 0 {
					t.Fatalf("Len = %d after error %v", r.Len(), err)
				}
				if !errors.Is(err, ErrShort) && !errors.Is(err, ErrTooLong) && !errors.Is(err, ErrVarint) {
					t.Fatalf("unexpected error %v", err)
				}
			}
		}
		err := r.Done()
		switch {
		case firstErr != nil && err != firstErr:
			t.Fatalf("Done = %v, want the first error %v", err, firstErr)
		case firstErr == nil && r.Len() > 0 && err != ErrTrailing:
			t.Fatalf("Done = %v with %d bytes left", err, r.Len())
		case firstErr == nil && r.Len() == 0 && err != nil:
			t.Fatalf("Done = %v with nothing left", err)
		}
		if !bytes.Equal(data, in) {
			t.Fatal("Reader modified its input")
		}
	})
}

// FuzzReadFrame reads frames from arbitrary bytes with a small limit: it
// must never panic, never return a frame over the limit, and return exactly
// the bytes after each length prefix.
func FuzzReadFrame(f *testing.F) {
	var buf bytes.Buffer
	_ = WriteFrame(&buf, []byte("hello"))
	_ = WriteFrame(&buf, nil)
	_ = WriteFrame(&buf, []byte("world!"))
	f.Add(buf.Bytes(), uint8(8))
	f.Add(frame(20, strings.Repeat("a", 20)), uint8(10))
	f.Add([]byte{0x80, 0x80, 0x80}, uint8(1))
	f.Add(binary.AppendUvarint(nil, 1<<63), uint8(255))
	f.Fuzz(func(t *testing.T, data []byte, m uint8) {
		max := int(m) % 64
		br := bufio.NewReader(bytes.NewReader(data))
		rest := data
		var scratch []byte
		for i := 0; ; i++ {
			got, err := ReadFrame(br, scratch, max)
			if err != nil {
				if got != nil {
					t.Fatalf("frame %d: %d bytes returned with error %v", i, len(got), err)
				}
				if err == io.EOF && len(rest) != 0 {
					t.Fatalf("frame %d: io.EOF with %d bytes unread", i, len(rest))
				}
				return
			}
			if len(got) > max {
				t.Fatalf("frame %d: %d bytes, max %d", i, len(got), max)
			}
			n, k := binary.Uvarint(rest)
			if k <= 0 || n != uint64(len(got)) || !bytes.Equal(got, rest[k:k+len(got)]) {
				t.Fatalf("frame %d: got % x, not the frame at the head of % x", i, got, rest)
			}
			rest = rest[k+len(got):]
			scratch = got
		}
	})
}
