package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/route"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// TestNATNamespaces runs real mf-route daemons on a small internet made of
// network namespaces, the way people run them: public nodes, and three
// nodes each behind its own home router that masquerades (NAT66) a
// unique-local prefix.
//
//	             inet (a bridge: 2001:2::/64)
//	  ┌──────┬──────┴──┬────────┬───────────┬───────────┐
//	pub1   pub2     pub3 (later) r1 (nat)    r2 (nat)    r3 (nat, random ports)
//	::1    ::2      ::3          ::11        ::12        ::13
//	                     │           │           │
//	                    p1          p2          p3
//	                 fd00:1::2   fd00:2::2   fd00:3::2
//	                    p1b (fd00:1::3, on p1's LAN, no bootstrap: finds p1 by mDNS)
//
// IPv6, because libp2p counts private IPv4 ranges as not public and would
// never start AutoNAT or hole punching on them; 2001:2::/48 is the
// benchmarking range, which libp2p counts as public, and it is used only
// inside these namespaces. r1 and r2 keep source ports (hole punching can
// work between p1 and p2); r3 picks a random port for every mapping, as
// some carrier NATs do, so p3 can only be reached through a relay.
//
// The test checks that the private nodes find they are private and reserve
// relay slots, exchange packets both ways by card and by overlay address,
// that p1-p2 turns direct while p1-p3 stays relayed, and that traffic
// resumes within 30 s after the relay in use is SIGKILLed, and that a new
// public node is found and used as a relay within 30 s. With
// MF_NAT_BENCH=1 it also measures latency and throughput direct and through
// a relay (docs/benchmarks.md).
func TestNATNamespaces(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: building network namespaces and NAT66 needs root (CI runs as root)")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install iproute2 and nftables (.ci/run does)", tool)
		}
	}
	bin, err := exec.LookPath("mf-route")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	w := newNSWorld(t)
	w.build()
	t.Logf("namespaces up in %v", time.Since(start).Round(time.Millisecond))

	dir, err := os.MkdirTemp("", "mfnat")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Init in parallel: each sealed keystore costs a second of scrypt,
	// several under -race.
	names := []string{"pub1", "pub2", "pub3", "p1", "p2", "p3", "p1b"}
	nodes := map[string]*nsNode{}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, name := range names {
		wg.Go(func() {
			n, err := w.initNode(bin, dir, name)
			errs[i] = err
			mu.Lock()
			nodes[name] = n
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	pub1, pub2, pub3, p1, p2, p3, p1b := nodes["pub1"], nodes["pub2"], nodes["pub3"], nodes["p1"], nodes["p2"], nodes["p3"], nodes["p1b"]

	// The public nodes know each other; each private node joins through
	// a bootstrap file listing both, as an operator would hand out.
	pub1.start(t, "--bootstrap", pub2.maddr())
	pub2.start(t, "--bootstrap", pub1.maddr())
	bootFile := filepath.Join(dir, "bootstrap.txt")
	if err := os.WriteFile(bootFile, []byte("# public nodes\n"+pub1.maddr()+"\n"+pub1.quicAddr()+"\n\n"+pub2.maddr()+"\n"+pub2.quicAddr()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	privStart := time.Now()
	for _, n := range []*nsNode{p1, p2, p3} {
		args := []string{"--bootstrap", bootFile}
		if n == p1 {
			args = append(args, "--mdns")
		}
		n.start(t, args...)
	}
	// p1b has no bootstrap peer: it finds p1 on its LAN by mDNS.
	p1b.start(t, "--mdns")

	for _, n := range []*nsNode{pub1, pub2} {
		waitStatus(t, n, 60*time.Second, "publicly reachable, a DHT server", func(st *routeapi.StatusInfo) bool { return st.Reachability == "public" && st.DHT == "server" })
	}
	for _, n := range []*nsNode{p1, p2, p3} {
		// AutoNAT probes a few seconds after the first peer, and the dial
		// back through a NAT that drops it takes 15 s to fail: about 20 s
		// here, and the -race binary on a loaded machine is slower.
		waitStatus(t, n, 90*time.Second, "private, with a relay slot and relay addresses in its card", func(st *routeapi.StatusInfo) bool {
			return st.Reachability == "private" && st.DHT == "client" && len(st.Relays) > 0 && cardOnlyUsable(st.Addrs) && slices.ContainsFunc(st.Addrs, isCircuit)
		})
	}
	t.Logf("private nodes found they are private and hold relay slots %v after they started", time.Since(privStart).Round(time.Millisecond))
	waitStatus(t, p1b, 20*time.Second, "connected to p1, found on the LAN", func(st *routeapi.StatusInfo) bool {
		return slices.ContainsFunc(p1b.peers(t), func(p routeapi.PeerInfo) bool { return p.PeerID == p1.peer })
	})
	if p1b.logged("alone") {
		t.Fatalf("p1b, with --mdns, said it was alone")
	}
	for _, n := range []*nsNode{pub1, pub2} {
		st := n.status(t)
		if !cardOnlyUsable(st.Addrs) || len(st.Addrs) == 0 {
			t.Fatalf("%s's card carries addresses others cannot use: %v", n.name, st.Addrs)
		}
		if len(st.Relays) > 0 {
			t.Fatalf("public %s reserved relay slots: %v", n.name, st.Relays)
		}
	}

	// Packets both ways: by card one way, by overlay address (a DHT
	// lookup of the card) the other.
	inbox := map[string]*nsInbox{}
	for _, n := range []*nsNode{p1, p2, p3} {
		inbox[n.name] = n.listen(t, "nat")
	}
	exchange := func(a, b *nsNode, within time.Duration) {
		t.Helper()
		aCard := a.status(t).Card
		deliver(t, a, b.status(t).Card, inbox[b.name], within)
		deliver(t, b, aCard, inbox[a.name], within)
		deliver(t, a, b.status(t).Overlay.String(), inbox[b.name], within)
		deliver(t, b, a.status(t).Overlay.String(), inbox[a.name], within)
	}
	// While p1 and p2 first meet, r1 drops everything between the two
	// routers, so the hole punch made when their relayed connection opens
	// fails, as it does when a NAT is slow to open its mapping, the round
	// trip it is timed by jumps, or the node has not yet learnt its public
	// address. libp2p punches once per relayed connection; mf tries again
	// later (punch.go).
	w.nft("r1", "table ip6 mfblock {\n chain cut {\n  type filter hook forward priority -10; policy accept;\n  ip6 daddr 2001:2::12 drop\n  ip6 saddr 2001:2::12 drop\n }\n}\n")
	exchange(p1, p2, 30*time.Second)
	exchange(p1, p3, 30*time.Second)
	t.Logf("packets both ways, by card and by overlay, after %v", time.Since(start).Round(time.Millisecond))
	// Long enough for libp2p's punch (three tries, each up to its dial
	// timeout) to be over: unblocked after 12 s, it still got through.
	time.Sleep(35 * time.Second)
	if got := pathTo(t, p1, p2); got != "relayed" {
		t.Fatalf("p1 reaches p2 by a %q connection while the routers cannot reach each other, want relayed", got)
	}
	w.run("r1", "nft", "delete", "table", "ip6", "mfblock")
	unblocked := time.Now()

	// Hole punching: the port-keeping NATs let p1 and p2 connect
	// directly, at one of mf's next tries; p3's random ports do not, and
	// it stays relayed. mf tries 20 s after the relayed connection opened,
	// then 40 s and 80 s after that one, each once the punch before it is
	// over (punch.go). One try (libp2p's three punches) can still fail, on
	// a loaded machine say; 120 s after the unblocking hold two tries,
	// wherever in the schedule it fell.
	waitPath(t, p1, p2, "direct", 120*time.Second)
	direct, _ := connTo(t, p1, p2)
	t.Logf("p1-p2 direct %v after the routers could reach each other, by %s", time.Since(unblocked).Round(time.Millisecond), direct.Addr)
	waitPath(t, p2, p1, "direct", 10*time.Second)
	if st := p1.status(t); st.Packets.PunchRetries == 0 {
		t.Fatalf("p1 turned direct to p2 without trying another hole punch")
	}
	waitPath(t, p1, p3, "relayed", 20*time.Second)
	deliver(t, p1, p2.status(t).Card, inbox["p2"], 10*time.Second)
	deliver(t, p3, p1.status(t).Card, inbox["p1"], 10*time.Second)
	t.Logf("p1-p2 direct, p1-p3 relayed, after %v", time.Since(start).Round(time.Millisecond))

	if os.Getenv("MF_NAT_BENCH") != "" {
		natBench(t, p1, p2, p3)
	}

	// A relay dies: SIGKILL the relay p3's connection to p1 runs through.
	// p3 keeps (or wins) a slot on the other, its card follows, and
	// packets flow again within 30 s.
	relay := relayOfPath(t, p1, p3)
	dead, alive := pub1, pub2
	if relay == pub2.peer {
		dead, alive = pub2, pub1
	}
	killed := time.Now()
	dead.kill(t)
	t.Logf("SIGKILLed %s, the relay between p1 and p3", dead.name)
	for _, n := range []*nsNode{p1, p2, p3} {
		waitStatus(t, n, 30*time.Second, "holding a slot only on the live relay", func(st *routeapi.StatusInfo) bool {
			return slices.Equal(st.Relays, []string{alive.peer}) && !slices.ContainsFunc(st.Addrs, func(a string) bool { return strings.Contains(a, dead.peer) })
		})
	}
	deadline := killed.Add(30 * time.Second)
	deliver(t, p1, p3.status(t).Card, inbox["p3"], time.Until(deadline))
	deliver(t, p3, p1.status(t).Overlay.String(), inbox["p1"], time.Until(deadline))
	deliver(t, p1, p2.status(t).Overlay.String(), inbox["p2"], time.Until(deadline))
	t.Logf("traffic resumed %v after the relay died", time.Since(killed).Round(time.Millisecond))

	// A new public node comes up: the private nodes, each short of the
	// two relays they want, find it (through the DHT: none of them knows
	// it) and take a slot on it within 30 s.
	pub3.start(t, "--bootstrap", alive.maddr())
	joined := time.Now()
	for _, n := range []*nsNode{p1, p2, p3} {
		waitStatus(t, n, time.Until(joined.Add(30*time.Second)), "holding slots on the live relay and the new one", func(st *routeapi.StatusInfo) bool {
			return slices.Contains(st.Relays, alive.peer) && slices.Contains(st.Relays, pub3.peer) &&
				slices.ContainsFunc(st.Addrs, func(a string) bool { return strings.Contains(a, pub3.peer) })
		})
	}
	t.Logf("the private nodes hold a slot on the new relay %v after it started", time.Since(joined).Round(time.Millisecond))
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

// nsWorld is the set of namespaces a test made; it deletes them when the
// test ends, pass or fail.
type nsWorld struct {
	t      *testing.T
	prefix string
}

func newNSWorld(t *testing.T) *nsWorld {
	return &nsWorld{t: t, prefix: fmt.Sprintf("mf%d", os.Getpid()%100000)}
}

func (w *nsWorld) ns(name string) string { return w.prefix + name }

// run runs a command in the namespace name ("" for the test's own).
func (w *nsWorld) run(name string, args ...string) {
	w.t.Helper()
	if name != "" {
		args = append([]string{"ip", "netns", "exec", w.ns(name)}, args...)
	}
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		w.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (w *nsWorld) add(name string) {
	w.t.Helper()
	full := w.ns(name)
	w.run("", "ip", "netns", "add", full)
	w.t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", full).CombinedOutput(); err != nil {
			w.t.Logf("deleting namespace %s: %v %s", full, err, out)
		}
	})
	w.run(name, "ip", "link", "set", "lo", "up")
	w.run(name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0")
}

// link joins a's interface ifa and b's interface ifb by a veth pair.
func (w *nsWorld) link(a, ifa, b, ifb string) {
	w.run(a, "ip", "link", "add", ifa, "type", "veth", "peer", "name", ifb, "netns", w.ns(b))
	w.run(a, "ip", "link", "set", ifa, "up")
	w.run(b, "ip", "link", "set", ifb, "up")
}

func (w *nsWorld) addr(name, dev, cidr string) {
	// nodad: the address is usable at once, not after duplicate address
	// detection, which would only slow the test.
	w.run(name, "ip", "-6", "addr", "add", cidr, "dev", dev, "nodad")
}

func (w *nsWorld) build() {
	w.add("inet")
	w.run("inet", "ip", "link", "add", "br0", "type", "bridge")
	w.run("inet", "ip", "link", "set", "br0", "up")
	port := func(host, ifname, cidr string) {
		w.link(host, "wan", "inet", ifname)
		w.run("inet", "ip", "link", "set", ifname, "master", "br0")
		w.addr(host, "wan", cidr)
	}
	for i, h := range []string{"pub1", "pub2", "pub3"} {
		w.add(h)
		port(h, "v"+h, fmt.Sprintf("2001:2::%d/64", i+1))
	}
	for i, h := range []string{"p1", "p2", "p3"} {
		r := "r" + h[1:]
		w.add(r)
		w.add(h)
		port(r, "v"+r, fmt.Sprintf("2001:2::1%d/64", i+1))
		// The LAN is a bridge in the router, so that more hosts can join
		// it (p1b, which finds p1 by mDNS).
		w.run(r, "ip", "link", "add", "lan", "type", "bridge")
		w.run(r, "ip", "link", "set", "lan", "up")
		w.addr(r, "lan", fmt.Sprintf("fd00:%d::1/64", i+1))
		hosts := []string{h}
		if h == "p1" {
			hosts = append(hosts, "p1b")
		}
		for j, hh := range hosts {
			if hh != h {
				w.add(hh)
			}
			w.link(hh, "eth0", r, "v"+hh)
			w.run(r, "ip", "link", "set", "v"+hh, "master", "lan")
			w.addr(hh, "eth0", fmt.Sprintf("fd00:%d::%d/64", i+1, j+2))
			w.run(hh, "ip", "-6", "route", "add", "default", "via", fmt.Sprintf("fd00:%d::1", i+1))
		}
		w.run(r, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
		masq := "masquerade"
		if h == "p3" {
			masq = "masquerade fully-random"
		}
		// Like a home router, drop what arrives unasked from outside
		// (a connection to the router's own address that matches no
		// mapping), rather than answer it with a reset.
		rules := "table ip6 mfnat {\n" +
			" chain post {\n  type nat hook postrouting priority srcnat; policy accept;\n  oifname \"wan\" " + masq + "\n }\n" +
			" chain in {\n  type filter hook input priority filter; policy accept;\n  iifname \"wan\" meta l4proto { tcp, udp } ct state new drop\n }\n" +
			"}\n"
		w.nft(r, rules)
	}
}

// nft loads rules into namespace name's nftables.
func (w *nsWorld) nft(name, rules string) {
	w.t.Helper()
	cmd := exec.Command("ip", "netns", "exec", w.ns(name), "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		w.t.Fatalf("nft in %s: %v\n%s", name, err, out)
	}
}

// nsNode is an mf-route daemon in a namespace.
type nsNode struct {
	w          *nsWorld
	name, home string
	bin        string
	peer       string
	ip         string
	cmd        *exec.Cmd
	log        *bytes.Buffer
	logMu      *sync.Mutex
}

func (w *nsWorld) initNode(bin, dir, name string) (*nsNode, error) {
	home := filepath.Join(dir, name)
	n := &nsNode{w: w, name: name, home: home, bin: bin, log: new(bytes.Buffer), logMu: new(sync.Mutex)}
	out, err := exec.Command(bin, "--home", home, "init", "--dev", "--listen", "/ip6/::/tcp/4001", "--listen", "/ip6/::/udp/4001/quic-v1").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("init %s: %v\n%s", name, err, out)
	}
	c, err := route.ReadCard(home)
	if err != nil {
		return nil, err
	}
	n.peer = c.PeerID().String()
	switch name {
	case "pub1":
		n.ip = "2001:2::1"
	case "pub2":
		n.ip = "2001:2::2"
	case "pub3":
		n.ip = "2001:2::3"
	}
	return n, nil
}

func (n *nsNode) maddr() string { return "/ip6/" + n.ip + "/tcp/4001/p2p/" + n.peer }

func (n *nsNode) quicAddr() string { return "/ip6/" + n.ip + "/udp/4001/quic-v1/p2p/" + n.peer }

// lockedWriter lets the daemon's output and the test's reads of it share
// a buffer.
type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (n *nsNode) start(t *testing.T, args ...string) {
	t.Helper()
	argv := append([]string{"netns", "exec", n.w.ns(n.name), n.bin, "--home", n.home, "daemon", "--log-level", "debug"}, args...)
	cmd := exec.Command("ip", argv...)
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "MF_") {
			env = append(env, e)
		}
	}
	// Debug logs of the NAT machinery only, not every packet.
	golog := "error,autonat=info,autorelay=info,p2p-holepunch=info"
	if v := os.Getenv("MF_NAT_GOLOG"); v != "" {
		golog = v // for a developer chasing a failure
	}
	cmd.Env = append(env, "GOLOG_LOG_LEVEL="+golog)
	lw := lockedWriter{n.logMu, n.log}
	cmd.Stdout, cmd.Stderr = lw, lw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.cmd = cmd
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() || os.Getenv("MF_NAT_LOGS") != "" {
			n.logMu.Lock()
			t.Logf("log of %s:\n%s", n.name, tail(n.log.String(), 12000))
			n.logMu.Unlock()
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := status(n.home); err == nil {
			return
		}
		select {
		case <-done:
			t.Fatalf("%s's daemon exited:\n%s", n.name, n.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's daemon never served its socket", n.name)
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func (n *nsNode) logged(s string) bool {
	n.logMu.Lock()
	defer n.logMu.Unlock()
	return strings.Contains(n.log.String(), s)
}

func (n *nsNode) kill(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

func (n *nsNode) status(t *testing.T) *routeapi.StatusInfo {
	t.Helper()
	st, err := status(n.home)
	if err != nil {
		t.Fatalf("status of %s: %v", n.name, err)
	}
	return st
}

func (n *nsNode) peers(t *testing.T) []routeapi.PeerInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ps, err := routeapi.NewClient(n.home).Peers(ctx)
	if err != nil {
		t.Fatalf("peers of %s: %v", n.name, err)
	}
	return ps
}

func waitStatus(t *testing.T, n *nsNode, within time.Duration, what string, ok func(*routeapi.StatusInfo) bool) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		st, err := status(n.home)
		if err == nil && ok(st) {
			return
		}
		b, _ := json.Marshal(st)
		last = fmt.Sprint(string(b), err)
	}
	t.Fatalf("%s was not %s within %v: %s", n.name, what, within, last)
}

// cardOnlyUsable: no loopback, unique-local or link-local address in a
// card that has a public one.
func cardOnlyUsable(addrs []string) bool {
	for _, a := range addrs {
		if isCircuit(a) {
			continue
		}
		if strings.HasPrefix(a, "/ip6/::1/") || strings.HasPrefix(a, "/ip6/fd") || strings.HasPrefix(a, "/ip6/fe80") || strings.HasPrefix(a, "/ip4/127.") {
			return false
		}
	}
	return true
}

func isCircuit(a string) bool { return strings.Contains(a, "/p2p-circuit") }

// connTo is from's connection to "to", as its peers list shows it.
func connTo(t *testing.T, from, to *nsNode) (routeapi.PeerInfo, bool) {
	for _, p := range from.peers(t) {
		if p.PeerID == to.peer {
			return p, true
		}
	}
	return routeapi.PeerInfo{}, false
}

func pathTo(t *testing.T, from, to *nsNode) string {
	if p, ok := connTo(t, from, to); ok {
		return p.Path
	}
	return "none"
}

func waitPath(t *testing.T, from, to *nsNode, want string, within time.Duration) {
	t.Helper()
	got := ""
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if got = pathTo(t, from, to); got == want {
			return
		}
	}
	var conns []string
	for _, p := range from.peers(t) {
		conns = append(conns, fmt.Sprintf("%s %s %s %s", p.PeerID, p.Direction, p.Path, p.Addr))
	}
	t.Fatalf("%s's connection to %s is %q after %v, want %s; its connections:\n%s", from.name, to.name, got, within, want, strings.Join(conns, "\n"))
}

// relayOfPath is the peer ID of the relay from's connection to "to" runs
// through. It waits a little for one: a hole punch retry (punch.go) closes
// the relayed connection and dials again, and the test may look between.
func relayOfPath(t *testing.T, from, to *nsNode) string {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		for _, p := range from.peers(t) {
			if p.PeerID == to.peer && isCircuit(p.Addr) {
				for _, part := range strings.Split(p.Addr, "/p2p/") {
					if id, _, _ := strings.Cut(part, "/"); strings.HasPrefix(id, "12D3") || strings.HasPrefix(id, "16U") {
						return id
					}
				}
			}
		}
	}
	t.Fatalf("%s has no relayed connection to %s", from.name, to.name)
	return ""
}

// nsInbox collects what a node's listener receives.
type nsInbox struct {
	mu  sync.Mutex
	got map[string]bool
	ch  chan struct{}
}

func (n *nsNode) listen(t *testing.T, topic string) *nsInbox {
	in := &nsInbox{got: map[string]bool{}, ch: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	opened := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = routeapi.NewClient(n.home).ListenOpen(ctx, topic, 0, func() { close(opened) }, func(m *routeapi.Message) error {
			in.mu.Lock()
			in.got[string(m.Payload)] = true
			in.mu.Unlock()
			select {
			case in.ch <- struct{}{}:
			default:
			}
			return nil
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-opened:
	case <-time.After(10 * time.Second):
		t.Fatalf("listener on %s never opened", n.name)
	}
	return in
}

var deliverSeq int

// deliver sends a fresh packet from "from" to target until in has it,
// resending now and then: a send can fail while a relay or route is being
// repaired, and that is what the caller is timing.
func deliver(t *testing.T, from *nsNode, target string, in *nsInbox, within time.Duration) {
	t.Helper()
	deliverSeq++
	payload := fmt.Sprintf("packet %d from %s", deliverSeq, from.name)
	c := routeapi.NewClient(from.home)
	var lastErr error
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), min(10*time.Second, time.Until(deadline)))
		_, lastErr = c.Send(ctx, routeapi.SendRequest{To: target, Topic: "nat", Payload: []byte(payload)})
		cancel()
		wait := time.NewTimer(min(3*time.Second, max(time.Until(deadline), 0)))
	waiting:
		for {
			in.mu.Lock()
			ok := in.got[payload]
			in.mu.Unlock()
			if ok {
				wait.Stop()
				return
			}
			select {
			case <-in.ch:
			case <-wait.C:
				break waiting
			}
		}
	}
	t.Fatalf("%q from %s to %.24s… not delivered within %v (last send error: %v)", payload, from.name, target, within, lastErr)
}

// natBench measures latency (at a light 100 packets/s) and throughput (as
// fast as the daemon takes packets) from p1 to p2 (direct, after hole
// punching) and to p3 (through a relay) with mf-route bench; the figures in
// docs/benchmarks.md come from here.
func natBench(t *testing.T, p1, p2, p3 *nsNode) {
	type result struct {
		Lost      int     `json:"lost"`
		P50       float64 `json:"p50_ms"`
		P99       float64 `json:"p99_ms"`
		PerSecond float64 `json:"packets_per_second"`
	}
	bench := func(to *nsNode, args ...string) result {
		argv := append([]string{"--home", p1.home, "bench", "--to", to.status(t).Card, "--json"}, args...)
		out, err := exec.Command(p1.bin, argv...).Output()
		if err != nil {
			t.Fatalf("bench to %s: %v", to.name, err)
		}
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, c := range []struct {
		name string
		to   *nsNode
	}{{"direct", p2}, {"relayed", p3}} {
		lat := bench(c.to, "--count", "300", "--rate", "100", "--size", "4096")
		tput := bench(c.to, "--count", "1000", "--size", "16384")
		t.Logf("BENCH %-7s (p1->%s, %s): 4 KiB at 100/s p50 %.2f ms p99 %.2f ms; 16 KiB flat out %.0f packets/s = %.1f MiB/s; lost %d+%d",
			c.name, c.to.name, pathTo(t, p1, c.to), lat.P50, lat.P99, tput.PerSecond, tput.PerSecond*16384/(1<<20), lat.Lost, tput.Lost)
	}
}
