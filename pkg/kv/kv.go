// Package kv is the one Pebble wrapper every mf daemon stores its state with.
//
// Every write that a daemon acknowledges to a caller goes through Set, Delete
// or Batch.Commit, which sync the write-ahead log before returning, so a
// daemon killed with SIGKILL loses nothing it had acknowledged. Keys are
// namespaced by the caller with a prefix ("contact/", "peer/", ...).
package kv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// ErrNotFound is returned by Get for a missing key.
var ErrNotFound = errors.New("kv: not found")

// ErrLocked means another process holds the database.
var ErrLocked = errors.New("kv: database is in use by another process")

// DB is an open Pebble database.
type DB struct {
	p *pebble.DB
}

// Open opens (creating if needed) the database in dir. Pebble locks the
// directory, so a second process opening it gets ErrLocked.
func Open(dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("kv: %w", err)
	}
	opts := &pebble.Options{Logger: quietLogger{}, Cleaner: removeCleaner{}, CacheSize: 64 << 20}
	// Bloom filters on every level (later levels inherit L0's) let a Get
	// of a key that is not there skip the tables instead of reading a
	// block of each: the common case of an insert, which looks for the
	// row it creates.
	opts.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	// Compactions granted on events, without Pebble's 100 ms look
	// (scheduler.go): an idle daemon sleeps.
	opts.Experimental.CompactionScheduler = newScheduler()
	p, err := pebble.Open(dir, opts)
	if err != nil {
		if isLockErr(err) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
		}
		return nil, fmt.Errorf("kv: open %s: %w", dir, err)
	}
	return &DB{p: p}, nil
}

// isLockErr recognises Pebble's lock failures: EAGAIN/EACCES from flock
// when another process holds the directory, and its own message when this
// process does.
func isLockErr(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) ||
		strings.Contains(err.Error(), "lock held by current process")
}

// Close flushes and closes the database.
func (db *DB) Close() error { return db.p.Close() }

// Get returns a copy of the value stored at key.
func (db *DB) Get(key []byte) ([]byte, error) { return get(db.p, key) }

// get reads key from a database or an indexed batch: a copy, because
// Pebble's slice is valid only until the closer is called.
func get(r pebble.Reader, key []byte) ([]byte, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("kv: get: %w", err)
	}
	out := bytes.Clone(v)
	closer.Close()
	return out, nil
}

// Set stores value at key durably.
func (db *DB) Set(key, value []byte) error {
	if err := db.p.Set(key, value, pebble.Sync); err != nil {
		return fmt.Errorf("kv: set: %w", err)
	}
	return nil
}

// Delete removes key durably; a missing key is not an error.
func (db *DB) Delete(key []byte) error {
	if err := db.p.Delete(key, pebble.Sync); err != nil {
		return fmt.Errorf("kv: delete: %w", err)
	}
	return nil
}

// DeleteLazy removes key without waiting for the disk: the removal is
// durable with the next synced write, and a crash before it undoes it.
// For records whose return after a crash only repeats work already done
// (an inbox entry already handed to a listener is handed out again).
func (db *DB) DeleteLazy(key []byte) error {
	if err := db.p.Delete(key, pebble.NoSync); err != nil {
		return fmt.Errorf("kv: delete: %w", err)
	}
	return nil
}

// Scan calls fn for every key with the given prefix, in key order. The
// slices are only valid during the call. Returning an error stops the scan.
func (db *DB) Scan(prefix []byte, fn func(key, value []byte) error) error {
	return scan(db.p, prefix, prefixEnd(prefix), fn)
}

// ScanRange calls fn for every key from lower (inclusive) to upper
// (exclusive; nil: to the end), in key order, like Scan: for range
// queries over an index.
func (db *DB) ScanRange(lower, upper []byte, fn func(key, value []byte) error) error {
	return scan(db.p, lower, upper, fn)
}

// PrefixEnd is the smallest key greater than every key with prefix p (nil
// when there is none: p is all 0xff), the upper bound of a prefix.
func PrefixEnd(p []byte) []byte { return prefixEnd(p) }

func scan(r pebble.Reader, lower, upper []byte, fn func(key, value []byte) error) error {
	opts := &pebble.IterOptions{UpperBound: upper}
	// An empty, non-nil lower bound trips Pebble's invariant checks (on in
	// race builds): it indexes key[0]. Nil means "from the first key".
	if len(lower) > 0 {
		opts.LowerBound = lower
	}
	it, err := r.NewIter(opts)
	if err != nil {
		return fmt.Errorf("kv: scan: %w", err)
	}
	for it.First(); it.Valid(); it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	return it.Close()
}

// prefixEnd is the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// Batch groups writes that become visible and durable together. After
// Commit or Close it is spent: Close again does nothing, Commit fails.
type Batch struct {
	// b is nil once spent. Pebble recycles a batch on Close, so a second
	// Close of the same *pebble.Batch released whichever batch Pebble had
	// handed out again meanwhile, under another writer's feet.
	b *pebble.Batch
}

// errSpent: Commit of a batch already committed or closed.
var errSpent = errors.New("kv: commit: the batch was already committed or closed")

// NewBatch starts a batch.
func (db *DB) NewBatch() *Batch { return &Batch{b: db.p.NewBatch()} }

// Set adds a write to the batch.
func (b *Batch) Set(key, value []byte) { _ = b.b.Set(key, value, nil) }

// Delete adds a deletion to the batch.
func (b *Batch) Delete(key []byte) { _ = b.b.Delete(key, nil) }

// Commit applies the batch atomically and durably.
func (b *Batch) Commit() error {
	if b.b == nil {
		return errSpent
	}
	defer b.Close()
	if err := b.b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("kv: commit: %w", err)
	}
	return nil
}

// NewIndexedBatch starts a batch that can also be read: its Get and Scan
// see the database with the batch's own writes on top, so a state machine
// can apply many steps, each reading what the last one wrote, and commit
// them as one synced write (or Close them away on an error).
func (db *DB) NewIndexedBatch() *Batch { return &Batch{b: db.p.NewIndexedBatch()} }

// Get reads key through an indexed batch.
func (b *Batch) Get(key []byte) ([]byte, error) { return get(b.b, key) }

// Scan is DB.Scan through an indexed batch.
func (b *Batch) Scan(prefix []byte, fn func(key, value []byte) error) error {
	return scan(b.b, prefix, prefixEnd(prefix), fn)
}

// Close discards a batch that was not committed; after Commit it does
// nothing.
func (b *Batch) Close() {
	if b.b != nil {
		_ = b.b.Close()
		b.b = nil
	}
}

// Purge makes deletions and overwrites final on disk: it flushes the
// memtable (so the write-ahead log holding the old values becomes obsolete
// and is removed, never recycled: see removeCleaner) and compacts the keys
// under the given prefixes (every key when none is given), which rewrites
// the tables that hold them without the shadowed values and removes the
// files that held them. State that must not outlive its deletion (forward
// secrecy: old session and group keys, prekeys) relies on it. What the
// file system does with freed blocks is beyond Pebble.
func (db *DB) Purge(ctx context.Context, prefixes ...[]byte) error {
	if err := db.p.Flush(); err != nil {
		return fmt.Errorf("kv: purge: %w", err)
	}
	// Every key sorts before 0xff: the daemons' keys start with an ASCII
	// prefix.
	ranges := [][2][]byte{{{}, {0xff}}}
	if len(prefixes) > 0 {
		ranges = ranges[:0]
		for _, p := range prefixes {
			ranges = append(ranges, [2][]byte{p, prefixEnd(p)})
		}
	}
	for _, r := range ranges {
		if err := db.p.Compact(ctx, r[0], r[1], false); err != nil {
			return fmt.Errorf("kv: purge: %w", err)
		}
	}
	return nil
}

// removeCleaner deletes obsolete files, as Pebble's default cleaner does,
// and in doing so also keeps Pebble from recycling write-ahead logs: an
// obsolete log waits in the recycler, old records and all, until it is
// reused. Pebble recycles no log for a cleaner that "needs file contents",
// which the (deeper) embedded ArchiveCleaner declares; Clean comes from the
// shallower DeleteCleaner.
type removeCleaner struct {
	pebble.DeleteCleaner
	contentsNeeded
}

type contentsNeeded struct{ pebble.ArchiveCleaner }

// quietLogger keeps Pebble's informational chatter off the daemon's stderr;
// fatal errors still end the process.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
	os.Exit(1)
}
