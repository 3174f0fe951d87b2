package route

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// TestFetchedDeliveredOnceAcrossACrash: a packet fetched from a delegate
// goes into the inbox and its id into the delivered record in one batch.
// A crash right after the inbox write (before, the record came after it)
// leaves the record there, so the packet fetched again after the restart
// is not delivered a second time.
func TestFetchedDeliveredOnceAcrossACrash(t *testing.T) {
	n := inboxNode(t)
	n.seen = newSeenSet(seenMemory)
	n.hold = newHolding(n)
	sender := newIdentity(t)
	f := &fetched{id: [32]byte{7}, env: &Envelope{Sender: sender.Public(), Topic: "held", Payload: []byte("once"), Sent: time.Now().Add(-time.Hour)}}

	crash := func() {
		defer func() { recover() }()
		afterHeldDelivery = func() { panic("crash") }
		defer func() { afterHeldDelivery = nil }()
		n.hold.deliverAll([]*fetched{f})
	}
	crash()

	// The restart: the inbox and the record as they are on disk.
	n.subs = newSubscriptions(n)
	n.seen = newSeenSet(seenMemory)
	n.hold = newHolding(n)
	if n.hold.deliverAll([]*fetched{f}) != 0 {
		t.Fatal("a fetched packet was delivered again after a crash")
	}
	_, waiting, _, _ := n.subs.subscribe("held")
	if len(waiting) != 1 {
		t.Fatalf("%d messages in the inbox, want 1", len(waiting))
	}
}

// TestFetchFromALyingDelegate: a delegate that answers every page with the
// packets it sent already (seq not past `after`) would hold the fetch loop,
// and every fetch behind it, for ever; the round gives up on it at once.
func TestFetchFromALyingDelegate(t *testing.T) {
	home, err := os.MkdirTemp("", "mfh")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	var calls atomic.Int64
	ln, err := net.Listen("unix", routeapi.SocketPath(home))
	if err != nil {
		t.Fatal(err)
	}
	page := holdapi.EncodeHeld([]holdapi.Held{{Seq: 5, TakenMs: 1, Packet: heldTestPacket()}})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", localapi.OctetStream)
		w.Write(page) // the same page, whatever `after` says
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	n := inboxNode(t)
	n.opts.Home = home
	n.seen = newSeenSet(seenMemory)
	n.hold = newHolding(n)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if !n.hold.fetch(ctx, []holdapi.Delegate{{PeerID: "liar"}})["liar"] {
		t.Fatal("a fetch from a lying delegate reported success")
	}
	if c := calls.Load(); c > 2 {
		t.Fatalf("asked the lying delegate %d times", c)
	}
}

// heldTestPacket is a well-formed sealed data packet header with noise
// for a body, as a delegate sees one.
func heldTestPacket() []byte {
	b := []byte{2, 0, 16, 1, 0, 0xab, 1, 2, 3, 4}
	b = append(b, make([]byte, 32)...)
	b = binary.AppendUvarint(b, 100)
	return append(b, make([]byte, 100)...)
}

// TestReceiptForOtherBytesRefused: a delegate's receipt must be for the
// bytes it was given (its hash and size), not only for the packet's id: a
// copy with another ttl byte has the same id, and a receipt for it is no
// evidence that the delegate holds what was sent.
func TestReceiptForOtherBytesRefused(t *testing.T) {
	home, err := os.MkdirTemp("", "mfh")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	delegate, client := newIdentity(t), newIdentity(t)
	raw := heldTestPacket()
	other := bytes.Clone(raw)
	other[2]++ // the ttl: the same id, other bytes
	var answer []byte
	ln, err := net.Listen("unix", routeapi.SocketPath(home))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	n := inboxNode(t)
	n.opts.Home = home
	n.hold = newHolding(n)
	id, _ := holdapi.PacketID(raw)
	d := holdapi.RowDelegate{PeerID: "d", Address: delegate.Public().Address().Hex()}
	for _, tt := range []struct {
		name   string
		signed []byte
		ok     bool
	}{{"the bytes sent", raw, true}, {"other bytes of the same id", other, false}} {
		rc, err := holdapi.SignReceipt(delegate.Key, client.Public().Address(), tt.signed, 1)
		if err != nil {
			t.Fatal(err)
		}
		answer, _ = rc.MarshalJSON()
		_, err = n.hold.holdAt(context.Background(), d, client.Public().Address(), raw, id, false, 1)
		if (err == nil) != tt.ok {
			t.Fatalf("%s: %v", tt.name, err)
		}
	}
}

// TestAbsentDelegateDoesNotRefetchTheOthers: while one delegate does not
// answer, the others are fetched from at start and then at their own
// pace, not at every poll as when one time of the last fetch stood for
// all of them.
func TestAbsentDelegateDoesNotRefetchTheOthers(t *testing.T) {
	home, err := os.MkdirTemp("", "mfh")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	good, bad := newIdentity(t).Public().PeerID().String(), newIdentity(t).Public().PeerID().String()
	serve := func(sock string, h http.HandlerFunc) {
		ln, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: h}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
	}
	serve(holdapi.SocketPath(home), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `[{"peer_id":%q,"address":"0x0000000000000000000000000000000000000001","price":"1"},{"peer_id":%q,"address":"0x0000000000000000000000000000000000000002","price":"1"}]`, good, bad)
	})
	var goodCalls, badCalls atomic.Int64
	serve(routeapi.SocketPath(home), func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.Path, good):
			goodCalls.Add(1)
			w.Header().Set("Content-Type", localapi.OctetStream) // nothing held
		default:
			badCalls.Add(1)
			localapi.WriteError(w, localapi.Errorf(http.StatusBadGateway, "unreachable", "no route to the delegate"))
		}
	})

	n := inboxNode(t)
	n.opts.Home = home
	n.seen = newSeenSet(seenMemory)
	n.hold = newHolding(n)
	n.hold.isConnected = func(peer.ID) bool { return false }
	defer func(p time.Duration) { holdPoll = p }(holdPoll)
	holdPoll = 20 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	n.hold.loop(ctx)
	if g, b := goodCalls.Load(), badCalls.Load(); g != 1 || b < 1 {
		t.Fatalf("fetched from the delegate that answers %d times, from the absent one %d times in a second; want 1 and at least 1", g, b)
	}
}
