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

// GET /v0/changes?version=V&wait=D answers when a contact is added: the
// version mf-chat waits on instead of asking every second.
func TestChangesWaitsForContacts(t *testing.T) {
	a := startGatewayNode(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := routeapi.NewClient(a.home)
	v, err := c.ChangesAfter(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan uint64, 1)
	go func() {
		v2, err := c.ChangesAfter(ctx, v, time.Minute)
		if err != nil {
			t.Error(err)
		}
		got <- v2
	}()
	card, err := newIdentity(t).NewCard(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.AddContact("bob", card, nil); err != nil {
		t.Fatal(err)
	}
	if v2 := <-got; v2 == v {
		t.Fatalf("changes after a contact was added: still version %d", v)
	}
	for _, q := range []string{"wait=soon&version=1", "wait=2m&version=1", "wait=1s"} {
		err := localapi.NewClient(routeapi.SocketPath(a.home)).Call(ctx, http.MethodGet, "/v0/changes?"+q, nil, nil)
		if e := localapi.AsError(err); e.Status != http.StatusBadRequest || !strings.Contains(e.Message, "wait") {
			t.Errorf("%s: %v", q, err)
		}
	}
}
