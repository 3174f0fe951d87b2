package chain

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/mainframe/mf/pkg/wire"
)

// The EIP-712 domain and type of a cheque, exactly as Checkbook.sol has them.
const (
	// ChequeDomainName is the EIP-712 domain name of every checkbook.
	ChequeDomainName = "Mainframe Checkbook"
	// ChequeDomainVersion is the EIP-712 domain version of every checkbook.
	ChequeDomainVersion = "1"
	// ChequeType is the EIP-712 encoded type of a cheque.
	ChequeType = "Cheque(address checkbook,address beneficiary,uint256 cumulativePayout)"
)

var (
	domainTypeHash = crypto.Keccak256Hash([]byte("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"))
	chequeTypeHash = crypto.Keccak256Hash([]byte(ChequeType))
	domainNameHash = crypto.Keccak256Hash([]byte(ChequeDomainName))
	domainVerHash  = crypto.Keccak256Hash([]byte(ChequeDomainVersion))
)

var (
	// ErrAmount means a cumulative payout or chain id is negative or does not
	// fit in 256 bits.
	ErrAmount = errors.New("chain: amount out of range")
	// ErrSignature means a cheque's signature is malformed or not in the form
	// the contract accepts (65 bytes r || s || v, v 27 or 28, low s).
	ErrSignature = errors.New("chain: invalid cheque signature")
)

// putUint256 writes v as a 32-byte big-endian word into b.
func putUint256(b []byte, v *big.Int) error {
	if v == nil || v.Sign() < 0 || v.BitLen() > 256 {
		return ErrAmount
	}
	v.FillBytes(b[:32])
	return nil
}

// ChequeDigest is the EIP-712 digest the issuer signs, and
// Checkbook.chequeDigest returns, for a cheque of checkbook paying
// beneficiary cumulative in total on the chain chainID.
func ChequeDigest(chainID *big.Int, checkbook, beneficiary common.Address, cumulative *big.Int) (common.Hash, error) {
	// domainSeparator = keccak256(abi.encode(typeHash, name, version, chainId, checkbook))
	var dom [5 * 32]byte
	copy(dom[0:], domainTypeHash[:])
	copy(dom[32:], domainNameHash[:])
	copy(dom[64:], domainVerHash[:])
	if err := putUint256(dom[96:], chainID); err != nil {
		return common.Hash{}, fmt.Errorf("chain: chain id: %w", err)
	}
	copy(dom[128+12:], checkbook[:])

	// structHash = keccak256(abi.encode(CHEQUE_TYPEHASH, checkbook, beneficiary, cumulative))
	var st [4 * 32]byte
	copy(st[0:], chequeTypeHash[:])
	copy(st[32+12:], checkbook[:])
	copy(st[64+12:], beneficiary[:])
	if err := putUint256(st[96:], cumulative); err != nil {
		return common.Hash{}, fmt.Errorf("chain: cumulative payout: %w", err)
	}

	// digest = keccak256("\x19\x01" || domainSeparator || structHash)
	var msg [2 + 64]byte
	msg[0], msg[1] = 0x19, 0x01
	ds := crypto.Keccak256Hash(dom[:])
	sh := crypto.Keccak256Hash(st[:])
	copy(msg[2:], ds[:])
	copy(msg[34:], sh[:])
	return crypto.Keccak256Hash(msg[:]), nil
}

// SignCheque signs a cheque of checkbook paying beneficiary cumulative in
// total on the chain chainID, with the checkbook issuer's key. The signature
// is 65 bytes r || s || v with v 27 or 28, as Checkbook.cashCheque takes it.
func SignCheque(key *ecdsa.PrivateKey, chainID *big.Int, checkbook, beneficiary common.Address, cumulative *big.Int) ([]byte, error) {
	h, err := ChequeDigest(chainID, checkbook, beneficiary, cumulative)
	if err != nil {
		return nil, err
	}
	sig, err := crypto.Sign(h[:], key)
	if err != nil {
		return nil, fmt.Errorf("chain: signing cheque: %w", err)
	}
	sig[64] += 27
	return sig, nil
}

// VerifyCheque returns the address that signed a cheque, checking the
// signature by the same rules as Checkbook.cashCheque. The cheque is good
// for that checkbook only if the signer is the checkbook's issuer: comparing
// them is the caller's job.
func VerifyCheque(chainID *big.Int, checkbook, beneficiary common.Address, cumulative *big.Int, sig []byte) (common.Address, error) {
	if len(sig) != 65 {
		return common.Address{}, fmt.Errorf("%w: %d bytes", ErrSignature, len(sig))
	}
	v := sig[64]
	if v != 27 && v != 28 {
		return common.Address{}, fmt.Errorf("%w: v is %d", ErrSignature, v)
	}
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:64])
	if !crypto.ValidateSignatureValues(v-27, r, s, true) {
		return common.Address{}, fmt.Errorf("%w: r or s out of range", ErrSignature)
	}
	h, err := ChequeDigest(chainID, checkbook, beneficiary, cumulative)
	if err != nil {
		return common.Address{}, err
	}
	var rsv [65]byte
	copy(rsv[:], sig)
	rsv[64] = v - 27
	pub, err := crypto.SigToPub(h[:], rsv[:])
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}

// ChequeVersion is the version byte of the Cheque wire encoding.
const ChequeVersion = 1

// ChequeSize is the length of an encoded Cheque: version, checkbook,
// beneficiary, cumulative payout (32 bytes big-endian), signature.
const ChequeSize = 1 + 20 + 20 + 32 + 65

// Cheque is a signed cheque as it travels between nodes.
type Cheque struct {
	Checkbook   common.Address
	Beneficiary common.Address
	// Cumulative is the total the issuer has ever promised Beneficiary from
	// Checkbook; cashing pays what it adds to what was already paid.
	Cumulative *big.Int
	// Signature is the issuer's EIP-712 signature, r || s || v.
	Signature []byte
}

// NewCheque signs and returns a cheque; see SignCheque.
func NewCheque(key *ecdsa.PrivateKey, chainID *big.Int, checkbook, beneficiary common.Address, cumulative *big.Int) (*Cheque, error) {
	sig, err := SignCheque(key, chainID, checkbook, beneficiary, cumulative)
	if err != nil {
		return nil, err
	}
	return &Cheque{Checkbook: checkbook, Beneficiary: beneficiary, Cumulative: new(big.Int).Set(cumulative), Signature: sig}, nil
}

// Signer returns who signed c on the chain chainID; see VerifyCheque.
func (c *Cheque) Signer(chainID *big.Int) (common.Address, error) {
	return VerifyCheque(chainID, c.Checkbook, c.Beneficiary, c.Cumulative, c.Signature)
}

// MarshalBinary encodes c in ChequeSize bytes: the version byte
// (ChequeVersion), checkbook, beneficiary, cumulative payout as a 32-byte
// big-endian integer, and the 65-byte signature.
func (c *Cheque) MarshalBinary() ([]byte, error) {
	if len(c.Signature) != 65 {
		return nil, fmt.Errorf("%w: %d bytes", ErrSignature, len(c.Signature))
	}
	var amt [32]byte
	if err := putUint256(amt[:], c.Cumulative); err != nil {
		return nil, fmt.Errorf("chain: cumulative payout: %w", err)
	}
	w := wire.Writer{B: make([]byte, 0, ChequeSize)}
	w.Byte(ChequeVersion)
	w.Fixed(c.Checkbook[:])
	w.Fixed(c.Beneficiary[:])
	w.Fixed(amt[:])
	w.Fixed(c.Signature)
	return w.B, nil
}

// ErrChequeVersion means an encoded cheque has a version this code does not
// know.
var ErrChequeVersion = errors.New("chain: unknown cheque version")

// UnmarshalBinary decodes what MarshalBinary encodes: exactly ChequeSize
// bytes of a known version. It checks the form only; whether the signature
// is good is Signer's question. c shares no memory with b afterwards.
func (c *Cheque) UnmarshalBinary(b []byte) error {
	if len(b) > ChequeSize {
		return fmt.Errorf("chain: decoding cheque: %w: %d bytes", wire.ErrTooLong, len(b))
	}
	r := wire.NewReader(b)
	if v := r.Byte(); r.Err() == nil && v != ChequeVersion {
		return fmt.Errorf("%w %d", ErrChequeVersion, v)
	}
	cb := r.Fixed(20)
	bn := r.Fixed(20)
	amt := r.Fixed(32)
	sig := r.Fixed(65)
	if err := r.Done(); err != nil {
		return fmt.Errorf("chain: decoding cheque: %w", err)
	}
	*c = Cheque{
		Checkbook:   common.BytesToAddress(cb),
		Beneficiary: common.BytesToAddress(bn),
		Cumulative:  new(big.Int).SetBytes(amt),
		Signature:   append([]byte(nil), sig...),
	}
	return nil
}
