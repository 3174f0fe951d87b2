package dbapi

import (
	"fmt"

	"github.com/mainframe/mf/pkg/wire"
)

// EncodeChanges frames changes in their binary form: for each, its length
// as a uvarint, then Change.Encode. It is how a writer sends changes to a
// provider (as application/octet-stream): JSON would more than double the
// bytes and cost more to read than the changes cost to check.
func EncodeChanges(cs []*Change) []byte {
	var w wire.Writer
	for _, c := range cs {
		w.Bytes(c.Encode())
	}
	return w.B
}

// DecodeChanges reads EncodeChanges' form: at most max changes, each read
// strictly. It does not check signatures: the caller verifies them all at
// once (VerifyAll, as Engine.ApplyBatch does), one recovery per batch.
func DecodeChanges(b []byte, max int) ([]*Change, error) {
	r := wire.NewReader(b)
	var out []*Change
	for r.Len() > 0 {
		if len(out) == max {
			return nil, fmt.Errorf("%w: more than %d changes", ErrInvalid, max)
		}
		raw := r.Bytes(MaxChange)
		if err := r.Err(); err != nil {
			return nil, fmt.Errorf("%w: change %d: %v", ErrInvalid, len(out), err)
		}
		c, err := decodeChange(raw)
		if err != nil {
			return nil, fmt.Errorf("change %d: %w", len(out), err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no changes", ErrInvalid)
	}
	return out, nil
}
