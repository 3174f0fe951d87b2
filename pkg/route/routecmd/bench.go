package routecmd

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/route"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

type benchOptions struct {
	to      string
	count   int
	size    int
	workers int
	json    bool
	wait    time.Duration
	rate    int
	lum     int
	certify bool
	stream  bool
	session bool
}

// BenchResult is what mf-route bench measures.
type BenchResult struct {
	Target     string  `json:"target"`
	Count      int     `json:"count"`
	Size       int     `json:"size"`
	Rate       int     `json:"offered_rate,omitempty"`
	Sent       int     `json:"sent"`
	SendErrors int     `json:"send_errors"`
	Received   int     `json:"received"`
	Lost       int     `json:"lost"`
	P50MS      float64 `json:"p50_ms"`
	P99MS      float64 `json:"p99_ms"`
	MeanMS     float64 `json:"mean_ms"`
	MaxMS      float64 `json:"max_ms"`
	PerSecond  float64 `json:"packets_per_second"`
	Seconds    float64 `json:"seconds"`
	Luminosity int     `json:"luminosity"`
	Stream     bool    `json:"stream,omitempty"`
	Session    bool    `json:"session,omitempty"`
	// Receipt figures, with --certify: time from the send to the receipt
	// settling the packet at the sender.
	Receipts       int     `json:"receipts,omitempty"`
	ReceiptP50MS   float64 `json:"receipt_p50_ms,omitempty"`
	ReceiptP95MS   float64 `json:"receipt_p95_ms,omitempty"`
	ReceiptP99MS   float64 `json:"receipt_p99_ms,omitempty"`
	ReceiptsFailed int     `json:"receipts_failed,omitempty"`
}

func newBenchCmd(g *globals) *cobra.Command {
	o := benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench --to TARGET [--count N] [--size BYTES] [--json]",
		Short: "Measure one-way latency and packets per second to a node",
		Long: `Send --count packets of --size bytes to TARGET as fast as the local daemon
takes them, and report one-way delivery latency (p50, p99, mean, max),
packets per second, and how many packets were lost.

The receiving daemon notes the time each bench packet arrives and sends the
readings back in batches; latency is the receive time minus the time the
packet was handed to the local daemon. Both clocks are this machine's when
the nodes run here (a devnet); across machines the figures include their
clock offset. Throughput is packets received divided by the time from the
first send to the last arrival. Lost packets are counted, never hidden.

Each packet is one call to the daemon unless --stream, where each worker
sends all its packets over one streaming call (POST /v0/send/stream), as a
script that sends many packets should. --session opens a session with
TARGET first and sends inside it: no key agreement per packet (TARGET
must have this node among its contacts: sessions are accepted from
contacts only).
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runBench(cmd.Context(), g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "", "receiving node: contact name, card or overlay address (required)")
	f.IntVar(&o.count, "count", 1000, "packets to send")
	f.IntVar(&o.size, "size", 4096, fmt.Sprintf("payload bytes per packet (at most %d)", route.MaxPayload))
	f.IntVar(&o.workers, "workers", 4, "concurrent senders")
	f.DurationVar(&o.wait, "wait", 10*time.Second, "how long to wait for the last arrivals")
	f.IntVar(&o.lum, "luminosity", 256, "destination bits the packets disclose, 0..256 (dark routing below 256)")
	f.BoolVar(&o.certify, "certify", false, "send certified packets and also measure the time until each receipt is back")
	f.IntVar(&o.rate, "rate", 0, "packets per second to offer (0: as fast as the daemon takes them)")
	f.BoolVar(&o.stream, "stream", false, "send each worker's packets over one streaming call instead of one call each")
	f.BoolVar(&o.session, "session", false, "open a session with TARGET and send inside it")
	f.BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

func runBench(ctx context.Context, g *globals, o benchOptions) error {
	switch {
	case o.to == "":
		return cli.Usagef("bench needs --to")
	case o.count < 1 || o.count > 10_000_000:
		return cli.Usagef("--count must be 1..10000000")
	case o.size < 0 || o.size > route.MaxPayload:
		return cli.Usagef("--size must be 0..%d", route.MaxPayload)
	case o.workers < 1 || o.workers > 64:
		return cli.Usagef("--workers must be 1..64")
	case o.rate < 0:
		return cli.Usagef("--rate must not be negative")
	case o.lum < 0 || o.lum > 256:
		return cli.Usagef("--luminosity must be 0..256")
	}
	c := g.client()
	t, err := c.Resolve(ctx, o.to)
	if err != nil {
		return g.clientErr(err)
	}
	target := t.Card
	req := routeapi.SendRequest{To: target, Topic: route.BenchTopic, Bench: true, Luminosity: &o.lum, Certify: o.certify}
	if o.session {
		si, err := c.OpenSession(ctx, routeapi.SessionRequest{With: target, Luminosity: &o.lum})
		if err != nil {
			return g.clientErr(err)
		}
		req = routeapi.SendRequest{Topic: si.Topic, Bench: true, Certify: o.certify}
	}

	var mu sync.Mutex
	sentAt := make(map[string]time.Time, o.count)
	recvAt := make(map[string]time.Time, o.count)
	got := make(chan struct{}, 1)
	lctx, stopListen := context.WithCancel(ctx)
	defer stopListen()
	opened := make(chan struct{})
	listenErr := make(chan error, 1)
	go func() {
		listenErr <- c.ListenOpen(lctx, route.BenchAckTopic, 0, func() { close(opened) }, func(m *routeapi.Message) error {
			mu.Lock()
			for b := m.Payload; len(b) >= 16; b = b[16:] {
				recvAt[hex.EncodeToString(b[:8])] = time.Unix(0, int64(binary.BigEndian.Uint64(b[8:16])))
			}
			mu.Unlock()
			select {
			case got <- struct{}{}:
			default:
			}
			return nil
		})
	}()
	select {
	case <-opened:
	case err := <-listenErr:
		return g.clientErr(err)
	}

	payload := make([]byte, o.size)
	_, _ = rand.Read(payload)
	req.Payload = payload
	res := BenchResult{Target: target, Count: o.count, Size: o.size, Rate: o.rate, Luminosity: o.lum, Stream: o.stream, Session: o.session}
	jobs := make(chan struct{})
	var wg sync.WaitGroup
	var errs int
	var certIDs []string
	start := time.Now()
	sent := func(t0 time.Time, id string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs++
			return
		}
		sentAt[id[:16]] = t0
		if o.certify {
			certIDs = append(certIDs, id)
		}
	}
	for w := 0; w < o.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !o.stream {
				for range jobs {
					t0 := time.Now()
					r, err := c.Send(ctx, req)
					if err != nil {
						sent(t0, "", err)
					} else {
						sent(t0, r.ID, nil)
					}
				}
				return
			}
			// One call for all of this worker's packets: the answers come
			// back in order, so the send times queue up beside them.
			var qmu sync.Mutex
			var queue []time.Time
			next := func() *routeapi.SendRequest {
				if _, ok := <-jobs; !ok {
					return nil
				}
				qmu.Lock()
				queue = append(queue, time.Now())
				qmu.Unlock()
				return &req
			}
			err := c.SendStream(ctx, next, func(r *routeapi.SendStreamResult) error {
				qmu.Lock()
				t0 := queue[0]
				queue = queue[1:]
				qmu.Unlock()
				if r.Error != "" {
					sent(t0, "", errors.New(r.Error))
				} else {
					sent(t0, r.ID, nil)
				}
				return nil
			})
			if err != nil {
				mu.Lock()
				errs++
				mu.Unlock()
				for range jobs { // let the feeder finish
				}
			}
		}()
	}
	progress := g.streams.IsTTY && !o.json
	var tick *time.Ticker
	if o.rate > 0 {
		tick = time.NewTicker(time.Second / time.Duration(o.rate))
		defer tick.Stop()
	}
	for i := 0; i < o.count && ctx.Err() == nil; i++ {
		if tick != nil {
			<-tick.C
		}
		jobs <- struct{}{}
		if progress && i%500 == 0 {
			fmt.Fprintf(g.streams.Err, "\rsent %d/%d", i, o.count)
		}
	}
	close(jobs)
	wg.Wait()
	if progress {
		fmt.Fprintf(g.streams.Err, "\rsent %d/%d\n", o.count, o.count)
	}

	// Wait for the arrivals: stop when all are in, or when nothing new came
	// for the wait period.
	idle := time.NewTimer(o.wait)
	for {
		mu.Lock()
		done := len(recvAt) >= len(sentAt)
		mu.Unlock()
		if done {
			break
		}
		select {
		case <-got:
			idle.Reset(o.wait)
			continue
		case <-idle.C:
		case <-ctx.Done():
		}
		break
	}
	stopListen()
	if o.certify {
		benchReceipts(ctx, c, certIDs, o.wait, &res)
	}

	mu.Lock()
	defer mu.Unlock()
	res.Sent, res.SendErrors = len(sentAt), errs
	var lat []time.Duration
	var last time.Time
	for id, t0 := range sentAt {
		t1, ok := recvAt[id]
		if !ok {
			continue
		}
		lat = append(lat, t1.Sub(t0))
		if t1.After(last) {
			last = t1
		}
	}
	res.Received = len(lat)
	res.Lost = res.Sent - res.Received
	if len(lat) > 0 {
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		var sum time.Duration
		for _, d := range lat {
			sum += d
		}
		res.P50MS = ms(lat[len(lat)*50/100])
		res.P99MS = ms(lat[min(len(lat)-1, len(lat)*99/100)])
		res.MeanMS = ms(sum / time.Duration(len(lat)))
		res.MaxMS = ms(lat[len(lat)-1])
		res.Seconds = last.Sub(start).Seconds()
		if res.Seconds > 0 {
			res.PerSecond = float64(res.Received) / res.Seconds
		}
	}
	if o.json {
		return cli.WriteJSON(g.streams.Out, res)
	}
	w := cli.Table(g.streams.Out)
	fmt.Fprintf(w, "packets\t%d sent, %d received, %d lost, %d send errors\n", res.Sent, res.Received, res.Lost, res.SendErrors)
	fmt.Fprintf(w, "size\t%d bytes\n", res.Size)
	fmt.Fprintf(w, "latency\tp50 %.3f ms  p99 %.3f ms  mean %.3f ms  max %.3f ms\n", res.P50MS, res.P99MS, res.MeanMS, res.MaxMS)
	fmt.Fprintf(w, "throughput\t%.0f packets/s over %.2f s\n", res.PerSecond, res.Seconds)
	fmt.Fprintf(w, "luminosity\t%d bits\n", res.Luminosity)
	if o.certify {
		fmt.Fprintf(w, "receipts\t%d back, %d failed: p50 %.3f ms  p95 %.3f ms  p99 %.3f ms\n", res.Receipts, res.ReceiptsFailed, res.ReceiptP50MS, res.ReceiptP95MS, res.ReceiptP99MS)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if res.Lost > 0 || res.SendErrors > 0 {
		return fmt.Errorf("%d of %d packets were not delivered", res.Lost+res.SendErrors, o.count)
	}
	return nil
}

// benchReceipts waits for the certified bench packets to settle and fills
// in the receipt latencies (the daemon's sent_at to done_at).
func benchReceipts(ctx context.Context, c *routeapi.Client, ids []string, wait time.Duration, res *BenchResult) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	deadline := time.Now().Add(wait + 20*time.Second)
	var lat []time.Duration
	for time.Now().Before(deadline) && ctx.Err() == nil {
		rs, err := c.Receipts(ctx)
		if err != nil {
			return
		}
		lat, res.ReceiptsFailed = lat[:0], 0
		pending := 0
		for _, r := range rs {
			if !want[r.ID] {
				continue
			}
			switch {
			case r.Status == route.StatusPending:
				pending++
			case r.Status == route.StatusFailed:
				res.ReceiptsFailed++
			case r.DoneAt != nil:
				lat = append(lat, r.DoneAt.Sub(r.SentAt))
			}
		}
		if pending == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	res.Receipts = len(lat)
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	res.ReceiptP50MS = ms(lat[len(lat)*50/100])
	res.ReceiptP95MS = ms(lat[min(len(lat)-1, len(lat)*95/100)])
	res.ReceiptP99MS = ms(lat[min(len(lat)-1, len(lat)*99/100)])
}
