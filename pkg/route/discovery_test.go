package route

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// A service announced on one node is found from another through the DHT;
// the lease is renewed by announcing again, lapses when it is not, and a
// withdrawal ends it at once.
func TestAnnounceLease(t *testing.T) {
	a, b := startGatewayNode(t, 0), startGatewayNode(t, 0)
	linkNodes(t, a.Node, b.Node)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ca, cb := routeapi.NewClient(a.home), routeapi.NewClient(b.home)
	waitFor(t, "a dht peer", func() bool { return len(a.kad.RoutingTable().ListPeers()) > 0 })
	first, err := ca.Announce(ctx, "hold", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the announcement", func() bool {
		as, err := ca.Announcements(ctx)
		return err == nil && len(as) == 1 && !as[0].Last.IsZero()
	})
	ps, err := cb.Providers(ctx, "hold", 0)
	if err != nil || len(ps) != 1 || ps[0].PeerID != a.host.ID().String() || ps[0].Address != a.pub.Address().Hex() {
		t.Fatalf("providers of hold seen from b: %+v %v", ps, err)
	}
	if ps, err := cb.Providers(ctx, "store", 0); err != nil || len(ps) != 0 {
		t.Fatalf("providers of store, which nobody announced: %+v %v", ps, err)
	}

	// Renewed: the lease runs on.
	renewed, err := ca.Announce(ctx, "hold", 2*time.Minute)
	if err != nil || !renewed.Until.After(first.Until) {
		t.Fatalf("renewal: %+v %v, want a lease past %v", renewed, err, first.Until)
	}
	// Not renewed: it lapses.
	a.ann.mu.Lock()
	a.ann.clock = func() time.Time { return time.Now().Add(3 * time.Minute) }
	a.ann.mu.Unlock()
	a.ann.kick <- struct{}{}
	waitFor(t, "the lease to lapse", func() bool {
		as, err := ca.Announcements(ctx)
		return err == nil && len(as) == 0
	})
	a.ann.mu.Lock()
	a.ann.clock = time.Now
	a.ann.mu.Unlock()

	// Withdrawn: gone at once; withdrawing again is a 404.
	if _, err := ca.Announce(ctx, "db", 0); err != nil {
		t.Fatal(err)
	}
	if err := ca.Withdraw(ctx, "db"); err != nil {
		t.Fatal(err)
	}
	if as, err := ca.Announcements(ctx); err != nil || len(as) != 0 {
		t.Fatalf("after withdrawal: %+v %v", as, err)
	}
	var le *localapi.Error
	if err := ca.Withdraw(ctx, "db"); !asErr(err, &le) || le.Status != http.StatusNotFound {
		t.Fatalf("withdrawing twice: %v", err)
	}
	for _, bad := range []AnnounceRequest{{Service: "Hold"}, {Service: ""}, {Service: "hold", LeaseSeconds: -1}, {Service: "hold", LeaseSeconds: 7200}} {
		if _, err := ca.Announce(ctx, bad.Service, time.Duration(bad.LeaseSeconds)*time.Second); !asErr(err, &le) || le.Status != http.StatusBadRequest {
			t.Errorf("announce %+v: %v, want a 400", bad, err)
		}
	}
}

func asErr(err error, le **localapi.Error) bool {
	e, ok := err.(*localapi.Error)
	if ok {
		*le = e
	}
	return ok
}
