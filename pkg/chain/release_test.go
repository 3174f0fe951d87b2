package chain

import (
	"crypto/ecdsa"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/proof"
)

// releaseOf is the client's release of keys under agreement: the tree over
// the keys and the client's signature.
func (c *courtChain) releaseOf(signer *ecdsa.PrivateKey, agreement *big.Int, keys [][32]byte) (Release, *proof.Tree, []byte) {
	c.t.Helper()
	leaves := make([]proof.Hash, len(keys))
	for i, k := range keys {
		leaves[i] = proof.Leaf(k[:])
	}
	tr, err := proof.FromLeaves(leaves)
	if err != nil {
		c.t.Fatal(err)
	}
	r := Release{Agreement: agreement, Root: tr.Root(), Count: tr.Chunks()}
	sig, err := SignRelease(signer, c.chainID, c.courtAddr, r)
	if err != nil {
		c.t.Fatal(err)
	}
	return r, tr, sig
}

// A provider that dropped what its client released is not guilty: a case
// opened on a released promise is dismissed with the client's signed
// release and the promise's place in it, stake kept; a release signed by
// anyone else, for another agreement, or not naming the case's key, does
// not dismiss it, and the case goes on to its verdict.
func TestReleasedPromiseDismissed(t *testing.T) {
	c := newCourtChain(t)
	ag := c.stake(mft(100), 24*time.Hour)
	caseID, p := c.openPromise(ag)

	keys := [][32]byte{crypto.Keccak256Hash([]byte("other 1")), p.Key, crypto.Keccak256Hash([]byte("other 2"))}
	r, tr, sig := c.releaseOf(clientKey, ag, keys)
	goDigest, err := ReleaseDigest(c.chainID, c.courtAddr, r)
	onChain, cerr := c.court.ReleaseDigest(nil, r.Agreement, r.Root, r.Count)
	if err != nil || cerr != nil || goDigest != onChain {
		t.Fatalf("release digest: Go %x (%v), contract %x (%v)", goDigest, err, onChain, cerr)
	}
	if th, _ := c.court.RELEASETYPEHASH(nil); th != releaseTypeHash {
		t.Fatal("the release type hash differs between Go and the contract")
	}
	path, err := tr.Path(1)
	if err != nil {
		t.Fatal(err)
	}
	dismiss := func(r Release, index uint64, path []proof.Hash, sig []byte) error {
		_, err := DismissReleased(c.ctx, c.b, c.auth(malloryKey), c.courtAddr, caseID, r, index, path, sig)
		return err
	}

	// Refused: signed by the provider itself, by mallory; for another
	// agreement; the wrong leaf; a path for another tree; a key not in
	// the release.
	_, _, bySelf := c.releaseOf(providerKey, ag, keys)
	_, _, byMallory := c.releaseOf(malloryKey, ag, keys)
	other, _, otherSig := c.releaseOf(clientKey, new(big.Int).Add(ag, big.NewInt(1)), keys)
	path0, _ := tr.Path(0)
	_, tr2, sig2 := c.releaseOf(clientKey, ag, [][32]byte{keys[0], keys[2]})
	path2, _ := tr2.Path(1)
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"signed by the provider", dismiss(r, 1, path, bySelf), "release not signed by the client"},
		{"signed by mallory", dismiss(r, 1, path, byMallory), "release not signed by the client"},
		{"for another agreement", dismiss(Release{Agreement: ag, Root: other.Root, Count: other.Count}, 1, path, otherSig), "release not signed by the client"},
		{"another leaf", dismiss(r, 0, path0, sig), "the promise is not in the release"},
		{"the key not released", dismiss(Release{Agreement: ag, Root: tr2.Root(), Count: tr2.Chunks()}, 1, path2, sig2), "the promise is not in the release"},
		{"a count of zero", dismiss(Release{Agreement: ag, Root: r.Root}, 1, path, sig), "count out of range"},
	} {
		if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) {
			t.Fatalf("%s: %v, want %q", tt.name, tt.err, tt.want)
		}
	}
	c.wantCase(caseID, caseState{status: CaseOpen})

	// The client's own release dismisses it: stake kept, no verdict
	// either way, and the agreement free of cases again.
	if err := dismiss(r, 1, path, sig); err != nil {
		t.Fatal(err)
	}
	c.wantCase(caseID, caseState{status: CaseDismissed})
	c.wantAgreement(ag, AgreementStaked, false)
	tx, err := c.court.Judge(c.auth(malloryKey), caseID)
	c.refused(tx, err, "Court: case closed")

	// A later case on the same released promise is dismissed the same way
	// (the client cannot take back what it released); one past its
	// deadline cannot be.
	caseID2, err := OpenPromiseCase(c.ctx, c.b, c.auth(clientKey), c.courtAddr, p.Promise, p.sig)
	if err != nil {
		t.Fatal(err)
	}
	c.advance(2 * time.Hour)
	if _, err := DismissReleased(c.ctx, c.b, c.auth(providerKey), c.courtAddr, caseID2, r, 1, path, sig); err == nil || !strings.Contains(err.Error(), "deadline passed") {
		t.Fatalf("dismissing past the deadline: %v", err)
	}
}
