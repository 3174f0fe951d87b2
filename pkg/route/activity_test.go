package route

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// GET /v0/usage?version=V&wait=D answers when traffic moves the version
// past V: a wait of a minute that comes back with a newer version was
// woken by the packet, not by its timer. Bad parameters are refused.
func TestUsageWaitsForTraffic(t *testing.T) {
	a, b := startGatewayNode(t, 0), startGatewayNode(t, 0)
	linkNodes(t, a.Node, b.Node)
	waitFor(t, "a and b to be neighbours", func() bool {
		return len(a.neighbours.Load().peers) > 0 && len(b.neighbours.Load().peers) > 0
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := routeapi.NewClient(a.home)
	u, err := c.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *routeapi.Usage, 1)
	go func() {
		u2, err := c.UsageAfter(ctx, u.Version, time.Minute)
		if err != nil {
			t.Error(err)
		}
		got <- u2
	}()
	if _, err := a.Send(ctx, b.Card(), SendOptions{Topic: "t", Payload: []byte("moves the counters"), Luminosity: 256}); err != nil {
		t.Fatal(err)
	}
	if u2 := <-got; u2 == nil || u2.Version == u.Version {
		t.Fatalf("usage after traffic: %+v, was version %d", u2, u.Version)
	}

	for _, q := range []string{"wait=soon&version=1", "wait=2m&version=1", "wait=-1s&version=1", "wait=1s", "wait=1s&version=x"} {
		err := localapi.NewClient(routeapi.SocketPath(a.home)).Call(ctx, http.MethodGet, "/v0/usage?"+q, nil, nil)
		if e := localapi.AsError(err); e.Status != http.StatusBadRequest || !strings.Contains(e.Message, "wait") {
			t.Errorf("%s: %v", q, err)
		}
	}
}
