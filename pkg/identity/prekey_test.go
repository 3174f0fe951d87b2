package identity

import (
	"errors"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/seal"
)

// fixedIdentity is a deterministic identity, so that fuzz seeds are the same
// in every process.
func fixedIdentity(t testing.TB, b byte) *Identity {
	t.Helper()
	var d [32]byte
	d[31] = b
	k, err := crypto.ToECDSA(d[:])
	if err != nil {
		t.Fatal(err)
	}
	id, err := FromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPrekey(t *testing.T) {
	id := fixedIdentity(t, 7)
	var pk seal.PublicKey
	pk[0] = 9
	now := time.Unix(1_800_000_000, 0)
	p, err := id.SignPrekey(pk, now, now.Add(36*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	q, err := DecodePrekey(p.Bytes())
	if err != nil || q.Key != pk || q.Owner.Overlay() != id.Public().Overlay() || !q.Expires.Equal(now.Add(36*time.Hour)) {
		t.Fatalf("round trip: %+v, %v", q, err)
	}
	if !q.Valid(now) || q.Valid(now.Add(36*time.Hour)) {
		t.Fatal("validity window")
	}
	// Every single-byte change is refused.
	for i := range p.Bytes() {
		b := append([]byte(nil), p.Bytes()...)
		b[i] ^= 1
		if _, err := DecodePrekey(b); !errors.Is(err, ErrPrekey) {
			t.Fatalf("byte %d changed: %v", i, err)
		}
	}
	if _, err := id.SignPrekey(pk, now, now); err == nil {
		t.Fatal("an empty lifetime was signed")
	}
}

// FuzzDecodePrekey feeds arbitrary bytes to DecodePrekey: it never panics,
// fails only with ErrPrekey, and what it accepts encodes back to the same
// bytes.
func FuzzDecodePrekey(f *testing.F) {
	id := fixedIdentity(f, 7)
	now := time.Unix(1_800_000_000, 0)
	p, err := id.SignPrekey(seal.PublicKey{1, 2, 3}, now, now.Add(time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p.Bytes())
	f.Add([]byte{})
	f.Add(make([]byte, PrekeySize))
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := DecodePrekey(b)
		if err != nil {
			if !errors.Is(err, ErrPrekey) {
				t.Fatalf("error %v is not ErrPrekey", err)
			}
			return
		}
		if string(q.Bytes()) != string(b) || !q.Expires.After(q.Created) {
			t.Fatalf("accepted %x as %+v", b, q)
		}
	})
}
