package dbapi

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/proof"
	"github.com/mainframe/mf/pkg/wire"
)

// Ack is a provider's signed statement that it stored a writer's changes
// FromSeq..ToSeq to a dataset, and, for a batch, the batch with this root.
// It is what a court case about a dropped row starts from.
type Ack struct {
	Provider common.Address `json:"provider"`
	Dataset  ID             `json:"dataset"`
	Writer   common.Address `json:"writer"`
	FromSeq  uint64         `json:"from_seq"`
	ToSeq    uint64         `json:"to_seq"`
	// Root is the batch root, zero for changes signed one by one.
	Root common.Hash   `json:"root"`
	Time uint64        `json:"time"`
	Sig  hexutil.Bytes `json:"sig"`
}

const ackVersion = 1

// body:
//
//	version   byte 1
//	provider  20 bytes
//	dataset   32 bytes
//	writer    20 bytes
//	from, to  uvarint, uvarint (1 <= from <= to)
//	root      32 bytes (zero: no batch)
//	time      uint64, Unix milliseconds
func (a *Ack) body() []byte {
	var w wire.Writer
	w.Byte(ackVersion)
	w.Fixed(a.Provider[:])
	w.Fixed(a.Dataset[:])
	w.Fixed(a.Writer[:])
	w.Uvarint(a.FromSeq)
	w.Uvarint(a.ToSeq)
	w.Fixed(a.Root[:])
	w.Uint64(a.Time)
	return w.B
}

func (a *Ack) digest() []byte { return crypto.Keccak256([]byte("mf/db/ack/v1"), a.body()) }

func (a *Ack) check() error {
	if a.FromSeq == 0 || a.ToSeq < a.FromSeq {
		return fmt.Errorf("%w: acknowledged range %d..%d", ErrInvalid, a.FromSeq, a.ToSeq)
	}
	return nil
}

// Sign sets the provider to the key's address and signs.
func (a *Ack) Sign(key *ecdsa.PrivateKey) error {
	a.Provider = crypto.PubkeyToAddress(key.PublicKey)
	if err := a.check(); err != nil {
		return err
	}
	sig, err := crypto.Sign(a.digest(), key)
	if err != nil {
		return err
	}
	a.Sig = sig
	return nil
}

// Verify checks that Provider signed the acknowledgement.
func (a *Ack) Verify() error {
	if err := a.check(); err != nil {
		return err
	}
	signer, err := recoverAddr(a.digest(), a.Sig)
	if err != nil {
		return fmt.Errorf("acknowledgement: %w", err)
	}
	if signer != a.Provider {
		return fmt.Errorf("%w: acknowledgement claims provider %s but was signed by %s", ErrSignature, a.Provider.Hex(), signer.Hex())
	}
	return nil
}

// Covers reports whether the acknowledgement covers change c.
func (a *Ack) Covers(c *Change) bool {
	if c.Dataset != a.Dataset || c.Writer != a.Writer || c.Seq < a.FromSeq || c.Seq > a.ToSeq {
		return false
	}
	if a.Root == (common.Hash{}) {
		return true
	}
	root, ok, err := c.BatchRoot()
	return ok && err == nil && common.Hash(root) == a.Root
}

// Encode is the binary form: the body and the 65-byte signature.
func (a *Ack) Encode() []byte { return append(a.body(), a.Sig...) }

// DecodeAck reads the binary form and verifies it.
func DecodeAck(b []byte) (*Ack, error) {
	if len(b) > 256 {
		return nil, fmt.Errorf("%w: acknowledgement of %d bytes", ErrInvalid, len(b))
	}
	r := wire.NewReader(b)
	if v := r.Byte(); r.Err() == nil && v != ackVersion {
		return nil, fmt.Errorf("%w: acknowledgement version %d", ErrInvalid, v)
	}
	a := &Ack{}
	copy(a.Provider[:], r.Fixed(20))
	copy(a.Dataset[:], r.Fixed(32))
	copy(a.Writer[:], r.Fixed(20))
	a.FromSeq = r.Uvarint()
	a.ToSeq = r.Uvarint()
	copy(a.Root[:], r.Fixed(32))
	a.Time = r.Uint64()
	a.Sig = bytes.Clone(r.Fixed(crypto.SignatureLength))
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: acknowledgement: %v", ErrInvalid, err)
	}
	if err := a.Verify(); err != nil {
		return nil, err
	}
	return a, nil
}

// AcksFor signs a provider's acknowledgements of changes it stored: one
// per batch (its root and the range of its sequence numbers), and one per
// run of consecutive single changes of one writer to one dataset. The
// changes are verified ones (VerifyAll): the changes of one batch carry
// one signature over one root, so the root is worked out once a batch.
func AcksFor(key *ecdsa.PrivateKey, changes []*Change, now uint64) ([]*Ack, error) {
	var out []*Ack
	byRoot := map[common.Hash]*Ack{}
	bySig := map[string]proof.Hash{}
	var run *Ack
	for _, c := range changes {
		var root proof.Hash
		batched := c.Proof != nil
		if batched {
			sig := string(c.Sig) + string(binary.BigEndian.AppendUint32(nil, c.Proof.Count))
			var ok bool
			if root, ok = bySig[sig]; !ok {
				var err error
				if root, _, err = c.BatchRoot(); err != nil {
					return nil, err
				}
				bySig[sig] = root
			}
		}
		if batched {
			r := common.Hash(root)
			a := byRoot[r]
			if a == nil || a.Dataset != c.Dataset || a.Writer != c.Writer {
				a = &Ack{Dataset: c.Dataset, Writer: c.Writer, FromSeq: c.Seq, ToSeq: c.Seq, Root: r, Time: now}
				byRoot[r] = a
				out = append(out, a)
			}
			a.FromSeq, a.ToSeq = min(a.FromSeq, c.Seq), max(a.ToSeq, c.Seq)
			run = nil
			continue
		}
		if run != nil && run.Dataset == c.Dataset && run.Writer == c.Writer && run.ToSeq+1 == c.Seq {
			run.ToSeq = c.Seq
			continue
		}
		run = &Ack{Dataset: c.Dataset, Writer: c.Writer, FromSeq: c.Seq, ToSeq: c.Seq, Time: now}
		out = append(out, run)
	}
	for _, a := range out {
		if err := a.Sign(key); err != nil {
			return nil, err
		}
	}
	return out, nil
}
