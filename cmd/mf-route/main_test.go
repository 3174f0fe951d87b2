package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/chat/chatcmd"
	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/court/courtcmd"
	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/db/dbcmd"
	"github.com/mainframe/mf/pkg/devnet"
	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/hold/holdcmd"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/route/routecmd"
	"github.com/mainframe/mf/pkg/store/storecmd"
	"github.com/mainframe/mf/pkg/swap/swapapi"
	"github.com/mainframe/mf/pkg/swap/swapcmd"
	"github.com/mainframe/mf/pkg/wire"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mf-route": func() { os.Exit(routecmd.Main(os.Args[1:], cli.System())) },
		"mf-swap":  func() { os.Exit(swapcmd.Main(os.Args[1:], cli.System())) },
		"mf-court": func() { os.Exit(courtcmd.Main(os.Args[1:], cli.System())) },
		"mf-store": func() { os.Exit(storecmd.Main(os.Args[1:], cli.System())) },
		// For the README's mf-chat section; devnets find mf-chat only beside
		// mf-route, so they start none here.
		"mf-chat": func() { os.Exit(chatcmd.Main(os.Args[1:], cli.System())) },
		"mf-db":   func() { os.Exit(dbcmd.Main(os.Args[1:], cli.System())) },
		"mf-hold": func() { os.Exit(holdcmd.Main(os.Args[1:], cli.System())) },
	})
}

// TestScripts runs the scripts in testdata/script: real mf-route processes,
// real sockets, real libp2p on 127.0.0.1.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		// [race]: the test binary runs under the race detector.
		Condition: func(cond string) (bool, error) {
			if cond == "race" {
				return raceEnabled, nil
			}
			// [dbbench]: MF_DBBENCH is set; dbbench.txtar, the mf-db
			// devnet benchmark of docs/benchmarks.md, runs only then.
			if cond == "dbbench" {
				return os.Getenv("MF_DBBENCH") != "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			// Unix socket paths must stay under 108 bytes: give the nodes a
			// short directory outside the long $WORK path.
			short, err := os.MkdirTemp("", "mf")
			if err != nil {
				return err
			}
			env.Setenv("NET", short)
			env.Setenv("MF_HOME", filepath.Join(short, "default-home"))
			// mf-chat sits beside mf-route here (for the README test); the
			// scripts' devnets run without it, so that no chat daemon
			// listens on the topics the scripts listen on.
			env.Setenv("MF_NO_CHAT", "1")
			env.Defer(func() {
				// Stop every devnet the script left running, pass or fail.
				entries, _ := os.ReadDir(short)
				for _, e := range entries {
					if st, err := devnet.Load(filepath.Join(short, e.Name())); err == nil {
						devnet.Down(st)
					}
				}
				os.RemoveAll(short)
			})
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitpeers":     cmdWaitPeers,
			"waitlisteners": cmdWaitListeners,
			"nodeenv":       cmdNodeEnv,
			"fakeprovider":  cmdFakeProvider,
			"holdburst":     cmdHoldBurst,
			"gwservice":     cmdGWService,
			"gwupload":      cmdGWUpload,
			"gwlines":       cmdGWLines,
			"killnode":      cmdKillNode,
			"rawsend":       cmdRawSend,
			"apibad":        cmdAPIBad,
			"code":          cmdCode,
			"waitstat":      cmdWaitStat,
			"mkfile":        cmdMkfile,
			"eachnode":      cmdEachNode,
			"pickzone":      cmdPickZone,
			"zonecheck":     cmdZoneCheck,
			"checkreceipt":  cmdCheckReceipt,
			"linestall":     cmdLineStall,
			"capture":       cmdCapture,
			"waitgroup":     cmdWaitGroup,
			"groupkeys":     cmdGroupKeys,
			"waitsession":   cmdWaitSession,
			"setconfig":     cmdSetConfig,
			"restartswap":   cmdRestartSwap,
			"restartcourt":  cmdRestartCourt,
			"corruptdata":   cmdCorruptData,
			"replay":        cmdReplay,
			"waitswap":      cmdWaitSwap,
			"swapexact":     cmdSwapExact,
			"waitfor":       cmdWaitFor,
			"tryexec":       cmdTryExec,
			"streams":       cmdStreams,
			"watchmany":     cmdWatchMany,
			"freeport":      cmdFreePort,
			"chainproxy":    cmdChainProxy,
			"apistatus":     cmdAPIStatus,
			"waitbal":       cmdWaitBal,
			"scoresplit":    cmdScoreSplit,
			"swapmirror":    cmdSwapMirror,
			"restartroute":  cmdRestartRoute,
			"drophold":      cmdDropHold,
			"restarthold":   cmdRestartHold,
			"storechunks":   cmdStoreChunks,
			"waitchunks":    cmdWaitChunks,
			"storeref":      cmdStoreRef,
			"slice":         cmdSlice,
			"restartdb":     cmdRestartDB,
			"lastfield":     cmdLastField,
			"storedrows":    cmdStoredRows,
			"lower":         cmdLower,
			"dbbench":       cmdDBBench,
			"tamperrow":     cmdTamperRow,
			"droprow":       cmdDropRow,
			"setstake":      cmdSetStake,
			"pebblebench":   cmdPebbleBench,
		},
	})
}

func status(home string) (*routeapi.StatusInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return routeapi.NewClient(home).Status(ctx)
}

// waitpeers HOME N: wait up to 30s until the daemon of HOME has N peers.
func cmdWaitPeers(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: waitpeers HOME N")
	}
	want, _ := strconv.Atoi(args[1])
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		st, err := status(ts.MkAbs(args[0]))
		if err == nil && st.Peers >= want {
			return
		}
		last = fmt.Sprint(st, err)
	}
	ts.Fatalf("%s did not reach %d peers: %s", args[0], want, last)
}

// waitlisteners HOME N: wait up to 20s until HOME's daemon has N listeners.
func cmdWaitListeners(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: waitlisteners HOME N")
	}
	want, _ := strconv.Atoi(args[1])
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if st, err := status(ts.MkAbs(args[0])); err == nil && st.Listeners >= want {
			return
		}
	}
	ts.Fatalf("%s never had %d listeners", args[0], want)
}

// waitstat HOME COUNTER N: wait up to 20s until a packet counter of HOME's
// daemon reaches N.
func cmdWaitStat(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: waitstat HOME COUNTER N")
	}
	want, _ := strconv.ParseUint(args[2], 10, 64)
	var got uint64
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		st, err := status(ts.MkAbs(args[0]))
		if err != nil {
			continue
		}
		var m map[string]uint64
		b, _ := json.Marshal(st.Packets)
		_ = json.Unmarshal(b, &m)
		if _, ok := m[args[1]]; !ok {
			ts.Fatalf("no counter %q", args[1])
		}
		if got = m[args[1]]; got >= want {
			if neg {
				ts.Fatalf("%s reached %d", args[1], got)
			}
			return
		}
	}
	if !neg {
		ts.Fatalf("%s of %s stayed at %d, want %d", args[1], args[0], got, want)
	}
}

// nodeenv PREFIX HOME: set PREFIX_CARD, PREFIX_OVERLAY, PREFIX_PEER from
// the node's card file (written by init and refreshed by the daemon).
func cmdNodeEnv(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: nodeenv PREFIX HOME")
	}
	c, err := route.ReadCard(ts.MkAbs(args[1]))
	ts.Check(err)
	ts.Setenv(args[0]+"_CARD", c.String())
	ts.Setenv(args[0]+"_OVERLAY", c.Overlay().String())
	ts.Setenv(args[0]+"_PEER", c.PeerID().String())
	ts.Setenv(args[0]+"_ADDRESS", c.Address().Hex())
}

// killnode [-TERM] HOME: SIGKILL (or SIGTERM) the daemon of HOME and wait
// until it is gone.
func cmdKillNode(ts *testscript.TestScript, neg bool, args []string) {
	sig := syscall.SIGKILL
	pidName := routeapi.PIDName
	for len(args) > 1 {
		switch args[0] {
		case "-TERM":
			sig = syscall.SIGTERM
		case "-swap":
			pidName = swapapi.PIDName
		case "-court":
			pidName = "court.pid"
		case "-store":
			pidName = "store.pid"
		case "-db":
			pidName = dbapi.PIDName
		case "-hold":
			pidName = holdapi.PIDName
		default:
			ts.Fatalf("usage: killnode [-TERM] [-swap] HOME")
		}
		args = args[1:]
	}
	if len(args) != 1 {
		ts.Fatalf("usage: killnode [-TERM] [-swap] HOME")
	}
	b, err := os.ReadFile(filepath.Join(ts.MkAbs(args[0]), pidName))
	ts.Check(err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	ts.Check(err)
	ts.Check(syscall.Kill(pid, sig))
	for i := 0; i < 600 && syscall.Kill(pid, 0) == nil; i++ {
		if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); bytes.Contains(st, []byte(") Z ")) {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// rawsend HOME KIND: connect to HOME's daemon as a stranger over libp2p and
// write a packet of KIND on /mf/route/1: valid (a real packet to HOME on
// topic "raw"), tampered (the same with one ciphertext byte flipped),
// garbage (random bytes), badpacket (a well-framed frame that is not a
// packet), oversize (a frame header announcing more than the limit), twice
// (one valid packet written twice), stale (a valid packet signed as sent ten
// minutes ago: what a replay after the duplicate filter forgot looks like).
// TOPIC, if given, replaces "raw": a hostile peer may name any topic.
func cmdRawSend(ts *testscript.TestScript, neg bool, args []string) {
	topic := "raw"
	if len(args) == 3 {
		topic, args = args[2], args[:2]
	}
	if len(args) != 2 {
		ts.Fatalf("usage: rawsend HOME valid|tampered|garbage|badpacket|oversize|twice|stale [TOPIC]")
	}
	card, err := route.ReadCard(ts.MkAbs(args[0]))
	ts.Check(err)
	h, err := libp2p.New(libp2p.NoListenAddrs)
	ts.Check(err)
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ts.Check(h.Connect(ctx, peer.AddrInfo{ID: card.PeerID(), Addrs: card.Addrs}))
	s, err := h.NewStream(ctx, card.PeerID(), route.ProtocolID)
	ts.Check(err)
	var frame bytes.Buffer
	packetAt := func(sent time.Time) []byte {
		me, err := identity.Generate()
		ts.Check(err)
		p, err := route.SealPacketAt(sent, me, card.Public, 256, 8, topic, 0, []byte("raw packet\n"))
		ts.Check(err)
		return p.Marshal()
	}
	packet := func() []byte { return packetAt(time.Now()) }
	switch args[1] {
	case "valid":
		ts.Check(wire.WriteFrame(&frame, packet()))
	case "twice":
		b := packet()
		ts.Check(wire.WriteFrame(&frame, b))
		ts.Check(wire.WriteFrame(&frame, b))
	case "stale":
		ts.Check(wire.WriteFrame(&frame, packetAt(time.Now().Add(-10*time.Minute))))
	case "tampered":
		b := packet()
		b[len(b)-5] ^= 0x40
		ts.Check(wire.WriteFrame(&frame, b))
	case "garbage":
		b := make([]byte, 3000)
		rand.Read(b)
		frame.Write(b)
	case "badpacket":
		ts.Check(wire.WriteFrame(&frame, []byte("this is not a packet")))
	case "oversize":
		frame.Write(binary.AppendUvarint(nil, 1<<30))
		frame.Write(make([]byte, 100))
	default:
		ts.Fatalf("unknown kind %q", args[1])
	}
	_, err = s.Write(frame.Bytes())
	ts.Check(err)
	s.CloseWrite()
	// Give the daemon a moment to read before the connection goes.
	time.Sleep(200 * time.Millisecond)
	s.Close()
}

// apibad HOME: send garbage, oversized and wrongly shaped bodies to every
// endpoint of HOME's socket; each must answer 4xx with a JSON error, and the
// daemon must keep serving.
func cmdAPIBad(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: apibad HOME")
	}
	sock := routeapi.SocketPath(ts.MkAbs(args[0]))
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}, Timeout: 30 * time.Second}
	big := bytes.Repeat([]byte("A"), 2<<20)
	bodies := map[string][]byte{
		"garbage":   []byte("\x00\xff not json {{{"),
		"oversize":  append(append([]byte(`{"to":"`), big...), `"}`...),
		"empty":     nil,
		"wrongtype": []byte(`{"to": 5, "topic": [], "payload": "%%%", "count": "x", "name": 1, "card": 2, "target": 3}`),
		"unknown":   []byte(`{"nonsense": true}`),
		"twovalues": []byte(`{} {}`),
	}
	endpoints := []struct{ method, path string }{
		{"POST", "/v0/ping"}, {"POST", "/v0/contacts"}, {"POST", "/v0/resolve"}, {"POST", "/v0/send"},
		{"DELETE", "/v0/contacts/no-such-contact"}, {"GET", "/v0/listen"}, {"GET", "/v0/listen?topic=x&count=-1"},
		{"GET", "/v0/nonexistent"}, {"PUT", "/v0/status"},
		{"POST", "/v0/estimate"}, {"POST", "/v0/sessions"}, {"POST", "/v0/groups"},
		{"POST", "/v0/groups/nope/members"}, {"POST", "/v0/groups/nope/resend"}, {"GET", "/v0/receipts/xyz"}, {"GET", "/v0/luminosity"},
		{"GET", "/v0/luminosity?anonymity=-1"}, {"DELETE", "/v0/topics/never-watched"},
		{"GET", "/v0/bonds?after=abc"}, {"GET", "/v0/bonds?after=-1"},
		{"POST", "/v0/services"}, {"DELETE", "/v0/services/never"}, {"DELETE", "/v0/services/BAD"},
		{"GET", "/v0/providers/BAD"}, {"GET", "/v0/providers/store?limit=0"}, {"GET", "/v0/providers/store?limit=x"},
		{"POST", "/v0/call/not-a-peer/nosuch/x"},
	}
	type badRequest struct {
		method, path, name, ctype string
		body                      []byte
	}
	var reqs []badRequest
	for _, e := range endpoints {
		for name, body := range bodies {
			reqs = append(reqs, badRequest{e.method, e.path, name, "", body})
		}
	}
	// The raw-body form of /v0/send takes its fields from the query.
	for name, path := range map[string]string{
		"bad luminosity":    "/v0/send?to=x&topic=t&luminosity=abc",
		"luminosity 257":    "/v0/send?to=x&topic=t&luminosity=257",
		"bad certify":       "/v0/send?to=x&topic=t&certify=perhaps",
		"unknown parameter": "/v0/send?to=x&topic=t&colour=blue",
		"repeated topic":    "/v0/send?to=x&topic=a&topic=b",
		"unknown target":    "/v0/send?to=nobody&topic=t",
		"no target":         "/v0/send?topic=t",
		"reserved topic":    "/v0/send?to=x&topic=mf/session",
	} {
		reqs = append(reqs, badRequest{"POST", path, name, localapi.OctetStream, []byte("payload")})
	}
	reqs = append(reqs, badRequest{"POST", "/v0/send?to=x&topic=t", "oversize raw", localapi.OctetStream, make([]byte, route.MaxPayload+1)})
	for _, rq := range reqs {
		req, _ := http.NewRequest(rq.method, "http://mf"+rq.path, bytes.NewReader(rq.body))
		if rq.ctype != "" {
			req.Header.Set("Content-Type", rq.ctype)
		}
		resp, err := hc.Do(req)
		if err != nil {
			ts.Fatalf("%s %s with %s body: %v", rq.method, rq.path, rq.name, err)
		}
		var eb struct {
			Error string `json:"error"`
			Code  string `json:"code"`
		}
		derr := json.NewDecoder(bufio.NewReader(resp.Body)).Decode(&eb)
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			ts.Fatalf("%s %s with %s body: status %d, want 4xx", rq.method, rq.path, rq.name, resp.StatusCode)
		}
		if derr != nil || eb.Error == "" || eb.Code == "" {
			ts.Fatalf("%s %s with %s body: error body not JSON {error, code}: %v", rq.method, rq.path, rq.name, derr)
		}
	}
	if _, err := status(ts.MkAbs(args[0])); err != nil {
		ts.Fatalf("daemon stopped answering: %v", err)
	}
}

// code N PROG ARGS...: run PROG and require exit status N.
func cmdCode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: code N PROG ARGS...")
	}
	want, _ := strconv.Atoi(args[0])
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = os.Environ()
	for _, k := range []string{"PATH", "MF_HOME", "HOME", "NET"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	got := 0
	if ee, ok := err.(*exec.ExitError); ok {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("%v", err)
	}
	ts.Logf("stderr: %s", stderr.String())
	if got != want {
		ts.Fatalf("exit status %d, want %d; stderr: %s", got, want, stderr.String())
	}
}

// mkfile PATH SIZE: write SIZE random bytes to PATH.
func cmdMkfile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mkfile PATH SIZE")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	b := make([]byte, n)
	rand.Read(b)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}

// eachnode DIR N ARGS...: run mf-route --home DIR/nodeI ARGS... for I = 1..N.
func cmdEachNode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: eachnode DIR N ARGS...")
	}
	n, _ := strconv.Atoi(args[1])
	for i := 1; i <= n; i++ {
		a := append([]string{"--home", filepath.Join(ts.MkAbs(args[0]), fmt.Sprintf("node%d", i))}, args[2:]...)
		if err := ts.Exec("mf-route", a...); err != nil {
			ts.Fatalf("node%d: %v", i, err)
		}
	}
}

func nodeOverlays(ts *testscript.TestScript, dir string, n int) []identity.Overlay {
	var out []identity.Overlay
	for i := 1; i <= n; i++ {
		c, err := route.ReadCard(filepath.Join(ts.MkAbs(dir), fmt.Sprintf("node%d", i)))
		ts.Check(err)
		out = append(out, c.Overlay())
	}
	return out
}

// pickzone DIR N BITS VAR: set VAR to the number of a node other than
// node1 (the sender in the scripts) whose BITS-bit zone holds the most
// nodes, and VAR_OVERLAY to its overlay.
func cmdPickZone(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: pickzone DIR N BITS VAR")
	}
	n, _ := strconv.Atoi(args[1])
	bits, _ := strconv.Atoi(args[2])
	os := nodeOverlays(ts, args[0], n)
	best, bestN := 1, 0
	for i, o := range os {
		if i == 0 {
			continue
		}
		d := route.Dest{Bits: uint16(bits), Prefix: route.AddressPrefix(o, uint16(bits))}
		c := 0
		for _, p := range os {
			if d.Matches(p) {
				c++
			}
		}
		if c > bestN {
			best, bestN = i, c
		}
	}
	ts.Logf("node%d's zone has %d members", best+1, bestN)
	ts.Setenv(args[3], strconv.Itoa(best+1))
	ts.Setenv(args[3]+"_OVERLAY", os[best].String())
}

// zonecheck DIR N TARGET BITS: every node other than TARGET whose address
// shares BITS bits with TARGET's tried and failed to open a packet
// (not_for_us ≥ 1) and delivered nothing; every node outside the zone
// tried nothing. With "! zonecheck", no node other than TARGET tried.
func cmdZoneCheck(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: zonecheck DIR N TARGET BITS")
	}
	n, _ := strconv.Atoi(args[1])
	target, _ := strconv.Atoi(args[2])
	bits, _ := strconv.Atoi(args[3])
	os := nodeOverlays(ts, args[0], n)
	d := route.Dest{Bits: uint16(bits), Prefix: route.AddressPrefix(os[target-1], uint16(bits))}
	members := 0
	for i := 1; i <= n; i++ {
		if i == target {
			continue
		}
		st, err := status(filepath.Join(ts.MkAbs(args[0]), fmt.Sprintf("node%d", i)))
		ts.Check(err)
		tried := st.Packets.NotForUs > 0
		switch {
		case neg && tried:
			ts.Fatalf("node%d tried to open a packet", i)
		case !neg && d.Matches(os[i-1]):
			members++
			if !tried || st.Packets.Delivered != 0 {
				ts.Fatalf("zone member node%d: not_for_us %d, delivered %d", i, st.Packets.NotForUs, st.Packets.Delivered)
			}
		case !neg && tried:
			ts.Fatalf("node%d is outside the zone but tried to open", i)
		}
	}
	if !neg && members == 0 {
		ts.Fatalf("the zone has no member besides node%d", target)
	}
}

// checkreceipt HOME ID OVERLAY delivered|failed: the certified packet ID
// sent from HOME has that status, and its receipt (delivered) or statement
// (failed) verifies: signed over the packet id by OVERLAY (delivered) or by
// the hop it names (failed: that it dropped the packet, or, with no way on,
// gave it back), never by the recipient.
func cmdCheckReceipt(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: checkreceipt HOME ID OVERLAY delivered|failed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rec, err := routeapi.NewClient(ts.MkAbs(args[0])).Receipt(ctx, strings.TrimSpace(args[1]))
	ts.Check(err)
	if rec.Status != args[3] {
		ts.Fatalf("status %s, want %s (%s)", rec.Status, args[3], rec.Reason)
	}
	info := rec.Receipt
	if args[3] == route.StatusFailed {
		info = rec.Statement
		if info == nil || rec.FailedHop == nil {
			ts.Fatalf("failed without a hop statement: %s", rec.Reason)
		}
	}
	if info == nil {
		ts.Fatalf("no receipt")
	}
	b, err := hex.DecodeString(info.Receipt)
	ts.Check(err)
	rc, err := routeapi.DecodeReceipt(b)
	ts.Check(err)
	if fmt.Sprintf("%x", rc.ID) != rec.ID {
		ts.Fatalf("receipt is for packet %x, not %s", rc.ID, rec.ID)
	}
	switch args[3] {
	case route.StatusDelivered:
		if rc.Signer.Overlay().String() != args[2] || rc.Kind != routeapi.ReceiptReceived {
			ts.Fatalf("receipt signed by %s, want the recipient %s", rc.Signer.Overlay(), args[2])
		}
	case route.StatusFailed:
		if rc.Signer.Overlay() != *rec.FailedHop || rc.Kind != routeapi.ReceiptUnreachable && rc.Kind != routeapi.ReceiptReturned {
			ts.Fatalf("statement signed by %s, not by the failed hop %s", rc.Signer.Overlay(), rec.FailedHop)
		}
		if rc.Signer.Overlay().String() == args[2] {
			ts.Fatalf("the statement is signed by the recipient itself")
		}
	}
}

// capture VAR: set VAR to the last command's standard output, trimmed.
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: capture VAR")
	}
	ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile("stdout")))
}

// waitgroup HOME NAME EPOCH: wait until HOME's daemon knows group NAME at
// EPOCH or later.
func cmdWaitGroup(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: waitgroup HOME NAME EPOCH")
	}
	epoch, _ := strconv.ParseUint(args[2], 10, 64)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		gs, err := routeapi.NewClient(ts.MkAbs(args[0])).Groups(context.Background())
		for _, g := range gs {
			if err == nil && g.Name == args[1] && g.Epoch >= epoch {
				return
			}
		}
	}
	ts.Fatalf("%s never got group %s epoch %d", args[0], args[1], epoch)
}

// groupkeys HOME NAME MEMBERS: wait up to 30s until exactly the members
// named (comma-separated, in any order; - for none) hold the current key of
// HOME's group NAME, as the owner knows from their receipts.
func cmdGroupKeys(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: groupkeys HOME NAME MEMBERS")
	}
	want := strings.Split(args[2], ",")
	if args[2] == "-" {
		want = nil
	}
	slices.Sort(want)
	var got []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		gs, err := routeapi.NewClient(ts.MkAbs(args[0])).Groups(context.Background())
		if err != nil {
			continue
		}
		got = nil
		for _, g := range gs {
			if g.Name != args[1] {
				continue
			}
			for _, m := range g.Members {
				if m.HasKey {
					got = append(got, m.Name)
				}
			}
		}
		slices.Sort(got)
		if slices.Equal(got, want) {
			return
		}
	}
	ts.Fatalf("members of %s holding the key: %v, want %v", args[1], got, want)
}

// waitsession HOME TOPIC: wait until HOME's daemon has the session.
func cmdWaitSession(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: waitsession HOME TOPIC")
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ss, _ := routeapi.NewClient(ts.MkAbs(args[0])).Sessions(context.Background())
		for _, s := range ss {
			if s.Topic == args[1] {
				return
			}
		}
	}
	ts.Fatalf("%s never got session %s", args[0], args[1])
}

// setconfig HOME swap.KEY VALUE: change one mf-swap setting in config.toml.
func cmdSetConfig(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: setconfig HOME swap.KEY VALUE")
	}
	home := ts.MkAbs(args[0])
	cfg, err := config.Load(home)
	ts.Check(err)
	switch args[1] {
	case "swap.pay":
		cfg.Swap.Pay = args[2] == "true"
	case "swap.price_per_kib":
		cfg.Swap.PricePerKiB = args[2]
	case "swap.disconnect_threshold":
		cfg.Swap.DisconnectThreshold = args[2]
	case "swap.payment_threshold":
		cfg.Swap.PaymentThreshold = args[2]
	case "swap.cash_threshold":
		cfg.Swap.CashThreshold = args[2]
	case "swap.max_price":
		cfg.Swap.MaxPrice = args[2]
	case "swap.eth_rpc":
		cfg.Swap.EthRPC = ts.MkAbs(args[2])
	default:
		ts.Fatalf("setconfig does not know %s", args[1])
	}
	ts.Check(config.Save(home, cfg))
}

// restartswap HOME: stop HOME's mf-swap daemon (SIGTERM) and start it again
// detached, as the devnet does, so that it reads config.toml anew.
func cmdRestartSwap(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: restartswap HOME")
	}
	home := ts.MkAbs(args[0])
	restartDaemon(ts, "mf-swap", swapapi.PIDName, home, func() error {
		_, err := swapapi.NewClient(home).Status(context.Background())
		return err
	})
}

// restartcourt [-nowait] HOME: as restartswap, for mf-court. With -nowait
// it does not wait for the daemon to answer (one whose chain is down may
// not, yet).
func cmdRestartCourt(ts *testscript.TestScript, neg bool, args []string) {
	nowait := len(args) > 0 && args[0] == "-nowait"
	if nowait {
		args = args[1:]
	}
	if len(args) != 1 {
		ts.Fatalf("usage: restartcourt [-nowait] HOME")
	}
	home := ts.MkAbs(args[0])
	restartDaemon(ts, "mf-court", "court.pid", home, func() error {
		if nowait {
			return nil
		}
		return exec.Command("mf-court", "--home", home, "stakes").Run()
	})
}

func restartDaemon(ts *testscript.TestScript, name, pidName, home string, probe func() error) {
	if b, err := os.ReadFile(filepath.Join(home, pidName)); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			_ = syscall.Kill(pid, syscall.SIGTERM)
			for i := 0; i < 400 && syscall.Kill(pid, 0) == nil; i++ {
				time.Sleep(25 * time.Millisecond)
			}
		}
	}
	bin, err := exec.LookPath(name)
	ts.Check(err)
	logf, err := os.OpenFile(filepath.Join(home, strings.TrimPrefix(name, "mf-")+".log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	ts.Check(err)
	defer logf.Close()
	cmd := exec.Command(bin, "--home", home, "daemon")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	ts.Check(cmd.Start())
	go cmd.Wait()
	for i := 0; i < 600; i++ {
		if probe() == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("%s of %s did not come back", name, home)
}

// cashThreshold is mf-swap's default cash threshold, which the devnet keeps.
var cashThreshold, _ = amount.Parse("0.5")

// waitswap HOME WHAT: wait up to 60s for a condition on HOME's mf-swap:
//
//	cashed          some received cheque is cashed, all but less than the
//	                cash threshold
//	refused         some peer is refused service
//	unrefused       no peer is refused service
func cmdWaitSwap(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: waitswap HOME cashed|refused|unrefused")
	}
	c := swapapi.NewClient(ts.MkAbs(args[0]))
	var last string
	for i := 0; i < 1200; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ok := false
		switch args[1] {
		case "cashed":
			// Cashed as far as it goes: payment may come as several
			// cheques, and a remainder under the cash threshold (the
			// default 0.5 MFT) waits for more traffic.
			cs, err := c.Cheques(ctx)
			for _, ch := range cs {
				cum, _ := new(big.Int).SetString(ch.Cumulative, 10)
				cashed, _ := new(big.Int).SetString(ch.Cashed, 10)
				if err != nil || ch.Direction != "received" || cum == nil || cashed == nil || cashed.Sign() == 0 {
					continue
				}
				ok = ok || new(big.Int).Sub(cum, cashed).Cmp(cashThreshold) < 0
			}
			last = fmt.Sprint(cs, err)
		case "refused", "unrefused":
			bs, err := c.Balances(ctx)
			refused := false
			for _, b := range bs {
				refused = refused || b.Refused
			}
			ok = err == nil && refused == (args[1] == "refused")
			last = fmt.Sprint(bs, err)
		default:
			ts.Fatalf("unknown condition %s", args[1])
		}
		cancel()
		if ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("%s never %s: %s", args[0], args[1], last)
}

// swapexact CREDITOR DEBTOR: the creditor's wallet grew, and the debtor's
// checkbook shrank, by exactly the cumulative amount the creditor cashed
// from the debtor (both started with 50 MFT there, as the devnet funds
// them); and both sides agree on their balance (one is minus the other).
func cmdSwapExact(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: swapexact CREDITOR DEBTOR")
	}
	ctx := context.Background()
	cred, debt := swapapi.NewClient(ts.MkAbs(args[0])), swapapi.NewClient(ts.MkAbs(args[1]))
	dcard, err := route.ReadCard(ts.MkAbs(args[1]))
	ts.Check(err)
	ccard, err := route.ReadCard(ts.MkAbs(args[0]))
	ts.Check(err)
	cs, err := cred.Cheques(ctx)
	ts.Check(err)
	cashed := new(big.Int)
	for _, c := range cs {
		if c.Direction == "received" && c.Peer == dcard.PeerID().String() {
			cashed.SetString(c.Cashed, 10)
		}
	}
	if cashed.Sign() == 0 {
		ts.Fatalf("the creditor cashed nothing from the debtor")
	}
	fifty, _ := amount.Parse("50")
	cst, err := cred.Status(ctx)
	ts.Check(err)
	dst, err := debt.Status(ctx)
	ts.Check(err)
	wallet, _ := new(big.Int).SetString(cst.Wallet, 10)
	book, _ := new(big.Int).SetString(dst.Balance, 10)
	if want := new(big.Int).Add(fifty, cashed); wallet.Cmp(want) != 0 {
		ts.Fatalf("creditor wallet %s, want 50 + %s", amount.Format(wallet), amount.Format(cashed))
	}
	if want := new(big.Int).Sub(fifty, cashed); book.Cmp(want) != 0 {
		ts.Fatalf("debtor checkbook %s, want 50 - %s", amount.Format(book), amount.Format(cashed))
	}
	ts.Logf("cheque of %s MFT moved exactly", amount.Format(cashed))
	var lastC, lastD *big.Int
	for i := 0; i < 200; i++ {
		c, err1 := cred.Balance(ctx, dcard.PeerID().String())
		d, err2 := debt.Balance(ctx, ccard.PeerID().String())
		if err1 == nil && err2 == nil {
			lastC, _ = new(big.Int).SetString(c.Balance, 10)
			lastD, _ = new(big.Int).SetString(d.Balance, 10)
			if new(big.Int).Add(lastC, lastD).Sign() == 0 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	ts.Fatalf("the two sides disagree: creditor says %v, debtor says %v", lastC, lastD)
}

// waitfor REGEXP PROG ARGS...: run PROG every 100ms, for up to 60s, until
// its standard output matches REGEXP.
func cmdWaitFor(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: waitfor REGEXP PROG ARGS...")
	}
	re := regexp.MustCompile(args[0])
	var out []byte
	// A wall-clock bound, not a count of runs: under -race one run of a
	// client takes about a second, and 600 runs once held CI for 13 min
	// on a case that had already gone the wrong way. 8 min: storers swearing
	// for a 100 MiB file under -race on a loaded CI took more than 4.
	for deadline := time.Now().Add(8 * time.Minute); time.Now().Before(deadline); {
		cmd := exec.Command(args[1], args[2:]...)
		cmd.Env = os.Environ()
		for _, k := range []string{"PATH", "MF_HOME", "HOME"} {
			cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
		}
		out, _ = cmd.Output()
		if re.Match(out) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	ts.Fatalf("output never matched %s; last: %s", args[0], out)
}

// tryexec PROG ARGS...: run PROG and ignore how it exits.
func cmdTryExec(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: tryexec PROG ARGS...")
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = os.Environ()
	for _, k := range []string{"PATH", "MF_HOME", "HOME"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	out, _ := cmd.CombinedOutput()
	ts.Logf("%s", out)
}
