package route

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"

	ma "github.com/multiformats/go-multiaddr"
)

// checkPortsFree refuses to start a node whose fixed listen ports another
// process already holds. libp2p binds its TCP listener with SO_REUSEPORT
// (hole punching dials out from the listen port, and needs it), and two
// sockets that both set it may share a port: a second node would report
// running while the kernel splits incoming connections between the two
// identities. A probe bound without SO_REUSEPORT cannot share the port with
// anything, so it fails exactly when some socket holds the port; it is
// closed again before libp2p binds with its own options.
//
// Port 0 (any free port) and names (/dns) are not probed. Two nodes started
// in the same instant could both pass the probe; the window is the few
// milliseconds until libp2p binds.
func checkPortsFree(listen []string) error {
	for _, s := range listen {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			continue // New reports bad addresses with its own error
		}
		network, addr, ok := probeAddr(a)
		if !ok {
			continue
		}
		if err := probe(network, addr); err != nil {
			_, port, _ := net.SplitHostPort(addr)
			if errors.Is(err, syscall.EADDRINUSE) {
				return fmt.Errorf("route: %s port %s is already in use (listen address %s): another node or program holds it", network[:3], port, s)
			}
			return fmt.Errorf("route: cannot listen on %s: %v", s, err)
		}
	}
	return nil
}

// probeAddr is the network and host:port a listen address binds, for an IP
// address with a fixed TCP or UDP port.
func probeAddr(a ma.Multiaddr) (network, addr string, ok bool) {
	ip, err := a.ValueForProtocol(ma.P_IP4)
	network = "4"
	if err != nil {
		if ip, err = a.ValueForProtocol(ma.P_IP6); err != nil {
			return "", "", false
		}
		network = "6"
	}
	port, err := a.ValueForProtocol(ma.P_TCP)
	network = "tcp" + network
	if err != nil {
		if port, err = a.ValueForProtocol(ma.P_UDP); err != nil {
			return "", "", false
		}
		network = "udp" + network[3:]
	}
	if n, err := strconv.Atoi(port); err != nil || n == 0 {
		return "", "", false
	}
	return network, net.JoinHostPort(ip, port), true
}

// probe binds addr without SO_REUSEPORT and lets it go.
func probe(network, addr string) error {
	if network[:3] == "tcp" {
		l, err := net.Listen(network, addr)
		if err != nil {
			return err
		}
		return l.Close()
	}
	c, err := net.ListenPacket(network, addr)
	if err != nil {
		return err
	}
	return c.Close()
}
