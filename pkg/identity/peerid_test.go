package identity

import (
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	p2pcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

func TestPeerIDMatchesLibp2p(t *testing.T) {
	for i := 0; i < 20; i++ {
		id, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		k, err := p2pcrypto.UnmarshalSecp256k1PublicKey(crypto.CompressPubkey(&id.Key.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		want, err := peer.IDFromPublicKey(k)
		if err != nil {
			t.Fatal(err)
		}
		if got := id.Public().PeerID(); got != want {
			t.Fatalf("PeerID = %s, libp2p says %s", got, want)
		}
		if got, _ := peer.IDFromPrivateKey(id.P2PKey()); got != want {
			t.Fatalf("host ID %s differs", got)
		}
	}
}

func BenchmarkPeerID(b *testing.B) {
	id, _ := Generate()
	pub := id.Public()
	b.ReportAllocs()
	for b.Loop() {
		pub.PeerID()
	}
}
