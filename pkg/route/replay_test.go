package route

import (
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/seal"
)

func TestSentTimeIsSigned(t *testing.T) {
	alice, bob := newIdentity(t), newIdentity(t)
	at := time.Date(2026, 11, 22, 10, 0, 0, 123e6, time.UTC)
	defer func(f func() time.Time) { nowFunc = f }(nowFunc)
	nowFunc = func() time.Time { return at }
	p := mustSeal(t, alice, bob.Public(), 256, "t", 0, []byte("x"))
	env, err := OpenPacket(seal.NewOpener(bob.Enc), p)
	if err != nil {
		t.Fatal(err)
	}
	if !env.Sent.Equal(at) {
		t.Fatalf("sent %v, want %v", env.Sent, at)
	}
	if env.Sender.Overlay() != alice.Public().Overlay() {
		t.Fatal("wrong sender")
	}
}

func TestFresh(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	defer func(f func() time.Time) { nowFunc = f }(nowFunc)
	nowFunc = func() time.Time { return now }
	n := &Node{start: now.Add(-time.Hour)}
	for _, tt := range []struct {
		sent time.Time
		want bool
	}{
		{now, true},
		{now.Add(-maxAge), true},
		{now.Add(-maxAge - time.Millisecond), false}, // a replay after the id is forgotten
		{now.Add(maxSkewAhead), true},
		{now.Add(maxSkewAhead + time.Millisecond), false},
		{time.UnixMilli(0), false},
		{sentTime(^uint64(0)), false},
	} {
		if got := n.fresh(tt.sent); got != tt.want {
			t.Errorf("fresh(%v) = %v, want %v", tt.sent, got, tt.want)
		}
	}
	// Just restarted: what was sent before the start may have been
	// delivered in the last run, whose ids are gone.
	n.start = now.Add(-10 * time.Second)
	if n.fresh(now.Add(-20 * time.Second)) {
		t.Error("a packet from before the restart is fresh")
	}
	if !n.fresh(now.Add(-5 * time.Second)) {
		t.Error("a packet from after the restart is stale")
	}
	// The window is covered by the seen set's memory, so no packet can be
	// both fresh and forgotten.
	if seenMemory < maxAge+maxSkewAhead {
		t.Fatalf("seen set remembers %v, less than the %v a packet stays fresh", seenMemory, maxAge+maxSkewAhead)
	}
}
