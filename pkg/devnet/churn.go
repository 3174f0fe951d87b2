package devnet

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mainframe/mf/pkg/route"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// Churn measures delivery while nodes die. One node streams packets, round
// robin, to every node that will survive; partway through, Kill other nodes
// are SIGKILLed (no goodbye, connections left as they are). The figure is
// the share of packets that arrive among those sent once the sender and the
// relays have had Notice to notice the dead, to the receivers the topology
// still connects to the sender.

// ChurnOptions describe a churn run on a running devnet.
type ChurnOptions struct {
	// From is the index of the sending node.
	From int
	// Kill is how many other nodes to SIGKILL.
	Kill int
	// Rate is how many packets per second the sender offers.
	Rate int
	// Before is how long the sender streams before the kill; Notice is the
	// time it is then given to notice; After is how long it streams after
	// that, the packets measured.
	Before, Notice, After time.Duration
	// Seed picks the nodes to kill (0: at random).
	Seed uint64
	// PeersFirst kills the sender's own peers first, so that the sender
	// itself has dead peers to notice; all but one of them at most, so
	// that the sender is not cut off whatever the topology came out as.
	PeersFirst bool
	// Out gets progress lines.
	Out io.Writer
}

// ChurnPhase counts the packets sent in one phase of a churn run, and those
// that arrived, to receivers the topology still connects to the sender.
type ChurnPhase struct {
	Sent    int     `json:"sent"`
	Arrived int     `json:"arrived"`
	Rate    float64 `json:"delivery_rate"`
	// Refused are sends the sender's daemon refused (no route).
	Refused int `json:"refused"`
}

// ChurnResult is what a churn run measured.
type ChurnResult struct {
	Nodes    int      `json:"nodes"`
	Topology string   `json:"topology"`
	From     string   `json:"from"`
	Killed   []string `json:"killed"`
	// Receivers are the surviving nodes the topology still connects to the
	// sender; Cut are those it no longer does (not counted in the phases).
	Receivers []string `json:"receivers"`
	Cut       []string `json:"cut,omitempty"`
	// Before the kill, in the notice window, and after it.
	Before ChurnPhase `json:"before"`
	Notice ChurnPhase `json:"notice"`
	After  ChurnPhase `json:"after"`
	// AfterLost counts, per receiver, the packets of the After phase that
	// did not arrive: where a route stayed broken.
	AfterLost map[string]int `json:"after_lost,omitempty"`
	// NoticeSeconds is the notice window.
	NoticeSeconds float64 `json:"notice_seconds"`
}

// ChurnTopic is the topic churn packets carry.
const ChurnTopic = "mf-devnet-churn"

// Churn runs one churn measurement on st, which must be running.
func Churn(ctx context.Context, st *State, o ChurnOptions) (*ChurnResult, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	nodes := len(st.Nodes)
	switch {
	case o.From < 0 || o.From >= nodes:
		return nil, fmt.Errorf("devnet: --from must name one of the %d nodes", nodes)
	case o.Kill < 0 || o.Kill > nodes-2:
		return nil, fmt.Errorf("devnet: --kill must be 0..%d on %d nodes (a sender and a receiver survive)", nodes-2, nodes)
	case o.Rate < 1:
		return nil, fmt.Errorf("devnet: --rate must be at least 1, not %d", o.Rate)
	}
	for _, s := range Status(st) {
		if !s.Running || s.PID == 0 {
			return nil, fmt.Errorf("devnet: %s is not running; start the devnet with mf-route devnet up --dir %s", s.Name, st.dir)
		}
	}
	seed := o.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	rng := rand.New(rand.NewPCG(seed, 0x636875726e))
	graph := st.Graph()
	others := killOrder(graph, o.From, o.Kill, o.PeersFirst, rng)
	down := make([]bool, nodes)
	res := &ChurnResult{Nodes: nodes, Topology: st.Topology, From: st.Nodes[o.From].Name, NoticeSeconds: o.Notice.Seconds()}
	var killed []int
	for _, i := range others[:o.Kill] {
		down[i] = true
		killed = append(killed, i)
		res.Killed = append(res.Killed, st.Nodes[i].Name)
	}
	var receivers []int
	for _, i := range others[o.Kill:] {
		if graph.Connected(o.From, i, down) {
			receivers = append(receivers, i)
			res.Receivers = append(res.Receivers, st.Nodes[i].Name)
		} else {
			res.Cut = append(res.Cut, st.Nodes[i].Name)
		}
	}
	if len(receivers) == 0 {
		return nil, errors.New("devnet: the kill leaves no receiver connected to the sender; try another --seed")
	}

	// Every receiver listens; got[k] marks the sequence numbers it opened.
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	var mu sync.Mutex
	got := map[uint64]bool{}
	var wg sync.WaitGroup
	opened := make(chan struct{}, len(receivers))
	cards := make([]string, len(receivers))
	for k, i := range receivers {
		card, err := route.ReadCard(st.Nodes[i].Home)
		if err != nil {
			return nil, fmt.Errorf("devnet: reading %s's card: %w", st.Nodes[i].Name, err)
		}
		cards[k] = card.String()
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = routeapi.NewClient(st.Nodes[i].Home).ListenOpen(lctx, ChurnTopic, 0, func() { opened <- struct{}{} }, func(m *routeapi.Message) error {
				if len(m.Payload) == 8 {
					mu.Lock()
					got[binary.BigEndian.Uint64(m.Payload)] = true
					mu.Unlock()
				}
				return nil
			})
		}()
	}
	for range receivers {
		select {
		case <-opened:
		case <-time.After(10 * time.Second):
			return nil, errors.New("devnet: a receiver's daemon did not start listening within 10 s")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}

	// The sender streams, one packet per tick, receivers in turn; each
	// packet is numbered and its phase remembered.
	sender := routeapi.NewClient(st.Nodes[o.From].Home)
	phaseOf := map[uint64]*ChurnPhase{}
	var seq uint64
	tick := time.NewTicker(time.Second / time.Duration(o.Rate))
	defer tick.Stop()
	stream := func(ph *ChurnPhase, d time.Duration) error {
		end := time.Now().Add(d)
		for time.Now().Before(end) {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
			}
			seq++
			payload := binary.BigEndian.AppendUint64(nil, seq)
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := sender.Send(sctx, routeapi.SendRequest{To: cards[int(seq)%len(cards)], Topic: ChurnTopic, Payload: payload})
			cancel()
			ph.Sent++
			phaseOf[seq] = ph
			if err != nil {
				if routeapi.IsNotRunning(err) || ctx.Err() != nil {
					return fmt.Errorf("devnet: sending: %w", err)
				}
				ph.Refused++
			}
		}
		return nil
	}
	fmt.Fprintf(o.Out, "%s streams to %d nodes at %d packets/s\n", res.From, len(receivers), o.Rate)
	if err := stream(&res.Before, o.Before); err != nil {
		return nil, err
	}
	for _, i := range killed {
		if pid := pidOf(st.Nodes[i].Home); pid != 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	fmt.Fprintf(o.Out, "killed %s (SIGKILL); %d of the %d survivors still connected to %s\n", strings.Join(res.Killed, " "), len(receivers), len(receivers)+len(res.Cut), res.From)
	if err := stream(&res.Notice, o.Notice); err != nil {
		return nil, err
	}
	if err := stream(&res.After, o.After); err != nil {
		return nil, err
	}
	// Wait for stragglers: until everything arrived or nothing more comes
	// for two seconds.
	last, lastAt := -1, time.Now()
	for time.Since(lastAt) < 2*time.Second {
		mu.Lock()
		k := len(got)
		mu.Unlock()
		if k == int(seq) {
			break
		}
		if k != last {
			last, lastAt = k, time.Now()
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	wg.Wait()
	for s, ph := range phaseOf {
		switch {
		case got[s]:
			ph.Arrived++
		case ph == &res.After:
			if res.AfterLost == nil {
				res.AfterLost = map[string]int{}
			}
			res.AfterLost[res.Receivers[int(s)%len(receivers)]]++
		}
	}
	for _, ph := range []*ChurnPhase{&res.Before, &res.Notice, &res.After} {
		if ph.Sent > 0 {
			ph.Rate = float64(ph.Arrived) / float64(ph.Sent)
		}
	}
	return res, nil
}

// killOrder lists the nodes other than from in the order churn kills them,
// shuffled by rng; with peersFirst, from's own peers come first, all but
// one at most.
func killOrder(graph Graph, from, kill int, peersFirst bool, rng *rand.Rand) []int {
	var others []int
	for i := range graph {
		if i != from {
			others = append(others, i)
		}
	}
	rng.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	if peersFirst {
		linked := make([]bool, len(graph))
		for _, j := range graph[from] {
			linked[j] = true
		}
		slices.SortStableFunc(others, func(a, b int) int {
			switch {
			case linked[a] && !linked[b]:
				return -1
			case linked[b] && !linked[a]:
				return 1
			}
			return 0
		})
		// Random keys make the topology: the sender may have as few peers
		// as the kill. Keep its last one alive rather than cut it off.
		n := 0
		for _, j := range others {
			if linked[j] {
				n++
			}
		}
		if n > 0 && n <= kill {
			keep := others[n-1]
			others = append(slices.Delete(others, n-1, n), keep)
		}
	}
	return others
}
