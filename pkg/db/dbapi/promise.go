package dbapi

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/proof"
)

// Claims: what makes an acknowledgement enforceable. A provider that staked
// for a dataset (an agreement with its owner, through mf-court) signs, with
// each acknowledgement, a court promise for every change it acknowledged:
// that it holds, under PromiseKey(change), the change's binary form
// (Change.Encode, exactly as it stores it), a byte string whose pkg/proof
// root and chunk count the promise names. The signature is the court's
// (chain.PromiseDigest: agreement, key, root, chunks), so the owner can
// open a case with it as it stands; the provider's mf-court answers the
// challenge with chunks its mf-db reads from its own storage, and a
// provider that dropped or altered the change cannot, and loses its stake.

// RowClaim is a provider's signed court promise that it holds one change.
type RowClaim struct {
	Provider common.Address `json:"provider"`
	Dataset  ID             `json:"dataset"`
	Writer   common.Address `json:"writer"`
	Seq      uint64         `json:"seq"`
	// Key is the row's key, so that the holder can find the claim by row.
	// A provider leaves it out (the writer knows it from the change: a
	// batch of 4096 claims with long keys would not fit an answer).
	Key string `json:"key,omitempty"`
	// Agreement is the stake agreement (decimal) the promise is under.
	Agreement string `json:"agreement"`
	// Promise is the court promise's key: PromiseKey of the change.
	Promise common.Hash   `json:"promise"`
	Root    common.Hash   `json:"root"`
	Chunks  uint64        `json:"chunks"`
	Sig     hexutil.Bytes `json:"sig"`
}

// PromiseKey names one change of a row in a court promise:
// keccak256("mf/db/promise/v1" || dataset || len(key) key || writer || seq),
// with the length as 2 bytes and seq as 8, big-endian. A writer's sequence
// number names the row's version, so the key names the dataset, the row
// and which version of it.
func PromiseKey(id ID, key string, writer common.Address, seq uint64) common.Hash {
	b := make([]byte, 0, 16+32+2+len(key)+20+8)
	b = append(b, "mf/db/promise/v1"...)
	b = append(b, id[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(key)))
	b = append(b, key...)
	b = append(b, writer[:]...)
	b = binary.BigEndian.AppendUint64(b, seq)
	return crypto.Keccak256Hash(b)
}

// PromiseOf is what a provider promises for change c: its key, and the
// root and chunk count of the change's binary form.
func PromiseOf(c *Change) (key, root common.Hash, chunks uint64) {
	t := proof.FromBytes(c.Encode())
	return PromiseKey(c.Dataset, c.Key, c.Writer, c.Seq), common.Hash(t.Root()), t.Chunks()
}

// Fits checks that the claim is for change c: its dataset, writer, seq and
// key, and a promise over c's binary form. The signature is checked by
// whoever knows the court (pkg/db), since it is the chain's.
func (rc *RowClaim) Fits(c *Change) error {
	if rc.Dataset != c.Dataset || rc.Writer != c.Writer || rc.Seq != c.Seq || (rc.Key != "" && rc.Key != c.Key) {
		return fmt.Errorf("%w: claim for change %d of %s is not for change %d of %s", ErrInvalid, rc.Seq, rc.Writer.Hex(), c.Seq, c.Writer.Hex())
	}
	key, root, chunks := PromiseOf(c)
	if rc.Promise != key || rc.Root != root || rc.Chunks != chunks {
		return fmt.Errorf("%w: claim for change %d of %s promises other data", ErrInvalid, c.Seq, c.Writer.Hex())
	}
	return rc.check()
}

func (rc *RowClaim) check() error {
	a, ok := new(big.Int).SetString(rc.Agreement, 10)
	if !ok || a.Sign() <= 0 || a.BitLen() > 256 {
		return fmt.Errorf("%w: claim agreement %q", ErrInvalid, rc.Agreement)
	}
	if len(rc.Sig) != crypto.SignatureLength {
		return fmt.Errorf("%w: claim signature of %d bytes", ErrInvalid, len(rc.Sig))
	}
	return nil
}

// AgreementID is the claim's agreement as a number.
func (rc *RowClaim) AgreementID() (*big.Int, error) {
	if err := rc.check(); err != nil {
		return nil, err
	}
	a, _ := new(big.Int).SetString(rc.Agreement, 10)
	return a, nil
}
