package route

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/route/routeapi"
)

// Many packets over one streaming call arrive, each answered in order;
// a bad line is answered with its error and the packets after it still go.
func TestSendStream(t *testing.T) {
	a, b := startGatewayNode(t, 0), startGatewayNode(t, 0)
	linkNodes(t, a.Node, b.Node)
	// Neighbours once identify has run: before that a's packet has no one
	// to go to.
	waitFor(t, "a and b to be neighbours", func() bool {
		return len(a.neighbours.Load().peers) > 0 && len(b.neighbours.Load().peers) > 0
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	got := make(chan string, 100)
	opened := make(chan struct{})
	go func() {
		_ = routeapi.NewClient(b.home).ListenOpen(ctx, "t", 0, func() { close(opened) }, func(m *routeapi.Message) error {
			got <- string(m.Payload)
			return nil
		})
	}()
	<-opened

	card := b.Card().String()
	reqs := []*routeapi.SendRequest{
		{To: card, Topic: "t", Payload: []byte("one")},
		{To: "nobody-we-know", Topic: "t", Payload: []byte("lost")},
		{To: card, Topic: "mf/reserved", Payload: []byte("refused")},
		{To: card, Topic: "t", Payload: []byte("two")},
	}
	i := 0
	next := func() *routeapi.SendRequest {
		if i == len(reqs) {
			return nil
		}
		i++
		return reqs[i-1]
	}
	var answers []*routeapi.SendStreamResult
	err := routeapi.NewClient(a.home).SendStream(ctx, next, func(r *routeapi.SendStreamResult) error {
		answers = append(answers, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(answers) != 4 {
		t.Fatalf("%d answers, want 4", len(answers))
	}
	for k, wantErr := range []bool{false, true, true, false} {
		r := answers[k]
		if (r.Error != "") != wantErr || (r.SendResult != nil) == wantErr {
			t.Errorf("answer %d: %+v (error %q), want error %v", k, r.SendResult, r.Error, wantErr)
		}
	}
	if !strings.Contains(answers[2].Error, "reserved") || answers[2].Code != "bad_request" {
		t.Errorf("reserved topic answered %q (%s)", answers[2].Error, answers[2].Code)
	}
	for _, want := range []string{"one", "two"} {
		select {
		case p := <-got:
			if p != want {
				t.Fatalf("got %q, want %q", p, want)
			}
		case <-ctx.Done():
			t.Fatalf("%q never arrived; sender %+v, receiver %+v", want, a.stats.Snapshot(), b.stats.Snapshot())
		}
	}
}

// Lines that are not send requests, and a line over the limit, get a clear
// error line each; an over-long line ends the call (nothing to resync on).
func TestSendStreamBadInput(t *testing.T) {
	a := startGatewayNode(t, 0)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", routeapi.SocketPath(a.home))
	}}}
	body := "not json\n{\"to\": 5}\n" + `{"topic":"t","payload":"` + strings.Repeat("A", maxSendBody) + "\"}\n" + `{"topic":"t"}` + "\n"
	resp, err := hc.Post("http://mf/v0/send/stream", "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	if len(lines) != 3 {
		t.Fatalf("%d answer lines, want 3 (the call ends at the over-long line):\n%s", len(lines), out)
	}
	for k, want := range []string{"line 1 is not a send request", "line 2 is not a send request", "over the"} {
		if !bytes.Contains(lines[k], []byte(want)) {
			t.Errorf("answer %d: %s, want %q", k+1, lines[k], want)
		}
	}
}

// A dark packet (luminosity 0: every node is in its zone) that no
// neighbour can take is refused with ErrNoRoute, as a partly addressed one
// is: it used to be accepted and then lost without a count, when a
// just-connected peer had not yet been identified. (A fully addressed
// packet dials its recipient, so it is left out here.)
func TestDarkSendWithNoNeighbourRefused(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := testRelay(t, ctx), testRelay(t, ctx)
	for _, lum := range []int{0, 8} {
		if _, err := a.Send(ctx, b.Card(), SendOptions{Topic: "t", Payload: []byte("x"), Luminosity: lum}); !errors.Is(err, ErrNoRoute) {
			t.Errorf("luminosity %d: %v, want ErrNoRoute", lum, err)
		}
	}
	// To itself, on a topic it watches, a dark packet needs no neighbour.
	if err := a.subs.watch("t"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Send(ctx, a.Card(), SendOptions{Topic: "t", Payload: []byte("x"), Luminosity: 0}); err != nil {
		t.Errorf("to itself: %v", err)
	}
}
