package dbapi

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/wire"
)

// Version is a version vector: for each writer, the highest of its
// sequence numbers applied. Because a provider applies each writer's
// changes in sequence order, a version names a set of changes (every
// change (w, s) with s <= V[w]), the same set on every provider, and
// "watch --from V" means every change not in it. A writer missing from
// the map is at 0.
type Version map[common.Address]uint64

// Covers reports whether the change (writer, seq) is in the set V names.
func (v Version) Covers(writer common.Address, seq uint64) bool { return seq <= v[writer] }

// Clone copies v.
func (v Version) Clone() Version {
	out := make(Version, len(v))
	for w, s := range v {
		if s > 0 {
			out[w] = s
		}
	}
	return out
}

// Writers are v's writers with a sequence number above 0, ascending.
func (v Version) Writers() []common.Address {
	out := make([]common.Address, 0, len(v))
	for w, s := range v {
		if s > 0 {
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	return out
}

const versionVersion = 1

// MaxVersionWriters bounds how many writers a decoded version may name.
const MaxVersionWriters = 1 << 16

// Encode is the canonical binary form: a version byte (1), a uvarint
// count, then per writer (ascending, seq above 0) its 20-byte address and
// uvarint sequence number.
func (v Version) Encode() []byte {
	ws := v.Writers()
	var w wire.Writer
	w.Byte(versionVersion)
	w.Uvarint(uint64(len(ws)))
	for _, a := range ws {
		w.Fixed(a[:])
		w.Uvarint(v[a])
	}
	return w.B
}

// String is the text form a script keeps between runs: the binary form in
// unpadded base64url ("AQA" is the empty version, before any change).
func (v Version) String() string { return base64.RawURLEncoding.EncodeToString(v.Encode()) }

// MarshalText writes the text form.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText reads the text form.
func (v *Version) UnmarshalText(b []byte) error {
	p, err := ParseVersion(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// DecodeVersion reads the binary form, strictly: writers ascending, none
// at 0, nothing left over.
func DecodeVersion(b []byte) (Version, error) {
	r := wire.NewReader(b)
	if ver := r.Byte(); r.Err() == nil && ver != versionVersion {
		return nil, fmt.Errorf("%w: version vector format %d", ErrInvalid, ver)
	}
	n := r.Uvarint()
	if n > MaxVersionWriters || n > uint64(r.Len()/21) {
		return nil, fmt.Errorf("%w: version vector of %d writers in %d bytes", ErrInvalid, n, len(b))
	}
	v := make(Version, n)
	var prev common.Address
	for i := uint64(0); i < n && r.Err() == nil; i++ {
		a := common.BytesToAddress(r.Fixed(20))
		s := r.Uvarint()
		if r.Err() != nil {
			break
		}
		if i > 0 && bytes.Compare(prev[:], a[:]) >= 0 {
			return nil, fmt.Errorf("%w: version vector's writers are not ascending", ErrInvalid)
		}
		if s == 0 {
			return nil, fmt.Errorf("%w: version vector names writer %s at 0", ErrInvalid, a.Hex())
		}
		v[a], prev = s, a
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: version vector: %v", ErrInvalid, err)
	}
	return v, nil
}

// ParseVersion reads the text form, strictly (one spelling per version).
func ParseVersion(s string) (Version, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty version (the version before any change is %q)", ErrInvalid, Version{}.String())
	}
	if len(s) > 4*(2+MaxVersionWriters*30)/3 {
		return nil, fmt.Errorf("%w: version of %d characters", ErrInvalid, len(s))
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("%w: version %q is not unpadded base64url", ErrInvalid, s)
	}
	return DecodeVersion(b)
}
