// Package identity holds a node's keys and the contact cards that carry
// their public halves.
//
// A node has one secp256k1 identity key, kept in go-ethereum's encrypted
// keystore format. From it come the Ethereum address (cheques, stakes), the
// libp2p peer ID, and the 256-bit overlay address: SHA-256 of the peer ID,
// which is exactly the key Kademlia places the peer at. The X25519
// encryption key is derived from the identity key with HKDF, so the keystore
// is the one secret to back up and there is nothing else to lose or leak.
package identity

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"
	p2pcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/crypto/hkdf"

	"github.com/mainframe/mf/pkg/seal"
)

// KeyFile is the keystore file inside a home.
const KeyFile = "keystore/identity.json"

var (
	// ErrExists means a home already holds a node.
	ErrExists = errors.New("identity: a node already exists here")
	// ErrNoKey means the home holds no keystore.
	ErrNoKey = errors.New("identity: no keystore")
	// ErrPassword means the keystore did not open with the password given.
	ErrPassword = errors.New("identity: wrong password for the keystore")
)

// Overlay is a 256-bit address in the Kademlia key space.
type Overlay [32]byte

func (o Overlay) String() string { return hex.EncodeToString(o[:]) }

// MarshalText encodes o as hex for JSON.
func (o Overlay) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText decodes the hex form.
func (o *Overlay) UnmarshalText(b []byte) error {
	v, err := ParseOverlay(string(b))
	if err != nil {
		return err
	}
	*o = v
	return nil
}

// ParseOverlay parses 64 hex digits, with or without 0x.
func ParseOverlay(s string) (Overlay, error) {
	var o Overlay
	s = strings.TrimPrefix(strings.ToLower(s), "0x")
	if len(s) != 64 {
		return o, fmt.Errorf("identity: overlay address must be 64 hex digits, got %d characters", len(s))
	}
	if _, err := hex.Decode(o[:], []byte(s)); err != nil {
		return o, fmt.Errorf("identity: overlay address is not hex: %w", err)
	}
	return o, nil
}

// OverlayOf is the overlay address of a peer.
func OverlayOf(id peer.ID) Overlay { return sha256.Sum256([]byte(id)) }

// Public is the public half of an identity.
type Public struct {
	Key *ecdsa.PublicKey
	Enc seal.PublicKey
}

// PeerID is the libp2p peer ID of the identity key.
//
// libp2p inlines small keys into the ID: an identity multihash (0x00, the
// length) of the protobuf PublicKey{Type: Secp256k1 (2), Data: compressed
// key}. Building those bytes directly saves decompressing the key (a field
// square root) on every packet; TestPeerIDMatchesLibp2p keeps it honest.
func (p Public) PeerID() peer.ID {
	c := crypto.CompressPubkey(p.Key)
	b := make([]byte, 0, 6+len(c))
	b = append(b, 0x00, byte(4+len(c)), 0x08, 0x02, 0x12, byte(len(c)))
	return peer.ID(append(b, c...))
}

// Overlay is the overlay address.
func (p Public) Overlay() Overlay { return OverlayOf(p.PeerID()) }

// Address is the Ethereum address.
func (p Public) Address() common.Address { return crypto.PubkeyToAddress(*p.Key) }

// PublicFromCompressed builds a Public (without encryption key) from a
// compressed secp256k1 key, as peer IDs carry it.
func PublicFromCompressed(b []byte) (Public, error) {
	k, err := crypto.DecompressPubkey(b)
	if err != nil {
		return Public{}, fmt.Errorf("identity: %w", err)
	}
	return Public{Key: k}, nil
}

// Identity is a node's private keys.
type Identity struct {
	Key *ecdsa.PrivateKey
	Enc seal.PrivateKey

	encPub seal.PublicKey // cached: deriving it costs an X25519 operation
}

// FromKey builds an identity around an identity key, deriving its X25519 key.
func FromKey(k *ecdsa.PrivateKey) (*Identity, error) {
	id := &Identity{Key: k}
	r := hkdf.New(sha256.New, crypto.FromECDSA(k), nil, []byte("mf/x25519/v1"))
	if _, err := io.ReadFull(r, id.Enc[:]); err != nil {
		return nil, err
	}
	id.encPub = id.Enc.Public()
	return id, nil
}

// Generate makes a new random identity.
func Generate() (*Identity, error) {
	k, err := crypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	return FromKey(k)
}

// Public returns the public half.
func (id *Identity) Public() Public {
	enc := id.encPub
	if enc == (seal.PublicKey{}) {
		enc = id.Enc.Public()
	}
	return Public{Key: &id.Key.PublicKey, Enc: enc}
}

// P2PKey is the identity key in libp2p's form, for the host.
func (id *Identity) P2PKey() p2pcrypto.PrivKey {
	k, err := p2pcrypto.UnmarshalSecp256k1PrivateKey(crypto.FromECDSA(id.Key))
	if err != nil {
		panic(err)
	}
	return k
}

// Save writes the identity key encrypted with password to home's keystore.
// A development node (light is true) uses cheap scrypt parameters so that it
// starts in milliseconds; a real node uses go-ethereum's standard ones.
// It refuses to overwrite an existing keystore.
func (id *Identity) Save(home, password string, light bool) error {
	path := filepath.Join(home, KeyFile)
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%w: %s", ErrExists, path)
	}
	n, p := keystore.StandardScryptN, keystore.StandardScryptP
	if light {
		n, p = keystore.LightScryptN, keystore.LightScryptP
	}
	key := &keystore.Key{Id: uuid.New(), Address: crypto.PubkeyToAddress(id.Key.PublicKey), PrivateKey: id.Key}
	b, err := keystore.EncryptKey(key, password, n, p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	// O_EXCL: two concurrent inits cannot both win.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%w: %s", ErrExists, path)
		}
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Load decrypts home's keystore with password.
func Load(home, password string) (*Identity, error) {
	path := filepath.Join(home, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNoKey, path)
	}
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	k, err := decryptKey(b, password)
	if errors.Is(err, keystore.ErrDecrypt) {
		return nil, ErrPassword
	}
	if err != nil {
		return nil, fmt.Errorf("identity: keystore %s is corrupt: %v", path, err)
	}
	return FromKey(k.PrivateKey)
}

// decryptKey is keystore.DecryptKey made safe for damaged files: go-ethereum
// assumes well-typed KDF parameters and panics on others.
func decryptKey(b []byte, password string) (k *keystore.Key, err error) {
	defer func() {
		if r := recover(); r != nil {
			k, err = nil, fmt.Errorf("malformed keystore: %v", r)
		}
	}()
	return keystore.DecryptKey(b, password)
}
