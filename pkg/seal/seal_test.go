package seal

import (
	"bytes"
	"crypto/rand"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

func mustKey(t testing.TB) PrivateKey {
	k, err := NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	alice := NewOpener(mustKey(t))
	mallory := NewOpener(mustKey(t))
	pub := alice.Public()
	msg := []byte("hello node5")
	ad := []byte("header")
	eph, ct, err := Seal(nil, &pub, msg, ad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, msg) {
		t.Fatal("ciphertext contains the plaintext")
	}
	got, err := alice.Open(nil, &eph, ct, ad)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("open = %q, %v", got, err)
	}

	tests := []struct {
		name string
		o    *Opener
		eph  PublicKey
		ct   []byte
		ad   []byte
	}{
		{"other key", mallory, eph, ct, ad},
		{"flipped ciphertext bit", alice, eph, flip(ct, 0), ad},
		{"flipped tag bit", alice, eph, flip(ct, len(ct)-1), ad},
		{"other header", alice, eph, ct, []byte("headex")},
		{"other ephemeral key", alice, mallory.Public(), ct, ad},
		{"truncated", alice, eph, ct[:len(ct)-1], ad},
		{"empty", alice, eph, nil, ad},
		{"low-order ephemeral key", alice, PublicKey{}, ct, ad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.o.Open(nil, &tt.eph, tt.ct, tt.ad); err != ErrOpen {
				t.Fatalf("err = %v, want ErrOpen", err)
			}
		})
	}
}

func TestSealFreshEphemeral(t *testing.T) {
	pub := NewOpener(mustKey(t)).Public()
	e1, c1, _ := Seal(nil, &pub, []byte("same"), nil)
	e2, c2, _ := Seal(nil, &pub, []byte("same"), nil)
	if e1 == e2 || bytes.Equal(c1, c2) {
		t.Fatal("two seals of the same message share a key or ciphertext")
	}
}

func TestSealLowOrderRecipient(t *testing.T) {
	var zero PublicKey
	if _, _, err := Seal(nil, &zero, []byte("x"), nil); err == nil {
		t.Fatal("sealed to a low-order key")
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 1
	return c
}

// FuzzOpen feeds arbitrary ephemeral keys and ciphertexts to Open: it must
// never panic and never accept anything it did not seal.
func FuzzOpen(f *testing.F) {
	priv := PrivateKey{1, 2, 3}
	o := NewOpener(priv)
	pub := o.Public()
	// A fixed ephemeral key, not a fresh one: every fuzzing worker is its own
	// process and builds this seed again, and with a random key each would
	// see the other processes' seed as a forgery.
	ephPriv := PrivateKey{4, 5, 6}
	eph := NewOpener(ephPriv).Public()
	ct, err := SealWith(nil, &ephPriv, &pub, []byte("seed"), []byte("ad"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(eph[:], ct, []byte("ad"))
	f.Add(make([]byte, 32), []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, e, ct, ad []byte) {
		var ep PublicKey
		copy(ep[:], e)
		out, err := o.Open(nil, &ep, ct, ad)
		if err == nil && !(ep == eph && bytes.Equal(ad, []byte("ad")) && bytes.Equal(out, []byte("seed"))) {
			t.Fatalf("opened a forged ciphertext: %q", out)
		}
	})
}

const benchSize = 4 << 10

// BenchmarkSeal is a first-contact seal: a fresh ephemeral key per packet.
func BenchmarkSeal(b *testing.B) {
	pub := NewOpener(mustKey(b)).Public()
	msg := make([]byte, benchSize)
	buf := make([]byte, 0, benchSize+Overhead)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Seal(buf[:0], &pub, msg, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	o := NewOpener(mustKey(b))
	pub := o.Public()
	msg := make([]byte, benchSize)
	eph, ct, _ := Seal(nil, &pub, msg, nil)
	buf := make([]byte, 0, benchSize)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.Open(buf[:0], &eph, ct, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawAEAD is the reference: ChaCha20-Poly1305 alone on the same
// size, with the key set up once.
func BenchmarkRawAEAD(b *testing.B) {
	key := make([]byte, chacha20poly1305.KeySize)
	rand.Read(key)
	aead, _ := chacha20poly1305.New(key)
	msg := make([]byte, benchSize)
	buf := make([]byte, 0, benchSize+Overhead)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		aead.Seal(buf[:0], zeroNonce[:], msg, nil)
	}
}

// BenchmarkX25519 is the cost of one scalar multiplication, the unit the
// first-contact target is stated in: a first-contact seal needs two (the
// ephemeral key and the key agreement), so its ceiling is half this rate.
func BenchmarkX25519(b *testing.B) {
	k, p := mustKey(b), mustKey(b)
	priv, pub := k.ecdh(), p.ecdh().PublicKey()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := priv.ECDH(pub); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSealSym(t *testing.T) {
	k, _ := NewSymKey()
	other, _ := NewSymKey()
	nonce := make([]byte, NonceSize)
	rand.Read(nonce)
	ct, err := SealSym(nil, &k, nonce, []byte("group hello"), []byte("hdr"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := OpenSym(nil, &k, nonce, ct, []byte("hdr")); err != nil || string(got) != "group hello" {
		t.Fatalf("open = %q, %v", got, err)
	}
	for name, f := range map[string]func() error{
		"other key":   func() error { _, err := OpenSym(nil, &other, nonce, ct, []byte("hdr")); return err },
		"other ad":    func() error { _, err := OpenSym(nil, &k, nonce, ct, []byte("hdx")); return err },
		"flipped":     func() error { _, err := OpenSym(nil, &k, nonce, flip(ct, 3), []byte("hdr")); return err },
		"short nonce": func() error { _, err := OpenSym(nil, &k, nonce[:5], ct, []byte("hdr")); return err },
	} {
		if err := f(); err != ErrOpen {
			t.Errorf("%s: err = %v, want ErrOpen", name, err)
		}
	}
}

// BenchmarkSealSession is sealing inside a session or group: compare its
// MB/s with BenchmarkRawAEAD in the same run (target: at least half).
func BenchmarkSealSession(b *testing.B) {
	k, _ := NewSymKey()
	nonce := make([]byte, NonceSize)
	msg := make([]byte, benchSize)
	buf := make([]byte, 0, benchSize+Overhead)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		rand.Read(nonce)
		if _, err := SealSym(buf[:0], &k, nonce, msg, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDH(t *testing.T) {
	a, _ := NewPrivateKey()
	b, _ := NewPrivateKey()
	ap, bp := a.Public(), b.Public()
	s1, err := DH(&a, &bp)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := NewOpener(b).DH(&ap)
	if err != nil || string(s1) != string(s2) {
		t.Fatalf("the two sides disagree: %v", err)
	}
	var low PublicKey // the identity point: an all-zero secret
	if _, err := DH(&a, &low); err == nil {
		t.Fatal("a low-order key was accepted")
	}
	k1 := DeriveSymKey(s1, []byte("salt"), []byte("info"))
	if k2 := DeriveSymKey(s1, nil, []byte("info")); k1 == k2 {
		t.Fatal("the salt does not change the key")
	}
}
