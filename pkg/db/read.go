package db

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/kv"
)

// errStop ends a scan early.
var errStop = errors.New("stop")

// readable loads a dataset's metadata and checks that reader may read it.
func (e *Engine) readable(id dbapi.ID, reader common.Address) (*dbapi.Meta, error) {
	m, err := e.meta(e.db, id)
	if err != nil {
		return nil, err
	}
	if err := m.Allowed(dbapi.Read, reader, ""); err != nil {
		return nil, err
	}
	return m, nil
}

// Get returns the signed change that holds row key, for reader, who checks
// it with dbapi.VerifyRow. A deleted row is ErrNotFound.
func (e *Engine) Get(id dbapi.ID, reader common.Address, key string) (*dbapi.Change, error) {
	m, err := e.readable(id, reader)
	if err != nil {
		return nil, err
	}
	r, err := loadRow(e.db, id, key)
	if err != nil {
		return nil, err
	}
	if r == nil || !r.live {
		return nil, fmt.Errorf("%w %q in dataset %s", ErrNotFound, key, m.Name)
	}
	return r.eff, nil
}

// Query returns the live rows that match q, for reader: in key order, or
// with a where clause in the order of the first clause's field. Every
// where clause must be on an indexed field.
func (e *Engine) Query(id dbapi.ID, reader common.Address, q dbapi.Query) ([]*dbapi.Change, error) {
	m, err := e.readable(id, reader)
	if err != nil {
		return nil, err
	}
	if q.Limit < 0 {
		return nil, fmt.Errorf("%w: negative limit %d", dbapi.ErrInvalid, q.Limit)
	}
	for i := range q.Where {
		c := &q.Where[i]
		if err := c.Check(); err != nil {
			return nil, err
		}
		if !m.Indexed(c.Field) {
			idx := "none"
			if len(m.Indexes) > 0 {
				idx = strings.Join(m.Indexes, ", ")
			}
			return nil, fmt.Errorf("%w: field %q is not indexed in dataset %s (indexed: %s)", ErrNotIndexed, c.Field, m.Name, idx)
		}
	}
	var out []*dbapi.Change
	take := func(r *row) error {
		if r == nil || !r.live || !strings.HasPrefix(r.eff.Key, q.Prefix) {
			return nil
		}
		if len(q.Where) > 0 {
			fs := fields(r.eff)
			for i := range q.Where {
				if !q.Where[i].Match(fs[q.Where[i].Field]) {
					return nil
				}
			}
		}
		out = append(out, r.eff)
		if q.Limit > 0 && len(out) >= q.Limit {
			return errStop
		}
		return nil
	}
	if len(q.Where) == 0 {
		err = e.db.Scan(dkey(pRow, id, []byte(q.Prefix)), func(_, v []byte) error {
			r, err := decodeRow(e.db, id, v)
			if err != nil {
				return err
			}
			return take(r)
		})
	} else {
		lo, hi := scanRange(id, q.Where[0])
		err = e.db.ScanRange(lo, hi, func(_, v []byte) error {
			r, err := loadRow(e.db, id, string(v))
			if err != nil {
				return err
			}
			return take(r)
		})
	}
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	return out, nil
}

// scanRange is the part of a field's index that can hold matches of c;
// the rows found are checked against every clause, boundaries included.
func scanRange(id dbapi.ID, c dbapi.Cond) (lo, hi []byte) {
	fp := fieldPrefix(id, c.Field)
	v := encodeValue(c.Value)
	typed := append(append([]byte(nil), fp...), v[0])
	at := append(append([]byte(nil), fp...), v...)
	switch c.Op {
	case dbapi.Eq:
		return at, kv.PrefixEnd(at)
	case dbapi.Gt, dbapi.Ge:
		return at, kv.PrefixEnd(typed)
	default:
		return typed, kv.PrefixEnd(at)
	}
}

// Version is the dataset's version vector: each writer's highest applied
// sequence number.
func (e *Engine) Version(id dbapi.ID) (dbapi.Version, error) {
	if _, err := e.meta(e.db, id); err != nil {
		return nil, err
	}
	v := dbapi.Version{}
	vp := dkey(pVector, id)
	err := e.db.Scan(vp, func(k, val []byte) error {
		if len(k) != len(vp)+20 || len(val) != 8 {
			return fmt.Errorf("db: corrupt version entry in dataset %s", id)
		}
		v[common.BytesToAddress(k[len(vp):])] = getU64(val)
		return nil
	})
	return v, err
}

// Digest summarizes the dataset for anti-entropy: its version, and a hash
// over the version and the XOR of the digests of every applied change.
func (e *Engine) Digest(id dbapi.ID) (*dbapi.Digest, error) {
	v, err := e.Version(id)
	if err != nil {
		return nil, err
	}
	d := &dataset{meta: &dbapi.Meta{ID: id}}
	if err := d.load(e.db); err != nil {
		return nil, err
	}
	h := crypto.Keccak256Hash([]byte("mf/db/digest/v1"), v.Encode(), d.xor[:])
	return &dbapi.Digest{Dataset: id, Version: v, Hash: h, Changes: d.pos}, nil
}

// Missing lists the changes this engine has applied that a provider at
// version theirs lacks, writer by writer in sequence order (the order to
// apply them in), at most limit of them (0: all).
func (e *Engine) Missing(id dbapi.ID, theirs dbapi.Version, limit int) ([]*dbapi.Change, error) {
	mine, err := e.Version(id)
	if err != nil {
		return nil, err
	}
	var out []*dbapi.Change
	for _, w := range mine.Writers() {
		if mine[w] <= theirs[w] {
			continue
		}
		err := e.db.ScanRange(dkey(pChange, id, w[:], u64(theirs[w]+1)), kv.PrefixEnd(dkey(pChange, id, w[:])), func(_, v []byte) error {
			c, err := dbapi.DecodeStoredChange(v)
			if err != nil {
				return err
			}
			out = append(out, c)
			if limit > 0 && len(out) >= limit {
				return errStop
			}
			return nil
		})
		if errors.Is(err, errStop) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Equivocations lists the evidence of writers who signed two changes with
// one sequence number.
func (e *Engine) Equivocations(id dbapi.ID) ([]dbapi.Equivocation, error) {
	var out []dbapi.Equivocation
	ep := dkey(pEvidence, id)
	err := e.db.Scan(ep, func(k, v []byte) error {
		c, err := dbapi.DecodeStoredChange(v)
		if err != nil {
			return err
		}
		if n := len(out); n == 0 || out[n-1].Writer != c.Writer || out[n-1].Seq != c.Seq {
			out = append(out, dbapi.Equivocation{Dataset: id, Writer: c.Writer, Seq: c.Seq})
		}
		q := &out[len(out)-1]
		q.Changes = append(q.Changes, c) // ascending digest: the first is kept
		return nil
	})
	return out, err
}

// watchChunk bounds how many changes Watch reads before it delivers them.
const watchChunk = 1024

// Watch calls fn with every change to dataset id not covered by from (nil:
// from the beginning), each writer's in sequence order, then follows new
// changes as they are committed until ctx ends or fn returns an error. The
// version after a change is from plus that change; a watcher that keeps it
// resumes where it stopped, with nothing missed and nothing twice.
func (e *Engine) Watch(ctx context.Context, id dbapi.ID, reader common.Address, from dbapi.Version, fn func(*dbapi.Change) error) error {
	if _, err := e.readable(id, reader); err != nil {
		return err
	}
	seen := from.Clone()
	var pos uint64
	for {
		// Take the channel before reading, so a commit after the read
		// still wakes us.
		ch := e.changed(id)
		var batch []*dbapi.Change
		err := e.db.ScanRange(dkey(pLog, id, u64(pos)), kv.PrefixEnd(dkey(pLog, id)), func(_, v []byte) error {
			if len(batch) == watchChunk {
				return errStop // deliver these first; the rest on the next turn
			}
			pos++
			if len(v) != 28 {
				return fmt.Errorf("db: corrupt log entry %d of dataset %s", pos-1, id)
			}
			w, s := common.BytesToAddress(v[:20]), getU64(v[20:])
			if s <= seen[w] {
				return nil
			}
			c, err := loadChange(e.db, dkey(pChange, id, w[:], u64(s)))
			if err != nil {
				return err
			}
			seen[w] = s
			batch = append(batch, c)
			return nil
		})
		more := errors.Is(err, errStop)
		if err != nil && !more {
			return err
		}
		for _, c := range batch {
			if err := fn(c); err != nil {
				return err
			}
		}
		if more {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}
