package identity

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/mainframe/mf/pkg/wire"
)

// testKey is a fixed identity key, so that seeds and golden values do not
// change from run to run.
func testKey(t testing.TB, seed string) *ecdsa.PrivateKey {
	t.Helper()
	h := sha256.Sum256([]byte("mf test key " + seed))
	k, err := crypto.ToECDSA(h[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testIdentity(t testing.TB, seed string) *Identity {
	t.Helper()
	id, err := FromKey(testKey(t, seed))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var testAddrs = []string{
	"/ip4/127.0.0.1/tcp/7700",
	"/ip4/0.0.0.0/udp/7700/quic-v1",
	"/ip6/::1/tcp/7701",
	"/dns4/node.example.com/tcp/7700",
}

func multiaddrs(t testing.TB, ss ...string) []ma.Multiaddr {
	t.Helper()
	var out []ma.Multiaddr
	for _, s := range ss {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

var testTime = time.Unix(1_700_000_000, 0)

func encOf(id *Identity) []byte {
	p := id.Enc.Public()
	return p[:]
}

func testCard(t testing.TB, id *Identity, addrs ...string) *Card {
	t.Helper()
	c, err := id.NewCard(multiaddrs(t, addrs...), testTime)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cardBody builds the signed part of a card by hand, so tests can make
// cards that NewCard would not.
func cardBody(version byte, key *ecdsa.PublicKey, enc []byte, created uint64, naddrs int, addrs [][]byte) []byte {
	var w wire.Writer
	w.Byte(version)
	w.Fixed(crypto.CompressPubkey(key))
	w.Fixed(enc)
	w.Uint64(created)
	w.Byte(byte(naddrs))
	for _, a := range addrs {
		w.Bytes(a)
	}
	return w.B
}

func signCard(t testing.TB, k *ecdsa.PrivateKey, body []byte) []byte {
	t.Helper()
	sig, err := crypto.Sign(cardHash(body), k)
	if err != nil {
		t.Fatal(err)
	}
	return append(bytes.Clone(body), sig...)
}

func TestCardRoundTrip(t *testing.T) {
	id := testIdentity(t, "alice")
	tests := []struct {
		name  string
		addrs []string
	}{
		{"no addresses", nil},
		{"one address", testAddrs[:1]},
		{"several addresses", testAddrs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testCard(t, id, tt.addrs...)
			s := c.String()
			if !strings.HasPrefix(s, CardPrefix) || strings.ContainsAny(s, " \n\t=+/") {
				t.Fatalf("text form %q is not one shell-safe word", s)
			}
			if !LooksLikeCard(" " + s + "\n") {
				t.Fatal("LooksLikeCard is false for a card")
			}
			got, err := ParseCard("  " + s + "\n")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), c.Bytes()) {
				t.Fatal("binary form changed in the round trip")
			}
			pub := id.Public()
			if got.PeerID() != pub.PeerID() || got.Overlay() != pub.Overlay() || got.Address() != pub.Address() {
				t.Fatal("card does not carry the identity it was made from")
			}
			if got.Enc != pub.Enc {
				t.Fatal("encryption key changed")
			}
			if !got.Created.Equal(testTime) {
				t.Fatalf("Created = %v, want %v", got.Created, testTime)
			}
			if len(got.Addrs) != len(tt.addrs) {
				t.Fatalf("%d addresses, want %d", len(got.Addrs), len(tt.addrs))
			}
			for i, a := range got.Addrs {
				if a.String() != tt.addrs[i] {
					t.Errorf("address %d = %s, want %s", i, a, tt.addrs[i])
				}
			}
			if OverlayOf(got.PeerID()) != got.Overlay() {
				t.Fatal("overlay is not the hash of the peer id")
			}
		})
	}
}

func TestNewCardTruncatesAddrs(t *testing.T) {
	id := testIdentity(t, "alice")
	var addrs []string
	for i := 0; i < MaxCardAddrs+3; i++ {
		addrs = append(addrs, testAddrs[i%len(testAddrs)])
	}
	c := testCard(t, id, addrs...)
	if len(c.Addrs) != MaxCardAddrs {
		t.Fatalf("%d addresses, want %d", len(c.Addrs), MaxCardAddrs)
	}
}

// TestCardAltered flips every byte of a card in turn: an altered card must
// never verify.
func TestCardAltered(t *testing.T) {
	c := testCard(t, testIdentity(t, "alice"), testAddrs...)
	raw := c.Bytes()
	for _, mask := range []byte{0x01, 0x80, 0xff} {
		for i := range raw {
			b := bytes.Clone(raw)
			b[i] ^= mask
			if got, err := DecodeCard(b); !errors.Is(err, ErrCard) {
				t.Fatalf("byte %d ^ %#x: DecodeCard = %v, %v; want ErrCard", i, mask, got, err)
			}
		}
	}
	if _, err := DecodeCard(raw); err != nil {
		t.Fatalf("the loop altered the original: %v", err)
	}
}

func TestCardForged(t *testing.T) {
	alice, mallory := testIdentity(t, "alice"), testIdentity(t, "mallory")
	ab := multiaddrs(t, testAddrs[0])[0].Bytes()
	created := uint64(testTime.Unix())
	tests := []struct {
		name string
		card []byte
	}{
		{"alice's card signed by mallory",
			signCard(t, mallory.Key, cardBody(1, &alice.Key.PublicKey, encOf(alice), created, 1, [][]byte{ab}))},
		{"alice's key with mallory's enc key signed by mallory",
			signCard(t, mallory.Key, cardBody(1, &alice.Key.PublicKey, encOf(mallory), created, 1, [][]byte{ab}))},
		{"alice's signature on mallory's card",
			append(cardBody(1, &mallory.Key.PublicKey, encOf(mallory), created, 1, [][]byte{ab}),
				testCard(t, alice, testAddrs[0]).Bytes()[len(testCard(t, alice, testAddrs[0]).Bytes())-65:]...)},
		{"unsigned", cardBody(1, &alice.Key.PublicKey, encOf(alice), created, 0, nil)},
		{"zero signature", append(cardBody(1, &alice.Key.PublicKey, encOf(alice), created, 0, nil), make([]byte, 65)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := DecodeCard(tt.card); !errors.Is(err, ErrCard) {
				t.Fatalf("DecodeCard = %v, %v; want ErrCard", c, err)
			}
		})
	}
}

func TestCardMalformed(t *testing.T) {
	alice := testIdentity(t, "alice")
	enc := encOf(alice)
	created := uint64(testTime.Unix())
	ab := multiaddrs(t, testAddrs[0])[0].Bytes()
	var many [][]byte
	for i := 0; i <= MaxCardAddrs; i++ {
		many = append(many, ab)
	}
	good := testCard(t, alice, testAddrs...).Bytes()
	tests := []struct {
		name string
		card []byte
	}{
		{"empty", nil},
		{"version only", []byte{1}},
		{"unknown version", signCard(t, alice.Key, cardBody(2, &alice.Key.PublicKey, enc, created, 0, nil))},
		{"too many addresses", signCard(t, alice.Key, cardBody(1, &alice.Key.PublicKey, enc, created, MaxCardAddrs+1, many))},
		{"fewer addresses than announced", signCard(t, alice.Key, cardBody(1, &alice.Key.PublicKey, enc, created, 2, [][]byte{ab}))},
		{"address not a multiaddr", signCard(t, alice.Key, cardBody(1, &alice.Key.PublicKey, enc, created, 1, [][]byte{[]byte("nope")}))},
		{"address too long", signCard(t, alice.Key, cardBody(1, &alice.Key.PublicKey, enc, created, 1, [][]byte{make([]byte, 256)}))},
		{"creation time out of range", signCard(t, alice.Key, cardBody(1, &alice.Key.PublicKey, enc, 1<<40+1, 0, nil))},
		{"truncated", good[:len(good)-1]},
		{"trailing byte", append(bytes.Clone(good), 0)},
		{"signature missing", good[:len(good)-65]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := DecodeCard(tt.card); !errors.Is(err, ErrCard) {
				t.Fatalf("DecodeCard = %v, %v; want ErrCard", c, err)
			}
		})
	}
}

func TestParseCardErrors(t *testing.T) {
	alice := testIdentity(t, "alice")
	good := testCard(t, alice, testAddrs...)
	body := strings.TrimPrefix(good.String(), CardPrefix)
	ab := multiaddrs(t, testAddrs[0])[0].Bytes()
	var many [][]byte
	for i := 0; i <= MaxCardAddrs; i++ {
		many = append(many, ab)
	}
	tooMany := signCard(t, alice.Key, cardBody(1, &alice.Key.PublicKey, encOf(alice), uint64(testTime.Unix()), len(many), many))
	tests := []struct {
		name string
		text string
	}{
		{"empty", ""},
		{"prefix only", CardPrefix},
		{"wrong prefix", "mfc2" + body},
		{"upper-case prefix", "MFC1" + body},
		{"no prefix", body},
		{"bad base64", CardPrefix + body[:10] + "!" + body[11:]},
		{"padded base64", CardPrefix + base64.URLEncoding.EncodeToString(good.Bytes()) + "=="},
		{"standard base64 alphabet", CardPrefix + strings.NewReplacer("-", "+", "_", "/").Replace(body) + "+/"},
		{"space inside", CardPrefix + body[:20] + " " + body[20:]},
		{"truncated", good.String()[:len(good.String())-4]},
		{"too many addresses", CardPrefix + base64.RawURLEncoding.EncodeToString(tooMany)},
		{"oversize", CardPrefix + strings.Repeat("A", MaxCardText)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := ParseCard(tt.text); !errors.Is(err, ErrCard) {
				t.Fatalf("ParseCard = %v, %v; want ErrCard", c, err)
			}
		})
	}
}

// TestParseCardCanonical: a card has one text form. Changing its last
// character (whose low bits carry no data when the card's length is not a
// multiple of 3) or breaking its line must not give another spelling of the
// same card.
func TestParseCardCanonical(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	tested := 0
	for n := range len(testAddrs) + 1 {
		c := testCard(t, testIdentity(t, "alice"), testAddrs[:n]...)
		if len(c.Bytes())%3 == 0 {
			continue // every bit of the last character is data
		}
		tested++
		text := c.String()
		if _, err := ParseCard(text); err != nil {
			t.Fatal(err)
		}
		for _, r := range alphabet {
			other := text[:len(text)-1] + string(r)
			if other == text {
				continue
			}
			if got, err := ParseCard(other); !errors.Is(err, ErrCard) {
				t.Fatalf("%d addresses, last character %q for %q: ParseCard = %v, %v; want ErrCard", n, r, text[len(text)-1:], got, err)
			}
		}
		for _, brk := range []string{"\n", "\r\n"} {
			other := text[:len(text)/2] + brk + text[len(text)/2:]
			if got, err := ParseCard(other); !errors.Is(err, ErrCard) {
				t.Fatalf("line break %q inside: ParseCard = %v, %v; want ErrCard", brk, got, err)
			}
		}
	}
	if tested == 0 {
		t.Fatal("no test card has unused bits in its last character")
	}
}

// checkCard checks the invariants of a card that verified: its binary form
// is the input, it is the canonical encoding of its fields, and everything
// derived from the key agrees.
func checkCard(t *testing.T, c *Card, in []byte) {
	t.Helper()
	if !bytes.Equal(c.Bytes(), in) {
		t.Fatalf("Bytes() = % x, input % x", c.Bytes(), in)
	}
	var ab [][]byte
	for _, a := range c.Addrs {
		ab = append(ab, a.Bytes())
	}
	re := append(cardBody(cardVersion, c.Key, c.Enc[:], uint64(c.Created.Unix()), len(c.Addrs), ab), in[len(in)-65:]...)
	if !bytes.Equal(re, in) {
		t.Fatalf("re-encoding the fields gives % x, input % x", re, in)
	}
	if len(c.Addrs) > MaxCardAddrs {
		t.Fatalf("%d addresses", len(c.Addrs))
	}
	if OverlayOf(c.PeerID()) != c.Overlay() {
		t.Fatal("overlay is not the hash of the peer id")
	}
	if c.Address() != crypto.PubkeyToAddress(*c.Key) {
		t.Fatal("address does not match the key")
	}
	back, err := ParseCard(c.String())
	if err != nil || !bytes.Equal(back.Bytes(), in) {
		t.Fatalf("text round trip: %v", err)
	}
}

func cardSeeds(t testing.TB) [][]byte {
	alice, bob := testIdentity(t, "alice"), testIdentity(t, "bob")
	var all []string
	for i := 0; i < MaxCardAddrs; i++ {
		all = append(all, testAddrs[i%len(testAddrs)])
	}
	return [][]byte{
		testCard(t, alice).Bytes(),
		testCard(t, alice, testAddrs[0]).Bytes(),
		testCard(t, bob, testAddrs...).Bytes(),
		testCard(t, bob, all...).Bytes(),
	}
}

// FuzzDecodeCard feeds arbitrary bytes to DecodeCard: it never panics, fails
// only with ErrCard, and every card it accepts is canonical and consistent.
func FuzzDecodeCard(f *testing.F) {
	for _, b := range cardSeeds(f) {
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCard(b)
		if err != nil {
			if !errors.Is(err, ErrCard) {
				t.Fatalf("error %v is not ErrCard", err)
			}
			return
		}
		checkCard(t, c, b)
	})
}

// FuzzParseCard is FuzzDecodeCard for the text form.
func FuzzParseCard(f *testing.F) {
	for _, b := range cardSeeds(f) {
		f.Add(CardPrefix + base64.RawURLEncoding.EncodeToString(b))
	}
	f.Add("")
	f.Add(CardPrefix)
	f.Add("mfc1AAAA")
	f.Add("  mfc1 \n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCard(s)
		if err != nil {
			if !errors.Is(err, ErrCard) {
				t.Fatalf("error %v is not ErrCard", err)
			}
			return
		}
		if !LooksLikeCard(s) {
			t.Fatalf("ParseCard accepted %q but LooksLikeCard is false", s)
		}
		if len(strings.TrimSpace(s)) > MaxCardText {
			t.Fatalf("accepted %d characters", len(s))
		}
		checkCard(t, c, c.Bytes())
		// The text form is canonical too: one card, one spelling.
		if got := strings.TrimSpace(s); got != c.String() {
			t.Fatalf("accepted %q, a second spelling of %q", got, c.String())
		}
	})
}
