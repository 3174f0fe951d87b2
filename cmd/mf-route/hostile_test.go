package main

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	record "github.com/libp2p/go-libp2p-record"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mainframe/mf/pkg/route"
)

// fakeprovider HOME SERVICE VICTIM: a hostile DHT node, run in the test
// process, joins the network through HOME's node and answers every lookup
// of SERVICE with VICTIM as a provider, which VICTIM never announced (honest
// DHT nodes take a provider record only from the provider itself, so the
// hostile node keeps the forgery in its own store and hands it out).
func cmdFakeProvider(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: fakeprovider HOME SERVICE VICTIM-PEER-ID")
	}
	victim, err := peer.Decode(args[2])
	ts.Check(err)
	card, err := route.ReadCard(ts.MkAbs(args[0]))
	ts.Check(err)
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableRelay())
	ts.Check(err)
	ctx := context.Background()
	kad, err := dht.New(h, dht.Mode(dht.ModeServer), dht.ProtocolPrefix("/mf"),
		dht.Validator(record.NamespacedValidator{"pk": record.PublicKeyValidator{}}))
	ts.Check(err)
	ts.Defer(func() { kad.Close(); h.Close() })
	// A bound for a node that never answers: under -race with twelve
	// nodes on two cores a handshake can take many seconds.
	cctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	ts.Check(h.Connect(cctx, peer.AddrInfo{ID: card.PeerID(), Addrs: card.Addrs}))
	ts.Check(kad.Bootstrap(ctx))
	for i := 0; len(kad.RoutingTable().ListPeers()) < 2; i++ {
		if i > 200 {
			ts.Fatalf("the hostile node never filled its routing table")
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Check(kad.ProviderStore().AddProvider(ctx, route.ServiceKey(args[1]).Hash(), peer.AddrInfo{ID: victim}))
}
