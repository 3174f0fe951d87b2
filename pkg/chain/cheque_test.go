package chain

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// typedDataHash hashes a cheque with go-ethereum's general EIP-712 code,
// an implementation independent of ChequeDigest's.
func typedDataHash(t testing.TB, chainID *big.Int, checkbook, beneficiary common.Address, cum *big.Int) common.Hash {
	t.Helper()
	td := apitypes.TypedData{
		Types: apitypes.Types{
			"EIP712Domain": {
				{Name: "name", Type: "string"},
				{Name: "version", Type: "string"},
				{Name: "chainId", Type: "uint256"},
				{Name: "verifyingContract", Type: "address"},
			},
			"Cheque": {
				{Name: "checkbook", Type: "address"},
				{Name: "beneficiary", Type: "address"},
				{Name: "cumulativePayout", Type: "uint256"},
			},
		},
		PrimaryType: "Cheque",
		Domain: apitypes.TypedDataDomain{
			Name:              "Mainframe Checkbook",
			Version:           "1",
			ChainId:           (*math.HexOrDecimal256)(chainID),
			VerifyingContract: checkbook.Hex(),
		},
		Message: apitypes.TypedDataMessage{
			"checkbook":        checkbook.Hex(),
			"beneficiary":      beneficiary.Hex(),
			"cumulativePayout": cum.String(),
		},
	}
	h, _, err := apitypes.TypedDataAndHash(td)
	if err != nil {
		t.Fatal(err)
	}
	return common.BytesToHash(h)
}

// TestChequeDigestAgrees checks the three implementations of the digest,
// ChequeDigest, go-ethereum's EIP-712 code and the contract, agree.
func TestChequeDigestAgrees(t *testing.T) {
	c := newTestChain(t)
	cbAddr, cb := c.checkbook(0, mft(0))

	th, err := cb.CHEQUETYPEHASH(nil)
	if err != nil || common.Hash(th) != chequeTypeHash {
		t.Fatalf("CHEQUE_TYPEHASH = %x, %v; want %x", th, err, chequeTypeHash)
	}
	dom, err := cb.Eip712Domain(nil)
	if err != nil {
		t.Fatal(err)
	}
	if dom.Name != ChequeDomainName || dom.Version != ChequeDomainVersion || dom.ChainId.Cmp(c.chainID) != 0 || dom.VerifyingContract != cbAddr {
		t.Fatalf("eip712Domain = %+v", dom)
	}

	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	for _, cum := range []*big.Int{big.NewInt(0), big.NewInt(1), mft(123456789), max} {
		for _, ben := range []common.Address{addrOf(bobKey), {}, common.HexToAddress("0xffffffffffffffffffffffffffffffffffffffff")} {
			want, err := cb.ChequeDigest(nil, ben, cum)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ChequeDigest(c.chainID, cbAddr, ben, cum)
			if err != nil {
				t.Fatal(err)
			}
			if got != common.Hash(want) {
				t.Fatalf("ChequeDigest(%s, %s) = %s, contract says %x", ben, cum, got, want)
			}
			if td := typedDataHash(t, c.chainID, cbAddr, ben, cum); td != got {
				t.Fatalf("apitypes hash %s, ChequeDigest %s", td, got)
			}
		}
	}
}

func TestVerifyCheque(t *testing.T) {
	chainID := big.NewInt(1337)
	cb := common.HexToAddress("0x000000000000000000000000000000000c4ec000")
	ben := addrOf(bobKey)
	good, err := SignCheque(issuerKey, chainID, cb, ben, big.NewInt(42))
	if err != nil {
		t.Fatal(err)
	}
	if v := good[64]; v != 27 && v != 28 {
		t.Fatalf("SignCheque v = %d, want 27 or 28", v)
	}
	highS := bytes.Clone(good)
	s := new(big.Int).SetBytes(highS[32:64])
	s.Sub(crypto.S256().Params().N, s).FillBytes(highS[32:64])
	highS[64] ^= 1
	zeroR := bytes.Clone(good)
	clear(zeroR[:32])

	tests := []struct {
		name    string
		chainID *big.Int
		cum     *big.Int
		sig     []byte
		signer  common.Address // zero: any but the issuer
		err     error
	}{
		{"good", chainID, big.NewInt(42), good, addrOf(issuerKey), nil},
		{"other amount", chainID, big.NewInt(43), good, common.Address{}, nil},
		{"other chain", big.NewInt(1), big.NewInt(42), good, common.Address{}, nil},
		{"short", chainID, big.NewInt(42), good[:64], common.Address{}, ErrSignature},
		{"long", chainID, big.NewInt(42), append(bytes.Clone(good), 0), common.Address{}, ErrSignature},
		{"v raw", chainID, big.NewInt(42), append(bytes.Clone(good[:64]), good[64]-27), common.Address{}, ErrSignature},
		{"high s", chainID, big.NewInt(42), highS, common.Address{}, ErrSignature},
		{"zero r", chainID, big.NewInt(42), zeroR, common.Address{}, ErrSignature},
		{"negative", chainID, big.NewInt(-42), good, common.Address{}, ErrAmount},
		{"too big", chainID, new(big.Int).Lsh(big.NewInt(1), 256), good, common.Address{}, ErrAmount},
		{"nil amount", chainID, nil, good, common.Address{}, ErrAmount},
		{"nil chain", nil, big.NewInt(42), good, common.Address{}, ErrAmount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyCheque(tt.chainID, cb, ben, tt.cum, tt.sig)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				// A well-formed signature over another digest may fail
				// to recover at all; that is a refusal too.
				if tt.signer == (common.Address{}) && errors.Is(err, ErrSignature) {
					return
				}
				t.Fatal(err)
			}
			if tt.signer != (common.Address{}) && got != tt.signer {
				t.Fatalf("signer = %s, want %s", got, tt.signer)
			}
			if tt.signer == (common.Address{}) && got == addrOf(issuerKey) {
				t.Fatal("signer is the issuer for a cheque the issuer did not sign")
			}
		})
	}
}

func TestSignChequeRejectsBadAmounts(t *testing.T) {
	cb, ben := common.Address{1}, common.Address{2}
	for _, amt := range []*big.Int{nil, big.NewInt(-1), new(big.Int).Lsh(big.NewInt(1), 256)} {
		if _, err := SignCheque(issuerKey, big.NewInt(1), cb, ben, amt); !errors.Is(err, ErrAmount) {
			t.Errorf("SignCheque(%v) err = %v, want ErrAmount", amt, err)
		}
	}
}

func testCheque(t testing.TB) *Cheque {
	t.Helper()
	c, err := NewCheque(issuerKey, big.NewInt(1337), common.HexToAddress("0x1111111111111111111111111111111111111111"),
		addrOf(bobKey), mft(1234))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestChequeBinary(t *testing.T) {
	c := testCheque(t)
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != ChequeSize || b[0] != ChequeVersion {
		t.Fatalf("encoding is %d bytes, version %d", len(b), b[0])
	}
	var d Cheque
	if err := d.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if d.Checkbook != c.Checkbook || d.Beneficiary != c.Beneficiary || d.Cumulative.Cmp(c.Cumulative) != 0 || !bytes.Equal(d.Signature, c.Signature) {
		t.Fatalf("round trip: %+v, want %+v", d, c)
	}
	b[ChequeSize-1] ^= 0xff
	if d.Signature[64] == b[ChequeSize-1] {
		t.Fatal("decoded cheque aliases its input")
	}
	if signer, err := d.Signer(big.NewInt(1337)); err != nil || signer != addrOf(issuerKey) {
		t.Fatalf("Signer = %s, %v", signer, err)
	}

	good, _ := c.MarshalBinary()
	bad := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"version only", []byte{ChequeVersion}},
		{"short", good[:ChequeSize-1]},
		{"long", append(bytes.Clone(good), 0)},
		{"huge", make([]byte, 1<<20)},
		{"version 0", append([]byte{0}, good[1:]...)},
		{"version 2", append([]byte{2}, good[1:]...)},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var d Cheque
			if err := d.UnmarshalBinary(tt.b); err == nil {
				t.Fatal("decoded")
			}
		})
	}

	for name, c := range map[string]*Cheque{
		"short signature": {Cumulative: big.NewInt(1), Signature: make([]byte, 64)},
		"nil amount":      {Signature: make([]byte, 65)},
		"negative":        {Cumulative: big.NewInt(-1), Signature: make([]byte, 65)},
		"over 256 bits":   {Cumulative: new(big.Int).Lsh(big.NewInt(1), 256), Signature: make([]byte, 65)},
	} {
		if _, err := c.MarshalBinary(); err == nil {
			t.Errorf("%s: encoded", name)
		}
	}
}

// FuzzChequeUnmarshal decodes arbitrary bytes as a cheque. Decoding must not
// panic; whatever decodes must encode back to exactly the same bytes (one
// cheque, one encoding); verifying it must not panic either.
func FuzzChequeUnmarshal(f *testing.F) {
	good, err := testCheque(f).MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:40])
	f.Add(append(bytes.Clone(good), 1))
	f.Add([]byte{ChequeVersion})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Cheque
		if err := c.UnmarshalBinary(b); err != nil {
			return
		}
		out, err := c.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded cheque does not encode: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoding differs:\n in  %x\n out %x", b, out)
		}
		_, _ = c.Signer(big.NewInt(1337))
	})
}

// BenchmarkVerifyCheque measures cheque signature verifications per second:
// digest, range checks and public key recovery, as a creditor does for each
// cheque that arrives.
func BenchmarkVerifyCheque(b *testing.B) {
	c := testCheque(b)
	chainID := big.NewInt(1337)
	issuer := addrOf(issuerKey)
	b.ReportAllocs()
	for b.Loop() {
		signer, err := c.Signer(chainID)
		if err != nil || signer != issuer {
			b.Fatal(signer, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifies/s")
}

// BenchmarkSignCheque measures cheques signed per second.
func BenchmarkSignCheque(b *testing.B) {
	chainID := big.NewInt(1337)
	cb, ben := common.Address{1}, addrOf(bobKey)
	amt := mft(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SignCheque(issuerKey, chainID, cb, ben, amt); err != nil {
			b.Fatal(err)
		}
	}
}
