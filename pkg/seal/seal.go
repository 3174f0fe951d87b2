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
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
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

// x25519 is the curve. The standard library's crypto/ecdh does one scalar
// multiplication per operation on keys it has parsed once; the []byte
// helper in x/crypto/curve25519 recomputes the public key on every call,
// which doubles the cost of each packet.
var x25519 = ecdh.X25519()

func (k *PrivateKey) ecdh() *ecdh.PrivateKey {
	p, err := x25519.NewPrivateKey(k[:])
	if err != nil {
		panic(err) // every 32-byte string is a valid X25519 scalar
	}
	return p
}

// Public returns the public key of k.
func (k *PrivateKey) Public() PublicKey {
	return PublicKey(k.ecdh().PublicKey().Bytes())
}

// Ephemeral is a one-packet key pair.
type Ephemeral struct {
	priv *ecdh.PrivateKey
	Pub  PublicKey
}

// NewEphemeral makes a fresh ephemeral key pair (one scalar multiplication).
// The scalar is read from crypto/rand.Reader (ecdh's GenerateKey would
// ignore a Reader that tests replace to build the same seeds every run).
func NewEphemeral() (*Ephemeral, error) {
	k, err := NewPrivateKey()
	if err != nil {
		return nil, err
	}
	p := k.ecdh()
	return &Ephemeral{priv: p, Pub: PublicKey(p.PublicKey().Bytes())}, nil
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
	e, err := NewEphemeral()
	if err != nil {
		return PublicKey{}, nil, err
	}
	ct, err := e.Seal(dst, recipient, plaintext, ad)
	return e.Pub, ct, err
}

// SealWith is Seal with an ephemeral key chosen by the caller. The key must
// be fresh for every call.
func SealWith(dst []byte, eph *PrivateKey, recipient *PublicKey, plaintext, ad []byte) ([]byte, error) {
	p := eph.ecdh()
	e := &Ephemeral{priv: p, Pub: PublicKey(p.PublicKey().Bytes())}
	return e.Seal(dst, recipient, plaintext, ad)
}

// Seal encrypts with this ephemeral key, for callers that must commit to
// the ephemeral public key before sealing (a signature over it). Use each
// Ephemeral for one packet only.
func (e *Ephemeral) Seal(dst []byte, recipient *PublicKey, plaintext, ad []byte) ([]byte, error) {
	rp, err := x25519.NewPublicKey(recipient[:])
	if err != nil {
		return nil, errors.New("seal: invalid recipient key")
	}
	shared, err := e.priv.ECDH(rp)
	if err != nil {
		// Only a low-order recipient key gives an all-zero secret.
		return nil, errors.New("seal: invalid recipient key")
	}
	key, err := packetKey(shared, &e.Pub, recipient)
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
	priv *ecdh.PrivateKey
	pub  PublicKey
}

// NewOpener returns an Opener for priv.
func NewOpener(priv PrivateKey) *Opener {
	p := priv.ecdh()
	return &Opener{priv: p, pub: PublicKey(p.PublicKey().Bytes())}
}

// Public is the key packets must be sealed to for this Opener.
func (o *Opener) Public() PublicKey { return o.pub }

// Open decrypts a ciphertext sealed to this Opener's key with ephemeral key
// eph and associated data ad, appending the plaintext to dst. Any mismatch
// returns ErrOpen.
func (o *Opener) Open(dst []byte, eph *PublicKey, ciphertext, ad []byte) ([]byte, error) {
	ep, err := x25519.NewPublicKey(eph[:])
	if err != nil {
		return nil, ErrOpen
	}
	shared, err := o.priv.ECDH(ep)
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
