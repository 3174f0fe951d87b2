package route

import (
	"net/netip"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/x/rate"
)

// Connection limits per address block. libp2p's resource manager bounds
// the connections a node keeps, and opens per second, to and from one
// subnet (an IPv4 address, an IPv6 /56 and /48): 8 at once and one every
// five seconds after a burst of 16. It keys a relayed connection by the
// relay's address, so for a node behind a NAT every peer it talks to
// through one relay counts against that relay's subnet: its ninth relayed
// peer is refused, as is the relayed redial a failed hole punch retries
// with (punch.go), and the test network, whose public side is one /64,
// hit both. mf allows more per subnet; the node's overall connection
// limits, which scale with its memory, are libp2p's.
const (
	connsPerSubnet    = 64  // per IPv4 address and IPv6 /56
	connsPerSubnet48  = 256 // per IPv6 /48
	connRatePerSubnet = 2.0 // new connections a second, after a burst of connsPerSubnet
)

// resourceManager is the host option for newResourceManager.
func resourceManager() (libp2p.Option, error) {
	mgr, err := newResourceManager()
	if err != nil {
		return nil, err
	}
	return libp2p.ResourceManager(mgr), nil
}

// newResourceManager is libp2p's default resource manager (its limits
// scaled to the machine, its services' own limits) with mf's subnet limits.
func newResourceManager() (network.ResourceManager, error) {
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	return rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()),
		// libp2p.DisableMetrics does not reach a manager built here: without
		// this, every stream and memory reservation is traced into
		// prometheus counters (a formatted time each), 7 % of a small
		// gateway call's CPU.
		rcmgr.WithMetricsDisabled(),
		// Loopback stays unlimited in number (libp2p's default).
		rcmgr.WithLimitPerSubnet(
			[]rcmgr.ConnLimitPerSubnet{{PrefixLength: 32, ConnCount: connsPerSubnet}},
			[]rcmgr.ConnLimitPerSubnet{{PrefixLength: 56, ConnCount: connsPerSubnet}, {PrefixLength: 48, ConnCount: connsPerSubnet48}}),
		rcmgr.WithConnRateLimiters(&rate.Limiter{
			// Loopback is not limited (a devnet opens many at once).
			NetworkPrefixLimits: []rate.PrefixLimit{
				{Prefix: netip.MustParsePrefix("127.0.0.0/8")},
				{Prefix: netip.MustParsePrefix("::1/128")},
			},
			SubnetRateLimiter: rate.SubnetLimiter{
				IPv4SubnetLimits: []rate.SubnetLimit{{PrefixLength: 32, Limit: rate.Limit{RPS: connRatePerSubnet, Burst: connsPerSubnet}}},
				IPv6SubnetLimits: []rate.SubnetLimit{
					{PrefixLength: 56, Limit: rate.Limit{RPS: connRatePerSubnet, Burst: connsPerSubnet}},
					{PrefixLength: 48, Limit: rate.Limit{RPS: 4 * connRatePerSubnet, Burst: connsPerSubnet48}},
				},
				GracePeriod: time.Minute,
			},
		}),
	)
}
