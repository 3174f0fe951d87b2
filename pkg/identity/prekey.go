package identity

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/seal"
	"github.com/mainframe/mf/pkg/wire"
)

// A signed prekey is a medium-term X25519 key that a node publishes so that
// others can agree keys with it while it is offline (whitepaper,
// "Encryption": forward secrecy by ephemeral keys). The node makes a new one
// regularly and deletes each private half soon after it expires, so a key
// agreed with a prekey cannot be recomputed later, even from the keystore.
// The identity key signs the prekey and its lifetime, so nobody can publish
// one in the node's name.
//
// Binary layout, version 1:
//
//	version  1 byte (1)
//	owner    33 bytes, compressed secp256k1 identity key
//	prekey   32 bytes, X25519
//	created  8 bytes, unix seconds, big-endian
//	expires  8 bytes, unix seconds, big-endian; after it, nobody seals to it
//	sig      65 bytes, secp256k1 over Keccak-256("mf/prekey/v1" ‖ all of the above)
const prekeyVersion = 1

// PrekeySize is the size of the binary form.
const PrekeySize = 1 + 33 + 32 + 8 + 8 + 65

// ErrPrekey means a signed prekey is malformed, forged or altered.
var ErrPrekey = errors.New("identity: invalid signed prekey")

// Prekey is a verified signed prekey.
type Prekey struct {
	Owner   Public
	Key     seal.PublicKey
	Created time.Time
	Expires time.Time
	raw     []byte
}

// SignPrekey signs pub as id's prekey for [created, expires].
func (id *Identity) SignPrekey(pub seal.PublicKey, created, expires time.Time) (*Prekey, error) {
	var w wire.Writer
	w.Byte(prekeyVersion)
	w.Fixed(crypto.CompressPubkey(&id.Key.PublicKey))
	w.Fixed(pub[:])
	w.Uint64(uint64(created.Unix()))
	w.Uint64(uint64(expires.Unix()))
	sig, err := crypto.Sign(prekeyHash(w.B), id.Key)
	if err != nil {
		return nil, err
	}
	w.Fixed(sig)
	return DecodePrekey(w.B)
}

func prekeyHash(body []byte) []byte {
	return crypto.Keccak256([]byte("mf/prekey/v1"), body)
}

// DecodePrekey parses and verifies the binary form of a signed prekey. It
// does not look at the clock: Valid does.
func DecodePrekey(b []byte) (*Prekey, error) {
	if len(b) != PrekeySize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrPrekey, len(b), PrekeySize)
	}
	r := wire.NewReader(b)
	if v := r.Byte(); v != prekeyVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrPrekey, v)
	}
	owner := r.Fixed(33)
	pk := r.Fixed(32)
	created, expires := r.Uint64(), r.Uint64()
	sig := r.Fixed(65)
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPrekey, err)
	}
	if created > 1<<40 || expires > 1<<40 || expires <= created {
		return nil, fmt.Errorf("%w: lifetime out of range", ErrPrekey)
	}
	key, err := crypto.DecompressPubkey(owner)
	if err != nil {
		return nil, fmt.Errorf("%w: bad owner key", ErrPrekey)
	}
	signer, err := crypto.SigToPub(prekeyHash(b[:PrekeySize-65]), sig)
	if err != nil || !signer.Equal(key) {
		return nil, fmt.Errorf("%w: signature does not match the owner's key", ErrPrekey)
	}
	p := &Prekey{Created: time.Unix(int64(created), 0), Expires: time.Unix(int64(expires), 0), raw: bytes.Clone(b)}
	p.Owner.Key = key
	copy(p.Key[:], pk)
	return p, nil
}

// Bytes is the binary form.
func (p *Prekey) Bytes() []byte { return p.raw }

// Valid reports whether a key may be sealed to p at now.
func (p *Prekey) Valid(now time.Time) bool {
	return !now.Before(p.Created.Add(-time.Hour)) && now.Before(p.Expires)
}
