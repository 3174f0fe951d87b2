package route

import (
	"testing"
	"time"
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
		n.hold.deliverFetched(f)
	}
	crash()

	// The restart: the inbox and the record as they are on disk.
	n.subs = newSubscriptions(n)
	n.seen = newSeenSet(seenMemory)
	n.hold = newHolding(n)
	if n.hold.deliverFetched(f) {
		t.Fatal("a fetched packet was delivered again after a crash")
	}
	_, waiting, _, _ := n.subs.subscribe("held")
	if len(waiting) != 1 {
		t.Fatalf("%d messages in the inbox, want 1", len(waiting))
	}
}
