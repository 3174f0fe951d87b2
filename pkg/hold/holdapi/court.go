package holdapi

import (
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/proof"
)

// Enforcement (docs/hold.md, "Enforcement in court"). A delegate that
// staked for its client signs, with each hold receipt, a court promise
// (Claim): that it holds the packet's bytes, whose Merkle root over 4 KiB
// chunks is Root, under the key PromiseKey(client, id). The client takes a
// delegate that then cannot produce the packet to court with it; the
// delegate's mf-court answers with chunks its mf-hold reads from the
// packet as held.
//
// A delegate deletes packets when its client's received-list names them,
// so a received-list of a staked agreement carries the client's court
// Release (chain.Release): its signature over the Merkle root of the
// promise keys of the ids it names (ReleaseTree). A case opened on one of
// them afterwards is dismissed with it (Court.dismissReleased).

// promiseDomain separates the keys of held packets' promises from every
// other service's.
const promiseDomain = "mf/hold/promise/v1"

// PromiseKey is the court key a delegate promises a client's packet id
// under: keccak256("mf/hold/promise/v1" || client || id).
func PromiseKey(client common.Address, id [32]byte) [32]byte {
	return crypto.Keccak256Hash([]byte(promiseDomain), client[:], id[:])
}

// PromiseOf is what a delegate promises to hold of packet: the Merkle root
// over its 4 KiB chunks and their count (pkg/proof).
func PromiseOf(packet []byte) (root [32]byte, chunks uint64) {
	t := proof.FromBytes(packet)
	return t.Root(), t.Chunks()
}

// Claim is a delegate's signed court promise for one held packet: the
// Court's Promise(Agreement, Key, Root, Chunks), EIP-712, signed by the
// delegate for the court and chain it stakes with.
type Claim struct {
	Agreement *big.Int
	Key       [32]byte
	Root      [32]byte
	Chunks    uint64
	Sig       []byte
}

// Promise is the claim as pkg/chain has it.
func (c *Claim) Promise() chain.Promise {
	return chain.Promise{Agreement: c.Agreement, Key: c.Key, Root: c.Root, Chunks: c.Chunks}
}

// Check verifies that the claim promises packet for client and that
// delegate signed it for court on chainID.
func (c *Claim) Check(chainID *big.Int, court, delegate, client common.Address, packet []byte) error {
	id, err := PacketID(packet)
	if err != nil {
		return err
	}
	root, chunks := PromiseOf(packet)
	if c.Agreement == nil || c.Agreement.Sign() <= 0 || c.Key != PromiseKey(client, id) || c.Root != root || c.Chunks != chunks {
		return fmt.Errorf("%w: the claim promises something other than the packet", ErrRecord)
	}
	return c.CheckSigner(chainID, court, delegate)
}

// CheckSigner verifies that delegate signed the claim for court on
// chainID.
func (c *Claim) CheckSigner(chainID *big.Int, court, delegate common.Address) error {
	d, err := chain.PromiseDigest(chainID, court, c.Promise())
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRecord, err)
	}
	if a, err := chain.RecoverSigner(d, c.Sig); err != nil || a != delegate {
		return fmt.Errorf("%w: the claim is not signed by delegate %s for this court", ErrSignature, delegate.Hex())
	}
	return nil
}

// claimJSON is a claim as the court's own claims are written
// (courtapi.Claim): decimal agreement, hex fields.
type claimJSON struct {
	Agreement string `json:"agreement"`
	Key       string `json:"key"`
	Root      string `json:"root"`
	Chunks    uint64 `json:"chunks"`
	Signature string `json:"signature"`
}

// MarshalJSON writes the claim in the form mf-court case open --claim
// takes.
func (c Claim) MarshalJSON() ([]byte, error) {
	ag := "0"
	if c.Agreement != nil {
		ag = c.Agreement.String()
	}
	return json.Marshal(claimJSON{Agreement: ag, Key: hex.EncodeToString(c.Key[:]), Root: hex.EncodeToString(c.Root[:]),
		Chunks: c.Chunks, Signature: hex.EncodeToString(c.Sig)})
}

// UnmarshalJSON reads what MarshalJSON writes (the signature is checked
// by Check, which knows the court).
func (c *Claim) UnmarshalJSON(b []byte) error {
	var j claimJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	ag, ok := new(big.Int).SetString(j.Agreement, 10)
	k, err1 := hex.DecodeString(j.Key)
	r, err2 := hex.DecodeString(j.Root)
	sig, err3 := hex.DecodeString(j.Signature)
	if !ok || ag.Sign() <= 0 || ag.BitLen() > 256 || err1 != nil || err2 != nil || err3 != nil || len(k) != 32 || len(r) != 32 || len(sig) != 65 ||
		j.Chunks == 0 || j.Chunks > uint64(MaxPacket/proof.ChunkSize+1) {
		return fmt.Errorf("%w: claim fields", ErrRecord)
	}
	*c = Claim{Agreement: ag, Chunks: j.Chunks, Sig: sig}
	copy(c.Key[:], k)
	copy(c.Root[:], r)
	return nil
}

// ReleaseTree is the Merkle tree a received-list's court release signs:
// its leaves are the promise keys of the list's ids for client, in the
// list's order (proof.Leaf of each 32-byte key).
func ReleaseTree(client common.Address, ids [][32]byte) (*proof.Tree, error) {
	leaves := make([]proof.Hash, len(ids))
	for i, id := range ids {
		k := PromiseKey(client, id)
		leaves[i] = proof.Leaf(k[:])
	}
	return proof.FromLeaves(leaves)
}

// Release is the court release a received-list of a staked agreement
// carries: the client's signature over chain.Release(Agreement, root,
// count) of the list's ReleaseTree, for the court and chain the delegate
// named when it agreed.
type Release struct {
	Agreement *big.Int
	Sig       []byte
}

// ChainRelease is l's release as pkg/chain has it.
func (l *ReceivedList) ChainRelease() (chain.Release, *proof.Tree, error) {
	if l.Release == nil {
		return chain.Release{}, nil, fmt.Errorf("%w: the received-list carries no court release", ErrRecord)
	}
	t, err := ReleaseTree(l.Client, l.IDs)
	if err != nil {
		return chain.Release{}, nil, err
	}
	return chain.Release{Agreement: l.Release.Agreement, Root: t.Root(), Count: t.Chunks()}, t, nil
}

// SignRelease adds the court release of agreement on court and chainID
// to l, signed with key; then Sign signs the whole list.
func (l *ReceivedList) SignRelease(key *ecdsa.PrivateKey, chainID *big.Int, court common.Address, agreement *big.Int) error {
	l.Client = crypto.PubkeyToAddress(key.PublicKey)
	l.Release = &Release{Agreement: agreement}
	r, _, err := l.ChainRelease()
	if err != nil {
		return err
	}
	l.Release.Sig, err = chain.SignRelease(key, chainID, court, r)
	return err
}

// CheckRelease verifies that l's client signed its court release of
// agreement for court on chainID.
func (l *ReceivedList) CheckRelease(chainID *big.Int, court common.Address, agreement *big.Int) error {
	r, _, err := l.ChainRelease()
	if err != nil {
		return err
	}
	if r.Agreement == nil || r.Agreement.Cmp(agreement) != 0 {
		return fmt.Errorf("%w: the received-list's release is for agreement %v, not %s", ErrSignature, r.Agreement, agreement)
	}
	d, err := chain.ReleaseDigest(chainID, court, r)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRecord, err)
	}
	if a, err := chain.RecoverSigner(d, l.Release.Sig); err != nil || a != l.Client {
		return fmt.Errorf("%w: the received-list's release is not signed by the client %s for this court", ErrSignature, l.Client.Hex())
	}
	return nil
}
