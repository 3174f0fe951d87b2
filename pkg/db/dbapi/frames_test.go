package dbapi

import (
	"bytes"
	"errors"
	"testing"
)

func TestChangesFrames(t *testing.T) {
	alice, bob := fixedKey(t, 1), fixedKey(t, 2)
	m := testMeta(t, alice, bob)
	cs := []*Change{testChange(t, m, bob, "a", `{}`, 1), testChange(t, m, bob, "b", `{"x": 1}`, 2)}
	b := EncodeChanges(cs)
	got, err := DecodeChanges(b, 10)
	if err != nil || len(got) != 2 || got[1].Digest() != cs[1].Digest() {
		t.Fatalf("round trip: %v", err)
	}
	if err := VerifyAll(got); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"empty":     {},
		"truncated": b[:len(b)-1],
		"trailing":  append(bytes.Clone(b), 0),
		"huge":      {0xff, 0xff, 0xff, 0xff, 0x0f},
	} {
		if _, err := DecodeChanges(bad, 10); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := DecodeChanges(b, 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("over the limit: %v", err)
	}
}

func FuzzDecodeChanges(f *testing.F) {
	alice, bob := fixedKey(f, 1), fixedKey(f, 2)
	m := testMeta(f, alice, bob)
	f.Add(EncodeChanges([]*Change{testChange(f, m, bob, "a", `{}`, 1), testChange(f, m, bob, "b", `{"x": 1}`, 2)}))
	f.Add([]byte{})
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := DecodeChanges(b, 64)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v is not one of the package's", err)
			}
			return
		}
		if !bytes.Equal(EncodeChanges(cs), b) {
			t.Fatal("accepted a non-canonical encoding")
		}
	})
}
