package route

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
)

// inboxNode is just enough of a node for its inbox: a Pebble directory, a
// contact book and the subscriptions over them.
func inboxNode(t *testing.T) *Node {
	db, err := kv.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	n := &Node{db: db, log: slog.New(slog.DiscardHandler)}
	n.subs = newSubscriptions(n)
	return n
}

func TestInboxQuotas(t *testing.T) {
	n := inboxNode(t)
	friend := newIdentity(t)
	card, err := friend.NewCard(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.AddContact("friend", card, nil); err != nil {
		t.Fatal(err)
	}
	put := func(from identity.Overlay, k int) (stored int) {
		for range k {
			if n.subs.store(&Message{From: from, Topic: "t", Payload: []byte("x")}) != nil {
				stored++
			}
		}
		return stored
	}
	stranger := func(i int) identity.Overlay { return identity.Overlay([]byte(fmt.Sprintf("stranger %023d", i))) }

	// One stranger cannot take more than its share.
	if got := put(stranger(0), maxInboxPerSender+5); got != maxInboxPerSender {
		t.Fatalf("one sender stored %d, want %d", got, maxInboxPerSender)
	}
	if got := n.stats.InboxFull.Load(); got != 5 {
		t.Fatalf("inbox_full = %d, want 5", got)
	}
	// Strangers together stop at their half ...
	total := maxInboxPerSender
	for i := 1; total < maxInboxStrangers; i++ {
		total += put(stranger(i), maxInboxPerSender)
	}
	if got := put(stranger(99), 1); got != 0 {
		t.Fatal("a stranger got past the strangers' share")
	}
	// ... and a contact still gets in.
	if got := put(card.Overlay(), 10); got != 10 {
		t.Fatalf("a contact stored %d of 10 with the strangers' share full", got)
	}

	// The counts survive a restart.
	before := n.subs.inbox
	n.subs = newSubscriptions(n)
	if n.subs.inbox.total != before.total || n.subs.inbox.strangers != before.strangers || n.subs.inbox.bySender[stranger(0)] != maxInboxPerSender {
		t.Fatalf("after reopening: %d total, %d strangers; before %d, %d", n.subs.inbox.total, n.subs.inbox.strangers, before.total, before.strangers)
	}

	// Handing a message out frees its sender's room, once.
	_, waiting, keys, _ := n.subs.subscribe("t")
	if len(waiting) != before.total {
		t.Fatalf("%d messages waiting, want %d", len(waiting), before.total)
	}
	n.subs.consumed(keys[0])
	n.subs.consumed(keys[0])
	if got := n.subs.inbox.total; got != before.total-1 {
		t.Fatalf("total %d after consuming one twice, want %d", got, before.total-1)
	}
	if got := put(stranger(0), 2); got != 1 {
		t.Fatalf("after one was taken out, the stranger stored %d, want 1", got)
	}

	// Dropping the topic gives everything back.
	if _, err := n.subs.unwatch("t"); err != nil {
		t.Fatal(err)
	}
	if u := n.subs.inbox; u.total != 0 || u.strangers != 0 || len(u.bySender) != 0 {
		t.Fatalf("after unwatch: %+v", u)
	}
}
