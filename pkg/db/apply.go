package db

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/proof"
)

// Result is what Apply did with one change.
type Result int

// The results.
const (
	// Applied: the change (and any held-back changes it unblocked) is in
	// the log and the rows.
	Applied Result = iota
	// Held: the change is stored behind a gap in its writer's sequence
	// and will be applied once the missing changes arrive.
	Held
	// Duplicate: the change was already here; nothing changed.
	Duplicate
	// Equivocation: the writer signed another change with the same
	// sequence number. Both are kept as evidence; the one with the lower
	// digest is the one applied (or held).
	Equivocation
)

func (r Result) String() string {
	return [...]string{"applied", "held", "duplicate", "equivocation"}[r]
}

// Apply checks one change (signature, ACL, limits) and stores it.
func (e *Engine) Apply(c *dbapi.Change) (Result, error) {
	rs, err := e.ApplyBatch([]*dbapi.Change{c})
	if err != nil {
		return 0, err
	}
	return rs[0], nil
}

// ApplyBatch checks every change (signature, ACL against the stored
// metadata, limits) and stores them all in one synced write. If any change
// fails, nothing is stored and the error names it by position.
func (e *Engine) ApplyBatch(cs []*dbapi.Change) ([]Result, error) {
	if len(cs) == 0 || len(cs) > MaxApply {
		return nil, fmt.Errorf("%w: %d changes: want 1 to %d", dbapi.ErrInvalid, len(cs), MaxApply)
	}
	digests, err := dbapi.VerifyAllDigests(cs)
	if err != nil {
		return nil, err
	}
	known := make(map[*dbapi.Change]proof.Hash, len(cs))
	for i, c := range cs {
		known[c] = digests[i]
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	tx := e.db.NewIndexedBatch()
	rs, touched, err := e.applyLocked(tx, cs, known)
	if err != nil {
		tx.Close()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	e.wake(touched)
	return rs, nil
}

// applyLocked applies verified changes into tx, under e.mu.
//
// known holds the digests of changes already computed (nil: none), so
// that a change is hashed once between its check and its storing.
func (e *Engine) applyLocked(tx *kv.Batch, cs []*dbapi.Change, known map[*dbapi.Change]proof.Hash) ([]Result, map[dbapi.ID]bool, error) {
	ds := map[dbapi.ID]*dataset{}
	for i, c := range cs {
		d := ds[c.Dataset]
		if d == nil {
			m, err := e.meta(tx, c.Dataset)
			if err != nil {
				return nil, nil, fmt.Errorf("change %d: %w", i, err)
			}
			d = &dataset{meta: m, maxHeld: e.maxHeld, known: known}
			if err := d.load(tx); err != nil {
				return nil, nil, err
			}
			ds[c.Dataset] = d
		}
		if err := d.meta.CheckChange(c); err != nil {
			return nil, nil, fmt.Errorf("change %d: %w", i, err)
		}
		if limit := uint64(e.now().Add(MaxSkew).UnixMilli()); c.Time > limit {
			return nil, nil, fmt.Errorf("change %d: %w: stamped %s, more than %s ahead of this clock (a change from the future would win every row it touches)",
				i, dbapi.ErrInvalid, time.UnixMilli(int64(min(c.Time, 1<<62))).UTC().Format(time.RFC3339), MaxSkew)
		}
	}
	rs := make([]Result, len(cs))
	for i, c := range cs {
		r, err := ds[c.Dataset].admit(tx, c)
		if err != nil {
			return nil, nil, fmt.Errorf("change %d: %w", i, err)
		}
		rs[i] = r
		// Every change admitted, a duplicate too (one stored before the
		// index existed), can be promised and must be found by its
		// promise key (promise.go).
		tx.Set(promiseIndexKey(c), changeRef(c))
	}
	touched := map[dbapi.ID]bool{}
	for id, d := range ds {
		d.save(tx)
		touched[id] = true
	}
	return rs, touched, nil
}

// dataset is one dataset's state during a write.
type dataset struct {
	meta *dbapi.Meta
	pos  uint64   // the log's length
	xor  [32]byte // XOR of the digests of the applied changes
	held uint64   // changes held back behind gaps, all writers
	// maxHeld is the engine's bound on held (MaxHeld).
	maxHeld uint64
	// known holds digests already computed (applyLocked).
	known map[*dbapi.Change]proof.Hash
	// pending caches, per writer, whether it has changes held back, so
	// that applying a change looks for the next one only when there may
	// be one.
	pending map[common.Address]bool
}

func (d *dataset) hasPending(g getter, w common.Address) (bool, error) {
	if d.pending == nil {
		d.pending = map[common.Address]bool{}
	}
	if p, ok := d.pending[w]; ok {
		return p, nil
	}
	found := false
	err := g.Scan(dkey(pPending, d.meta.ID, w[:]), func(_, _ []byte) error {
		found = true
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return false, err
	}
	d.pending[w] = found
	return found, nil
}

func (d *dataset) load(g getter) error {
	b, err := g.Get(dkey(pState, d.meta.ID))
	if errors.Is(err, kv.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(b) != 48 {
		return fmt.Errorf("db: corrupt state of dataset %s", d.meta.ID)
	}
	d.pos = getU64(b)
	copy(d.xor[:], b[8:40])
	d.held = getU64(b[40:])
	return nil
}

func (d *dataset) save(tx *kv.Batch) {
	b := append(u64(d.pos), d.xor[:]...)
	tx.Set(dkey(pState, d.meta.ID), append(b, u64(d.held)...))
}

func (d *dataset) mix(h [32]byte) {
	for i := range d.xor {
		d.xor[i] ^= h[i]
	}
}

func applied(g getter, id dbapi.ID, w common.Address) (uint64, error) {
	b, err := g.Get(dkey(pVector, id, w[:]))
	if errors.Is(err, kv.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("db: corrupt version entry of writer %s in dataset %s", w.Hex(), id)
	}
	return getU64(b), nil
}

func loadChange(g getter, k []byte) (*dbapi.Change, error) {
	b, err := g.Get(k)
	if err != nil {
		return nil, err
	}
	return dbapi.DecodeStoredChange(b)
}

// admit places one verified, allowed change: applied, held, duplicate or
// equivocation (see Result).
func (d *dataset) admit(tx *kv.Batch, c *dbapi.Change) (Result, error) {
	id, w := d.meta.ID, c.Writer
	top, err := applied(tx, id, w)
	if err != nil {
		return 0, err
	}
	switch {
	case c.Seq <= top:
		ck := dkey(pChange, id, w[:], u64(c.Seq))
		old, err := loadChange(tx, ck)
		if err != nil {
			return 0, err
		}
		if old.Digest() == d.digest(c) {
			return Duplicate, nil
		}
		keep := d.evidence(tx, old, c)
		if keep == c {
			if err := d.replace(tx, old, c); err != nil {
				return 0, err
			}
		}
		return Equivocation, nil
	case c.Seq > top+1:
		if c.Seq-top > MaxGap {
			return 0, fmt.Errorf("%w: change %d of writer %s is %d past the %d applied; at most %d are held back",
				ErrGap, c.Seq, w.Hex(), c.Seq-top, top, MaxGap)
		}
		pk := dkey(pPending, id, w[:], u64(c.Seq))
		old, err := loadChange(tx, pk)
		switch {
		case errors.Is(err, kv.ErrNotFound):
			if d.held >= d.maxHeld {
				return 0, fmt.Errorf("%w: dataset %s already holds %d changes back behind gaps; send the missing ones first",
					ErrGap, d.meta.Name, d.held)
			}
			d.held++
			tx.Set(pk, c.Encode())
			if d.pending == nil {
				d.pending = map[common.Address]bool{}
			}
			d.pending[w] = true
			return Held, nil
		case err != nil:
			return 0, err
		case old.Digest() == c.Digest():
			return Duplicate, nil
		}
		if d.evidence(tx, old, c) == c {
			tx.Set(pk, c.Encode())
		}
		return Equivocation, nil
	}
	if err := d.apply(tx, c); err != nil {
		return 0, err
	}
	// Apply what this change unblocked.
	pending, err := d.hasPending(tx, w)
	if err != nil || !pending {
		return Applied, err
	}
	for s := c.Seq + 1; ; s++ {
		pk := dkey(pPending, id, w[:], u64(s))
		next, err := loadChange(tx, pk)
		if errors.Is(err, kv.ErrNotFound) {
			break
		}
		if err != nil {
			return 0, err
		}
		tx.Delete(pk)
		d.held--
		if err := d.apply(tx, next); err != nil {
			return 0, err
		}
	}
	return Applied, nil
}

// evidence records two changes with one (writer, seq) and returns the one
// to keep: the lower digest, so that every provider keeps the same.
func (d *dataset) evidence(tx *kv.Batch, a, b *dbapi.Change) *dbapi.Change {
	da, db := a.Digest(), b.Digest()
	for _, c := range []*dbapi.Change{a, b} {
		dg := c.Digest()
		tx.Set(dkey(pEvidence, d.meta.ID, c.Writer[:], u64(c.Seq), dg[:]), c.Encode())
	}
	if bytes.Compare(db[:], da[:]) < 0 {
		return b
	}
	return a
}

// histKey is a change's entry in its key's history: sorted by (time,
// writer, seq), the fold order.
func histKey(c *dbapi.Change) []byte {
	return dkey(pHist, c.Dataset, keyPart(c.Key), u64(c.Time), c.Writer[:], u64(c.Seq))
}

// apply appends the next change of its writer to the log and folds it
// into its row.
func (d *dataset) apply(tx *kv.Batch, c *dbapi.Change) error {
	id, w := d.meta.ID, c.Writer
	tx.Set(dkey(pChange, id, w[:], u64(c.Seq)), c.Encode())
	tx.Set(dkey(pVector, id, w[:]), u64(c.Seq))
	tx.Set(dkey(pLog, id, u64(d.pos)), append(w[:], u64(c.Seq)...))
	d.pos++
	d.mix(d.digest(c))
	tx.Set(histKey(c), nil)
	return d.refold(tx, c.Key, c)
}

// digest is c's digest, computed once.
func (d *dataset) digest(c *dbapi.Change) proof.Hash {
	if h, ok := d.known[c]; ok {
		return h
	}
	return c.Digest()
}

// replace puts the kept change of an equivocation in place of the applied
// one with the same seq.
func (d *dataset) replace(tx *kv.Batch, old, c *dbapi.Change) error {
	// A row points at its change by writer and seq, which the two share:
	// once the kept change is in place the row would read as if it had
	// always held it, so the index entries of the replaced one go first.
	r, err := loadRow(tx, d.meta.ID, old.Key)
	if err != nil {
		return err
	}
	if r != nil && r.live && r.eff.Writer == old.Writer && r.eff.Seq == old.Seq {
		for _, k := range indexKeys(d.meta, old) {
			tx.Delete(k)
		}
	}
	tx.Set(dkey(pChange, d.meta.ID, c.Writer[:], u64(c.Seq)), c.Encode())
	d.mix(old.Digest())
	d.mix(c.Digest())
	tx.Delete(histKey(old))
	tx.Set(histKey(c), nil)
	if err := d.refold(tx, old.Key, nil); err != nil {
		return err
	}
	if c.Key != old.Key {
		return d.refold(tx, c.Key, nil)
	}
	return nil
}

// row is the stored state of one key: the fold's state after the last
// change in the key's history, and which change is in effect (the row's
// value, or its tombstone). The change itself stays in its c entry, so a
// row's value is written once.
//
//	flags     byte: 1 live, 2 claimed, 4 has an effective change
//	claimant  20 bytes
//	last      the history key suffix (time 8, writer 20, seq 8) of the
//	          last change folded
//	eff       writer 20 and seq 8 of the effective change, if any
type row struct {
	live, claimed bool
	claimant      common.Address
	last          [36]byte
	eff           *dbapi.Change
}

const (
	rowLive    = 1
	rowClaimed = 2
	rowEff     = 4
)

func (r *row) encode() []byte {
	var flags byte
	if r.live {
		flags |= rowLive
	}
	if r.claimed {
		flags |= rowClaimed
	}
	b := make([]byte, 0, 85)
	if r.eff != nil {
		flags |= rowEff
	}
	b = append(b, flags)
	b = append(b, r.claimant[:]...)
	b = append(b, r.last[:]...)
	if r.eff != nil {
		b = append(b, r.eff.Writer[:]...)
		b = append(b, u64(r.eff.Seq)...)
	}
	return b
}

// decodeRow reads a row and loads its effective change through g.
func decodeRow(g getter, id dbapi.ID, b []byte) (*row, error) {
	if len(b) == 0 || b[0]&^(rowLive|rowClaimed|rowEff) != 0 {
		return nil, errors.New("db: corrupt row")
	}
	if want := 57 + 28*int(b[0]&rowEff/rowEff); len(b) != want {
		return nil, errors.New("db: corrupt row")
	}
	r := &row{live: b[0]&rowLive != 0, claimed: b[0]&rowClaimed != 0}
	copy(r.claimant[:], b[1:21])
	copy(r.last[:], b[21:57])
	if b[0]&rowEff != 0 {
		c, err := loadChange(g, dkey(pChange, id, b[57:85]))
		if err != nil {
			return nil, fmt.Errorf("db: row's change: %w", err)
		}
		r.eff = c
	}
	return r, nil
}

func loadRow(g getter, id dbapi.ID, key string) (*row, error) {
	b, err := g.Get(dkey(pRow, id, []byte(key)))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeRow(g, id, b)
}

func lastOf(c *dbapi.Change) (l [36]byte) {
	copy(l[:8], u64(c.Time))
	copy(l[8:28], c.Writer[:])
	copy(l[28:], u64(c.Seq))
	return l
}

// step folds one change into a row's state (docs/db.md): an insert has no
// effect on a live row, an update or delete none on a row that is not
// live, and under a claim rule no change by anyone but the key's claimant
// (the writer of its first change that took effect) or the owner.
func step(m *dbapi.Meta, r *row, c *dbapi.Change) {
	r.last = lastOf(c)
	if r.claimed && r.claimant != c.Writer && (m.Network() || c.Writer != m.Owner) {
		for _, right := range c.Op.Rights() {
			if m.ACL.Rule(right).Kind == dbapi.RuleClaim {
				return
			}
		}
	}
	switch c.Op {
	case dbapi.OpInsert:
		if r.live {
			return
		}
	case dbapi.OpUpdate, dbapi.OpDelete:
		if !r.live {
			return
		}
	}
	if !r.claimed {
		r.claimed, r.claimant = true, c.Writer
	}
	r.eff, r.live = c, c.Op != dbapi.OpDelete
}

// refold brings key's row up to date after its history changed. When c,
// just added, is the last of the history, one step does; otherwise (a
// change that arrived after later ones, or a replacement) the whole
// history is folded again.
func (d *dataset) refold(tx *kv.Batch, key string, c *dbapi.Change) error {
	id := d.meta.ID
	prev, err := loadRow(tx, id, key)
	if err != nil {
		return err
	}
	next := &row{}
	if prev == nil && c != nil {
		// A key without a row has no history: c is all of it.
		step(d.meta, next, c)
		return d.putRow(tx, key, prev, next)
	}
	if prev != nil && c != nil {
		l := lastOf(c)
		if bytes.Compare(l[:], prev.last[:]) > 0 {
			*next = *prev
			step(d.meta, next, c)
			return d.putRow(tx, key, prev, next)
		}
	}
	hp := dkey(pHist, id, keyPart(key))
	var refs [][]byte
	if err := tx.Scan(hp, func(k, _ []byte) error {
		refs = append(refs, bytes.Clone(k[len(hp)+8:])) // writer and seq
		return nil
	}); err != nil {
		return err
	}
	for _, ref := range refs {
		h, err := loadChange(tx, dkey(pChange, id, ref))
		if err != nil {
			return fmt.Errorf("db: history of %q: %w", key, err)
		}
		step(d.meta, next, h)
	}
	if len(refs) == 0 {
		next = nil
	}
	return d.putRow(tx, key, prev, next)
}

func (d *dataset) putRow(tx *kv.Batch, key string, prev, next *row) error {
	rk := dkey(pRow, d.meta.ID, []byte(key))
	if next == nil {
		tx.Delete(rk)
	} else {
		tx.Set(rk, next.encode())
	}
	var before, after *dbapi.Change
	if prev != nil && prev.live {
		before = prev.eff
	}
	if next != nil && next.live {
		after = next.eff
	}
	if before == after {
		return nil
	}
	for _, k := range indexKeys(d.meta, before) {
		tx.Delete(k)
	}
	for _, k := range indexKeys(d.meta, after) {
		tx.Set(k, []byte(key))
	}
	return nil
}

// reindex rebuilds a dataset's index for new metadata.
func (e *Engine) reindex(tx *kv.Batch, m *dbapi.Meta) error {
	var old [][]byte
	if err := tx.Scan(dkey(pIndex, m.ID), func(k, _ []byte) error {
		old = append(old, bytes.Clone(k))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range old {
		tx.Delete(k)
	}
	return tx.Scan(dkey(pRow, m.ID), func(k, v []byte) error {
		r, err := decodeRow(tx, m.ID, v)
		if err != nil {
			return err
		}
		if r.live {
			for _, ik := range indexKeys(m, r.eff) {
				tx.Set(ik, bytes.Clone(k[33:]))
			}
		}
		return nil
	})
}

// wake tells the watchers of these datasets that changes were committed.
func (e *Engine) wake(ids map[dbapi.ID]bool) {
	e.notifyMu.Lock()
	defer e.notifyMu.Unlock()
	for id := range ids {
		if ch, ok := e.notify[id]; ok {
			close(ch)
			delete(e.notify, id)
		}
	}
}

// changed returns a channel closed at the next commit to dataset id.
func (e *Engine) changed(id dbapi.ID) <-chan struct{} {
	e.notifyMu.Lock()
	defer e.notifyMu.Unlock()
	ch, ok := e.notify[id]
	if !ok {
		ch = make(chan struct{})
		e.notify[id] = ch
	}
	return ch
}
