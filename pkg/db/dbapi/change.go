package dbapi

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/par"
	"github.com/mainframe/mf/pkg/proof"
	"github.com/mainframe/mf/pkg/wire"
)

// Change is one signed write to one row: an insert, put, update, or a
// delete (a signed tombstone). Its writer numbers its changes to a dataset
// 1, 2, 3, ... (Seq) and stamps each with its clock (Time, Unix
// milliseconds); docs/db.md says how providers order them.
type Change struct {
	Dataset ID
	Key     string
	Op      Op
	// Raw: Value is bytes as they are, not a JSON document.
	Raw   bool
	Value []byte
	// Writer is the address that signed; Verify checks it.
	Writer common.Address
	Seq    uint64
	Time   uint64
	// Sig signs Digest, or with Proof the root of a batch (SignBatch).
	Sig   []byte
	Proof *BatchProof
}

// BatchProof places a change in a batch its writer signed once: the
// change's digest is leaf Index of Count, and Path leads from it to the
// signed root. The tree is pkg/proof's (leaf keccak256(0x00 || digest),
// node keccak256(0x01 || left || right)), the one the court checks, so a
// provider's acknowledgement of a batch root can be taken to court with
// the same Merkle paths.
type BatchProof struct {
	Index uint32
	Count uint32
	Path  []proof.Hash
}

const changeVersion = 1

// Encoding forms of a change's signature.
const (
	formSingle = 0
	formBatch  = 1
)

// flagRaw marks a raw value in the encoding's flags byte.
const flagRaw = 1

// checkFields checks the fields a writer signs: limits, the operation, and
// that a JSON value is valid JSON.
func (c *Change) checkFields() error {
	if err := checkKey(c.Key); err != nil {
		return err
	}
	if !c.Op.Valid() {
		return fmt.Errorf("%w: operation %d", ErrInvalid, byte(c.Op))
	}
	if len(c.Value) > MaxValue {
		return fmt.Errorf("%w: row value of %d bytes, at most %d", ErrTooLarge, len(c.Value), MaxValue)
	}
	if c.Op == OpDelete {
		if len(c.Value) != 0 || c.Raw {
			return fmt.Errorf("%w: a delete carries no value", ErrInvalid)
		}
	} else if !c.Raw && !json.Valid(c.Value) {
		return fmt.Errorf("%w: row value is not valid JSON (use a raw value for bytes)", ErrInvalid)
	}
	if c.Seq == 0 {
		return fmt.Errorf("%w: sequence number 0: a writer's changes are numbered from 1", ErrInvalid)
	}
	return nil
}

// body is the canonical encoding of what the writer signs:
//
//	version  byte 1
//	dataset  32 bytes
//	key      bytes, at most MaxKey
//	op       byte
//	flags    byte: 1 = raw value
//	value    bytes, at most MaxValue
//	writer   20 bytes
//	seq      uvarint
//	time     uint64, Unix milliseconds
func (c *Change) body() []byte {
	var w wire.Writer
	w.B = make([]byte, 0, 80+len(c.Key)+len(c.Value))
	w.Byte(changeVersion)
	w.Fixed(c.Dataset[:])
	w.Bytes([]byte(c.Key))
	w.Byte(byte(c.Op))
	var flags byte
	if c.Raw {
		flags |= flagRaw
	}
	w.Byte(flags)
	w.Bytes(c.Value)
	w.Fixed(c.Writer[:])
	w.Uvarint(c.Seq)
	w.Uint64(c.Time)
	return w.B
}

// Digest is the change's identity: keccak256("mf/db/change/v1" || body). A
// single change's writer signs it; a batch's writer signs a root over them.
func (c *Change) Digest() proof.Hash {
	return proof.Hash(crypto.Keccak256Hash([]byte("mf/db/change/v1"), c.body()))
}

// Sign sets the writer to the key's address, checks the fields and signs
// the change alone.
func (c *Change) Sign(key *ecdsa.PrivateKey) error {
	c.Writer = crypto.PubkeyToAddress(key.PublicKey)
	if err := c.checkFields(); err != nil {
		return err
	}
	d := c.Digest()
	sig, err := crypto.Sign(d[:], key)
	if err != nil {
		return err
	}
	c.Sig, c.Proof = sig, nil
	return nil
}

// batchDigest is what a batch's writer signs.
func batchDigest(root proof.Hash, count uint32) []byte {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], count)
	return crypto.Keccak256([]byte("mf/db/batch/v1"), root[:], n[:])
}

// SignBatch signs changes once: it sets each writer to the key's address,
// checks each, builds the Merkle tree over their digests, signs the root
// and gives each change its proof. It returns the root.
func SignBatch(key *ecdsa.PrivateKey, changes []*Change) (proof.Hash, error) {
	root, _, err := SignBatchDigests(key, changes)
	return root, err
}

// SignBatchDigests is SignBatch, and returns each change's digest, which
// it computed anyway (the checks and the hashing spread over every core).
func SignBatchDigests(key *ecdsa.PrivateKey, changes []*Change) (proof.Hash, []proof.Hash, error) {
	if len(changes) == 0 || len(changes) > MaxBatch {
		return proof.Hash{}, nil, fmt.Errorf("%w: batch of %d changes: want 1 to %d", ErrInvalid, len(changes), MaxBatch)
	}
	addr := crypto.PubkeyToAddress(key.PublicKey)
	digests := make([]proof.Hash, len(changes))
	leaves := make([]proof.Hash, len(changes))
	errs := make([]error, len(changes))
	par.Each(len(changes), func(i int) {
		c := changes[i]
		c.Writer = addr
		if errs[i] = c.checkFields(); errs[i] == nil {
			digests[i] = c.Digest()
			leaves[i] = proof.Leaf(digests[i][:])
		}
	})
	for i, err := range errs {
		if err != nil {
			return proof.Hash{}, nil, fmt.Errorf("change %d: %w", i, err)
		}
	}
	tree, err := proof.FromLeaves(leaves)
	if err != nil {
		return proof.Hash{}, nil, err
	}
	root := tree.Root()
	sig, err := crypto.Sign(batchDigest(root, uint32(len(changes))), key)
	if err != nil {
		return proof.Hash{}, nil, err
	}
	for i, c := range changes {
		path, _ := tree.Path(uint64(i))
		c.Sig = sig
		c.Proof = &BatchProof{Index: uint32(i), Count: uint32(len(changes)), Path: path}
	}
	return root, digests, nil
}

// BatchRoot is the root of the batch the change was signed in, computed
// from its digest and path; ok is false for a change signed alone.
func (c *Change) BatchRoot() (root proof.Hash, ok bool, err error) {
	if ok, err := c.checkBatchShape(); !ok || err != nil {
		return proof.Hash{}, ok, err
	}
	return c.rootFrom(c.Digest()), true, nil
}

// checkBatchShape checks the change's batch proof has a place in its batch
// and a path of the right length; ok is false for a change signed alone.
func (c *Change) checkBatchShape() (ok bool, err error) {
	p := c.Proof
	if p == nil {
		return false, nil
	}
	if p.Count == 0 || p.Count > MaxBatch || p.Index >= p.Count {
		return true, fmt.Errorf("%w: batch position %d of %d", ErrInvalid, p.Index, p.Count)
	}
	if len(p.Path) != proof.Depth(uint64(p.Count)) {
		return true, fmt.Errorf("%w: batch path of %d hashes for %d changes", ErrInvalid, len(p.Path), p.Count)
	}
	return true, nil
}

// rootFrom is BatchRoot from the change's digest d, once its proof's shape
// is checked.
func (c *Change) rootFrom(d proof.Hash) proof.Hash {
	p := c.Proof
	h, i := proof.Leaf(d[:]), p.Index
	for _, sib := range p.Path {
		if i&1 == 1 {
			h = proof.Node(sib, h)
		} else {
			h = proof.Node(h, sib)
		}
		i >>= 1
	}
	return h
}

// Verify checks the fields and that Writer signed the change, alone or
// through its batch root. It does not check the ACL: VerifyRow does, given
// the dataset's metadata.
func (c *Change) Verify() error {
	if err := c.checkFields(); err != nil {
		return err
	}
	var digest []byte
	if root, batched, err := c.BatchRoot(); err != nil {
		return err
	} else if batched {
		digest = batchDigest(root, c.Proof.Count)
	} else {
		d := c.Digest()
		digest = d[:]
	}
	signer, err := recoverAddr(digest, c.Sig)
	if err != nil {
		return fmt.Errorf("change %d of %s: %w", c.Seq, c.Writer.Hex(), err)
	}
	if signer != c.Writer {
		return fmt.Errorf("%w: change claims writer %s but was signed by %s", ErrSignature, c.Writer.Hex(), signer.Hex())
	}
	return nil
}

// VerifyRow is a reader's check of a row a provider returned for dataset
// m: the metadata is the owner's, the change is its writer's, it belongs
// to this dataset and key, and the ACL lets the writer do it. A provider
// can therefore neither forge a row nor alter one unnoticed.
func VerifyRow(m *Meta, key string, c *Change) error {
	if err := m.Verify(); err != nil {
		return err
	}
	if err := c.Verify(); err != nil {
		return err
	}
	if c.Dataset != m.ID {
		return fmt.Errorf("%w: row belongs to dataset %s, not %s", ErrInvalid, c.Dataset, m.ID)
	}
	if c.Key != key {
		return fmt.Errorf("%w: row is for key %q, not %q", ErrInvalid, c.Key, key)
	}
	return m.CheckChange(c)
}

// CheckChange checks, without row state, that the ACL lets the writer make
// the change, and that it fits the dataset's kind. It assumes c verified.
func (m *Meta) CheckChange(c *Change) error {
	for _, r := range c.Op.Rights() {
		if err := m.Allowed(r, c.Writer, c.Key); err != nil {
			return err
		}
	}
	if m.Kind == KindMailbox && c.Op != OpDelete {
		if !c.Raw || !LooksSealed(c.Value) {
			return fmt.Errorf("%w: a mailbox row must be sealed to the owner (dbapi.SealMail)", ErrInvalid)
		}
		// A sender's rows are keyed by its address (MailKey), so that
		// nobody's insert can land on another sender's key, whatever
		// time it claims.
		if c.Writer != m.Owner && !KeyNames(c.Key, c.Writer) {
			return fmt.Errorf("%w: mailbox row %q of %s must be keyed by its sender's address (%s/...)", ErrDenied, c.Key, c.Writer.Hex(), strings.ToLower(c.Writer.Hex()))
		}
	}
	return nil
}

// Encode is the binary form, for disk and network: the body, then a form
// byte, then for a batched change its position (index uvarint, count
// uvarint, path: byte count then 32-byte hashes), then the 65-byte
// signature.
func (c *Change) Encode() []byte {
	w := wire.Writer{B: c.body()}
	if c.Proof == nil {
		w.Byte(formSingle)
	} else {
		w.Byte(formBatch)
		w.Uvarint(uint64(c.Proof.Index))
		w.Uvarint(uint64(c.Proof.Count))
		w.Byte(byte(len(c.Proof.Path)))
		for _, h := range c.Proof.Path {
			w.Fixed(h[:])
		}
	}
	w.Fixed(c.Sig)
	return w.B
}

// MaxChange bounds an encoded change.
const MaxChange = 1 + 32 + 2 + MaxKey + 2 + 3 + MaxValue + 20 + 10 + 8 + 1 + 3 + 3 + 1 + 32*proof.MaxDepth + 65

// DecodeChange reads the binary form and verifies it (Verify).
func DecodeChange(b []byte) (*Change, error) {
	c, err := decodeChange(b)
	if err != nil {
		return nil, err
	}
	if err := c.Verify(); err != nil {
		return nil, err
	}
	return c, nil
}

func decodeChange(b []byte) (*Change, error) {
	if len(b) > MaxChange {
		return nil, fmt.Errorf("%w: change of %d bytes", ErrTooLarge, len(b))
	}
	r := wire.NewReader(b)
	if v := r.Byte(); r.Err() == nil && v != changeVersion {
		return nil, fmt.Errorf("%w: change version %d", ErrInvalid, v)
	}
	c := &Change{}
	copy(c.Dataset[:], r.Fixed(32))
	c.Key = string(r.Bytes(MaxKey))
	c.Op = Op(r.Byte())
	flags := r.Byte()
	if flags&^flagRaw != 0 {
		return nil, fmt.Errorf("%w: change flags %#x", ErrInvalid, flags)
	}
	c.Raw = flags&flagRaw != 0
	c.Value = bytes.Clone(r.Bytes(MaxValue))
	copy(c.Writer[:], r.Fixed(20))
	c.Seq = r.Uvarint()
	c.Time = r.Uint64()
	switch form := r.Byte(); {
	case r.Err() != nil:
	case form == formSingle:
	case form == formBatch:
		p := &BatchProof{}
		idx, count := r.Uvarint(), r.Uvarint()
		if idx > MaxBatch || count > MaxBatch {
			return nil, fmt.Errorf("%w: batch position %d of %d", ErrInvalid, idx, count)
		}
		p.Index, p.Count = uint32(idx), uint32(count)
		depth := int(r.Byte())
		if depth > proof.MaxDepth {
			return nil, fmt.Errorf("%w: batch path of %d hashes", ErrInvalid, depth)
		}
		for i := 0; i < depth; i++ {
			var h proof.Hash
			copy(h[:], r.Fixed(32)) // nil after an error: the error is reported below
			p.Path = append(p.Path, h)
		}
		c.Proof = p
	default:
		return nil, fmt.Errorf("%w: signature form %d", ErrInvalid, form)
	}
	c.Sig = bytes.Clone(r.Fixed(crypto.SignatureLength))
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: change: %v", ErrInvalid, err)
	}
	if c.Value == nil {
		c.Value = []byte{}
	}
	return c, nil
}

// changeJSON is how a change is shown: its fields for people and scripts,
// and "change", the binary form, which is what UnmarshalJSON reads (JSON
// cannot carry a value's exact bytes through every encoder, and the
// signature is over the bytes).
type changeJSON struct {
	Dataset ID              `json:"dataset"`
	Key     string          `json:"key"`
	Op      Op              `json:"op"`
	Value   json.RawMessage `json:"value,omitempty"`
	Bytes   []byte          `json:"bytes,omitempty"`
	Raw     bool            `json:"raw,omitempty"`
	Writer  common.Address  `json:"writer"`
	Seq     uint64          `json:"seq"`
	Time    uint64          `json:"time"`
	Sig     hexutil.Bytes   `json:"sig"`
	Batch   *batchJSON      `json:"batch,omitempty"`
	Change  string          `json:"change"`
}

type batchJSON struct {
	Root  common.Hash `json:"root"`
	Index uint32      `json:"index"`
	Count uint32      `json:"count"`
}

// MarshalJSON shows the change (see changeJSON).
func (c *Change) MarshalJSON() ([]byte, error) {
	j := changeJSON{Dataset: c.Dataset, Key: c.Key, Op: c.Op, Raw: c.Raw, Writer: c.Writer,
		Seq: c.Seq, Time: c.Time, Sig: c.Sig, Change: base64.RawURLEncoding.EncodeToString(c.Encode())}
	if c.Raw {
		j.Bytes = c.Value
	} else if len(c.Value) > 0 && json.Valid(c.Value) {
		j.Value = c.Value
	}
	if root, ok, err := c.BatchRoot(); ok && err == nil {
		j.Batch = &batchJSON{Root: common.Hash(root), Index: c.Proof.Index, Count: c.Proof.Count}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the "change" field (the binary form) and verifies
// it; the other fields are for display and are ignored.
func (c *Change) UnmarshalJSON(b []byte) error {
	var j struct {
		Change string `json:"change"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("%w: change: %v", ErrInvalid, err)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(j.Change)
	if err != nil {
		return fmt.Errorf("%w: change: field \"change\" is not base64url", ErrInvalid)
	}
	d, err := DecodeChange(raw)
	if err != nil {
		return err
	}
	*c = *d
	return nil
}

// DecodeStoredChange reads the binary form without checking the
// signature: only for a store reading back what it verified before writing
// it (a recovery costs more than the rest of a read). Bytes from anywhere
// else go through DecodeChange.
func DecodeStoredChange(b []byte) (*Change, error) { return decodeChange(b) }

// VerifyAll verifies changes as Verify does, recovering the signer of each
// batch root once rather than once per change. An error names the first
// change that failed by its position.
func VerifyAll(changes []*Change) error {
	_, err := VerifyAllDigests(changes)
	return err
}

// VerifyAllDigests is VerifyAll, and returns each change's digest, which
// it computed anyway, so that the caller need not hash the changes again.
// The work of each change (its fields, its digest, its path) is spread
// over every core; the signature of each batch root is recovered once.
func VerifyAllDigests(changes []*Change) ([]proof.Hash, error) {
	type batchKey struct {
		root  proof.Hash
		count uint32
		sig   [crypto.SignatureLength]byte
	}
	digests := make([]proof.Hash, len(changes))
	roots := make([]proof.Hash, len(changes))
	errs := make([]error, len(changes))
	par.Each(len(changes), func(i int) {
		c := changes[i]
		if errs[i] = c.checkFields(); errs[i] != nil {
			return
		}
		digests[i] = c.Digest()
		if c.Proof != nil && len(c.Sig) == crypto.SignatureLength {
			if _, errs[i] = c.checkBatchShape(); errs[i] == nil {
				roots[i] = c.rootFrom(digests[i])
			}
		}
	})
	signers := map[batchKey]common.Address{}
	for i, c := range changes {
		if errs[i] != nil {
			return nil, fmt.Errorf("change %d: %w", i, errs[i])
		}
		if c.Proof == nil || len(c.Sig) != crypto.SignatureLength {
			if err := c.Verify(); err != nil {
				return nil, fmt.Errorf("change %d: %w", i, err)
			}
			continue
		}
		k := batchKey{root: roots[i], count: c.Proof.Count, sig: [crypto.SignatureLength]byte(c.Sig)}
		signer, ok := signers[k]
		if !ok {
			var err error
			if signer, err = recoverAddr(batchDigest(roots[i], c.Proof.Count), c.Sig); err != nil {
				return nil, fmt.Errorf("change %d: %w", i, err)
			}
			signers[k] = signer
		}
		if signer != c.Writer {
			return nil, fmt.Errorf("change %d: %w: change claims writer %s but was signed by %s", i, ErrSignature, c.Writer.Hex(), signer.Hex())
		}
	}
	return digests, nil
}
