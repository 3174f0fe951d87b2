// Package db is mf-db's local engine: it stores datasets for their owners
// and for the writers they let in, in Pebble through pkg/kv, and enforces
// every rule that needs no network. A change is stored only after its
// signature, the dataset's ACL and the limits pass; a batch is stored
// whole or not at all; everything acknowledged is synced.
//
// The order of changes (docs/db.md): each writer numbers its changes to a
// dataset, and the engine applies them strictly in that order, holding
// back a change that arrives after a gap. A row's value is decided by all
// the changes to its key, folded in (time, writer, seq) order, so every
// engine that holds the same changes holds the same rows, whatever order
// they arrived in. A version is a vector of each writer's highest applied
// sequence number, and names the same set of changes everywhere.
//
// Layout of the keys (id: the 32-byte dataset id; w: a 20-byte writer
// address; numbers big-endian):
//
//	m id                       the dataset's metadata (dbapi.Meta.Encode)
//	s id                       log length (8), XOR of applied digests (32),
//	                           changes held back (8)
//	v id w                     the writer's highest applied seq (8)
//	c id w seq                 an applied change (dbapi.Change.Encode)
//	p id w seq                 a change held back behind a gap
//	l id pos                   the log: w and seq of the pos-th applied change
//	k id len(key) key t w seq  a key's history, in fold order (empty value)
//	r id key                   the row: fold state and the effective change
//	x id len(f) f value key    an index entry on field f (value: the row key)
//	e id w seq digest          evidence of equivocation: each change seen
//	P promise                  id w seq of the change a court promise names
//	                           (dbapi.PromiseKey), applied or held back
package db

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
)

// Errors of the engine, beside dbapi's ErrInvalid, ErrSignature, ErrDenied
// and ErrTooLarge. Wrapped with detail; test with errors.Is.
var (
	// ErrUnknownDataset: no dataset with this id is stored here.
	ErrUnknownDataset = errors.New("db: unknown dataset")
	// ErrNotFound: no live row under this key.
	ErrNotFound = errors.New("db: no such row")
	// ErrExists: an insert for a key that holds a live row.
	ErrExists = errors.New("db: row exists")
	// ErrStale: metadata whose version is not above the stored one.
	ErrStale = errors.New("db: stale metadata")
	// ErrNotIndexed: a where clause on a field the dataset does not index.
	ErrNotIndexed = errors.New("db: field not indexed")
	// ErrGap: a change too far ahead of its writer's applied changes to
	// be held back.
	ErrGap = errors.New("db: change too far ahead")
)

func init() {
	localapi.Classify(ErrUnknownDataset, http.StatusNotFound, "unknown_dataset")
	localapi.Classify(ErrNotFound, http.StatusNotFound, "not_found")
	localapi.Classify(ErrExists, http.StatusConflict, "exists")
	localapi.Classify(ErrStale, http.StatusConflict, "stale")
	localapi.Classify(ErrNotIndexed, http.StatusBadRequest, "not_indexed")
	localapi.Classify(ErrGap, http.StatusConflict, "gap")
	localapi.Classify(dbapi.ErrDenied, http.StatusForbidden, "denied")
	localapi.Classify(dbapi.ErrSignature, http.StatusBadRequest, "bad_signature")
	localapi.Classify(dbapi.ErrTooLarge, http.StatusRequestEntityTooLarge, "too_large")
	localapi.Classify(dbapi.ErrInvalid, http.StatusBadRequest, "bad_request")
}

// MaxGap is how far ahead of a writer's applied changes a change may be
// and still be held back; past it the change is refused, so a writer
// cannot make a provider hold unbounded changes it will never apply.
const MaxGap = 4096

// MaxHeld is how many changes a dataset holds back behind gaps, all
// writers together: with insert open to anyone, every address could
// otherwise park MaxGap changes of 64 KiB.
const MaxHeld = 16384

// MaxSkew is how far ahead of the engine's clock a change may be stamped.
// Rows are settled by the writers' timestamps, so a change stamped in the
// far future would win over every later write to its row; past the skew
// it is refused (and accepted later, through anti-entropy, once its time
// has come).
const MaxSkew = 10 * time.Minute

// MaxApply is the most changes one ApplyBatch call takes.
const MaxApply = dbapi.MaxBatch

// Engine is the store of one mf-db daemon.
type Engine struct {
	db      *kv.DB
	own     bool // Close closes db
	now     func() time.Time
	maxHeld uint64

	// mu serializes writes: each applies against the state the last one
	// committed.
	mu sync.Mutex

	// metas caches verified metadata (decoding verifies two signatures),
	// under mu for writers and metaMu for readers.
	metaMu sync.RWMutex
	metas  map[dbapi.ID]*dbapi.Meta

	// notify holds, per dataset, a channel closed (and replaced) whenever
	// changes are committed to it, for watchers.
	notifyMu sync.Mutex
	notify   map[dbapi.ID]chan struct{}
}

// Option configures an Engine.
type Option func(*Engine)

// WithClock sets the clock that stamps this engine's own writes.
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

// New returns an engine over an open database; the caller closes it.
func New(db *kv.DB, opts ...Option) *Engine {
	e := &Engine{db: db, now: time.Now, notify: map[dbapi.ID]chan struct{}{}, metas: map[dbapi.ID]*dbapi.Meta{}, maxHeld: MaxHeld}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Open opens the Pebble database in dir and an engine over it.
func Open(dir string, opts ...Option) (*Engine, error) {
	db, err := kv.Open(dir)
	if err != nil {
		return nil, err
	}
	e := New(db, opts...)
	e.own = true
	return e, nil
}

// Close closes the database if Open opened it.
func (e *Engine) Close() error {
	if e.own {
		return e.db.Close()
	}
	return nil
}

// Key prefixes (see the package comment).
const (
	pMeta     = 'm'
	pState    = 's'
	pVector   = 'v'
	pChange   = 'c'
	pPending  = 'p'
	pLog      = 'l'
	pHist     = 'k'
	pRow      = 'r'
	pIndex    = 'x'
	pEvidence = 'e'
	pPromise  = 'P'
)

func dkey(p byte, id dbapi.ID, parts ...[]byte) []byte {
	n := 33
	for _, x := range parts {
		n += len(x)
	}
	k := make([]byte, 0, n)
	k = append(k, p)
	k = append(k, id[:]...)
	for _, x := range parts {
		k = append(k, x...)
	}
	return k
}

func u64(v uint64) []byte {
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b[:]
}

func getU64(b []byte) uint64 {
	var v uint64
	for _, c := range b[:8] {
		v = v<<8 | uint64(c)
	}
	return v
}

// keyPart is a row key with its length in front (2 bytes), so that no key
// is a prefix of another's history.
func keyPart(key string) []byte {
	b := []byte{byte(len(key) >> 8), byte(len(key))}
	return append(b, key...)
}

// getter is what reads: the database, or an indexed batch.
type getter interface {
	Get(key []byte) ([]byte, error)
	Scan(prefix []byte, fn func(key, value []byte) error) error
}

// PutMeta stores a dataset's metadata, new or a newer version: it must
// verify (signed by its owner), and replace only a lower version. When the
// indexed fields change, the index is rebuilt in the same write.
func (e *Engine) PutMeta(m *dbapi.Meta) error {
	if err := m.Verify(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	old, err := e.meta(e.db, m.ID)
	switch {
	case errors.Is(err, ErrUnknownDataset):
	case err != nil:
		return err
	case m.Network():
		if bytes.Equal(old.Encode(), m.Encode()) {
			return nil
		}
		return fmt.Errorf("%w: network table %s cannot change", ErrStale, m.ID)
	case m.Version <= old.Version:
		return fmt.Errorf("%w: metadata version %d of dataset %s is not above the stored %d", ErrStale, m.Version, m.Name, old.Version)
	case m.Kind != old.Kind:
		return fmt.Errorf("%w: dataset %s is a %s and cannot become a %s", dbapi.ErrInvalid, m.Name, old.Kind, m.Kind)
	}
	tx := e.db.NewIndexedBatch()
	tx.Set(dkey(pMeta, m.ID), m.Encode())
	if old != nil && !slices.Equal(old.Indexes, m.Indexes) {
		if err := e.reindex(tx, m); err != nil {
			tx.Close()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	e.metaMu.Lock()
	e.metas[m.ID] = m
	e.metaMu.Unlock()
	return nil
}

// Meta returns a dataset's metadata. The caller must not modify it.
func (e *Engine) Meta(id dbapi.ID) (*dbapi.Meta, error) { return e.meta(e.db, id) }

func (e *Engine) meta(g getter, id dbapi.ID) (*dbapi.Meta, error) {
	e.metaMu.RLock()
	m, ok := e.metas[id]
	e.metaMu.RUnlock()
	if ok {
		return m, nil
	}
	b, err := g.Get(dkey(pMeta, id))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, fmt.Errorf("%w %s", ErrUnknownDataset, id)
	}
	if err != nil {
		return nil, err
	}
	if m, err = dbapi.DecodeMeta(b); err != nil {
		return nil, err
	}
	e.metaMu.Lock()
	e.metas[id] = m
	e.metaMu.Unlock()
	return m, nil
}

// Datasets lists every dataset stored here, by id.
func (e *Engine) Datasets() ([]*dbapi.Meta, error) {
	var ids []dbapi.ID
	err := e.db.Scan([]byte{pMeta}, func(k, _ []byte) error {
		if len(k) != 33 {
			return fmt.Errorf("db: corrupt metadata key %x", k)
		}
		ids = append(ids, dbapi.ID(k[1:]))
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*dbapi.Meta, 0, len(ids))
	for _, id := range ids {
		m, err := e.meta(e.db, id) // verified once, then cached
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
