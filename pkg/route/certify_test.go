package route

import (
	"testing"
	"time"
)

func TestPruneRecords(t *testing.T) {
	n := inboxNode(t)
	n.certs = newCertifier(n)
	defer func(f func() time.Time) { nowFunc = f }(nowFunc)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for day := range 10 {
		at := start.Add(time.Duration(day) * 24 * time.Hour)
		nowFunc = func() time.Time { return at }
		id := [32]byte{byte(day)}
		n.certs.relayed(id, "", nil, 10, 9)
		n.certs.started([32]byte{byte(day), 1}, &sentRecord{SentRecord: SentRecord{ID: "x", SentAt: at, Status: StatusDelivered}})
	}
	k, err := n.certs.prune(start.Add(4 * 24 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if k != 8 {
		t.Fatalf("pruned %d records, want 8 (4 days of ledger and sent)", k)
	}
	es, _ := n.certs.ledger()
	rs, _ := n.certs.sent()
	if len(es) != 6 || len(rs) != 6 {
		t.Fatalf("%d ledger entries and %d sent records left, want 6 and 6", len(es), len(rs))
	}
	for _, e := range es {
		if e.At.Before(start.Add(4 * 24 * time.Hour)) {
			t.Fatalf("entry of %v survived", e.At)
		}
	}
	// Nothing left to prune: a second pass is a no-op.
	if k, _ := n.certs.prune(start.Add(4 * 24 * time.Hour)); k != 0 {
		t.Fatalf("second prune took %d", k)
	}
}

// An idle node's upkeep loop sleeps until its next key upkeep; a certified
// packet in flight or a deleted key wakes it and brings back the sweeps
// once a second.
func TestUpkeepSleepsWhileNothingIsDue(t *testing.T) {
	n := inboxNode(t)
	n.certs = newCertifier(n)
	n.upkeepKick = make(chan struct{}, 1)
	now := time.Now()
	n.upkeep.last = now
	if d := n.upkeepWait(now); d != keyUpkeepEvery {
		t.Fatalf("idle: sleeps %v, want %v", d, keyUpkeepEvery)
	}
	n.certs.started([32]byte{1}, &sentRecord{SentRecord: SentRecord{ID: "x", SentAt: now, Status: StatusPending}})
	select {
	case <-n.upkeepKick:
	default:
		t.Fatal("a certified packet sent did not wake the upkeep loop")
	}
	if d := n.upkeepWait(now); d != time.Second {
		t.Fatalf("certified packet pending: sleeps %v, want 1s", d)
	}
	n.certs.mu.Lock()
	clear(n.certs.pending)
	n.certs.mu.Unlock()
	n.keysDeleted()
	select {
	case <-n.upkeepKick:
	default:
		t.Fatal("a deleted key did not wake the upkeep loop")
	}
	if d := n.upkeepWait(now); d != time.Second {
		t.Fatalf("keys to purge: sleeps %v, want 1s", d)
	}
}
