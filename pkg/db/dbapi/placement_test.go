package dbapi

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func placementOf(t testing.TB, m *Meta, ownerKeyByte byte, providers ...byte) *Placement {
	t.Helper()
	p := &Placement{Dataset: m.ID, Version: 1}
	for i, b := range providers {
		p.Providers = append(p.Providers, Provider{Address: addr(fixedKey(t, b).Key), PeerID: "12D3KooWpeer" + string(rune('A'+i))})
	}
	if err := p.Sign(fixedKey(t, ownerKeyByte).Key); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlacement(t *testing.T) {
	alice, bob := fixedKey(t, 1), fixedKey(t, 2)
	m := testMeta(t, alice, bob)
	p := placementOf(t, m, 1, 3, 4, 5)
	if err := p.Verify(); err != nil {
		t.Fatal(err)
	}
	if err := p.Fits(m); err != nil {
		t.Fatal(err)
	}
	if !p.Has(addr(fixedKey(t, 4).Key)) || p.Has(addr(bob.Key)) {
		t.Fatal("Has is wrong")
	}
	q, err := DecodePlacement(p.Encode())
	if err != nil || !bytes.Equal(q.Encode(), p.Encode()) {
		t.Fatalf("round trip: %v", err)
	}

	// A placement signed by anyone but the owner does not fit, and one
	// altered after signing does not verify.
	forged := placementOf(t, m, 2, 3, 4, 5)
	if err := forged.Fits(m); !errors.Is(err, ErrInvalid) {
		t.Fatalf("placement by bob fits alice's dataset: %v", err)
	}
	alt := *p
	alt.Providers = append([]Provider{}, p.Providers...)
	alt.Providers[0].PeerID = "12D3KooWevil"
	if err := alt.Verify(); !errors.Is(err, ErrSignature) {
		t.Fatalf("altered placement: %v", err)
	}
	if err := placementOf(t, m, 1, 3, 4).Fits(m); !errors.Is(err, ErrInvalid) {
		t.Fatalf("two providers for redundancy 3: %v", err)
	}

	for _, tt := range []struct {
		name string
		p    Placement
	}{
		{"no providers", Placement{Dataset: m.ID, Version: 1}},
		{"version 0", Placement{Dataset: m.ID, Providers: []Provider{{Address: addr(bob.Key), PeerID: "x"}}}},
		{"owner provides", Placement{Dataset: m.ID, Version: 1, Providers: []Provider{{Address: addr(alice.Key), PeerID: "x"}}}},
		{"repeated provider", Placement{Dataset: m.ID, Version: 1, Providers: []Provider{{Address: addr(bob.Key), PeerID: "x"}, {Address: addr(bob.Key), PeerID: "y"}}}},
		{"bad peer id", Placement{Dataset: m.ID, Version: 1, Providers: []Provider{{Address: addr(bob.Key), PeerID: "a/b"}}}},
		{"empty peer id", Placement{Dataset: m.ID, Version: 1, Providers: []Provider{{Address: addr(bob.Key)}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Sign(alice.Key); !errors.Is(err, ErrInvalid) {
				t.Fatalf("signed: %v", err)
			}
		})
	}
}

func TestRef(t *testing.T) {
	alice, bob := fixedKey(t, 1), fixedKey(t, 2)
	m := testMeta(t, alice, bob)
	p := placementOf(t, m, 1, 3, 4, 5)
	ref := &Ref{Meta: m, Placement: p}
	got, err := ParseRef(ref.String())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Meta.Encode(), m.Encode()) || !bytes.Equal(got.Placement.Encode(), p.Encode()) {
		t.Fatal("reference does not round-trip")
	}
	for _, bad := range []string{"", "mfdb1:", "mfdb1:!!", "nope", (&Ref{Meta: m}).String(), "mfdb1:" + strings.Repeat("A", MaxRef)} {
		if _, err := ParseRef(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRef(%.20q): %v", bad, err)
		}
	}
	// A reference whose placement is not the owner's is refused.
	bad := &Ref{Meta: m, Placement: placementOf(t, m, 2, 3, 4, 5)}
	if _, err := ParseRef(bad.String()); err == nil {
		t.Fatal("accepted a placement signed by another")
	}
}

func FuzzDecodePlacement(f *testing.F) {
	alice, bob := fixedKey(f, 1), fixedKey(f, 2)
	f.Add(placementOf(f, testMeta(f, alice, bob), 1, 3, 4, 5).Encode())
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePlacement(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrSignature) {
				t.Fatalf("error %v is not ErrInvalid or ErrSignature", err)
			}
			return
		}
		if !bytes.Equal(p.Encode(), b) {
			t.Fatal("accepted a non-canonical encoding")
		}
	})
}

func FuzzParseRef(f *testing.F) {
	alice, bob := fixedKey(f, 1), fixedKey(f, 2)
	m := testMeta(f, alice, bob)
	f.Add((&Ref{Meta: m, Placement: placementOf(f, m, 1, 3, 4, 5)}).String())
	f.Add("mfdb1:e30")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			return
		}
		if err := r.Verify(); err != nil {
			t.Fatalf("accepted a reference that does not verify: %v", err)
		}
	})
}

func TestNetworkPlacement(t *testing.T) {
	m := &Meta{Name: "holders", ACL: ACL{Read: Anyone, Insert: Self, Update: Self, Delete: Self}, Redundancy: 2, Quorum: 2, Version: 1}
	if err := m.SetNetworkID(); err != nil {
		t.Fatal(err)
	}
	var cs []Candidate
	for i := byte(1); i <= 4; i++ {
		c := Candidate{Provider: Provider{Address: addr(fixedKey(t, i).Key), PeerID: "12D3KooW" + string(rune('a'+i))}}
		c.Overlay = m.ID
		c.Overlay[0] ^= 1 << (i - 1) // candidate i is 2^(i-1) away in the top byte
		cs = append(cs, c)
	}
	got := NearestProviders(m.ID, []Candidate{cs[3], cs[1], cs[2], cs[0]}, 2)
	if len(got) != 2 || got[0] != cs[0].Provider || got[1] != cs[1].Provider {
		t.Fatalf("nearest: %v", got)
	}
	p, err := NetworkPlacement(m.ID, got)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Ref{Meta: m, Placement: p}).Verify(); err != nil {
		t.Fatal(err)
	}
	q, err := DecodePlacement(p.Encode())
	if err != nil || !bytes.Equal(q.Encode(), p.Encode()) {
		t.Fatalf("round trip: %v", err)
	}
	// Nobody signs it, so a signature is refused.
	p.Sig = make([]byte, 65)
	if err := p.Verify(); !errors.Is(err, ErrSignature) {
		t.Fatalf("signed network placement: %v", err)
	}
}
