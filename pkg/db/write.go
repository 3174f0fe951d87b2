package db

import (
	"crypto/ecdsa"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/proof"
)

// Write is one write this node makes and signs itself.
type Write struct {
	Dataset dbapi.ID
	Key     string
	Op      dbapi.Op
	Value   []byte
	Raw     bool
}

// Write signs and applies one write by key's owner (WriteBatch).
func (e *Engine) Write(key *ecdsa.PrivateKey, w Write) (*dbapi.Change, error) {
	cs, err := e.WriteBatch(key, []Write{w})
	if err != nil {
		return nil, err
	}
	return cs[0], nil
}

// WriteBatch makes this node's writes: it checks each against the rows as
// they stand here (an insert of a live key is ErrExists, an update or
// delete of a missing one ErrNotFound, each write seeing the ones before
// it), numbers them after the writer's last change, stamps them no earlier
// than the row they replace (so a write wins over the row its writer saw),
// signs them (one signature through a Merkle root when there are several)
// and applies them in one synced write. Any failure stores nothing.
func (e *Engine) WriteBatch(key *ecdsa.PrivateKey, ws []Write) ([]*dbapi.Change, error) {
	if len(ws) == 0 || len(ws) > MaxApply {
		return nil, fmt.Errorf("%w: %d writes: want 1 to %d", dbapi.ErrInvalid, len(ws), MaxApply)
	}
	writer := crypto.PubkeyToAddress(key.PublicKey)
	now := uint64(e.now().UnixMilli())
	e.mu.Lock()
	defer e.mu.Unlock()

	metas := map[dbapi.ID]*dbapi.Meta{}
	seqs := map[dbapi.ID]uint64{}
	type state struct {
		live bool
		time uint64
	}
	rows := map[string]state{} // dataset id and key
	cs := make([]*dbapi.Change, len(ws))
	for i, w := range ws {
		m := metas[w.Dataset]
		if m == nil {
			var err error
			if m, err = e.meta(e.db, w.Dataset); err != nil {
				return nil, err
			}
			metas[w.Dataset] = m
			if seqs[w.Dataset], err = e.lastSeq(w.Dataset, writer); err != nil {
				return nil, err
			}
		}
		rk := string(w.Dataset[:]) + w.Key
		st, ok := rows[rk]
		if !ok {
			r, err := loadRow(e.db, w.Dataset, w.Key)
			if err != nil {
				return nil, err
			}
			if r != nil {
				st.live = r.live
				st.time = getU64(r.last[:8])
			}
		}
		seqs[w.Dataset]++
		c := &dbapi.Change{Dataset: w.Dataset, Key: w.Key, Op: w.Op, Raw: w.Raw, Value: w.Value,
			Writer: writer, Seq: seqs[w.Dataset], Time: max(now, st.time+1)}
		if c.Value == nil {
			c.Value = []byte{}
		}
		if err := m.CheckChange(c); err != nil {
			return nil, err
		}
		switch {
		case w.Op == dbapi.OpInsert && st.live:
			return nil, fmt.Errorf("%w: %q in dataset %s (insert creates rows only; use put or update)", ErrExists, w.Key, m.Name)
		case (w.Op == dbapi.OpUpdate || w.Op == dbapi.OpDelete) && !st.live:
			return nil, fmt.Errorf("%w %q in dataset %s", ErrNotFound, w.Key, m.Name)
		}
		rows[rk] = state{live: w.Op != dbapi.OpDelete, time: c.Time}
		cs[i] = c
	}
	var known map[*dbapi.Change]proof.Hash
	if len(cs) == 1 {
		if err := cs[0].Sign(key); err != nil {
			return nil, err
		}
	} else {
		_, digests, err := dbapi.SignBatchDigests(key, cs)
		if err != nil {
			return nil, err
		}
		known = make(map[*dbapi.Change]proof.Hash, len(cs))
		for i, c := range cs {
			known[c] = digests[i]
		}
	}
	tx := e.db.NewIndexedBatch()
	_, touched, err := e.applyLocked(tx, cs, known)
	if err != nil {
		tx.Close()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	e.wake(touched)
	return cs, nil
}

// lastSeq is the highest sequence number of writer's changes to dataset
// id held here, applied or held back.
func (e *Engine) lastSeq(id dbapi.ID, w common.Address) (uint64, error) {
	top, err := applied(e.db, id, w)
	if err != nil {
		return 0, err
	}
	err = e.db.Scan(dkey(pPending, id, w[:]), func(k, _ []byte) error {
		top = max(top, getU64(k[len(k)-8:]))
		return nil
	})
	if err != nil && !errors.Is(err, kv.ErrNotFound) {
		return 0, err
	}
	return top, nil
}
