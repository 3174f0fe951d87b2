package dbapi

import (
	"bytes"
	"crypto/ecdsa"
	"fmt"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/wire"
)

// RuleKind says who a rule lets in.
type RuleKind byte

// The rule kinds. Their numbers are part of the signed encoding.
const (
	// RuleOwner: the owner only.
	RuleOwner RuleKind = 1
	// RuleAnyone: any address that signs.
	RuleAnyone RuleKind = 2
	// RuleList: the listed addresses (and the owner). "contacts" is
	// expanded into a list by the owner's client, because a provider
	// cannot see the owner's contacts.
	RuleList RuleKind = 3
	// RuleSelf: a row may be written only by the address its key names
	// (KeyNames), for tables with one row per address. Writes only.
	RuleSelf RuleKind = 4
	// RuleClaim: the first writer of a key (in the order of docs/db.md)
	// owns it; other writers' changes to it have no effect. Writes only.
	RuleClaim RuleKind = 5
)

// Rule is one operation's entry in an ACL.
type Rule struct {
	Kind  RuleKind
	Addrs []common.Address // RuleList only, sorted and without repeats
}

// Owner, Anyone, Self and Claim are the rules without addresses.
var (
	Owner  = Rule{Kind: RuleOwner}
	Anyone = Rule{Kind: RuleAnyone}
	Self   = Rule{Kind: RuleSelf}
	Claim  = Rule{Kind: RuleClaim}
)

// List is the rule that lets addrs in, sorted and without repeats.
func List(addrs ...common.Address) Rule {
	a := slices.Clone(addrs)
	slices.SortFunc(a, func(x, y common.Address) int { return bytes.Compare(x[:], y[:]) })
	return Rule{Kind: RuleList, Addrs: slices.Compact(a)}
}

// String is the rule's text form: owner, anyone, self, claim, or the
// listed addresses separated by commas.
func (r Rule) String() string {
	switch r.Kind {
	case RuleOwner:
		return "owner"
	case RuleAnyone:
		return "anyone"
	case RuleSelf:
		return "self"
	case RuleClaim:
		return "claim"
	case RuleList:
		s := make([]string, len(r.Addrs))
		for i, a := range r.Addrs {
			s[i] = strings.ToLower(a.Hex())
		}
		return strings.Join(s, ",")
	}
	return fmt.Sprintf("rule(%d)", byte(r.Kind))
}

// ParseRule reads the text form. "contacts" is refused: the owner's client
// expands it into addresses before the metadata is signed.
func ParseRule(s string) (Rule, error) {
	switch s {
	case "owner":
		return Owner, nil
	case "anyone":
		return Anyone, nil
	case "self":
		return Self, nil
	case "claim":
		return Claim, nil
	case "contacts":
		return Rule{}, fmt.Errorf("%w: rule \"contacts\" must be expanded into addresses by the owner's client", ErrInvalid)
	case "":
		return Rule{}, fmt.Errorf("%w: empty rule: want owner, anyone, self, claim or addresses", ErrInvalid)
	}
	var addrs []common.Address
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if !common.IsHexAddress(p) || !strings.HasPrefix(strings.ToLower(p), "0x") {
			return Rule{}, fmt.Errorf("%w: rule %q: %q is not owner, anyone, self, claim or a 0x address", ErrInvalid, s, p)
		}
		addrs = append(addrs, common.HexToAddress(p))
	}
	return List(addrs...), nil
}

// MarshalText writes the text form.
func (r Rule) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads the text form.
func (r *Rule) UnmarshalText(b []byte) error {
	v, err := ParseRule(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// KeyNames reports whether a row key names addr: the key is addr in
// lower-case hex with 0x, alone or followed by '/' and more.
func KeyNames(key string, addr common.Address) bool {
	a := strings.ToLower(addr.Hex())
	rest, ok := strings.CutPrefix(key, a)
	return ok && (rest == "" || rest[0] == '/')
}

// ACL is who may do what in a dataset.
type ACL struct {
	Read   Rule `json:"read"`
	Insert Rule `json:"insert"`
	Update Rule `json:"update"`
	Delete Rule `json:"delete"`
}

// Rule returns the rule for a right.
func (a *ACL) Rule(r Right) *Rule {
	switch r {
	case Read:
		return &a.Read
	case Insert:
		return &a.Insert
	case Update:
		return &a.Update
	default:
		return &a.Delete
	}
}

// Kind is what a dataset holds.
type Kind byte

// The dataset kinds.
const (
	// KindTable: rows are JSON documents or raw bytes.
	KindTable Kind = 0
	// KindMailbox: rows are raw bytes sealed to the owner (SealMail), so
	// that providers store only ciphertext.
	KindMailbox Kind = 1
)

func (k Kind) String() string {
	switch k {
	case KindTable:
		return "table"
	case KindMailbox:
		return "mailbox"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// MarshalText writes table or mailbox.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads table or mailbox.
func (k *Kind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "table":
		*k = KindTable
	case "mailbox":
		*k = KindMailbox
	default:
		return fmt.Errorf("%w: dataset kind %q: want table or mailbox", ErrInvalid, b)
	}
	return nil
}

// Meta is a dataset's metadata. For an owned dataset the owner signs all
// of it, and only a higher Version signed by the same owner replaces it.
// A network table has no owner (the zero address), no card and no
// signature; its id is the hash of the rest, so two tables with one id
// have one definition.
type Meta struct {
	ID    ID             `json:"id"`
	Owner common.Address `json:"owner"`
	Name  string         `json:"name"`
	// Card is the owner's signed contact card (identity.ParseCard), so
	// that anyone holding the metadata can seal to the owner.
	Card       string   `json:"card,omitempty"`
	Kind       Kind     `json:"kind"`
	ACL        ACL      `json:"acl"`
	Indexes    []string `json:"indexes"`
	Redundancy uint8    `json:"redundancy"`
	Quorum     uint8    `json:"quorum"`
	Version    uint64   `json:"version"`
	// Sig is the owner's signature over keccak256("mf/db/meta/v1" ||
	// body); empty for a network table.
	Sig hexutil.Bytes `json:"sig,omitempty"`
}

const metaVersion = 1

// Network reports whether m is a network table (no owner).
func (m *Meta) Network() bool { return m.Owner == (common.Address{}) }

// Indexed reports whether field is indexed.
func (m *Meta) Indexed(field string) bool { return slices.Contains(m.Indexes, field) }

// normalize sorts what the encoding keeps sorted.
func (m *Meta) normalize() {
	for r := Read; r < numRights; r++ {
		if rule := m.ACL.Rule(r); rule.Kind == RuleList {
			*rule = List(rule.Addrs...)
		}
	}
	m.Indexes = slices.Compact(slices.Sorted(slices.Values(m.Indexes)))
}

// check validates every field but the id and the signature.
func (m *Meta) check() error {
	if err := checkWord("dataset name", m.Name, MaxName); err != nil {
		return err
	}
	if m.Kind != KindTable && m.Kind != KindMailbox {
		return fmt.Errorf("%w: dataset kind %d", ErrInvalid, byte(m.Kind))
	}
	if m.Network() {
		if m.Card != "" {
			return fmt.Errorf("%w: a network table has no owner card", ErrInvalid)
		}
		if m.Kind == KindMailbox {
			return fmt.Errorf("%w: a mailbox needs an owner", ErrInvalid)
		}
	} else {
		if len(m.Card) > MaxCard {
			return fmt.Errorf("%w: owner card over %d bytes", ErrInvalid, MaxCard)
		}
		c, err := identity.ParseCard(m.Card)
		if err != nil {
			return fmt.Errorf("%w: owner card: %v", ErrInvalid, err)
		}
		if c.Address() != m.Owner {
			return fmt.Errorf("%w: owner card is for %s, not the owner %s", ErrInvalid, c.Address().Hex(), m.Owner.Hex())
		}
	}
	for r := Read; r < numRights; r++ {
		rule := m.ACL.Rule(r)
		switch rule.Kind {
		case RuleOwner:
			if m.Network() {
				return fmt.Errorf("%w: %s rule \"owner\" in a network table, which has no owner", ErrInvalid, r)
			}
		case RuleAnyone:
		case RuleSelf, RuleClaim:
			if r == Read {
				return fmt.Errorf("%w: read rule %q: self and claim govern writes only", ErrInvalid, rule)
			}
		case RuleList:
			if len(rule.Addrs) == 0 {
				return fmt.Errorf("%w: %s rule lists no address", ErrInvalid, r)
			}
			if len(rule.Addrs) > MaxRuleAddrs {
				return fmt.Errorf("%w: %s rule lists %d addresses, at most %d", ErrInvalid, r, len(rule.Addrs), MaxRuleAddrs)
			}
			for i := 1; i < len(rule.Addrs); i++ {
				if bytes.Compare(rule.Addrs[i-1][:], rule.Addrs[i][:]) >= 0 {
					return fmt.Errorf("%w: %s rule's addresses are not sorted or repeat", ErrInvalid, r)
				}
			}
		default:
			return fmt.Errorf("%w: %s rule of unknown kind %d", ErrInvalid, r, byte(rule.Kind))
		}
	}
	if len(m.Indexes) > MaxIndexes {
		return fmt.Errorf("%w: %d indexed fields, at most %d", ErrInvalid, len(m.Indexes), MaxIndexes)
	}
	if m.Kind == KindMailbox && len(m.Indexes) > 0 {
		return fmt.Errorf("%w: a mailbox's rows are sealed and cannot be indexed", ErrInvalid)
	}
	for i, f := range m.Indexes {
		if err := checkWord("indexed field", f, MaxField); err != nil {
			return err
		}
		if i > 0 && m.Indexes[i-1] >= f {
			return fmt.Errorf("%w: indexed fields are not sorted or repeat", ErrInvalid)
		}
	}
	if m.Redundancy > MaxRedundancy {
		return fmt.Errorf("%w: redundancy %d, at most %d", ErrInvalid, m.Redundancy, MaxRedundancy)
	}
	if m.Quorum > m.Redundancy || (m.Redundancy > 0 && m.Quorum == 0) {
		return fmt.Errorf("%w: write quorum %d with redundancy %d: want 1 to R (0 when R is 0)", ErrInvalid, m.Quorum, m.Redundancy)
	}
	if m.Version == 0 {
		return fmt.Errorf("%w: metadata version 0: versions start at 1", ErrInvalid)
	}
	return nil
}

// body is the canonical encoding of everything but the id and signature:
//
//	version    byte 1
//	owner      20 bytes (zero: network table)
//	name       bytes, at most MaxName
//	card       bytes, at most MaxCard (the text form)
//	kind       byte
//	4 rules    read, insert, update, delete: kind byte, and for a list a
//	           uvarint count then that many 20-byte addresses, ascending
//	indexes    byte count, then each as bytes, ascending
//	R, W       byte, byte
//	mversion   uint64
func (m *Meta) body() []byte {
	var w wire.Writer
	w.Byte(metaVersion)
	w.Fixed(m.Owner[:])
	w.Bytes([]byte(m.Name))
	w.Bytes([]byte(m.Card))
	w.Byte(byte(m.Kind))
	for r := Read; r < numRights; r++ {
		rule := m.ACL.Rule(r)
		w.Byte(byte(rule.Kind))
		if rule.Kind == RuleList {
			w.Uvarint(uint64(len(rule.Addrs)))
			for _, a := range rule.Addrs {
				w.Fixed(a[:])
			}
		}
	}
	w.Byte(byte(len(m.Indexes)))
	for _, f := range m.Indexes {
		w.Bytes([]byte(f))
	}
	w.Byte(m.Redundancy)
	w.Byte(m.Quorum)
	w.Uint64(m.Version)
	return w.B
}

// Digest is what the owner signs.
func (m *Meta) Digest() []byte { return crypto.Keccak256([]byte("mf/db/meta/v1"), m.body()) }

// wantID is the id the fields give.
func (m *Meta) wantID() ID {
	if m.Network() {
		return ID(crypto.Keccak256Hash([]byte("mf/db/network/v1"), m.body()))
	}
	return DatasetID(m.Owner, m.Name)
}

// Sign fills in the owner (the key's address), sorts the lists, checks
// every field, sets the id and signs.
func (m *Meta) Sign(key *ecdsa.PrivateKey) error {
	m.Owner = crypto.PubkeyToAddress(key.PublicKey)
	m.normalize()
	if err := m.check(); err != nil {
		return err
	}
	m.ID = m.wantID()
	sig, err := crypto.Sign(m.Digest(), key)
	if err != nil {
		return err
	}
	m.Sig = sig
	return nil
}

// SetNetworkID completes a network table's metadata (Owner zero): it sorts
// the lists, checks every field and sets the id.
func (m *Meta) SetNetworkID() error {
	if !m.Network() {
		return fmt.Errorf("%w: a network table has no owner", ErrInvalid)
	}
	m.normalize()
	if err := m.check(); err != nil {
		return err
	}
	m.Sig = nil
	m.ID = m.wantID()
	return nil
}

// Verify checks everything: the fields, the id, the card, and that the
// owner signed it (a network table: that it carries no signature).
func (m *Meta) Verify() error {
	if err := m.check(); err != nil {
		return err
	}
	if m.ID != m.wantID() {
		return fmt.Errorf("%w: dataset id %s does not match its owner and name", ErrInvalid, m.ID)
	}
	if m.Network() {
		if len(m.Sig) != 0 {
			return fmt.Errorf("%w: a network table carries no signature", ErrSignature)
		}
		return nil
	}
	signer, err := recoverAddr(m.Digest(), m.Sig)
	if err != nil {
		return fmt.Errorf("dataset metadata: %w", err)
	}
	if signer != m.Owner {
		return fmt.Errorf("%w: dataset metadata signed by %s, not its owner %s", ErrSignature, signer.Hex(), m.Owner.Hex())
	}
	return nil
}

// Encode is the binary form: the body, then the 65-byte signature of an
// owned dataset.
func (m *Meta) Encode() []byte {
	return append(m.body(), m.Sig...)
}

// maxMetaEncoded bounds an encoded metadata record: the card and four full
// address lists.
const maxMetaEncoded = 1 + 20 + 1 + MaxName + 2 + MaxCard + 1 + 4*(1+2+20*MaxRuleAddrs) + 1 + MaxIndexes*(1+MaxField) + 2 + 8 + 65

// DecodeMeta reads the binary form and verifies it (Verify).
func DecodeMeta(b []byte) (*Meta, error) {
	if len(b) > maxMetaEncoded {
		return nil, fmt.Errorf("%w: metadata of %d bytes", ErrInvalid, len(b))
	}
	r := wire.NewReader(b)
	if v := r.Byte(); r.Err() == nil && v != metaVersion {
		return nil, fmt.Errorf("%w: metadata version %d", ErrInvalid, v)
	}
	m := &Meta{}
	copy(m.Owner[:], r.Fixed(20))
	m.Name = string(r.Bytes(MaxName))
	m.Card = string(r.Bytes(MaxCard))
	m.Kind = Kind(r.Byte())
	for right := Read; right < numRights && r.Err() == nil; right++ {
		rule := m.ACL.Rule(right)
		rule.Kind = RuleKind(r.Byte())
		if rule.Kind == RuleList {
			n := r.Uvarint()
			if n > MaxRuleAddrs {
				return nil, fmt.Errorf("%w: %s rule lists %d addresses, at most %d", ErrInvalid, right, n, MaxRuleAddrs)
			}
			for i := uint64(0); i < n && r.Err() == nil; i++ {
				rule.Addrs = append(rule.Addrs, common.BytesToAddress(r.Fixed(20)))
			}
		}
	}
	n := int(r.Byte())
	if n > MaxIndexes {
		return nil, fmt.Errorf("%w: %d indexed fields, at most %d", ErrInvalid, n, MaxIndexes)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		m.Indexes = append(m.Indexes, string(r.Bytes(MaxField)))
	}
	m.Redundancy = r.Byte()
	m.Quorum = r.Byte()
	m.Version = r.Uint64()
	if !m.Network() {
		m.Sig = r.Fixed(crypto.SignatureLength)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: metadata: %v", ErrInvalid, err)
	}
	m.Sig = bytes.Clone(m.Sig)
	if m.Indexes == nil {
		m.Indexes = []string{}
	}
	m.ID = m.wantID()
	if err := m.Verify(); err != nil {
		return nil, err
	}
	return m, nil
}

// Allowed checks, without any row state, whether addr may use right on the
// row key: the owner may do anything; otherwise the right's rule decides.
// A claim rule lets anyone through here; whether the key is already
// claimed depends on the rows, which the engine decides.
func (m *Meta) Allowed(right Right, addr common.Address, key string) error {
	if !m.Network() && addr == m.Owner {
		return nil
	}
	rule := m.ACL.Rule(right)
	ok := false
	switch rule.Kind {
	case RuleAnyone, RuleClaim:
		ok = true
	case RuleList:
		_, ok = slices.BinarySearchFunc(rule.Addrs, addr, func(x, y common.Address) int { return bytes.Compare(x[:], y[:]) })
	case RuleSelf:
		if KeyNames(key, addr) {
			return nil
		}
		return fmt.Errorf("%w: %s may %s only rows keyed by its own address, not %q", ErrDenied, addr.Hex(), right, key)
	}
	if !ok {
		return fmt.Errorf("%w: %s may not %s in dataset %s (rule: %s)", ErrDenied, addr.Hex(), right, m.Name, rule)
	}
	return nil
}

// Rights are the rights an operation needs: put creates or replaces, so it
// needs both insert and update whatever the row's state, which keeps the
// check the same on every provider.
func (o Op) Rights() []Right {
	switch o {
	case OpInsert:
		return []Right{Insert}
	case OpUpdate:
		return []Right{Update}
	case OpDelete:
		return []Right{Delete}
	case OpPut:
		return []Right{Insert, Update}
	}
	return nil
}

// Grant returns the next version of m (unsigned) with addr allowed to use
// right: an owner rule becomes a list of addr; a list gains it.
func (m *Meta) Grant(right Right, addr common.Address) (*Meta, error) {
	n := m.next()
	rule := n.ACL.Rule(right)
	switch rule.Kind {
	case RuleOwner:
		*rule = List(addr)
	case RuleList:
		*rule = List(append(slices.Clone(rule.Addrs), addr)...)
	default:
		return nil, fmt.Errorf("%w: the %s rule is %q, which already admits %s or is not a list", ErrInvalid, right, rule, addr.Hex())
	}
	return n, nil
}

// Revoke returns the next version of m (unsigned) without addr on right's
// list; a list left empty becomes the owner rule.
func (m *Meta) Revoke(right Right, addr common.Address) (*Meta, error) {
	n := m.next()
	rule := n.ACL.Rule(right)
	if rule.Kind != RuleList {
		return nil, fmt.Errorf("%w: the %s rule is %q, not a list of addresses to revoke from", ErrInvalid, right, rule)
	}
	i := slices.Index(rule.Addrs, addr)
	if i < 0 {
		return nil, fmt.Errorf("%w: %s is not on the %s list", ErrInvalid, addr.Hex(), right)
	}
	addrs := slices.Delete(slices.Clone(rule.Addrs), i, i+1)
	if len(addrs) == 0 {
		*rule = Owner
	} else {
		*rule = List(addrs...)
	}
	return n, nil
}

// next is a copy of m one version up, without signature.
func (m *Meta) next() *Meta {
	n := *m
	for r := Read; r < numRights; r++ {
		rule := n.ACL.Rule(r)
		rule.Addrs = slices.Clone(rule.Addrs)
	}
	n.Indexes = slices.Clone(m.Indexes)
	n.Version++
	n.Sig = nil
	return &n
}
