package route

import (
	"context"
	"encoding/base32"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	record "github.com/libp2p/go-libp2p-record"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// A hostile DHT peer that announces itself under many keys fills no more
// than its share of a node's provider store; an honest node's announcement
// is still stored and found.
func TestProviderStoreBounded(t *testing.T) {
	b := startGatewayNode(t, 0)
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableRelay())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	// A stock DHT: it keeps whatever it announces itself, without bound.
	kad, err := dht.New(h, dht.Mode(dht.ModeServer), dht.ProtocolPrefix(dhtPrefix),
		dht.Validator(record.NamespacedValidator{"pk": record.PublicKeyValidator{}}))
	if err != nil {
		t.Fatal(err)
	}
	defer kad.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := h.Connect(ctx, peer.AddrInfo{ID: b.host.ID(), Addrs: b.host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b in the hostile routing table", func() bool { return kad.RoutingTable().Find(b.host.ID()) != "" })
	const keys = 100
	for i := 0; i < keys; i++ {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = kad.Provide(pctx, ServiceKey(fmt.Sprintf("spam%c%c", 'a'+i/26, 'a'+i%26)), true)
		cancel()
	}
	hostile := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(h.ID()))
	if got := b.provs.count(hostile); got != maxProviderKeysPerPeer {
		t.Fatalf("b holds %d records of the hostile peer after %d announcements, want the bound %d", got, keys, maxProviderKeysPerPeer)
	}

	// An honest node still gets its record stored and found.
	a := startGatewayNode(t, 0)
	linkNodes(t, a.Node, b.Node)
	waitFor(t, "a dht peer", func() bool { return len(a.kad.RoutingTable().ListPeers()) > 0 })
	if _, err := routeapi.NewClient(a.home).Announce(ctx, "store", 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a's record at b", func() bool {
		return b.provs.count(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(a.host.ID()))) == 1
	})
}
