package sim

import (
	"context"
	"errors"
	"math"
	"strconv"
	"sync"
	"testing"
)

// testNet builds one 300-node network for the tests that share it.
var testNet = sync.OnceValues(func() (*Network, error) {
	return Build(context.Background(), Config{Nodes: 300, Messages: 30, Seed: 7})
})

// results caches simulations of testNet by luminosity: several tests read
// the same ones, and trial decryption is slow under the race detector.
var results sync.Map

func simulate(t *testing.T, luminosity int) *Result {
	t.Helper()
	if r, ok := results.Load(luminosity); ok {
		return r.(*Result)
	}
	n, err := testNet()
	if err != nil {
		t.Fatal(err)
	}
	r, err := n.Simulate(context.Background(), luminosity, nil)
	if err != nil {
		t.Fatal(err)
	}
	results.Store(luminosity, r)
	return r
}

func TestDeliveryWithoutChurn(t *testing.T) {
	for _, l := range []int{0, 1, 4, 8, 256} {
		r := simulate(t, l)
		if r.Delivered != r.Messages || r.DeliveryRate != 1 {
			t.Errorf("L=%d: delivered %d of %d", l, r.Delivered, r.Messages)
		}
		if r.HopsMean < 1 || r.HopsP99 < 1 || r.HopsP99 > DefaultTTL {
			t.Errorf("L=%d: hops mean %v p99 %d", l, r.HopsMean, r.HopsP99)
		}
		if r.Expired != 0 || r.NoRoute != 0 || r.DroppedOffline != 0 {
			t.Errorf("L=%d: drops without churn: %+v", l, r)
		}
	}
}

func TestAnonymitySet(t *testing.T) {
	if r := simulate(t, 256); r.AnonymitySetMean != 1 {
		t.Errorf("L=256: anonymity set %v, want 1 (the recipient)", r.AnonymitySetMean)
	}
	// At L=0 every node but the sender is in the zone, and the flood
	// reaches them all.
	if r := simulate(t, 0); r.AnonymitySetMean != float64(r.Nodes-1) {
		t.Errorf("L=0: anonymity set %v, want %d", r.AnonymitySetMean, r.Nodes-1)
	}
	for _, l := range []int{2, 3, 4} {
		r := simulate(t, l)
		if ratio := r.AnonymitySetMean / r.ExpectedAnonymity; ratio < 0.5 || ratio > 2 {
			t.Errorf("L=%d: anonymity set %v, N/2^L %v", l, r.AnonymitySetMean, r.ExpectedAnonymity)
		}
		// The flood reaches every zone member.
		if r.AnonymitySetMean != r.ZoneMean {
			t.Errorf("L=%d: anonymity set %v, zone %v", l, r.AnonymitySetMean, r.ZoneMean)
		}
	}
}

// Flooding the zone costs copies: more at lower luminosity.
func TestCopiesGrowWithZone(t *testing.T) {
	c0, c4, c256 := simulate(t, 0), simulate(t, 4), simulate(t, 256)
	if !(c0.CopiesPerMessage > c4.CopiesPerMessage && c4.CopiesPerMessage > c256.CopiesPerMessage) {
		t.Errorf("copies per message: L=0 %v, L=4 %v, L=256 %v", c0.CopiesPerMessage, c4.CopiesPerMessage, c256.CopiesPerMessage)
	}
	// At L=0 every node passes the packet to every peer but the one it came
	// from, except the sender, which has none to spare.
	n, _ := testNet()
	want := float64(len(n.adj) - (n.Nodes() - 1))
	if c0.CopiesPerMessage != want {
		t.Errorf("L=0: %v copies per message, want %v", c0.CopiesPerMessage, want)
	}
	if c0.BytesPerNode != c0.CopiesPerMessage*float64(c0.PacketBytes)/float64(c0.Nodes) {
		t.Errorf("bytes per node %v, copies %v of %d bytes", c0.BytesPerNode, c0.CopiesPerMessage, c0.PacketBytes)
	}
}

// Nodes that do not know which peers are offline lose the copies they write
// to them, but a packet outside its zone is offered to the next-closest peer
// when that write fails, so it still arrives. (Before that retry, 30 % churn
// cost about 30 % of packets per hop outside the zone.)
func TestChurn(t *testing.T) {
	for _, l := range []int{2, 4, 8, 256} {
		r, err := Run(context.Background(), Config{Nodes: 300, Luminosity: l, Churn: 0.3, Messages: 60, Seed: 3}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.DeliveryRate < 0.99 || r.DroppedOffline == 0 {
			t.Errorf("churn 0.3, L=%d: delivery %v, %d copies lost at offline nodes", l, r.DeliveryRate, r.DroppedOffline)
		}
	}
}

// Nodes that know which peers are offline route around them: the losses
// under churn come from copies sent to peers that are gone.
func TestChurnNoticed(t *testing.T) {
	r, err := Run(context.Background(), Config{Nodes: 300, Luminosity: 4, Churn: 0.3, NoticeOffline: true, Messages: 60, Seed: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.DeliveryRate < 0.95 || r.DroppedOffline != 0 {
		t.Errorf("churn 0.3, noticed: delivery %v, %d copies lost at offline nodes", r.DeliveryRate, r.DroppedOffline)
	}
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Nodes: 120, Luminosity: 3, Churn: 0.2, Messages: 30, Seed: 11, Workers: 2}
	a, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Workers = 1
	b, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.DurationSeconds, b.DurationSeconds = 0, 0
	if *a != *b {
		t.Errorf("same seed, different results:\n%+v\n%+v", a, b)
	}
}

func TestProgress(t *testing.T) {
	var calls, last int
	_, err := Run(context.Background(), Config{Nodes: 50, Messages: 7, Workers: 2}, func(done, total int) {
		calls++
		if done != last+1 || total != 7 {
			t.Errorf("progress(%d, %d) after %d", done, total, last)
		}
		last = done
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 7 {
		t.Errorf("%d progress calls, want 7", calls)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Config{Nodes: 50, Messages: 5}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v", err)
	}
}

func TestBadConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
	}{
		{"one node", Config{Nodes: 1, Messages: 1}},
		{"too many nodes", Config{Nodes: MaxNodes + 1, Messages: 1}},
		{"negative luminosity", Config{Nodes: 10, Messages: 1, Luminosity: -1}},
		{"luminosity over 256", Config{Nodes: 10, Messages: 1, Luminosity: 257}},
		{"churn 1", Config{Nodes: 10, Messages: 1, Churn: 1}},
		{"negative churn", Config{Nodes: 10, Messages: 1, Churn: -0.1}},
		{"churn NaN", Config{Nodes: 10, Messages: 1, Churn: math.NaN()}},
		{"churn leaves one node", Config{Nodes: 10, Messages: 1, Churn: 0.9}},
		{"no messages", Config{Nodes: 10}},
		{"ttl", Config{Nodes: 10, Messages: 1, TTL: 256}},
		{"payload", Config{Nodes: 10, Messages: 1, PayloadSize: -1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Run(context.Background(), tt.cfg, nil); !errors.Is(err, ErrConfig) {
				t.Errorf("got %v, want ErrConfig", err)
			}
		})
	}
	n, err := testNet()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Simulate(context.Background(), 257, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("Simulate at 257 bits: %v", err)
	}
}

func TestTopology(t *testing.T) {
	n, err := testNet()
	if err != nil {
		t.Fatal(err)
	}
	for a := range int32(n.Nodes()) {
		ps := n.peers(a)
		if len(ps) == 0 {
			t.Fatalf("node %d has no peers", a)
		}
		for i, b := range ps {
			if b == a || (i > 0 && ps[i-1] >= b) {
				t.Fatalf("node %d: peers not sorted and distinct: %v", a, ps)
			}
			// Links are symmetric.
			back := n.peers(b)
			found := false
			for _, c := range back {
				found = found || c == a
			}
			if !found {
				t.Fatalf("node %d has %d as a peer but not the other way round", a, b)
			}
		}
	}
}

// BenchmarkSimMessage is the cost of one message on a 1,000-node network at
// a few luminosities: the trial decryptions of the zone dominate.
func BenchmarkSimMessage(b *testing.B) {
	n, err := Build(context.Background(), Config{Nodes: 1000, Messages: 1, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range []int{0, 4, 8, 256} {
		b.Run("L="+strconv.Itoa(l), func(b *testing.B) {
			s := n.newSender()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.send(i, uint16(l)); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// connected reports whether the online nodes link a to b, as s left the
// offline set after its last message.
func (s *sender) connected(a, b int32) bool {
	seen := map[int32]bool{a: true}
	queue := []int32{a}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		if v == b {
			return true
		}
		for _, q := range s.n.peers(v) {
			if !seen[q] && s.offline[q] != s.epoch {
				seen[q] = true
				queue = append(queue, q)
			}
		}
	}
	return false
}

// With one peer per bucket and 30 % of the nodes offline, greedy forwarding
// alone runs into dead ends (a node whose only online peer is the one the
// packet came from) and ties that lead there, though the online graph still
// connects sender and recipient. Backtracking (route.Trail) walks back and
// tries the next option: every such message arrives, whether nodes know who
// is offline or find out by failed writes.
func TestBacktrackReachesConnected(t *testing.T) {
	for _, notice := range []bool{true, false} {
		n, err := Build(context.Background(), Config{Nodes: 100, BucketSize: 1, Churn: 0.4, NoticeOffline: notice, Messages: 1, Seed: 5, TTL: 255})
		if err != nil {
			t.Fatal(err)
		}
		s := n.newSender()
		connected, delivered, back := 0, 0, int64(0)
		for i := range 400 {
			out, err := s.send(i, 256)
			if err != nil {
				t.Fatal(err)
			}
			// The message's sender and recipient, drawn as send draws them.
			from, to := s.lastFrom, s.lastTo
			if !s.connected(from, to) {
				if out.delivered {
					t.Fatalf("message %d arrived between nodes the online graph does not connect", i)
				}
				continue
			}
			connected++
			back += out.backtracked
			if out.delivered {
				delivered++
			} else {
				t.Errorf("notice %v, message %d: node %d to node %d not delivered though connected (%d backtracked, %d no route, %d expired)", notice, i, from, to, out.backtracked, out.noRoute, out.expired)
			}
		}
		t.Logf("notice %v: %d of %d connected pairs delivered, %d copies handed back", notice, delivered, connected, back)
		if back == 0 {
			t.Errorf("notice %v: nothing was handed back: the layout does not test backtracking", notice)
		}
	}
}
