package route

import (
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/identity"
)

// Acks that arrive one every millisecond go out in batches of about
// benchAckEvery, not one or two a packet: the first ack after each flush
// once cut every gathering short, and the bench's own acks doubled the
// traffic and the sealing it measured.
func TestBenchAcksGoOutInBatches(t *testing.T) {
	sender, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	me, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t, me)
	env := &Envelope{Sender: sender.Public()}
	const acks = 200
	start := time.Now()
	for i := range acks {
		var id [32]byte
		id[0] = byte(i)
		n.bench.ack(id, env, time.Now())
		time.Sleep(time.Millisecond)
	}
	took := time.Since(start)
	time.Sleep(3 * benchAckEvery)
	// One packet per benchAckEvery the acks took, and a few to spare for a
	// loaded machine's late timers; the old acker sent about one per ack.
	most := int64(took/benchAckEvery) + 4
	if got := n.bench.sent.Load(); got > most || got == 0 {
		t.Fatalf("%d acks over %v went out in %d packets; want 1..%d", acks, took.Round(time.Millisecond), got, most)
	}
}
