package dbapi

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Limits. Every decoder enforces them, so nothing read from a peer or a
// disk can make a reader allocate more than they allow.
const (
	// MaxKey is the longest row key, in bytes.
	MaxKey = 512
	// MaxValue is the largest row value, in bytes (a JSON document or raw
	// bytes, sealed or not).
	MaxValue = 64 << 10
	// MaxName is the longest dataset name.
	MaxName = 64
	// MaxField is the longest indexed field name.
	MaxField = 64
	// MaxIndexes is the most indexed fields a dataset may have.
	MaxIndexes = 16
	// MaxRuleAddrs is the most addresses one ACL rule may list.
	MaxRuleAddrs = 4096
	// MaxRedundancy is the largest R.
	MaxRedundancy = 16
	// MaxBatch is the most changes one batch signature may cover.
	MaxBatch = 4096
	// MaxCard is the longest contact card text a dataset may carry.
	MaxCard = 8 << 10
)

// Errors, wrapped with detail; test with errors.Is.
var (
	// ErrInvalid: bytes or fields that do not form a valid value.
	ErrInvalid = errors.New("db: invalid")
	// ErrSignature: a signature that does not verify, or was made by
	// someone other than who the value names.
	ErrSignature = errors.New("db: bad signature")
	// ErrDenied: the dataset's ACL does not let this address do this.
	ErrDenied = errors.New("db: not allowed")
	// ErrTooLarge: a key or value over its limit.
	ErrTooLarge = errors.New("db: too large")
)

// ID is a dataset id: for an owned dataset keccak256("mf/db/dataset/v1" ||
// owner || name), so it names one owner's dataset and nobody else can
// claim it; for a network table keccak256("mf/db/network/v1" || metadata
// body), so the id commits to the table's whole definition.
type ID [32]byte

// DatasetID is the id of the dataset called name owned by owner.
func DatasetID(owner common.Address, name string) ID {
	return ID(crypto.Keccak256Hash([]byte("mf/db/dataset/v1"), owner[:], []byte(name)))
}

func (id ID) String() string { return hex.EncodeToString(id[:]) }

// MarshalText writes the id as 64 hex digits.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText reads 64 hex digits.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ParseID parses a dataset id: 64 hex digits, with or without 0x.
func ParseID(s string) (ID, error) {
	var id ID
	s = strings.TrimPrefix(strings.ToLower(s), "0x")
	if len(s) != 64 {
		return id, fmt.Errorf("%w: dataset id must be 64 hex digits, got %d characters", ErrInvalid, len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("%w: dataset id is not hex", ErrInvalid)
	}
	return id, nil
}

// Op is what a change does to its row.
type Op byte

// The operations. Their numbers are part of the signed encoding.
const (
	// OpInsert creates a row; it has no effect on a row that exists.
	OpInsert Op = 1
	// OpPut creates or replaces a row (needs both insert and update rights).
	OpPut Op = 2
	// OpUpdate replaces a row; it has no effect on a row that does not exist.
	OpUpdate Op = 3
	// OpDelete is a signed tombstone; no effect on a row that does not exist.
	OpDelete Op = 4
)

var opNames = map[Op]string{OpInsert: "insert", OpPut: "put", OpUpdate: "update", OpDelete: "delete"}

func (o Op) String() string {
	if s, ok := opNames[o]; ok {
		return s
	}
	return fmt.Sprintf("op(%d)", byte(o))
}

// Valid reports whether o is one of the four operations.
func (o Op) Valid() bool { _, ok := opNames[o]; return ok }

// MarshalText writes the operation's name.
func (o Op) MarshalText() ([]byte, error) {
	if !o.Valid() {
		return nil, fmt.Errorf("%w: operation %d", ErrInvalid, byte(o))
	}
	return []byte(o.String()), nil
}

// UnmarshalText reads an operation's name.
func (o *Op) UnmarshalText(b []byte) error {
	v, err := ParseOp(string(b))
	if err != nil {
		return err
	}
	*o = v
	return nil
}

// ParseOp reads insert, put, update or delete.
func ParseOp(s string) (Op, error) {
	for o, n := range opNames {
		if n == s {
			return o, nil
		}
	}
	return 0, fmt.Errorf("%w: operation %q: want insert, put, update or delete", ErrInvalid, s)
}

// Right is one of the four operations an ACL governs.
type Right byte

// The rights, in the order the metadata encodes them.
const (
	Read Right = iota
	Insert
	Update
	Delete
	numRights
)

var rightNames = [numRights]string{"read", "insert", "update", "delete"}

func (r Right) String() string {
	if r < numRights {
		return rightNames[r]
	}
	return fmt.Sprintf("right(%d)", byte(r))
}

// ParseRight reads read, insert, update or delete.
func ParseRight(s string) (Right, error) {
	for i, n := range rightNames {
		if n == s {
			return Right(i), nil
		}
	}
	return 0, fmt.Errorf("%w: operation %q: want read, insert, update or delete", ErrInvalid, s)
}

// checkKey checks a row key: 1 to MaxKey bytes of UTF-8 without control
// characters, so that it prints safely and a shell can pass it.
func checkKey(k string) error {
	if k == "" {
		return fmt.Errorf("%w: empty row key", ErrInvalid)
	}
	if len(k) > MaxKey {
		return fmt.Errorf("%w: row key of %d bytes, at most %d", ErrTooLarge, len(k), MaxKey)
	}
	return checkText("row key", k)
}

func checkText(what, s string) error {
	for i, r := range s {
		if r == 0xfffd && !strings.HasPrefix(s[i:], "\ufffd") {
			return fmt.Errorf("%w: %s is not UTF-8", ErrInvalid, what)
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("%w: %s contains a control character", ErrInvalid, what)
		}
	}
	return nil
}

// checkWord checks a dataset name or field name: letters, digits, '_',
// '-' and '.', 1 to max bytes.
func checkWord(what, s string, max int) error {
	if s == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalid, what)
	}
	if len(s) > max {
		return fmt.Errorf("%w: %s of %d bytes, at most %d", ErrInvalid, what, len(s), max)
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
		if !ok {
			return fmt.Errorf("%w: %s %q: only letters, digits, '_', '-' and '.'", ErrInvalid, what, s)
		}
	}
	return nil
}

// recovered remembers the signers of the last signatures recovered: a
// batch's changes share one signature over their root, and each change
// checked alone (decoded from a provider's answer, one per NDJSON line)
// would otherwise pay a recovery (~50 µs) for the same root again. Only
// successful recoveries are kept, keyed by digest and signature, so a hit
// is exactly what a recovery would return.
var recovered = struct {
	sync.Mutex
	m map[[32 + crypto.SignatureLength]byte]common.Address
}{m: map[[32 + crypto.SignatureLength]byte]common.Address{}}

const maxRecovered = 4096

// recoverAddr returns the address that signed digest, or ErrSignature.
// Only the low-s form of a signature (the one crypto.Sign makes) is
// accepted, so that nobody can turn a valid signature into a second valid
// spelling of the same signed value.
func recoverAddr(digest, sig []byte) (common.Address, error) {
	if len(sig) != crypto.SignatureLength || len(digest) != 32 {
		return common.Address{}, fmt.Errorf("%w: signature of %d bytes", ErrSignature, len(sig))
	}
	var k [32 + crypto.SignatureLength]byte
	copy(k[:32], digest)
	copy(k[32:], sig)
	recovered.Lock()
	a, ok := recovered.m[k]
	recovered.Unlock()
	if ok {
		return a, nil
	}
	a, err := recoverUncached(digest, sig)
	if err != nil {
		return a, err
	}
	recovered.Lock()
	if len(recovered.m) >= maxRecovered {
		for old := range recovered.m { // drop an arbitrary one
			delete(recovered.m, old)
			break
		}
	}
	recovered.m[k] = a
	recovered.Unlock()
	return a, nil
}

func recoverUncached(digest, sig []byte) (common.Address, error) {
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	if !crypto.ValidateSignatureValues(sig[64], r, s, true) {
		return common.Address{}, fmt.Errorf("%w: malformed signature values", ErrSignature)
	}
	pub, err := crypto.SigToPub(digest, sig)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}
