// Package devnet runs a development network on this machine: N nodes, each
// its own home under one directory, each daemon a separate process on
// 127.0.0.1, joined to each other. The processes outlive the command that
// started them; the directory records them so that status and down find
// exactly those processes again.
package devnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/court/courtapi"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/route"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/store/storeapi"
	"github.com/mainframe/mf/pkg/swap/swapapi"
)

// StateFile records a devnet inside its directory.
const StateFile = "devnet.json"

// Topologies.
const (
	Mesh = "mesh" // every node may connect to every other
	Line = "line" // node i only connects to i-1 and i+1: a relay chain
	// Kademlia: each node connects only to a few peers per bucket, as a
	// Kademlia routing table holds them, so packets cross relays.
	Kademlia = "kademlia"
)

// Options describe a devnet to start.
type Options struct {
	Nodes    int
	Dir      string
	Bin      string // the mf-route binary; default: this executable
	Topology string
	Out      io.Writer // progress lines
	// NoSwap leaves out the chain and the mf-swap daemons.
	NoSwap bool
	// SwapBin is the mf-swap binary; default: beside Bin, else $PATH.
	SwapBin string
	// NoDB leaves out the mf-db daemons (NoSwap does too: mf-db finds
	// and pays its providers through mf-swap).
	NoDB bool
	// DBBin is the mf-db binary; default: beside Bin, else $PATH.
	DBBin string
	// Deposit is what each node's checkbook gets (MFT base units); the
	// faucet gives each node twice that.
	Deposit *big.Int
	// BucketSize is how many peers per bucket a kademlia devnet's nodes
	// keep (default DefaultBucketSize).
	BucketSize int
	// NoStore leaves out the mf-store daemons, which a devnet with mf-swap
	// otherwise runs on every node.
	NoStore bool
	// NoChat leaves out the mf-chat daemons; ChatBin is the mf-chat
	// binary (default: beside Bin; none there: no chat).
	NoChat  bool
	ChatBin string
	// NoHold leaves out the mf-hold daemons, which a devnet with mf-swap
	// otherwise runs on every node. HoldDelegates gives every node that
	// many delegates (and makes every node sell db service, where the
	// packet holders table lives).
	NoHold        bool
	HoldDelegates int
}

// Node is one node of a devnet.
type Node struct {
	Name    string `json:"name"`
	Home    string `json:"home"`
	PeerID  string `json:"peer_id"`
	Overlay string `json:"overlay"`
	Port    int    `json:"port"`
	// Links names the nodes this one may connect to (kademlia only).
	Links []string `json:"links,omitempty"`
}

// State is what devnet.json holds.
type State struct {
	Topology string    `json:"topology"`
	Created  time.Time `json:"created"`
	Nodes    []Node    `json:"nodes"`
	// Swap is set when the devnet runs the chain and mf-swap daemons.
	Swap   bool `json:"swap"`
	Funded bool `json:"funded,omitempty"`
	dir    string
}

// ChainDir is where the devnet's chain lives.
func (st *State) ChainDir() string { return filepath.Join(st.dir, "chain") }

// ErrRunning means the directory already has running nodes.
var ErrRunning = errors.New("devnet: a devnet is already running in this directory")

// Up creates the nodes (first time only) and starts their daemons.
func Up(ctx context.Context, o Options) (*State, error) {
	if o.Nodes < 1 || o.Nodes > 200 {
		return nil, fmt.Errorf("devnet: --nodes must be 1..200, not %d", o.Nodes)
	}
	if o.Topology == "" {
		o.Topology = Mesh
	}
	if o.Topology != Mesh && o.Topology != Line && o.Topology != Kademlia {
		return nil, fmt.Errorf("devnet: topology must be %s, %s or %s", Mesh, Line, Kademlia)
	}
	if o.BucketSize == 0 {
		o.BucketSize = DefaultBucketSize
	}
	if o.BucketSize < 1 {
		return nil, fmt.Errorf("devnet: --bucket-size must be at least 1, not %d", o.BucketSize)
	}
	if err := checkHold(o); err != nil {
		return nil, err
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		o.Bin = exe
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	st, err := Load(dir)
	switch {
	case err == nil:
		for _, s := range Status(st) {
			if s.Running {
				return nil, fmt.Errorf("%w: %s", ErrRunning, dir)
			}
		}
		if len(st.Nodes) != o.Nodes || st.Topology != o.Topology || st.Swap == o.NoSwap {
			return nil, fmt.Errorf("devnet: %s holds a %d-node %s devnet (swap %v); use the same --nodes, --topology and --no-swap, or another --dir", dir, len(st.Nodes), st.Topology, st.Swap)
		}
		fmt.Fprintf(o.Out, "restarting the devnet in %s\n", dir)
	case errors.Is(err, os.ErrNotExist):
		st, err = create(dir, o)
		if err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	st.dir = dir
	if st.Swap {
		if err := startChain(ctx, o, st); err != nil {
			Down(st)
			return nil, err
		}
	}
	for _, n := range st.Nodes {
		if err := start(ctx, o.Bin, n); err != nil {
			Down(st)
			return nil, fmt.Errorf("devnet: starting %s: %w", n.Name, err)
		}
		fmt.Fprintf(o.Out, "started %s  %s  port %d\n", n.Name, n.Overlay[:16], n.Port)
	}
	waitJoined(ctx, st, o.Out)
	if st.Swap {
		if err := startSwap(ctx, o, st); err != nil {
			Down(st)
			return nil, err
		}
		// mf-db finds providers and pays them through mf-swap: no swap,
		// no db.
		if !o.NoDB {
			if err := startDB(ctx, o, st); err != nil {
				Down(st)
				return nil, err
			}
		}
		if !o.NoStore {
			if err := startStore(ctx, o, st); err != nil {
				Down(st)
				return nil, err
			}
		}
		if !o.NoHold {
			if err := startHold(ctx, o, st); err != nil {
				Down(st)
				return nil, err
			}
			if o.HoldDelegates > 0 && !o.NoDB {
				if err := giveDelegates(ctx, o, st, o.HoldDelegates); err != nil {
					Down(st)
					return nil, err
				}
			}
		}
	}
	if err := startChat(ctx, o, st); err != nil {
		Down(st)
		return nil, err
	}
	return st, nil
}

// create makes the homes: identities and configs with fixed ports, so that
// a restarted devnet comes back on the same addresses, and bootstrap lists
// that tie the nodes together.
func create(dir string, o Options) (*State, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	st := &State{Topology: o.Topology, Created: time.Now().UTC(), Swap: !o.NoSwap}
	ports, err := freePorts(o.Nodes)
	if err != nil {
		return nil, err
	}
	for i := 0; i < o.Nodes; i++ {
		name := fmt.Sprintf("node%d", i+1)
		home := filepath.Join(dir, name)
		listen := []string{
			fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", ports[i]),
			fmt.Sprintf("/ip4/127.0.0.1/udp/%d/quic-v1", ports[i]),
		}
		id, err := route.Init(home, route.InitOptions{Dev: true, Listen: listen})
		if err != nil {
			return nil, err
		}
		pub := id.Public()
		st.Nodes = append(st.Nodes, Node{Name: name, Home: home, PeerID: pub.PeerID().String(), Overlay: pub.Overlay().String(), Port: ports[i]})
	}
	addr := func(n Node) string { return fmt.Sprintf("/ip4/127.0.0.1/tcp/%d/p2p/%s", n.Port, n.PeerID) }
	if o.Topology == Kademlia {
		overlays := make([]identity.Overlay, len(st.Nodes))
		for i, n := range st.Nodes {
			p, err := peer.Decode(n.PeerID)
			if err != nil {
				return nil, err
			}
			overlays[i] = identity.OverlayOf(p)
		}
		for i, l := range kademliaLinks(overlays, o.BucketSize, rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))) {
			for _, j := range l {
				st.Nodes[i].Links = append(st.Nodes[i].Links, st.Nodes[j].Name)
			}
		}
	}
	graph := st.Graph()
	for i, n := range st.Nodes {
		cfg, err := config.LoadFile(n.Home)
		if err != nil {
			return nil, err
		}
		switch o.Topology {
		case Mesh:
			// Everyone joins through node1 (and node1 through node2), and the
			// DHT introduces them to each other.
			if i == 0 && len(st.Nodes) > 1 {
				cfg.Route.Bootstrap = []string{addr(st.Nodes[1])}
			} else if i > 0 {
				cfg.Route.Bootstrap = []string{addr(st.Nodes[0])}
			}
		case Line, Kademlia:
			// Only the node's neighbours in the graph: the connection
			// gater refuses every other peer, so packets cross relays.
			cfg.Route.Bootstrap, cfg.Route.AllowPeers = nil, nil
			for _, j := range graph[i] {
				if o.Topology == Kademlia {
					// QUIC as well, which libp2p prefers: a QUIC peer
					// that dies says nothing, and its death must be
					// noticed (a TCP peer's kernel closes the socket).
					cfg.Route.Bootstrap = append(cfg.Route.Bootstrap, fmt.Sprintf("/ip4/127.0.0.1/udp/%d/quic-v1/p2p/%s", st.Nodes[j].Port, st.Nodes[j].PeerID))
				}
				cfg.Route.Bootstrap = append(cfg.Route.Bootstrap, addr(st.Nodes[j]))
				cfg.Route.AllowPeers = append(cfg.Route.AllowPeers, st.Nodes[j].PeerID)
			}
		}
		if err := config.Save(n.Home, cfg); err != nil {
			return nil, err
		}
	}
	st.dir = dir
	if err := saveState(st); err != nil {
		return nil, err
	}
	return st, nil
}

// freePorts finds n ports free for both TCP and UDP on 127.0.0.1. They
// are drawn below the kernel's ephemeral range: a node binds its port
// seconds after it is found (the chain starts first), and a port from
// that range can meanwhile become the local end of any program's
// outgoing connection ("port already in use" when tests run side by side).
func freePorts(n int) ([]int, error) {
	var ports []int
	var hold []io.Closer
	defer func() {
		for _, c := range hold {
			c.Close()
		}
	}()
	low := ephemeralLow()
	for tries := 0; len(ports) < n && tries < 100*n; tries++ {
		addr := "127.0.0.1:0"
		if low > minDevnetPort+n {
			addr = fmt.Sprintf("127.0.0.1:%d", minDevnetPort+rand.IntN(low-minDevnetPort))
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			l.Close()
			continue
		}
		hold = append(hold, l, u)
		ports = append(ports, port)
	}
	if len(ports) < n {
		return nil, errors.New("devnet: cannot find free ports")
	}
	return ports, nil
}

// minDevnetPort is the lowest port a devnet node is given: above the
// well-known and most registered services' ports.
const minDevnetPort = 20000

// ephemeralLow is the first port of the kernel's ephemeral range (0 when
// it cannot be read, and then ports come from that range after all).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	var lo, hi int
	if _, err := fmt.Sscan(string(b), &lo, &hi); err != nil {
		return 0
	}
	return lo
}

func start(ctx context.Context, bin string, n Node) error {
	return launch(ctx, bin, []string{"daemon", "--home", n.Home}, n.Home, filepath.Join(n.Home, "route.log"), func(ctx context.Context) error {
		_, err := routeapi.NewClient(n.Home).Status(ctx)
		return err
	})
}

// waitJoined waits (a bounded time) until every node has the peers its
// topology promises as routing neighbours: all others in a mesh, its neighbours in a line; and in
// a mesh, until every card is in the DHT so that overlay addresses resolve.
func waitJoined(ctx context.Context, st *State, out io.Writer) {
	graph := st.Graph()
	want := func(i int) int { return len(graph[i]) }
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok := true
		for i, n := range st.Nodes {
			sctx, cancel := context.WithTimeout(ctx, time.Second)
			s, err := routeapi.NewClient(n.Home).Status(sctx)
			cancel()
			// Neighbours, not peers: a connected peer takes packets only
			// once identify has said it speaks /mf/route/1, which can take
			// seconds on a loaded machine (a script that sent at once then
			// missed a zone member, or a route a churn run relies on).
			if err != nil || s.Neighbours < want(i) || (st.Topology == Mesh && len(st.Nodes) > 1 && !s.Published) {
				ok = false
				break
			}
		}
		if ok {
			fmt.Fprintf(out, "devnet up: %d nodes (%s)\n", len(st.Nodes), st.Topology)
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			fmt.Fprintf(out, "devnet up, but not every node has all its peers yet; see mf-route devnet status\n")
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Load reads a devnet's state.
func Load(dir string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("devnet: %s is damaged: %v", filepath.Join(dir, StateFile), err)
	}
	st.dir, _ = filepath.Abs(dir)
	return &st, nil
}

// NodeStatus is a node as devnet status shows it.
type NodeStatus struct {
	Node
	Running bool   `json:"running"`
	PID     int    `json:"pid,omitempty"`
	Peers   int    `json:"peers"`
	Error   string `json:"error,omitempty"`
	// Swap is whether the node's mf-swap daemon runs (swap devnets only).
	Swap bool `json:"swap_running,omitempty"`
	// Court is whether the node's mf-court daemon runs (swap devnets
	// only).
	Court bool `json:"court_running,omitempty"`
	// DB is whether the node's mf-db daemon runs.
	DB bool `json:"db_running,omitempty"`
	// Store is whether the node's mf-store daemon runs.
	Store bool `json:"store_running,omitempty"`
	// Chat is whether the node's mf-chat daemon runs.
	Chat bool `json:"chat_running,omitempty"`
	// Hold is whether the node's mf-hold daemon runs.
	Hold bool `json:"hold_running,omitempty"`
}

// pidOf returns the pid of home's mf-route daemon if that process is alive
// and is really a daemon of this home (pids get reused).
func pidOf(home string) int { return pidIn(filepath.Join(home, routeapi.PIDName), "daemon", home) }

// pidIn reads a pid file and returns the pid if that process is alive and
// its command line has both words.
func pidIn(pidFile, word, home string) int {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return 0
	}
	args := strings.Split(string(cmdline), "\x00")
	hasDaemon, hasHome := false, false
	for _, a := range args {
		hasDaemon = hasDaemon || a == word
		hasHome = hasHome || a == home
	}
	if !hasDaemon || !hasHome {
		return 0
	}
	return pid
}

// Status reports every node of st.
func Status(st *State) []NodeStatus {
	var out []NodeStatus
	for _, n := range st.Nodes {
		s := NodeStatus{Node: n, PID: pidOf(n.Home)}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		info, err := routeapi.NewClient(n.Home).Status(ctx)
		cancel()
		if err == nil {
			s.Running, s.Peers = true, info.Peers
		} else if s.PID != 0 {
			s.Running, s.Error = true, "not answering: "+err.Error()
		}
		s.DB = dbPID(n.Home) != 0
		if st.Swap {
			s.Swap = pidIn(filepath.Join(n.Home, swapapi.PIDName), "daemon", n.Home) != 0
			s.Court = pidIn(filepath.Join(n.Home, courtapi.PIDName), "daemon", n.Home) != 0
		}
		s.Store = pidIn(filepath.Join(n.Home, storeapi.PIDName), "daemon", n.Home) != 0
		s.Chat = chatPID(n.Home) != 0
		s.Hold = holdPID(n.Home) != 0
		out = append(out, s)
	}
	return out
}

// Down stops every daemon of st: SIGTERM, then SIGKILL after 10 seconds.
// Only processes that are an mf-route daemon of one of st's homes are
// signalled.
func Down(st *State) (stopped int) {
	var pids []int
	term := func(pid int) {
		if pid != 0 && syscall.Kill(pid, syscall.SIGTERM) == nil {
			pids = append(pids, pid)
		}
	}
	for _, n := range st.Nodes {
		term(pidIn(filepath.Join(n.Home, storeapi.PIDName), "daemon", n.Home))
		term(holdPID(n.Home))
		term(chatPID(n.Home))
		term(dbPID(n.Home))
		term(pidIn(filepath.Join(n.Home, courtapi.PIDName), "daemon", n.Home))
		term(pidIn(filepath.Join(n.Home, swapapi.PIDName), "daemon", n.Home))
		term(pidOf(n.Home))
	}
	if st.dir != "" {
		term(pidIn(filepath.Join(st.ChainDir(), "chain.pid"), "chain", st.ChainDir()))
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
			if isZombie(pid) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if syscall.Kill(pid, 0) == nil && !isZombie(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	return len(pids)
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z'
	}
	return false
}

func jsonIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }
