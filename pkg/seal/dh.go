package seal

import (
	"crypto/sha256"
	"errors"
	"io"

	"golang.org/x/crypto/hkdf"
)

// Key agreement for sessions and groups (forward secrecy): two X25519 keys,
// at least one of them ephemeral, give a shared secret that HKDF turns into
// a symmetric key. Once both sides delete the private halves, and the keys
// derived from them, nothing on either node recomputes the key.

// DH is the X25519 shared secret of priv and pub. A low-order pub, which
// gives an all-zero secret, is an error.
func DH(priv *PrivateKey, pub *PublicKey) ([]byte, error) {
	return NewOpener(*priv).DH(pub)
}

// DH is the X25519 shared secret of the Opener's key and pub.
func (o *Opener) DH(pub *PublicKey) ([]byte, error) {
	p, err := x25519.NewPublicKey(pub[:])
	if err != nil {
		return nil, errors.New("seal: invalid public key")
	}
	s, err := o.priv.ECDH(p)
	if err != nil {
		return nil, errors.New("seal: invalid public key")
	}
	return s, nil
}

// DeriveSymKey runs a shared secret through HKDF-SHA256 with salt and info
// into a symmetric key.
func DeriveSymKey(secret, salt, info []byte) SymKey {
	var k SymKey
	if _, err := io.ReadFull(hkdf.New(sha256.New, secret, salt, info), k[:]); err != nil {
		panic(err) // HKDF-SHA256 gives up to 8160 bytes
	}
	return k
}
