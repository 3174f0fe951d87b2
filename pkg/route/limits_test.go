package route

import (
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	ma "github.com/multiformats/go-multiaddr"
)

// A node behind a NAT talks to many peers through one relay, and libp2p
// counts each of those connections against the relay's address: its
// default limits refuse the ninth; mf's take twenty.
func TestManyPeersThroughOneRelay(t *testing.T) {
	relayed := ma.StringCast("/ip6/2001:2::1/tcp/4001/p2p/16Uiu2HAmKV62aLfinDHd9fHW4oMvFeGo6usXUjyG25V7b6wAj7Rk/p2p-circuit")
	open := func(rm network.ResourceManager, n int) (opened int) {
		for range n {
			scope, err := rm.OpenConnection(network.DirInbound, false, relayed)
			if err != nil {
				return opened
			}
			defer scope.Done()
			opened++
		}
		return opened
	}

	def, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(rcmgr.DefaultLimits.AutoScale()))
	if err != nil {
		t.Fatal(err)
	}
	defer def.Close()
	if got := open(def, 20); got != 8 {
		t.Fatalf("libp2p's defaults took %d relayed connections through one relay; this test expects them to stop at 8", got)
	}

	rm, err := newResourceManager()
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	if got := open(rm, 20); got != 20 {
		t.Fatalf("mf's resource manager took only %d of 20 relayed connections through one relay", got)
	}
}
