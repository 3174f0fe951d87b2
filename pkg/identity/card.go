package identity

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/mainframe/mf/pkg/wire"
)

// A contact card is the unit two people exchange out of band: the public
// identity key, the encryption key, where the node listens, when the card was
// made, and a signature by the identity key over all of it. Everything else
// (peer ID, overlay, Ethereum address) is derived from the key, so a card
// cannot claim an address it does not own.
//
// Binary layout, version 1:
//
//	version  1 byte (1)
//	key      33 bytes, compressed secp256k1
//	enc      32 bytes, X25519
//	created  8 bytes, unix seconds, big-endian
//	naddrs   1 byte, at most MaxCardAddrs
//	addrs    naddrs × (varint length ≤ 255, binary multiaddr)
//	sig      65 bytes, secp256k1 over Keccak-256("mf/card/v1" ‖ all of the above)
//
// The text form is CardPrefix followed by the layout in unpadded base64url:
// one word, safe in shells and chat.
const (
	CardPrefix   = "mfc1"
	cardVersion  = 1
	MaxCardAddrs = 16
	maxAddrLen   = 255
	// MaxCardText bounds the text form of a card.
	MaxCardText = 8 << 10
)

// ErrCard means a card is malformed, forged or altered.
var ErrCard = errors.New("identity: invalid contact card")

// Card is a verified contact card.
type Card struct {
	Public
	Addrs   []ma.Multiaddr
	Created time.Time
	raw     []byte
}

// NewCard signs a card for id with the given addresses.
func (id *Identity) NewCard(addrs []ma.Multiaddr, now time.Time) (*Card, error) {
	if len(addrs) > MaxCardAddrs {
		addrs = addrs[:MaxCardAddrs]
	}
	pub := id.Public()
	var w wire.Writer
	w.Byte(cardVersion)
	w.Fixed(crypto.CompressPubkey(pub.Key))
	w.Fixed(pub.Enc[:])
	w.Uint64(uint64(now.Unix()))
	w.Byte(byte(len(addrs)))
	for _, a := range addrs {
		if len(a.Bytes()) > maxAddrLen {
			return nil, fmt.Errorf("identity: address %s too long for a card", a)
		}
		w.Bytes(a.Bytes())
	}
	sig, err := crypto.Sign(cardHash(w.B), id.Key)
	if err != nil {
		return nil, err
	}
	w.Fixed(sig)
	return DecodeCard(w.B)
}

func cardHash(body []byte) []byte {
	return crypto.Keccak256([]byte("mf/card/v1"), body)
}

// DecodeCard parses and verifies the binary form of a card.
func DecodeCard(b []byte) (*Card, error) {
	r := wire.NewReader(b)
	if v := r.Byte(); r.Err() == nil && v != cardVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrCard, v)
	}
	keyb := r.Fixed(33)
	encb := r.Fixed(32)
	created := r.Uint64()
	n := int(r.Byte())
	if n > MaxCardAddrs {
		return nil, fmt.Errorf("%w: %d addresses, at most %d", ErrCard, n, MaxCardAddrs)
	}
	addrs := make([]ma.Multiaddr, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		ab := r.Bytes(maxAddrLen)
		if r.Err() != nil {
			break
		}
		a, err := ma.NewMultiaddrBytes(ab)
		if err != nil {
			return nil, fmt.Errorf("%w: address %d: %v", ErrCard, i+1, err)
		}
		addrs = append(addrs, a)
	}
	bodyLen := len(b) - r.Len()
	sig := r.Fixed(65)
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCard, err)
	}
	if created > 1<<40 {
		return nil, fmt.Errorf("%w: creation time out of range", ErrCard)
	}
	key, err := crypto.DecompressPubkey(keyb)
	if err != nil {
		return nil, fmt.Errorf("%w: bad identity key", ErrCard)
	}
	signer, err := crypto.SigToPub(cardHash(b[:bodyLen]), sig)
	if err != nil || !signer.Equal(key) {
		return nil, fmt.Errorf("%w: signature does not match the card's key", ErrCard)
	}
	c := &Card{Addrs: addrs, Created: time.Unix(int64(created), 0), raw: bytes.Clone(b)}
	c.Key = key
	copy(c.Enc[:], encb)
	return c, nil
}

// Bytes is the binary form.
func (c *Card) Bytes() []byte { return c.raw }

// String is the text form, for humans and shells.
func (c *Card) String() string {
	return CardPrefix + base64.RawURLEncoding.EncodeToString(c.raw)
}

// ParseCard parses and verifies the text form of a card.
func ParseCard(s string) (*Card, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxCardText {
		return nil, fmt.Errorf("%w: over %d characters", ErrCard, MaxCardText)
	}
	body, ok := strings.CutPrefix(s, CardPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: does not start with %q", ErrCard, CardPrefix)
	}
	// One card has one text form. The decoder ignores the unused low bits
	// of the last character (unless Strict) and skips line breaks (even
	// then), so a card with its last character changed or its line broken
	// would parse as the same card under another spelling; the re-encoding
	// must give the input back.
	b, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil || base64.RawURLEncoding.EncodeToString(b) != body {
		return nil, fmt.Errorf("%w: not canonical base64url", ErrCard)
	}
	return DecodeCard(b)
}

// LooksLikeCard reports whether s is meant as a card (it may still be invalid).
func LooksLikeCard(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), CardPrefix) }
