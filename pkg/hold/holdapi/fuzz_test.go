package holdapi

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

func testKey(b byte) *ecdsa.PrivateKey {
	raw := make([]byte, 32)
	raw[0], raw[31] = 0x40, b
	k, err := crypto.ToECDSA(raw)
	if err != nil {
		panic(err)
	}
	return k
}

func testPacket(i, n int) []byte {
	b := []byte{2, 0, 16, 1, 0, 0xab, 1, 2, 3, 4}
	b = append(b, make([]byte, 32)...)
	b = binary.AppendUvarint(b, uint64(n))
	body := make([]byte, n)
	binary.BigEndian.PutUint64(body, uint64(i))
	return append(b, body...)
}

func FuzzDecodeReceipt(f *testing.F) {
	rc, err := SignReceipt(testKey(1), common.Address{9}, testPacket(1, 100), 12345)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rc.Encode())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeReceipt(b)
		if err != nil {
			return
		}
		if !bytes.Equal(r.Encode(), b) {
			t.Fatal("a receipt has a second encoding")
		}
		j, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Receipt
		if err := back.UnmarshalJSON(j); err != nil || !bytes.Equal(back.Encode(), b) {
			t.Fatalf("JSON round trip: %v", err)
		}
	})
}

func FuzzReceiptJSON(f *testing.F) {
	rc, _ := SignReceipt(testKey(1), common.Address{9}, testPacket(1, 100), 12345)
	j, _ := rc.MarshalJSON()
	f.Add(j)
	f.Add([]byte(`{"id":"00"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Receipt
		if r.UnmarshalJSON(b) != nil {
			return
		}
		if err := r.Verify(); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzDecodeReceivedList(f *testing.F) {
	l := &ReceivedList{Delegate: common.Address{7}, AtMs: 99, IDs: [][32]byte{{1}, {2}}}
	if err := l.Sign(testKey(2)); err != nil {
		f.Fatal(err)
	}
	f.Add(l.Encode())
	r := &ReceivedList{Delegate: common.Address{7}, AtMs: 99, IDs: [][32]byte{{1}, {2}, {3}}}
	if err := r.SignRelease(testKey(2), big.NewInt(1337), common.Address{0xc0}, big.NewInt(5)); err != nil {
		f.Fatal(err)
	}
	if err := r.Sign(testKey(2)); err != nil {
		f.Fatal(err)
	}
	f.Add(r.Encode())
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := DecodeReceivedList(b)
		if err != nil {
			return
		}
		if !bytes.Equal(l.Encode(), b) {
			t.Fatal("a received-list has a second encoding")
		}
	})
}

func FuzzDecodeHeld(f *testing.F) {
	f.Add(EncodeHeld([]Held{{Seq: 1, TakenMs: 2, Packet: testPacket(1, 10)}, {Seq: 3, TakenMs: 4, Packet: testPacket(2, 20)}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		hs, err := DecodeHeld(b)
		if err != nil {
			return
		}
		if !bytes.Equal(EncodeHeld(hs), b) {
			t.Fatal("held frames have a second encoding")
		}
	})
}

func FuzzPacketID(f *testing.F) {
	f.Add(testPacket(1, 10))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := PacketID(b)
		if err != nil {
			return
		}
		// The ttl is not covered: a relay's copy has the same id.
		c := bytes.Clone(b)
		c[2]++
		if id2, _ := PacketID(c); id2 != id {
			t.Fatal("the id covers the ttl")
		}
	})
}

// FuzzClaimJSON: a claim comes from a delegate inside its receipt and from
// a sender that passes it on; what reads it has one spelling.
func FuzzClaimJSON(f *testing.F) {
	c := Claim{Agreement: big.NewInt(7), Key: [32]byte{1}, Root: [32]byte{2}, Chunks: 3, Sig: make([]byte, 65)}
	j, _ := c.MarshalJSON()
	f.Add(j)
	f.Add([]byte(`{"agreement":"-1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Claim
		if c.UnmarshalJSON(b) != nil {
			return
		}
		j, err := c.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Claim
		if err := back.UnmarshalJSON(j); err != nil {
			t.Fatal(err)
		}
		j2, _ := back.MarshalJSON()
		if !bytes.Equal(j, j2) {
			t.Fatal("a claim reads back as another")
		}
	})
}
