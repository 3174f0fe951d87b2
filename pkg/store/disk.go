package store

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/store/chunk"
)

// ChunkDir is where a home's chunks live, one file per chunk named by its
// address under a directory of its first byte. Chunks are files rather than
// Pebble values: a megabyte written once and read whole gains nothing from
// an LSM tree, which would write it twice more (log and compactions); the
// Pebble database at data/store keeps the small records.
const ChunkDir = "data/store.chunks"

// Errors of the disk.
var (
	// ErrFull: the storer is at its capacity, or its disk is full.
	ErrFull = localapi.Errorf(http.StatusInsufficientStorage, "full", "store: this storer is full")
	// ErrCorrupt: a chunk on disk no longer matches its address. It is
	// removed, so that the next copy is fetched from another storer.
	ErrCorrupt = errors.New("store: a chunk on disk does not match its address")
	// ErrNoChunk: the chunk is not here.
	ErrNoChunk = errors.New("store: no such chunk")
)

// disk keeps chunks as files, checked on the way in and on the way out.
type disk struct {
	dir      string
	capacity uint64 // 0: none
	used     atomic.Uint64
	count    atomic.Uint64
	mu       sync.Mutex // serialises the capacity check with the write
	// writing serialises the puts of chunks that share a first byte, so
	// that two puts of the same chunk at once (a retry overtaking a slow
	// first try, two clients putting the same public file) see each other:
	// without it both found it missing, both wrote it, and it counted
	// twice in used and count, which the capacity check trusts.
	writing [256]sync.Mutex
}

func openDisk(dir string, capacity uint64) (*disk, error) {
	d := &disk{dir: dir, capacity: capacity}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if filepath.Ext(p) == ".tmp" {
			// A write a crash cut short: never acknowledged.
			return os.Remove(p)
		}
		if info, err := e.Info(); err == nil {
			d.used.Add(uint64(info.Size()))
			d.count.Add(1)
		}
		return nil
	})
	return d, err
}

func (d *disk) path(a chunk.Addr) string {
	s := a.String()
	return filepath.Join(d.dir, s[:2], s)
}

// Has reports whether a is here (without reading it).
func (d *disk) Has(a chunk.Addr) bool {
	_, err := os.Stat(d.path(a))
	return err == nil
}

// Put checks b against a and keeps it durably (written, synced, renamed
// into place, directory synced). A chunk already here is left alone.
func (d *disk) Put(a chunk.Addr, b []byte) (stored bool, err error) {
	if err := chunk.Verify(a, b); err != nil {
		return false, localapi.BadRequest("%v", err)
	}
	p := d.path(a)
	w := &d.writing[a[0]]
	w.Lock()
	defer w.Unlock()
	if d.Has(a) {
		return false, nil
	}
	d.mu.Lock()
	if d.capacity > 0 && d.used.Load()+uint64(len(b)) > d.capacity {
		d.mu.Unlock()
		return false, ErrFull
	}
	d.used.Add(uint64(len(b)))
	d.mu.Unlock()
	undo := func(err error) (bool, error) {
		d.used.Add(^uint64(len(b) - 1))
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
			return false, ErrFull
		}
		return false, fmt.Errorf("store: writing chunk %s: %w", a, err)
	}
	if err := d.mkdir(filepath.Dir(p)); err != nil {
		return undo(err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), "*.tmp")
	if err != nil {
		return undo(err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return undo(err)
	}
	syncDir(filepath.Dir(p))
	d.count.Add(1)
	return true, nil
}

// mkdir makes a chunk's directory, and syncs the chunk root when it made
// it: a chunk is acknowledged once synced, and a directory entry that was
// never synced may be gone after a power cut, the chunks under it too.
func (d *disk) mkdir(dir string) error {
	err := os.Mkdir(dir, 0o700)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	syncDir(d.dir)
	return nil
}

// syncDir makes the entries of dir durable. Errors are left out: some
// file systems cannot sync a directory, and the file itself is synced.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

// Get reads a and checks it. A chunk that no longer matches its address
// is removed and reported as ErrCorrupt.
func (d *disk) Get(a chunk.Addr) ([]byte, error) {
	b, err := os.ReadFile(d.path(a))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoChunk
	}
	if err != nil {
		return nil, err
	}
	if chunk.Verify(a, b) != nil {
		d.remove(a, int64(len(b)))
		return nil, fmt.Errorf("%w: %s (removed)", ErrCorrupt, a)
	}
	return b, nil
}

// Size is the size of chunk a on disk, or -1.
func (d *disk) Size(a chunk.Addr) int64 {
	info, err := os.Stat(d.path(a))
	if err != nil {
		return -1
	}
	return info.Size()
}

func (d *disk) remove(a chunk.Addr, size int64) {
	if os.Remove(d.path(a)) == nil {
		d.used.Add(^uint64(size - 1))
		d.count.Add(^uint64(0))
	}
}

// each calls fn for every chunk file's address.
func (d *disk) each(fn func(a chunk.Addr) error) error {
	return filepath.WalkDir(d.dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		a, perr := chunk.ParseAddr(filepath.Base(p))
		if perr != nil {
			return nil // a temporary file
		}
		return fn(a)
	})
}
