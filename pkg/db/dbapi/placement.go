package dbapi

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/wire"
)

// Placement names the providers that store a dataset, signed by its owner
// beside the metadata, so that whoever holds both can reach the dataset:
// a writer sends its changes to every provider named here, a reader asks
// any of them, and each provider finds the others here for anti-entropy.
// Like the metadata, only a higher Version signed by the owner replaces it
// (that is how a provider that is gone for good is replaced).
type Placement struct {
	Dataset   ID             `json:"dataset"`
	Owner     common.Address `json:"owner"`
	Version   uint64         `json:"version"`
	Providers []Provider     `json:"providers"`
	Sig       hexutil.Bytes  `json:"sig"`
}

// Provider is one provider of a placement: its Ethereum address (which
// signs its acknowledgements) and its libp2p peer id (how mf-route reaches
// it).
type Provider struct {
	Address common.Address `json:"address"`
	PeerID  string         `json:"peer_id"`
}

// MaxPeerID bounds a peer id's text form.
const MaxPeerID = 128

const placementVersion = 1

// body:
//
//	version   byte 1
//	dataset   32 bytes
//	owner     20 bytes
//	pversion  uint64
//	count     byte, 1 to MaxRedundancy
//	each      20-byte address, peer id as bytes (at most MaxPeerID)
func (p *Placement) body() []byte {
	var w wire.Writer
	w.Byte(placementVersion)
	w.Fixed(p.Dataset[:])
	w.Fixed(p.Owner[:])
	w.Uint64(p.Version)
	w.Byte(byte(len(p.Providers)))
	for _, pr := range p.Providers {
		w.Fixed(pr.Address[:])
		w.Bytes([]byte(pr.PeerID))
	}
	return w.B
}

func (p *Placement) digest() []byte {
	return crypto.Keccak256([]byte("mf/db/placement/v1"), p.body())
}

func (p *Placement) check() error {
	if p.Version == 0 {
		return fmt.Errorf("%w: placement version 0: versions start at 1", ErrInvalid)
	}
	if len(p.Providers) == 0 || len(p.Providers) > MaxRedundancy {
		return fmt.Errorf("%w: placement names %d providers: want 1 to %d", ErrInvalid, len(p.Providers), MaxRedundancy)
	}
	seen := map[common.Address]bool{}
	for _, pr := range p.Providers {
		if pr.PeerID == "" || len(pr.PeerID) > MaxPeerID || strings.ContainsFunc(pr.PeerID, func(r rune) bool { return r <= ' ' || r > '~' || r == '/' }) {
			return fmt.Errorf("%w: provider peer id %q", ErrInvalid, pr.PeerID)
		}
		if pr.Address == (common.Address{}) || seen[pr.Address] {
			return fmt.Errorf("%w: provider address %s is zero or repeats", ErrInvalid, pr.Address.Hex())
		}
		if pr.Address == p.Owner {
			return fmt.Errorf("%w: the owner cannot be one of its dataset's providers", ErrInvalid)
		}
		seen[pr.Address] = true
	}
	return nil
}

// Sign sets the owner to key's address and signs.
func (p *Placement) Sign(key *ecdsa.PrivateKey) error {
	p.Owner = crypto.PubkeyToAddress(key.PublicKey)
	if err := p.check(); err != nil {
		return err
	}
	sig, err := crypto.Sign(p.digest(), key)
	if err != nil {
		return err
	}
	p.Sig = sig
	return nil
}

// Verify checks the fields and that the owner signed them. A network
// table's placement has no owner and no signature: it is the R providers
// nearest the table's id (NearestProviders), which anyone can work out, so
// nobody signs it; a reader checks every row against the table's rules
// whoever stores it.
func (p *Placement) Verify() error {
	if err := p.check(); err != nil {
		return err
	}
	if p.Owner == (common.Address{}) {
		if len(p.Sig) != 0 {
			return fmt.Errorf("%w: a network table's placement carries no signature", ErrSignature)
		}
		return nil
	}
	signer, err := recoverAddr(p.digest(), p.Sig)
	if err != nil {
		return fmt.Errorf("placement: %w", err)
	}
	if signer != p.Owner {
		return fmt.Errorf("%w: placement claims owner %s but was signed by %s", ErrSignature, p.Owner.Hex(), signer.Hex())
	}
	return nil
}

// Fits checks that p places dataset m: same dataset and owner, and as many
// providers as its redundancy.
func (p *Placement) Fits(m *Meta) error {
	if p.Dataset != m.ID || p.Owner != m.Owner {
		return fmt.Errorf("%w: placement is for dataset %s of %s, not %s of %s", ErrInvalid, p.Dataset, p.Owner.Hex(), m.ID, m.Owner.Hex())
	}
	if len(p.Providers) != int(m.Redundancy) {
		return fmt.Errorf("%w: placement names %d providers, the dataset's redundancy is %d", ErrInvalid, len(p.Providers), m.Redundancy)
	}
	return nil
}

// Has reports whether addr is one of the providers.
func (p *Placement) Has(addr common.Address) bool {
	for _, pr := range p.Providers {
		if pr.Address == addr {
			return true
		}
	}
	return false
}

// Encode is the binary form: the body and the 65-byte signature.
func (p *Placement) Encode() []byte { return append(p.body(), p.Sig...) }

// DecodePlacement reads the binary form and verifies it.
func DecodePlacement(b []byte) (*Placement, error) {
	if len(b) > 1+32+20+8+1+MaxRedundancy*(20+2+MaxPeerID)+crypto.SignatureLength {
		return nil, fmt.Errorf("%w: placement of %d bytes", ErrInvalid, len(b))
	}
	r := wire.NewReader(b)
	if v := r.Byte(); r.Err() == nil && v != placementVersion {
		return nil, fmt.Errorf("%w: placement version %d", ErrInvalid, v)
	}
	p := &Placement{}
	copy(p.Dataset[:], r.Fixed(32))
	copy(p.Owner[:], r.Fixed(20))
	p.Version = r.Uint64()
	n := int(r.Byte())
	if n > MaxRedundancy {
		return nil, fmt.Errorf("%w: placement names %d providers, at most %d", ErrInvalid, n, MaxRedundancy)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		var pr Provider
		copy(pr.Address[:], r.Fixed(20))
		pr.PeerID = string(r.Bytes(MaxPeerID))
		p.Providers = append(p.Providers, pr)
	}
	if p.Owner != (common.Address{}) {
		p.Sig = bytes.Clone(r.Fixed(crypto.SignatureLength))
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: placement: %v", ErrInvalid, err)
	}
	if err := p.Verify(); err != nil {
		return nil, err
	}
	return p, nil
}

// Ref is what a user hands to others so that they can use a dataset: its
// metadata and placement, both signed by the owner, so that the receiver
// trusts neither the sender nor the providers. Its text form is
// "mfdb1:" and the unpadded base64url of the JSON.
type Ref struct {
	Meta      *Meta      `json:"meta"`
	Placement *Placement `json:"placement,omitempty"`
}

const refPrefix = "mfdb1:"

// MaxRef bounds a reference's text form.
const MaxRef = 256 << 10

// String is the text form.
func (r *Ref) String() string {
	b, _ := json.Marshal(r)
	return refPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// Verify checks both records and that they fit.
func (r *Ref) Verify() error {
	if r.Meta == nil {
		return fmt.Errorf("%w: reference without metadata", ErrInvalid)
	}
	if err := r.Meta.Verify(); err != nil {
		return err
	}
	if r.Placement == nil {
		if r.Meta.Redundancy > 0 {
			return fmt.Errorf("%w: reference to a dataset of redundancy %d names no providers", ErrInvalid, r.Meta.Redundancy)
		}
		return nil
	}
	if err := r.Placement.Verify(); err != nil {
		return err
	}
	return r.Placement.Fits(r.Meta)
}

// ParseRef reads a reference's text form and verifies it.
func ParseRef(s string) (*Ref, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxRef || !strings.HasPrefix(s, refPrefix) {
		return nil, fmt.Errorf("%w: not a dataset reference (mf-db ref NAME prints one: %s...)", ErrInvalid, refPrefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(s[len(refPrefix):])
	if err != nil {
		return nil, fmt.Errorf("%w: dataset reference: %v", ErrInvalid, err)
	}
	var r Ref
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: dataset reference: %v", ErrInvalid, err)
	}
	if err := r.Verify(); err != nil {
		return nil, err
	}
	return &r, nil
}

// AckResult is a provider's answer to changes sent to it: its signed
// acknowledgements of them and, when it staked for the dataset, its court
// promise for each change (promise.go).
type AckResult struct {
	Acks   []*Ack      `json:"acks"`
	Claims []*RowClaim `json:"claims,omitempty"`
}

// MissingRequest asks a provider for the changes it holds above Version,
// at most Limit (0: as many as it sends at once).
type MissingRequest struct {
	Version Version `json:"version"`
	Limit   int     `json:"limit,omitempty"`
}

// RefResult is a dataset's reference, in its text form and as records.
type RefResult struct {
	Ref       string     `json:"ref"`
	Meta      *Meta      `json:"meta"`
	Placement *Placement `json:"placement,omitempty"`
}

// OpenRequest stores a dataset reference (Ref's text form) on this node.
type OpenRequest struct {
	Ref string `json:"ref"`
}

// ProviderDigest is one provider's digest of a dataset, or why it gave
// none.
type ProviderDigest struct {
	Provider Provider `json:"provider"`
	Digest   *Digest  `json:"digest,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// SyncResult is what one anti-entropy round did.
type SyncResult struct {
	Datasets int      `json:"datasets"`
	Received int      `json:"received"`
	Sent     int      `json:"sent"`
	Errors   []string `json:"errors,omitempty"`
}

// ReplaceRequest asks the owner's daemon to replace a provider that is
// gone for good with another found through discovery.
type ReplaceRequest struct {
	Provider string  `json:"provider"`
	MaxPrice string  `json:"max_price,omitempty"`
	MinScore float64 `json:"min_score,omitempty"`
}

// NetworkPlacement is the placement of network table id on providers,
// which must be the nearest to it (NearestProviders).
func NetworkPlacement(id ID, providers []Provider) (*Placement, error) {
	p := &Placement{Dataset: id, Version: 1, Providers: providers}
	if err := p.check(); err != nil {
		return nil, err
	}
	return p, nil
}

// Candidate is a node offering db service, with its overlay address.
type Candidate struct {
	Provider
	Overlay [32]byte
}

// NearestProviders picks the r candidates whose overlay addresses are
// nearest id by XOR, the Kademlia distance, nearest first.
func NearestProviders(id ID, cands []Candidate, r int) []Provider {
	cs := slices.Clone(cands)
	dist := func(o [32]byte) []byte {
		d := make([]byte, 32)
		for i := range d {
			d[i] = o[i] ^ id[i]
		}
		return d
	}
	slices.SortStableFunc(cs, func(a, b Candidate) int { return bytes.Compare(dist(a.Overlay), dist(b.Overlay)) })
	var out []Provider
	for _, c := range cs {
		if len(out) == r {
			break
		}
		if !slices.ContainsFunc(out, func(p Provider) bool { return p.Address == c.Address }) {
			out = append(out, c.Provider)
		}
	}
	return out
}

// TableRequest defines a network table: a dataset that belongs to no one,
// placed on the R db providers nearest its id. Rules are in Rule's text
// form; insert, update and delete may be "self" (a row keyed by the
// writer's address) or "claim" (the first writer of a key owns it).
type TableRequest struct {
	Name       string   `json:"name"`
	Read       string   `json:"read"`
	Insert     string   `json:"insert"`
	Update     string   `json:"update"`
	Delete     string   `json:"delete"`
	Indexes    []string `json:"indexes,omitempty"`
	Redundancy uint8    `json:"redundancy"`
	Quorum     uint8    `json:"quorum,omitempty"`
}

// ProvideRequest sets what a node sells db service at: Price per request
// (base units) for peers of at least MinScore, StoragePrice per KiB·day
// stored (empty: storage is not charged; a write pays for 30 days), and
// Stake (base units, empty or 0: none) that it stakes through mf-court for
// each owner whose dataset it takes, for StakeTerm seconds (0: 30 days).
type ProvideRequest struct {
	Price        string  `json:"price"`
	StoragePrice string  `json:"storage_price,omitempty"`
	MinScore     float64 `json:"min_score,omitempty"`
	Stake        string  `json:"stake,omitempty"`
	StakeTerm    int64   `json:"stake_term,omitempty"`
}

// RowCheck is one provider's answer for a row, checked: OK when it
// verifies against the owner's metadata, else Error says why.
type RowCheck struct {
	Provider Provider       `json:"provider"`
	OK       bool           `json:"ok"`
	Writer   common.Address `json:"writer,omitempty"`
	Seq      uint64         `json:"seq,omitempty"`
	Time     uint64         `json:"time,omitempty"`
	Error    string         `json:"error,omitempty"`
}
