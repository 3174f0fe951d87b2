// Package sim simulates an mf network in one process, to measure what dark
// routing costs and what it hides.
//
// A simulated node is an identity, its overlay address and a list of
// connected peers; a packet moves over an in-memory transport. Everything
// that decides what happens to a packet is the daemon's own code: packets are
// sealed with route.SealPacket, each node picks where a packet goes with
// route.Decide (and, when it comes back, route.Trail), and zone members
// trial-decrypt with route.OpenPacket. So the
// figures describe the forwarding rule and the crypto as shipped, not a
// model of them; what is modelled is only the topology (Kademlia routing
// tables, made symmetric as libp2p connections are) and churn.
//
// A Network is built once and can be simulated at several luminosities, so
// that the figures for different luminosities compare the same nodes, links
// and message draws.
package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultBucketSize  = 20 // Kademlia's k, as in go-libp2p-kad-dht
	DefaultPayloadSize = 256
	DefaultTTL         = 32

	// MaxNodes bounds a network: memory grows with nodes × peers.
	MaxNodes = 100_000
)

// Config describes a network and the traffic to simulate on it.
type Config struct {
	// Nodes is how many nodes the network has (2..MaxNodes).
	Nodes int
	// Luminosity is how many leading bits of the recipient's overlay
	// address a packet discloses (0..256). Used by Run; Network.Simulate
	// takes it as an argument.
	Luminosity int
	// Churn is the fraction of nodes offline, drawn afresh for every
	// message (0 ≤ Churn < 1).
	Churn float64
	// NoticeOffline makes nodes route around offline peers, as they do
	// once the connections have closed; without it a node still passes
	// packets to a peer that went offline: the copy is lost, and a node
	// outside the zone offers the packet to its next-closest peer.
	NoticeOffline bool
	// Messages is how many messages to send, each from a random online node
	// to another random online node.
	Messages int
	// BucketSize is how many peers a node keeps per Kademlia bucket
	// (default DefaultBucketSize).
	BucketSize int
	// Seed makes the identities, the links and the message draws
	// reproducible.
	Seed int64
	// PayloadSize is the payload of each packet in bytes (default
	// DefaultPayloadSize).
	PayloadSize int
	// TTL is the hop limit packets start with (1..255, default DefaultTTL).
	TTL int
	// Workers is how many goroutines simulate messages and generate
	// identities (default GOMAXPROCS).
	Workers int
}

// ErrConfig is wrapped by every error about a Config.
var ErrConfig = errors.New("sim: bad configuration")

// withDefaults fills in the zero values and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.BucketSize == 0 {
		c.BucketSize = DefaultBucketSize
	}
	if c.PayloadSize == 0 {
		c.PayloadSize = DefaultPayloadSize
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	bad := func(format string, args ...any) (Config, error) {
		return c, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	switch {
	case c.Nodes < 2 || c.Nodes > MaxNodes:
		return bad("nodes must be 2..%d, not %d", MaxNodes, c.Nodes)
	case c.Luminosity < 0 || c.Luminosity > 256:
		return bad("luminosity must be 0..256, not %d", c.Luminosity)
	case !(c.Churn >= 0 && c.Churn < 1): // also refuses NaN
		return bad("churn must be at least 0 and below 1, not %v", c.Churn)
	case c.Nodes-offlineCount(c.Nodes, c.Churn) < 2:
		return bad("churn %v leaves fewer than two of %d nodes online", c.Churn, c.Nodes)
	case c.Messages < 1:
		return bad("messages must be at least 1, not %d", c.Messages)
	case c.BucketSize < 1:
		return bad("bucket size must be at least 1, not %d", c.BucketSize)
	case c.PayloadSize < 0 || c.PayloadSize > 64<<10:
		return bad("payload size must be 0..65536, not %d", c.PayloadSize)
	case c.TTL < 1 || c.TTL > 255:
		return bad("ttl must be 1..255, not %d", c.TTL)
	}
	return c, nil
}

// offlineCount is how many of n nodes a churn fraction takes offline.
func offlineCount(n int, churn float64) int { return int(math.Round(churn * float64(n))) }

// Result is what one simulation at one luminosity measured. Means are per
// message unless they say otherwise.
type Result struct {
	Nodes      int     `json:"nodes"`
	Luminosity int     `json:"luminosity"`
	Churn      float64 `json:"churn"`
	// NoticeOffline is Config.NoticeOffline.
	NoticeOffline bool `json:"notice_offline"`
	Messages      int  `json:"messages"`
	// PeersMean is the mean number of peers a node is connected to.
	PeersMean float64 `json:"peers_mean"`

	// Delivered counts messages the recipient opened.
	Delivered    int     `json:"delivered"`
	DeliveryRate float64 `json:"delivery_rate"`
	// HopsMean and HopsP99 are over delivered messages: transmissions on
	// the shortest path the packet took from sender to recipient, counting
	// the steps back of a walk that backtracked.
	HopsMean float64 `json:"hops_mean"`
	HopsP99  int     `json:"hops_p99"`

	// CopiesPerMessage is how many times a packet was transmitted from one
	// node to another, counting copies that arrived as duplicates or at
	// offline nodes.
	CopiesPerMessage float64 `json:"copies_per_message"`
	// AnonymitySetMean is how many nodes other than the sender received
	// the packet in the zone and tried to open it: everyone who, to an
	// observer of the traffic, could be the recipient.
	AnonymitySetMean float64 `json:"anonymity_set_mean"`
	// ZoneMean is how many online nodes other than the sender lie in the
	// zone: the most the anonymity set could be.
	ZoneMean float64 `json:"zone_mean"`
	// ExpectedAnonymity is N/2^L, the zone size the luminosity aims at.
	ExpectedAnonymity float64 `json:"expected_anonymity"`

	// BytesPerNode is the mean bytes a node sent per message; BytesTotal
	// is what all nodes sent for all messages.
	BytesPerNode float64 `json:"bytes_per_node"`
	BytesTotal   int64   `json:"bytes_total"`
	// PacketBytes is the size of one encoded packet.
	PacketBytes int `json:"packet_bytes"`

	// Where copies stopped, over all messages: at an offline node, as a
	// duplicate, on an expired ttl, and at a node outside the zone with
	// no peer to pass the packet to.
	DroppedOffline int64 `json:"dropped_offline"`
	Duplicates     int64 `json:"duplicates"`
	Expired        int64 `json:"expired"`
	NoRoute        int64 `json:"no_route"`
	// Backtracked counts copies handed back: to the previous hop with no
	// untried peer left, or to the sender of a copy that came round a
	// loop (route.Trail).
	Backtracked int64 `json:"backtracked"`

	DurationSeconds float64 `json:"duration_seconds"`
}

// Run builds a network for cfg and simulates cfg.Messages messages on it at
// cfg.Luminosity. progress, if not nil, is called after each message.
func Run(ctx context.Context, cfg Config, progress func(done, total int)) (*Result, error) {
	n, err := Build(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return n.Simulate(ctx, cfg.Luminosity, progress)
}

// Simulate sends n's configured number of messages at the given luminosity
// and reports what happened. Messages are independent and run in parallel;
// each draws its churn, sender, recipient and payload from the seed and its
// own number, so the figures do not depend on scheduling, and every
// luminosity sees the same draws.
func (n *Network) Simulate(ctx context.Context, luminosity int, progress func(done, total int)) (*Result, error) {
	if luminosity < 0 || luminosity > 256 {
		return nil, fmt.Errorf("%w: luminosity must be 0..256, not %d", ErrConfig, luminosity)
	}
	start := time.Now()
	total := n.cfg.Messages
	outs := make([]outcome, total)
	var (
		mu       sync.Mutex
		next     int
		done     int
		firstErr error
		wg       sync.WaitGroup
	)
	// take hands out the next message number, or -1 when there is none
	// left or the run has failed.
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if next >= total || firstErr != nil || ctx.Err() != nil {
			return -1
		}
		next++
		return next - 1
	}
	for w := 0; w < min(n.cfg.Workers, total); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := n.newSender()
			for {
				i := take()
				if i < 0 {
					return
				}
				out, err := s.send(i, uint16(luminosity))
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				outs[i] = out
				done++
				if progress != nil && err == nil {
					progress(done, total)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := n.summarize(luminosity, outs)
	r.DurationSeconds = time.Since(start).Seconds()
	return r, nil
}

// summarize turns per-message outcomes into a Result.
func (n *Network) summarize(luminosity int, outs []outcome) *Result {
	nodes, msgs := len(n.overlays), len(outs)
	r := &Result{
		Nodes:             nodes,
		Luminosity:        luminosity,
		Churn:             n.cfg.Churn,
		NoticeOffline:     n.cfg.NoticeOffline,
		Messages:          msgs,
		PeersMean:         float64(len(n.adj)) / float64(nodes),
		ExpectedAnonymity: float64(nodes) / math.Pow(2, float64(luminosity)),
	}
	var hops []int
	var copies, anon, zone int64
	for _, o := range outs {
		if o.delivered {
			r.Delivered++
			hops = append(hops, o.hops)
		}
		copies += o.copies
		anon += int64(o.anonymity)
		zone += int64(o.zone)
		r.BytesTotal += o.bytes
		r.PacketBytes = o.packetBytes
		r.DroppedOffline += o.offline
		r.Duplicates += o.duplicates
		r.Expired += o.expired
		r.NoRoute += o.noRoute
		r.Backtracked += o.backtracked
	}
	m := float64(msgs)
	r.DeliveryRate = float64(r.Delivered) / m
	r.CopiesPerMessage = float64(copies) / m
	r.AnonymitySetMean = float64(anon) / m
	r.ZoneMean = float64(zone) / m
	r.BytesPerNode = float64(r.BytesTotal) / m / float64(nodes)
	if len(hops) > 0 {
		slices.Sort(hops)
		sum := 0
		for _, h := range hops {
			sum += h
		}
		r.HopsMean = float64(sum) / float64(len(hops))
		// Nearest rank: the smallest hop count at least 99 % of delivered
		// messages needed.
		r.HopsP99 = hops[int(math.Ceil(0.99*float64(len(hops))))-1]
	}
	return r
}
