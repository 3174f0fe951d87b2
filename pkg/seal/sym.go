package seal

import (
	"crypto/rand"
	"errors"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
)

// Symmetric sealing for sessions and groups, whose members share a key
// agreed earlier: XChaCha20-Poly1305 with a random 24-byte nonce per packet,
// so no key agreement is paid per packet and no key travels with it.

// NonceSize is the size of a symmetric nonce.
const NonceSize = chacha20poly1305.NonceSizeX

// SymKey is a shared 256-bit key.
type SymKey [32]byte

// NewSymKey returns a random key.
func NewSymKey() (SymKey, error) {
	var k SymKey
	_, err := io.ReadFull(rand.Reader, k[:])
	return k, err
}

// SealSym encrypts plaintext under key with nonce (NonceSize bytes, never
// reused with the same key), authenticating ad, and appends to dst.
func SealSym(dst []byte, key *SymKey, nonce, plaintext, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return nil, err
	}
	if len(nonce) != NonceSize {
		return nil, errors.New("seal: bad nonce size")
	}
	return aead.Seal(dst, nonce, plaintext, ad), nil
}

// OpenSym reverses SealSym; ErrOpen for a wrong key or altered bytes.
func OpenSym(dst []byte, key *SymKey, nonce, ciphertext, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return nil, err
	}
	if len(nonce) != NonceSize {
		return nil, ErrOpen
	}
	out, err := aead.Open(dst, nonce, ciphertext, ad)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
