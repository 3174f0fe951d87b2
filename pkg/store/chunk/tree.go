package chunk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Sink takes each chunk a Builder makes: its address and its bytes as
// stored, which the sink owns from then on.
type Sink func(a Addr, b []byte) error

// Builder cuts a stream into a file's chunks as it is written, holding at
// most one data chunk and the pending addresses of each level, so a file of
// any size is built in bounded memory.
type Builder struct {
	key     *[KeySize]byte
	sink    Sink
	buf     []byte
	size    uint64
	pending [][]Addr // per level: addresses not yet in a node
	made    []uint64 // per level: chunks made so far (the next index)
}

// NewBuilder starts a file; key nil makes a public file.
func NewBuilder(key *[KeySize]byte, sink Sink) *Builder {
	return &Builder{key: key, sink: sink, buf: make([]byte, 0, Size)}
}

// Write adds p to the file.
func (b *Builder) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if b.size+uint64(len(p)) > MaxFileSize {
			return 0, fmt.Errorf("store: files are limited to %d bytes", uint64(MaxFileSize))
		}
		k := min(Size-len(b.buf), len(p))
		b.buf = append(b.buf, p[:k]...)
		b.size += uint64(k)
		p = p[k:]
		if len(b.buf) == Size {
			if err := b.flushData(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (b *Builder) flushData() error {
	data := b.buf
	b.buf = make([]byte, 0, Size)
	Crypt(b.key, 0, b.next(0), data)
	return b.emit(0, data)
}

// ensure makes room for level l.
func (b *Builder) ensure(l int) {
	for len(b.made) <= l {
		b.made = append(b.made, 0)
		b.pending = append(b.pending, nil)
	}
}

// next takes the next index at level l.
func (b *Builder) next(l int) uint64 {
	b.ensure(l)
	i := b.made[l]
	b.made[l]++
	return i
}

// emit hands a finished chunk of level l to the sink and files its address
// in level l+1's pending node, closing that node when it is full.
func (b *Builder) emit(l int, data []byte) error {
	a := AddrOf(data)
	if err := b.sink(a, data); err != nil {
		return err
	}
	b.pending[l] = append(b.pending[l], a)
	if uint64(len(b.pending[l])) == fanout {
		return b.closeNode(l)
	}
	return nil
}

// closeNode makes the level l+1 chunk of level l's pending addresses.
func (b *Builder) closeNode(l int) error {
	node := make([]byte, 0, len(b.pending[l])*AddrSize)
	for _, a := range b.pending[l] {
		node = append(node, a[:]...)
	}
	b.pending[l] = nil
	Crypt(b.key, byte(l+1), b.next(l+1), node)
	return b.emit(l+1, node)
}

// Close finishes the file and returns its reference.
func (b *Builder) Close() (Ref, error) {
	if len(b.buf) > 0 {
		if err := b.flushData(); err != nil {
			return Ref{}, err
		}
	}
	b.ensure(0)
	var entries []Addr
	for l := 0; ; l++ {
		b.ensure(l + 1)
		if b.made[l+1] == 0 && uint64(len(b.pending[l])) <= rootCap {
			entries = b.pending[l]
			break
		}
		if len(b.pending[l]) > 0 {
			if err := b.closeNode(l); err != nil {
				return Ref{}, err
			}
		}
	}
	root := EncodeRoot(b.size, entries)
	Crypt(b.key, rootLevel, 0, root)
	a := AddrOf(root)
	if err := b.sink(a, root); err != nil {
		return Ref{}, err
	}
	return Ref{Root: a, Key: b.key}, nil
}

// Size is the number of bytes written so far.
func (b *Builder) Size() uint64 { return b.size }

// Fetch returns the bytes stored under an address, already checked with
// Verify. The caller owns them.
type Fetch func(ctx context.Context, a Addr) ([]byte, error)

// File is an open file: its root read and checked.
type File struct {
	Ref   Ref
	Root  *Root
	fetch Fetch
}

// Open reads and checks the root of ref.
func Open(ctx context.Context, ref Ref, fetch Fetch) (*File, error) {
	b, err := fetch(ctx, ref.Root)
	if err != nil {
		return nil, err
	}
	Crypt(ref.Key, rootLevel, 0, b)
	r, err := DecodeRoot(b)
	if err != nil {
		return nil, err
	}
	return &File{Ref: ref, Root: r, fetch: fetch}, nil
}

// Size is the file's size in bytes.
func (f *File) Size() uint64 { return f.Root.Shape.Size }

// node fetches and decodes intermediate chunk index of level l.
func (f *File) node(ctx context.Context, l int, index uint64, a Addr) ([]Addr, error) {
	b, err := f.fetch(ctx, a)
	if err != nil {
		return nil, err
	}
	Crypt(f.Ref.Key, byte(l), index, b)
	return DecodeNode(b, f.Root.Shape.NodeEntries(l, index))
}

// Walk calls data for every data chunk from index from on, in order, and
// node for every intermediate chunk read on the way (with its level).
// Either may be nil.
func (f *File) Walk(ctx context.Context, from uint64, node func(l int, a Addr) error, data func(i uint64, a Addr) error) error {
	sh := f.Root.Shape
	var walk func(l int, first uint64, entries []Addr) error
	walk = func(l int, first uint64, entries []Addr) error {
		span := uint64(1)
		for k := 0; k < l; k++ {
			span *= fanout
		}
		for k, a := range entries {
			idx := first + uint64(k)
			if (idx+1)*span <= from {
				continue
			}
			if l == 0 {
				if data != nil {
					if err := data(idx, a); err != nil {
						return err
					}
				}
				continue
			}
			if node != nil {
				if err := node(l, a); err != nil {
					return err
				}
			}
			if data == nil && node == nil {
				continue
			}
			children, err := f.node(ctx, l, idx, a)
			if err != nil {
				return err
			}
			if err := walk(l-1, idx*fanout, children); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(sh.Depth(), 0, f.Root.Entries)
}

// Data fetches data chunk i stored under a and returns it decrypted,
// checking its length against the file's shape.
func (f *File) Data(ctx context.Context, i uint64, a Addr) ([]byte, error) {
	b, err := f.fetch(ctx, a)
	if err != nil {
		return nil, err
	}
	if len(b) != f.Root.Shape.DataLen(i) {
		return nil, fmt.Errorf("%w: data chunk %d is %d bytes, not %d", ErrFormat, i, len(b), f.Root.Shape.DataLen(i))
	}
	Crypt(f.Ref.Key, 0, i, b)
	return b, nil
}

// Copy writes length bytes of the file from offset off to w, fetching up
// to parallel data chunks at once and writing them in order; memory stays
// at about parallel chunks. It returns the bytes written.
func (f *File) Copy(ctx context.Context, w io.Writer, off, length int64, parallel int) (int64, error) {
	size := int64(f.Size())
	if off < 0 || length < 0 || off > size || length > size-off {
		return 0, fmt.Errorf("store: range %d+%d outside a file of %d bytes", off, length, size)
	}
	if length == 0 {
		return 0, nil
	}
	if parallel < 1 {
		parallel = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	first, last := uint64(off/Size), uint64((off+length-1)/Size)
	type job struct {
		i    uint64
		a    Addr
		done chan struct{}
		b    []byte
		err  error
	}
	jobs := make(chan *job, parallel)
	order := make(chan *job, parallel)
	var walkErr error
	var wg sync.WaitGroup
	for k := 0; k < parallel; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				j.b, j.err = f.Data(ctx, j.i, j.a)
				close(j.done)
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(jobs)
		walkErr = f.Walk(ctx, first, nil, func(i uint64, a Addr) error {
			if i > last {
				return errStop
			}
			j := &job{i: i, a: a, done: make(chan struct{})}
			select {
			case order <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		})
		if errors.Is(walkErr, errStop) {
			walkErr = nil
		}
	}()
	var written int64
	var err error
	for j := range order {
		if err != nil {
			continue
		}
		select {
		case <-j.done:
		case <-ctx.Done():
			err = ctx.Err()
			cancel()
			continue
		}
		if j.err != nil {
			err = j.err
			cancel()
			continue
		}
		b := j.b
		start := int64(j.i) * Size
		lo, hi := int64(0), int64(len(b))
		if start < off {
			lo = off - start
		}
		if start+hi > off+length {
			hi = off + length - start
		}
		n, werr := w.Write(b[lo:hi])
		written += int64(n)
		j.b = nil
		if werr != nil {
			err = werr
			cancel()
		}
	}
	cancel()
	wg.Wait()
	if err == nil && walkErr != nil {
		err = walkErr
	}
	return written, err
}

var errStop = errors.New("stop")
