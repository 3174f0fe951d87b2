// Package seal encrypts packet payloads to a recipient's X25519 key.
//
// Each packet uses a fresh ephemeral X25519 key: the shared secret between the
// ephemeral key and the recipient's static key is run through HKDF-SHA256
// (salted with both public keys, so the key is bound to this recipient) into
// a one-time ChaCha20-Poly1305 key. Because the key is used exactly once, the
// nonce is fixed at zero. Relays see the ephemeral public key and ciphertext
// only; without the recipient's private key they can neither read nor alter
// the payload undetected.
package seal

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/hkdf"
)

// Overhead is the number of bytes a sealed payload grows by (the tag).
const Overhead = chacha20poly1305.Overhead

// KeySize is the size of X25519 keys.
const KeySize = 32

// ErrOpen means the ciphertext was not sealed to this key, or was altered.
var ErrOpen = errors.New("seal: cannot open: wrong key or tampered ciphertext")

var info = []byte("mf/seal/v1")

// PrivateKey is an X25519 private key.
type PrivateKey [KeySize]byte

// PublicKey is an X25519 public key.
type PublicKey [KeySize]byte

// NewPrivateKey returns a random private key.
func NewPrivateKey() (PrivateKey, error) {
	var k PrivateKey
	_, err := io.ReadFull(rand.Reader, k[:])
	return k, err
}

// Public returns the public key of k.
func (k *PrivateKey) Public() PublicKey {
	var p PublicKey
	pub, _ := curve25519.X25519(k[:], curve25519.Basepoint)
	copy(p[:], pub)
	return p
}

func packetKey(shared []byte, eph, recipient *PublicKey) ([]byte, error) {
	salt := make([]byte, 0, 2*KeySize)
	salt = append(salt, eph[:]...)
	salt = append(salt, recipient[:]...)
	key := make([]byte, chacha20poly1305.KeySize)
	if _, err := io.ReadFull(hkdf.New(sha256.New, shared, salt, info), key); err != nil {
		return nil, err
	}
	return key, nil
}

var zeroNonce [chacha20poly1305.NonceSize]byte

// Seal encrypts plaintext to recipient with a fresh ephemeral key,
// authenticating ad as well, and appends the ciphertext to dst. It returns
// the ephemeral public key that must travel with the ciphertext.
func Seal(dst []byte, recipient *PublicKey, plaintext, ad []byte) (PublicKey, []byte, error) {
	ephPriv, err := NewPrivateKey()
	if err != nil {
		return PublicKey{}, nil, err
	}
	ephPub := ephPriv.Public()
	ct, err := SealWithKeys(dst, &ephPriv, &ephPub, recipient, plaintext, ad)
	return ephPub, ct, err
}

// SealWith is Seal with an ephemeral key chosen by the caller, for callers
// that must commit to the ephemeral public key before sealing (a signature
// over it). The key must be fresh for every call.
func SealWith(dst []byte, eph *PrivateKey, recipient *PublicKey, plaintext, ad []byte) ([]byte, error) {
	ephPub := eph.Public()
	return SealWithKeys(dst, eph, &ephPub, recipient, plaintext, ad)
}

// SealWithKeys is SealWith for a caller that already computed the ephemeral
// public key, saving an X25519 operation per packet.
func SealWithKeys(dst []byte, eph *PrivateKey, ephPub, recipient *PublicKey, plaintext, ad []byte) ([]byte, error) {
	shared, err := curve25519.X25519(eph[:], recipient[:])
	if err != nil {
		// Only a low-order recipient key gives an all-zero secret.
		return nil, errors.New("seal: invalid recipient key")
	}
	key, err := packetKey(shared, ephPub, recipient)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	return aead.Seal(dst, zeroNonce[:], plaintext, ad), nil
}

// Opener opens packets sealed to one private key. It caches the public key so
// that each Open costs one X25519 operation.
type Opener struct {
	priv PrivateKey
	pub  PublicKey
}

// NewOpener returns an Opener for priv.
func NewOpener(priv PrivateKey) *Opener {
	return &Opener{priv: priv, pub: priv.Public()}
}

// Public is the key packets must be sealed to for this Opener.
func (o *Opener) Public() PublicKey { return o.pub }

// Open decrypts a ciphertext sealed to this Opener's key with ephemeral key
// eph and associated data ad, appending the plaintext to dst. Any mismatch
// returns ErrOpen.
func (o *Opener) Open(dst []byte, eph *PublicKey, ciphertext, ad []byte) ([]byte, error) {
	shared, err := curve25519.X25519(o.priv[:], eph[:])
	if err != nil {
		return nil, ErrOpen
	}
	key, err := packetKey(shared, eph, &o.pub)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	out, err := aead.Open(dst, zeroNonce[:], ciphertext, ad)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
